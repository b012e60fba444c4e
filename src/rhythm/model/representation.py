"""How a dance is written as the vectors the network denoises, and read back.

``smpl`` (default, like EDGE and Bailando): per frame the pelvis position (3, metres:
``smpl_trans/smpl_scaling+J0``, :func:`rhythm.core.skeleton.smpl_joints`), the 24 joint rotations
in the 6D form of Zhou et al. (144) and four foot-contact labels (left ankle, left foot, right
ankle, right foot: 1 when the joint moves slower than 0.3 m/s, EDGE's threshold): 151 numbers.
Joint positions come from forward kinematics with the public SMPL rest offsets
(:func:`rhythm.core.rotations.smpl_forward_kinematics`), so no licensed model file is needed and
the training losses can use positions.

``keypoints3d`` (for data without SMPL fits): the 17 COCO keypoints in metres (51) and two contact
labels (the ankles): 53 numbers.

Positions are absolute (AIST++ dancers dance around the origin), so overlapping windows of a long
song agree on where the dancer is. Windows are cut from the 60 fps source at any (fractional) frame
positions: that is how the model's frame rate and the time-stretch augmentation are made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rhythm.core import rotations
from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PELVIS_REST

CONTACT_SPEED = 0.3  # m/s: a foot joint slower than this is in contact (EDGE: 1 cm per frame at 30 fps)
SOURCE_FPS = 60


def _interpolate(source: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``source`` (N, ...) at fractional frame ``positions`` (L,), clamped."""
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0, len(source) - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, len(source) - 1)
    f = (pos - i0).reshape((-1,) + (1,) * (source.ndim - 1))
    return source[i0] * (1 - f) + source[i1] * f


def foot_contacts(positions: np.ndarray, fps: float, feet: tuple[int, ...]) -> np.ndarray:
    """(T, len(feet)) float32: 1 where the joint's speed (forward difference, metres) is below 0.3 m/s."""
    feet_pos = positions[..., list(feet), :]
    speed = np.zeros(feet_pos.shape[:-1])
    if len(feet_pos) > 1:
        speed[:-1] = np.linalg.norm(np.diff(feet_pos, axis=0), axis=-1) * fps
        speed[-1] = speed[-2]
    return (speed < CONTACT_SPEED).astype(np.float32)


