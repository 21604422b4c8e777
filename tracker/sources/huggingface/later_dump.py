"""A later dump's models listed as stored but for their counters, written by a few statements at its end.

From one dump to the next, most of the Hub's models keep every value but their four counters (downloads,
downloads of all time, likes, trending score), and the long tail keeps those too. Each
row a dump wrote keeps the digest of its other values (`dump_digest`, see tracker.sources.huggingface.dump_read).
Before a later dump's first batch, `StoredDigests.load` reads every stored row's repo id and digest into
memory, as a 64-bit hash of the repo id and the digest in sorted numpy arrays (about 35 MB at two million
models). A model whose repo id and digest match a row goes, as columns (repo id, digest, the counters), to a
temporary table (`hf_dump_same`), with no row built, no lookup and no Python object per value; the others
(new models, changed ones, repeats) go through the matching path. After the last batch, `write_same` finds
them all as their stored rows in one join, then updates the counters that moved, writes the snapshots
retention keeps and stages them, each in one statement over the whole table: rows listed exactly as stored
are left alone, dates included.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Date, bindparam, column, delete, table, text

from tracker.db.bulk import insert_columns, read_rows
from tracker.memory import release_freed_memory
from tracker.sources.huggingface.dump_read import COUNTERS as DUMP_COUNTERS
from tracker.sources.huggingface.dump_read import DumpBatch
from tracker.sources.huggingface.retention import ACTIVE_DOWNLOADS_30D

log = logging.getLogger(__name__)

SAME, FOUND = "hf_dump_same", "hf_dump_found"
COUNTERS = tuple(name for name, _ in DUMP_COUNTERS)
_COUNTER_COLUMNS = ", ".join(f"{name} BIGINT" for name in COUNTERS)
# the dump's temporary tables (created and emptied with its others): the models listed as stored, and the
# stored rows they were found as, with what follows for each
TABLES = {
    SAME: f"repo_id VARCHAR(300) NOT NULL, digest BIGINT NOT NULL, {_COUNTER_COLUMNS}",
    FOUND: f"id INTEGER NOT NULL, hub_id VARCHAR(40) NOT NULL, {_COUNTER_COLUMNS}, kept BOOLEAN, moved BOOLEAN",
}


def _hashes(repo_ids: Sequence[str]) -> np.ndarray:
    # Python's own string hash, keyed per process: the arrays live only as long as the dump's write
    return np.fromiter(map(hash, repo_ids), np.int64, len(repo_ids))


@dataclass
class StoredDigests:
    """The stored rows a later dump may find listed as stored: a hash of each one's repo id (sorted, distinct),
    its digest, whether this dump listed it already (a repeat goes through the matching path, so the last
    listing wins) and whether that listing waits in hf_dump_same."""

    hashes: np.ndarray
    digests: np.ndarray
    seen: np.ndarray
    waiting: np.ndarray

    @classmethod
    def load(cls, connection: Connection) -> StoredDigests:
        """Every row of hf_models a later dump may leave alone but for its counters: written by a dump (its
        digest), listed, with metrics (a dump's, so no newer than the newest dump's). A repo id that two rows
        carry (or two repo ids sharing a hash) is left out: those go through the matching path."""
        stored = cls.of(*_stored_digests(connection))
        release_freed_memory()  # the temporaries took three times what is kept
        return stored

    @classmethod
    def of(cls, hashes: np.ndarray, digests: np.ndarray) -> StoredDigests:
        """Rows by their repo ids' hashes (sorted, distinct) and digests, none listed yet."""
        return cls(hashes, digests, np.zeros(len(hashes), dtype=bool), np.zeros(len(hashes), dtype=bool))

    def sort(self, batch: DumpBatch) -> tuple[np.ndarray, list[str]]:
        """Which of the batch's models are listed as a stored row was written but for their counters, the first
        time this dump lists them; and the repo ids of models listed again whose earlier listing waits in
        hf_dump_same (to be taken out of it: the matching path writes the last listing)."""
        count = len(batch.ids)
        if not len(self.hashes) or not count:
            return np.zeros(count, dtype=bool), []
        wanted = _hashes(batch.ids)
        order = np.argsort(wanted)  # (searching sorted keys, numpy narrows each search by the one before)
        at = np.empty(count, dtype=np.int64)
        at[order] = np.minimum(np.searchsorted(self.hashes, wanted[order]), len(self.hashes) - 1)
        found = self.hashes[at] == wanted
        again = found & self.waiting[at]
        digests = np.fromiter((value or 0 for value in batch.digests), np.int64, count)
        same = found & (self.digests[at] == digests) & (digests != 0) & ~self.seen[at]
        self.seen[at[found]] = True
        self.waiting[at[again]] = False
        self.waiting[at[same]] = True
        return same, [batch.ids[index] for index in np.flatnonzero(again)]


