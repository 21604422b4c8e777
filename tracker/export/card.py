"""The data card (`README.md`, Hugging Face dataset-card format) and `datapackage.json` (Frictionless) of an export.

Column meanings come from the view declarations (tracker/db/views.py) and the schema (tracker/db/models.py),
the limits from the report's, so the card says what the docs say.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import text

from tracker import __version__
from tracker.db.engine import Database
from tracker.db.models import HfDailyCountryTotal
from tracker.db.schema_doc import column_meaning
from tracker.db.views import VIEWS_BY_NAME
from tracker.reports.render import LIMITS

if TYPE_CHECKING:
    from tracker.export.files import ExportResult

# The measured figures of docs/attribution.md (the location parser, checked against labelled locations).
ATTRIBUTION = (
    "Countries are resolved per account with a recorded basis and method, in this order: a manual decision, "
    "the shipped publisher registry (188 publishers, each with its basis), the location parsed offline from "
    "the linked GitHub profile, else unknown (NULL). A Hugging Face account inherits its publisher's "
    "country; a model counts for its author's account, and its root for the farthest ancestor along "
    "base-model edges. Measured (docs/attribution.md): the location parser's precision is 0.993 and its "
    "coverage 0.990 on 494 labelled locations (0.967 and 0.978 on 101 written after the parser and never "
    "tuned on); the registry agrees with the ATOM Project's regions for 116 of 118 organisations and with "
    "Epoch AI's countries for 76 of 77."
)
LICENSE_TEXT = (
    "Metadata collected from the public Hugging Face Hub and GitHub REST APIs; each item stays under its "
    "platform's terms and its own license (see the `license` columns). The tracker that compiled it is "
    "Apache-2.0."
)
_FRICTIONLESS_TYPES = {"int64": "integer", "double": "number", "bool": "boolean", "date32[day]": "date"}


def _describe(name: str) -> tuple[str, dict[str, str]]:
    view = VIEWS_BY_NAME.get(name)
    if view is not None:
        return view.description, view.columns
    table = HfDailyCountryTotal.__table__
    description = " ".join(inspect.getdoc(HfDailyCountryTotal).split())  # type: ignore[union-attr]
    return description, {
        column.name: column_meaning(table.name, column.name) or "" for column in table.columns
    }


def _collection_dates(database: Database) -> dict[str, str | None]:
    queries = {
        "models_first": "SELECT MIN(first_seen_on) FROM hf_models",
        "models_last": "SELECT MAX(metrics_on) FROM hf_models",
        "repos_first": "SELECT MIN(first_seen_on) FROM gh_repos",
        "repos_last": "SELECT MAX(metrics_on) FROM gh_repos",
        "created_first": "SELECT MIN(created_at) FROM hf_models",
    }
    dates: dict[str, str | None] = {}
    with database.read_only_session() as session:
        for key, sql in queries.items():
            value = session.execute(text(sql)).scalar()
            dates[key] = None if value is None else str(value)[:10]
    return dates


def _field_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "datetime"
    return _FRICTIONLESS_TYPES.get(str(kind), "string")


def card_markdown(result: ExportResult, dates: dict[str, str | None], created: str) -> str:
    names = list(result.schemas)
    formats = sorted({file.fmt for file in result.files}, key=lambda fmt: fmt != "parquet")
    rows = {file.name: file.rows for file in result.files}
    total = max(rows.values(), default=0)
    size = (
        "n<1K"
        if total < 1_000
        else "1K<n<10K"
        if total < 10_000
        else "10K<n<100K"
        if total < 100_000
        else ("100K<n<1M" if total < 1_000_000 else "1M<n<10M")
    )
    front = [
        "---",
        "license: other",
        "license_name: platform-metadata",
        "pretty_name: Open-source AI by country (tracker export)",
        "language:",
        "- en",
        "tags:",
        "- hugging-face-hub",
        "- github",
        "- open-source-ai",
        "- geography",
        "size_categories:",
        f"- {size}",
        "configs:",
    ]
    for name in names:
        front += [f"- config_name: {name}", f"  data_files: {name}.{formats[0]}"]
    front.append("---")
    body = [
        "",
        "# Open-source AI by country: a tracker export",
        "",
        f"Exported {created} by tracker {__version__} (`tracker export`). Every documented view of the tracker's "
        "database and its exact daily roll-ups, one file per view and format "
        f"({', '.join(formats)}). Load one with pandas (`pd.read_parquet('hf_model_latest.parquet')`), "
        "DuckDB (`SELECT * FROM 'hf_model_latest.parquet'`) or `datasets` "
        "(`load_dataset('parquet', data_files='hf_model_latest.parquet')`).",
        "",
        "## Sources",
        "",
        "- The Hugging Face Hub's model and dataset list API (author, creation time, downloads over 30 days, "
        "all-time downloads, likes, tags, base-model lineage).",
        "- The GitHub REST API (organisations, repositories, stars, forks, contributors and their profile locations).",
        "- The tracker's publisher registry (publishers, their handles and countries, each with its basis).",
        "",
        "## Collection dates",
        "",
        f"- Hugging Face models first collected on {dates['models_first'] or 'n/a'}, newest metrics of "
        f"{dates['models_last'] or 'n/a'}; creation dates back to {dates['created_first'] or 'n/a'}.",
        f"- GitHub repositories first collected on {dates['repos_first'] or 'n/a'}, newest counts of "
        f"{dates['repos_last'] or 'n/a'}.",
        "",
        "## Attribution method and its measured precision",
        "",
        ATTRIBUTION,
        "",
        "## Known limits",
        "",
        *[f"- {limit}" for limit in LIMITS],
        "",
        "## License",
        "",
        LICENSE_TEXT,
        "",
        "## Files and columns",
        "",
    ]
    for name in names:
        description, columns = _describe(name)
        body += [
            f"### `{name}` ({rows.get(name, 0):,} rows)",
            "",
            description,
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        for column in result.schemas[name]:
            meaning = columns.get(column.name, "")
            body.append(f"| `{column.name}` | {column.type} | {meaning} |")
        body.append("")
    return "\n".join(front + body)


def datapackage(result: ExportResult, created: str) -> dict[str, Any]:
    resources = []
    for file in result.files:
        description, columns = _describe(file.name)
        resource: dict[str, Any] = {
            "name": file.name if file.fmt == "csv" else f"{file.name}-parquet",
            "path": file.path.name,
            "format": file.fmt,
            "mediatype": "text/csv" if file.fmt == "csv" else "application/vnd.apache.parquet",
            "description": description,
            "schema": {
                "fields": [
                    {
                        "name": column.name,
                        "type": _field_type(column.type),
                        "description": columns.get(column.name, ""),
                    }
                    for column in result.schemas[file.name]
                ]
            },
        }
        if file.fmt == "csv":
            resource.update({"profile": "tabular-data-resource", "encoding": "utf-8"})
        resources.append(resource)
    return {
        "profile": "data-package",
        "name": "tracker-export",
        "title": "Open-source AI by country (tracker export)",
        "description": "Every documented view of the tracker's database and its exact daily roll-ups.",
        "created": created,
        "version": __version__,
        "licenses": [{"name": "other", "title": LICENSE_TEXT}],
        "sources": [
            {"title": "Hugging Face Hub API"},
            {"title": "GitHub REST API"},
            {"title": "tracker publisher registry"},
        ],
        "resources": resources,
    }


def write_card(database: Database, result: ExportResult) -> None:
    """Write `README.md` and `datapackage.json` beside the exported files."""
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    dates = _collection_dates(database)
    (result.out_dir / "README.md").write_text(card_markdown(result, dates, created) + "\n", encoding="utf-8")
    (result.out_dir / "datapackage.json").write_text(
        json.dumps(datapackage(result, created), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
