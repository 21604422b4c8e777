"""The publisher registry: reading the CSV, checking every row, and importing it into publishers and accounts.

The CSV has the header `hf_org,github_org,country,name,kind,basis` and an optional `publisher` slug; other
columns are ignored and lines starting with `#` are comments. Rows that share a `publisher` slug or a handle
(case-insensitively, per platform) are one publisher. An empty country means "infer it", `-` means "unknown on
purpose, do not infer". A file with any bad row is rejected whole, every error named with its line number.
Importing is idempotent, writes with bulk statements (300,000 rows in seconds) and never touches manual
decisions (`tracker publishers set`): neither their countries nor the handles they hold.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pycountry
from sqlalchemy import Connection, Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from tracker.attribution.attribute import resolve_publisher
from tracker.db.bulk import insert_rows, rows_with_keys
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher, utcnow

REQUIRED_COLUMNS = ("hf_org", "github_org", "country", "name", "kind", "basis")
KINDS = {"company", "lab", "academic", "community", "government", "person"}
NO_INFER = "-"
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}")
# Longest text accepted per free-text column (`name` is the width of publishers.name on both back ends).
MAX_LENGTH = {"name": 300, "basis": 2000}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc


class RegistryError(Exception):
    """A registry file that cannot be imported; `errors` lists every problem as `line N: ...`."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = errors
        shown = "; ".join(errors[:10]) + (f"; and {len(errors) - 10} more" if len(errors) > 10 else "")
        super().__init__(f"{source}: {len(errors)} error(s), nothing imported: {shown}")


@dataclass(frozen=True)
class RegistryRow:
    """One checked line of the registry."""

    line: int
    hf_org: str | None
    github_org: str | None
    country: str | None  # None: infer (or unknown on purpose when `no_infer`)
    no_infer: bool
    name: str | None
    kind: str | None
    basis: str | None
    publisher: str | None


@dataclass
class PublisherEntry:
    """The rows that make up one publisher, with its handles per platform."""

    slug: str
    rows: list[RegistryRow]
    hf: list[str] = field(default_factory=list)
    github: list[str] = field(default_factory=list)

    @property
    def first(self) -> RegistryRow:
        return self.rows[0]

    @property
    def decided(self) -> RegistryRow | None:
        """The row that states the publisher's country (or its deliberate absence), if any."""
        return next((row for row in self.rows if row.country or row.no_infer), None)


@dataclass
class ImportSummary:
    publishers: int = 0
    publishers_created: int = 0
    publishers_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_kept: int = 0  # handles the registry names elsewhere but a manual decision holds

    @property
    def changed(self) -> bool:
        return bool(
            self.publishers_created
            or self.publishers_updated
            or self.accounts_created
            or self.accounts_updated
        )


def shipped_registry_path() -> Path:
    """The registry shipped inside the package."""
    return Path(str(resources.files("tracker.attribution") / "data" / "publishers.csv"))


def _valid_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _first_control(value: str) -> str | None:
    """`U+XXXX` of the first control character in `value` (NUL, line breaks, tabs, C1 codes), else None."""
    found = _CONTROL.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def parse_registry(text: str, source: str = "registry") -> list[RegistryRow]:
    """Check every line of a registry CSV; raise `RegistryError` listing all bad lines."""
    rows = _checked_rows(text, source)
    group_publishers(rows, source)  # conflicts inside a publisher are errors too
    return rows


