"""Streaming a large file to disk through the one HTTP client: redirects, resume, verification.

Only file downloads use this. The Hub answers a `resolve` URL with a redirect to a storage host; that hop is
followed here (listings still refuse other hosts), and the token goes only to the configured endpoint's host,
as huggingface_hub does. The file streams into `<destination>.part`; an interrupted download (a dropped
connection, a truncated body, a killed process) continues from the bytes already there with a `Range`
request. The size is checked against `X-Linked-Size` (or `Content-Length`), and the sha256 against
`X-Linked-Etag` when that is a sha256 (LFS and Xet files), before the file is renamed into place.

`Downloader` is a companion of `HttpClient` (same package): it uses the client's session, rate-limit
policy, backoff, stop event and counters, so downloads follow the same rules as API requests.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from tracker.http.client import RETRY_STATUSES, HttpClient, _without_credentials, shorten
from tracker.http.errors import HttpError, HttpStatusError, Interrupted

CHUNK = 1 << 18  # bytes per read: small enough that Ctrl-C stops a slow download promptly
MAX_REDIRECTS = 5
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# (bytes on disk so far, total size or None)
ByteProgress = Callable[[int, int | None], None]


class NotEnoughSpace(HttpError):
    """The file is larger than the free space where it would be written."""


class DownloadCorrupt(HttpError):
    """The downloaded file does not match its announced size or sha256."""


@dataclass(frozen=True)
class RemoteFile:
    """What the endpoint says about a file before it is downloaded (a HEAD on the `resolve` URL)."""

    url: str  # where the bytes are (after the endpoint's redirect)
    size: int | None
    etag: str | None  # X-Linked-Etag (or ETag), quotes removed
    commit: str | None  # X-Repo-Commit

    @property
    def sha256(self) -> str | None:
        return self.etag if self.etag and _SHA256.match(self.etag) else None


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    resumed_from: int  # bytes already on disk when this download started


def _unquote(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def part_of(destination: Path) -> Path:
    """Where a download of `destination` stands until it is whole (resumed from there)."""
    return destination.with_name(destination.name + ".part")


def check_free_space(directory: Path, needed: int, what: str = "the file") -> None:
    """Raise `NotEnoughSpace` (one line) when `directory` has less than `needed` bytes free for `what`."""
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise NotEnoughSpace(
            f"not enough free space in {directory}: {what} needs {needed / 1e6:,.0f} MB, "
            f"{free / 1e6:,.0f} MB are free (set [huggingface] download_dir or TMPDIR elsewhere)"
        )


class Downloader:
    """Downloads through `client`: its session, rate-limit policy, backoff, stop event and counters."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def _request(self, method: str, url: str, headers: dict[str, str]) -> requests.Response:
        """One request with the client's rules, redirects followed by hand (the token dropped off-host)."""
        client = self.client
        for _ in range(MAX_REDIRECTS + 1):
            if client.stop.is_set():
                raise Interrupted("stop requested")
            home = client.is_home(url)
            sent = dict(headers)
            if home:  # the token travels only to the endpoint's host, whose rate-limit budget applies
                sent.update(client.policy.auth_headers())
                client._pace(url)
            response = client.session.request(
                method, url, headers=sent, timeout=client.timeout, allow_redirects=False, stream=True
            )
            client.counters.requests += 1
            if home:
                client.policy.observe(response)
            if (
                response.is_redirect
                and method == "HEAD"
                and response.status_code in (301, 302, 303, 307, 308)
            ):
                return response  # the endpoint's answer carries the X-Linked-* headers
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                response.close()
                url = location
                continue
            return response
        raise HttpError(f"more than {MAX_REDIRECTS} redirects from {shorten(url)}", url=url)

    def _rate_limited(self, response: requests.Response, url: str, rate_waits: int) -> int | None:
        """The client's rate-limit wait for an answer of the endpoint (None: not limited, ask on)."""
        if not self.client.is_home(response.url):
            return None
        return self.client._wait_if_limited(response, url, rate_waits)

    def _check_status(self, response: requests.Response, url: str) -> bool:
        """True when the answer is a transient failure worth retrying; raises on other errors."""
        if response.status_code in RETRY_STATUSES:
            return True
        if response.status_code >= 400:
            message = response.headers.get("X-Error-Message") or response.reason or ""
            raise HttpStatusError(
                response.status_code,
                url,
                _without_credentials(message, self.client.policy.auth_headers()),
                response.headers.get("X-Error-Code"),
            )
        return False

    def describe(self, url: str) -> RemoteFile:
        """HEAD the endpoint's URL: the size, etag and commit of the file, and where its bytes are."""
        client = self.client
        client._check_host(url)
        failures = rate_waits = 0
        while True:
            try:
                with client._watchdog.watch(client.deadline):  # a trickled answer cannot hold it
                    response = self._request("HEAD", url, {"Accept-Encoding": "identity"})
                response.close()
            except (requests.ConnectionError, requests.Timeout) as error:
                if client.stop.is_set():
                    raise Interrupted(f"stopped during the request to {shorten(url)}") from None
                failures = client._retry_or_raise(failures, url, type(error).__name__)
                continue
            waited = self._rate_limited(response, url, rate_waits)
            if waited is not None:
                rate_waits = waited
                continue
            if self._check_status(response, url):
                failures = client._retry_or_raise(failures, url, f"HTTP {response.status_code}")
                continue
            headers = response.headers
            location = urljoin(response.url, headers["Location"]) if response.is_redirect else response.url
            size = headers.get("X-Linked-Size") or (
                None if response.is_redirect else headers.get("Content-Length")
            )
            return RemoteFile(
                url=location,
                size=int(size) if size and size.isdigit() else None,
                etag=_unquote(headers.get("X-Linked-Etag") or headers.get("ETag")),
                commit=headers.get("X-Repo-Commit"),
            )

    def fetch(
        self, remote: RemoteFile, destination: Path, *, progress: ByteProgress | None = None
    ) -> Downloaded:
        """Stream `remote` into `destination` (via `<destination>.part`, resumed when present), verified."""
        client = self.client
        part = part_of(destination)
        start = part.stat().st_size if part.exists() else 0
        if remote.size is not None and start > remote.size:
            part.unlink()
            start = 0
        if remote.size is not None:
            check_free_space(part.parent, remote.size - start)
        resumed_from = start
        failures = rate_waits = 0
        while True:
            have = part.stat().st_size if part.exists() else 0
            if remote.size is not None and have == remote.size:
                break
            headers = {"Accept-Encoding": "identity"}
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                response = self._request("GET", remote.url, headers)
                waited = self._rate_limited(response, remote.url, rate_waits)
                if waited is not None:
                    response.close()
                    rate_waits = waited
                    continue
                if self._check_status(response, remote.url):
                    response.close()
                    failures = client._retry_or_raise(failures, remote.url, f"HTTP {response.status_code}")
                    continue
                if response.status_code == 416:  # nothing left to send: the part is whole or wrong
                    response.close()
                    if remote.size is None:
                        break
                    part.unlink()
                    continue
                mode = "ab" if have and response.status_code == 206 else "wb"
                written = have if mode == "ab" else 0
                with response, part.open(mode) as out:
                    for chunk in response.iter_content(CHUNK):
                        if client.stop.is_set():
                            raise Interrupted("stopped while downloading; the next run resumes the file")
                        out.write(chunk)
                        written += len(chunk)
                        client.counters.bytes += len(chunk)
                        if progress:
                            progress(written, remote.size)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                failures = client._retry_or_raise(failures, remote.url, f"{type(error).__name__} (resuming)")
                continue
            if remote.size is None or written >= remote.size:
                break
            failures = client._retry_or_raise(  # the body ended early: continue from where it stopped
                failures, remote.url, f"body ended at {written:,} of {remote.size:,} bytes (resuming)"
            )
        size = part.stat().st_size
        if remote.size is not None and size != remote.size:
            part.unlink()
            raise DownloadCorrupt(
                f"{shorten(remote.url)}: got {size:,} bytes, expected {remote.size:,}", url=remote.url
            )
        if remote.sha256 is not None and _sha256_of(part) != remote.sha256:
            part.unlink()
            raise DownloadCorrupt(
                f"{shorten(remote.url)}: sha256 differs from the announced X-Linked-Etag", url=remote.url
            )
        os.replace(part, destination)
        return Downloaded(destination, size, resumed_from)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
