"""A PyTorch dataset of aligned (motion window, music-feature window) pairs for training.

Splits are AIST++'s crossmodal splits (by music) minus the ignore list. Motion comes from the
pose arrays (``poses/<sequence>.npy``, COCO-17 keypoints) or the SMPL joints
(``smpl/<sequence>.joints.npy``), music from ``features/<fps>fps/<music>.npy``; frame i of one is
frame i of the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from rhythm.audio.music import check_coverage
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_npy

MOTION_FILES = {  # motion kind -> file under results/<dataset>/
    "keypoints3d": "poses/{sequence}.npy",  # (T, 17, 3), pose units (cm by default)
    "smpl": "smpl/{sequence}.joints.npy",  # (T, 24, 3), keypoints3d units
    "smpl_params": "smpl/{sequence}.params.npy",  # (T, 75): smpl_trans / smpl_scaling, 72 axis-angles
}


@dataclass(frozen=True)
class WindowSpec:
    length: int = 120  # frames per window
    stride: int = 30  # frames between window starts
    fps: int = 30  # 60 or 30; motion stored at 60 fps is subsampled


def split_sequences(anno_dir: str | Path, split: str, genres: list[str] | None = None) -> list[str]:
    """Sequences of ``crossmodal_<split>`` (``train``, ``val``, ``test``) minus the ignore list."""
    ignored = aist.load_ignore_list(anno_dir)
    names = [s for s in aist.load_split(anno_dir, f"crossmodal_{split}") if s not in ignored]
    return [s for s in names if not genres or aist.parse_name(s).genre in genres]


def motion_file(results: str | Path, sequence: str, motion: str = "smpl_params") -> Path:
    """The prepared motion of ``sequence``: ``keypoints3d``, ``smpl`` (joints) or ``smpl_params``."""
    if motion not in MOTION_FILES:
        raise ValueError(f"motion must be one of {', '.join(MOTION_FILES)}, not {motion!r}")
    return Path(results) / MOTION_FILES[motion].format(sequence=sequence)


def music_features_file(results: str | Path, music: str, fps: int) -> Path:
    """``features/<fps>fps/<music>.npy``: the (T, 35) music features at the motion frame rate."""
    return Path(results) / "features" / f"{fps}fps" / f"{music}.npy"


@dataclass(frozen=True)
class AlignedSequence:
    """One sequence's motion (as stored, 60 fps) and its music's features at ``music_fps``, the music
    cut to the dance's duration: motion frame i is at i / 60 s, music frame j at j / music_fps s."""

    name: str
    motion: np.ndarray  # (N, ...) float32 at 60 fps
    music: np.ndarray  # (M, 35) float32 at music_fps
    music_fps: int

    @property
    def duration_s(self) -> float:
        return len(self.music) / self.music_fps

    @property
    def genre(self) -> str:
        return aist.parse_name(self.name).genre


def load_aligned_sequence(
    results: str | Path, sequence: str, motion: str = "smpl_params", music_fps: int = 30
) -> AlignedSequence:
    """Load a sequence's prepared motion and music features, aligned in time (see :class:`AlignedSequence`)."""
    mpath = motion_file(results, sequence, motion)
    fpath = music_features_file(results, aist.parse_name(sequence).music, music_fps)
    arrays = []
    for path in (mpath, fpath):
        if not path.is_file():
            raise RhythmInputError(path, f"not built (needed for {sequence})")
        arrays.append(read_npy(path).astype(np.float32))
    mot, mus = arrays
    if mus.ndim != 2 or mus.shape[1] != 35:
        raise RhythmInputError(fpath, f"expected (T, 35) music features, got {mus.shape}")
    music = aist.parse_name(sequence).music
    # the music must cover the dance (within rhythm.audio.music.COVERAGE_TOLERANCE_S): never a silent cut
    check_coverage(sequence, music, len(mus) / music_fps, len(mot) / aist.FPS, fpath)
    duration = min(len(mot) / aist.FPS, len(mus) / music_fps)
    n_mus = int(np.floor(duration * music_fps + 1e-6))
    n_mot = int(np.floor(duration * aist.FPS + 1e-6))
    if n_mus < 2:
        raise RhythmInputError(mpath, f"{sequence}: motion and music overlap for only {duration:.2f} s")
    return AlignedSequence(sequence, mot[:n_mot], mus[:n_mus], music_fps)


class DanceWindows(Dataset):
    """Items: ``{"motion": (L, J*3), "music": (L, 35), "sequence": str, "start": int}`` as float32 tensors.

    Motion is in metres, relative to the root (hip midpoint or SMPL pelvis) of the window's first frame.
    """

    def __init__(
        self,
        results: str | Path,
        sequences: list[str],
        spec: WindowSpec = WindowSpec(),
        motion: str = "keypoints3d",
        units_per_metre: float = 100.0,
    ):
        self.results = Path(results)
        self.spec = spec
        self.root_joints = [11, 12] if motion == "keypoints3d" else [0]  # hip midpoint / SMPL pelvis
        self.items: list[tuple[int, int]] = []
        self.motions: list[np.ndarray] = []
        self.music: list[np.ndarray] = []
        self.names: list[str] = []
        step = 60 // spec.fps
        for seq in sequences:
            aligned = load_aligned_sequence(self.results, seq, motion, music_fps=spec.fps)
            mot = aligned.motion[::step] / units_per_metre
            n = min(len(mot), len(aligned.music))
            for start in range(0, n - spec.length + 1, spec.stride):
                self.items.append((len(self.names), start))
            self.motions.append(mot[:n])
            self.music.append(aligned.music[:n])
            self.names.append(seq)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        k, start = self.items[index]
        sl = slice(start, start + self.spec.length)
        mot = self.motions[k][sl]
        mot = mot - mot[:1, self.root_joints].mean(axis=1, keepdims=True)  # relative to the first frame's root
        return {
            "motion": torch.from_numpy(mot.reshape(len(mot), -1).copy()),
            "music": torch.from_numpy(self.music[k][sl].copy()),
            "sequence": self.names[k],
            "start": start,
        }
