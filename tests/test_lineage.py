"""Lineage roots: farthest first-parent ancestor, uncollected roots, cycles, merges (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select, text

from tracker.attribution.lineage import compute_roots
from tracker.db.engine import Database
from tracker.db.models import Account, HfModel, HfModelParent


def add_models(database: Database, models: dict[str, list[str]], relation: str = "finetune") -> None:
    """`models`: repo id -> parent repo ids in listed order (first = primary)."""
    with database.session() as session:
        for number, repo_id in enumerate(models, start=1):
            author = repo_id.split("/")[0] if "/" in repo_id else None
            session.add(
                HfModel(
                    id=number,
                    hub_id=f"hub{number:06d}",
                    repo_id=repo_id,
                    author=author,
                    author_key=author.lower() if author else None,
                )
            )
        session.flush()
        for number, parents in enumerate(models.values(), start=1):
            for position, parent in enumerate(parents):
                kind = "merge" if len(parents) > 1 else relation
                session.add(
                    HfModelParent(
                        child_id=number, parent_repo_id=parent, relation=kind, position=position, source="tag"
                    )
                )


def add_hf_countries(database: Database, countries: dict[str, str]) -> None:
    with database.session() as session:
        for handle, country in countries.items():
            session.add(Account(platform="hf", handle=handle, handle_key=handle.lower(), country=country))


def roots(database: Database) -> dict[str, tuple[str | None, str | None, bool | None]]:
    with database.session() as session:
        rows = session.execute(
            select(HfModel.repo_id, HfModel.root_repo_id, HfModel.root_author_key, HfModel.root_mixed)
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_chains_end_at_the_farthest_ancestor_even_when_it_was_never_collected(database: Database) -> None:
    add_models(
        database,
        {
            "Qwen/Qwen2-7B": [],
            "alice/qwen-ft": ["Qwen/Qwen2-7B"],
            "bob/qwen-ft-ft": ["alice/qwen-ft"],
            "carol/qwen-ft-ft-gguf": ["bob/qwen-ft-ft"],
            "dave/llama-ft": ["meta-llama/Meta-Llama-3-8B"],  # the root itself was never collected
            "erin/llama-ft-ft": ["DAVE/llama-ft"],  # parent ids are case-insensitive
        },
    )
    summary = compute_roots(database)
    result = roots(database)
    assert result["carol/qwen-ft-ft-gguf"][:2] == ("Qwen/Qwen2-7B", "qwen")
    assert result["alice/qwen-ft"][:2] == ("Qwen/Qwen2-7B", "qwen")
    assert result["Qwen/Qwen2-7B"][:2] == ("Qwen/Qwen2-7B", "qwen")  # a model without parent is its own root
    assert result["erin/llama-ft-ft"][:2] == ("meta-llama/Meta-Llama-3-8B", "meta-llama")
    assert summary.models == 5 and summary.in_cycles == 0
    assert all(mixed is False for _, _, mixed in result.values())


def test_long_chains_take_logarithmically_many_passes(database: Database) -> None:
    chain = {"root-org/base": []}
    previous = "root-org/base"
    for number in range(1, 65):
        chain[f"user{number}/m{number}"] = [previous]
        previous = f"user{number}/m{number}"
    add_models(database, chain)
    summary = compute_roots(database)
    result = roots(database)
    assert result[previous][:2] == ("root-org/base", "root-org")
    assert result["user1/m1"][:2] == ("root-org/base", "root-org")
    assert summary.passes <= 8  # 64 links: pointer jumping needs about log2(64) + 1 passes, not 64


def test_self_references_are_ignored_and_cycles_get_no_root(database: Database) -> None:
    add_models(
        database,
        {
            "solo/model": ["solo/model"],  # a card naming the model itself as its base
            "a/one": ["b/two"],
            "b/two": ["a/one"],
            "c/child-of-cycle": ["a/one"],
        },
    )
    summary = compute_roots(database)
    result = roots(database)
    assert result["solo/model"][:2] == ("solo/model", "solo")
    assert result["a/one"][:2] == (None, None)
    assert result["c/child-of-cycle"][:2] == (None, None)
    assert summary.in_cycles == 3


def test_merges_follow_the_first_parent_and_are_flagged_when_countries_differ(database: Database) -> None:
    add_hf_countries(database, {"Qwen": "CN", "meta-llama": "US", "mistralai": "FR", "deepseek-ai": "CN"})
    add_models(
        database,
        {
            "Qwen/Qwen2.5-7B": [],
            "x/merge-cn-us": ["Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B"],
            "y/ft-of-merge": ["x/merge-cn-us"],
            "z/merge-cn-cn": ["x/qwen-ft", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"],
            "x/qwen-ft": ["Qwen/Qwen2.5-7B"],
            "w/merge-with-unknown": ["mistralai/Mistral-7B-v0.1", "someone/unknown-model"],
        },
    )
    summary = compute_roots(database)
    result = roots(database)
    assert result["x/merge-cn-us"] == ("Qwen/Qwen2.5-7B", "qwen", True)
    assert result["y/ft-of-merge"] == ("Qwen/Qwen2.5-7B", "qwen", True)  # descendants inherit the flag
    assert result["z/merge-cn-cn"] == ("Qwen/Qwen2.5-7B", "qwen", False)  # parents' roots are both CN
    assert result["w/merge-with-unknown"] == ("mistralai/Mistral-7B-v0.1", "mistralai", False)
    assert summary.mixed_merges == 1


def test_recomputing_changes_nothing_and_the_view_shows_roots(database: Database) -> None:
    add_hf_countries(database, {"Qwen": "CN"})
    add_models(database, {"Qwen/Qwen3-8B": [], "a/ft": ["Qwen/Qwen3-8B"], "b/ft": ["nobody/unseen"]})
    assert compute_roots(database).updated == 3
    assert compute_roots(database).updated == 0
    with database.session() as session:
        rows = dict(
            (row[0], (row[1], row[2]))
            for row in session.execute(text("SELECT repo_id, root_model, root_country FROM hf_model_latest"))
        )
    assert rows["a/ft"] == ("Qwen/Qwen3-8B", "CN")
    assert rows["Qwen/Qwen3-8B"] == ("Qwen/Qwen3-8B", "CN")
    assert rows["b/ft"] == ("nobody/unseen", None)


def test_old_sqlite_without_update_from_writes_the_same_roots(database: Database, monkeypatch) -> None:
    """SQLite before 3.33 has no `UPDATE ... FROM`: the fallback must write the same roots and counts."""
    import tracker.attribution.lineage as lineage

    models = {"Qwen/Qwen3-8B": [], "a/ft": ["Qwen/Qwen3-8B"], "b/ft": ["nobody/unseen"], "c/ft": ["a/ft"]}
    add_hf_countries(database, {"Qwen": "CN"})
    add_models(database, models)
    assert compute_roots(database).updated == 4
    expected = roots(database)
    with database.session() as session:
        session.execute(
            text("UPDATE hf_models SET root_repo_id = NULL, root_author_key = 'x', root_mixed = NULL")
        )
    monkeypatch.setattr(lineage.sqlite3, "sqlite_version_info", (3, 31, 1))
    if database.backend == "sqlite":
        assert compute_roots(database).updated == 4
        assert compute_roots(database).updated == 0
    else:  # PostgreSQL always joins
        assert compute_roots(database).updated == 4
    assert roots(database) == expected
    assert expected["c/ft"] == ("Qwen/Qwen3-8B", "qwen", False)
