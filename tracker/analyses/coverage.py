"""How much of the collected data has a known country: the context every share needs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from tracker.db.engine import Database

COVERAGE_SQL = """
SELECT
  (SELECT COUNT(*) FROM hf_models) AS hf_models,
  (SELECT COUNT(*) FROM hf_model_latest WHERE country IS NOT NULL) AS hf_models_with_country,
  (SELECT COUNT(*) FROM hf_models WHERE created_at IS NULL) AS hf_models_without_created_at,
  (SELECT COUNT(DISTINCT captured_on) FROM hf_model_snapshots) AS hf_snapshot_days,
  (SELECT COUNT(*) FROM gh_repos) AS gh_repos,
  (SELECT COUNT(*) FROM gh_repo_latest WHERE country IS NOT NULL) AS gh_repos_with_country,
  (SELECT COUNT(DISTINCT captured_on) FROM gh_repo_snapshots) AS gh_snapshot_days,
  (SELECT COUNT(*) FROM accounts) AS accounts,
  (SELECT COUNT(*) FROM accounts WHERE country IS NOT NULL) AS accounts_with_country
"""


@dataclass(frozen=True)
class Coverage:
    hf_models: int
    hf_models_with_country: int
    hf_models_without_created_at: int
    hf_snapshot_days: int
    gh_repos: int
    gh_repos_with_country: int
    gh_snapshot_days: int
    accounts: int
    accounts_with_country: int


def coverage(database: Database) -> Coverage:
    with database.read_only_session() as session:
        row = session.execute(text(COVERAGE_SQL)).one()
    return Coverage(*(int(value or 0) for value in row))
