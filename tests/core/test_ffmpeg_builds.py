"""The same WAV and frames from any ffmpeg: Debian's (5.1, installed by `make setup-system`) and the
imageio-ffmpeg wheel's (9.0), chosen with RHYTHM_FFMPEG as a cluster user would load a module.

Debian's build keeps the AAC encoder's end padding (80,248 samples for a 5 s demo video at 16 kHz,
the wheel's 80,000): `rhythm audio` trims to the stream's own duration, so both give the same bytes.
Encoded MP4s (overlays, renders) differ in bytes between builds (other x264 and AAC encoder
versions); their frame counts and durations do not.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from rhythm.core.ffmpeg import bundled_ffmpeg_exe, ffmpeg_version, probe_video

from conftest import SHARED

DEBIAN = Path("/usr/bin/ffmpeg")


@pytest.fixture(scope="module")
def builds() -> dict[str, str]:
    if not DEBIAN.is_file():
        pytest.fail("Debian's ffmpeg is not installed: run `make setup-system` as root (make test and CI do)")
    out = {"debian": str(DEBIAN), "bundled": bundled_ffmpeg_exe()}
    versions = {name: ffmpeg_version(exe) for name, exe in out.items()}
    assert versions["debian"] != versions["bundled"], versions  # two different builds, or this proves nothing
    return out


@pytest.fixture(params=["debian", "bundled"])
def build(request, builds, monkeypatch) -> str:
    monkeypatch.setenv("RHYTHM_FFMPEG", builds[request.param])
    return request.param


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_rhythm_runs_the_chosen_build(build, builds):
    from rhythm.core.ffmpeg import ffmpeg_exe, tool_versions

    assert ffmpeg_exe() == builds[build]
    assert tool_versions()["ffmpeg"] == builds[build]


def test_wav_has_the_streams_own_length(build, demo_source, tmp_path):
    from rhythm.audio.wav import extract_wav

    info = extract_wav(demo_source / "videos" / "gBR_sBM_c01_d01_mBR0_ch01.mp4", tmp_path / "a.wav")
    assert info["samples"] == 80_000 and info["stream_duration_s"] == 5.0
    assert info["trimmed_samples"] == 248  # the AAC end padding, cut whichever ffmpeg is on PATH


def test_truncation_and_missing_audio_are_refused_by_both(build, demo_source, shared, tmp_path):
    from rhythm.audio.wav import extract_wav
    from rhythm.core.errors import RhythmInputError

    cut = tmp_path / "cut.mp4"
    cut.write_bytes((demo_source / "videos" / "gBR_sBM_c01_d01_mBR0_ch01.mp4").read_bytes()[:40_000])
    with pytest.raises(RhythmInputError, match="truncated"):
        extract_wav(cut, tmp_path / "a.wav")
    with pytest.raises(RhythmInputError, match="truncated"):
        probe_video(cut)
    with pytest.raises(RhythmInputError, match="has no audio stream"):
        extract_wav(shared / "video" / "demo.mp4", tmp_path / "b.wav")


def test_audio_beats_and_features_are_identical_across_builds(builds, demo_source, tmp_path, monkeypatch):
    """The demo's music through each build: the same WAV bytes, beats and features."""
    from rhythm.audio.beats import beats_for_file
    from rhythm.audio.features import features_for_file
    from rhythm.audio.wav import extract_wav

    outputs = {}
    for name, exe in builds.items():
        monkeypatch.setenv("RHYTHM_FFMPEG", exe)
        folder = tmp_path / name
        for video in sorted((demo_source / "videos").glob("*_c01_*.mp4"))[::2]:
            music = video.stem.split("_")[4]
            extract_wav(video, folder / f"{music}.wav")
            beats_for_file(folder / f"{music}.wav", folder / f"{music}.json")
            features_for_file(folder / f"{music}.wav", folder / f"{music}.npy", fps=30)
        outputs[name] = {p.name: sha(p) for p in sorted(folder.iterdir())}
    assert len(outputs["debian"]) == 12 and outputs["debian"] == outputs["bundled"]
    # and the same as the WAV of an mp3 file through both
    for name, exe in builds.items():
        monkeypatch.setenv("RHYTHM_FFMPEG", exe)
        extract_wav(SHARED / "audio/808kick120bpm.mp3", tmp_path / f"kick-{name}.wav")
    assert sha(tmp_path / "kick-debian.wav") == sha(tmp_path / "kick-bundled.wav")


@pytest.mark.parametrize(
    "video", ["demo:gPO_sBM_c02_d03_mPO4_ch01.mp4", "shared:video/demo.mp4", "shared:posetrack/000001_mpiinew_test.mp4"]
)
def test_frame_timestamps_are_identical_across_builds(builds, demo_source, shared, monkeypatch, video):
    where, name = video.split(":")
    path = (demo_source / "videos" / name) if where == "demo" else shared / name
    probes = {}
    for build, exe in builds.items():
        monkeypatch.setenv("RHYTHM_FFMPEG", exe)
        probes[build] = probe_video(path)
    a, b = probes["debian"], probes["bundled"]
    assert (a.width, a.height, a.num_frames, a.has_audio) == (b.width, b.height, b.num_frames, b.has_audio)
    assert abs(a.fps - b.fps) < 1e-6 and np.array_equal(a.frame_times, b.frame_times)


def test_muxed_videos_agree_in_frames_and_duration(builds, demo_source, tmp_path, monkeypatch):
    """Overlays and renders are encoded by the build that runs: other bytes, the same frames and lengths."""
    import av

    from rhythm.video.render import encode_video

    frames = np.zeros((90, 64, 96, 3), np.uint8)
    frames[:, :, :, 1] = np.arange(90)[:, None, None]
    song = demo_source / "music" / "mBR0.wav"
    stats = {}
    for build, exe in builds.items():
        monkeypatch.setenv("RHYTHM_FFMPEG", exe)
        out = tmp_path / f"{build}.mp4"
        encode_video(frames, song, out)
        with av.open(str(out)) as c:
            v, a = c.streams.video[0], c.streams.audio[0]
            stats[build] = (
                v.frames,
                round(float(v.duration * v.time_base), 3),
                abs(float(a.duration * a.time_base) - 1.5) < 0.03,
            )
    assert stats["debian"] == stats["bundled"] == (90, 1.5, True), stats


def test_status_records_the_build(build, builds, capsys):
    from rhythm import cli

    assert cli.main(["status", "--versions", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert versions["ffmpeg"] == builds[build] and versions["ffmpeg_version"].startswith("ffmpeg version")
