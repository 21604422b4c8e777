"""Attribution end to end on hand-built rows: precedence, provenance, contributors, views, idempotence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text

from tracker.attribution.attribute import run_attribution
from tracker.attribution.registry import import_registry, import_shipped, set_override
from tracker.cli import main
from tracker.db.engine import Database
from tracker.db.models import Account, GhAccount, GhContributor, GhRepo, HfModel, HfModelParent, Publisher

DAY = dt.date(2026, 11, 27)
REGISTRY = """hf_org,github_org,country,name,kind,basis,publisher
Qwen,QwenLM,CN,Qwen,company,HQ Hangzhou,
inferred-hf,inferred-lab,,Inferred Lab,lab,,
,secret-lab,-,Secret Lab,lab,deliberately unknown,
acme-hf,acme,US,Acme,company,HQ Boston,
"""


def write_registry(tmp_path: Path, content: str = REGISTRY) -> Path:
    path = tmp_path / "registry.csv"
    path.write_text(content)
    return path


def add_github(database: Database) -> None:
    accounts = [
        (1, "QwenLM", "Organization", "Seattle, WA"),  # the registry wins over a profile location
        (2, "inferred-lab", "Organization", "Hangzhou, Zhejiang"),
        (3, "secret-lab", "Organization", "Beijing"),  # '-' in the registry: never inferred
        (10, "dev-seattle", "User", "Seattle, WA"),
        (11, "dev-beijing", "User", "北京市海淀区"),
        (12, "dev-earth", "User", "Earth"),
        (13, "dev-none", "User", None),
        (14, "dev-taipei", "User", "Taipei, Taiwan"),
    ]
    with database.session() as session:
        for number, login, kind, location in accounts:
            session.add(
                GhAccount(id=number, login=login, login_key=login.lower(), type=kind, location=location)
            )
        session.flush()
        for number, owner in ((100, 1), (101, 2), (102, 3), (103, 10)):
            login = session.get(GhAccount, owner).login
            session.add(
                GhRepo(id=number, full_name=f"{login}/repo", owner_id=owner, owner_login=login, stars=5)
            )
        session.flush()
        for contributor in (10, 11, 12, 13, 14):
            session.add(
                GhContributor(repo_id=100, account_id=contributor, captured_on=DAY, contributions=contributor)
            )


def add_models(database: Database) -> None:
    with database.session() as session:
        repos = ["Qwen/Qwen3-8B", "community-user/qwen-ft", "acme-hf/model", "inferred-hf/model"]
        for number, repo_id in enumerate(repos, start=1):
            author = repo_id.split("/")[0]
            session.add(
                HfModel(
                    id=number, hub_id=f"h{number}", repo_id=repo_id, author=author, author_key=author.lower()
                )
            )
        session.flush()
        session.add(
            HfModelParent(
                child_id=2, parent_repo_id="Qwen/Qwen3-8B", relation="finetune", position=0, source="tag"
            )
        )


def query(database: Database, sql: str) -> list[tuple]:
    with database.session() as session:
        return [tuple(row) for row in session.execute(text(sql))]


def test_precedence_manual_registry_location_unknown(database: Database, tmp_path: Path) -> None:
    import_registry(database, write_registry(tmp_path))
    add_github(database)
    run_attribution(database)
    with database.session() as session:
        publishers = {p.slug: p for p in session.scalars(select(Publisher))}
    assert (publishers["qwen"].country, publishers["qwen"].country_method) == ("CN", "registry")
    assert publishers["qwen"].country_confidence == 1.0
    inferred = publishers["inferred-hf"]
    assert (inferred.country, inferred.country_method) == ("CN", "location")
    assert "inferred-lab" in inferred.country_basis and "Hangzhou" in inferred.country_basis
    assert 0 < inferred.country_confidence < 1
    secret = publishers["secret-lab"]
    assert (secret.country, secret.country_method) == (None, "unknown")
    assert "unknown on purpose" in secret.country_basis

    set_override(database, "QwenLM", "SG", "test decision")
    import_registry(database, write_registry(tmp_path))  # a later import never overwrites the override
    run_attribution(database)
    rows = dict(
        ((handle, platform), (country, method))
        for handle, platform, country, method in query(
            database, "SELECT handle, platform, country, method FROM publisher_country"
        )
    )
    assert rows[("Qwen", "hf")] == ("SG", "manual")
    assert rows[("QwenLM", "github")] == ("SG", "manual")


def test_contributors_and_repo_owners_get_countries_from_profiles(database: Database, tmp_path: Path) -> None:
    import_registry(database, write_registry(tmp_path))
    add_github(database)
    summary = run_attribution(database)
    contributors = {
        login: country
        for _, login, country in query(
            database, "SELECT full_name, login, country FROM gh_contributor_latest"
        )
    }
    assert contributors == {
        "dev-seattle": "US",
        "dev-beijing": "CN",
        "dev-earth": None,
        "dev-none": None,
        "dev-taipei": "TW",
    }
    owners = dict(query(database, "SELECT full_name, country FROM gh_repo_latest"))
    assert owners == {
        "QwenLM/repo": "CN",
        "inferred-lab/repo": "CN",
        "secret-lab/repo": None,
        "dev-seattle/repo": "US",
    }
    assert summary.github_accounts_located == 3  # users with parsable locations and no publisher
    with database.session() as session:
        earth = session.scalar(select(Account).where(Account.handle_key == "dev-earth"))
    assert earth is None  # unknown stays unknown: no row invented


def test_hf_accounts_inherit_their_publisher_and_community_accounts_stay_unknown(
    database: Database, tmp_path: Path
) -> None:
    import_registry(database, write_registry(tmp_path))
    add_models(database)
    add_github(database)
    run_attribution(database)
    rows = {
        repo: (country, root, root_country)
        for repo, country, root, root_country in query(
            database, "SELECT repo_id, country, root_model, root_country FROM hf_model_latest"
        )
    }
    assert rows["Qwen/Qwen3-8B"] == ("CN", "Qwen/Qwen3-8B", "CN")
    assert rows["community-user/qwen-ft"] == (None, "Qwen/Qwen3-8B", "CN")
    assert rows["acme-hf/model"] == ("US", "acme-hf/model", "US")
    assert rows["inferred-hf/model"] == (
        "CN",
        "inferred-hf/model",
        "CN",
    )  # via the publisher's GitHub profile
    basis = dict(query(database, "SELECT handle, basis FROM publisher_country WHERE platform = 'hf'"))
    assert "Hangzhou" in basis["inferred-hf"] and basis["Qwen"].startswith("registry:")


def test_a_second_run_changes_nothing(database: Database, tmp_path: Path) -> None:
    import_registry(database, write_registry(tmp_path))
    add_github(database)
    add_models(database)
    first = run_attribution(database)
    second = run_attribution(database)
    assert first.accounts_changed > 0 and first.lineage.updated == 4
    assert second.accounts_changed == 0 and second.lineage.updated == 0
    assert second.attributed == first.attributed


def test_location_changes_are_picked_up(database: Database, tmp_path: Path) -> None:
    add_github(database)
    run_attribution(database)
    with database.session() as session:
        session.get(GhAccount, 10).location = "Remote"
        session.get(GhAccount, 12).location = "Berlin, Germany"
    run_attribution(database)
    countries = dict(query(database, "SELECT handle, country FROM accounts WHERE platform = 'github'"))
    assert countries["dev-seattle"] is None
    assert countries["dev-earth"] == "DE"


def test_shipped_registry_attributes_legacy_namespaces_alike(database: Database) -> None:
    import_shipped(database)
    run_attribution(database)
    rows = {
        handle: (publisher, country)
        for handle, publisher, country in query(
            database, "SELECT handle, publisher, country FROM publisher_country WHERE platform = 'hf'"
        )
    }
    for legacy, current in (("THUDM", "zai-org"), ("CohereForAI", "CohereLabs"), ("Yi", "01-ai")):
        assert rows[legacy] == rows[current]
        assert rows[legacy][1] is not None


def test_cli_attribute_and_publishers(database_url: str, tmp_path: Path, capsys) -> None:
    base = ["--database-url", database_url]
    assert main([*base, "publishers", "import", str(write_registry(tmp_path))]) == 0
    assert main([*base, "attribute"]) == 0
    out = capsys.readouterr().out
    assert "publishers: 4" in out and "registry 2" in out
    assert main([*base, "publishers", "list", "--country", "CN"]) == 0
    out = capsys.readouterr().out
    assert "qwen" in out and "acme" not in out
    assert main([*base, "publishers", "set", "acme", "--country", "CA", "--basis", "moved"]) == 0
    assert main([*base, "publishers", "list", "--country", "CA"]) == 0
    assert "acme" in capsys.readouterr().out
    assert main([*base, "publishers", "set", "nobody", "--country", "CA", "--basis", "x"]) == 2
    assert main([*base, "publishers", "set", "acme", "--country", "ZZ", "--basis", "x"]) == 2
    assert main([*base, "publishers", "import"]) == 2


def test_github_users_are_processed_in_chunks_with_renamed_logins(
    database: Database, tmp_path: Path, monkeypatch
) -> None:
    import tracker.attribution.attribute as attribute

    monkeypatch.setattr(attribute, "CHUNK", 2)
    add_github(database)
    with database.session() as session:  # a login reused by a second account id (a rename): the newest wins
        session.add(
            GhAccount(id=20, login="Dev-Seattle", login_key="dev-seattle", type="User", location="Lyon")
        )
    summary = run_attribution(database)
    assert summary.github_accounts_scanned == 9
    countries = dict(query(database, "SELECT handle_key, country FROM accounts WHERE platform = 'github'"))
    assert countries["dev-seattle"] == "FR"
    assert countries["dev-beijing"] == "CN" and countries["dev-taipei"] == "TW"
    assert run_attribution(database).accounts_changed == 0


def test_cli_set_creates_an_unknown_handle_on_request(database_url: str, capsys) -> None:
    base = ["--database-url", database_url]
    assert (
        main(
            [
                *base,
                "publishers",
                "set",
                "new-lab",
                "--platform",
                "github",
                "--country",
                "KR",
                "--basis",
                "HQ Seoul",
            ]
        )
        == 0
    )
    assert main([*base, "attribute"]) == 0
    capsys.readouterr()
    assert main([*base, "publishers", "list", "--country", "KR"]) == 0
    out = capsys.readouterr().out
    assert "new-lab" in out and "manual" in out and "github:new-lab" in out


def test_without_lineage_the_newest_day_is_rolled_up_again_only_when_an_account_changed(
    database: Database, tmp_path: Path
) -> None:
    """After a backfill (lineage kept up to date by the dumps, each of which rolled its own day up), the
    attribution rolls the newest day up again only when a country changed."""
    import_registry(database, write_registry(tmp_path))
    add_models(database)
    with database.session() as session:
        session.execute(text("UPDATE hf_models SET metrics_on = :day, downloads_30d = 10"), {"day": DAY})
    assert run_attribution(database).totals_day == DAY
    totals = "SELECT country, models FROM hf_daily_country_totals ORDER BY country"
    assert ("CN", 1) in query(database, totals)
    with database.session() as session:
        session.execute(text("DELETE FROM hf_daily_country_totals"))
    assert run_attribution(database, lineage=False).totals_day is None
    assert query(database, totals) == []
    import_registry(database, write_registry(tmp_path, REGISTRY.replace("Qwen,QwenLM,CN", "Qwen,QwenLM,SG")))
    summary = run_attribution(database, lineage=False)
    assert summary.accounts_changed > 0 and summary.totals_day == DAY
    assert ("SG", 1) in query(database, totals)
