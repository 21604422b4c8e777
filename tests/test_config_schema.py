"""Strict configuration: every TOML key and environment variable is checked at start-up against one declared
schema; a bad value is one line naming the key and what is wanted (exit 2), an unknown key a warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.test_faults_cli import assert_one_clear_line
from tracker.cli import main
from tracker.config import SCHEMA, ConfigError, load_settings

BAD_TOML = [
    ('[huggingface]\norgs = "lumenlab"\n', "[huggingface] orgs", "list"),
    ("[huggingface]\ntop = -5\n", "[huggingface] top", ">= 0"),
    ('[huggingface]\ntop = "many"\n', "[huggingface] top", "whole number"),
    ('[huggingface]\nfull_crawl = "yes"\n', "[huggingface] full_crawl", "true or false"),
    ('[huggingface]\nsource = "ftp"\n', "[huggingface] source", '"dump"'),
    ("[github]\ncontributors = -3\n", "[github] contributors", ">= 0"),
    ('[github]\nsearches = "topic:llm"\n', "[github] searches", "list"),
    ('[schedule]\nhuggingface = "daily"\n', "[schedule] huggingface", "cron"),
    ('[schedule]\ngithub = "0 2 31 2 *"\n', "[schedule] github", "once a year"),
    ('[schedule]\nreport = "0 0 29 2 *"\n', "[schedule] report", "once a year"),
    ("[schedule]\ncatchup_grace = -5\n", "[schedule] catchup_grace", "seconds"),
    ("[schedule]\ncatchup_grace = 1e400\n", "[schedule] catchup_grace", "seconds"),
    ("[verdict]\nmin_coverage = 1.5\n", "[verdict] min_coverage", "from 0 to 1"),
    ("[query]\ntimeout = 0\n", "[query] timeout", "greater than 0"),
    ("[web]\nmax_rows = 0\n", "[web] max_rows", ">= 1"),
    ("[reports]\ndir = 5\n", "[reports] dir", "path"),
    ("huggingface = 3\n", "[huggingface]", "table"),
    ('[tracker]\ntoday = "2015-06-01"\n', "[tracker] today", "2016-01-01"),
]


@pytest.mark.parametrize(
    ("text", "key", "wanted"), BAD_TOML, ids=[case[1] + " " + case[0] for case in BAD_TOML]
)
def test_a_bad_toml_value_is_refused_at_start_up_naming_the_key(
    text: str,
    key: str,
    wanted: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracker.toml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(environ={})
    assert key in str(error.value) and wanted in str(error.value), str(error.value)
    # the same through the CLI, for a command that never reads that section: one line, exit 2
    code = main(["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "status"])
    assert_one_clear_line(code, capsys.readouterr().err, 2, key)


def test_an_undecodable_file_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "binary.toml").write_bytes(b"\x00\xff\xfe[schedule]\x89PNG\r\n")
    code = main(["--config", str(tmp_path / "binary.toml"), "status"])
    assert_one_clear_line(code, capsys.readouterr().err, 2, "binary.toml", "TOML")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACKER_LOG_JSON", "maybe"),
        ("HF_ENDPOINT", "ftp://hub"),
        ("TRACKER_REPORTS_DIR", "   "),
        ("TRACKER_TODAY", "9999-12-31"),
        ("TRACKER_TODAY", "2015-12-31"),
    ],
)
def test_a_bad_environment_variable_is_refused_naming_it(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=name):
        load_settings(environ={name: value})


def test_tracker_today_is_bounded_by_2016_and_tomorrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    assert load_settings(environ={"TRACKER_TODAY": tomorrow.isoformat()}).today == tomorrow
    assert load_settings(environ={"TRACKER_TODAY": "2016-01-01"}).today == dt.date(2016, 1, 1)
    with pytest.raises(ConfigError, match="tomorrow"):
        load_settings(environ={"TRACKER_TODAY": (tomorrow + dt.timedelta(days=1)).isoformat()})


def test_unknown_keys_are_a_warning_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracker.toml").write_text('[schedule]\nhugingface = "0 2 * * *"\n[extra]\nx = 1\n')
    settings = load_settings(environ={})
    assert any("[schedule] hugingface" in warning for warning in settings.warnings)
    assert any("[extra]" in warning for warning in settings.warnings)
    code = main(["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "status"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "unknown setting [schedule] hugingface" in err and "unknown setting [extra]" in err


def test_sections_come_with_declared_defaults_and_typed_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.section("huggingface")["source"] == "api"
    assert settings.section("huggingface")["dump_repo"] == "cfahlgren1/hub-stats"
    assert "download_dir" not in settings.section("huggingface")  # optional, no default
    assert "top" not in settings.section("huggingface")  # the plan's own default applies
    assert settings.get("verdict", "min_coverage") == 0.5
    assert settings.get("query", "timeout") == 60
    assert settings.get("web", "max_rows") == 5000
    assert settings.section("nothing") == {}
    with pytest.raises(KeyError):
        settings.get("web", "no_such_key")

    (tmp_path / "tracker.toml").write_text(
        '[huggingface]\norgs = ["a", "b"]\ntop = 7\nsource = "dump"\ndownload_dir = "/data/dumps"\n'
        "[verdict]\nmin_coverage = 1\n[query]\ntimeout = 2.5\n[web]\nmax_rows = 10\n"
        '[schedule]\nreport = "off"\ncatchup_grace = 60.0\n'
    )
    settings = load_settings(environ={})
    hf = settings.section("huggingface")
    assert (hf["orgs"], hf["top"], hf["source"], hf["download_dir"]) == (["a", "b"], 7, "dump", "/data/dumps")
    assert settings.get("verdict", "min_coverage") == 1.0
    assert settings.get("query", "timeout") == 2.5
    assert settings.get("web", "max_rows") == 10
    assert settings.schedule["report"] == "off" and settings.catchup_grace == 60


def test_the_schema_declares_every_key_the_code_reads() -> None:
    declared = {(section, key) for section, keys in SCHEMA.items() for key in keys}
    read_elsewhere = {
        ("huggingface", "orgs"),
        ("huggingface", "top"),
        ("huggingface", "datasets"),
        ("huggingface", "full_crawl"),
        ("huggingface", "source"),
        ("huggingface", "dump_repo"),
        ("huggingface", "download_dir"),
        ("github", "orgs"),
        ("github", "contributors"),
        ("github", "searches"),
        ("verdict", "min_coverage"),
        ("query", "timeout"),
        ("web", "max_rows"),
    }
    assert read_elsewhere <= declared
