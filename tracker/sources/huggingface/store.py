"""Writing parsed Hub items: one batch of upserts per page, on SQLite and PostgreSQL alike.

Rows are keyed by the Hub's `_id`, so a renamed repo keeps its row (its old name goes to `former_names`).
Latest metrics are written inline (`metrics_on` = the run date) and, for new, active or changed repos
(see `retention`), as the day's snapshot; a second run on
the same day updates that snapshot instead of adding one; a replay of an earlier day (`TRACKER_TODAY`) only
adds that day's snapshots. Base-model edges of every stored model are
replaced by the ones just parsed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, Table, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker.db.bulk import copy_values, insert_columns, lower
from tracker.db.models import (
    CollectorState,
    FormerName,
    HfCoverage,
    HfDataset,
    HfDatasetSnapshot,
    HfModel,
    HfModelParent,
    HfModelSnapshot,
    UTCDateTime,
    utcnow,
)
from tracker.sources.huggingface.columns import DUMP_PREFIX, NewModels, dump_hub_id, namespaces
from tracker.sources.huggingface.parse import RepoRow
from tracker.sources.huggingface.retention import Previous, keeps_snapshot

_METRICS = ("downloads_30d", "downloads_all_time", "likes", "trending_score")
# columns stored as the parsers give them (a first dump's columns too: `insert_new_models`)
_AS_PARSED = ("created_at", "created_at_unknown", "last_modified", "license", "gated", "private", "disabled")
_SHARED = (
    "repo_id",
    "author",
    "author_key",
    *_AS_PARSED,
    "tags",
    *_METRICS,
    "metrics_on",
    "last_seen_on",
)
_MODEL_ONLY = ("pipeline_tag", "library_name", "dump_digest")


def _adopt_dump_rows(session: Session, rows: Sequence[RepoRow]) -> None:
    """Give rows a dump created under a placeholder key the `_id` the API now supplies for the same name.

    When that `_id` already has a row (the model was renamed, and the dump created a row under the new name),
    the dump's row is merged into it: its snapshots move over where the day is free, then it is deleted."""
    real_of = {dump_hub_id(row.repo_id): row.hub_id for row in rows if not row.hub_id.startswith(DUMP_PREFIX)}
    found = dict(session.execute(select(HfModel.hub_id, HfModel.id).where(HfModel.hub_id.in_(real_of))).all())
    if not found:
        return
    existing = dict(
        session.execute(
            select(HfModel.hub_id, HfModel.id).where(HfModel.hub_id.in_([real_of[key] for key in found]))
        ).all()
    )
    for placeholder, placeholder_id in found.items():
        real = real_of[placeholder]
        if real not in existing:
            session.execute(update(HfModel).where(HfModel.id == placeholder_id).values(hub_id=real))
            continue
        keep = {"old": placeholder_id, "new": existing[real]}
        metrics = ", ".join(_METRICS)
        session.execute(
            text(
                f"INSERT INTO hf_model_snapshots (model_id, captured_on, {metrics}) "
                f"SELECT :new, captured_on, {metrics} FROM hf_model_snapshots WHERE model_id = :old "
                "ON CONFLICT (model_id, captured_on) DO NOTHING"
            ),
            keep,
        )
        session.execute(
            text(
                "UPDATE hf_models SET first_seen_on = (SELECT MIN(first_seen_on) FROM hf_models "
                "WHERE id IN (:old, :new)) WHERE id = :new"
            ),
            keep,
        )
        session.execute(delete(HfModelSnapshot).where(HfModelSnapshot.model_id == placeholder_id))
        session.execute(delete(HfModelParent).where(HfModelParent.child_id == placeholder_id))
        session.execute(delete(HfModel).where(HfModel.id == placeholder_id))


