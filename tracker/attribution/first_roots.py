"""Lineage roots of a first dump's models with parents, computed in memory from the dump's own lineage.

The same roots as tracker.attribution.lineage computes in SQL (first-parent chains followed to their farthest
ancestor, a parent never collected ending its chain, chains into a cycle without a root, a merge whose parents'
roots have different countries flagged with every model descended from it), from arrays instead of a dozen
statements over the whole table: a first dump writes the whole Hub, and these statements took a third of it.

Where the exact answer depends on the database, the repo ids go to `FirstRoots.unresolved` for the set-based
update (`update_roots`) to resolve, with everything descended from them: repo ids beyond ASCII (lower-casing
differs between the back ends), several models or parent names spelled alike but for case (the database's
collation picks the spelling), and chains into a cycle.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from tracker.sources.huggingface.columns import namespaces
from tracker.sources.huggingface.first_dump import DumpLineage, FirstRoots

log = logging.getLogger(__name__)

_NO_TEXT = pa.scalar(None, pa.string())


def _numpy(indices: pa.Array) -> np.ndarray:
    """An index array (nulls: not found) as int64 with -1 for not found."""
    return np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _non_ascii(values: pa.Array) -> pa.Array:
    return pc.invert(pc.fill_null(pc.string_is_ascii(values), True))


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _flags(values: pa.Array) -> np.ndarray:
    """A boolean array (nulls false) as numpy."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _repeated(values: pa.Array) -> pa.Array:
    """The values that occur more than once (for arrays of edges, not of the whole Hub: a hash table of every
    model's key would take hundreds of MB)."""
    counts = pc.value_counts(values)
    return pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))


_SLICE = 50_000


def _hashes(keys: pa.Array) -> np.ndarray:
    """A 64-bit hash of each key (this process's `hash`), a slice at a time."""
    return np.concatenate(
        [
            np.fromiter(map(hash, keys.slice(start, _SLICE).to_pylist()), np.int64)
            for start in range(0, len(keys), _SLICE)
        ]
        or [np.zeros(0, np.int64)]
    )


def _alike(parts: list[pa.Array]) -> set[str]:
    """The keys that occur more than once across `parts` (arrays of keys): candidates by hash (16 bytes a key),
    confirmed on the keys themselves."""
    hashed = [_hashes(part) for part in parts]
    values, counts = np.unique(np.concatenate(hashed or [np.zeros(0, np.int64)]), return_counts=True)
    twice = values[counts > 1]
    if not len(twice):
        return set()
    found: dict[str, int] = {}
    for part, hashes in zip(parts, hashed, strict=True):
        for key in pc.filter(part, pa.array(np.isin(hashes, twice))).to_pylist():
            found[key] = found.get(key, 0) + 1
    return {key for key, seen in found.items() if seen > 1}


