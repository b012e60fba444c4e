"""Music features at the motion frame rate: the 35-dimension librosa set of FACT and EDGE's baseline.

Per frame: onset envelope (1), MFCC (20), chroma CENS (12), onset peaks one-hot (1), beats
one-hot (1). The audio is resampled to ``fps * 512`` Hz and analysed with a hop of 512 samples, so
one feature frame is one motion frame; the array is cut to ``floor(duration * fps)`` frames, the
motion frame count for the same duration.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.audio.wav import load_wav, require_audible
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import write_npy
from rhythm.core.numba_cache import numba_cache_lock

HOP = 512
FEATURE_NAMES = (
    ["onset_envelope"] + [f"mfcc_{i}" for i in range(20)] + [f"chroma_{i}" for i in range(12)] + ["onset_peak", "beat"]
)


def analysis_window_s() -> float:
    """The longest analysis window of the features: chroma CENS's lowest constant-Q filter (C1), 0.53 s.

    Shorter audio gives arrays of a few frames that no window of the music has filled.
    """
    import librosa

    freqs = librosa.cqt_frequencies(n_bins=84, fmin=float(librosa.note_to_hz("C1")), bins_per_octave=12)
    lengths, _ = librosa.filters.wavelet_lengths(freqs=freqs, sr=HOP * 60, filter_scale=1, gamma=0)
    return float(lengths.max() / (HOP * 60))


def num_motion_frames(num_samples: int, sr: int, fps: float) -> int:
    return int(np.floor(num_samples / sr * fps + 1e-6))


def audio_features(wav: np.ndarray, sr: int, fps: int = aist.FPS, prior_bpm: float | None = None) -> np.ndarray:
    """(T, 35) float32 features of mono ``wav`` at ``fps`` frames per second."""
    import librosa

    target_sr = int(fps * HOP)
    n = num_motion_frames(len(wav), sr, fps)
    with numba_cache_lock():
        y = librosa.resample(wav.astype(np.float32), orig_sr=sr, target_sr=target_sr)
        envelope = librosa.onset.onset_strength(y=y, sr=target_sr, hop_length=HOP)
        mfcc = librosa.feature.mfcc(y=y, sr=target_sr, n_mfcc=20, hop_length=HOP).T
        chroma = librosa.feature.chroma_cens(y=y, sr=target_sr, hop_length=HOP, n_chroma=12).T
        peaks = librosa.onset.onset_detect(onset_envelope=envelope, sr=target_sr, hop_length=HOP)
        if prior_bpm is None:
            prior_bpm = float(librosa.feature.tempo(onset_envelope=envelope, sr=target_sr, hop_length=HOP)[0])
        _, beats = librosa.beat.beat_track(
            onset_envelope=envelope, sr=target_sr, hop_length=HOP, start_bpm=prior_bpm, tightness=100
        )
    total = len(envelope)
    peak_onehot = np.zeros(total, np.float32)
    peak_onehot[peaks[peaks < total]] = 1
    beat_onehot = np.zeros(total, np.float32)
    beat_onehot[beats[beats < total]] = 1
    feats = np.concatenate(
        [envelope[:, None], mfcc[:total], chroma[:total], peak_onehot[:, None], beat_onehot[:, None]], axis=1
    )
    if len(feats) < n:  # librosa's frame count is 1 + len // hop; pad the rare shortfall by edge
        feats = np.pad(feats, ((0, n - len(feats)), (0, 0)), mode="edge")
    return feats[:n].astype(np.float32)


def features_for_file(
    wav_path: str | Path, out: str | Path, fps: int = aist.FPS, allow_silence: bool = False
) -> np.ndarray:
    """Write the (T, 35) features of a WAV; refuses audio shorter than :func:`analysis_window_s` and,
    unless ``allow_silence``, audio without audible music (features of silence are not music)."""
    wav, sr = load_wav(wav_path)
    window = analysis_window_s()
    if len(wav) < window * sr:
        raise RhythmInputError(
            wav_path,
            f"only {len(wav) / sr:.3f} s of audio: shorter than the features' longest analysis window ({window:.2f} s)",
        )
    if not allow_silence:
        require_audible(wav, sr, wav_path)
    prior = None
    try:
        prior = float(aist.music_bpm(Path(wav_path).stem))
    except ValueError:
        pass
    feats = audio_features(wav, sr, fps, prior)
    write_npy(out, feats)
    return feats