def _insert(session: Session, table: Table) -> Any:
    """`INSERT` with the back end's `ON CONFLICT` support."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str], update: Sequence[str]
) -> None:
    if not rows:
        return
    statement = _insert(session, table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    _executemany(session, table, statement, rows)


def _executemany(session: Session, table: Table, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Run `statement` once per row through the driver's executemany.

    Values go through each column's bind processor (UTC timestamps, JSON) exactly as SQLAlchemy would, but
    without its per-row machinery, which costs more than the database itself at full-Hub sizes.
    """
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = statement.compile(dialect=dialect, column_keys=names)
    processors = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names}
    processors = {
        name: _memoised(processor) if isinstance(table.c[name].type, (Boolean, Date)) else processor
        for name, processor in processors.items()
        if processor is not None
    }
    order = compiled.positiontup
    processed: list[Any] = []
    if order is not None:  # qmark drivers (SQLite) take sequences in the statement's order
        values_of = itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
        convert = [(index, processors[name]) for index, name in enumerate(order) if name in processors]
        for row in rows:
            values = list(values_of(row))
            for index, processor in convert:
                values[index] = processor(values[index])
            processed.append(tuple(values))
    else:
        for row in rows:
            values = dict(row)
            for name, processor in processors.items():
                values[name] = processor(values[name])
            processed.append(values)
    connection.exec_driver_sql(compiled.string, processed)


def _memoised(processor: Any) -> Any:
    """A bind processor remembering its results: dates and flags repeat on every row of a page."""
    results: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        try:
            return results[value]
        except KeyError:
            results[value] = processed = processor(value)
            return processed

    return process


# A stored row as a page's lookup reads it (metrics_on as a date, created_at as the driver gives it).
LOOKUP_COLUMNS = (
    "hub_id",
    "repo_id",
    "metrics_on",
    "downloads_30d",
    "likes",
    "author_key",
    "created_at",
    "id",
)
Stored = tuple[str, str, dt.date | None, int | None, int | None, str | None, Any, int]
STORED_ID = LOOKUP_COLUMNS.index("id")
_LOOKUP = ", ".join(LOOKUP_COLUMNS)


class _Page(NamedTuple):
    """What `store_repos` was given."""

    kind: str
    rows: Sequence[RepoRow]
    run_date: dt.date
    looked_up: Sequence[Stored]
    lineage_changes: list[str]
    keep_unchanged: bool  # leave stored rows alone where only their dates would move (a dump's page)

    def to_look_up(self) -> list[str]:
        """The hub ids of the rows the caller did not look up."""
        done = {stored[0] for stored in self.looked_up}
        return [row.hub_id for row in self.rows if row.hub_id not in done]


class _PageState(NamedTuple):
    """What the database already held for a page's items, and what follows for this page."""

    known: dict[str, tuple[str, dt.date | None]]  # hub_id -> (stored repo id, metrics_on)
    previous: dict[str, Previous]  # inline metrics before this page, for snapshot retention
    replayed: set[str]  # items whose metrics are newer than run_date (a replay of an earlier day)
    current: list[RepoRow]  # the rows to upsert (all but the replayed ones)


def _page_state(
    session: Session,
    entity: str,
    rows: Sequence[RepoRow],
    stored: Iterable[tuple[str, str, dt.date | None, int | None, int | None]],
    run_date: dt.date,
) -> _PageState:
    """Sort a page against `stored` (rows of LOOKUP_COLUMNS) and record renames.

    A replay of an earlier day (TRACKER_TODAY in the past) adds that day's snapshots but leaves newer names and
    inline metrics alone."""
    known: dict[str, tuple[str, dt.date | None]] = {}
    previous: dict[str, Previous] = {}
    for hub_id, repo_id, metrics_on, downloads_30d, likes, *_ in stored:
        known[hub_id] = (repo_id, metrics_on)
        previous[hub_id] = Previous(downloads_30d, likes, metrics_on)
    replayed = {hub_id for hub_id, (_, on) in known.items() if on is not None and on > run_date}
    renamed = [
        {"entity": entity, "entity_id": row.hub_id, "name": known[row.hub_id][0], "replaced_on": run_date}
        for row in rows
        if row.hub_id in known and row.hub_id not in replayed and known[row.hub_id][0] != row.repo_id
    ]
    _upsert(session, FormerName.__table__, renamed, ("entity", "entity_id", "name"), ())
    return _PageState(known, previous, replayed, [row for row in rows if row.hub_id not in replayed])