def _spellings(others: pa.ChunkedArray, roots: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The keys of `roots` (distinct keys) that models without parents have, and those models' repo ids."""
    spelling: dict[str, str] = {}
    for chunk in others.chunks:
        keys = pc.ascii_lower(chunk)
        hit = pc.is_in(keys, value_set=roots)
        for key, repo_id in zip(
            pc.filter(keys, hit).to_pylist(), pc.filter(chunk, hit).to_pylist(), strict=True
        ):
            spelling.setdefault(key, repo_id)  # several: spelled alike but for case, left to the database
    return pa.array(list(spelling), pa.string()), pa.array(list(spelling.values()), pa.string())


def _countries(connection: Connection) -> tuple[pa.Array, pa.Array]:
    """Hugging Face account keys with a country, and the countries."""
    rows = connection.execute(
        text("SELECT handle_key, country FROM accounts WHERE platform = 'hf' AND country IS NOT NULL")
    ).all()
    return pa.array([row[0] for row in rows], pa.string()), pa.array([row[1] for row in rows], pa.string())


def first_dump_roots(connection: Connection, lineage: DumpLineage) -> FirstRoots:
    """The roots of `lineage.derivatives` (in their order), and the repo ids the database must resolve."""
    others = lineage.others
    held = lineage.derivatives
    count = held.num_rows
    repo_ids = _array(held.column("repo_id"))
    keys = pc.ascii_lower(repo_ids)
    # several models spelled alike but for case: the database's collation picks the spelling of their root
    alike = _alike([keys, *(pc.ascii_lower(chunk) for chunk in others.chunks)])
    # (models without parents beyond ASCII went in without roots: the update finds those by themselves)
    beyond_ascii = {
        key
        for chunk in others.chunks
        for key in pc.ascii_lower(pc.filter(chunk, _non_ascii(chunk))).to_pylist()
    }
    if not count:
        empty = pa.array([], pa.string())
        return FirstRoots(empty, empty, pa.array([], pa.bool_()), sorted(alike | beyond_ascii))
    parents = _array(held.column("parents"))
    flat = pc.list_flatten(parents)
    child = np.asarray(pc.list_parent_indices(parents).to_numpy(zero_copy_only=False), dtype=np.int64)
    spellings = flat.field("repo_id")
    parent_keys = pc.ascii_lower(spellings)

    # Rows whose answer needs the database (their keys are resolved again by `update_roots`)
    unresolved = _flags(_non_ascii(repo_ids))
    unresolved[child[_flags(_non_ascii(spellings))]] = True
    # parents named in several cases: the database's collation picks the spelling of a root never collected
    names = pa.table({"key": parent_keys, "spelling": spellings}).group_by(["key", "spelling"]).aggregate([])
    named_alike = _repeated(names.column("key"))

    # First parents (listed first) followed to the end of their chains by pointer jumping
    first = pc.ascii_lower(pc.struct_field(pc.list_element(parents, 0), "repo_id"))
    after = _numpy(pc.index_in(first, value_set=keys))  # the next model of the chain, -1 at its end
    last = np.where(after >= 0, after, np.arange(count))
    for _ in range(64):  # 2**64 steps: every chain is at its end or in a cycle
        jumped = last[last]
        if np.array_equal(jumped, last):
            break
        last = jumped
    in_cycle = after[last] >= 0
    if in_cycle.any():
        log.info("%d models of the dump have base-model chains that run into a cycle", int(in_cycle.sum()))
        unresolved |= in_cycle
    root_keys = pc.if_else(pa.array(in_cycle), _NO_TEXT, first.take(pa.array(last)))

    # Merges whose parents' roots have different countries, and every model whose chain passes one
    handles, countries = _countries(connection)
    parent_node = _numpy(pc.index_in(parent_keys, value_set=keys))
    parent_roots = pc.coalesce(root_keys.take(pa.array(np.maximum(parent_node, 0))), parent_keys)
    parent_roots = pc.if_else(pa.array(parent_node >= 0), parent_roots, parent_keys)
    parent_country = countries.take(pc.index_in(namespaces(parent_roots), value_set=handles))
    known = pa.table({"child": child, "country": parent_country}).filter(pc.is_valid(parent_country))
    per_child = known.group_by("child").aggregate([("country", "count_distinct")])
    mixed = np.zeros(count, dtype=bool)
    merges = pc.filter(per_child.column("child"), pc.greater(per_child.column("country_count_distinct"), 1))
    mixed[np.asarray(merges.to_numpy(zero_copy_only=False), dtype=np.int64)] = True
    if mixed.any():
        step = np.where(after >= 0, after, np.arange(count))
        for _ in range(64):
            spread = mixed | mixed[step]
            jumped = step[step]
            if np.array_equal(spread, mixed) and np.array_equal(jumped, step):
                break
            mixed, step = spread, jumped

    # Spellings: a collected model's own, else the one way its parents name it
    collected_keys, collected_spellings = _spellings(others, pc.unique(pc.drop_null(root_keys)))
    collected = pc.index_in(root_keys, value_set=collected_keys)
    root_repo_ids = pc.coalesce(
        collected_spellings.take(collected),
        names.column("spelling").take(pc.index_in(root_keys, value_set=names.column("key"))),
    )
    alike_keys = pa.array(sorted(alike), pa.string())
    unresolved |= _flags(pc.is_in(keys, value_set=alike_keys))
    unresolved |= _flags(pc.is_in(root_keys, value_set=alike_keys))
    unresolved |= _flags(pc.and_(pc.is_null(collected), pc.is_in(root_keys, value_set=named_alike)))

    held_back = pa.array(unresolved)
    return FirstRoots(
        _array(pc.if_else(held_back, _NO_TEXT, root_repo_ids)),
        _array(pc.if_else(held_back, _NO_TEXT, namespaces(root_keys))),
        _array(pc.if_else(held_back, pa.scalar(None, pa.bool_()), pa.array(mixed))),
        sorted(alike | beyond_ascii | set(pc.filter(keys, held_back).to_pylist())),
    )
