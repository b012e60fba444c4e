"""Downloading AIST Dance DB videos, one file at a time, safely.

The URL scheme is the one the official AIST++ downloader uses::

    https://aistdancedb.ongaaccel.jp/v1.0.0/video/10M/<video>.mp4

A download goes to a temporary file next to its destination and is renamed only when it is
complete and checked: the server's length is honoured (a dropped connection resumes with an HTTP
range request, or starts again), an HTML page served in place of a video is recognised, and the
file must be a readable video whose frame count matches its annotations. Transient failures
(dropped connections, 5xx answers) are retried with exponential backoff. A 404 is final and says
where to get the file by hand and exactly where to put it, as the original prep scripts' downloader did.

Parallelism is Snakemake's (one job per video, ``--resources downloads=4`` caps how many at
once), or ``rhythm download --jobs N`` outside Snakemake: what Audio2Pose's ``--num_processes``
and the prep scripts' ``--numProcesses`` did.
"""

from __future__ import annotations

import urllib.error
from dataclasses import dataclass
from pathlib import Path

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import probe_video
from rhythm.core.http import fetch_with_retries
from rhythm.core.io import atomic_path
from rhythm.core.options import option

BASE_URL = "https://aistdancedb.ongaaccel.jp/v1.0.0/video/10M/"
SITE_URL = "https://aistdancedb.ongaaccel.jp/"
TERMS_URL = "https://aistdancedb.ongaaccel.jp/terms_of_use/"


class TermsNotAccepted(RhythmInputError):
    """Downloading needs the user's explicit acceptance of the AIST Dance DB terms of use."""


class VideoNotFound(RhythmInputError):
    """The server does not have the video (HTTP 404): only a manual download helps."""


@dataclass(frozen=True)
class DownloadOptions:
    """``rhythm download`` and the config's ``download:`` section (:mod:`rhythm.core.options`)."""

    base_url: str = option(BASE_URL, "AIST Dance DB video URL prefix (a mirror: <base-url>/<video>.mp4)")
    retries: int = option(4, "attempts after a failed transfer", minimum=0)
    backoff_s: float = option(2.0, "seconds before the first retry (doubles each time)", flag="backoff", config=False)
    timeout_s: float = option(60.0, "seconds per network operation", flag="timeout", config=False)
    max_mismatch: int = option(1, "frames a downloaded video may differ from its annotations", minimum=0)


def video_url(video: str, base_url: str = BASE_URL) -> str:
    aist.parse_name(video)  # only real AIST++ video names
    return base_url.rstrip("/") + f"/{video}.mp4"


def require_terms(accepted: bool) -> None:
    if not accepted:
        raise TermsNotAccepted(
            TERMS_URL,
            "downloading AIST Dance DB videos requires accepting its terms of use: read them, then set "
            "download.accept_terms_of_use: true in the config (or pass --accept-terms-of-use)",
        )


def manual_instructions(video: str, dest: Path) -> str:
    return (
        f"download {video}.mp4 by hand from the AIST Dance Video Database ({SITE_URL}, after accepting its "
        f"terms of use) and put it at {dest.resolve()}; then run again"
    )


def _looks_like_html(path: Path) -> bool:
    head = path.read_bytes()[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head"))


def check_video(path: Path, video: str, expected_frames: int | None, max_mismatch: int, source: str) -> None:
    """The downloaded file must be a readable video with (about) the expected number of frames."""
    if _looks_like_html(path):
        raise RhythmInputError(source, "the server sent a web page instead of a video")
    try:
        info = probe_video(path)
    except RhythmInputError as exc:
        raise RhythmInputError(source, f"the download is not a readable video ({exc.problem})") from None
    if expected_frames is not None:
        have = int(info.stream_duration_s * aist.FPS + 1e-6)
        if abs(have - expected_frames) > max_mismatch:
            raise RhythmInputError(
                source,
                f"the download has {have} frames at 60 fps, but the annotations of {video} have {expected_frames}",
            )


def download_video(
    video: str,
    out_dir: str | Path,
    options: DownloadOptions = DownloadOptions(),
    expected_frames: int | None = None,
    manual_dest: str | Path | None = None,
    log=print,
) -> Path:
    """Download ``<video>.mp4`` into ``out_dir``; returns its path. Existing complete files are kept.

    ``manual_dest`` is where a 404 message tells the user to put a hand-downloaded copy (default:
    the destination itself).
    """
    dest = Path(out_dir) / f"{video}.mp4"
    url = video_url(video, options.base_url)
    with atomic_path(dest) as part:
        part.unlink()  # atomic_path made an empty file; a missing one means "nothing downloaded yet"
        try:
            fetch_with_retries(
                url,
                part,
                retries=options.retries,
                backoff_s=options.backoff_s,
                timeout_s=options.timeout_s,
                name=video,
                log=log,
                by_hand=manual_instructions(video, Path(manual_dest or dest)),
            )
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise VideoNotFound(
                    url,
                    "HTTP 404, the server does not have this video: "
                    + manual_instructions(video, Path(manual_dest or dest)),
                ) from None
            raise RhythmInputError(url, f"HTTP {exc.code} {exc.reason}") from None
        check_video(part, video, expected_frames, options.max_mismatch, url)
    return dest


def expected_frames_of(anno_dir: str | Path | None, video: str) -> int | None:
    """Frame count of the video's annotations, when an annotation folder is given."""
    if anno_dir is None:
        return None
    return aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, aist.sequence_name(video))).num_frames