def _checked_rows(text: str, source: str) -> list[RegistryRow]:
    """Every line checked on its own (no grouping yet)."""
    # Comments become blank lines so that csv's line counter stays the physical line number.
    # Split as csv counts lines (str.splitlines would also break at U+0085 and other separators).
    lines = re.split(r"\r\n|\r|\n", text)
    cleaned = "\n".join("" if line.lstrip().startswith("#") else line for line in lines)
    reader = csv.reader(io.StringIO(cleaned))
    errors: list[str] = []
    header: list[str] = []
    header_number = 0
    previous_end = 0
    rows: list[RegistryRow] = []
    index: dict[str, int] = {}
    while True:
        start = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(f"line {start}: malformed CSV ({error})")
            break
        previous_end = reader.line_num
        if not header:
            if not record or not any(cell.strip() for cell in record):
                continue
            header = [column.strip().lower() for column in record]
            header_number = start
            missing = [column for column in REQUIRED_COLUMNS if column not in header]
            if missing:
                raise RegistryError(source, [f"line {header_number}: header lacks {', '.join(missing)}"])
            index = {
                column: header.index(column)
                for column in (*REQUIRED_COLUMNS, "publisher")
                if column in header
            }
            continue
        if not record or not any(cell.strip() for cell in record):
            continue
        if len(record) < len(header):
            errors.append(f"line {start}: expected {len(header)} fields, found {len(record)}")
            continue

        def cell(column: str, record: list[str] = record, index: dict[str, int] = index) -> str:
            return record[index[column]].strip() if column in index else ""

        problems = [
            f"{column} holds a control character ({_first_control(cell(column))}); plain text only"
            for column in index
            if _first_control(cell(column))
        ]
        problems += [
            f"{column} is {len(cell(column))} characters long (at most {limit})"
            for column, limit in MAX_LENGTH.items()
            if len(cell(column)) > limit
        ]
        if problems:
            errors += [f"line {start}: {problem}" for problem in problems]
            continue
        hf_org, github_org = cell("hf_org") or None, cell("github_org") or None
        if not hf_org and not github_org:
            problems.append("neither hf_org nor github_org is given")
        for label, handle in (("hf_org", hf_org), ("github_org", github_org)):
            if handle and not _HANDLE.fullmatch(handle):
                problems.append(f"{label} {handle!r} is not a valid handle")
        country_cell = cell("country").upper()
        no_infer = country_cell == NO_INFER
        country = None if no_infer or not country_cell else country_cell
        if country and not _valid_country(country):
            problems.append(f"unknown country code {cell('country')!r} (ISO 3166-1 alpha-2, empty or '-')")
        kind = cell("kind").lower() or None
        if kind and kind not in KINDS:
            problems.append(f"unknown kind {kind!r} (one of {', '.join(sorted(KINDS))})")
        publisher = cell("publisher").lower() or None
        if publisher and not _SLUG.fullmatch(publisher):
            problems.append(f"publisher slug {publisher!r} is not a valid slug")
        if problems:
            errors += [f"line {start}: {problem}" for problem in problems]
            continue
        rows.append(
            RegistryRow(
                start,
                hf_org,
                github_org,
                country,
                no_infer,
                cell("name") or None,
                kind,
                cell("basis") or None,
                publisher,
            )
        )
    if not header:
        errors.append("line 1: empty file (expected a header: " + ",".join(REQUIRED_COLUMNS) + ")")
    if errors:
        raise RegistryError(source, errors)
    return rows


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RegistryError(str(path), [f"line 0: cannot read the file: {error}"]) from None


def read_registry(path: Path | str) -> list[RegistryRow]:
    """Read and check a registry file."""
    path = Path(path)
    return parse_registry(_read_text(path), str(path))


