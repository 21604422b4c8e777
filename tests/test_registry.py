"""The publisher registry: checking with line numbers, all-or-nothing imports, grouping, idempotence, overrides."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.attribution.registry import (
    RegistryError,
    group_publishers,
    import_registry,
    import_shipped,
    parse_registry,
    read_registry,
    registry_is_empty,
    set_override,
    shipped_registry_path,
)
from tracker.cli import main
from tracker.db.engine import Database
from tracker.db.models import Account, Publisher

HEADER = "hf_org,github_org,country,name,kind,basis"


def counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Publisher)),
            session.scalar(select(func.count()).select_from(Account)),
        )


def test_every_bad_row_is_reported_with_its_line_number() -> None:
    text = "\n".join(
        [
            "# a comment line",
            HEADER,
            "good-org,good-gh,FR,Good,company,HQ Paris",
            "bad-country,,XX,Bad,company,nowhere",
            ",,US,No handles,company,x",
            "weird-kind,,US,Weird,alien,x",
            "short,row",
            "bad handle!,,US,Bad handle,company,x",
        ]
    )
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, "test.csv")
    errors = caught.value.errors
    assert any(error.startswith("line 4:") and "XX" in error for error in errors)
    assert any(error.startswith("line 5:") and "neither" in error for error in errors)
    assert any(error.startswith("line 6:") and "alien" in error for error in errors)
    assert any(error.startswith("line 7:") and "fields" in error for error in errors)
    assert any(error.startswith("line 8:") for error in errors)
    assert not any(error.startswith("line 3:") for error in errors)


def test_a_missing_header_column_is_an_error() -> None:
    with pytest.raises(RegistryError, match="line 1: header lacks basis"):
        parse_registry("hf_org,github_org,country,name,kind\nx,,US,X,company\n")


def test_rows_sharing_a_slug_or_a_handle_are_one_publisher() -> None:
    rows = parse_registry(
        "\n".join(
            [
                f"{HEADER},publisher,notes",
                "zai-org,zai-org,CN,Z.ai,company,HQ Beijing,,extra columns are ignored",
                "THUDM,zai-org,CN,Legacy,company,legacy namespace,,",
                "CohereLabs,cohere-ai,CA,Cohere Labs,company,HQ Toronto,cohere,",
                "CohereForAI,,,Cohere legacy,company,legacy,cohere,",
                "other,,,Other,community,,,",
            ]
        )
    )
    entries = group_publishers(rows)
    assert [(entry.slug, entry.hf, entry.github) for entry in entries] == [
        ("zai-org", ["zai-org", "THUDM"], ["zai-org"]),
        ("cohere", ["CohereLabs", "CohereForAI"], ["cohere-ai"]),
        ("other", ["other"], []),
    ]
    assert entries[1].decided.country == "CA"  # an empty country on one row does not contradict the other


def test_one_publisher_cannot_get_two_countries() -> None:
    with pytest.raises(RegistryError, match="different countries"):
        parse_registry(f"{HEADER}\na,shared,US,A,company,x\nb,shared,CN,B,company,y\n")


def test_a_file_with_errors_changes_nothing(database: Database, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nalpha,alpha-gh,US,Alpha,company,HQ\n")
    import_registry(database, good)
    before = counts(database)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nbeta,beta-gh,DE,Beta,company,HQ\nalpha,alpha-gh,ZZ,Alpha,company,moved\n")
    with pytest.raises(RegistryError, match="line 3"):
        import_registry(database, bad)
    assert counts(database) == before
    with database.session() as session:
        assert session.scalar(select(Publisher.registry_country).where(Publisher.slug == "alpha")) == "US"


def test_importing_twice_changes_nothing_and_overrides_survive(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        f"{HEADER}\nalpha,alpha-gh,US,Alpha,company,HQ\nbeta,,-,Beta,community,multi\ngamma,,,Gamma,lab,\n"
    )
    assert registry_is_empty(database)
    first = import_registry(database, path)
    assert (first.publishers_created, first.accounts_created) == (3, 4)
    assert not import_registry(database, path).changed
    set_override(database, "alpha", "GB", "moved to London")
    path.write_text(
        f"{HEADER}\nalpha,alpha-gh,FR,Alpha,company,HQ changed\nbeta,,-,Beta,community,multi\ngamma,,,Gamma,lab,\n"
    )
    assert import_registry(database, path).publishers_updated == 1
    with database.session() as session:
        alpha = session.scalar(select(Publisher).where(Publisher.slug == "alpha"))
        beta = session.scalar(select(Publisher).where(Publisher.slug == "beta"))
        gamma = session.scalar(select(Publisher).where(Publisher.slug == "gamma"))
    assert (alpha.registry_country, alpha.override_country, alpha.country) == ("FR", "GB", "GB")
    assert beta.registry_no_infer and beta.registry_country is None
    assert not gamma.registry_no_infer and gamma.registry_country is None


def test_the_cli_reports_bad_lines_and_exits_non_zero(database_url: str, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nok,,US,Ok,company,x\nnope,,QQ,Nope,company,x\n")
    assert main(["--database-url", database_url, "publishers", "import", str(bad)]) == 1
    assert "line 3" in capsys.readouterr().err
    assert main(["--database-url", database_url, "publishers", "import", "--shipped"]) == 0
    assert "new" in capsys.readouterr().out
    assert main(["--database-url", database_url, "publishers", "import", "--shipped"]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_the_shipped_registry_is_valid_and_large_enough(database: Database) -> None:
    rows = read_registry(shipped_registry_path())
    entries = group_publishers(rows)
    assert len(entries) >= 100
    assert all(entry.first.basis for entry in entries)
    import_shipped(database)
    publishers, accounts = counts(database)
    assert publishers == len(entries)
    assert accounts == sum(len(entry.hf) + len(entry.github) for entry in entries)


def test_the_shipped_registry_covers_every_atom_organisation(shared_data: Path) -> None:
    atom = list(
        csv.DictReader((shared_data / "interconnects-tracked-models" / "organization_regions.csv").open())
    )
    shipped = {row.hf_org.lower() for row in read_registry(shipped_registry_path()) if row.hf_org}
    assert [row["hf_org"] for row in atom if row["hf_org"].lower() not in shipped] == []


def test_the_shipped_registry_states_every_disagreement_with_atom(shared_data: Path) -> None:
    from tests.test_locations import load_bench

    result = load_bench().atom_agreement(shared_data)
    rows = {row.hf_org: row for row in read_registry(shipped_registry_path()) if row.hf_org}
    for hf_org, _region, _ours in result.disagreements:
        basis = rows[hf_org].basis or ""
        assert "DISAGREE" in basis.upper() or "ATOM" in basis.upper()
    assert result.agreement >= 0.9


def test_the_cli_imports_the_configured_registry_without_arguments(
    database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(f"{HEADER}\nmine,,JP,Mine,lab,Tokyo\n")
    monkeypatch.delenv("TRACKER_REGISTRY", raising=False)
    assert main(["--database-url", database_url, "publishers", "import"]) == 2
    monkeypatch.setenv("TRACKER_REGISTRY", str(path))
    assert main(["--database-url", database_url, "publishers", "import"]) == 0
    assert "1 publishers (1 new" in capsys.readouterr().out


def test_a_manual_unknown_blocks_registry_and_inference(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(f"{HEADER}\nalpha,alpha-gh,US,Alpha,company,HQ\n")
    import_registry(database, path)
    publisher = set_override(database, "alpha-gh", "-", "contested")
    assert (publisher.country, publisher.country_method) == (None, "manual")
    assert "unknown on purpose" in publisher.country_basis
    with pytest.raises(ValueError, match="basis"):
        set_override(database, "alpha", "FR", "  ")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("nul-org,,US,Bad\x00Name,company,x", "control character (U+0000)"),
        ("tab-org,,US,Bad\tName,company,x", "control character (U+0009)"),
        ('quoted-org,,US,"two\nlines",company,x', "control character (U+000A)"),
        ("c1-org,,US,Name,company,bad\x85basis", "control character (U+0085)"),
        ("long-org,,US," + "N" * 5000 + ",company,x", "5000 characters long (at most 300)"),
        ("long-basis,,US,Name,company," + "b" * 2001, "2001 characters long (at most 2000)"),
    ],
)
def test_text_fields_are_checked_with_line_numbers_on_both_back_ends(
    database: Database, tmp_path: Path, capsys, row: str, problem: str
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(f"# comment\n{HEADER}\ngood,,US,Good,company,x\n{row}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        import_registry(database, path)
    assert any(error.startswith("line 4:") and problem in error for error in caught.value.errors)
    assert counts(database) == (0, 0)
    assert main(["--database-url", database.url, "publishers", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 4: " in err and problem in err and "\x00" not in err
    assert counts(database) == (0, 0)


def test_an_import_never_moves_a_handle_that_a_manual_decision_holds(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(f"{HEADER}\nalpha,alpha-gh,US,Alpha,company,HQ\nbeta,,FR,Beta,company,HQ\n")
    import_registry(database, path)
    set_override(database, "alpha", "GB", "moved to London")
    # the registry now files alpha's handles under beta
    path.write_text(
        f"{HEADER},publisher\nalpha,alpha-gh,FR,Beta,company,merged,beta\nbeta,,FR,Beta,company,HQ,beta\n"
    )
    summary = import_registry(database, path)
    assert summary.accounts_kept == 2
    with database.session() as session:
        owners = dict(
            session.execute(
                select(Account.handle, Publisher.slug).join(Publisher, Account.publisher_id == Publisher.id)
            ).all()
        )
        alpha = session.scalar(select(Publisher).where(Publisher.slug == "alpha"))
    assert owners == {"alpha": "alpha", "alpha-gh": "alpha", "beta": "beta"}
    assert (alpha.override_country, alpha.country) == ("GB", "GB")
    assert not import_registry(database, path).changed


def test_an_import_writes_with_bulk_statements(database: Database, tmp_path: Path) -> None:
    from sqlalchemy import event

    rows = [
        f"org{i},{f'gh{i}' if i % 3 == 0 else ''},{'CN' if i % 2 else 'US'},Org {i},lab,basis {i}"
        for i in range(3000)
    ]
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        first = import_registry(database, path)
        writes_first = len(statements)
        statements.clear()
        rows[0] = "org0,,FR,Org 0,lab,moved"
        path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
        second = import_registry(database, path)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert (first.publishers_created, first.accounts_created) == (3000, 4000)
    assert (second.publishers_updated, second.publishers_created, second.accounts_updated) == (1, 0, 0)
    assert writes_first < 60 and len(statements) < 60  # a row at a time would be thousands
    assert counts(database) == (3000, 4000)
