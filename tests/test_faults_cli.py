"""Fault injection: bad configuration and bad command-line input end in one clear line on stderr and a
non-zero exit (2 for usage and configuration errors), never a traceback.

A representative set runs the real `tracker` entry point in subprocesses (a few at a time); the rest call
`tracker.cli.main` in-process, which is the same code minus the interpreter start.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.logs import configure_logging

PASSWORD = "s3cret-pw-42"


def error_lines(stderr: str) -> list[str]:
    """The lines that say what went wrong (a notice such as 'no GITHUB_TOKEN set' left out)."""
    return [line for line in stderr.splitlines() if line.lower().startswith("error")]


def assert_one_clear_line(code: int, stderr: str, expected_code: int, *words: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = error_lines(stderr)
    assert len(stderr.strip().splitlines()) <= 2, stderr  # the error, and at most a notice before it
    assert len(lines) == 1, f"expected one error line, got: {stderr!r}"
    assert code == expected_code, (code, stderr)
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


def tracker_command() -> list[str]:
    script = shutil.which("tracker")
    return [script] if script else [sys.executable, "-c", "from tracker.cli import run; run()"]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "bad.toml").write_text("[schedule\nhuggingface = \n")
    (tmp_path / "cron.toml").write_text('[schedule]\nhuggingface = "99 * * * *"\n')
    (tmp_path / "grace.toml").write_text('[schedule]\ncatchup_grace = "soon"\n')
    (tmp_path / "reports.toml").write_text('[reports]\ndir = ["a", "b"]\n')
    (tmp_path / "searches.toml").write_text('[github]\nsearches = "topic:llm"\n')
    (tmp_path / "cron-type.toml").write_text("[schedule]\ngithub = 5\n")
    return tmp_path


SUBPROCESS_CASES = [
    # (extra environment, arguments, exit code, words the line must contain)
    ({"TRACKER_CONFIG": "bad.toml"}, ["status"], 2, ["bad.toml", "TOML"]),
    ({"TRACKER_CONFIG": "missing.toml"}, ["status"], 2, ["missing.toml"]),
    ({}, ["frobnicate"], 2, ["frobnicate"]),
    ({}, ["collect", "huggingface", "--since", "2024-02-30"], 2, ["--since"]),
    ({}, ["status", "--no-such-option"], 2, ["--no-such-option"]),
    (
        {"TRACKER_DATABASE_URL": f"postgresql://tracker:{PASSWORD}@127.0.0.1:1/tracker"},
        ["status"],
        1,
        ["127.0.0.1:1"],
    ),
    ({"TRACKER_CONFIG": "cron.toml"}, ["daemon"], 2, ["[schedule]", "huggingface", "99"]),
    ({"HF_ENDPOINT": "ftp://hub.invalid"}, ["collect", "huggingface"], 2, ["HF_ENDPOINT"]),
    ({}, ["publishers", "import", "no-such-registry.csv"], 2, ["no-such-registry.csv"]),
]


def test_the_real_entry_point_answers_bad_input_with_one_line(files: Path) -> None:
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{files / 'cli.db'}",
        "COLUMNS": "200",
    }

    def run(case: tuple[dict[str, str], list[str], int, list[str]]) -> subprocess.CompletedProcess[str]:
        extra, args, _, _ = case
        return subprocess.run(
            [*tracker_command(), *args],
            cwd=files,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(run, SUBPROCESS_CASES))
    for case, result in zip(SUBPROCESS_CASES, done, strict=True):
        _, args, code, words = case
        assert_one_clear_line(result.returncode, result.stderr, code, *words)
        assert PASSWORD not in result.stderr + result.stdout, args


@pytest.mark.parametrize(
    ("environment", "args", "code", "words"),
    [
        ({"TRACKER_TODAY": "2025-02-30"}, ["status"], 2, ["TRACKER_TODAY"]),
        ({"TRACKER_DATABASE_URL": "not a url at all"}, ["status"], 2, ["TRACKER_DATABASE_URL"]),
        ({"TRACKER_DATABASE_URL": f"mysql://u:{PASSWORD}@db.invalid/x"}, ["status"], 1, ["unsupported"]),
        ({"TRACKER_DATABASE_URL": "sqlite:////no/such/dir/tracker.db"}, ["status"], 1, ["not usable"]),
        ({"GITHUB_API_URL": "javascript:alert(1)"}, ["collect", "github"], 2, ["GITHUB_API_URL"]),
        ({"TRACKER_CONFIG": "grace.toml"}, ["daemon"], 2, ["catchup_grace"]),
        ({"TRACKER_CONFIG": "cron-type.toml"}, ["run"], 2, ["[schedule] github"]),
        ({"TRACKER_CONFIG": "reports.toml"}, ["report"], 2, ["[reports] dir"]),
        ({"TRACKER_CONFIG": "searches.toml"}, ["collect", "github"], 2, ["[github] searches"]),
        ({}, ["collect", "huggingface", "--page-size", "0"], 2, ["--page-size"]),
        ({}, ["collect", "huggingface", "--top", "-5"], 2, ["--top"]),
        ({}, ["collect", "bitbucket"], 2, ["bitbucket"]),
        ({}, ["query", "SELECT 1", "--format", "yaml"], 2, ["--format"]),
        ({}, ["report", "--format", "pdf"], 2, ["pdf"]),
        ({}, ["query", "SELEC nonsense"], 1, ["SELEC"]),
        ({}, ["db", "downgrade", "no-such-revision"], 1, ["no-such-revision"]),
    ],
)
def test_bad_input_in_process(
    files: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    args: list[str],
    code: int,
    words: list[str],
) -> None:
    monkeypatch.chdir(files)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{files / 'cli.db'}")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = main(args)
    captured = capsys.readouterr()
    assert_one_clear_line(result, captured.err, code, *words)
    assert PASSWORD not in captured.err + captured.out


def test_log_lines_follow_the_current_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """In-process callers (tests, embedding code) swap sys.stderr between calls: logging writes to the
    current one instead of failing on a closed stream."""
    first = io.StringIO()
    with contextlib.redirect_stderr(first):
        configure_logging(0)
    first.close()  # the stream at configuration time is gone
    logging.getLogger("tracker.test").warning("after the swap")
    err = capsys.readouterr().err
    assert "after the swap" in err and "Logging error" not in err


@pytest.mark.parametrize("command", ["run", "daemon"])
def test_a_missing_or_unusable_folder_is_named_in_one_line(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    cases = [
        (f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}", tmp_path / "reports", "missing"),
        (f"sqlite:///{tmp_path / 'a-file' / 'tracker.db'}", tmp_path / "reports", "a-file"),
        (f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "a-file" / "reports", "a-file"),
    ]
    for url, reports, word in cases:
        monkeypatch.setenv("TRACKER_REPORTS_DIR", str(reports))
        code = main(["--database-url", url, command])
        assert_one_clear_line(code, capsys.readouterr().err, 1, word, "folder")

    # a read-only folder (simulated: the tests run as root, who may write anywhere)
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        "tracker.cli.folders.os.access",
        lambda path, mode: False if Path(path) == read_only else real_access(path, mode),
    )
    monkeypatch.setenv("TRACKER_REPORTS_DIR", str(read_only / "reports"))
    code = main(["--database-url", f"sqlite:///{tmp_path / 'tracker.db'}", command])
    assert_one_clear_line(code, capsys.readouterr().err, 1, "read-only", str(read_only))
    monkeypatch.setenv("TRACKER_REPORTS_DIR", str(tmp_path / "reports"))
    code = main(["--database-url", f"sqlite:///{read_only / 'tracker.db'}", command])
    assert_one_clear_line(code, capsys.readouterr().err, 1, "database folder", "read-only")
    assert not (read_only / "tracker.db").exists()


@pytest.mark.parametrize("flags", [[], ["-v"], ["-vv"], ["-vvv"], ["--verbose"], ["--verbose", "--verbose"]])
def test_verbose_flags_alike_show_the_traceback_of_an_unexpected_error(
    flags: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("an unexpected bug")

    monkeypatch.setattr("tracker.cli.status_commands.read_status", broken)
    code = main([*flags, "--database-url", f"sqlite:///{tmp_path / 'x.db'}", "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert "error: RuntimeError: an unexpected bug" in err
    assert ("Traceback" in err) == bool(flags), err


def test_an_os_error_is_one_line_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    def denied(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "/data/somewhere")

    monkeypatch.setattr("tracker.cli.status_commands.read_status", denied)
    code = main(["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "status"])
    assert_one_clear_line(code, capsys.readouterr().err, 1, "Permission denied", "/data/somewhere")


def test_a_report_on_an_unusable_database_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.db").write_bytes(b"this is not a database file" * 100)
    out = tmp_path / "reports" / "today"
    code = main(["--database-url", f"sqlite:///{tmp_path / 'garbage.db'}", "report", "--out", str(out)])
    assert_one_clear_line(code, capsys.readouterr().err, 1, "database")
    assert not out.exists() and not (tmp_path / "reports").exists()