def _upsert_replayed_snapshots(
    session: Session,
    snapshot: Any,
    key: str,
    ids: dict[str, int],
    rows: Sequence[RepoRow],
    replayed: set[str],
    run_date: dt.date,
) -> None:
    """Snapshots of a replayed (earlier) day, written as they were without touching newer inline metrics."""
    _upsert(
        session,
        snapshot.__table__,
        [
            {key: ids[row.hub_id], "captured_on": run_date, **{m: getattr(row, m) for m in _METRICS}}
            for row in rows
            if row.hub_id in replayed
        ],
        (key, "captured_on"),
        _METRICS,
    )


def store_repos(
    session: Session,
    kind: str,
    rows: Sequence[RepoRow],
    run_date: dt.date,
    *,
    from_dump: bool = False,
    looked_up: Sequence[Stored] = (),
    lineage_changes: list[str] | None = None,
) -> int:
    """Upsert one page of models or datasets (distinct `_id`s), their snapshots, names and edges.

    API pages first take over the rows a dump created for the same models (`from_dump` skips that).
    `looked_up`: stored rows the caller already read for some of the page's items (the others are looked up).
    `lineage_changes` receives the lower-case repo ids whose lineage roots can have changed: new models,
    both names of a renamed one, models whose parents changed.

    A dump's page (`from_dump`) leaves a stored row whose values it would not change as it is, dates included
    (`metrics_on`, `last_seen_on`): rewriting every row of the Hub for its dates costs about as much as the
    rest of a dump (see docs/dumps.md). Its values still hold on the dump's day."""
    if not rows:
        return 0
    if kind == "models" and not from_dump:
        _adopt_dump_rows(session, rows)
    changes = lineage_changes if lineage_changes is not None else []
    page = _Page(kind, rows, run_date, looked_up, changes, keep_unchanged=from_dump)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _store_postgresql(session, page)
    if dialect == "sqlite":
        return _store_sqlite(session, page)
    raise ValueError(f"unsupported database back end {dialect!r} (SQLite or PostgreSQL)")


def insert_new_models(
    session: Session,
    models: NewModels,
    hub_ids: pa.Array,
    run_date: dt.date,
    roots: dict[str, pa.Array] | None = None,
) -> int:
    """Insert models known to be new (none is stored under its `hub_id`), given as columns: rows, the day's
    snapshot of each (every new model keeps one) and edges, with ids drawn ahead from the table's own counter,
    so no lookup, no upsert, no read-back of ids and no Python object per value. A first dump's models take
    this path (tracker.sources.huggingface.dump_store), with their root columns (`roots`, by name) when known;
    without them a model without parents whose repo id is ASCII goes in as its own root, any other without
    (NULL: lower-casing beyond ASCII differs between the back ends, the lineage step resolves it)."""
    count = len(hub_ids)
    if not count:
        return 0
    connection = session.connection()
    if connection.dialect.name not in ("postgresql", "sqlite"):
        raise ValueError(f"unsupported database back end {connection.dialect.name!r} (SQLite or PostgreSQL)")
    columns = models.columns
    ids = _reserve_ids(connection, count)
    model_ids = pa.array(ids, pa.int64())
    day = pa.array([run_date] * count, pa.date32())
    keys = lower(columns["repo_id"])
    own = pc.and_(pc.invert(models.with_parents()), pc.string_is_ascii(keys))
    no_text = pa.scalar(None, pa.string())
    if roots is None:  # see `_own_root`
        roots = {
            "root_repo_id": pc.if_else(own, columns["repo_id"], no_text),
            "root_author_key": pc.if_else(own, namespaces(keys), no_text),
            "root_mixed": pc.if_else(own, False, pa.scalar(None, pa.bool_())),
        }
    author = columns["author"]
    rows = {
        "id": model_ids,
        "hub_id": hub_ids,
        "repo_id": columns["repo_id"],
        "author": author,
        "author_key": pc.if_else(pc.greater(pc.utf8_length(author), 0), lower(author), no_text),
        **{name: columns[name] for name in _AS_PARSED},
        "tags": _tags_json_column(columns["tags"]),
        **{name: columns[name] for name in _METRICS},
        "metrics_on": day,
        "first_seen_on": day,
        "last_seen_on": day,
        "pipeline_tag": columns["pipeline_tag"],
        "library_name": columns["library_name"],
        "dump_digest": columns["digest"],
        **roots,
    }
    insert_columns(connection, "hf_models", rows)
    snapshots = {"model_id": model_ids, "captured_on": day, **{name: columns[name] for name in _METRICS}}
    insert_columns(connection, "hf_model_snapshots", snapshots)
    parents = columns["parents"]
    edges = pc.list_flatten(parents)
    if len(edges):
        children = model_ids.take(pc.list_parent_indices(parents))
        insert_columns(
            connection,
            "hf_model_parents",
            {
                "child_id": children,
                "parent_repo_id": edges.field("repo_id"),
                **{name: edges.field(name) for name in ("relation", "position", "source")},
            },
        )
    return count


