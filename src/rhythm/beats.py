"""Beat and tempo of a music track (librosa), as the JSON that training code reads.

The tracker is librosa's dynamic-programming beat tracker on an onset envelope. The options are
the ones the field uses: a tempo prior (``start_bpm``; for AIST music the id gives the true tempo),
``tightness``, and onsets from the percussive part only (HPSS), which keeps sustained harmonic
notes from pulling the beat.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm import aist
from rhythm.audio import load_wav
from rhythm.errors import RhythmInputError
from rhythm.ffmpeg import ffmpeg_exe
from rhythm.numba_cache import numba_cache_lock
from rhythm.io import atomic_path, write_json

HOP = 256


@dataclass(frozen=True)
class BeatOptions:
    start_bpm: float | None = None  # tempo prior; None: take it from the AIST music id, else 120
    tightness: float = 100.0
    percussive: bool = True
    fps: float = aist.FPS  # motion frame rate that beat_frames index


def onset_envelope(wav: np.ndarray, sr: int, percussive: bool = True) -> np.ndarray:
    import librosa

    y = librosa.effects.percussive(wav, margin=1.0) if percussive else wav
    return librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP, aggregate=np.median)


def track_beats(wav: np.ndarray, sr: int, options: BeatOptions = BeatOptions(),
                start_bpm: float = 120.0) -> dict:
    """Tempo (BPM) and beat times (s) of mono ``wav``."""
    import librosa

    prior = options.start_bpm or start_bpm
    with numba_cache_lock():
        env = onset_envelope(wav, sr, options.percussive)
        # trim=False: keep the first and last beats (librosa drops weak ones at the edges by default)
        tempo, frames = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=HOP, start_bpm=prior,
                                                tightness=options.tightness, trim=False, units="frames")
    frames = trim_weak_edge_beats(np.asarray(frames, dtype=int), env)
    times = librosa.frames_to_time(frames, sr=sr, hop_length=HOP)
    tempo = float(np.atleast_1d(tempo)[0])
    if len(times) >= 3:  # the median inter-beat interval is a steadier tempo than the DP's estimate
        tempo = 60.0 / float(np.median(np.diff(times)))
    return {"tempo_bpm": tempo, "beat_times": times, "onset_envelope": env}


def trim_weak_edge_beats(frames: np.ndarray, env: np.ndarray, ratio: float = 0.3, reach: int = 2) -> np.ndarray:
    """Drop leading and trailing beats with no onset under them.

    librosa's own trimming smooths the onset envelope with a window that runs off the ends of the
    track, so it also drops a real first beat; this looks only at the onset strength at each beat.
    """
    if len(frames) < 3:
        return frames
    strength = np.array([env[max(0, f - reach): f + reach + 1].max() for f in frames])
    strong = strength >= ratio * np.median(strength)
    first, last = np.argmax(strong), len(strong) - np.argmax(strong[::-1])
    return frames[first:last]


def beats_for_file(audio: str | Path, out: str | Path, options: BeatOptions = BeatOptions(),
                   music: str | None = None, plot: str | Path | None = None) -> dict:
    """Write ``beats/<music>.json`` (and optionally a PNG of the onset envelope with the beats)."""
    audio = Path(audio)
    music = music or audio.stem
    prior = 120.0
    try:
        prior = float(aist.music_bpm(music))
    except ValueError:
        pass
    wav, sr = load_wav(audio) if audio.suffix.lower() == ".wav" else _decode(audio)
    if len(wav) < sr:
        raise RhythmInputError(audio, f"only {len(wav) / sr:.2f} s of audio; need at least 1 s for beats")
    result = track_beats(wav, sr, options, start_bpm=prior)
    times = [round(float(t), 4) for t in result["beat_times"]]
    data = {
        "music": music,
        "sample_rate": sr,
        "duration_s": round(len(wav) / sr, 4),
        "tempo_bpm": round(result["tempo_bpm"], 3),
        "beat_times": times,
        "beat_frames": [int(round(t * options.fps)) for t in times],
        "fps": options.fps,
        "start_bpm": options.start_bpm or prior,
        "tightness": options.tightness,
        "percussive": options.percussive,
    }
    write_json(out, data)
    if plot is not None:
        plot_beats(result["onset_envelope"], sr, times, data["tempo_bpm"], music, plot)
    return data


def _decode(audio: Path, sr: int = 22050) -> tuple[np.ndarray, int]:
    """Any audio ffmpeg reads (mp3, m4a, a video's track) as mono float32 at ``sr``."""
    if not audio.is_file():
        raise RhythmInputError(audio, "audio file not found")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(audio),
                           "-map", "0:a:0", "-ac", "1", "-ar", str(sr), "-f", "f32le", "pipe:1"],
                          capture_output=True)
    if proc.returncode != 0:
        raise RhythmInputError(audio, "cannot decode audio: " + proc.stderr.decode(errors="replace")[-300:])
    return np.frombuffer(proc.stdout, dtype=np.float32).copy(), sr


def plot_beats(env: np.ndarray, sr: int, beat_times, tempo: float, title: str, out: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(len(env)) * HOP / sr
    fig, ax = plt.subplots(figsize=(10, 2.6), dpi=100)
    ax.plot(t, env, lw=0.8, color="#555", label="onset strength (percussive)")
    ax.vlines(beat_times, 0, env.max() if len(env) else 1, color="#e4572e", lw=1.2, label="beats")
    ax.set(xlabel="time (s)", ylabel="onset strength", title=f"{title}: {tempo:.1f} BPM, {len(beat_times)} beats")
    ax.set_xlim(0, t[-1] if len(t) else 1)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