@dataclass(frozen=True)
class SmplRepresentation:
    name: str = "smpl"
    num_joints: int = 24
    foot_joints: tuple[int, ...] = (7, 10, 8, 11)  # left ankle, left foot, right ankle, right foot
    dim: int = 3 + 24 * 6 + 4

    @property
    def contact_slice(self) -> slice:
        return slice(self.dim - len(self.foot_joints), self.dim)

    def source(self, params: np.ndarray) -> np.ndarray:
        """(N, 147) float64 from ``smpl/<seq>.params.npy`` (N, 75: ``smpl_trans / smpl_scaling``, then 72
        axis-angles): the pelvis position (the translation plus J0), then 6D rotations."""
        params = np.asarray(params, dtype=np.float64)
        if params.ndim != 2 or params.shape[1] != 75:
            raise ValueError(f"SMPL parameters must be (T, 75), got {params.shape}")
        rot6d = rotations.axis_angle_to_rot6d(params[:, 3:].reshape(-1, 24, 3))
        return np.concatenate([params[:, :3] + SMPL_PELVIS_REST, rot6d.reshape(len(params), -1)], axis=1)

    def window(self, source: np.ndarray, positions: np.ndarray, fps: float) -> np.ndarray:
        """(L, 151) float32: the source at fractional 60 fps frame ``positions``; contacts at ``fps``."""
        return self.finish(_interpolate(source, positions)[None], fps)[0]

    def finish(self, frames: np.ndarray, fps: float) -> np.ndarray:
        """(B, L, 151) float32 from interpolated source frames (B, L, 147), with foot contacts from
        forward kinematics at ``fps``. (Interpolating 6D between neighbouring 60 fps frames leaves
        them orthonormal to second order in the frame-to-frame angle; decoding orthonormalises.)"""
        b, n = frames.shape[:2]
        contacts = np.stack(
            [foot_contacts(j, fps, tuple(range(len(self.foot_joints)))) for j in self.foot_positions(frames)]
        )
        return np.concatenate([frames, contacts], axis=-1).astype(np.float32)

    def foot_positions(self, frames: np.ndarray) -> np.ndarray:
        """(B, L, 4, 3) positions of the foot joints: forward kinematics down the two leg chains only."""
        b, n = frames.shape[:2]
        glob = {0: None}
        pos = {0: frames[..., :3]}
        out = []
        for chain in ((1, 4, 7, 10), (2, 5, 8, 11)):
            parent = 0
            for j in chain:
                if parent not in glob or glob[parent] is None:
                    glob[parent] = rotations.rot6d_to_matrix(frames[..., 3 + 6 * parent : 9 + 6 * parent])
                pos[j] = pos[parent] + glob[parent] @ SMPL_OFFSETS[j]
                if j not in glob:
                    local = rotations.rot6d_to_matrix(frames[..., 3 + 6 * j : 9 + 6 * j])
                    glob[j] = glob[parent] @ local
                parent = j
        for j in self.foot_joints:
            out.append(pos[j])
        return np.stack(out, axis=-2)

    def joints(self, features):
        """Joint positions (..., L, 24, 3) in metres from features (..., L, 151); numpy or torch."""
        trans = features[..., :3]
        rot6d = features[..., 3:147].reshape(tuple(features.shape[:-1]) + (24, 6))
        return rotations.smpl_forward_kinematics(rot6d, trans)

    def contacts(self, features):
        return features[..., self.contact_slice]

    def to_smpl(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``smpl_poses`` (L, 72) axis-angle and ``smpl_trans`` (L, 3) in metres (the SMPL convention:
        the pelvis minus J0)."""
        features = np.asarray(features, dtype=np.float64)
        aa = rotations.rot6d_to_axis_angle(features[:, 3:147].reshape(-1, 24, 6))
        return aa.reshape(len(features), 72), features[:, :3] - SMPL_PELVIS_REST


@dataclass(frozen=True)
class Keypoints3dRepresentation:
    name: str = "keypoints3d"
    num_joints: int = 17
    foot_joints: tuple[int, ...] = (15, 16)  # COCO left and right ankle
    dim: int = 17 * 3 + 2

    @property
    def contact_slice(self) -> slice:
        return slice(self.dim - len(self.foot_joints), self.dim)

    def source(self, keypoints_m: np.ndarray) -> np.ndarray:
        """(N, 51) float64 from COCO-17 keypoints (N, 17, 3) in metres."""
        kp = np.asarray(keypoints_m, dtype=np.float64)
        if kp.ndim != 3 or kp.shape[1:] != (17, 3):
            raise ValueError(f"keypoints3d must be (T, 17, 3), got {kp.shape}")
        return kp.reshape(len(kp), -1)

    def window(self, source: np.ndarray, positions: np.ndarray, fps: float) -> np.ndarray:
        """(L, 53) float32: the source at fractional 60 fps frame ``positions``; contacts at ``fps``."""
        return self.finish(_interpolate(source, positions)[None], fps)[0]

    def finish(self, frames: np.ndarray, fps: float) -> np.ndarray:
        b, n = frames.shape[:2]
        contacts = np.stack([foot_contacts(f.reshape(n, 17, 3), fps, self.foot_joints) for f in frames])
        return np.concatenate([frames, contacts], axis=-1).astype(np.float32)

    def joints(self, features):
        return features[..., :51].reshape(tuple(features.shape[:-1]) + (17, 3))

    def contacts(self, features):
        return features[..., self.contact_slice]


def representation(name: str):
    if name == "smpl":
        return SmplRepresentation()
    if name == "keypoints3d":
        return Keypoints3dRepresentation()
    raise ValueError(f"unknown representation {name!r} (smpl or keypoints3d)")


def resample(features: np.ndarray, fps: float, out_fps: float, rep) -> np.ndarray:
    """Features (T, D) at ``fps`` resampled to ``out_fps`` over the same duration (floor(T/fps*out_fps)
    frames): linear in time, rotations re-orthonormalised, contacts recomputed."""
    n_out = int(np.floor(len(features) / fps * out_fps + 1e-6))
    positions = np.arange(n_out) * (fps / out_fps)
    src = np.asarray(features, dtype=np.float64)[:, : rep.contact_slice.start]
    return rep.window(src, positions, out_fps)


@dataclass(frozen=True)
class Normalizer:
    """Per-channel mean and std (floored) of the training data; the network sees (x - mean) / std."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, data: np.ndarray, floor: float = 1e-2) -> Normalizer:
        data = np.asarray(data, dtype=np.float64).reshape(-1, data.shape[-1])
        return cls(data.mean(axis=0).astype(np.float32), np.maximum(data.std(axis=0), floor).astype(np.float32))

    def normalize(self, x):
        return (x - self._like(self.mean, x)) / self._like(self.std, x)

    def denormalize(self, x):
        return x * self._like(self.std, x) + self._like(self.mean, x)

    @staticmethod
    def _like(arr: np.ndarray, x):
        if type(x).__module__.split(".")[0] == "torch":
            import torch

            return torch.as_tensor(arr, dtype=x.dtype, device=x.device)
        return arr.astype(x.dtype, copy=False)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Normalizer:
        return cls(np.asarray(data["mean"], np.float32), np.asarray(data["std"], np.float32))