def _stored_digests(connection: Connection) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the repo ids (sorted) and the digests of the rows `StoredDigests.load` keeps."""
    query = (
        "SELECT repo_id, CASE WHEN dump_digest IS NOT NULL AND unlisted_on IS NULL "
        "AND metrics_on IS NOT NULL THEN dump_digest END FROM hf_models"
    )
    hashes, digests = [], []
    for rows in read_rows(connection, query):
        names, values = zip(*rows, strict=True)
        hashes.append(_hashes(names))
        # 0 stands for no digest below (a digest of 0 is as good as absent: the row is matched instead)
        digests.append(np.fromiter((value or 0 for value in values), np.int64, len(values)))
    every = np.concatenate(hashes) if hashes else np.zeros(0, np.int64)
    digest = np.concatenate(digests) if digests else np.zeros(0, np.int64)
    order = np.argsort(every, kind="stable")
    every, digest = every[order], digest[order]
    shared = np.zeros(len(every), dtype=bool)
    if len(every) > 1:
        twice = every[1:] == every[:-1]
        shared[1:] |= twice
        shared[:-1] |= twice
    kept = ~shared & (digest != 0)
    return every[kept], digest[kept]


def stage_same(connection: Connection, batch: DumpBatch, same: np.ndarray, again: Sequence[str]) -> None:
    """Add the batch's models at `same` (repo id, digest, counters) to the dump's table of them, after taking
    out those listed `again`."""
    if again:
        waiting = table(SAME, column("repo_id"))
        connection.execute(delete(waiting).where(waiting.c.repo_id.in_(list(again))))
    if not same.any():
        return
    kept = pa.array(same)
    counters = batch.counters()
    insert_columns(
        connection,
        SAME,
        {
            "repo_id": pa.array(batch.ids, pa.string()).filter(kept),
            "digest": pa.array(batch.digests, pa.int64()).filter(kept),
            **{name: counters[name].filter(kept) for name in COUNTERS},
        },
    )


def write_same(connection: Connection, staging: str, day: dt.date) -> int:
    """After the dump's last batch: the models of hf_dump_same are found as their stored rows (by repo id and
    digest, which have not moved since) in one join, into hf_dump_found with whether retention keeps the day's
    snapshot (tracker.sources.huggingface.retention, from the stored counters and the listed ones) and whether
    their counters moved. Those whose counters moved get them, with the day as `metrics_on` and
    `last_seen_on`; the snapshots kept are written; all go to the day's `staging` table. Returns the models
    staged.

    One join instead of one per statement: SQLite joins through an index probe per model (17 s in three
    joins at two million models, 10 s this way); PostgreSQL hashes either way."""
    moved = " OR ".join(f"COALESCE(m.{name}, -1) <> COALESCE(s.{name}, -1)" for name in COUNTERS)
    kept = (
        f"COALESCE(s.downloads_30d, 0) >= {ACTIVE_DOWNLOADS_30D} "
        f"OR COALESCE(m.downloads_30d, 0) >= {ACTIVE_DOWNLOADS_30D} "
        "OR COALESCE(s.likes, 0) <> COALESCE(m.likes, 0) OR m.metrics_on = :day"
    )
    counters = ", ".join(COUNTERS)
    day_parameter = bindparam("day", type_=Date())
    connection.execute(text(f"ANALYZE {SAME}"))
    connection.execute(
        text(
            f"INSERT INTO {FOUND} (id, hub_id, {counters}, kept, moved) "
            f"SELECT m.id, m.hub_id, {', '.join(f's.{name}' for name in COUNTERS)}, {kept}, {moved} "
            f"FROM {SAME} s JOIN hf_models m ON m.repo_id = s.repo_id AND m.dump_digest = s.digest"
        ).bindparams(day_parameter),
        {"day": day},
    )
    connection.execute(text(f"ANALYZE {FOUND}"))
    # the counters before the snapshots: PostgreSQL checks each snapshot's model row, cheaper once updated
    connection.execute(
        text(
            "UPDATE hf_models SET "
            + ", ".join(f"{name} = f.{name}" for name in COUNTERS)
            + f", metrics_on = :day, last_seen_on = :day FROM {FOUND} f WHERE hf_models.id = f.id AND f.moved"
        ).bindparams(day_parameter),
        {"day": day},
    )
    connection.execute(
        text(
            f"INSERT INTO hf_model_snapshots (model_id, captured_on, {counters}) "
            f"SELECT id, :day, {counters} FROM {FOUND} WHERE kept "
            "ON CONFLICT (model_id, captured_on) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in COUNTERS)
        ).bindparams(day_parameter),
        {"day": day},
    )
    staged = (
        connection.execute(
            text(
                f"INSERT INTO {staging} (hub_id, downloads_30d, likes, is_new) "
                f"SELECT hub_id, downloads_30d, likes, FALSE FROM {FOUND}"
            )
        ).rowcount
        or 0
    )
    listed = connection.execute(text(f"SELECT COUNT(*) FROM {SAME}")).scalar() or 0
    if staged < listed:  # a row this dump renamed meanwhile: the model was staged under its other name
        log.info("dump %s: %d models listed as stored were staged under another name", day, listed - staged)
    return staged
