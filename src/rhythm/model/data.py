"""Training windows: aligned motion and music cut from the prepared sequences, with time-stretching.

Sequences are read through :func:`rhythm.motion.windows.load_aligned_sequence` (``smpl/<seq>.params.npy``
or ``poses/<seq>.npy`` with ``features/<fps>fps/<music>.npy``) and held in memory. A training
window starts anywhere in a sequence and may be time-stretched by a factor ``s``: window frame
``k`` reads the source at time ``start + s * k / fps`` for motion and music alike, so the dancer
still meets the beat, now at ``1/s`` times the tempo. That teaches tempi the training songs do not
have (the demo's test song is faster than all its training songs). Continuous music channels are
interpolated; the onset-peak and beat one-hot channels are set where a source peak falls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rhythm.audio.features import FEATURE_NAMES
from rhythm.core import aist
from rhythm.model.representation import SOURCE_FPS, Normalizer, _interpolate, representation
from rhythm.motion.windows import load_aligned_sequence

ONE_HOT_CHANNELS = (FEATURE_NAMES.index("onset_peak"), FEATURE_NAMES.index("beat"))
GENRES = tuple(aist.GENRES)  # index = genre id; len(GENRES) = "no genre"


def genre_index(genre: str | None) -> int:
    """The network's genre id: AIST genre code (``gBR``) -> 0..9; None -> 10 (no genre)."""
    if genre is None:
        return len(GENRES)
    if genre not in GENRES:
        raise ValueError(f"unknown genre {genre!r}; AIST genres: {', '.join(GENRES)}")
    return GENRES.index(genre)


def stretch_music(music: np.ndarray, start: float, stretch: float, length: int) -> np.ndarray:
    """(length, 35) music features read at frames ``start + stretch * k`` (fractional)."""
    pos = start + stretch * np.arange(length)
    pos_c = np.clip(pos, 0, len(music) - 1)
    i0 = np.floor(pos_c).astype(int)
    i1 = np.minimum(i0 + 1, len(music) - 1)
    f = (pos_c - i0)[:, None]
    out = music[i0] * (1 - f) + music[i1] * f
    # one-hot channels: each source peak lands on the window frame nearest to it
    for ch in ONE_HOT_CHANNELS:
        out[:, ch] = 0.0
        peaks = np.flatnonzero(music[:, ch] > 0.5)
        k = np.floor((peaks - start) / stretch + 0.5).astype(int)
        out[k[(k >= 0) & (k < length)], ch] = 1.0
    return out.astype(np.float32)


@dataclass
class Sequence:
    name: str
    source: np.ndarray  # (N, C) at 60 fps, the representation's source channels
    music: np.ndarray  # (M, 35) at the model's fps
    genre: int


class WindowSampler:
    """Random (augmented) training windows and fixed validation windows of a set of sequences."""

    def __init__(self, sequences: list[Sequence], rep, fps: int, window: int):
        if not sequences:
            raise ValueError("no sequences to train on")
        self.sequences = sequences
        self.rep = rep
        self.fps = fps
        self.window = window
        short = [s.name for s in sequences if len(s.music) < window]
        if short:
            raise ValueError(f"sequences shorter than the {window}-frame window: {', '.join(short)}")

    @property
    def num_frames(self) -> int:
        return sum(len(s.music) for s in self.sequences)

    def _windows(self, picks: list[tuple[Sequence, float, float]]) -> dict:
        """Windows (sequence, start music frame, stretch) as a batch dict of float32 arrays."""
        frames, musics, genres = [], [], []
        for seq, start, stretch in picks:
            positions = (start + stretch * np.arange(self.window)) * (SOURCE_FPS / self.fps)
            frames.append(_interpolate(seq.source, positions))
            musics.append(stretch_music(seq.music, start, stretch, self.window))
            genres.append(seq.genre)
        return {
            "motion": self.rep.finish(np.stack(frames), self.fps),
            "music": np.stack(musics),
            "genre": np.array(genres, np.int64),
        }

    def sample(self, rng: np.random.Generator, batch_size: int, stretch: tuple[float, float] = (1.0, 1.0)) -> dict:
        """A batch of random windows: sequence by length, log-uniform stretch, uniform start."""
        lengths = np.array([len(s.music) for s in self.sequences], dtype=np.float64)
        choice = rng.choice(len(self.sequences), size=batch_size, p=lengths / lengths.sum())
        factors = np.exp(rng.uniform(np.log(stretch[0]), np.log(stretch[1]), size=batch_size))
        u = rng.uniform(size=batch_size)
        picks = []
        for k, f, x in zip(choice, factors, u):
            seq = self.sequences[k]
            f = min(f, (len(seq.music) - 1) / (self.window - 1))  # the stretched window must fit
            picks.append((seq, x * (len(seq.music) - 1 - f * (self.window - 1)), f))
        return self._windows(picks)

    def fixed(self, stride: int | None = None) -> dict:
        """Every window at ``stride`` (default half a window), unstretched: the validation set."""
        stride = stride or max(1, self.window // 2)
        return self._windows(
            [
                (seq, float(start), 1.0)
                for seq in self.sequences
                for start in range(0, len(seq.music) - self.window + 1, stride)
            ]
        )

    def normalizers(self) -> tuple[Normalizer, Normalizer]:
        """Motion and music normalisers from every frame of every sequence (no augmentation)."""
        motion = np.concatenate(
            [
                self.rep.window(s.source, np.arange(len(s.music)) * (SOURCE_FPS / self.fps), self.fps)
                for s in self.sequences
            ]
        )
        music = np.concatenate([s.music for s in self.sequences])
        return Normalizer.fit(motion), Normalizer.fit(music, floor=1e-3)


def load_sequences(
    results, names: list[str], rep_name: str, fps: int, pose_units_per_metre: float = 100.0, genre: bool = True
) -> list[Sequence]:
    """Read sequences from ``results/<dataset>`` through :mod:`rhythm.motion.windows`."""
    rep = representation(rep_name)
    out = []
    for name in names:
        motion_kind = "smpl_params" if rep_name == "smpl" else "keypoints3d"
        seq = load_aligned_sequence(results, name, motion_kind, fps)
        motion = seq.motion if rep_name == "smpl" else seq.motion / pose_units_per_metre
        out.append(Sequence(name, rep.source(motion), seq.music, genre_index(seq.genre if genre else None)))
    return out
