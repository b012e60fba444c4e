"""How well keypoints3d project onto each camera's keypoints2d: a check of cameras and sync."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.core import aist


def reprojection_errors(
    anno_dir: str | Path, sequence: str, optim: bool = False, min_confidence: float = 0.3, outlier_factor: float = 3.0
) -> dict:
    """Median pixel distance per camera; cameras above ``outlier_factor`` x the median of medians
    (and above 10 px) are flagged as outliers (unsynced or miscalibrated views)."""
    seq = aist.sequence_name(sequence)
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, seq))
    kp3d = aist.load_keypoints3d(aist.keypoints3d_path(anno_dir, seq), optim=optim)
    cams = aist.load_cameras(anno_dir, seq)
    n = min(len(kp3d), kp2d.num_frames)
    medians = {}
    for cam_name in aist.CAMERAS:
        if cam_name not in cams:
            continue
        view = kp2d.view(cam_name)[:n]
        proj = cams[cam_name].project(kp3d[:n])
        ok = (view[..., 2] >= min_confidence) & np.isfinite(proj).all(-1)
        dist = np.linalg.norm(proj - view[..., :2], axis=-1)[ok]
        medians[cam_name] = round(float(np.median(dist)), 3) if dist.size else None
    values = [v for v in medians.values() if v is not None]
    typical = float(np.median(values)) if values else 0.0
    outliers = [c for c, v in medians.items() if v is not None and v > max(10.0, outlier_factor * typical)]
    return {"sequence": seq, "median_px": medians, "typical_px": round(typical, 3), "outliers": outliers}
