"""Documentation stays complete: every view column and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import cli
from tracker.db.views import VIEWS, markdown

ROOT = Path(__file__).resolve().parents[1]


def test_sql_interface_doc_is_generated_from_the_view_declarations() -> None:
    doc = (ROOT / "docs" / "sql-interface.md").read_text()
    assert doc.strip() == markdown().strip(), (
        "regenerate with: python -m tracker.db.views > docs/sql-interface.md"
    )
    for view in VIEWS:
        for column in view.columns:
            assert f"`{column}`" in doc


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names.append(full)
        if isinstance(command, click.Group):
            names += _commands(command, f"{full} ")
    return names


def test_every_cli_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in _commands(cli) if f"tracker {name}" not in readme]
    assert missing == []


def test_schema_doc_covers_every_table_and_column_and_is_current() -> None:
    from tracker.db import schema_doc

    assert schema_doc.missing_meanings() == []
    doc = (ROOT / "docs" / "schema.md").read_text()
    assert doc.strip() == schema_doc.markdown().strip(), (
        "regenerate with: python -m tracker.db.schema_doc > docs/schema.md"
    )
