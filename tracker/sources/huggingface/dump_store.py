"""Writing one dump into the database through the API collector's store (`store_repos`).

The dump has no `_id`, so rows are matched on the repo id: a model the API collector stored keeps its `_id`
row; a name found only among `former_names` goes to the renamed row; any other model gets a placeholder key
`dump:<hash of the repo id>`, which `store_repos` swaps for the real `_id` when the API later lists the model
(merging the two rows after a rename). A dump older than a model's stored `metrics_on` only adds history
(the day's snapshot for active models); newer metrics are never overwritten.

A later dump builds rows only for the models it lists with other values than the dump that last wrote them,
counters aside: each stored row keeps the digest of the dump values it was written from but its counters
(`dump_digest`, NULL once the API writes the row); a model listed with the same digest keeps its row and its
edges, and only its counters (and dates) are updated at the dump's end, by a statement over all of them
(tracker.sources.huggingface.later_dump); a model listed exactly as stored keeps its dates too.

Every listed model's downloads and likes of the dump's day also go to a temporary staging table
(`hf_dump_day`), from which the day's exact roll-up by country is computed (tracker.attribution.rollups)
and the models missing from the dump are marked `unlisted_on` (never deleted). A first dump (into an empty
hf_models) lists every model the table then holds, with its figures: it stages only the listings of models
listed more than once (`Listed`). The repo ids whose lineage
roots can have changed (new, renamed, other parents) go to a second one (`hf_dump_lineage`), for the roots
to be brought up to date before the roll-up (tracker.attribution.lineage).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint, UniqueConstraint

from tracker.db.bulk import copy_values, rows_with_keys
from tracker.db.models import FormerName, HfDump, HfModel, HfModelParent, HfModelSnapshot
from tracker.memory import release_freed_memory
from tracker.sources.huggingface.columns import NewModels, dump_hub_id
from tracker.sources.huggingface.dump_read import DumpBatch
from tracker.sources.huggingface.first_dump import HeldDerivatives, RootsOf
from tracker.sources.huggingface.later_dump import TABLES as LATER_TABLES
from tracker.sources.huggingface.later_dump import StoredDigests, stage_same, write_same
from tracker.sources.huggingface.parse import RepoRow
from tracker.sources.huggingface.retention import ACTIVE_DOWNLOADS_30D
from tracker.sources.huggingface.store import LOOKUP_COLUMNS, Stored, insert_new_models, store_repos

STAGING = "hf_dump_day"
LINEAGE_CHANGES = "hf_dump_lineage"
_TABLES = {  # temporary table -> (columns, the column SQLite indexes once the rows are in)
    STAGING: ("hub_id VARCHAR(40) NOT NULL, downloads_30d BIGINT, likes BIGINT, is_new BOOLEAN", "hub_id"),
    LINEAGE_CHANGES: ("key VARCHAR(300) NOT NULL", "key"),
}
# and a later dump's (tracker.sources.huggingface.later_dump), which it analyzes itself
_ALL_TABLES = {**{table: columns for table, (columns, _) in _TABLES.items()}, **LATER_TABLES}


# Indexes a dump into an empty hf_models builds once at its end instead of row by row (unique keys stay), and
# on PostgreSQL the foreign keys on hf_models, checked once at the end instead of by a trigger per row.
_BULK_INDEXES = [
    index for model in (HfModel, HfModelParent, HfModelSnapshot) for index in model.__table__.indexes
]
_BULK_FOREIGN_KEYS = [
    key for model in (HfModelParent, HfModelSnapshot) for key in model.__table__.foreign_key_constraints
]
# On PostgreSQL the unique key of placeholder keys too (random keys: at two million, inserting into its index
# cost more than building it), until the dump's last batch is in (`_end_first_dump`): nothing looks a model
# up by its key before.
_HUB_KEY = next(
    key
    for key in HfModel.__table__.constraints
    if isinstance(key, UniqueConstraint) and key.name == "uq_hf_models_hub_id"
)


_HEX = np.zeros(256, dtype=np.int64)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16)
_NIBBLES = 16 ** np.arange(6, -1, -1, dtype=np.int64)


class WrittenKeys:
    """The placeholder keys a first dump has written so far, as a Bloom filter of 2**27 bits (16 MB) with four
    probes taken from each key's SHA-1 digits: a key with a probe's bit clear was certainly not written; one whose
    four bits are set may have been (about one new key in 100,000 once two million are written). Holding the keys
    themselves would take hundreds of MB."""

    BITS = 1 << 27

    def __init__(self) -> None:
        self._bits = np.zeros(max(self.BITS // 8, 1), dtype=np.uint8)

    def mark(self, hub_ids: Sequence[str]) -> list[int]:
        """Mark `hub_ids` (distinct placeholder keys) written; returns the positions of those that may have been
        written before."""
        if not hub_ids:
            return []
        # the key ends in 35 hex digits of a SHA-1 (dump_hub_id): four probes of 7 digits each
        digits = np.frombuffer("".join(key[-28:] for key in hub_ids).encode("ascii"), dtype=np.uint8)
        probes = (_HEX[digits].reshape(-1, 4, 7) * _NIBBLES).sum(axis=2) % self.BITS
        byte, mask = probes >> 3, np.left_shift(1, probes & 7).astype(np.uint8)
        seen = ((self._bits[byte] & mask) != 0).all(axis=1)
        np.bitwise_or.at(self._bits, byte.ravel(), mask.ravel())
        return np.flatnonzero(seen).tolist()  # type: ignore[no-any-return]


@dataclass
class FirstDump:
    """A first dump in progress: the keys written so far, the models with parents held back until their roots
    are known, the rows that may repeat an earlier one (checked at the end), and who computes the roots."""

    roots_of: RootsOf
    held: HeldDerivatives
    written: WrittenKeys = field(default_factory=lambda: WrittenKeys())
    maybe_again: list[RepoRow] = field(default_factory=list)
    day: dt.date | None = None


@dataclass
class DumpWrite:
    """What `start_dump` found for the dump of `day`: whether it goes into an empty hf_models (a first dump, then
    its state); the day of the newest dump already written (None: none yet); a later dump's stored digests."""

    into_empty: bool
    day: dt.date
    first: FirstDump | None = None
    newest: dt.date | None = None
    stored: StoredDigests | None = None  # a later dump's stored digests (None: a first or an older dump)

    def older_than_written(self, day: dt.date) -> bool:
        """Whether a dump of `day` is older than one already written (a retried failure, or `--force`)."""
        return self.newest is not None and self.newest > day

    @property
    def listed(self) -> Listed:
        """Where the dump's listed models and their figures are, once its last batch is staged."""
        return Listed(STAGING, self.into_empty)


