"""The deployment files: docker-compose.yml's services, healthchecks, start order and volumes; the Dockerfile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def test_db_is_official_postgres_with_named_volume_and_healthcheck(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"].split(":")[0] == "postgres"
    mounts = [volume.split(":") for volume in db["volumes"]]
    assert ["pgdata", "/var/lib/postgresql/data"] in [mount[:2] for mount in mounts]
    assert "pgdata" in compose["volumes"]
    assert any("pg_isready" in part for part in db["healthcheck"]["test"])


def test_migrate_runs_db_upgrade_once_db_is_healthy(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert _command(migrate) == ["db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"


def test_tracker_runs_the_daemon_after_db_and_migrate(compose: dict[str, Any]) -> None:
    tracker = compose["services"]["tracker"]
    assert _command(tracker)[0] == "daemon"
    assert tracker["depends_on"]["db"]["condition"] == "service_healthy"
    assert tracker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert tracker["restart"] in ("on-failure", "unless-stopped", "always")
    assert tracker["healthcheck"]["test"][-3:] == ["tracker", "status", "--check"]


def test_tracker_gets_tokens_from_the_environment_and_reports_a_volume(compose: dict[str, Any]) -> None:
    tracker = compose["services"]["tracker"]
    environment = tracker["environment"]
    for token in ("GITHUB_TOKEN", "HF_TOKEN"):
        assert environment[token] == "${" + token + ":-}"  # from the shell or .env, never written here
    assert environment["TRACKER_DATABASE_URL"].count("@db:5432/") == 1
    assert any(str(entry.get("path", entry)).endswith(".env") for entry in tracker["env_file"])
    reports_dir = environment["TRACKER_REPORTS_DIR"]
    assert f"reports:{reports_dir}" in tracker["volumes"]
    assert "reports" in compose["volumes"]
    # compose's default 10s would SIGKILL a daemon still finishing its request
    assert int(tracker["stop_grace_period"].rstrip("s")) > 30


def test_web_serves_the_same_database_on_localhost_only(compose: dict[str, Any]) -> None:
    web, tracker = compose["services"]["web"], compose["services"]["tracker"]
    command = _command(web)
    assert command[0] == "serve" and command[command.index("--port") + 1] == "8000"
    assert web["image"] == tracker["image"]
    assert web["environment"]["TRACKER_DATABASE_URL"].endswith(
        tracker["environment"]["TRACKER_DATABASE_URL"] + "}"
    )
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # published on the host's loopback only; reports read-only from the daemon's volume
    assert all(str(port).startswith("127.0.0.1:") for port in web["ports"])
    reports_dir = web["environment"]["TRACKER_REPORTS_DIR"]
    assert reports_dir == tracker["environment"]["TRACKER_REPORTS_DIR"]
    assert f"reports:{reports_dir}:ro" in web["volumes"]
    assert "GITHUB_TOKEN" not in web["environment"] and "HF_TOKEN" not in web["environment"]
    assert any("8000" in part for part in web["healthcheck"]["test"])


def test_services_share_the_image_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["image"] == services["tracker"]["image"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["tracker"]' in dockerfile
    assert 'CMD ["daemon"]' in dockerfile
    for copied in ("pyproject.toml", "setup.py", "tracker", "migrations"):
        assert copied in dockerfile and (ROOT / copied).exists()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "tracker" not in ignored and "migrations" not in ignored
