"""Streaming a file through the HTTP client: the storage redirect, the token kept home, resume, verification."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.fakes.hub_dumps import DumpDay, FakeDumpRepo
from tracker.http import HttpClient, HttpStatusError, HubRateLimitPolicy, OffHostLink
from tracker.http.download import DownloadCorrupt, Downloader, NotEnoughSpace, RemoteFile, check_free_space

TOKEN = "hf_test_secret_abcdef"
CONTENT = os.urandom(3_000_000)  # larger than a read chunk (1 MB), so a cut leaves bytes to resume from


def _client(url: str) -> HttpClient:
    return HttpClient(url, HubRateLimitPolicy(TOKEN), backoff_base=0.01, backoff_max=0.02)


def _day(**kwargs: object) -> DumpDay:
    return DumpDay("a" * 40, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), CONTENT, **kwargs)


def _resolve(fake: FakeDumpRepo) -> str:
    return f"{fake.url}/datasets/{fake.repo}/resolve/{'a' * 40}/models.parquet"


def test_the_redirect_to_the_storage_host_is_followed_without_the_token(tmp_path: Path) -> None:
    with FakeDumpRepo(days=[_day()]) as fake:
        downloader = Downloader(_client(fake.url))
        remote = downloader.describe(_resolve(fake))
        done = downloader.fetch(remote, tmp_path / "models.parquet")
        storage_url = fake.storage_url
    assert remote.size == len(CONTENT) and remote.sha256 is not None and remote.commit == "a" * 40
    assert remote.url.startswith(storage_url)
    assert done.path.read_bytes() == CONTENT and not (tmp_path / "models.parquet.part").exists()
    home = [seen for seen in fake.requests if seen.host.startswith("127.0.0.1")]
    storage = [seen for seen in fake.requests if seen.host.startswith("localhost")]
    assert home and all(seen.authorization == f"Bearer {TOKEN}" for seen in home)
    assert storage and all(seen.authorization is None for seen in storage)


def test_a_truncated_body_is_resumed_with_a_range_request(tmp_path: Path) -> None:
    with FakeDumpRepo(days=[_day(truncate_once=True)]) as fake:
        downloader = Downloader(_client(fake.url))
        done = downloader.fetch(downloader.describe(_resolve(fake)), tmp_path / "models.parquet")
    assert done.path.read_bytes() == CONTENT
    gets = [seen for seen in fake.requests if seen.method == "GET"]
    assert len(gets) == 2 and gets[0].range is None
    assert gets[1].range is not None and int(gets[1].range[6:-1]) > 0


def test_a_partial_file_left_by_an_earlier_run_is_continued(tmp_path: Path) -> None:
    (tmp_path / "models.parquet.part").write_bytes(CONTENT[:70_000])
    with FakeDumpRepo(days=[_day()]) as fake:
        downloader = Downloader(_client(fake.url))
        done = downloader.fetch(downloader.describe(_resolve(fake)), tmp_path / "models.parquet")
    assert done.resumed_from == 70_000 and done.path.read_bytes() == CONTENT
    assert [seen.range for seen in fake.requests if seen.method == "GET"] == ["bytes=70000-"]


def test_a_file_whose_sha256_differs_is_refused_and_removed(tmp_path: Path) -> None:
    with FakeDumpRepo(days=[_day()]) as fake:
        downloader = Downloader(_client(fake.url))
        remote = downloader.describe(_resolve(fake))
        wrong = RemoteFile(remote.url, remote.size, "0" * 64, remote.commit)
        with pytest.raises(DownloadCorrupt, match="sha256"):
            downloader.fetch(wrong, tmp_path / "models.parquet")
    assert not list(tmp_path.iterdir())


def test_a_file_larger_than_the_free_space_is_refused_before_downloading(tmp_path: Path) -> None:
    with pytest.raises(NotEnoughSpace, match="not enough free space") as error:
        check_free_space(tmp_path, 10**18)
    assert "\n" not in str(error.value)
    with FakeDumpRepo(days=[_day()]) as fake:
        downloader = Downloader(_client(fake.url))
        remote = downloader.describe(_resolve(fake))
        huge = RemoteFile(remote.url, 10**18, None, None)
        with pytest.raises(NotEnoughSpace):
            downloader.fetch(huge, tmp_path / "models.parquet")
    assert not [seen for seen in fake.requests if seen.method == "GET"]


def test_a_missing_file_is_an_http_error_and_listings_still_refuse_other_hosts() -> None:
    with FakeDumpRepo(days=[_day()]) as fake:
        client = _client(fake.url)
        with pytest.raises(HttpStatusError) as error:
            Downloader(client).describe(f"{fake.url}/datasets/{fake.repo}/resolve/{'b' * 40}/models.parquet")
        assert error.value.status == 404
        with pytest.raises(OffHostLink):
            client.get(f"{fake.storage_url}/api/datasets/{fake.repo}/commits/main")


def test_a_rate_limited_answer_waits_for_the_reset_once_as_the_client_does(httpserver: object) -> None:
    from pytest_httpserver import HTTPServer
    from werkzeug.wrappers import Response

    assert isinstance(httpserver, HTTPServer)
    path = "/datasets/o/r/resolve/" + "a" * 40 + "/models.parquet"
    limited = {
        "RateLimit": '"resolvers";r=0;t=7',
        "RateLimit-Policy": '"fixed window";"resolvers";q=5000;w=300',
    }
    httpserver.expect_ordered_request(path, method="HEAD").respond_with_response(
        Response(status=429, headers=limited)
    )
    httpserver.expect_ordered_request(path, method="HEAD").respond_with_response(
        Response(status=200, headers={"X-Linked-Size": "5", "X-Linked-Etag": '"' + "b" * 64 + '"'})
    )
    waits: list[float] = []
    client = HttpClient(
        httpserver.url_for("/"),
        HubRateLimitPolicy(TOKEN),
        backoff_base=0.01,
        backoff_max=0.02,
        sleep=waits.append,
    )
    remote = Downloader(client).describe(httpserver.url_for(path))
    assert remote.size == 5
    # the reset plus a second, as for API calls, and no backoff on top (the recorder does not move the clock,
    # so the policy's pacing may still ask for the rest of the window before the next request)
    assert round(waits[0]) == 8 and all(wait >= 1 for wait in waits)
    assert client.counters.retries == 1