@dataclass(frozen=True)
class Listed:
    """The models a written dump listed, with the day's figures: the rows (hub_id, downloads_30d, likes,
    is_new) of table `staging`, one per listing; or, after a first dump (`every_model`), every model of
    hf_models with its stored figures, `staging` then holding every listing of the models listed more than
    once only (staging two million models and joining them back to their rows cost a fifth of a first dump on
    SQLite). A model listed more than once counts with its highest figures either way."""

    staging: str
    every_model: bool


def holds_models(session: Session) -> bool:
    """Whether hf_models holds any model (a dump written now is a later dump, not a first one)."""
    return session.execute(text("SELECT 1 FROM hf_models LIMIT 1")).first() is not None


def start_dump(session: Session, day: dt.date, roots_of: RootsOf, directory: Path | None = None) -> DumpWrite:
    """Create (or empty) the staging tables of the dump of `day` being written, in this session's connection.

    A later dump (into a table that holds models) that is no older than every dump written reads the stored
    rows' digests first (tracker.sources.huggingface.later_dump), before any batch is read.

    Into an empty hf_models (a first dump), models certainly new go in without lookups (`insert_new_models`),
    and the secondary indexes (and PostgreSQL's foreign keys) are dropped until `end_dump` builds them again
    (in the dump's transaction; until it commits, readers of those tables wait). Its models with parents are
    held back (in temporary files in `directory`, default TMPDIR) until `end_staging` inserts them with the
    roots `roots_of` computes (tracker.sources.huggingface.first_dump)."""
    # Emptied by TRUNCATE on PostgreSQL: the rows a DELETE leaves behind in a temporary table (which nothing
    # vacuums) would be read by every scan of the next dumps written on this connection.
    empty_table = "TRUNCATE" if session.get_bind().dialect.name == "postgresql" else "DELETE FROM"
    for table, columns in _ALL_TABLES.items():
        session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({columns})"))
        session.execute(text(f"DROP INDEX IF EXISTS ix_{table}"))  # built once the rows are in (SQLite)
        session.execute(text(f"{empty_table} {table}"))
    if holds_models(session):
        newest = session.scalar(select(func.max(HfDump.dump_on)).where(HfDump.status == "ingested"))
        write = DumpWrite(False, day, newest=_as_date(newest))
        if not write.older_than_written(day):
            write.stored = StoredDigests.load(session.connection())
        return write
    connection = session.connection()
    for index in _BULK_INDEXES:
        index.drop(connection)
    if connection.dialect.name == "postgresql":
        for key in (*_BULK_FOREIGN_KEYS, _HUB_KEY):
            connection.execute(DropConstraint(key))
    return DumpWrite(True, day, FirstDump(roots_of, HeldDerivatives(directory)))


