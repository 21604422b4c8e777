"""Settings: command-line option > environment variable > TOML file > default.

Every component reads its settings from one `Settings` object built by `load_settings`; nothing else reads
the environment. Every TOML key and environment variable is checked at start-up against one declared schema
(`SCHEMA`): a wrong type or range is a `ConfigError` naming the key and what is wanted; an unknown key is a
warning (`Settings.warnings`). Secrets (tokens, database passwords) are kept here and shown only through
`mask_url`; `scrub` removes every secret this process has loaded from any text.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from sqlalchemy.engine import make_url

from tracker.cron import CronError, parse_cron

DEFAULT_DATABASE_URL = "sqlite:///tracker.db"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_CONFIG_FILE = "tracker.toml"

DEFAULT_SCHEDULE = {
    "huggingface": "0 2 * * *",
    "github": "0 3 * * *",
    "report": "0 6 * * mon",
}
SCHEDULE_OFF = ("", "off", "none", "disabled")  # a job set to one of these is not scheduled
EARLIEST_TODAY = dt.date(2016, 1, 1)  # before the Hub's list API: no date to stamp snapshots with


class ConfigError(Exception):
    """A setting is missing, malformed or contradictory; the message says which and why."""


# --- the schema ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One setting: how to check a value (`parse` raises ValueError saying what is wanted), its default
    (None: absent unless set) and the environment variable that overrides it."""

    parse: Callable[[Any], Any]
    default: Any = None
    env: str | None = None


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise ValueError("one of " + ", ".join(f'"{c}"' for c in choices))
        return value.strip().lower()

    return parse


def _integer(low: int | None = None, high: int | None = None) -> Callable[[Any], int]:
    wanted = "a whole number" + _range_text(low, high)

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(wanted)
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(wanted)
        return value

    return parse


def _number(
    low: float | None = None, high: float | None = None, *, above: bool = False
) -> Callable[[Any], float]:
    wanted = "a number" + (f" greater than {low:g}" if above and low is not None else _range_text(low, high))

    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(wanted)
        number = float(value)
        if not math.isfinite(number) or (low is not None and (number <= low if above else number < low)):
            raise ValueError(wanted)
        if high is not None and number > high:
            raise ValueError(wanted)
        return number

    return parse


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f" >= {low:g}"
    return f" <= {high:g}" if high is not None else ""


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false (a TOML boolean, unquoted)")
    return value


def _boolean_text(value: str) -> bool:
    """An environment variable's text as a boolean (`1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`)."""
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("1 or 0 (or true/false, yes/no, on/off)")


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError('a list of non-empty strings, e.g. ["a", "b"]')
    return [item.strip() for item in value]


