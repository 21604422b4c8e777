"""Settings: command-line option > environment variable > TOML file > default.

Every component reads its settings from one `Settings` object built by `load_settings`; nothing else reads
the environment. Secrets (tokens, database passwords) are kept here and shown only through `mask_url`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "sqlite:///tracker.db"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_CONFIG_FILE = "tracker.toml"

DEFAULT_SCHEDULE = {
    "huggingface": "0 2 * * *",
    "github": "0 3 * * *",
    "report": "0 6 * * mon",
}


class ConfigError(Exception):
    """A setting is missing, malformed or contradictory; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """All settings of one process. Build with `load_settings`."""

    database_url: str = DEFAULT_DATABASE_URL
    config_file: Path | None = None
    hf_endpoint: str = DEFAULT_HF_ENDPOINT
    hf_token: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_tokens: tuple[str, ...] = ()
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    registry_path: Path | None = None
    reports_dir: Path = Path("reports")
    schedule: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    catchup_grace: int = 6 * 3600
    log_json: bool = False
    # Free-form TOML sections (crawl plan, GitHub discovery searches, ...) for the components that own them.
    sections: Mapping[str, Any] = field(default_factory=dict)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value this process knows, for scrubbing text before it is shown or stored."""
        values = [self.hf_token or "", *self.github_tokens]
        password = make_url(self.database_url).password if self.database_url else None
        if password:
            values.append(str(password))
        return tuple(v for v in values if v)

    def section(self, name: str) -> Mapping[str, Any]:
        """A TOML section as a mapping (empty when absent)."""
        value = self.sections.get(name, {})
        return value if isinstance(value, Mapping) else {}


def mask_url(url: str) -> str:
    """A database URL with its password replaced by `***`; other text unchanged."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL we understand: hide anything between ':' and '@'
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by `***`."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def _parse_date(value: str, source: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{source} must be a date as YYYY-MM-DD, not {value!r}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from command-line `overrides` (None values ignored), the environment and the TOML file."""
    env = os.environ if environ is None else environ
    cli = {k: v for k, v in (overrides or {}).items() if v is not None}

    config_path: Path | None
    if "config_file" in cli:
        config_path = Path(cli["config_file"])
    elif env.get("TRACKER_CONFIG"):
        config_path = Path(env["TRACKER_CONFIG"])
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        config_path = Path(DEFAULT_CONFIG_FILE)
    else:
        config_path = None
    toml = _read_toml(config_path) if config_path else {}
    tracker_section = toml.get("tracker", {}) if isinstance(toml.get("tracker", {}), dict) else {}

    def pick(key: str, env_name: str | None, toml_value: Any, default: Any) -> Any:
        if key in cli:
            return cli[key]
        if env_name and env.get(env_name):
            return env[env_name]
        if toml_value is not None:
            return toml_value
        return default

    database_url = str(
        pick(
            "database_url", "TRACKER_DATABASE_URL", tracker_section.get("database_url"), DEFAULT_DATABASE_URL
        )
    )
    try:
        make_url(database_url)
    except Exception:
        raise ConfigError(
            f"TRACKER_DATABASE_URL is not a valid database URL: {mask_url(database_url)}"
        ) from None

    hf = toml.get("huggingface", {}) if isinstance(toml.get("huggingface"), dict) else {}
    gh = toml.get("github", {}) if isinstance(toml.get("github"), dict) else {}
    hf_endpoint = str(pick("hf_endpoint", "HF_ENDPOINT", hf.get("endpoint"), DEFAULT_HF_ENDPOINT)).rstrip("/")
    github_api_url = str(
        pick("github_api_url", "GITHUB_API_URL", gh.get("api_url"), DEFAULT_GITHUB_API_URL)
    ).rstrip("/")
    for name, value in (("HF_ENDPOINT", hf_endpoint), ("GITHUB_API_URL", github_api_url)):
        if not re.match(r"^https?://[^/\s]+", value):
            raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")

    hf_token = pick("hf_token", "HF_TOKEN", None, None) or None
    raw_tokens = pick("github_token", "GITHUB_TOKEN", None, "") or ""
    github_tokens = tuple(t.strip() for t in str(raw_tokens).split(",") if t.strip())

    today_value = pick("today", "TRACKER_TODAY", tracker_section.get("today"), None)
    if isinstance(today_value, dt.date):
        today = today_value
    elif today_value:
        today = _parse_date(str(today_value), "TRACKER_TODAY")
    else:
        today = dt.datetime.now(dt.timezone.utc).date()

    registry = pick("registry_path", "TRACKER_REGISTRY", (toml.get("publishers") or {}).get("registry"), None)
    reports = toml.get("reports", {}) if isinstance(toml.get("reports"), dict) else {}
    schedule_section = toml.get("schedule", {}) if isinstance(toml.get("schedule"), dict) else {}
    schedule = dict(DEFAULT_SCHEDULE)
    for job, expression in schedule_section.items():
        if job == "catchup_grace":
            continue
        if not isinstance(expression, str):
            raise ConfigError(f"[schedule] {job} must be a cron expression string")
        schedule[job] = expression
    grace = pick(
        "catchup_grace", None, schedule_section.get("catchup_grace", toml.get("catchup_grace")), 6 * 3600
    )
    try:
        catchup_grace = int(grace)
    except (TypeError, ValueError):
        raise ConfigError(f"catchup_grace must be a number of seconds, not {grace!r}") from None

    reports_dir = pick("reports_dir", "TRACKER_REPORTS_DIR", reports.get("dir"), "reports")
    if not isinstance(reports_dir, (str, Path)) or not str(reports_dir).strip():
        raise ConfigError(f"[reports] dir must be a directory path, not {reports_dir!r}")

    return Settings(
        database_url=database_url,
        config_file=config_path,
        hf_endpoint=hf_endpoint,
        hf_token=str(hf_token) if hf_token else None,
        github_api_url=github_api_url,
        github_tokens=github_tokens,
        today=today,
        registry_path=Path(registry) if registry else None,
        reports_dir=Path(reports_dir),
        schedule=schedule,
        catchup_grace=catchup_grace,
        log_json=bool(
            pick("log_json", "TRACKER_LOG_JSON", tracker_section.get("log_json"), False)
            not in (False, "", "0", "false")
        ),
        sections=toml,
    )