def read_entries(path: Path | str) -> list[PublisherEntry]:
    """Read and check a registry file and group its rows into publishers."""
    path = Path(path)
    return group_publishers(_checked_rows(_read_text(path), str(path)), str(path))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: every object an import makes lives until it ends, so the
    collector's passes over them (about 40% of the time at 300,000 rows) find nothing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def group_publishers(rows: list[RegistryRow], source: str = "registry") -> list[PublisherEntry]:
    """Union rows sharing a publisher slug or a handle into publishers (in file order)."""
    parent = list(range(len(rows)))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    first_by_key: dict[tuple[str, str], int] = {}
    for position, row in enumerate(rows):
        keys = [("slug", row.publisher), ("hf", row.hf_org), ("github", row.github_org)]
        for kind, value in keys:
            if not value:
                continue
            key = (kind, value.lower())
            if key in first_by_key:
                parent[find(position)] = find(first_by_key[key])
            else:
                first_by_key[key] = position
    groups: dict[int, list[RegistryRow]] = {}
    for position, row in enumerate(rows):
        groups.setdefault(find(position), []).append(row)
    entries: list[PublisherEntry] = []
    errors: list[str] = []
    for members in sorted(groups.values(), key=lambda members: members[0].line):
        slugs = sorted({row.publisher for row in members if row.publisher})
        if len(slugs) > 1:
            errors.append(
                f"line {members[0].line}: rows share a handle but name publishers {', '.join(slugs)}"
            )
            continue
        first = members[0]
        slug = slugs[0] if slugs else (first.hf_org or first.github_org or "").lower()
        decided = {(row.country, row.no_infer) for row in members if row.country or row.no_infer}
        if len(decided) > 1:
            lines = ", ".join(str(row.line) for row in members)
            errors.append(
                f"line {members[-1].line}: publisher {slug} gets different countries on lines {lines}"
            )
            continue
        entry = PublisherEntry(slug, members)
        seen: set[tuple[str, str]] = set()
        for row in members:
            for platform, handle in (("hf", row.hf_org), ("github", row.github_org)):
                if handle and (platform, handle.lower()) not in seen:
                    seen.add((platform, handle.lower()))
                    getattr(entry, platform).append(handle)
        entries.append(entry)
    slug_lines: dict[str, int] = {}
    for entry in entries:
        if entry.slug in slug_lines:
            errors.append(
                f"line {entry.first.line}: publisher slug {entry.slug} already used on line {slug_lines[entry.slug]}"
            )
        slug_lines[entry.slug] = entry.first.line
    if errors:
        raise RegistryError(source, errors)
    return entries


_PUBLISHER_FIELDS = ("name", "kind", "registry_country", "registry_no_infer", "registry_basis")


def _desired(entry: PublisherEntry) -> dict[str, object]:
    """The registry's values for the publisher behind `entry`."""
    decided = entry.decided
    return {
        "name": next((row.name for row in entry.rows if row.name), None),
        "kind": next((row.kind for row in entry.rows if row.kind), None),
        "registry_country": decided.country if decided else None,
        "registry_no_infer": bool(decided and decided.no_infer),
        "registry_basis": (decided or entry.first).basis,
    }


