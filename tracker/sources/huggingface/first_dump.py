"""A first dump's derivatives, held back until their lineage roots are known.

A first dump (into an empty hf_models) inserts its models without parents at once, as their own roots. A model
with parents (about a third of the Hub) needs the root of its first-parent chain, which a later row of the file
may name: rewriting those rows once the roots are known cost about as much as inserting them (each update is
a new row version). So their rows are written to a temporary Arrow file instead (compressed, read back a batch
at a time) and inserted at the dump's end with the roots that attribution computed from the dump's own lineage
(`DumpLineage` in, `FirstRoots` out: tracker.attribution.first_roots).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from tracker.sources.huggingface.columns import TYPES, NewModels

# the rows, their hub ids, and their parents' repo ids alone (what the roots are computed from, read apart)
_HELD = pa.schema([*TYPES.items(), ("hub_id", pa.string()), ("parent_ids", pa.list_(pa.string()))])
_OTHERS = pa.schema([("repo_id", pa.string())])
_WRITE = pa.ipc.IpcWriteOptions(compression="zstd")  # a third smaller than lz4, as fast here


@dataclass
class DumpLineage:
    """What a first dump says of lineage, read again from its files on each call, a batch at a time and always
    in the same batches: its models with parents (`derivatives()`: batches of `repo_id` and `parent_ids` in
    listed order, in the order they were held) and the repo ids of the models it inserted without parents
    (`others()`)."""

    derivatives: Callable[[], Iterator[pa.RecordBatch]]
    others: Callable[[], Iterator[pa.Array]]
    rows: int  # held models
    edges: int  # their parents


@dataclass
class FirstRoots:
    """The roots of the held models: for each (in their order) the position of its root among `root_repo_id`
    and `root_author_key` (one per distinct root; null: left to the database) and its `root_mixed` flag; and
    the lower-case repo ids whose roots the set-based update (tracker.attribution.lineage.update_roots) must
    resolve, the cases an exact answer needs the database for (spellings in several cases, ids beyond ASCII,
    chains into cycles)."""

    root: pa.Array
    root_repo_id: pa.Array
    root_author_key: pa.Array
    root_mixed: pa.Array
    unresolved: list[str] = field(default_factory=list)

    def part(self, start: int, length: int) -> dict[str, pa.Array]:
        """The root columns of `length` held models from the `start`-th."""
        root = self.root.slice(start, length)
        return {
            "root_repo_id": self.root_repo_id.take(root),
            "root_author_key": self.root_author_key.take(root),
            "root_mixed": self.root_mixed.slice(start, length),
        }


# (connection, what the dump says of lineage) -> the held models' roots; attribution supplies it
RootsOf = Callable[[Connection, DumpLineage], FirstRoots]


class HeldDerivatives:
    """The models with parents of one first dump, in a temporary file (deleted by `close`), and the repo ids of
    the models it inserted without parents, in another. Those noted after the files are read (the dump's last
    few, checked against the rest) stay in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="tracker-first-dump-", dir=directory)
        self._path = Path(self._folder.name) / "held.arrow"
        self._file: pa.ipc.RecordBatchFileWriter | None = pa.ipc.new_file(self._path, _HELD, options=_WRITE)
        self._late: list[pa.RecordBatch] = []
        self._others_path = Path(self._folder.name) / "others.arrow"
        self._others: pa.ipc.RecordBatchFileWriter | None = pa.ipc.new_file(
            self._others_path, _OTHERS, options=_WRITE
        )
        self._late_others: list[pa.Array] = []
        self.rows = self.edges = 0

    def hold(self, models: NewModels, hub_ids: pa.Array) -> None:
        """Keep models with parents (columns and hub ids) until `held`."""
        if not len(models):
            return
        parents = models.columns["parents"]
        offsets = pc.subtract(parents.offsets, parents.offsets[0])
        parent_ids = pa.ListArray.from_arrays(offsets, pc.list_flatten(parents).field("repo_id"))
        columns = [*(models.columns[name] for name in TYPES), hub_ids, parent_ids]
        batch = pa.record_batch(columns, schema=_HELD)
        self.rows, self.edges = self.rows + len(models), self.edges + len(parent_ids.values)
        if self._file is not None:
            self._file.write_batch(batch)
        else:
            self._late.append(batch)

    def add_others(self, repo_ids: pa.Array) -> None:
        """Note the repo ids of models inserted without parents (their own roots)."""
        if not len(repo_ids):
            return
        if self._others is not None:
            self._others.write_batch(pa.record_batch([repo_ids], schema=_OTHERS))
        else:
            self._late_others.append(repo_ids)

    def _batches(self, fields: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The held batches one at a time (only `fields`), read from the file (not mapped: a batch's memory is
        freed once the next is read), then the late ones."""
        if self._file is not None:
            self._file.close()
            self._file = None
        included = [_HELD.get_field_index(name) for name in fields] if fields else None
        with pa.OSFile(str(self._path)) as source:
            reader = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(included_fields=included))
            for index in range(reader.num_record_batches):
                yield reader.get_batch(index)
        for batch in self._late:
            yield batch.select(fields) if fields else batch

    def lineage(self) -> DumpLineage:
        """The held models' repo ids and parents, and the other models' repo ids (read as used)."""
        if self._others is not None:
            self._others.close()
            self._others = None
        return DumpLineage(
            lambda: self._batches(["repo_id", "parent_ids"]), self._other_chunks, self.rows, self.edges
        )

    def _other_chunks(self) -> Iterator[pa.Array]:
        with pa.OSFile(str(self._others_path)) as source:
            reader = pa.ipc.open_file(source)
            for index in range(reader.num_record_batches):
                yield reader.get_batch(index).column(0)
        yield from self._late_others

    def held(self) -> Iterator[tuple[NewModels, pa.Array, int]]:
        """The held models, batch by batch: (columns, hub ids, position of the first)."""
        start = 0
        for batch in self._batches():
            yield NewModels({name: batch.column(name) for name in TYPES}), batch.column("hub_id"), start
            start += batch.num_rows

    def close(self) -> None:
        for writer in (self._file, self._others):
            if writer is not None:
                writer.close()
        self._file = self._others = None
        self._folder.cleanup()
