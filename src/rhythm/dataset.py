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

from rhythm import aist


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


class DanceWindows(Dataset):
    """Items: ``{"motion": (L, J*3), "music": (L, 35), "sequence": str, "start": int}`` as float32 tensors.

    Motion is in metres, relative to the root (hip midpoint or SMPL pelvis) of the window's first frame.
    """

    def __init__(self, results: str | Path, sequences: list[str], spec: WindowSpec = WindowSpec(),
                 motion: str = "keypoints3d", units_per_metre: float = 100.0):
        self.results = Path(results)
        self.spec = spec
        self.root_joints = [11, 12] if motion == "keypoints3d" else [0]  # hip midpoint / SMPL pelvis
        self.items: list[tuple[int, int]] = []
        self.motions, self.music, self.names = [], [], []
        step = 60 // spec.fps
        for seq in sequences:
            path = (self.results / "poses" / f"{seq}.npy" if motion == "keypoints3d"
                    else self.results / "smpl" / f"{seq}.joints.npy")
            if not path.is_file():
                raise FileNotFoundError(f"{path}: motion of {seq} not built")
            mot = np.load(path)[::step].astype(np.float32) / units_per_metre
            feats = np.load(self.results / "features" / f"{spec.fps}fps" / f"{aist.parse_name(seq).music}.npy")
            n = min(len(mot), len(feats))
            for start in range(0, n - spec.length + 1, spec.stride):
                self.items.append((len(self.names), start))
            self.motions.append(mot[:n])
            self.music.append(feats[:n])
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