def _update_by_id(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE of `table` by `id`; every row carries the same columns."""
    columns = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    connection.execute(
        statement, [{"row_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows]
    )


def import_entries(session: Session, entries: list[PublisherEntry]) -> ImportSummary:
    """Write publishers and their accounts in `session` (the caller's transaction) with bulk statements.

    A publisher is found by its slug, else through an account it already holds. Only rows whose values
    change are written, so a second import writes nothing. An account that a manual decision
    (`tracker publishers set`) holds stays with that publisher even when the registry names it elsewhere.
    """
    summary = ImportSummary(publishers=len(entries))
    connection = session.connection()
    publishers_table, accounts_table = Publisher.__table__, Account.__table__
    publisher_columns = ["id", "slug", *_PUBLISHER_FIELDS, "override_country", "override_basis"]
    publishers: dict[int, dict[str, object]] = {}  # id -> current values
    manual: set[int] = set()

    def remember(rows: list[Any]) -> None:
        for row in rows:
            values = row._asdict()
            overrides = (values.pop("override_country"), values.pop("override_basis"))
            if overrides != (None, None):
                manual.add(row.id)
            values["registry_no_infer"] = bool(values["registry_no_infer"])
            publishers[row.id] = values

    remember(
        rows_with_keys(connection, publishers_table, publisher_columns, "slug", [e.slug for e in entries])
    )
    by_slug = {values["slug"]: publisher_id for publisher_id, values in publishers.items()}
    accounts: dict[tuple[str, str], Any] = {}
    for platform in ("hf", "github"):
        keys = sorted({handle.lower() for entry in entries for handle in getattr(entry, platform)})
        columns = ["id", "handle", "handle_key", "publisher_id"]
        for row in rows_with_keys(connection, accounts_table, columns, "handle_key", keys, platform=platform):
            accounts[(platform, row.handle_key)] = row
    held = sorted(
        {row.publisher_id for row in accounts.values() if row.publisher_id is not None} - set(publishers)
    )
    remember(rows_with_keys(connection, publishers_table, publisher_columns, "id", held))

    # Publishers: decide each entry's publisher (an existing id, or its slug for a new one) and write them.
    targets: list[int | str] = []
    new_publishers: list[dict[str, object]] = []
    updated: dict[int, dict[str, object]] = {}
    now = utcnow()
    for entry in entries:
        wanted = _desired(entry)
        target: int | None = by_slug.get(entry.slug)
        if target is None:
            target = next(
                (
                    accounts[(platform, handle.lower())].publisher_id
                    for platform in ("hf", "github")
                    for handle in getattr(entry, platform)
                    if (platform, handle.lower()) in accounts
                    and accounts[(platform, handle.lower())].publisher_id is not None
                ),
                None,
            )
        if target is None:
            new_publishers.append({"slug": entry.slug, **wanted})
            targets.append(entry.slug)
            continue
        targets.append(target)
        current = publishers[target]
        if any(current[name] != value for name, value in wanted.items()):
            current.update(wanted)
            updated[target] = {"id": target, **wanted, "updated_at": now}
    if new_publishers:
        columns = ["slug", *_PUBLISHER_FIELDS, "created_at", "updated_at"]
        insert_rows(
            connection,
            publishers_table,
            columns,
            ([values[name] for name in columns[:-2]] + [now, now] for values in new_publishers),
        )
        slugs = [values["slug"] for values in new_publishers]
        by_slug.update(dict(rows_with_keys(connection, publishers_table, ["slug", "id"], "slug", slugs)))
    if updated:
        _update_by_id(connection, publishers_table, list(updated.values()))
    summary.publishers_created = len(new_publishers)
    summary.publishers_updated = len(updated)

    # Accounts: create the missing ones, move or rename the others (never away from a manual decision).
    new_accounts: list[tuple[str, str, str, int]] = []
    changed_accounts: list[dict[str, object]] = []
    for entry, target in zip(entries, targets, strict=True):
        publisher_id = by_slug[target] if isinstance(target, str) else target
        for platform in ("hf", "github"):
            for handle in getattr(entry, platform):
                account = accounts.get((platform, handle.lower()))
                if account is None:
                    new_accounts.append((platform, handle, handle.lower(), publisher_id))
                    continue
                owner = account.publisher_id
                if owner is not None and owner != publisher_id and owner in manual:
                    summary.accounts_kept += 1
                    publisher_id_here = owner
                else:
                    publisher_id_here = publisher_id
                if (owner, account.handle) != (publisher_id_here, handle):
                    changed_accounts.append(
                        {"id": account.id, "publisher_id": publisher_id_here, "handle": handle}
                    )
    if new_accounts:
        insert_rows(
            connection, accounts_table, ["platform", "handle", "handle_key", "publisher_id"], new_accounts
        )
    if changed_accounts:
        _update_by_id(connection, accounts_table, changed_accounts)
    summary.accounts_created = len(new_accounts)
    summary.accounts_updated = len(changed_accounts)
    if connection.dialect.name == "postgresql" and (new_publishers or new_accounts):
        # Fresh statistics after a bulk load: without them the planner scans accounts for every lookup
        # of the next import (a filter over the (platform, handle_key) index instead of a probe).
        connection.execute(text("ANALYZE publishers, accounts"))
    session.flush()
    return summary


def import_registry(database: Database, path: Path | str) -> ImportSummary:
    """Check `path` whole, then import it in one transaction (all or nothing)."""
    with _collector_paused():
        entries = read_entries(path)
        with database.session() as session:
            return import_entries(session, entries)


def import_shipped(database: Database) -> ImportSummary:
    """Import the registry shipped with the package."""
    return import_registry(database, shipped_registry_path())


def registry_is_empty(database: Database) -> bool:
    """True when no publisher exists yet (`tracker run` then imports the shipped registry)."""
    with database.session() as session:
        return not session.scalar(select(func.count()).select_from(Publisher))


@dataclass(frozen=True)
class PublisherListing:
    slug: str
    name: str | None
    country: str | None
    method: str
    basis: str | None
    handles: str


def list_publishers(database: Database, country: str | None = None) -> list[PublisherListing]:
    """Publishers with their effective country: the last attribution's, else override > registry."""
    listings = []
    with database.read_only_session() as session:
        handles: dict[int, list[str]] = {}
        for account in session.execute(
            select(Account.publisher_id, Account.platform, Account.handle)
            .where(Account.publisher_id.is_not(None))
            .order_by(Account.platform.desc(), Account.handle_key)
        ):
            handles.setdefault(account.publisher_id, []).append(f"{account.platform}:{account.handle}")
        for publisher in session.scalars(select(Publisher).order_by(Publisher.slug)):
            if publisher.country_method:
                code, method, basis = publisher.country, publisher.country_method, publisher.country_basis
            elif publisher.override_country or publisher.override_basis:
                code, method, basis = publisher.override_country, "manual", publisher.override_basis
            elif publisher.registry_country:
                code, method, basis = publisher.registry_country, "registry", publisher.registry_basis
            else:
                code, method, basis = None, "unattributed", publisher.registry_basis
            if country and (code or "") != country.strip().upper():
                continue
            listings.append(
                PublisherListing(
                    publisher.slug,
                    publisher.name,
                    code,
                    method,
                    basis,
                    " ".join(handles.get(publisher.id, [])),
                )
            )
    return listings


class UnknownHandle(LookupError):
    """`tracker publishers set` named a handle that is not in the database."""


def set_override(
    database: Database, handle: str, country: str, basis: str, platform: str | None = None
) -> Publisher:
    """Record a manual country for the publisher behind `handle` (created when the handle has none).

    Imports and inference never overwrite it. `country` may be `-` to record "unknown on purpose".
    """
    code = country.strip().upper()
    if code != NO_INFER and not _valid_country(code):
        raise ValueError(f"unknown country code {country!r} (ISO 3166-1 alpha-2, or '-' for unknown)")
    if not basis.strip():
        raise ValueError("a basis is required: say why")
    key = handle.strip().lower()
    with database.session() as session:
        query = select(Account).where(Account.handle_key == key)
        if platform:
            query = query.where(Account.platform == platform)
        accounts = session.scalars(query.order_by(Account.platform.desc())).all()  # 'hf' before 'github'
        account = accounts[0] if accounts else None
        if account is None:
            if platform is None:
                raise UnknownHandle(f"no account {handle!r}; pass --platform hf or github to create it")
            account = Account(platform=platform, handle=handle.strip(), handle_key=key)
            session.add(account)
        publisher = session.get(Publisher, account.publisher_id) if account.publisher_id else None
        if publisher is None:
            slug = (
                key
                if session.scalar(select(Publisher).where(Publisher.slug == key)) is None
                else f"{account.platform}-{key}"
            )
            publisher = Publisher(slug=slug, name=account.handle, registry_no_infer=False)
            session.add(publisher)
            session.flush()
            account.publisher_id = publisher.id
        publisher.override_country = None if code == NO_INFER else code
        publisher.override_basis = (
            basis.strip() if code != NO_INFER else f"unknown on purpose: {basis.strip()}"
        )
        # Apply it at once to the publisher and its accounts (the next attribution agrees).
        resolution = resolve_publisher(publisher, [])
        for target in [
            publisher,
            *session.scalars(select(Account).where(Account.publisher_id == publisher.id)),
        ]:
            for name, value in resolution.values().items():
                setattr(target, name, value)
        session.flush()
        return publisher