def _tags_json_column(tags: pa.Array) -> pa.Array:
    """`_tags_json` of each list of tags; by pyarrow when no tag needs escaping (printable ASCII without `"`
    or `\\`, no null tag), as is nearly always so."""
    flat = pc.list_flatten(tags)
    if flat.null_count or pc.any(pc.match_substring_regex(flat, r'[^ -~]|["\\]')).as_py():
        return pa.array([_tags_json(value) for value in tags.to_pylist()], pa.string())
    joined = pc.binary_join_element_wise('["', pc.binary_join(tags, '", "'), '"]', "")
    listed = pc.if_else(pc.equal(pc.list_value_length(tags), 0), "[]", joined)
    return pc.if_else(pc.is_null(tags), "null", listed)


def _reserve_ids(connection: Any, count: int) -> range:
    """`count` new ids of hf_models, taken in one step (a counter step per row costs more than the COPY). No
    other session takes ids meanwhile: Hub collections hold the Hugging Face lock."""
    if connection.dialect.name == "postgresql":
        last = connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('hf_models', 'id'), "
                "nextval(pg_get_serial_sequence('hf_models', 'id')) + :count - 1)"
            ),
            {"count": count},
        ).scalar_one()
        return range(last - count + 1, last + 1)
    first = connection.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM hf_models")).scalar_one()
    return range(first, first + count)


def read_state(session: Session, key: str) -> dict[str, Any] | None:
    """A value from `collector_state`."""
    value = session.get(CollectorState, key)
    return dict(value.value) if value is not None else None


def write_state(session: Session, key: str, value: dict[str, Any]) -> None:
    """Set a `collector_state` value inside the caller's transaction."""
    _upsert(
        session,
        CollectorState.__table__,
        [{"key": key, "value": value, "updated_at": utcnow()}],
        ("key",),
        ("value", "updated_at"),
    )


def record_coverage(
    session: Session,
    source: str,
    *,
    run_id: int | None,
    covered_from: dt.datetime | None,
    covered_to: dt.datetime,
    recorded_on: dt.date,
    hub_models: int | None = None,
) -> None:
    """Note that every model created in [covered_from, covered_to] was collected (`hf_coverage`)."""
    session.add(
        HfCoverage(
            source=source,
            run_id=run_id,
            covered_from=covered_from,
            covered_to=covered_to,
            recorded_on=recorded_on,
            hub_models=hub_models,
        )
    )


# --- Shared by the two back-end paths below ------------------------------------------------------------------


_ROOTS = ("root_repo_id", "root_author_key", "root_mixed")


