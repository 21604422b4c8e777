"""Lineage roots of a first dump's models with parents, computed in memory from the dump's own lineage.

The same roots as tracker.attribution.lineage computes in SQL (first-parent chains followed to their farthest
ancestor, a parent never collected ending its chain, chains into a cycle without a root, a merge whose parents'
roots have different countries flagged with every model descended from it), from arrays instead of a dozen
statements over the whole table: a first dump writes the whole Hub, and these statements took a third of it.

Where the exact answer depends on the database, the repo ids go to `FirstRoots.unresolved` for the set-based
update (`update_roots`) to resolve, with everything descended from them: repo ids beyond ASCII (lower-casing
differs between the back ends), several models or parent names spelled alike but for case (the database's
collation picks the spelling), and chains into a cycle.

Memory stays small at the Hub's size: the dump's lineage is read from the files the dump store keeps, a batch
at a time. Each lower-case repo id is kept as two 64-bit hashes (Python's own, keyed per process: two names
sharing both among a few million, about one chance in 10**25), matched in sorted numpy arrays; only the names
the answer needs (the roots', the merges' parents', those left to the database) are read again as text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from tracker.sources.huggingface.columns import namespaces
from tracker.sources.huggingface.first_dump import DumpLineage, FirstRoots

log = logging.getLogger(__name__)


@dataclass
class _Keys:
    """Lower-case repo ids as two hashes each: `first` is sorted on, `second` confirms a match."""

    first: np.ndarray
    second: np.ndarray

    @classmethod
    def of(cls, keys: pa.Array) -> _Keys:
        names = keys.to_pylist()
        return cls(
            np.fromiter(map(hash, names), np.int64, len(names)),
            np.fromiter((hash(name + "\x00") for name in names), np.int64, len(names)),
        )

    def __len__(self) -> int:
        return len(self.first)

    def at(self, positions: np.ndarray) -> _Keys:
        return _Keys(self.first[positions], self.second[positions])


class _Lookup:
    """Positions of keys: `find` gives, for each key asked for, a position holding it (-1: none)."""

    def __init__(self, keys: _Keys) -> None:
        self.keys = keys
        self.order = np.argsort(keys.first, kind="stable").astype(np.int32)
        self.sorted = keys.first[self.order]

    def find(self, wanted: _Keys) -> np.ndarray:
        if not len(self.sorted):
            return np.full(len(wanted), -1, dtype=np.int32)
        at = np.minimum(np.searchsorted(self.sorted, wanted.first), len(self.sorted) - 1)
        found = self.order[at]
        same = (self.sorted[at] == wanted.first) & (self.keys.second[found] == wanted.second)
        return np.where(same, found, np.int32(-1))


def _take(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """`values` at `positions` (-1: null)."""
    return values.take(pa.array(positions, pa.int64(), mask=positions < 0))


def _flags(values: pa.Array) -> np.ndarray:
    """A boolean array (nulls false) as numpy."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _non_ascii(values: pa.Array) -> np.ndarray:
    return ~_flags(pc.fill_null(pc.string_is_ascii(values), True))