def _path(value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ValueError("a directory or file path")
    return value


def _http_url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+\S*$", value.strip()):
        raise ValueError("an http(s) URL")
    return value.strip().rstrip("/")


def _database_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a database URL such as sqlite:///tracker.db or postgresql://user:pass@host/db")
    try:
        make_url(value.strip())
    except Exception:
        raise ValueError(
            "a database URL such as sqlite:///tracker.db or postgresql://user:pass@host/db"
        ) from None
    return value.strip()


def _cron(value: Any) -> str:
    wanted = 'a cron expression such as "0 2 * * *" (UTC) or "off"'
    if not isinstance(value, str):
        raise ValueError(wanted)
    if value.strip().lower() in SCHEDULE_OFF:
        return "off"
    try:
        return parse_cron(value).expression
    except CronError as error:
        raise ValueError(f"{wanted}; {value!r} is not: {error}") from None


def _today(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"a date as YYYY-MM-DD, not {value!r}") from None
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    if not EARLIEST_TODAY <= value <= tomorrow:
        raise ValueError(f"a date from {EARLIEST_TODAY} to tomorrow ({tomorrow}), not {value}")
    return value


def _seconds(value: Any) -> int:
    try:
        return int(_number(0, 10 * 365 * 86400)(value))
    except ValueError:
        raise ValueError("a whole number of seconds from 0 to 315360000 (ten years)") from None


SCHEMA: dict[str, dict[str, Key]] = {
    "tracker": {
        "database_url": Key(_database_url, DEFAULT_DATABASE_URL, env="TRACKER_DATABASE_URL"),
        "today": Key(_today, env="TRACKER_TODAY"),
        "log_json": Key(_boolean, False, env="TRACKER_LOG_JSON"),
    },
    "huggingface": {
        "endpoint": Key(_http_url, DEFAULT_HF_ENDPOINT, env="HF_ENDPOINT"),
        "orgs": Key(_string_list),
        "top": Key(_integer(0)),
        "datasets": Key(_boolean),
        "full_crawl": Key(_boolean, False),
        "source": Key(_choice("api", "dump"), "api"),
        "dump_repo": Key(_string, "cfahlgren1/hub-stats"),
        "download_dir": Key(_path),
    },
    "github": {
        "api_url": Key(_http_url, DEFAULT_GITHUB_API_URL, env="GITHUB_API_URL"),
        "orgs": Key(_string_list),
        "contributors": Key(_integer(0)),
        "searches": Key(_string_list),
    },
    "schedule": {
        **{job: Key(_cron, cron) for job, cron in DEFAULT_SCHEDULE.items()},
        "catchup_grace": Key(_seconds, 6 * 3600),
    },
    "publishers": {"registry": Key(_path, env="TRACKER_REGISTRY")},
    "reports": {"dir": Key(_path, "reports", env="TRACKER_REPORTS_DIR")},
    "verdict": {"min_coverage": Key(_number(0, 1), 0.5)},
    "query": {"timeout": Key(_number(0, above=True), 60.0)},
    "web": {"max_rows": Key(_integer(1), 5000)},
}
# Environment variables outside the TOML schema: secrets (never in a file) and the file's own path.
SECRET_VARIABLES = ("HF_TOKEN", "GITHUB_TOKEN")


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
    # The checked TOML sections (values as the schema parsed them) for the components that own them.
    sections: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # unknown keys, for the caller to log once

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value this process knows, for scrubbing text before it is shown or stored."""
        values = [self.hf_token or "", *self.github_tokens, *_url_passwords(self.database_url)]
        return tuple(v for v in values if v)

    def section(self, name: str) -> Mapping[str, Any]:
        """A TOML section's checked values with the schema's defaults filled in (empty when unknown)."""
        declared = {
            key: spec.default for key, spec in SCHEMA.get(name, {}).items() if spec.default is not None
        }
        value = self.sections.get(name, {})
        return {**declared, **(value if isinstance(value, Mapping) else {})}

    def get(self, section: str, key: str) -> Any:
        """One checked setting (`[section] key`), or its declared default (None when it has none)."""
        if key not in SCHEMA.get(section, {}):
            raise KeyError(f"[{section}] {key} is not a declared setting")
        return self.section(section).get(key)


# --- secrets -----------------------------------------------------------------------------------------------

_KNOWN_SECRETS: set[str] = set()  # every secret any `load_settings` of this process has read


def known_secrets() -> tuple[str, ...]:
    """The secrets this process has loaded so far (for code that stores text without a `Settings`)."""
    return tuple(_KNOWN_SECRETS)


_USERINFO_PASSWORD = re.compile(r"^([^:/?#]*://[^:/@?#]*:)(.*)@(?=[^@/?#]*(?:[/?#]|$))")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)


def _url_passwords(url: str) -> list[str]:
    """The passwords in a database URL as a driver may read them: the userinfo's (up to the LAST '@', so a
    raw '@' inside it counts), its percent-decoded form, and a `password=` query parameter."""
    found: list[str] = []
    match = _USERINFO_PASSWORD.match(url or "")
    if match and match.group(2):
        found.append(match.group(2))
        # a parser that stops at the first '@' takes the rest for the host name and may print it
        found.extend(part for part in match.group(2).split("@")[1:] if len(part) >= 4)
    for value in _QUERY_PASSWORD.findall(url or ""):
        if value[1]:
            found.append(value[1])
    try:
        parsed = make_url(url)
    except Exception:
        parsed = None
    if parsed is not None:
        if parsed.password and not any(str(parsed.password) in value for value in found):
            found.append(str(parsed.password))
        query_password = parsed.query.get("password")
        if isinstance(query_password, str) and query_password:
            found.append(query_password)
    return list(dict.fromkeys(found))


def mask_url(url: str) -> str:
    """A database URL with its password replaced by `***`; other text unchanged.

    The userinfo password runs to the LAST '@' before the host (as the drivers read it), so a raw '@' inside
    it is hidden too; a `password=` query parameter is hidden as well."""
    return _QUERY_PASSWORD.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1***@", url, count=1))


def scrub(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """`text` with every secret (also escaped, percent-encoded or cut at a line break) replaced by `***`.

    `secrets` defaults to every secret this process has loaded."""
    values = set(known_secrets() if secrets is None else secrets)
    forms: set[str] = set()
    for secret in values:
        if not secret:
            continue
        forms.update({secret, repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret, safe="")})
        forms.update(part for part in re.split(r"[\r\n]+", secret) if len(part) >= 6)
    for form in sorted(forms, key=len, reverse=True):
        if form:
            text = text.replace(form, "***")
    return text


def _token(name: str, value: str) -> str:
    token = value.strip()
    if not re.fullmatch(r"[\x21-\x7e]*", token):
        raise ConfigError(
            f"{name} holds a space, control or non-ASCII character inside a token (a line break from a "
            "secret file?); a token is printable ASCII only"
        )
    return token


# --- loading ---------------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory, not a TOML file") from None
    except PermissionError:
        raise ConfigError(f"config file {path} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not valid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def _check(parse: Callable[[Any], Any], value: Any, where: str) -> Any:
    try:
        return parse(value)
    except (ValueError, TypeError, OverflowError) as error:
        raise ConfigError(f"{where} must be {error}") from None


def _checked_toml(toml: Mapping[str, Any], path: Path | None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The file's values checked against `SCHEMA`, and a warning per unknown key."""
    sections: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    for name, body in toml.items():
        if name == "catchup_grace":  # older files put it at the top level
            body, name = {"catchup_grace": body}, "schedule"
            if "catchup_grace" in (toml.get("schedule") or {}):
                continue
        if name not in SCHEMA:
            unknown.append(f"[{name}] (known sections: {', '.join(SCHEMA)})")
            continue
        if not isinstance(body, dict):
            raise ConfigError(
                f"[{name}] must be a table of settings ([{name}] and keys below it), not a {type(body).__name__}"
            )
        for key, value in body.items():
            spec = SCHEMA[name].get(key)
            if spec is None:
                unknown.append(f"[{name}] {key} (known: {', '.join(SCHEMA[name])})")
                continue
            sections.setdefault(name, {})[key] = _check(spec.parse, value, f"[{name}] {key}")
    warnings = [f"config file {path}: unknown setting {key} ignored" for key in unknown]
    return sections, warnings


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from command-line `overrides` (None values ignored), the environment and the TOML file,
    checked against `SCHEMA`; `ConfigError` naming the first bad key and what it wants."""
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
    sections, warnings = _checked_toml(_read_toml(config_path) if config_path else {}, config_path)

    # Environment variables and options override the file; they are checked by the same schema.
    option_of = {
        ("tracker", "database_url"): "database_url",
        ("tracker", "today"): "today",
        ("tracker", "log_json"): "log_json",
        ("huggingface", "endpoint"): "hf_endpoint",
        ("github", "api_url"): "github_api_url",
        ("publishers", "registry"): "registry_path",
        ("reports", "dir"): "reports_dir",
        ("schedule", "catchup_grace"): "catchup_grace",
    }
    for (name, key), option in option_of.items():
        spec = SCHEMA[name][key]
        if option in cli:
            value, where = cli[option], f"--{option.replace('_', '-')}"
        elif spec.env and env.get(spec.env):
            value, where = env[spec.env], spec.env
            if spec.parse is _boolean:
                value = _check(_boolean_text, value, where)
        else:
            continue
        sections.setdefault(name, {})[key] = _check(spec.parse, value, where)

    def get(name: str, key: str) -> Any:
        value = sections.get(name, {}).get(key)
        return SCHEMA[name][key].default if value is None else value

    hf_token = _token("HF_TOKEN", str(cli.get("hf_token") or env.get("HF_TOKEN") or "")) or None
    raw_tokens = str(cli.get("github_token") or env.get("GITHUB_TOKEN") or "")
    github_tokens = tuple(
        token for token in (_token("GITHUB_TOKEN", part) for part in raw_tokens.split(",")) if token
    )
    schedule = {job: get("schedule", job) for job in DEFAULT_SCHEDULE}
    today = get("tracker", "today") or dt.datetime.now(dt.timezone.utc).date()
    registry = get("publishers", "registry")

    settings = Settings(
        database_url=get("tracker", "database_url"),
        config_file=config_path,
        hf_endpoint=get("huggingface", "endpoint"),
        hf_token=hf_token,
        github_api_url=get("github", "api_url"),
        github_tokens=github_tokens,
        today=today,
        registry_path=Path(registry) if registry else None,
        reports_dir=Path(get("reports", "dir")),
        schedule=schedule,
        catchup_grace=get("schedule", "catchup_grace"),
        log_json=get("tracker", "log_json"),
        sections=sections,
        warnings=tuple(warnings),
    )
    _KNOWN_SECRETS.update(settings.secrets)
    return settings