def end_dump(session: Session, write: DumpWrite) -> None:
    """After a first dump (`write.into_empty`, its held models inserted by `end_staging`): build the indexes and
    foreign keys `start_dump` dropped."""
    if not write.into_empty:
        return
    connection = session.connection()
    for index in _BULK_INDEXES:
        index.create(connection)
    if connection.dialect.name == "postgresql":
        for key in _BULK_FOREIGN_KEYS:
            connection.execute(AddConstraint(key))


def end_staging(session: Session, write: DumpWrite) -> None:
    """After the dump's last batch: insert a first dump's held models (`_end_first_dump`), or write a later
    dump's models listed as stored (tracker.sources.huggingface.later_dump); give the planner the staging tables'
    statistics (and those of a first dump's tables on PostgreSQL); on SQLite, index them (one sorted build
    instead of an insert per row).

    Nothing analyzes temporary tables by itself; without statistics PostgreSQL plans the unlisted marks and
    the roll-up as if the table were small (a loop of one index probe per staged model). With them it joins
    the whole staging table by hashing, which an index would not speed up (measured: building it cost more
    than it saved); SQLite joins only through indexes."""
    # The batches' buffers are free by now: give them back before the roots are computed and the statements
    # over the whole dump sort and join (SQLite's in this process)
    release_freed_memory()
    if write.first is not None:
        _end_first_dump(session, write.first)
    if write.stored is not None:
        write_same(session.connection(), STAGING, write.day)
    for table in _TABLES:
        _index_and_analyze(session, table)
    if write.into_empty and session.get_bind().dialect.name == "postgresql":
        for table in ("hf_models", "hf_model_parents"):
            session.execute(text(f"ANALYZE {table}"))


