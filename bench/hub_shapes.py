"""A million (or more) Hub models with realistic shapes, made on demand so the fake Hub's memory stays flat.

Shared by the scale benchmarks. Item `i` is a pure function of `i`: newest first by `createdAt` (one model
every 30 seconds, about the Hub's current pace); namespaces drawn from a heavy-tailed distribution over
20,000 namespaces (a few orgs publish thousands of models, most namespaces a handful); 30% derivatives
(finetune 45%, quantized 25%, adapter 20%, merge 10% with two parents; half of them also name the parent in
`cardData.base_model`); 30-day downloads heavy-tailed (about 55% zero, 15% at least 100, a few in the millions); likes
mostly zero; the Hub's tags (library, task, license, `region:*`, sometimes `arxiv:`), gated repos, and a
`cardData` on most models.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

NAMESPACES = 20_000
RELATIONS = ("finetune",) * 9 + ("quantized",) * 5 + ("adapter",) * 4 + ("merge",) * 2
TASKS = ("text-generation", "text-classification", "image-text-to-text", "automatic-speech-recognition",
         "text-to-image", "feature-extraction", "token-classification", "translation")  # fmt: skip
LIBRARIES = (
    "transformers",
    "transformers",
    "peft",
    "gguf",
    "diffusers",
    "sentence-transformers",
    "mlx",
    "timm",
)
LICENSES = ("apache-2.0", "mit", "llama3.1", "other", "cc-by-nc-4.0", "gemma")


def mix(value: int) -> int:
    """A 64-bit integer hash (splitmix64's finaliser): cheap, deterministic pseudo-randomness per index."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def namespace_of(index: int) -> str:
    """Heavy-tailed: namespace k is chosen with probability roughly proportional to 1/(k+1)."""
    u = (mix(index * 3 + 1) % 1_000_000 + 1) / 1_000_001
    k = int(NAMESPACES**u) - 1
    return f"ns{k}"


def downloads_of(index: int, day: int = 0) -> int:
    """30-day downloads: ~55% zero, ~15% at least 100, a few in the millions; `day` moves active ones a little."""
    h = mix(index * 7 + 3)
    if h % 100 < 55:
        return 0
    u = (h >> 8) % 10_000 / 10_000
    base = int(10 ** (7 * u**3))  # 1 .. 10^7, most of them small
    if day and base >= 100:
        base += (mix(index * 31 + day) % (base // 20 + 1)) - base // 40
    return max(base, 0)


def likes_of(index: int, day: int = 0) -> int:
    h = mix(index * 11 + 5)
    likes = 0 if h % 100 < 80 else int(10 ** ((h >> 8) % 4000 / 1000))
    if day and likes and mix(index * 13 + day) % 50 == 0:  # ~2% of liked models gain a like on a given day
        likes += 1
    return likes


class RealisticModels(Sequence[dict[str, Any]]):
    """`n` models in the Hub's full item shape, newest first by `createdAt` (the only presorted order)."""

    presorted = ("createdAt",)

    def __init__(self, n: int, *, newest: str = "2026-01-01T00:00:00", day: int = 0) -> None:
        self.n = n
        self.day = day  # which day's counters to serve (0: the first crawl)
        self.newest = time.mktime(time.strptime(newest, "%Y-%m-%dT%H:%M:%S")) - time.timezone

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        if not 0 <= index < self.n:
            raise IndexError(index)
        h = mix(index)
        author = namespace_of(index)
        repo_id = f"{author}/model-{index}"
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.newest - index * 30))
        downloads = downloads_of(index, self.day)
        likes = likes_of(index, self.day)
        task = TASKS[h % len(TASKS)]
        library = LIBRARIES[(h >> 4) % len(LIBRARIES)]
        license_ = LICENSES[(h >> 8) % len(LICENSES)]
        tags = [
            library,
            task,
            f"license:{license_}",
            "safetensors",
            "en",
            "region:us" if h % 5 else "region:eu",
        ]
        if h % 13 == 0:
            tags.append(f"arxiv:{2300 + h % 200}.{h % 100000:05d}")
        card: dict[str, Any] | None = {"license": license_, "language": ["en"]} if h % 4 else None
        if (h >> 12) % 10 < 3:  # a derivative of an older model
            relation = RELATIONS[(h >> 16) % len(RELATIONS)]
            parent_index = index + 1 + (h >> 20) % 50_000
            parents = [f"{namespace_of(parent_index)}/model-{parent_index}"]
            if relation == "merge":
                other = parent_index + 1 + (h >> 40) % 1000
                parents.append(f"{namespace_of(other)}/model-{other}")
            for parent in parents:
                tags.append(f"base_model:{parent}")
                tags.append(f"base_model:{relation}:{parent}")
            if card is not None and (h >> 24) % 2:
                card["base_model"] = parents[0] if len(parents) == 1 else parents
        gated: Any = False if h % 17 else ("auto" if h % 2 else "manual")
        item = {
            "_id": f"{index:024x}",
            "id": repo_id,
            "modelId": repo_id,
            "author": author,
            "createdAt": created,
            "lastModified": created,
            "downloads": downloads,
            "downloadsAllTime": downloads * (3 + h % 20) + (h >> 50) % 100,
            "likes": likes,
            "trendingScore": likes // 10,
            "private": False,
            "disabled": False,
            "gated": gated,
            "pipeline_tag": task,
            "library_name": library,
            "tags": tags,
            "sha": f"{h:040x}"[:40],
        }
        if card is not None:
            item["cardData"] = card
        return item
