"""The offline location parser: the labelled set's precision and coverage, and the cases the contract names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tracker.attribution.locations import parse_country, parse_location

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("eval_attribution", ROOT / "bench" / "eval_attribution.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def test_precision_and_coverage_on_the_labelled_set() -> None:
    bench = load_bench()
    rows = bench.load_labelled()
    assert len(rows) >= 300
    assert sum(1 for _, expected in rows if not expected) >= 50  # jokes and ambiguous places are in the set
    result = bench.evaluate_parser()
    print(f"precision {result.precision:.3f}, coverage {result.coverage:.3f}, wrong {result.wrong}")
    assert result.precision >= 0.97
    assert result.coverage >= 0.9


@pytest.mark.parametrize(
    ("location", "country"),
    [
        ("Seattle, WA", "US"),
        ("北京", "CN"),
        ("深圳", "CN"),
        ("Hangzhou", "CN"),
        ("Zhejiang", "CN"),
        ("PRC", "CN"),
        ("Hong Kong", "HK"),
        ("Hong Kong, China", "HK"),
        ("Macao", "MO"),
        ("Taipei, Taiwan", "TW"),
        ("台灣", "TW"),
        ("Toronto, CA", "CA"),
        ("San Francisco, CA", "US"),
        ("Cambridge, MA", "US"),
        ("Cambridge, UK", "GB"),
        ("Atlanta, Georgia", "US"),
        ("Tbilisi, Georgia", "GE"),
        ("🇫🇷", "FR"),
    ],
)
def test_named_cases(location: str, country: str) -> None:
    assert parse_country(location) == country


@pytest.mark.parametrize(
    "location",
    [
        "",
        "   ",
        None,
        "Earth",
        "Remote",
        "localhost",
        "127.0.0.1",
        "Cambridge",
        "Georgia",
        "Beijing / Seattle",
        "Asia",
    ],
)
def test_jokes_conflicts_and_ambiguous_places_are_unknown(location: str | None) -> None:
    assert parse_location(location) is None


def test_a_match_carries_its_evidence_and_a_confidence() -> None:
    strong = parse_location("Hangzhou, Zhejiang, China")
    weak = parse_location("Vancouver")
    assert strong is not None and weak is not None
    assert "Hangzhou, Zhejiang, China" in strong.evidence and "country" in strong.evidence
    assert 0 < weak.confidence < strong.confidence <= 1
