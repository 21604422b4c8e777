"""The publisher registry: reading the CSV, checking every row, and importing it into publishers and accounts.

The CSV has the header `hf_org,github_org,country,name,kind,basis` and an optional `publisher` slug; other
columns are ignored and lines starting with `#` are comments. Rows that share a `publisher` slug or a handle
(case-insensitively, per platform) are one publisher. An empty country means "infer it", `-` means "unknown on
purpose, do not infer". A file with any bad row is rejected whole, every error named with its line number.
Importing is idempotent and never touches manual overrides (`tracker publishers set`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.attribution.attribute import resolve_publisher
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher

REQUIRED_COLUMNS = ("hf_org", "github_org", "country", "name", "kind", "basis")
KINDS = {"company", "lab", "academic", "community", "government", "person"}
NO_INFER = "-"
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")


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


def parse_registry(text: str, source: str = "registry") -> list[RegistryRow]:
    """Check every line of a registry CSV; raise `RegistryError` listing all bad lines."""
    # Comments become blank lines so that csv's line counter stays the physical line number.
    cleaned = "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())
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

        problems = []
        hf_org, github_org = cell("hf_org") or None, cell("github_org") or None
        if not hf_org and not github_org:
            problems.append("neither hf_org nor github_org is given")
        for label, handle in (("hf_org", hf_org), ("github_org", github_org)):
            if handle and not _HANDLE.match(handle):
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
        if publisher and not _SLUG.match(publisher):
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
    group_publishers(rows, source)  # conflicts inside a publisher are errors too
    return rows


def read_registry(path: Path | str) -> list[RegistryRow]:
    """Read and check a registry file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RegistryError(str(path), [f"line 0: cannot read the file: {error}"]) from None
    return parse_registry(text, str(path))


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
        for row in members:
            if row.hf_org and row.hf_org.lower() not in {handle.lower() for handle in entry.hf}:
                entry.hf.append(row.hf_org)
            if row.github_org and row.github_org.lower() not in {handle.lower() for handle in entry.github}:
                entry.github.append(row.github_org)
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


def _set(obj: object, name: str, value: object) -> bool:
    """Assign only when different (so a second import writes nothing); True when it changed."""
    if getattr(obj, name) == value:
        return False
    setattr(obj, name, value)
    return True


def _find_publisher(session: Session, entry: PublisherEntry) -> Publisher | None:
    publisher = session.scalar(select(Publisher).where(Publisher.slug == entry.slug))
    if publisher is not None:
        return publisher
    for platform, handles in (("hf", entry.hf), ("github", entry.github)):
        for handle in handles:
            account = session.scalar(
                select(Account).where(Account.platform == platform, Account.handle_key == handle.lower())
            )
            if account is not None and account.publisher_id is not None:
                return session.get(Publisher, account.publisher_id)
    return None


def import_entries(session: Session, entries: list[PublisherEntry]) -> ImportSummary:
    """Write publishers and their accounts in `session` (the caller's transaction)."""
    summary = ImportSummary(publishers=len(entries))
    for entry in entries:
        publisher = _find_publisher(session, entry)
        created = publisher is None
        if publisher is None:
            publisher = Publisher(slug=entry.slug, registry_no_infer=False)
            session.add(publisher)
        decided = entry.decided
        basis_row = decided or entry.first
        changes = [
            _set(publisher, "name", next((row.name for row in entry.rows if row.name), None)),
            _set(publisher, "kind", next((row.kind for row in entry.rows if row.kind), None)),
            _set(publisher, "registry_country", decided.country if decided else None),
            _set(publisher, "registry_no_infer", bool(decided and decided.no_infer)),
            _set(publisher, "registry_basis", basis_row.basis),
        ]
        session.flush()
        if created:
            summary.publishers_created += 1
        elif any(changes):
            summary.publishers_updated += 1
        for platform, handles in (("hf", entry.hf), ("github", entry.github)):
            for handle in handles:
                account = session.scalar(
                    select(Account).where(Account.platform == platform, Account.handle_key == handle.lower())
                )
                if account is None:
                    session.add(
                        Account(
                            platform=platform,
                            handle=handle,
                            handle_key=handle.lower(),
                            publisher_id=publisher.id,
                        )
                    )
                    summary.accounts_created += 1
                elif _set(account, "publisher_id", publisher.id) | _set(account, "handle", handle):
                    summary.accounts_updated += 1
    session.flush()
    return summary


def import_registry(database: Database, path: Path | str) -> ImportSummary:
    """Check `path` whole, then import it in one transaction (all or nothing)."""
    entries = group_publishers(read_registry(path), str(path))
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
