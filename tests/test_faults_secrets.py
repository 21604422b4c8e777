"""Fault injection: configured secrets (HF_TOKEN, several GITHUB_TOKENs, a database password) never appear in
output, logs (-vv, --log-json), stored rows or report files, through successes, 401s, rate limits and failures.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import make_url
from werkzeug import Request, Response

from tests.fakes.github import FakeGitHub, add_example_data
from tests.fakes.hub import FakeHub, sample_datasets, sample_models
from tracker.cli import main
from tracker.db.engine import Database
from tracker.db.models import Base

HF_TOKEN = "hf_SecretHubToken0123456789abcdef"
GOOD_TOKEN = "ghp_SecretGoodToken0123456789abcdefABCD"
SMALL_TOKEN = "ghp_SecretSmallToken0123456789abcdefAB"
REVOKED_TOKEN = "ghp_SecretRevokedToken0123456789abcdef"
DB_PASSWORD = "Db-Pa55word-Secret-42"
SECRETS = (HF_TOKEN, GOOD_TOKEN, SMALL_TOKEN, REVOKED_TOKEN, DB_PASSWORD)


def with_password(url: str) -> str:
    """The URL with a password (the test server trusts local connections, so any password works)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


def every_stored_text(database: Database) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def files_text(folder: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*") if path.is_file()
    )


def leaked(haystack: str) -> list[str]:
    return [secret for secret in SECRETS if secret in haystack]


def test_no_secret_in_output_logs_rows_or_reports(
    database: Database,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = with_password(database_url)
    out_dir = tmp_path / "reports"
    captured: list[str] = []
    codes: dict[str, Any] = {}

    def tracker(name: str, *args: str) -> None:
        codes[name] = main(list(args))
        result = capsys.readouterr()
        captured.extend([result.out, result.err])

    with (
        FakeHub(models=sample_models(), datasets=sample_datasets(), page_size=9, fault_reset=3600) as hub,
        FakeGitHub(tokens={GOOD_TOKEN: 5000, SMALL_TOKEN: 3}) as github,
    ):
        add_example_data(github)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        monkeypatch.setenv("TRACKER_TODAY", "2026-03-02")
        monkeypatch.setenv("TRACKER_REPORTS_DIR", str(out_dir))

        hf = ["collect", "huggingface", "--since", "2024-01-01", "--org", "org-a", "--top", "5"]
        tracker("hf ok", "-vv", *hf)
        hub.inject("429", when=lambda path, query: True)  # a rate limit beyond --max-wait: exit 3
        tracker("hf limited", "-vv", "--log-json", *hf, "--max-wait", "0")
        hub.faults.clear()

        # a revoked token (401: set aside), a tiny budget and a good one; then only the tiny and revoked ones
        monkeypatch.setenv("GITHUB_TOKEN", f"{SMALL_TOKEN},{REVOKED_TOKEN},{GOOD_TOKEN}")
        gh = [
            "collect",
            "github",
            "--org",
            "qwen-lab",
            "--no-search",
            "--contributors",
            "2",
            "--max-wait",
            "0",
        ]
        tracker("gh ok", "-vv", *gh)
        monkeypatch.setenv("GITHUB_TOKEN", f"{REVOKED_TOKEN},{SMALL_TOKEN}")
        monkeypatch.setenv("TRACKER_TODAY", "2026-03-03")
        for repo in github.repos.values():  # changed objects answer 200, which spends the tiny budget
            repo.stars += 1
        tracker("gh limited", "-vv", "--log-json", *gh)
        monkeypatch.setenv("GITHUB_TOKEN", REVOKED_TOKEN)
        tracker("gh revoked", "-vv", *gh)

        tracker("status", "-vv", "status")
        tracker("report", "-vv", "--log-json", "report", "--out", str(out_dir))
        tracker("query", "SELECT id, status, message, params FROM collection_runs")
        tracker("query", "SELECT id, task, status, message, checkpoint FROM collection_tasks")
    # a database that does not answer (a closed port), and one that refuses the credentials: masked errors
    unreachable = f"postgresql://tracker:{DB_PASSWORD}@127.0.0.1:1/tracker"
    tracker("unreachable", "-vv", "--database-url", unreachable, "status")
    tracker("unreachable json", "-vv", "--log-json", "--database-url", unreachable, "collect", "huggingface")
    monkeypatch.setenv("TRACKER_DATABASE_URL", unreachable)
    tracker("unreachable env", "-vv", "query", "SELECT 1")

    assert codes["hf ok"] == 0 and codes["gh ok"] == 0 and codes["report"] == 0, codes
    assert codes["hf limited"] == 3 and codes["gh limited"] == 3, codes
    assert codes["gh revoked"] != 0, codes
    assert codes["unreachable"] == codes["unreachable json"] == codes["unreachable env"] == 1, codes
    assert hub.authorizations == {f"Bearer {HF_TOKEN}"}  # the token was really sent
    assert any(served.status == 401 for served in github.requests)

    output = "\n".join(captured)
    logs = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    rows = every_stored_text(database)
    reports = files_text(out_dir)
    assert rows and reports and output and logs
    assert "token #2 of 3" in output + logs  # the 401 warning names the position, not the token
    assert ":***@127.0.0.1:1" in output  # the URL was shown, masked
    assert not leaked(output), "a secret in stdout/stderr"
    assert not leaked(logs), "a secret in the log"
    assert not leaked(rows), "a secret in the database"
    assert not leaked(reports), "a secret in a report file"


def test_a_server_that_echoes_the_token_back_does_not_get_it_stored_or_shown(
    database: Database,
    database_url: str,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    def echo(request: Request) -> Response:
        said = request.headers.get("Authorization", "")
        body = json.dumps({"error": f"Invalid credentials in Authorization header: {said}"})
        return Response(body, status=401, content_type="application/json", headers={"X-Error-Message": said})

    httpserver.expect_request("/api/models").respond_with_handler(echo)
    monkeypatch.setenv("HF_ENDPOINT", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    monkeypatch.setenv("TRACKER_TODAY", "2026-03-02")
    code = main(["--database-url", database_url, "-vv", "collect", "huggingface", "--top", "3", "--no-new"])
    result = capsys.readouterr()
    assert code == 1
    assert any(HF_TOKEN in str(request.headers) for request, _ in httpserver.log)  # it was echoed
    assert not leaked(result.out + result.err), result.err
    assert not leaked(every_stored_text(database))
