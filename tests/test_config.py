"""Settings precedence (option > environment > TOML > default) and secret masking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracker.config import ConfigError, load_settings, mask_url, scrub


def test_defaults_without_any_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///tracker.db"
    assert settings.hf_endpoint == "https://huggingface.co"
    assert settings.github_api_url == "https://api.github.com"
    assert settings.github_tokens == ()
    assert settings.today == dt.datetime.now(dt.timezone.utc).date()


def test_option_beats_environment_beats_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracker.toml").write_text(
        '[tracker]\ndatabase_url = "sqlite:///from-toml.db"\ntoday = "2025-01-01"\n'
        '[github]\napi_url = "https://ghe.example/api/v3"\n[schedule]\nhuggingface = "*/5 * * * * *"\n'
    )
    from_toml = load_settings(environ={})
    assert from_toml.database_url == "sqlite:///from-toml.db"
    assert from_toml.github_api_url == "https://ghe.example/api/v3"
    assert from_toml.today == dt.date(2025, 1, 1)
    assert from_toml.schedule["huggingface"] == "*/5 * * * * *"
    assert from_toml.schedule["github"] == "0 3 * * *"

    env = {"TRACKER_DATABASE_URL": "sqlite:///from-env.db", "TRACKER_TODAY": "2025-02-02"}
    assert load_settings(environ=env).database_url == "sqlite:///from-env.db"
    assert load_settings(environ=env).today == dt.date(2025, 2, 2)
    assert (
        load_settings({"database_url": "sqlite:///from-cli.db"}, environ=env).database_url
        == "sqlite:///from-cli.db"
    )


def test_github_token_list_and_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        environ={
            "GITHUB_TOKEN": "ghp_one, ghp_two",
            "HF_TOKEN": "hf_x",
            "TRACKER_DATABASE_URL": "postgresql://u:s3cret@db/x",
        }
    )
    assert settings.github_tokens == ("ghp_one", "ghp_two")
    assert set(settings.secrets) == {"ghp_one", "ghp_two", "hf_x", "s3cret"}
    assert scrub("token ghp_one and s3cret", settings.secrets) == "token *** and ***"


def test_mask_url_hides_only_the_password() -> None:
    assert (
        mask_url("postgresql+psycopg://user:pw@host:5432/db") == "postgresql+psycopg://user:***@host:5432/db"
    )
    assert mask_url("sqlite:///tracker.db") == "sqlite:///tracker.db"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TRACKER_TODAY": "yesterday"}, "YYYY-MM-DD"),
        ({"HF_ENDPOINT": "ftp://x"}, "HF_ENDPOINT"),
        ({"TRACKER_CONFIG": "/nonexistent/tracker.toml"}, "does not exist"),
    ],
)
def test_bad_settings_are_one_clear_error(
    environ: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)
