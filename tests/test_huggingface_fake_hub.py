"""The fake Hub itself speaks the real API's shapes (other tests and the benchmark rely on it)."""

from __future__ import annotations

import requests

from tests.fakes.hub import FakeHub, GeneratedModels, hub_model


def _models(n: int) -> list[dict]:
    return [
        hub_model(f"o{i % 2}/m{i}", created=f"2024-01-{1 + i:02d}T00:00:00.000Z", downloads=i)
        for i in range(n)
    ]


def test_pages_are_smaller_than_asked_and_linked_until_the_end() -> None:
    with FakeHub(models=_models(10), page_size=4) as hub:
        url, params, seen, sizes = f"{hub.url}/api/models", {"sort": "createdAt", "limit": 100}, [], []
        while url:
            response = requests.get(url, params=params, timeout=5)
            params = None
            body = response.json()
            assert isinstance(body, list)
            sizes.append(len(body))
            seen += [item["createdAt"] for item in body]
            url = response.links.get("next", {}).get("url")
        assert sizes == [4, 4, 2]
        assert seen == sorted(seen, reverse=True)


def test_expand_returns_only_the_asked_fields_and_rejects_unknown_ones() -> None:
    with FakeHub(models=_models(2)) as hub:
        body = requests.get(f"{hub.url}/api/models", params=[("expand", "downloads")], timeout=5).json()
        assert set(body[0]) == {"_id", "id", "downloads"}
        bad = requests.get(f"{hub.url}/api/models", params=[("expand", "baseModels")], timeout=5)
        assert bad.status_code == 400


def test_author_filter_and_ratelimit_headers() -> None:
    with FakeHub(models=_models(6), quota=10, window=300) as hub:
        response = requests.get(f"{hub.url}/api/models", params={"author": "o1"}, timeout=5)
        assert {item["id"].split("/")[0] for item in response.json()} == {"o1"}
        assert response.headers["RateLimit"].startswith('"api";r=9;t=')
        assert "q=10;w=300" in response.headers["RateLimit-Policy"]


def test_budget_spent_gives_429_with_zero_remaining() -> None:
    with FakeHub(models=_models(1), quota=1, window=300) as hub:
        assert requests.get(f"{hub.url}/api/models", timeout=5).status_code == 200
        response = requests.get(f"{hub.url}/api/models", timeout=5)
        assert response.status_code == 429
        assert '"api";r=0;' in response.headers["RateLimit"]


def test_generated_models_are_made_on_demand_in_listing_order() -> None:
    generated = GeneratedModels(1_000_000)
    assert len(generated) == 1_000_000
    first, second = generated[0], generated[1]
    assert first["createdAt"] > second["createdAt"] and first["downloads"] > second["downloads"]
