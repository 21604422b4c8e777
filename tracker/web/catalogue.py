"""What the publisher, model and search pages read from the database: small indexed lookups only.

Every query here touches rows of one publisher or one model through an index (hf_models.author_key,
root_author_key, repo_id; hf_model_parents.parent_repo_id; snapshot primary keys), so pages stay fast at the
size of the whole Hub; nothing scans all models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, text

from tracker.db.engine import Database
from tracker.db.views import HF_AUTHOR_COUNTRY, HF_METRICS_AS_OF, HF_NEWEST_DUMP, month_sql

MODELS_SHOWN = 100  # models listed on a publisher page (by 30-day downloads)
MODELS_CHARTED = 8  # of which drawn over time
CHILDREN_SHOWN = 100
LINEAGE_MAX_DEPTH = 50
SEARCH_LIMIT = 50


def _prefix_range(prefix: str) -> tuple[str, str]:
    # A range instead of LIKE, so both back ends use the index whatever the collation.
    return prefix, prefix + "\U0010ffff"


@dataclass(frozen=True)
class PublisherEntry:
    slug: str
    name: str | None
    country: str | None
    method: str | None
    handles: str


@dataclass
class PublisherPage:
    slug: str
    name: str | None
    kind: str | None
    country: str | None
    basis: str | None
    method: str | None
    confidence: float | None
    linked: bool  # a publisher of the registry (False: a bare namespace)
    accounts: list[dict[str, Any]]
    model_count: int = 0
    models: list[dict[str, Any]] = field(default_factory=list)
    downloads_over_time: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)


@dataclass
class ModelPage:
    model: dict[str, Any]
    parents: list[dict[str, Any]]
    lineage: list[dict[str, Any]]  # from the model's first parent up to the root
    children: list[dict[str, Any]]
    children_count: int
    publisher: str | None  # the page name of the author's publisher (or namespace)


def _rows(
    database: Database, sql: str, params: dict[str, Any] | None = None, expanding: tuple[str, ...] = ()
):
    statement = text(sql)
    for name in expanding:
        statement = statement.bindparams(bindparam(name, expanding=True))
    with database.read_only_session() as session:
        return [dict(row._mapping) for row in session.execute(statement, params or {})]


def publishers_index(database: Database) -> list[PublisherEntry]:
    """Every publisher of the registry with its country and handles, by slug."""
    rows = _rows(
        database,
        "SELECT p.slug, p.name, p.country, p.country_method, a.platform, a.handle FROM publishers p "
        "LEFT JOIN accounts a ON a.publisher_id = p.id ORDER BY p.slug, a.platform, a.handle",
    )
    entries: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = entries.setdefault(
            row["slug"],
            {"name": row["name"], "country": row["country"], "method": row["country_method"], "handles": []},
        )
        if row["handle"]:
            entry["handles"].append(f"{row['platform']}:{row['handle']}")
    return [
        PublisherEntry(slug, e["name"], e["country"], e["method"], ", ".join(e["handles"]))
        for slug, e in entries.items()
    ]


def _publisher_identity(database: Database, name: str) -> PublisherPage | None:
    found = _rows(database, "SELECT * FROM publishers WHERE slug = :name", {"name": name})
    if found:
        publisher = found[0]
        accounts = _rows(
            database,
            "SELECT platform, handle, handle_key, country, country_basis, country_method FROM accounts "
            "WHERE publisher_id = :id ORDER BY platform, handle",
            {"id": publisher["id"]},
        )
        return PublisherPage(
            slug=publisher["slug"],
            name=publisher["name"],
            kind=publisher["kind"],
            country=publisher["country"],
            basis=publisher["country_basis"],
            method=publisher["country_method"],
            confidence=publisher["country_confidence"],
            linked=True,
            accounts=accounts,
        )
    key = name.lower()
    accounts = _rows(
        database,
        "SELECT platform, handle, handle_key, country, country_basis, country_method, country_confidence "
        "FROM accounts WHERE handle_key = :key ORDER BY platform",
        {"key": key},
    )
    if not accounts:
        exists = _rows(
            database, "SELECT 1 AS one FROM hf_models WHERE author_key = :key LIMIT 1", {"key": key}
        )
        if not exists:
            return None
        accounts = [{"platform": "hf", "handle": name, "handle_key": key, "country": None}]
    first = next((a for a in accounts if a["platform"] == "hf"), accounts[0])
    return PublisherPage(
        slug=name,
        name=None,
        kind=None,
        country=first.get("country"),
        basis=first.get("country_basis"),
        method=first.get("country_method") or "unknown",
        confidence=first.get("country_confidence"),
        linked=False,
        accounts=accounts,
    )


def publisher_page(database: Database, name: str) -> PublisherPage | None:
    """A publisher (by slug) or a bare namespace (by handle): its country and models (derivatives: below)."""
    page = _publisher_identity(database, name)
    if page is None:
        return None
    keys = list(hf_keys(page))
    if not keys:
        return page
    params: dict[str, Any] = {"keys": keys, "limit": MODELS_SHOWN}
    page.model_count = _rows(
        database, "SELECT COUNT(*) AS n FROM hf_models WHERE author_key IN :keys", params, ("keys",)
    )[0]["n"]
    page.models = _rows(
        database,
        "SELECT id, repo_id, created_at, downloads_30d, likes, pipeline_tag FROM hf_models "
        "WHERE author_key IN :keys ORDER BY downloads_30d DESC NULLS LAST, repo_id LIMIT :limit"
        if database.backend == "postgresql"
        else "SELECT id, repo_id, created_at, downloads_30d, likes, pipeline_tag FROM hf_models "
        "WHERE author_key IN :keys ORDER BY downloads_30d IS NULL, downloads_30d DESC, repo_id LIMIT :limit",
        params,
        ("keys",),
    )
    charted = [model["id"] for model in page.models[:MODELS_CHARTED]]
    if charted:
        names = {model["id"]: model["repo_id"] for model in page.models}
        for row in _rows(
            database,
            "SELECT model_id, captured_on, downloads_30d FROM hf_model_snapshots WHERE model_id IN :ids "
            "ORDER BY captured_on",
            {"ids": charted},
            ("ids",),
        ):
            captured = row["captured_on"]
            day = captured.isoformat() if isinstance(captured, dt.date) else str(captured)
            page.downloads_over_time.setdefault(names[row["model_id"]], []).append(
                (day, row["downloads_30d"])
            )
    return page


def hf_keys(page: PublisherPage) -> tuple[str, ...]:
    """The publisher's Hugging Face namespaces (lower case), the key of its derivatives."""
    return tuple(sorted({a["handle_key"] for a in page.accounts if a["platform"] == "hf"}))


