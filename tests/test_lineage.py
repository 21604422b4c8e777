"""Lineage roots: farthest first-parent ancestor, uncollected roots, cycles, merges, and the same roots kept up
to date dump by dump (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from tests.fakes.hub import hub_model
from tracker.attribution.first_roots import first_dump_roots
from tracker.attribution.lineage import compute_roots, update_roots
from tracker.db.engine import Database
from tracker.db.models import Account, HfModel, HfModelParent
from tracker.sources.huggingface.dump_read import DumpBatch
from tracker.sources.huggingface.dump_store import (
    LINEAGE_CHANGES,
    end_dump,
    end_staging,
    start_dump,
    store_dump_batch,
)
from tracker.sources.huggingface.parse import Parent, parse_model
from tracker.sources.huggingface.store import store_repos

DAY = dt.date(2025, 3, 3)


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


# --- Roots brought up to date inside each dump's transaction (update_roots) -------------------------------


def _dump(
    database: Database,
    day: dt.date,
    models: dict[str, list[str]] | list[tuple[str, list[str]]],
    batch: int = 7,
) -> int:
    """Write `models` (repo id -> parents, first = primary; a repo id listed twice: its last listing wins) as
    one dump of `day`, in batches, with the roots' update a backfill runs before the day's roll-up; returns how
    many repo ids were left to that update."""
    rows = []
    for repo_id, parents in models.items() if isinstance(models, dict) else models:
        row = parse_model(hub_model(repo_id, downloads=10))
        row.hub_id = ""
        relation = "merge" if len(parents) > 1 else "finetune"
        row.parents = [Parent(parent, relation, position, "dump") for position, parent in enumerate(parents)]
        rows.append(row)
    with database.session() as session:
        write = start_dump(session, day, first_dump_roots)
        for start in range(0, len(rows), batch):
            store_dump_batch(session, DumpBatch.of(rows[start : start + batch]), day, write)
        end_staging(session, write)
        left = session.execute(text(f"SELECT COUNT(*) FROM {LINEAGE_CHANGES}")).scalar_one()
        update_roots(session.connection(), LINEAGE_CHANGES)
        end_dump(session, write)
    return int(left)


def _same_as_full_computation(database: Database) -> dict[str, tuple[str | None, str | None, bool | None]]:
    """The roots after a dump, checked against a full computation (which then finds nothing to rewrite)."""
    after_dump = roots(database)
    assert compute_roots(database).updated == 0
    assert roots(database) == after_dump
    return after_dump


def test_each_dump_leaves_the_roots_a_full_computation_gives(database: Database) -> None:
    add_hf_countries(database, {"Qwen": "CN", "meta-llama": "US", "mistralai": "FR"})
    fillers = {f"filler/m{number}": [] for number in range(40)}  # keeps later dumps on the incremental path
    first = {
        **fillers,
        "Qwen/base": [],
        "a/ft1": ["Qwen/base"],
        "b/ft2": ["a/ft1"],
        "c/ft3": ["B/FT2"],  # parents match case-insensitively
        "x/kid": ["later/parent"],  # collected only by the second dump
        "y/grandkid": ["x/kid"],
        "s/switch": ["Qwen/base"],
        "s/kid": ["s/switch"],
        "cyc/one": ["cyc/two"],
        "cyc/two": ["cyc/one"],
        "cyc/child": ["cyc/one"],
        "m2/merge": ["Qwen/base", "x/kid"],  # x/kid's root has no country yet: not mixed
        "m2/ft": ["m2/merge"],
    }
    _dump(database, DAY, first)
    result = _same_as_full_computation(database)
    assert result["c/ft3"] == ("Qwen/base", "qwen", False)
    assert result["y/grandkid"][:2] == ("later/parent", "later")
    assert result["cyc/child"] == (None, None, False)
    assert result["m2/ft"] == ("Qwen/base", "qwen", False)

    second = {
        **first,
        "Qwen/base": ["Qwen/pre"],  # the root of a chain of four moves up
        "d/ft4": ["c/ft3"],
        "later/parent": ["meta-llama/L"],
        "s/switch": ["mistralai/M"],
        "cyc/two": ["Qwen/base"],  # the cycle is broken
        "m/merge": ["Qwen/base", "meta-llama/L"],
        "m/ft": ["m/merge"],
    }
    _dump(database, DAY + dt.timedelta(days=7), second)
    result = _same_as_full_computation(database)
    assert result["d/ft4"] == ("Qwen/pre", "qwen", False)
    assert result["a/ft1"][:2] == ("Qwen/pre", "qwen")
    assert result["y/grandkid"][:2] == ("meta-llama/L", "meta-llama")
    assert result["s/kid"][:2] == ("mistralai/M", "mistralai")
    assert result["cyc/child"][:2] == ("Qwen/pre", "qwen")
    assert result["m/ft"] == ("Qwen/pre", "qwen", True)
    assert result["m2/ft"] == ("Qwen/pre", "qwen", True)  # its merge's second parent now has a US root

    third = {**second, "cyc/two": ["cyc/child"], "m/merge": ["Qwen/base"]}  # a new cycle; the merge gone
    _dump(database, DAY + dt.timedelta(days=14), third)
    result = _same_as_full_computation(database)
    assert result["cyc/one"] == (None, None, False)
    assert result["m/ft"] == ("Qwen/pre", "qwen", False)


def test_a_dump_listing_a_renamed_model_under_its_former_name_moves_its_derivatives(
    database: Database,
) -> None:
    api = parse_model(hub_model("r/old-name", hub_id="c3" * 12))
    renamed = parse_model(hub_model("r/new-name", hub_id="c3" * 12))
    renamed.parents = [Parent("meta-llama/L", "finetune", 0, "tag")]
    with database.session() as session:
        store_repos(session, "models", [api], DAY)
        store_repos(session, "models", [renamed], DAY + dt.timedelta(days=1))
    fillers = {f"filler/m{number}": [] for number in range(20)}
    _dump(
        database, DAY + dt.timedelta(days=2), {**fillers, "r/kid": ["r/new-name"], "r/kid2": ["r/old-name"]}
    )
    result = _same_as_full_computation(database)
    assert result["r/kid"][:2] == ("meta-llama/L", "meta-llama")
    assert result["r/kid2"][:2] == ("r/old-name", "r")
    # the dump lists the model under its former name again: both names' derivatives change root
    _dump(
        database,
        DAY + dt.timedelta(days=9),
        {**fillers, "r/kid": ["r/new-name"], "r/kid2": ["r/old-name"], "r/old-name": ["meta-llama/L"]},
    )
    result = _same_as_full_computation(database)
    assert result["r/kid"][:2] == ("r/new-name", "r")
    assert result["r/kid2"][:2] == ("meta-llama/L", "meta-llama")


def test_repo_ids_differing_only_in_case_share_one_root_spelling_dump_after_dump(database: Database) -> None:
    """Models without parents go in as their own roots; two spellings of one repo id (case only) must still
    end with the one spelling a full computation picks (the database's ordering decides which), on a first
    dump (bulk path) and on a later one (incremental path)."""
    fillers = {f"filler/m{number}": [] for number in range(40)}  # keeps the second dump incremental
    _dump(database, DAY, {**fillers, "Org/Base": [], "org/base": [], "k/ft": ["ORG/BASE"]})
    result = _same_as_full_computation(database)
    spellings = {result[name] for name in ("Org/Base", "org/base", "k/ft")}
    assert len(spellings) == 1
    ((spelling, key, mixed),) = spellings
    assert spelling in ("Org/Base", "org/base") and (key, mixed) == ("org", False)

    later = {**fillers, "org/base": [], "ORG/base": [], "k/ft": ["org/BASE"]}
    _dump(database, DAY + dt.timedelta(days=7), later)
    result = _same_as_full_computation(database)
    spellings = {result[name] for name in ("Org/Base", "org/base", "ORG/base", "k/ft")}
    assert len(spellings) == 1
    ((spelling, key, mixed),) = spellings
    assert spelling in ("Org/Base", "org/base", "ORG/base") and (key, mixed) == ("org", False)


def test_a_full_computation_rewrites_only_what_changed_and_a_model_that_lost_its_parents_is_its_own_root(
    database: Database,
) -> None:
    """The full computation writes only models whose roots can change (derivatives, models not stored as
    their own root, case spellings); a model whose parent (of the same namespace) went is its own root again,
    and the models left alone keep the roots a computation over every model gives."""
    add_models(database, {"org/base": [], "org/ft": ["org/base"], "other/ft": ["org/ft"], "solo/x": []})
    compute_roots(database)
    assert roots(database)["other/ft"] == ("org/base", "org", False)
    with database.session() as session:
        session.execute(text("DELETE FROM hf_model_parents WHERE parent_repo_id = 'org/base'"))
    summary = compute_roots(database)
    assert roots(database) == {
        "org/base": ("org/base", "org", False),
        "org/ft": ("org/ft", "org", False),
        "other/ft": ("org/ft", "org", False),
        "solo/x": ("solo/x", "solo", False),
    }
    assert summary.updated == 2  # org/ft and other/ft
    assert compute_roots(database).updated == 0


# --- A first dump's roots, computed in memory (tracker.attribution.first_roots) -----------------------------


def _random_lineage(seed: int, *, clean: bool) -> list[tuple[str, list[str]]]:
    """A random first dump: chains, merges across countries, parents never collected; unless `clean`, also
    repo ids spelled alike but for case, parents named in several cases, cycles, ids beyond ASCII and repeats."""
    import random

    pick = random.Random(seed)
    spaces = ["Qwen", "meta-llama", "mistralai", "org", "solo", "team"]
    names = [f"{pick.choice(spaces)}/m{number}" for number in range(80)]
    ghosts = ["ghost/base", "meta-llama/unseen", "Qwen/unseen"]
    if not clean:
        names += [name.upper() for name in pick.sample(names, 4)] + ["org/modèle", "Éco/base"]
    listed: list[tuple[str, list[str]]] = []
    for index, name in enumerate(names):
        # parents among the models listed before (no cycle), or among any of them when not clean
        pool = names[: max(index, 1)] if clean else names
        parents = []
        for _ in range(pick.choice([0, 0, 1, 1, 1, 2, 3])):
            parent = pick.choice(pool + ghosts)
            if not clean and pick.random() < 0.2:
                parent = parent.swapcase() if pick.random() < 0.5 else parent.lower()
            if parent.lower() != name.lower() and parent.lower() not in {p.lower() for p in parents}:
                parents.append(parent)
        listed.append((name, parents))
    if not clean:  # a model listed twice, once with other parents
        repeated = pick.choice(listed)
        listed.append((repeated[0], [pick.choice(names)] if not repeated[1] else []))
    return listed


@pytest.mark.parametrize("seed", range(6))
def test_a_first_dumps_roots_computed_in_memory_are_those_a_full_computation_gives(
    database: Database, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random graphs as first dumps (every third with a filter that takes nearly every row for a repeat): the
    roots equal a full computation's. Without the cases that need the database, nothing is left to it."""
    from tracker.sources.huggingface.dump_store import WrittenKeys

    if seed % 3 == 2:
        monkeypatch.setattr(WrittenKeys, "BITS", 8)
    add_hf_countries(database, {"Qwen": "CN", "meta-llama": "US", "mistralai": "FR", "org": "CN"})
    clean = seed % 2 == 0
    left = _dump(database, DAY, _random_lineage(seed, clean=clean))
    result = _same_as_full_computation(database)
    assert any(mixed for _, _, mixed in result.values()) or seed == 4  # merges across countries occur
    if clean:
        assert left == 0
    else:
        assert left > 0


def test_a_first_dump_leaves_only_what_needs_the_database_to_the_set_based_update(database: Database) -> None:
    add_hf_countries(database, {"Qwen": "CN", "meta-llama": "US"})
    left = _dump(
        database,
        DAY,
        [
            ("Qwen/base", []),
            ("a/ft", ["Qwen/base"]),
            ("b/merge", ["a/ft", "meta-llama/L"]),  # CN and US roots: mixed, and so is its descendant
            ("c/kid", ["B/MERGE"]),
            ("d/ghost-kid", ["nobody/ghost"]),
            ("e/ghost-kid", ["nobody/ghost"]),
            ("g/kid", ["somebody/ghost"]),
            ("k/kid", ["somebody/GHOST"]),  # a root never collected, named in two cases
            ("h/kid", ["qwen/BASE"]),  # a collected root named otherwise: the model's own spelling
            ("cyc/one", ["cyc/two"]),
            ("cyc/two", ["cyc/one"]),
            ("Twice/Spelled", []),
            ("twice/spelled", []),
            ("f/kid", ["twice/SPELLED"]),
        ],
    )
    result = _same_as_full_computation(database)
    assert result["c/kid"] == ("Qwen/base", "qwen", True)
    assert result["e/ghost-kid"] == ("nobody/ghost", "nobody", False)
    assert result["cyc/two"] == (None, None, False)
    assert result["f/kid"][:2] == (result["twice/spelled"][0], "twice")
    assert result["h/kid"] == ("Qwen/base", "qwen", False)
    assert result["g/kid"][1] == "somebody"
    # the cycle's two models, the two spellings' key and its derivative, the derivatives of the ghost named twice
    assert left == 6
