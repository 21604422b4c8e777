"""`tracker serve`: every page and download over HTTP on SQLite and PostgreSQL, and hostile input."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.shift_data import Rows, build_rising_china, build_small
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.reports import write_report
from tracker.web import create_app

TODAY = "2025-06-01"
LONG_STATEMENT = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000000) SELECT COUNT(*) FROM n"


def settings_for(database: Database, tmp_path: Path, timeout: float = 60, max_rows: int = 5000):
    config = tmp_path / "tracker.toml"
    config.write_text(f"[query]\ntimeout = {timeout}\n\n[web]\nmax_rows = {max_rows}\n")
    return load_settings(
        {
            "database_url": database.url,
            "today": TODAY,
            "reports_dir": str(tmp_path / "reports"),
            "config_file": str(config),
        }
    )


@pytest.fixture
def filled(database: Database, tmp_path: Path) -> Database:
    with database.session() as session:
        build_small(session)
        build_rising_china(session, "2024-01", 14)
    # The pages are checked against report.md and report.json; report.html and its charts (two seconds a test)
    # are tests/test_report.py's.
    write_report(database, settings_for(database, tmp_path), tmp_path / "report-out", formats=("md", "json"))
    return database


@pytest.fixture
def client(filled: Database, tmp_path: Path) -> Any:
    return create_app(filled, settings_for(filled, tmp_path, timeout=2, max_rows=3)).test_client()


def page(client: Any, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def figures(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "report-out" / "report.json").read_text())


def cells(html: str, table_id: str) -> list[list[str]]:
    """The visible text of each body row's cells of the table `table_id`."""
    table = re.search(rf'<table id="{table_id}">.*?</table>', html, re.S)
    assert table is not None, table_id
    body = table.group(0).split("<tbody>", 1)[1]
    return [
        [visible(unescape(cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def markdown_tables(markdown: str) -> dict[str, list[list[str]]]:
    """report.md's tables by the heading above them: each row's cells as written."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| ") and heading not in tables:
            tables[heading] = []
        elif line.startswith("| "):
            tables[heading].append([cell.strip() for cell in line.strip("|").split(" | ")])
    return tables


def report_md(tmp_path: Path) -> str:
    return (tmp_path / "report-out" / "report.md").read_text()


def test_overview_shows_the_reports_verdict_signals_and_changes(client: Any, tmp_path: Path) -> None:
    report = figures(tmp_path)
    html = page(client, "/")
    assert f"Verdict: {report['verdict']['overall']} (" in html
    assert report["verdict"]["rule"] in visible(unescape(html))
    for key, figure in report["signals"].items():
        assert f'href="/signals/{key}"' in html
        assert figure["call"] in html
    for line in report["changes"]:
        assert line in visible(html)
    assert 'href="/publishers"' in html
    assert '<script src="/static/chart.js"' in html and "http://" not in html and "https://" not in html


def test_overview_figures_equal_the_reports(client: Any, tmp_path: Path) -> None:
    """Every figure of report.md's opening and summary table is on the overview, worded the same."""
    markdown = report_md(tmp_path)
    html = page(client, "/")
    shown = visible(unescape(html))
    opening = markdown.split("## Headlines")[0] + markdown.split("## Headlines")[1].split("## Signals")[0]
    for line in opening.splitlines():
        line = line.strip("-* ").strip()
        if line and not line.startswith("#"):
            assert visible(line) in shown, line
    expected = markdown_tables(markdown)["Signals"]
    assert expected and cells(html, "signals") == expected
    assert cells(html, "top-publishers") == markdown_tables(markdown)["Top publishers"]
    report = figures(tmp_path)
    verdict = re.search(r'id="verdict">([^<]*)<', html).group(1)
    assert verdict.startswith(f"Verdict: {report['verdict']['overall']} (")
    assert f"at least {report['verdict']['min_coverage']:.0f}%" in shown


def test_signal_pages_figures_equal_the_reports(client: Any, tmp_path: Path) -> None:
    """A signal page's summary row and its months are report.md's; its chart points are report.json's
    shares of the attributed total (partial months apart), with the unknown share of the whole total."""
    report, markdown = figures(tmp_path), report_md(tmp_path)
    tables = markdown_tables(markdown)
    summary = {row[0].removesuffix(" (not in verdict)"): row for row in tables["Signals"]}
    for key, figure in report["signals"].items():
        html = page(client, f"/signals/{key}")
        assert cells(html, "summary") == [summary[figure["title"]]]
        monthly = cells(html, "monthly")
        expected = tables.get(figure["title"], [])
        assert len(monthly) == 1 + len(figure["monthly"])
        assert all(row in monthly for row in expected), key
        assert sum("(partial)" in row[0] for row in monthly[1:]) == sum(
            p["partial"] for p in figure["monthly"]
        )
        for point in figure["monthly"]:
            label = point["month"] if figure["history"] == "creation" else point["collected_on"] or ""
            unknown = None if point["coverage"] is None else 100 - point["coverage"]
            for group, value in (*point["share_attributed"].items(), ("unknown", unknown)):
                if value is None:
                    continue
                circle = re.search(
                    rf'<circle [^>]*data-series="{re.escape(group)}" data-label="{label}" '
                    rf'data-value="{value:.2f}%"',
                    html,
                )
                assert circle is not None, (key, group, label, value)
                assert ('data-partial="true"' in circle.group(0)) == point["partial"]
        if figure["monthly"]:
            assert 'data-series="CN+HK+MO"' in html and 'data-series="unknown"' in html
    page(client, "/signals/no_such_signal", 404)


def test_new_models_signal_shares_equal_the_view(client: Any, filled: Database) -> None:
    with filled.read_only_session() as session:
        rows = session.execute(text("SELECT month, country, models FROM monthly_new_models")).all()
    month = "2024-06"
    attributed = sum(r.models for r in rows if r.month == month and r.country is not None)
    cn = sum(r.models for r in rows if r.month == month and r.country == "CN")
    html = page(client, "/signals/new_models")
    assert f'data-series="CN" data-label="{month}" data-value="{100 * cn / attributed:.2f}%"' in html


def test_overview_shows_the_newest_reports_figures(client: Any, filled: Database, tmp_path: Path) -> None:
    report = figures(tmp_path)
    first = next(iter(report["signals"]))
    report["signals"][first].update(
        {"cn_share_now": 41.5, "coverage": 32.25, "eligible": False, "call": "insufficient coverage"}
    )
    report["verdict"]["overall"] = "insufficient evidence"
    failed = "the Hugging Face collection of this run failed: figures are as of 2029-12-31"
    report["coverage"]["failed"] = [
        {"collector": "huggingface", "status": "failed", "as_of": "2029-12-31", "sentence": failed}
    ]
    with filled.session() as session:
        session.execute(
            text("INSERT INTO reports (created_at, report_date, out_dir, formats, verdict, figures) "
                 "VALUES (:at, :d, :dir, 'json', :v, :f)"),
            {"at": "2030-01-01 00:00:00", "d": "2030-01-01", "dir": str(tmp_path), "v": "insufficient evidence",
             "f": json.dumps(report)},
        )  # fmt: skip
    html = page(client, "/")
    assert "Verdict: insufficient evidence (" in html
    warning = html.index(f'<p class="failed">Warning: {failed}.</p>')
    assert warning < html.index("What this report stands on") < html.index('id="verdict"')
    headers = re.search(r'<table id="signals">.*?</thead>', html, re.S).group(0)
    assert "<th>CN of attributed</th><th>coverage</th>" in headers
    row = re.search(rf'<tr data-key="{first}">.*?</tr>', html, re.S).group(0)
    assert "<td>41.50%</td><td>32.25%</td>" in row and "insufficient coverage" in row
    assert "41.50%" in page(client, f"/signals/{first}")


def test_a_report_older_than_the_figures_shape_is_not_shown_as_current(
    client: Any, filled: Database, tmp_path: Path
) -> None:
    old = {"verdict": {"overall": "not supported"}, "signals": {}, "coverage": {"hf_models": 1}}
    with filled.session() as session:
        session.execute(
            text("INSERT INTO reports (created_at, report_date, out_dir, formats, verdict, figures) "
                 "VALUES (:at, :d, :dir, 'json', :v, :f)"),
            {"at": "2030-01-01 00:00:00", "d": "2030-01-01", "dir": str(tmp_path), "v": "not supported",
             "f": json.dumps(old)},
        )  # fmt: skip
        newest = session.execute(text("SELECT MAX(id) FROM reports")).scalar()
    html = page(client, "/")
    assert f"Verdict: {figures(tmp_path)['verdict']['overall']} (" in html
    assert f"Report #{newest}" in visible(html) and "predates the present figures" in html
    assert "Overall verdict changed from not supported" in visible(html)


def test_publishers_index_and_publisher_page(client: Any) -> None:
    html = page(client, "/publishers")
    assert 'href="/publishers/qwen"' in html and 'href="/publishers/meta"' in html
    html = page(client, "/publishers/qwen")
    text_ = visible(html)
    assert "Country: CN" in text_
    assert 'href="/models/Qwen/Qwen2"' in html
    # Qwen/Qwen2 has downloads snapshots: drawn over time
    assert 'data-series="Qwen/Qwen2" data-label="2025-02-25" data-value="600"' in html
    # derivatives rooted at Qwen: user1/qwen-ft (unknown builder) and Qwen/Qwen2-GGUF (CN), both 2025-02
    derivatives = re.search(r'<table id="derivatives">.*?</table>', html, re.S).group(0)
    assert visible(derivatives).count("2025-02") == 2
    page(client, "/publishers/mistralai")  # a namespace without a publisher
    page(client, "/publishers/nobody-at-all", 404)


def test_model_page_lineage_and_children(client: Any) -> None:
    html = page(client, "/models/user1/qwen-ft")
    lineage = re.search(r'<ol id="lineage">.*?</ol>', html, re.S).group(0)
    assert 'href="/models/Qwen/Qwen2"' in lineage and "(CN)" in lineage
    html = page(client, "/models/Qwen/Qwen2")
    children = re.search(r'<table id="children">.*?</table>', html, re.S).group(0)
    assert "user1/qwen-ft" in children and "Qwen/Qwen2-GGUF" in children
    assert "No parent" in html
    page(client, "/models/not/there", 404)


def test_search_by_repo_id_publisher_and_github_org(client: Any) -> None:
    assert 'href="/models/Qwen/Qwen2"' in page(client, "/search?q=Qwen/Qw")
    assert 'href="/publishers/qwen"' in page(client, "/search?q=qwe")
    assert "QwenLM" in page(client, "/search?q=qwenlm")
    assert "none" in page(client, "/search?q=zzzz")


def test_sql_page_named_query_box_and_downloads(client: Any, filled: Database) -> None:
    html = page(client, "/sql")
    assert 'href="/sql?name=top_publishers"' in html
    assert "(cut at the row cap of 3)" in page(client, "/sql?name=top_publishers")
    statement = "SELECT repo_id, downloads_30d FROM hf_models WHERE downloads_30d > 0 ORDER BY repo_id"
    with filled.read_only_session() as session:
        expected = [tuple(row) for row in session.execute(text(statement)).all()][:3]
    html = page(client, "/sql?" + urllib.parse.urlencode({"q": statement}))
    assert "3 rows (cut at the row cap of 3)" in visible(html)
    response = client.get("/sql?" + urllib.parse.urlencode({"q": statement, "format": "csv"}))
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["repo_id", "downloads_30d"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == expected
    response = client.get("/sql?" + urllib.parse.urlencode({"q": statement, "format": "json"}))
    assert [(r["repo_id"], r["downloads_30d"]) for r in response.get_json()] == expected


def test_sql_write_is_refused_and_changes_nothing(client: Any, filled: Database) -> None:
    with filled.read_only_session() as session:
        before = session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar()
    for statement in ("DELETE FROM hf_models", "DROP TABLE hf_models", "UPDATE hf_models SET likes = 0"):
        html = page(client, "/sql?" + urllib.parse.urlencode({"q": statement}))
        error = re.search(r'id="sql-error">([^<]*)<', html)
        assert error is not None and re.search(r"read-only|refused", error.group(1), re.I), statement
        response = client.get("/sql?" + urllib.parse.urlencode({"q": statement, "format": "csv"}))
        assert response.status_code == 400
    with filled.read_only_session() as session:
        assert session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar() == before


def test_long_statement_is_stopped_by_the_timeout(client: Any) -> None:
    started = time.monotonic()
    html = page(client, "/sql?" + urllib.parse.urlencode({"q": LONG_STATEMENT}))
    elapsed = time.monotonic() - started
    error = re.search(r'id="sql-error">([^<]*)<', html)
    assert error is not None and re.search(r"time", error.group(1), re.I), error
    assert elapsed < 2 + 8  # the configured 2 s, plus slack for a loaded machine
    assert "Verdict" in page(client, "/")  # the server still answers


def test_reports_are_served_by_id_and_nothing_else(client: Any, filled: Database, tmp_path: Path) -> None:
    html = page(client, "/reports")
    assert 'href="/reports/1/report.md"' in html
    assert "Verdict" in page(client, "/reports/1/report.md")
    assert json.loads(page(client, "/reports/1/report.json"))["verdict"]["overall"]
    assert client.get("/reports/1").status_code == 302
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    (tmp_path / "report-out" / "notes.txt").write_text("not a report file")
    for url in (
        "/reports/1/notes.txt",
        "/reports/1/../secret.txt",
        "/reports/1/%2e%2e%2fsecret.txt",
        "/reports/1/..%2F..%2Fsecret.txt",
        "/reports/2/report.md",
        "/reports/1/report.md%00.txt",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404, 308), url
        assert "do not serve" not in response.get_data(as_text=True)
    # a report file that is a link to a file outside its directory is refused
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "report.md").symlink_to(secret)
    with filled.session() as session:
        session.execute(
            text(
                "INSERT INTO reports (created_at, report_date, out_dir, formats) VALUES (:at, :d, :dir, 'md')"
            ),
            {"at": "2025-06-02 00:00:00", "d": "2025-06-02", "dir": str(linked)},
        )
        new_id = session.execute(text("SELECT MAX(id) FROM reports")).scalar()
    response = client.get(f"/reports/{new_id}/report.md")
    assert response.status_code == 404 and "do not serve" not in response.get_data(as_text=True)


def test_html_in_a_repo_id_is_escaped(database: Database, tmp_path: Path) -> None:
    evil = 'evil/<script>alert("x")</script><img src=x onerror=alert(1)>'
    with database.session() as session:
        Rows(session).model(evil, None, downloads=5)
        Rows(session).model("evil/child", None, (evil,), evil, 1)
    client = create_app(database, settings_for(database, tmp_path)).test_client()
    for url in (
        "/search?q=evil/",
        "/models/evil/child",
        "/publishers/evil",
        "/search?q=" + urllib.parse.quote(evil),
    ):
        html = page(client, url)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    html = page(client, "/sql?" + urllib.parse.urlencode({"q": "SELECT repo_id FROM hf_models"}))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_nul_bytes_in_a_request_are_a_bad_request(client: Any) -> None:
    for url in ("/search?q=a%00b", "/models/a%00b", "/publishers/a%00", "/sql?q=SELECT%20%27%00%27"):
        assert client.get(url).status_code == 400, url
    assert "Verdict" in page(client, "/")


def test_pages_before_any_report_compute_the_figures(database: Database, tmp_path: Path) -> None:
    client = create_app(database, settings_for(database, tmp_path)).test_client()
    html = page(client, "/")
    assert "Verdict: insufficient evidence (" in html and "No report recorded yet" in html
    assert "no whole-Hub crawl or Hub dump has completed" in visible(html)
    assert "No report recorded yet" in page(client, "/reports")
    page(client, "/publishers")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tracker_serve_runs_waitress_and_warns_on_every_interface(filled: Database, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TRACKER_DATABASE_URL": filled.url, "TRACKER_TODAY": TODAY}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "tracker"), "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    server = response.headers.get("Server", "")
                break
            except OSError:
                time.sleep(0.2)
        assert "Verdict:" in body and server == "tracker"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "warning: serving on 0.0.0.0" in err
    assert "read-only at http://0.0.0.0:" in out


def test_expiring_cache_reuses_until_the_entry_expires() -> None:
    from tracker.web.cache import ExpiringCache

    calls: list[int] = []
    cache = ExpiringCache(ttl_seconds=60, max_entries=2)
    assert cache.get("a", lambda: calls.append(1) or len(calls)) == 1
    assert cache.get("a", lambda: calls.append(1) or len(calls)) == 1  # reused
    cache.get("b", lambda: 0)
    cache.get("c", lambda: 0)  # over max_entries: the oldest ("a") goes
    assert cache.get("a", lambda: calls.append(1) or len(calls)) == 2
    expired = ExpiringCache(ttl_seconds=0)
    expired.get("x", lambda: 1)
    assert expired.get("x", lambda: 2) == 2


def test_chart_leaves_gaps_and_keeps_partial_months_off_the_line() -> None:
    from tracker.web import charts, figures_view

    def month(name: str, cn: float, partial: bool) -> dict[str, Any]:
        shares = {"CN": cn, "CN+HK+MO": cn, "US": 100 - cn, "Europe": 0.0, "other": 0.0}
        return {"month": name, "coverage": 80.0, "share_attributed": shares, "partial": partial}

    figure = {
        "history": "creation",
        "unit": "models",
        "monthly": [
            month("2024-01", 10.0, False),
            month("2024-02", 20.0, False),
            month("2024-04", 40.0, True),
        ],
    }
    series = figures_view.series(figure)
    assert series.labels == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert series.complete["CN"] == [10.0, 20.0, None, None]
    assert series.partial["CN"] == [None, None, None, 40.0]
    assert series.complete["unknown"][:2] == [20.0, 20.0]
    svg = str(charts.line_chart("c", series.labels, series.complete, charts.percent, apart=series.partial))
    cn = re.search(r'<g class="series" data-series="CN".*?</g>', svg, re.S).group(0)
    assert cn.count("<polyline") == 1 and len(re.search(r'points="([^"]*)"', cn).group(1).split()) == 2
    assert re.search(r'data-partial="true" data-series="CN" data-label="2024-04" data-value="40.00%"', cn)
    assert 'data-label="2024-03"' not in cn
