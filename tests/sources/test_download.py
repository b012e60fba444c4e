"""Downloads against a real HTTP server on 127.0.0.1: a good file, a 404, a dropped connection, an HTML page."""

from __future__ import annotations

import pytest

from rhythm.core.errors import RhythmInputError
from rhythm.sources.download import (
    DownloadOptions,
    TermsNotAccepted,
    VideoNotFound,
    download_video,
    require_terms,
    video_url,
)

from conftest import run

VIDEO = "gBR_sBM_c01_d01_mBR0_ch01"


@pytest.fixture
def server(demo_source, dance_db):
    dance_db.files.update(
        {
            VIDEO: (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes(),
            "gBR_sBM_c02_d01_mBR0_ch01": (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()[:5000],
        }
    )
    return dance_db.url


FAST = dict(retries=2, backoff_s=0.01, timeout_s=5)


def test_url_scheme_is_the_official_downloaders():
    assert video_url(VIDEO) == f"https://aistdancedb.ongaaccel.jp/v1.0.0/video/10M/{VIDEO}.mp4"
    with pytest.raises(ValueError):
        video_url("not_a_video")


def test_good_file_is_downloaded_and_checked(server, demo_source, tmp_path):
    path = download_video(VIDEO, tmp_path, DownloadOptions(base_url=f"{server}/good/", **FAST), expected_frames=300)
    assert path == tmp_path / f"{VIDEO}.mp4"
    assert path.read_bytes() == (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()
    assert list(tmp_path.iterdir()) == [path]


def test_wrong_length_is_rejected(server, tmp_path):
    with pytest.raises(RhythmInputError, match="has 300 frames at 60 fps, but the annotations .* have 720"):
        download_video(VIDEO, tmp_path, DownloadOptions(base_url=f"{server}/good/", **FAST), expected_frames=720)
    assert list(tmp_path.iterdir()) == []


def test_404_says_where_to_put_the_file_by_hand(server, dance_db, tmp_path):
    manual = tmp_path / "aist_videos" / f"{VIDEO}.mp4"
    with pytest.raises(VideoNotFound) as err:
        download_video(
            VIDEO, tmp_path / "out", DownloadOptions(base_url=f"{server}/missing/", **FAST), manual_dest=manual
        )
    message = str(err.value)
    assert "HTTP 404" in message and "https://aistdancedb.ongaaccel.jp/" in message and str(manual) in message
    assert len(dance_db.requests) == 1  # a 404 is final: no retries
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_dropped_connection_resumes_with_a_range_request(server, dance_db, demo_source, tmp_path):
    path = download_video(VIDEO, tmp_path, DownloadOptions(base_url=f"{server}/flaky/", **FAST), expected_frames=300)
    assert path.read_bytes() == (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()
    size = len(dance_db.files[VIDEO])
    assert dance_db.requests == [(f"/flaky/{VIDEO}.mp4", None), (f"/flaky/{VIDEO}.mp4", f"bytes={size // 2}-")]


def test_always_dropping_gives_up_after_the_retries_and_leaves_nothing(server, dance_db, tmp_path):
    with pytest.raises(RhythmInputError, match=r"connection closed after \d+ of \d+ bytes; gave up after 3 attempts"):
        download_video(VIDEO, tmp_path, DownloadOptions(base_url=f"{server}/drop/", **FAST))
    assert len(dance_db.requests) == 3 and list(tmp_path.iterdir()) == []


def test_html_page_instead_of_a_video(server, tmp_path):
    with pytest.raises(RhythmInputError, match="sent a web page"):
        download_video(VIDEO, tmp_path, DownloadOptions(base_url=f"{server}/html/", **FAST))
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_served_whole_is_not_a_video(server, tmp_path):
    with pytest.raises(RhythmInputError, match="not a readable video"):
        download_video("gBR_sBM_c02_d01_mBR0_ch01", tmp_path, DownloadOptions(base_url=f"{server}/good/", **FAST))
    assert list(tmp_path.iterdir()) == []


def test_terms_of_use_must_be_accepted():
    with pytest.raises(TermsNotAccepted, match="terms_of_use"):
        require_terms(False)


def test_cli_downloads_in_parallel_and_reports_each_failure(server, dance_db, demo_source, tmp_path):
    out = tmp_path / "videos"
    args = [
        "rhythm",
        "download",
        "--video",
        VIDEO,
        "--video",
        "gBR_sBM_c09_d01_mBR0_ch01",
        "--out",
        str(out),
        "--base-url",
        f"{server}/good/",
        "--jobs",
        "2",
        "--retries",
        "0",
        "--anno-dir",
        str(demo_source / "annotations"),
    ]
    proc = run(args, check=False)
    assert proc.returncode == 2 and "terms of use" in proc.stderr  # refused before any request
    assert dance_db.requests == []
    proc = run(args + ["--accept-terms-of-use"], check=False)
    assert proc.returncode == 2
    assert f"{VIDEO}: ok" in proc.stdout and "gBR_sBM_c09_d01_mBR0_ch01: FAILED" in proc.stdout
    assert "HTTP 404" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{VIDEO}.mp4"]


def test_cli_takes_the_aist_downloaders_flags(server, dance_db, tmp_path):
    out = tmp_path / "raw"
    proc = run(
        [
            "rhythm",
            "download",
            "--video",
            VIDEO,
            "--download_folder",
            str(out),
            "--num_processes",
            "4",
            "--base-url",
            f"{server}/good/",
            "--retries",
            "0",
            "--accept-terms-of-use",
        ],
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == [f"{VIDEO}.mp4"]


def test_cli_takes_the_old_tools_genre_filter_and_numprocesses(server, dance_db, demo_source, tmp_path):
    """`--genres gLH` as the Audio2Pose tool downloaded only gLH_ videos; `--numProcesses` as the old AIST++
    scripts spelt it. The demo's pose_train split has gBR and gPO sequences: only the gPO ones are asked for."""
    out = tmp_path / "raw"
    dance_db.files["gPO_sBM_c01_d01_mPO1_ch01"] = (
        demo_source / "videos" / "gPO_sBM_c01_d01_mPO1_ch01.mp4"
    ).read_bytes()
    proc = run(
        [
            "rhythm",
            "download",
            "--split",
            "pose_train",
            "--cameras",
            "c01",
            "--genres",
            "gPO",
            "--anno-dir",
            str(demo_source / "annotations"),
            "--out",
            str(out),
            "--numProcesses",
            "2",
            "--base-url",
            f"{server}/good/",
            "--retries",
            "0",
            "--accept-terms-of-use",
        ],
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == ["gPO_sBM_c01_d01_mPO1_ch01.mp4"]
    assert all("/gPO_" in path for path, _ in dance_db.requests)