def _within(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Which `values` are among `members` (sorted, distinct): `np.isin` without sorting `members` again."""
    if not len(members):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(members, values), len(members) - 1)
    return members[at] == values  # type: ignore[no-any-return]


def _jump(after: np.ndarray, flags: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Pointer jumping along `after` (the next node, -1 at a chain's end): each node's last node (its chain's
    end, or a node of the cycle it runs into), and `flags` spread from every node to those whose chain
    passes it."""
    step = np.where(after >= 0, after, np.arange(len(after), dtype=after.dtype))
    for _ in range(64):  # 2**64 steps: every chain is at its end or in its cycle
        jumped = step[step]
        spread = None if flags is None else flags | flags[step]
        if np.array_equal(jumped, step) and (flags is None or np.array_equal(spread, flags)):
            break
        step, flags = jumped, spread
    return step, flags


@dataclass
class _Held:
    """What one read of the held models keeps: their keys (rows), their parents' keys (edges, in listed order),
    each edge's row, each row's first edge (every held model has a parent), and the rows with a repo id or a
    parent name beyond ASCII."""

    keys: _Keys
    parents: _Keys
    child: np.ndarray
    first: np.ndarray
    beyond_ascii: np.ndarray


def _read_held(lineage: DumpLineage) -> _Held:
    held = _Held(
        _Keys(np.empty(lineage.rows, np.int64), np.empty(lineage.rows, np.int64)),
        _Keys(np.empty(lineage.edges, np.int64), np.empty(lineage.edges, np.int64)),
        np.empty(lineage.edges, np.int32),
        np.empty(lineage.rows, np.int32),
        np.zeros(lineage.rows, dtype=bool),
    )
    rows = edges = 0
    for batch in lineage.derivatives():
        repo_ids, lists = batch.column("repo_id"), batch.column("parent_ids")
        names = pc.list_flatten(lists)
        owner = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False), dtype=np.int64)
        offsets = np.asarray(lists.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        here, there = slice(rows, rows + batch.num_rows), slice(edges, edges + len(names))
        keys, parents = _Keys.of(pc.ascii_lower(repo_ids)), _Keys.of(pc.ascii_lower(names))
        held.keys.first[here], held.keys.second[here] = keys.first, keys.second
        held.parents.first[there], held.parents.second[there] = parents.first, parents.second
        held.child[there] = owner + rows
        held.first[here] = offsets[:-1] - offsets[0] + edges
        held.beyond_ascii[here] = _non_ascii(repo_ids)
        held.beyond_ascii[owner[_non_ascii(names)] + rows] = True
        rows, edges = rows + batch.num_rows, edges + len(names)
    return held


def _pick(batches: Iterator[pa.RecordBatch], column: str, positions: np.ndarray) -> pa.Array:
    """The values at `positions` of the held models' `repo_id`s, or of their parents' names (`parent_ids`,
    edge by edge)."""
    order = np.argsort(positions, kind="stable")
    wanted = positions[order]
    picked = []
    start = 0
    for batch in batches:
        values = batch.column(column)
        if column == "parent_ids":
            values = pc.list_flatten(values)
        mine = wanted[(wanted >= start) & (wanted < start + len(values))] - start
        picked.append(values.take(pa.array(mine, pa.int64())))
        start += len(values)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays([pa.array([], pa.string()), *picked]).take(pa.array(inverse))


def _countries(connection: Connection) -> tuple[pa.Array, pa.Array]:
    """Hugging Face account keys with a country, and the countries."""
    rows = connection.execute(
        text("SELECT handle_key, country FROM accounts WHERE platform = 'hf' AND country IS NOT NULL")
    ).all()
    return pa.array([row[0] for row in rows], pa.string()), pa.array([row[1] for row in rows], pa.string())


def first_dump_roots(connection: Connection, lineage: DumpLineage) -> FirstRoots:
    """The roots of the held models (in their order), and the repo ids the database must resolve."""
    held = _read_held(lineage)
    count = len(held.keys)
    other_parts: list[np.ndarray] = []
    beyond: set[str] = set()  # models without parents beyond ASCII went in rootless: the update finds those
    for chunk in lineage.others():
        names = pc.ascii_lower(chunk).to_pylist()
        other_parts.append(np.fromiter(map(hash, names), np.int64, len(names)))
        beyond.update(pc.ascii_lower(pc.filter(chunk, _non_ascii(chunk))).to_pylist())
    # several models spelled alike but for case: the database's collation picks the spelling of their root
    every = np.concatenate([held.keys.first, *other_parts])
    del other_parts
    every.sort()
    alike = np.unique(every[1:][every[1:] == every[:-1]])  # (or two names sharing a first hash: left too)
    del every
    unresolved = held.beyond_ascii | _within(held.keys.first, alike)

    # First parents followed to the end of their chains by pointer jumping
    nodes = _Lookup(held.keys)
    after = nodes.find(held.parents.at(held.first))
    # (the parents of merges, for the countries of their roots below)
    merges = np.flatnonzero(np.bincount(held.child, minlength=count) > 1)
    merge_edges = np.flatnonzero(_within(held.child, merges))
    merge_parents = nodes.find(held.parents.at(merge_edges))
    del nodes
    last, _ = _jump(after)
    in_cycle = after[last] >= 0
    if in_cycle.any():
        log.info("%d models of the dump have base-model chains that run into a cycle", int(in_cycle.sum()))
    unresolved |= in_cycle
    # each row's root is named by the first parent of its chain's last model; rows sharing it, one position
    rooted = np.flatnonzero(~in_cycle)
    root_edges = held.first[last[rooted]]
    del last
    named = held.parents.at(root_edges)
    roots, naming_at, position = np.unique(named.first, return_index=True, return_inverse=True)
    naming = root_edges[naming_at]  # an edge naming each root
    root = np.full(count, -1, dtype=np.int32)
    root[rooted] = position
    unresolved[rooted[named.second != held.parents.second[naming][position]]] = True  # (a hash shared)
    unresolved[rooted[_within(roots, alike)[position]]] = True
    del root_edges, named, naming_at

    # The spelling of each root: a collected model's own (a model without parents: roots have none), else the
    # one way its parents name it (several ways: the collation picks, left to the database)
    root_keys = pc.ascii_lower(_pick(lineage.derivatives(), "parent_ids", naming))
    spelling = _collected(lineage, held.parents.at(naming))
    never = np.flatnonzero(_flags(pc.is_null(spelling)))
    never_edges = np.flatnonzero(_within(held.parents.first, roots[never]))
    ways = pa.table(
        {
            "root": np.searchsorted(roots, held.parents.first[never_edges]),
            "name": _pick(lineage.derivatives(), "parent_ids", never_edges),
        }
    )
    ways = ways.group_by(["root", "name"]).aggregate([]).group_by("root").aggregate([("name", "list")])
    lists = ways.column("name_list").combine_chunks()
    single = _flags(pc.equal(pc.list_value_length(lists), 1))
    spelling_of_never = pa.nulls(len(roots), pa.string()).to_pylist()
    for at, name in zip(ways.column("root").to_pylist(), pc.list_element(lists, 0).to_pylist(), strict=True):
        spelling_of_never[at] = name
    several = np.zeros(len(roots), dtype=bool)
    several[np.asarray(ways.column("root").to_numpy(), dtype=np.int64)[~single]] = True
    spelling = pc.coalesce(spelling, pa.array(spelling_of_never, pa.string()))
    unresolved[rooted[several[position]]] = True

    # Merges whose parents' roots have different countries, and every model whose chain passes one
    handles, countries = _countries(connection)
    mixed = np.zeros(count, dtype=bool)
    if len(merges) and len(handles):
        edges = merge_edges
        reached = np.where(merge_parents >= 0, root[np.maximum(merge_parents, 0)], -1)
        own = pc.ascii_lower(_pick(lineage.derivatives(), "parent_ids", edges))
        through = pa.array(reached >= 0)
        parent_root = pc.if_else(through, _take(root_keys, reached), own)
        country = countries.take(pc.index_in(namespaces(parent_root), value_set=handles))
        known = pa.table({"child": held.child[edges], "country": country}).filter(pc.is_valid(country))
        per_child = known.group_by("child").aggregate([("country", "count_distinct")])
        many = pc.greater(per_child.column("country_count_distinct"), 1)
        mixed[np.asarray(pc.filter(per_child.column("child"), many).to_numpy(), dtype=np.int64)] = True
    if mixed.any():
        _, mixed = _jump(after, mixed)

    left = pc.ascii_lower(_pick(lineage.derivatives(), "repo_id", np.flatnonzero(unresolved)))
    resolved = pa.array(~unresolved)
    return FirstRoots(
        pc.if_else(resolved, pa.array(root, pa.int32()), pa.scalar(None, pa.int32())),
        spelling,
        namespaces(root_keys),
        pc.if_else(resolved, pa.array(mixed), pa.scalar(None, pa.bool_())),
        sorted(beyond | set(left.to_pylist()) | _alike_names(lineage, held.keys, alike)),
    )


def _collected(lineage: DumpLineage, roots: _Keys) -> pa.Array:
    """For each root, the repo id of the model without parents that has its key (null: none)."""
    lookup = _Lookup(roots)
    at = np.full(len(roots), -1, dtype=np.int64)
    picked: list[pa.Array] = []
    found = 0
    for chunk in lineage.others():
        match = lookup.find(_Keys.of(pc.ascii_lower(chunk)))  # the root each model is, if any
        hit = np.flatnonzero(match >= 0)
        picked.append(chunk.take(pa.array(hit)))
        at[match[hit]] = found + np.arange(
            len(hit)
        )  # several: spelled alike but for case, left to the database
        found += len(hit)
    return _take(pa.concat_arrays([pa.array([], pa.string()), *picked]), at)


def _alike_names(lineage: DumpLineage, keys: _Keys, alike: np.ndarray) -> set[str]:
    """The lower-case repo ids whose first hash is among `alike` (held models' and the others')."""
    if not len(alike):
        return set()
    found = set(
        pc.ascii_lower(
            _pick(lineage.derivatives(), "repo_id", np.flatnonzero(_within(keys.first, alike)))
        ).to_pylist()
    )
    for chunk in lineage.others():
        lowered = pc.ascii_lower(chunk)
        found.update(pc.filter(lowered, pa.array(_within(_Keys.of(lowered).first, alike))).to_pylist())
    return found
