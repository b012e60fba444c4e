import json

import numpy as np
import pytest
import soundfile as sf

from rhythm.audio.beats import BeatOptions, beats_for_file
from rhythm.audio.wav import extract_wav, load_wav
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.sources import demo


def test_wav_from_video_is_16k_mono(demo_source, tmp_path):
    out = tmp_path / "mBR0.wav"
    info = extract_wav(demo_source / "videos" / "gBR_sBM_c01_d01_mBR0_ch01.mp4", out)
    meta = sf.info(str(out))
    assert (meta.samplerate, meta.channels, meta.subtype) == (16000, 1, "PCM_16")
    assert info["duration_s"] == pytest.approx(5.0, abs=0.05)


def test_wav_from_mp3_file(shared, tmp_path):
    extract_wav(shared / "audio" / "808kick120bpm.mp3", tmp_path / "k.wav")
    wav, sr = load_wav(tmp_path / "k.wav")
    assert sr == 16000 and wav.ndim == 1 and len(wav) > 16000


def test_video_without_audio_is_a_clear_error(shared, tmp_path):
    with pytest.raises(RhythmInputError, match=r"demo.mp4: has no audio stream"):
        extract_wav(shared / "video" / "demo.mp4", tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists() and not list(tmp_path.iterdir())


def test_truncated_video_is_refused_not_shortened(demo_source, tmp_path):
    """A download cut off at 40 KB still opens (its index is at the front) and decodes 1.16 s of a 5 s song."""
    video = demo_source / "videos" / "gBR_sBM_c01_d01_mBR0_ch01.mp4"
    cut = tmp_path / video.name
    cut.write_bytes(video.read_bytes()[:40_000])
    with pytest.raises(RhythmInputError, match=r"truncated: its audio decodes to 1\.\d\d s but the file says 5\.00 s"):
        extract_wav(cut, tmp_path / "out" / "mBR0.wav")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def _write_wav(path, samples, sr=16000):
    sf.write(str(path), np.asarray(samples, np.float32), sr, subtype="PCM_16")
    return path


@pytest.fixture
def scraps(tmp_path):
    """A silent 5 s WAV, a steady 440 Hz tone, 0.1 s of the demo song, an empty WAV."""
    sr = 16000
    t = np.arange(5 * sr) / sr
    return {
        "silent": _write_wav(tmp_path / "silent.wav", np.zeros(5 * sr)),
        "tone": _write_wav(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t)),
        "short": _write_wav(tmp_path / "short.wav", demo.synth_song("mBR0", 1.0, sr)[4000:5600], sr),
        "empty": _write_wav(tmp_path / "empty.wav", np.zeros(0)),
    }


def test_silence_and_steady_tones_have_no_beats(scraps, tmp_path):
    """madmom invents 4 beats at 55.6 BPM in 5 s of silence: refused unless asked for."""
    with pytest.raises(RhythmInputError, match=r"silent.wav: no audible music: RMS -inf dBFS"):
        beats_for_file(scraps["silent"], tmp_path / "b.json", music="mBR0")
    with pytest.raises(RhythmInputError, match=r"tone.wav: no audible music: mean onset strength 0\.\d\d"):
        beats_for_file(scraps["tone"], tmp_path / "b.json", music="mBR0")
    assert not (tmp_path / "b.json").exists()
    data = beats_for_file(scraps["silent"], tmp_path / "b.json", music="mBR0", allow_silence=True)
    assert data["duration_s"] == 5.0  # asked for: it runs


def test_scraps_of_audio_are_refused(scraps, tmp_path):
    from rhythm.audio.features import analysis_window_s, features_for_file

    assert 0.5 < analysis_window_s() < 0.6  # chroma CENS's lowest constant-Q filter
    for name in ("short", "empty"):
        with pytest.raises(RhythmInputError, match=rf"{name}.wav: only 0\.\d+ s of audio: shorter than"):
            features_for_file(scraps[name], tmp_path / f"{name}.npy", fps=60)
        with pytest.raises(RhythmInputError, match=rf"{name}.wav: only 0\.\d\d s of audio; beats need"):
            beats_for_file(scraps[name], tmp_path / f"{name}.json", music="mBR0")
        with pytest.raises(RhythmInputError, match=rf"{name}.wav: "):
            extract_wav(scraps[name], tmp_path / f"{name}-out.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.wav", "short.wav", "silent.wav", "tone.wav"]
    with pytest.raises(RhythmInputError, match=r"silent.wav: no audible music"):
        extract_wav(scraps["silent"], tmp_path / "s.wav")
    assert extract_wav(scraps["silent"], tmp_path / "s.wav", allow_silence=True)["samples"] == 80000


