"""Parsing Hub list items: the placeholder date, lineage from tags and cards, gated, malformed items."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fakes.hub import PLACEHOLDER, hub_dataset, hub_model
from tracker.sources.huggingface.parse import MalformedItem, Parent, parse_dataset, parse_lineage, parse_model


def test_placeholder_creation_date_is_stored_as_unknown() -> None:
    row = parse_model(hub_model("a/old", created=PLACEHOLDER))
    assert row.created_at is None
    assert row.created_at_unknown is True
    real = parse_model(hub_model("a/new", created="2024-05-05T05:05:05.000Z"))
    assert real.created_at == dt.datetime(2024, 5, 5, 5, 5, 5, tzinfo=dt.timezone.utc)
    assert real.created_at_unknown is False


def test_downloads_are_the_30_day_count_and_all_time_is_separate() -> None:
    row = parse_model(hub_model("a/m", downloads=10, downloads_all_time=999))
    assert (row.downloads_30d, row.downloads_all_time) == (10, 999)


def test_lineage_from_relation_and_plain_tags_keeps_hub_order() -> None:
    tags = [
        "base_model:x/first",
        "base_model:merge:x/first",
        "base_model:y/second",
        "base_model:merge:y/second",
        "region:us",
    ]
    assert parse_lineage("me/model", tags, {}) == [
        Parent("x/first", "merge", 0, "tag"),
        Parent("y/second", "merge", 1, "tag"),
    ]


def test_plain_tag_alone_has_unknown_relation() -> None:
    assert parse_lineage("me/m", ["base_model:gpt2"], {}) == [Parent("gpt2", "unknown", 0, "tag")]


def test_card_base_model_string_or_list_adds_parents_the_tags_lack() -> None:
    assert parse_lineage("me/m", [], {"base_model": "x/a", "base_model_relation": "adapter"}) == [
        Parent("x/a", "adapter", 0, "card")
    ]
    parents = parse_lineage(
        "me/m",
        ["base_model:quantized:x/a"],
        {"base_model": ["x/a", "https://huggingface.co/y/b", "not a repo id!", 5, "me/m"]},
    )
    assert parents == [Parent("x/a", "quantized", 0, "tag"), Parent("y/b", "unknown", 1, "card")]


def test_region_tags_are_not_lineage_or_licence() -> None:
    row = parse_model(hub_model("a/m", tags=["region:eu"]))
    assert row.parents == []
    assert row.license is None
    assert "region:eu" in row.tags  # kept as a tag, nothing more


def test_licence_from_tag_then_card() -> None:
    assert parse_model(hub_model("a/m", tags=["license:mit"])).license == "mit"
    assert parse_model(hub_model("a/m", card={"license": "apache-2.0"})).license == "apache-2.0"


@pytest.mark.parametrize(("value", "stored"), [(False, "false"), ("auto", "auto"), ("manual", "manual")])
def test_gated_is_stored_as_text(value: object, stored: str) -> None:
    assert parse_model(hub_model("a/m", gated=value)).gated == stored


@pytest.mark.parametrize(
    "item",
    [
        {"id": "a/no-id"},
        {"_id": "x" * 24},
        {"_id": "x" * 24, "id": 5},
        {"_id": "x" * 24, "id": "a/m", "downloads": "many"},
        {"_id": "x" * 24, "id": "a/m", "likes": True},
        {"_id": "x" * 24, "id": "a/m", "likes": 2**40},
        {"_id": "x" * 24, "id": "a/m", "createdAt": "yesterday"},
        {"_id": "x" * 24, "id": "a/m", "tags": "text-generation"},
        {"_id": "x" * 24, "id": "a/m", "gated": 3},
        {"_id": "x" * 24, "id": "a/m", "private": "no"},
        "a string",
    ],
)
def test_malformed_items_raise_with_a_reason(item: object) -> None:
    with pytest.raises(MalformedItem) as error:
        parse_model(item)
    assert str(error.value)


def test_a_dataset_has_no_lineage_and_keeps_its_metrics() -> None:
    row = parse_dataset(hub_dataset("a/d", downloads=4, tags=["base_model:x/y", "license:cc"]))
    assert row.parents == []
    assert (row.downloads_30d, row.license) == (4, "cc")