def derivatives_by_month(database: Database, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Derivatives whose root model is in `keys`' namespaces, by creation month and builder country.

    The heaviest read of the pages (the Hub's largest roots have over 100k derivatives), so the app caches it
    and warms it for the registry's publishers at start (tracker.web.cache)."""
    if not keys:
        return []
    month = month_sql(database.backend, "m.created_at")
    return _rows(
        database,
        "SELECT d.month, a.country AS builder_country, SUM(d.derivatives) AS derivatives FROM ("
        f"SELECT {month} AS month, m.author_key, COUNT(*) AS derivatives FROM hf_models m "
        "WHERE m.root_author_key IN :keys AND m.created_at IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) "
        f"GROUP BY {month}, m.author_key) d "
        "LEFT JOIN accounts a ON a.platform = 'hf' AND a.handle_key = d.author_key "
        "GROUP BY d.month, a.country ORDER BY d.month, derivatives DESC",
        {"keys": list(keys)},
        ("keys",),
    )


def registry_hf_keys(database: Database) -> list[tuple[str, ...]]:
    """Every registry publisher's Hugging Face namespaces (for warming the derivatives cache)."""
    grouped: dict[int, set[str]] = {}
    for row in _rows(
        database,
        "SELECT publisher_id, handle_key FROM accounts WHERE platform = 'hf' AND publisher_id IS NOT NULL",
    ):
        grouped.setdefault(row["publisher_id"], set()).add(row["handle_key"])
    return [tuple(sorted(keys)) for keys in grouped.values()]


def _model(database: Database, repo_id: str) -> dict[str, Any] | None:
    rows = _rows(
        database,
        "SELECT m.id, m.repo_id, m.author, m.author_key, m.created_at, m.downloads_30d, m.downloads_all_time, "
        "m.likes, m.pipeline_tag, m.library_name, m.license, m.root_repo_id, m.root_mixed, "
        f"{HF_METRICS_AS_OF} AS metrics_on, "
        "a.country, a.country_method, p.slug AS publisher FROM hf_models m "
        f"{HF_NEWEST_DUMP} {HF_AUTHOR_COUNTRY} "
        "LEFT JOIN publishers p ON p.id = a.publisher_id WHERE m.repo_id = :repo",
        {"repo": repo_id},
    )
    return rows[0] if rows else None


def _parents(database: Database, model_id: int) -> list[dict[str, Any]]:
    return _rows(
        database,
        "SELECT parent_repo_id, relation, position FROM hf_model_parents WHERE child_id = :id ORDER BY position",
        {"id": model_id},
    )


def model_page(database: Database, repo_id: str) -> ModelPage | None:
    """A model, its lineage up to the root (first parents) and its direct children."""
    model = _model(database, repo_id)
    if model is None:
        return None
    parents = _parents(database, model["id"])
    lineage: list[dict[str, Any]] = []
    seen = {model["repo_id"]}
    step = parents[0] if parents else None
    while step is not None and step["parent_repo_id"] not in seen and len(lineage) < LINEAGE_MAX_DEPTH:
        seen.add(step["parent_repo_id"])
        ancestor = _model(database, step["parent_repo_id"])
        lineage.append(
            {
                "repo_id": step["parent_repo_id"],
                "relation": step["relation"],
                "collected": ancestor is not None,
                "country": ancestor["country"] if ancestor else None,
            }
        )
        if ancestor is None:
            break
        up = _parents(database, ancestor["id"])
        step = up[0] if up else None
    children = _rows(
        database,
        "SELECT m.repo_id, p.relation, m.downloads_30d, m.created_at FROM hf_model_parents p "
        "JOIN hf_models m ON m.id = p.child_id WHERE p.parent_repo_id = :repo "
        "ORDER BY COALESCE(m.downloads_30d, 0) DESC, m.repo_id LIMIT :limit",
        {"repo": model["repo_id"], "limit": CHILDREN_SHOWN},
    )
    count = _rows(
        database,
        "SELECT COUNT(*) AS n FROM hf_model_parents WHERE parent_repo_id = :repo",
        {"repo": model["repo_id"]},
    )[0]["n"]
    return ModelPage(
        model=model,
        parents=parents,
        lineage=lineage,
        children=children,
        children_count=count,
        publisher=model["publisher"] or model["author_key"],
    )


def search(database: Database, query: str) -> dict[str, list[dict[str, Any]]]:
    """Models by repo id prefix; publishers by slug or name; accounts (HF namespaces, GitHub orgs) by handle."""
    query = query.strip()
    if not query:
        return {"models": [], "publishers": [], "accounts": []}
    low, high = _prefix_range(query)
    key_low, key_high = _prefix_range(query.lower())
    models = _rows(
        database,
        "SELECT repo_id, downloads_30d FROM hf_models WHERE repo_id >= :low AND repo_id < :high "
        "ORDER BY repo_id LIMIT :limit",
        {"low": low, "high": high, "limit": SEARCH_LIMIT},
    )
    pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    publishers = _rows(
        database,
        "SELECT slug, name, country FROM publishers WHERE lower(slug) LIKE :pattern ESCAPE '\\' "
        "OR lower(COALESCE(name, '')) LIKE :pattern ESCAPE '\\' ORDER BY slug LIMIT :limit",
        {"pattern": pattern, "limit": SEARCH_LIMIT},
    )
    accounts = _rows(
        database,
        "SELECT a.platform, a.handle, a.country, p.slug AS publisher FROM accounts a "
        "LEFT JOIN publishers p ON p.id = a.publisher_id "
        "WHERE a.handle_key >= :low AND a.handle_key < :high ORDER BY a.handle_key, a.platform LIMIT :limit",
        {"low": key_low, "high": key_high, "limit": SEARCH_LIMIT},
    )
    return {"models": models, "publishers": publishers, "accounts": accounts}
