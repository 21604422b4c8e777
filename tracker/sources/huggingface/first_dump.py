"""A first dump's derivatives, held back until their lineage roots are known.

A first dump (into an empty hf_models) inserts its models without parents at once, as their own roots. A model
with parents (about a third of the Hub) needs the root of its first-parent chain, which a later row of the file
may name: rewriting those rows once the roots are known cost about as much as inserting them (each update is
a new row version). So their rows are written to a temporary Arrow file instead (compressed, read back memory-
mapped) and inserted at the dump's end with the roots that attribution computed from the dump's own lineage
(`DumpLineage` in, `FirstRoots` out: tracker.attribution.first_roots).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection

from tracker.sources.huggingface.columns import TYPES, NewModels
from tracker.sources.huggingface.parse import Parent

PARENTS = pa.list_(
    pa.struct(
        [
            ("repo_id", pa.string()),
            ("relation", pa.string()),
            ("position", pa.int32()),
            ("source", pa.string()),
        ]
    )
)
_HELD = pa.schema(
    [*((name, kind) for name, kind in TYPES.items()), ("hub_id", pa.string()), ("parents", PARENTS)]
)
_WRITE = pa.ipc.IpcWriteOptions(compression="lz4")


@dataclass
class DumpLineage:
    """What a first dump says of lineage: its models with parents (`repo_id`, `parents` in listed order, in the
    order they were held) and the repo ids of the models it inserted without parents."""

    derivatives: pa.Table
    others: pa.ChunkedArray


@dataclass
class FirstRoots:
    """The root columns of the held models (in their order), and the lower-case repo ids whose roots the set-
    based update (tracker.attribution.lineage.update_roots) must resolve: the cases an exact answer needs the
    database for (spellings in several cases, ids beyond ASCII, chains into cycles)."""

    root_repo_id: pa.Array
    root_author_key: pa.Array
    root_mixed: pa.Array
    unresolved: list[str] = field(default_factory=list)

    def part(self, start: int, length: int) -> dict[str, pa.Array]:
        """The root columns of `length` held models from the `start`-th."""
        return {
            "root_repo_id": self.root_repo_id.slice(start, length),
            "root_author_key": self.root_author_key.slice(start, length),
            "root_mixed": self.root_mixed.slice(start, length),
        }


# (connection, what the dump says of lineage) -> the held models' roots; attribution supplies it
RootsOf = Callable[[Connection, DumpLineage], FirstRoots]


def _parents_column(parents: dict[int, list[Parent]], rows: int) -> pa.Array:
    return pa.array(
        [
            [(p.repo_id, p.relation, p.position, p.source) for p in parents[i]] if i in parents else None
            for i in range(rows)
        ],
        PARENTS,
    )


class HeldDerivatives:
    """The models with parents of one first dump, in a temporary file (deleted by `close`), and the repo ids of
    the models it inserted without parents. Models held after the file is read (the dump's last few, checked
    against the rest) stay in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="tracker-first-dump-", dir=directory)
        self._path = Path(self._folder.name) / "held.arrow"
        self._file: pa.ipc.RecordBatchFileWriter | None = pa.ipc.new_file(self._path, _HELD, options=_WRITE)
        self._late: list[pa.RecordBatch] = []
        self._others: list[pa.Array] = []

    def hold(self, models: NewModels, hub_ids: Sequence[str]) -> None:
        """Keep models with parents (columns and hub ids) until `held`."""
        if not len(models):
            return
        columns = [models.columns[name] for name in TYPES]
        parents = pa.array(
            [
                [(p.repo_id, p.relation, p.position, p.source) for p in models.parents[i]]
                if i in models.parents
                else None
                for i in range(len(models))
            ],
            PARENTS,
        )
        batch = pa.record_batch([*columns, pa.array(hub_ids, pa.string()), parents], schema=_HELD)
        if self._file is not None:
            self._file.write_batch(batch)
        else:
            self._late.append(batch)

    def add_others(self, repo_ids: pa.Array) -> None:
        """Note the repo ids of models inserted without parents (their own roots)."""
        if len(repo_ids):
            self._others.append(repo_ids)

    def _batches(self) -> list[pa.RecordBatch]:
        if self._file is not None:
            self._file.close()
            self._file = None
        reader = pa.ipc.open_file(pa.memory_map(str(self._path)))
        return [reader.get_batch(index) for index in range(reader.num_record_batches)] + self._late

    def lineage(self) -> DumpLineage:
        """The held models' repo ids and parents (memory-mapped) and the other models' repo ids."""
        held = pa.Table.from_batches(self._batches(), _HELD).select(["repo_id", "parents"])
        return DumpLineage(held, pa.chunked_array(self._others, pa.string()))

    def held(self) -> Iterator[tuple[NewModels, list[str], int]]:
        """The held models, batch by batch: (columns and parents, hub ids, position of the first)."""
        start = 0
        for batch in self._batches():
            columns = {name: batch.column(name) for name in TYPES}
            parents = {
                i: [Parent(*item.values()) for item in items]
                for i, items in enumerate(batch.column("parents").to_pylist())
                if items
            }
            yield NewModels(columns, parents), batch.column("hub_id").to_pylist(), start
            start += batch.num_rows

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._folder.cleanup()