def _index_and_analyze(session: Session, table: str) -> None:
    """Statistics of a staging table for the planner; on SQLite, its index too (built once the rows are in)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(text(f"CREATE INDEX IF NOT EXISTS ix_{table} ON {table} ({_TABLES[table][1]})"))
    session.execute(text(f"ANALYZE {table}"))


def _newest_of(day: dt.date | None, other: dt.date | None) -> dt.date | None:
    return other if day is None or (other is not None and other > day) else day


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    return dt.date.fromisoformat(str(value)[:10])


def store_dump_batch(session: Session, batch: DumpBatch, day: dt.date, write: DumpWrite | None = None) -> int:
    """Store one batch of a dump read for `day`; returns the models stored. `write`: what `start_dump` found
    (without it, every model is matched against the stored ones).

    A later dump's models listed as a stored row was written but for their counters wait in a table of their
    own for `end_staging` (tracker.sources.huggingface.later_dump): their rows are never built."""
    if not batch.ids:
        return 0
    if write is not None and write.first is not None:
        first = write.first
        first.day = day
        hub_ids = batch.hub_ids
        again = first.written.mark(hub_ids)
        models, keys = batch.models, pa.array(hub_ids, pa.string())
        if again:  # may repeat a model written earlier in this dump: kept until its end (`_end_first_dump`)
            first.maybe_again.extend(batch.rows_at(again))
            new = np.ones(len(hub_ids), dtype=bool)
            new[again] = False
            models, keys = models.filter(pa.array(new)), keys.filter(pa.array(new))
        return _store_new(session, models, keys, day, first)
    # An older dump than one already written only adds history: its models are matched row by row, and a
    # stored `metrics_on` newer than the dump's counts as that of the newest dump
    newest = write.newest if write is not None and write.older_than_written(day) else None
    same = 0
    if write is not None and write.stored is not None:
        listed_as_stored, again = write.stored.sort(batch)
        same = int(listed_as_stored.sum())
        stage_same(session.connection(), batch, listed_as_stored, again)
    rows = batch.rows_at(np.flatnonzero(~listed_as_stored).tolist()) if same else batch.rows
    known: dict[str, Stored] = {}
    for hub_id, repo_id, metrics_on, *rest in rows_with_keys(
        session.connection(), HfModel.__table__, LOOKUP_COLUMNS, "repo_id", [row.repo_id for row in rows]
    ):  # a second row under the same name: the last is matched
        known[repo_id] = (hub_id, repo_id, _newest_of(_as_date(metrics_on), newest), *rest)
    missing = [row.repo_id for row in rows if row.repo_id not in known]
    renamed: dict[str, str] = {}
    if missing:
        renamed = {
            name: entity_id
            for name, entity_id in rows_with_keys(
                session.connection(),
                FormerName.__table__,
                ["name", "entity_id"],
                "name",
                missing,
                entity="hf_model",
            )
        }
        if renamed:
            found = {
                hub_id: (hub_id, repo_id, _newest_of(_as_date(metrics_on), newest), *rest)
                for hub_id, repo_id, metrics_on, *rest in rows_with_keys(
                    session.connection(),
                    HfModel.__table__,
                    LOOKUP_COLUMNS,
                    "hub_id",
                    sorted(set(renamed.values())),
                )
            }
            for name, hub_id in renamed.items():
                if hub_id in found:
                    known[name] = found[hub_id]
    return same + _store_matched(session, rows, day, known, renamed)


def _store_new(session: Session, models: NewModels, hub_ids: pa.Array, day: dt.date, first: FirstDump) -> int:
    """Store a first dump's models certainly not stored yet, as columns with their `hub_ids` (their figures are
    not staged: `Listed`): those without parents now (their own roots), the others held until their roots are
    known."""
    derivatives = models.with_parents()
    held = pc.sum(derivatives).as_py() or 0
    if held:
        first.held.hold(models.filter(derivatives), hub_ids.filter(derivatives))
        own = pc.invert(derivatives)
        models, hub_ids = models.filter(own), hub_ids.filter(own)
    first.held.add_others(models.columns["repo_id"])
    return insert_new_models(session, models, hub_ids, day) + held


def _end_first_dump(session: Session, first: FirstDump) -> None:
    """After a first dump's last batch: the rows that may have repeated an earlier one and did not are stored as
    new models, then the held models go in with their roots, then (once PostgreSQL's unique key of placeholder
    keys is back) the repeats through the matching path: the last listing of a model wins. The repo ids whose
    roots need the set-based update are noted for it."""
    repeats: list[RepoRow] = []
    try:
        if first.day is not None:  # (None: no rows at all)
            repeats = _store_first_listings(session, first, first.day)
            roots = first.roots_of(session.connection(), first.held.lineage())
            for models, hub_ids, start in first.held.held():
                insert_new_models(session, models, hub_ids, first.day, roots.part(start, len(models)))
            _note_lineage_changes(session, roots.unresolved)
    finally:
        first.held.close()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(AddConstraint(_HUB_KEY))
    if repeats:  # (rows were read: `first.day` is set)
        _stage_first_listings(session, [dump_hub_id(row.repo_id) for row in repeats])
        _store_matched(session, repeats, first.day, {}, {})  # type: ignore[arg-type]


def _store_first_listings(session: Session, first: FirstDump, day: dt.date) -> list[RepoRow]:
    """Store the rows that may have repeated an earlier one but did not (as new models); returns the repeats."""
    if not first.maybe_again:
        return []
    lineage = first.held.lineage()
    names = pa.array([row.repo_id for row in first.maybe_again], pa.string())
    held = (batch.column("repo_id") for batch in lineage.derivatives())
    written = {
        name
        for column in itertools.chain(held, lineage.others())
        for name in pc.filter(column, pc.is_in(column, value_set=names)).to_pylist()
    }
    new, repeats = [], []
    for row in first.maybe_again:
        (repeats if row.repo_id in written else new).append(row)
        written.add(row.repo_id)
    hub_ids = pa.array([dump_hub_id(row.repo_id) for row in new], pa.string())
    _store_new(session, NewModels.of_rows(new), hub_ids, day, first)
    return repeats


_Staged = tuple[str, int | None, int | None, bool]


def _stage_first_listings(session: Session, hub_ids: Sequence[str]) -> None:
    """Stage the figures a first dump stored for models it lists again (their first listing's), before the
    later listings are stored and staged: the staging table then holds every listing of those models."""
    columns = ["hub_id", "downloads_30d", "likes"]
    stored = rows_with_keys(session.connection(), HfModel.__table__, columns, "hub_id", sorted(set(hub_ids)))
    _stage(session, [(hub_id, downloads, likes, True) for hub_id, downloads, likes in stored])


def _stage(session: Session, staged: Sequence[_Staged]) -> None:
    """Add (hub_id, downloads_30d, likes, new to the database) of listed models to the day's staging table."""
    columns = ("hub_id", "downloads_30d", "likes", "is_new")
    copy_values(session.connection(), STAGING, columns, ("text", "int8", "int8", "bool"), staged)


def _note_lineage_changes(session: Session, keys: Sequence[str]) -> None:
    """Add repo ids (lower case) whose lineage roots can have changed to the dump's table of them."""
    copy_values(session.connection(), LINEAGE_CHANGES, ("key",), ("text",), [(key,) for key in keys])


def _store_matched(
    session: Session,
    rows: Sequence[RepoRow],
    day: dt.date,
    known: dict[str, Stored],
    renamed: dict[str, str],
) -> int:
    """Store a batch whose stored models were found: `known` maps a repo id to its model's stored row
    (LOOKUP_COLUMNS), `renamed` a former name to its model's hub_id (models not in `known` are looked up on
    their placeholder key by `store_repos`)."""
    if not rows:
        return 0
    stored: dict[str, RepoRow] = {}
    looked_up: dict[str, Stored] = {}
    staged: list[_Staged] = []
    for row in rows:
        found = known.get(row.repo_id)
        hub_id, metrics_on = (found[0], found[2]) if found else (dump_hub_id(row.repo_id), None)
        row.hub_id = hub_id
        staged.append((hub_id, row.downloads_30d, row.likes, found is None))
        if metrics_on is not None and metrics_on > day and (row.downloads_30d or 0) < ACTIVE_DOWNLOADS_30D:
            continue  # newer metrics are stored: only the active head gets an older day's snapshot
        if hub_id in stored and row.repo_id in renamed:
            continue  # the same model under its current and a former name: keep the current one
        stored[hub_id] = row
        if found:
            looked_up[hub_id] = found
    _stage(session, staged)
    if not stored:
        return 0
    changes: list[str] = []
    count = store_repos(
        session,
        "models",
        list(stored.values()),
        day,
        from_dump=True,
        looked_up=list(looked_up.values()),
        lineage_changes=changes,
    )
    _note_lineage_changes(session, changes)
    return count


def mark_unlisted(session: Session, write: DumpWrite) -> tuple[int, int]:
    """After a whole dump (of `write.day`): mark the models it no longer lists, unmark those listed again.

    A dump leaves the row of a model listed as it was alone, dates included, so `last_seen_on` is only a lower
    bound of the last dump that listed a model; a model marked no longer listed is always written when listed
    again. Models are marked only by a dump newer than every dump written (an older one replayed later never
    hides a model seen since). Of the models an older dump adds, those the next newer dump written did not
    list are marked from that dump. Returns (marked, listed again).

    A first dump lists every model hf_models holds, none of them marked: only a newer dump written before it
    (which listed none of them) marks them."""
    day = write.day
    later = session.scalar(
        select(func.min(HfDump.dump_on)).where(HfDump.dump_on > day, HfDump.status == "ingested")
    )
    if write.listed.every_model:
        if later is None:
            return 0, 0
        update = "UPDATE hf_models SET unlisted_on = :later WHERE unlisted_on IS NULL OR unlisted_on > :later"
        return session.execute(text(update), {"later": later}).rowcount or 0, 0
    marked = 0
    if later is None:
        marked = session.execute(
            text(
                f"UPDATE hf_models SET unlisted_on = :day WHERE unlisted_on IS NULL "
                f"AND (last_seen_on IS NULL OR last_seen_on < :day) "
                f"AND NOT EXISTS (SELECT 1 FROM {STAGING} d WHERE d.hub_id = hf_models.hub_id)"
            ),
            {"day": day},
        ).rowcount
    again = session.execute(
        text(
            f"UPDATE hf_models SET unlisted_on = NULL WHERE unlisted_on IS NOT NULL AND unlisted_on <= :day "
            f"AND last_seen_on >= unlisted_on "
            f"AND EXISTS (SELECT 1 FROM {STAGING} d WHERE d.hub_id = hf_models.hub_id)"
        ),
        {"day": day},
    ).rowcount
    if later is not None:
        marked += (
            session.execute(
                text(
                    f"UPDATE hf_models SET unlisted_on = :later WHERE (unlisted_on IS NULL OR unlisted_on > :later) "
                    f"AND EXISTS (SELECT 1 FROM {STAGING} d WHERE d.hub_id = hf_models.hub_id AND d.is_new)"
                ),
                {"later": later},
            ).rowcount
            or 0
        )
    return marked or 0, again or 0


def count_listed(session: Session, write: DumpWrite) -> int:
    """How many models the dump written listed (a model listed more than once counts once)."""
    if write.listed.every_model:
        return int(session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar() or 0)
    # (a GROUP BY, which PostgreSQL hashes, instead of COUNT(DISTINCT), which it sorts: half the time)
    count = f"SELECT COUNT(*) FROM (SELECT hub_id FROM {STAGING} GROUP BY hub_id) listed"
    return int(session.execute(text(count)).scalar() or 0)
