"""A batch's parents computed by pyarrow (`parents_column`) equal what `row_parents` gives row by row, on the
dumps' usual rows and on every odd one: cases, repeats, relations, own names, URLs, spaces, non-ASCII."""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa
import pytest

from tracker.sources.huggingface.dump_lineage import parents_column, row_parents

BASE_MODELS = pa.struct(
    [
        ("relation", pa.string()),
        ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())]))),
    ]
)
NAMES = [
    "Qwen/Qwen2.5-7B",
    "qwen/QWEN2.5-7b",  # the same name, other case
    "meta-llama/Llama-3.1-8B",
    "org/a_b.c-d",
    "solo-model",
    "own/model",  # the row's own name (OWN below)
    "OWN/Model",
    "/org/slashes/",
    "org//double",
    "a/b/c",
    "",
    "x" * 301,
    "o/" + "y" * 298,  # exactly 300
    "o/" + "y" * 299,  # 301
    "https://huggingface.co/org/url",
    " org/spaced ",
    "org/tab\tbed",
    "org/ünïcödé",
    "Org/Ünï",
    "org/日本語",
    "org/x\n",
    "org/x\x1c",
    "org/dotted..",
    "org/İstanbul",  # lower() differs between Python and pyarrow
    "org/istanbul",
]
RELATIONS = ["finetune", "adapter", "quantized", "merge", "unknown", "FINETUNE", "", None]
OWN = "own/model"


def _tag(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    shape = rng.random()
    if shape < 0.45:
        return f"base_model:{name}"
    if shape < 0.85:
        return f"base_model:{rng.choice(RELATIONS) or 'merge'}:{name}"
    if shape < 0.9:
        return f"base_model:finetune:extra:{name}"
    return rng.choice(["license:mit", "text-generation", "base_model", "base_model:", f"base_model::{name}"])


def _base_models(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.3:
        return None
    models = [
        None
        if rng.random() < 0.05
        else {"_id": "0" * 24, "id": None if rng.random() < 0.05 else rng.choice(NAMES)}
        for _ in range(rng.randint(0, 3))
    ]
    return {"relation": rng.choice(RELATIONS), "models": None if rng.random() < 0.05 else models}


def _rows(
    seed: int, count: int
) -> tuple[list[str], list[list[str | None] | None], list[dict[str, Any] | None]]:
    rng = random.Random(seed)
    ids, tags, base_models = [], [], []
    for _ in range(count):
        ids.append(rng.choice([OWN, "Own/Model", "someone/else", "ünï/model", "org/İstanbul", "solo"]))
        if rng.random() < 0.2:
            tags.append(None)
        else:
            tags.append([None if rng.random() < 0.03 else _tag(rng) for _ in range(rng.randint(0, 5))])
        base_models.append(_base_models(rng))
    return ids, tags, base_models


def _expected(ids: list[str], tags: list, base_models: list) -> list:
    found = []
    for repo_id, row_tags, base in zip(ids, tags, base_models, strict=True):
        lineage = (
            [tag for tag in row_tags if isinstance(tag, str) and tag.startswith("base_model:")]
            if row_tags
            else []
        )
        parents = row_parents(repo_id, lineage, base)
        found.append(
            [
                {"repo_id": p.repo_id, "relation": p.relation, "position": p.position, "source": p.source}
                for p in parents
            ]
            or None
        )
    return found


@pytest.mark.parametrize("seed", range(8))
def test_a_batch_gets_the_parents_each_row_gets(seed: int) -> None:
    ids, tags, base_models = _rows(seed, 400)
    column = parents_column(
        pa.array(ids, pa.string()), pa.array(tags, pa.list_(pa.string())), pa.array(base_models, BASE_MODELS)
    )
    expected = _expected(ids, tags, base_models)
    assert column.to_pylist() == expected
    assert sum(1 for value in expected if value) > 100  # the cases are not all empty


def test_usual_rows_and_an_own_name_in_another_case() -> None:
    ids = ["me/tuned", "me/plain", "Me/Self"]
    tags = [
        ["base_model:Qwen/Qwen2.5-7B", "base_model:finetune:qwen/qwen2.5-7b", "license:mit"],
        ["text-generation"],
        ["base_model:me/self", "base_model:adapter:org/lora"],
    ]
    base_models = [
        {
            "relation": "finetune",
            "models": [{"_id": "1", "id": "Qwen/Qwen2.5-7B"}, {"_id": "2", "id": "org/other"}],
        },
        None,
        {"relation": "merge", "models": [{"_id": "3", "id": "ME/SELF"}]},
    ]
    column = parents_column(
        pa.array(ids), pa.array(tags, pa.list_(pa.string())), pa.array(base_models, BASE_MODELS)
    ).to_pylist()
    assert column == [
        [
            {"repo_id": "Qwen/Qwen2.5-7B", "relation": "finetune", "position": 0, "source": "tag"},
            {"repo_id": "org/other", "relation": "finetune", "position": 1, "source": "dump"},
        ],
        None,
        [{"repo_id": "org/lora", "relation": "adapter", "position": 0, "source": "tag"}],
    ]


@pytest.mark.parametrize(
    "column",
    [
        pa.array([None, None, None], pa.null()),  # a day without the column
        pa.array(['{"models": []}', None, "org/x"], pa.string()),  # a shape never seen: read row by row
        pa.array(
            [{"models": [{"id": "org/x"}]}, None, {"models": [{"id": "b/c"}]}],
            pa.struct([("models", pa.list_(pa.struct([("id", pa.string())])))]),
        ),  # no relation field
    ],
)
def test_base_models_of_other_shapes(column: pa.Array) -> None:
    ids = ["a/one", "a/two", "a/three"]
    tags = [["base_model:org/x"], ["base_model:quantized:org/y"], None]
    values = column.to_pylist()
    assert parents_column(
        pa.array(ids), pa.array(tags, pa.list_(pa.string())), column
    ).to_pylist() == _expected(ids, tags, values)
