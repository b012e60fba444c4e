"""3D pose arrays from AIST++ keypoints3d pickles: ``(T, 17, 3)`` float32 ``.npy``.

Defaults keep the pickle's values untouched (centimetres, world coordinates, 60 fps); options
convert to metres, centre on the hip midpoint, halve the frame rate, or smooth over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.core import aist
from rhythm.core.io import write_npy
from rhythm.core.options import option


@dataclass(frozen=True)
class PoseOptions:
    """``rhythm poses`` and the config's ``poses:`` section (:mod:`rhythm.core.options`)."""

    optim: bool = option(False, "read keypoints3d_optim instead of keypoints3d")
    units: str = option("cm", "output units (AIST++ keypoints3d are in cm)", choices=("cm", "m"))
    center: bool = option(False, "subtract the hip midpoint of every frame (root-centring)")
    fps: int = option(60, "output frame rate (30: every second frame)", choices=(60, 30))
    smooth_sigma: float = option(
        0.0, "Gaussian smoothing over time, sigma in frames (0: none)", minimum=0, flag="smooth"
    )


def convert_keypoints3d(kp: np.ndarray, options: PoseOptions = PoseOptions()) -> np.ndarray:
    out = np.asarray(kp, dtype=np.float64)
    if options.smooth_sigma > 0:
        from scipy.ndimage import gaussian_filter1d

        out = gaussian_filter1d(out, options.smooth_sigma, axis=0, mode="nearest")
    if options.fps not in (60, 30):
        raise ValueError("fps must be 60 or 30")
    if options.fps == 30:
        out = out[::2]
    if options.center:
        out = out - out[:, 11:13].mean(axis=1, keepdims=True)  # COCO 11, 12: hips
    if options.units == "m":
        out = out / 100.0
    elif options.units != "cm":
        raise ValueError("units must be 'cm' or 'm'")
    return out.astype(np.float32)


def smpl_joints(motion: aist.Motion) -> np.ndarray:
    """SMPL joint positions (T, 24, 3) of an AIST++ motion, in keypoints3d units (world, cm for AIST++).

    Forward kinematics with the public SMPL rest offsets on ``smpl_trans / smpl_scaling``, then scaled
    by ``smpl_scaling``, as the AIST++ API does with the SMPL model.
    """
    from rhythm.core.skeleton import smpl_joints

    return smpl_joints(motion.poses, motion.trans, motion.scaling).astype(np.float32)


def smpl_params(motion: aist.Motion) -> np.ndarray:
    """(T, 75) float32: root translation in SMPL units (``smpl_trans / smpl_scaling``) then 72 axis-angles."""
    return np.concatenate([motion.trans / motion.scaling, motion.poses], axis=1).astype(np.float32)


def smpl_npy(motion_pkl: str | Path, joints_out: str | Path, params_out: str | Path | None = None) -> np.ndarray:
    motion = aist.load_motion(motion_pkl)
    joints = smpl_joints(motion)
    write_npy(joints_out, joints)
    if params_out is not None:
        write_npy(params_out, smpl_params(motion))
    return joints


def pose_npy(keypoints3d_pkl: str | Path, out: str | Path, options: PoseOptions = PoseOptions()) -> np.ndarray:
    """Write the pose array of one sequence; returns it."""
    arr = convert_keypoints3d(aist.load_keypoints3d(keypoints3d_pkl, optim=options.optim), options)
    write_npy(out, arr)
    return arr
