"""`tracker status` output: whole values when stdout is not a terminal; in a narrow terminal the tables wrap
long values instead of cutting them or the numbers (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from tracker.db.engine import Database
from tracker.runs import finish_run, start_run

MESSAGE = "the Hub answered 503 for org-a " + " ".join(f"word{n}" for n in range(60)) + " END"
ITEMS = 1_234_567_890


def _status(database_url: str, cwd: Path, **env: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tracker.cli import run; run()",
            "--database-url",
            database_url,
            "status",
        ],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # colour codes, when forced


def _long_run(database: Database) -> None:
    run_id = start_run(database, "huggingface", dt.date(2026, 3, 2))
    finish_run(database, run_id, "failed", items=ITEMS, message=MESSAGE)


def test_status_in_a_pipe_never_cuts_a_value(database: Database, database_url: str, tmp_path: Path) -> None:
    _long_run(database)
    out = _status(database_url, tmp_path, COLUMNS="60")
    assert MESSAGE in out  # on one line, whole
    assert f"{ITEMS:,}" in out
    assert "…" not in out


def test_status_in_a_narrow_terminal_wraps_instead_of_cutting(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    _long_run(database)
    out = _status(database_url, tmp_path, COLUMNS="100", FORCE_COLOR="1")
    table_lines = [line for line in out.splitlines() if "│" in line or "┃" in line]
    assert table_lines and max(len(line) for line in table_lines) <= 100
    assert "…" not in out
    assert f"{ITEMS:,}" in out  # the number stays whole on its line
    words = re.findall(r"[\w-]+", out)
    assert all(word in words for word in re.findall(r"[\w-]+", MESSAGE)), "a part of the message is missing"
