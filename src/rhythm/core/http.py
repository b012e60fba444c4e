"""Resumable HTTP downloads with retries: the transfer under ``rhythm download`` and ``rhythm models fetch``.

A transfer appends to a partial file and resumes it with an HTTP range request; failures worth
retrying (dropped connections, timeouts, 5xx, 408 and 429 answers) raise
:class:`TransientDownloadError`, which :func:`fetch_with_retries` retries with exponential backoff.
Other HTTP errors (404 ...) are raised unchanged for the caller to explain.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rhythm.core.errors import RhythmInputError

CHUNK = 1 << 20


class TransientDownloadError(Exception):
    """A failure worth retrying: a dropped connection, a timeout, a 5xx answer."""


def fetch_resumable(url: str, part: Path, timeout_s: float) -> None:
    """Fetch ``url`` into ``part``, resuming from what ``part`` already holds when the server allows."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "rhythm-downloader"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the range starts at the end: we already have it all
            return
        if exc.code >= 500 or exc.code in (408, 429):
            raise TransientDownloadError(f"HTTP {exc.code} {exc.reason}") from None
        raise
    except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
        raise TransientDownloadError(f"cannot connect: {getattr(exc, 'reason', exc)}") from None
    with response:
        ctype = response.headers.get("Content-Type", "")
        if "html" in ctype.lower():
            raise RhythmInputError(url, f"the server sent a web page ({ctype}) instead of the file")
        resumed = have and response.status == 206
        length = response.headers.get("Content-Length")
        expected = int(length) + (have if resumed else 0) if length is not None else None
        with open(part, "ab" if resumed else "wb") as fh:
            try:
                while chunk := response.read(CHUNK):
                    fh.write(chunk)
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                raise TransientDownloadError(f"connection lost after {fh.tell()} bytes ({exc})") from None
            got = fh.tell()
    if expected is not None and got < expected:
        raise TransientDownloadError(f"connection closed after {got} of {expected} bytes")


def fetch_with_retries(
    url: str,
    part: Path,
    *,
    retries: int,
    backoff_s: float,
    timeout_s: float,
    name: str,
    by_hand: str,
    log: Callable[[str], None] = print,
) -> None:
    """:func:`fetch_resumable`, retried ``retries`` times after transient failures (waits double each time).

    Giving up raises :class:`RhythmInputError` that ends with ``by_hand`` (where to get the file
    yourself); a non-transient HTTP error (``urllib.error.HTTPError``) is raised at once.
    """
    for attempt in range(retries + 1):
        try:
            fetch_resumable(url, part, timeout_s)
            return
        except TransientDownloadError as exc:
            if attempt == retries:
                raise RhythmInputError(url, f"{exc}; gave up after {attempt + 1} attempts. {by_hand}") from None
            wait = backoff_s * 2**attempt
            log(f"{name}: {exc}; retrying in {wait:g} s ({attempt + 1}/{retries})")
            time.sleep(wait)