@pytest.mark.parametrize("music", ["mBR0", "mBR3", "mPO1", "mPO4"])
def test_demo_track_tempo_within_2_percent(demo_source, tmp_path, music):
    video = next(v for v in sorted((demo_source / "videos").glob("*.mp4")) if music in v.name)
    extract_wav(video, tmp_path / f"{music}.wav")
    data = beats_for_file(tmp_path / f"{music}.wav", tmp_path / f"{music}.json", plot=tmp_path / f"{music}.png")
    bpm = aist.music_bpm(music)
    assert abs(data["tempo_bpm"] - bpm) / bpm < 0.02
    # beats land on the kicks the song was synthesised with
    period = 60 / bpm
    phase = (np.array(data["beat_times"]) - demo.MUSIC_OFFSET_S) / period
    assert np.abs(phase - phase.round()).max() < 0.1
    assert data["beat_frames"] == [round(t * 60) for t in data["beat_times"]]
    assert json.loads((tmp_path / f"{music}.json").read_text())["music"] == music
    assert (tmp_path / f"{music}.png").stat().st_size > 10_000


def test_808_kick_is_120_bpm(shared, tmp_path):
    data = beats_for_file(shared / "audio" / "808kick120bpm.mp3", tmp_path / "kick.json", BeatOptions())
    assert data["tempo_bpm"] == pytest.approx(120, abs=2)


@pytest.mark.slow
def test_parallel_beat_jobs_share_a_fresh_numba_cache(demo_source, tmp_path):
    """Beat and feature jobs at once on an empty numba cache: all succeed, and so do later ones (the cache is
    sound). librosa compiles some functions at import time, which must happen under the lock too."""
    import os
    import subprocess

    wav = tmp_path / "mPO4.wav"
    extract_wav(next((demo_source / "videos").glob("*mPO4*.mp4")), wav)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def cmd(i):
        return ["rhythm", "beats", str(wav), "--out", str(tmp_path / f"b{i}.json")]

    def features(fps):
        return ["rhythm", "features", str(wav), "--out", str(tmp_path / f"f{fps}.npy"), "--fps", str(fps)]

    jobs = [cmd(0), cmd(1), features(30), features(60)]
    procs = [subprocess.Popen(job, env=env, stderr=subprocess.PIPE) for job in jobs]
    assert [p.wait() for p in procs] == [0] * len(jobs), [p.stderr.read() for p in procs]
    assert subprocess.run(cmd(2), env=env).returncode == 0
    for fps in (30, 60):
        assert subprocess.run(features(fps), env=env).returncode == 0
    tempos = {json.loads((tmp_path / f"b{i}.json").read_text())["tempo_bpm"] for i in range(3)}
    assert len(tempos) == 1


def _f_measure_on_sample(shared, tmp_path, options):
    import mir_eval

    ref = np.loadtxt(shared / "audio" / "sample.beats", comments="#")[:, 0]
    data = beats_for_file(shared / "audio" / "sample.wav", tmp_path / "sample.json", options)
    est = np.array(data["beat_times"])
    return mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref, 0), mir_eval.beat.trim_beats(est, 0)), data


def test_beats_on_hand_annotated_sample(shared, tmp_path):
    f, data = _f_measure_on_sample(shared, tmp_path, BeatOptions())
    print(f"sample.wav: F-measure {f:.3f} at {data['tempo_bpm']:.1f} BPM (annotated 87.5)")
    assert f >= 0.7
    assert data["tempo_bpm"] == pytest.approx(87.5, rel=0.05)


def test_librosa_defaults_fail_on_the_sample(shared, tmp_path):
    """Why madmom is the default: librosa's tracker locks onto the 3:4 cross-rhythm (about 115 BPM)."""
    f, data = _f_measure_on_sample(shared, tmp_path, BeatOptions(tracker="librosa"))
    assert f < 0.5 and 110 < data["tempo_bpm"] < 120


def test_librosa_tracker_on_demo_and_kick(demo_source, shared, tmp_path):
    extract_wav(next((demo_source / "videos").glob("*mBR3*.mp4")), tmp_path / "mBR3.wav")
    data = beats_for_file(tmp_path / "mBR3.wav", tmp_path / "b.json", BeatOptions(tracker="librosa"))
    assert abs(data["tempo_bpm"] - 110) / 110 < 0.02 and data["prior_bpm"] == 110
    kick = beats_for_file(shared / "audio" / "808kick120bpm.mp3", tmp_path / "k.json", BeatOptions(tracker="librosa"))
    assert kick["tempo_bpm"] == pytest.approx(120, abs=2)