def _insert_columns(model: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns a page inserts, in `_row_values` order, and those an existing row takes from it."""
    extra = _MODEL_ONLY if model else ()
    inserted = ("hub_id", *_SHARED[:-2], "metrics_on", "first_seen_on", "last_seen_on", *extra)
    return (*inserted, *_ROOTS) if model else inserted, _SHARED + extra


def _from_excluded(names: Iterable[str]) -> str:
    """The `SET` list of an `ON CONFLICT ... DO UPDATE` taking `names` from the row that was refused."""
    return ", ".join(f"{name} = excluded.{name}" for name in names)


_DATES = ("metrics_on", "last_seen_on")


def _changed(stored: str, new: str, updated: Iterable[str], postgres: bool) -> str:
    """A condition true when the row `new` would change the row `stored` (the columns `updated`) other than in
    its dates, or when the stored row is marked no longer listed: its new `last_seen_on` is what says it is
    listed again (tracker.sources.huggingface.dump_store.mark_unlisted)."""
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"

    def value(side: str, name: str) -> str:  # PostgreSQL's json has no equality: its text is compared
        return f"{side}.{name}::text" if postgres and name == "tags" else f"{side}.{name}"

    tests = [f"{value(stored, name)} {differs} {value(new, name)}" for name in updated if name not in _DATES]
    return " OR ".join([*tests, f"{stored}.unlisted_on IS NOT NULL", f"{stored}.metrics_on IS NULL"])


def _kept_ids(
    current: Sequence[RepoRow], previous: dict[str, Previous], ids: dict[str, int], run_date: dt.date
) -> list[int]:
    """Ids of the rows that get the day's snapshot (tracker.sources.huggingface.retention)."""
    return [
        ids[row.hub_id]
        for row in current
        if keeps_snapshot(previous.get(row.hub_id), row.downloads_30d, row.likes, run_date)
    ]


def copy_inline_snapshots(session: Session, kind: str, ids: Sequence[int], run_date: dt.date) -> None:
    """Write the day's snapshots of the `kind` ("models" or "datasets") with these ids from the metrics stored
    inline (a second write on the same day replaces that day's snapshot)."""
    if not ids:
        return
    model = kind == "models"
    table, snapshot_table = (HfModel, HfModelSnapshot) if model else (HfDataset, HfDatasetSnapshot)
    key, metrics = ("model_id" if model else "dataset_id"), ", ".join(_METRICS)
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    day, with_ids = ("%s", "= ANY(%s)") if postgres else ("?", f"IN {_IDS}")
    statement = (
        f"INSERT INTO {snapshot_table.__tablename__} ({key}, captured_on, {metrics}) "
        f"SELECT id, {day}, {metrics} FROM {table.__tablename__} WHERE id {with_ids} "
        f"ON CONFLICT ({key}, captured_on) DO UPDATE SET {_from_excluded(_METRICS)}"
    )
    if postgres:
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(statement, (run_date, list(ids)), prepare=False)
    else:
        connection.exec_driver_sql(statement, (run_date.isoformat(), json.dumps(list(ids))))


_Edge = tuple[str, str, int, str]  # parent_repo_id, relation, position, source
EDGE_COLUMNS = ("child_id", "parent_repo_id", "relation", "position", "source")
_EDGE_TYPES = ("int4", "text", "text", "int4", "text")  # positions and ids are small: binary COPY is safe


def _edges_to_write(
    current: Sequence[RepoRow],
    known: dict[str, tuple[str, dt.date | None]],
    ids: dict[str, int],
    stored: Iterable[tuple[int, str, str, int, str]],
    lineage_changes: list[str],
) -> tuple[list[int], list[tuple[int, str, str, int, str]]]:
    """Compare the page's edges with the `stored` ones of its known models: (ids whose stored edges go,
    edges to insert). Unchanged edges stay as they are; `lineage_changes` gets the repo ids (lower case) of
    new models, both names of renamed ones and models whose parents changed."""
    before: dict[int, list[_Edge]] = {}
    for child_id, *edge in stored:
        before.setdefault(child_id, []).append(tuple(edge))  # type: ignore[arg-type]
    stale: list[int] = []
    edges: list[tuple[int, str, str, int, str]] = []
    for row in current:
        model_id = ids[row.hub_id]
        new = [(parent.repo_id, parent.relation, parent.position, parent.source) for parent in row.parents]
        old = before.get(model_id, [])
        if sorted(old) == sorted(new):
            if row.hub_id not in known:
                lineage_changes.append(row.repo_id.lower())
            elif known[row.hub_id][0] != row.repo_id:
                lineage_changes.extend((known[row.hub_id][0].lower(), row.repo_id.lower()))
            continue
        if old:
            stale.append(model_id)
        edges.extend((model_id, *edge) for edge in new)
        lineage_changes.append(row.repo_id.lower())
        if row.hub_id in known and known[row.hub_id][0] != row.repo_id:
            lineage_changes.append(known[row.hub_id][0].lower())
    return stale, edges


def _row_values(
    row: RepoRow, day: Any, model: bool, time: Callable[[Any], Any], flag: Callable[[Any], Any]
) -> tuple[Any, ...]:
    """A row in `_insert_columns` order, timestamps and flags converted by `time` and `flag` for the driver."""
    values = (
        row.hub_id,
        row.repo_id,
        row.author,
        row.author.lower() if row.author else None,
        time(row.created_at),
        flag(row.created_at_unknown),
        time(row.last_modified),
        row.license,
        row.gated,
        flag(row.private),
        flag(row.disabled),
        _tags_json(row.tags),
        row.downloads_30d,
        row.downloads_all_time,
        row.likes,
        row.trending_score,
        day,
        day,
        day,
    )
    if not model:
        return values
    return (*values, row.pipeline_tag, row.library_name, row.digest, *_own_root(row, flag))


def _own_root(row: RepoRow, flag: Callable[[Any], Any]) -> tuple[Any, Any, Any]:
    """The root columns a new model is inserted with: a model without parents is its own root, which saves
    rewriting most rows of a first dump; the lineage step (tracker.attribution.lineage) sets the others and
    corrects any that differ (a repo id spelled in several cases)."""
    if row.parents:
        return None, None, None
    key = row.repo_id.lower()
    return row.repo_id, key.split("/", 1)[0] if "/" in key else None, flag(False)


def _tags_json(tags: list[str] | None) -> str:
    """`json.dumps(tags)` (JSON `null` for no tags, as SQLAlchemy's JSON type stores it), three times faster:
    the parsers give lists of strings, so each is encoded alone and joined; a dump's list<string> column may
    hold a null tag, which `json.dumps` writes as `null`."""
    if tags is None:
        return "null"
    try:
        return "[" + ", ".join(map(encode_basestring_ascii, tags)) + "]"
    except TypeError:
        return json.dumps(tags)


# --- PostgreSQL: the page goes in with COPY and is upserted set-based ---------------------------------------
#
# The same effects as the SQLite path below, in a few statements per page: ids travel as one array
# (`= ANY(%s)`), the page is copied into a temporary table and upserted from it with one
# `INSERT ... SELECT ... ON CONFLICT ... RETURNING`, edges are copied straight into their table. Statements run
# unprepared: a generic plan made while the tables were nearly empty would scan them whole once they are big.

_naive = UTCDateTime().process_bind_param


def _pg_time(value: dt.datetime | None) -> dt.datetime | None:
    return _naive(value, None)


def _same(value: Any) -> Any:
    return value


_TEXT_OID = 25
_JSON_OID = 114
_INTEGER_RANGES = {21: 2**15, 23: 2**31, 20: 2**63}  # smallint, integer, bigint oids -> 2**(bits - 1)


def _binary_types(cursor: Any, table: str, columns: Sequence[str]) -> list[int]:
    """The type oids of `columns` for a binary COPY into `table` (a binary COPY is about twice as fast to
    build as a text one). JSON values are already encoded: they go as text, which is JSON's binary form."""
    cursor.execute(f"SELECT {', '.join(columns)} FROM {table} LIMIT 0", prepare=False)
    return [_TEXT_OID if column.type_code == _JSON_OID else column.type_code for column in cursor.description]


def _fit_binary(types: Sequence[int], rows: Sequence[tuple[Any, ...]]) -> bool:
    """Whether every integer fits its column: psycopg's binary dumpers wrap an out-of-range value around
    silently, where the text form gets the server's out-of-range error."""
    for index, oid in enumerate(types):
        limit = _INTEGER_RANGES.get(oid)
        if limit is not None and not all(row[index] is None or -limit <= row[index] < limit for row in rows):
            return False
    return True


def _copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY `rows` into `table`: binary when every integer fits its column, else as text (which gets the
    server's out-of-range error)."""
    types = _binary_types(cursor, table, columns)
    binary = _fit_binary(types, rows)
    with cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    ) as copy:
        if binary:
            copy.set_types(types)
        for values in rows:
            copy.write_row(values)


def _store_postgresql(session: Session, page: _Page) -> int:
    import psycopg

    try:
        with session.connection().connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            return _copy_page(session, cursor, page)
    except psycopg.Error as error:  # raised by the driver directly: wrapped as SQLAlchemy would
        raise DBAPIError.instance(None, None, error, psycopg.Error) from error


def _copy_page(session: Session, cursor: Any, page: _Page) -> int:
    kind, rows, run_date, lineage_changes = page.kind, page.rows, page.run_date, page.lineage_changes
    model = kind == "models"
    item, snapshot = (HfModel, HfModelSnapshot) if model else (HfDataset, HfDatasetSnapshot)
    table = item.__tablename__
    entity = "hf_model" if model else "hf_dataset"
    key = "model_id" if model else "dataset_id"

    stored = list(page.looked_up)
    if to_look_up := page.to_look_up():
        cursor.execute(
            f"SELECT {_LOOKUP} FROM {table} WHERE hub_id = ANY(%s)",
            (to_look_up,),
            prepare=False,
        )
        stored += cursor.fetchall()
    known, previous, replayed, current = _page_state(session, entity, rows, stored, run_date)
    stored_ids = {entry[0]: entry[STORED_ID] for entry in stored}  # ids of the items already stored

    ids: dict[str, int] = {}
    if current:
        columns, updated = _insert_columns(model)
        page_table = f"hf_page_{kind}"
        listed = ", ".join(columns)
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {page_table} ON COMMIT DELETE ROWS AS "
            f"SELECT 0 AS ord, {listed} FROM {table} WITH NO DATA",
            prepare=False,
        )
        # Pages before this one in the transaction go. Not by DELETE: rows deleted by the transaction still
        # running stay on disk until it ends, and every page's scan would read the dump's earlier pages again.
        cursor.execute(f"TRUNCATE {page_table}", prepare=False)
        values = [
            (position, *_row_values(row, run_date, model, _pg_time, _same))
            for position, row in enumerate(current)
        ]
        _copy_rows(cursor, page_table, ("ord", *columns), values)
        # A dump's page leaves rows that would not change alone. They are left out before the upsert, whose
        # `DO UPDATE ... WHERE` would still lock (and so write) every row it skips.
        source = f"{page_table} p"
        if page.keep_unchanged:
            source += (
                f" LEFT JOIN {table} m ON m.hub_id = p.hub_id "
                f"WHERE m.hub_id IS NULL OR {_changed('m', 'p', updated, True)}"
            )
        cursor.execute(
            f"INSERT INTO {table} ({listed}) SELECT {', '.join('p.' + name for name in columns)} FROM {source} "
            f"ORDER BY p.ord ON CONFLICT (hub_id) DO UPDATE SET {_from_excluded(updated)} RETURNING hub_id, id",
            prepare=False,
        )
        ids = {**stored_ids, **dict(cursor.fetchall())}  # rows left as they were are not returned
    copy_inline_snapshots(session, kind, _kept_ids(current, previous, ids, run_date), run_date)
    if replayed:
        _upsert_replayed_snapshots(session, snapshot, key, stored_ids, rows, replayed, run_date)
    if model:
        seen = [ids[row.hub_id] for row in current if row.hub_id in known]
        stored: list[Any] = []
        if seen:  # only models seen before have edges stored
            cursor.execute(
                f"SELECT {', '.join(EDGE_COLUMNS)} FROM hf_model_parents WHERE child_id = ANY(%s)",
                (seen,),
                prepare=False,
            )
            stored = cursor.fetchall()
        stale, edges = _edges_to_write(current, known, ids, stored, lineage_changes)
        if stale:
            cursor.execute("DELETE FROM hf_model_parents WHERE child_id = ANY(%s)", (stale,), prepare=False)
        copy_values(session.connection(), "hf_model_parents", EDGE_COLUMNS, _EDGE_TYPES, edges)
    return len(rows)


# --- SQLite: constant statement texts, ids as one JSON array, values converted once ------------------------
#
# The same effects as the PostgreSQL path, with statements whose text never changes (sqlite3 keeps them
# prepared): ids go in as one JSON array (`IN (SELECT value FROM json_each(?))`) instead of 1000 parameters,
# and values are converted to what SQLAlchemy's SQLite types store (timestamps as `YYYY-MM-DD HH:MM:SS.ffffff`,
# dates as ISO text, flags as 0/1, JSON text) without its per-value processors.

_IDS = "(SELECT value FROM json_each(?))"
_INDEXED = {
    item.__tablename__: {column.name for index in item.__table__.indexes for column in index.columns}
    for item in (HfModel, HfDataset)
}


def _sqlite_time(value: dt.datetime | None) -> str | None:
    if value is not None and value.tzinfo is dt.timezone.utc:  # what the parser gives: drop "+00:00"
        return value.isoformat(" ", "microseconds")[:26]
    naive = _naive(value, None)
    return None if naive is None else naive.isoformat(" ", "microseconds")


def _sqlite_flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _store_sqlite(session: Session, page: _Page) -> int:
    kind, rows, run_date, lineage_changes = page.kind, page.rows, page.run_date, page.lineage_changes
    model = kind == "models"
    item, snapshot = (HfModel, HfModelSnapshot) if model else (HfDataset, HfDatasetSnapshot)
    table = item.__tablename__
    entity = "hf_model" if model else "hf_dataset"
    key = "model_id" if model else "dataset_id"
    connection = session.connection()
    day = run_date.isoformat()

    stored = list(page.looked_up)
    if to_look_up := page.to_look_up():
        stored += [
            (hub_id, repo_id, dt.date.fromisoformat(metrics_on[:10]) if metrics_on else None, *rest)
            for hub_id, repo_id, metrics_on, *rest in connection.exec_driver_sql(
                f"SELECT {_LOOKUP} FROM {table} WHERE hub_id IN {_IDS}", (json.dumps(to_look_up),)
            )
        ]
    known, previous, replayed, current = _page_state(session, entity, rows, stored, run_date)
    stored_ids = {entry[0]: entry[STORED_ID] for entry in stored}  # ids of the items already stored

    ids: dict[str, int] = {}
    if current:
        columns, updated = _insert_columns(model)
        # SQLite rewrites the index entries of every column a SET names, even to the same value (five times
        # the cost of the update): rows whose indexed columns keep their stored values leave them out.
        indexed = [name for name in updated if name in _INDEXED[table]]
        positions = [columns.index(name) for name in indexed]
        same = {entry[0]: tuple(entry[LOOKUP_COLUMNS.index(name)] for name in indexed) for entry in stored}
        pages: tuple[list[Any], list[Any]] = ([], [])  # (changed or new, indexed columns unchanged)
        for values in (_row_values(row, day, model, _sqlite_time, _sqlite_flag) for row in current):
            pages[same.get(values[0]) == tuple(values[p] for p in positions)].append(values)
        unless = f" WHERE {_changed(table, 'excluded', updated, False)}" if page.keep_unchanged else ""
        for values, update in zip(
            pages, (updated, [name for name in updated if name not in indexed]), strict=True
        ):
            if values:
                connection.exec_driver_sql(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                    f"ON CONFLICT (hub_id) DO UPDATE SET {_from_excluded(update)}{unless}",
                    values,
                )
        inserted = [row.hub_id for row in current if row.hub_id not in stored_ids]
        ids = {**stored_ids}
        if inserted:
            ids.update(
                connection.exec_driver_sql(
                    f"SELECT hub_id, id FROM {table} WHERE hub_id IN {_IDS}", (json.dumps(inserted),)
                ).all()
            )
    copy_inline_snapshots(session, kind, _kept_ids(current, previous, ids, run_date), run_date)
    if replayed:
        _upsert_replayed_snapshots(session, snapshot, key, stored_ids, rows, replayed, run_date)
    if model:
        seen = [ids[row.hub_id] for row in current if row.hub_id in known]
        stored = (
            connection.exec_driver_sql(
                f"SELECT {', '.join(EDGE_COLUMNS)} FROM hf_model_parents WHERE child_id IN {_IDS}",
                (json.dumps(seen),),
            ).all()
            if seen  # only models seen before have edges stored
            else []
        )
        stale, edges = _edges_to_write(current, known, ids, stored, lineage_changes)
        if stale:
            connection.exec_driver_sql(
                f"DELETE FROM hf_model_parents WHERE child_id IN {_IDS}", (json.dumps(stale),)
            )
        copy_values(connection, "hf_model_parents", EDGE_COLUMNS, _EDGE_TYPES, edges)
    return len(rows)
