"""Where people stand: each person placed on the floor, from one camera and their feet.

Monocular keypoints (the landmarks stage's RTMW3D, imported AlphaPose/OpenPose/MMPose detections)
know where a body is in the picture, and depth at most relative to the body's own root: two
dancers lose their distance from each other. With a calibrated camera and the floor, the ray
through a person's lowest foot point meets the floor where they stand (:func:`ground_points`):
that fixes each person's position in the world, so who is in front and how far apart the dancers
are is kept. Without a camera, :func:`depth_order` keeps at least the order: on a level floor
seen from above the feet, the nearer dancer's feet are lower in the picture.

The floor is a plane ``y = floor_y`` in world units (AIST++: centimetres, y up). For AIST++ it is
:func:`floor_from_keypoints3d`: the annotated ankles rest :data:`ANKLE_HEIGHT_M` above it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError

ANKLE_HEIGHT_M = 0.08  # an ankle joint's height above the floor when the foot is flat (SMPL's template: 0.08 m)
COCO_ANKLES = (15, 16)


def floor_from_keypoints3d(keypoints3d: np.ndarray, units_per_metre: float = 100.0, percentile: float = 5.0) -> float:
    """The floor's height under keypoints3d (N, 17, 3): the lower ankle's low percentile minus an ankle height.

    On the real gBR_sBM_cAll_d04_mBR0_ch01 and gBR_sBM_cAll_d06_mBR2_ch06 the ankles rest at 71-73 cm:
    the AIST++ world's floor is about 64 cm above its origin.
    """
    ankles = np.asarray(keypoints3d, dtype=np.float64)[:, list(COCO_ANKLES), 1]
    lowest = np.nanmin(ankles, axis=1)
    return float(np.nanpercentile(lowest, percentile) - ANKLE_HEIGHT_M * units_per_metre)


def camera_rays(camera: aist.Camera, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-space ray origin (3,) and unit directions (..., 3) through ``pixels`` (..., 2), lens distortion removed."""
    import cv2

    rot = cv2.Rodrigues(np.asarray(camera.rotation, dtype=np.float64))[0]
    centre = -rot.T @ np.asarray(camera.translation, dtype=np.float64)
    pts = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
    norm = cv2.undistortPoints(pts, camera.matrix, camera.distortions).reshape(-1, 2)
    dirs: np.ndarray = np.concatenate([norm, np.ones((len(norm), 1))], axis=1) @ rot  # R^T @ [x, y, 1] for each row
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return centre, dirs.reshape(*np.shape(pixels)[:-1], 3)


def ground_points(
    keypoints: np.ndarray,
    camera: aist.Camera,
    floor_y: float,
    feet=COCO_ANKLES,
    foot_height: float = ANKLE_HEIGHT_M * 100.0,
    min_score: float = 0.1,
    return_foot: bool = False,
):
    """Where each person stands, in world units: (..., 3) from keypoints (..., K, 3) in pixels (x, y, score).

    The lowest of ``feet`` in the picture (the one on the floor) is cast from the camera onto the plane
    ``y = floor_y + foot_height`` (the ankle's height above the floor), then dropped to the floor.
    NaN where no foot scores ``min_score`` or the ray does not meet the floor in front of the camera.
    With ``return_foot`` also which of ``feet`` (an index into it) each point was cast from.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    lead = kp.shape[:-2]
    flat = kp.reshape(-1, kp.shape[-2], kp.shape[-1])
    foot = flat[:, list(feet)]
    score = foot[..., 2] if foot.shape[-1] > 2 else np.ones(foot.shape[:-1])
    usable = np.isfinite(foot[..., :2]).all(axis=-1) & (np.nan_to_num(score, nan=0.0) >= min_score)
    image_y = np.where(usable, foot[..., 1], -np.inf)
    pick = np.argmax(image_y, axis=1)  # the lowest foot in the picture
    pixel = foot[np.arange(len(foot)), pick, :2]
    out = np.full((len(flat), 3), np.nan)
    ok = usable.any(axis=1)
    if ok.any():
        origin, dirs = camera_rays(camera, pixel[ok])
        height = floor_y + foot_height
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (height - origin[1]) / dirs[:, 1]
        hit = origin + s[:, None] * dirs
        hit[:, 1] = floor_y
        hit[~(s > 0)] = np.nan
        out[ok] = hit
    if return_foot:
        return out.reshape(*lead, 3), pick.reshape(lead)
    return out.reshape(*lead, 3)


def absolute_depths(
    rows: np.ndarray,
    selection,
    width: int,
    height: int,
    camera: aist.Camera,
    floor_y: float,
    units_per_metre: float = 100.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Landmark rows (..., K, 4: x / width, y / height, root-relative z in metres, score) with z turned
    into each keypoint's depth from the camera (metres), the person placed where their feet meet the
    floor; and those ground points (..., 3) in world units. ``selection``: the COCO-WholeBody index of
    each of the K keypoints (the ankles, 15 and 16, must be among them)."""
    sel = [int(i) for i in selection]
    if 15 not in sel or 16 not in sel:
        raise ValueError("placing people on the floor needs the ankles (COCO-WholeBody 15 and 16) in the selection")
    feet = (sel.index(15), sel.index(16))
    rows = np.asarray(rows, dtype=np.float64)
    pixels = np.stack([rows[..., 0] * width, rows[..., 1] * height, rows[..., 3]], axis=-1)
    ground, foot = ground_points(pixels, camera, floor_y, feet, ANKLE_HEIGHT_M * units_per_metre, return_foot=True)
    depth = camera_depth(ground, camera) / units_per_metre
    z_foot = np.take_along_axis(rows[..., list(feet), 2], foot[..., None], axis=-1)[..., 0]
    out = rows.copy()
    out[..., 2] = depth[..., None] + rows[..., 2] - z_foot[..., None]  # z is farther-positive, as depth
    return out, ground


def camera_depth(points: np.ndarray, camera: aist.Camera) -> np.ndarray:
    """Depth (distance along the optical axis) of world points (..., 3) in ``camera``."""
    import cv2

    rot = cv2.Rodrigues(np.asarray(camera.rotation, dtype=np.float64))[0]
    return np.asarray(points, dtype=np.float64) @ rot[2] + float(np.asarray(camera.translation)[2])


def depth_order(keypoints: np.ndarray, feet=COCO_ANKLES, min_score: float = 0.1) -> np.ndarray:
    """Without a camera: each person's rank from the front, (T, N) from keypoints (T, N, K, 3) in pixels.

    The person whose lowest foot is lowest in the picture is nearest (rank 0); NaN for absent people.
    Valid for a level floor seen from above the dancers' feet, as dance videos are filmed.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    foot = kp[..., list(feet), :]
    score = foot[..., 2] if foot.shape[-1] > 2 else np.ones(foot.shape[:-1])
    y = np.where(np.isfinite(foot[..., 1]) & (np.nan_to_num(score, nan=0.0) >= min_score), foot[..., 1], np.nan)
    with np.errstate(all="ignore"):
        lowest = np.nanmax(y, axis=-1)  # (T, N)
    order = np.full(lowest.shape, np.nan)
    for t in range(lowest.shape[0]):
        present = np.flatnonzero(np.isfinite(lowest[t]))
        ranked = present[np.argsort(-lowest[t, present], kind="stable")]
        order[t, ranked] = np.arange(len(ranked))
    return order


def place_people(
    paths: list[Path], camera: str | None, setting: str | Path | None, floor_y: float, positions_out: Path
) -> dict:
    """Where imported people stand: with the camera's setting, (T, N, 3) world positions where each
    person's feet meet the floor, written to ``positions_out``; without it, their depth order from the
    feet in the picture. ``paths``: one keypoints2d pickle per person (``rhythm import-keypoints``)."""
    from rhythm.core.io import write_npy

    views = []
    for path in paths:
        kp = aist.load_keypoints2d(path)
        v = aist.CAMERAS.index(camera) if camera and kp.keypoints.shape[0] == len(aist.CAMERAS) else 0
        views.append(kp.keypoints[v])
    people = np.stack(views, axis=1).astype(np.float64)  # (T, N, 17, 3)
    if setting is None:
        order = depth_order(people)
        return {
            "how": "depth order from the feet's height in the picture (no camera setting): rank 0 is nearest",
            "depth_order": [[None if np.isnan(r) else int(r) for r in frame] for frame in order],
        }
    cams = aist.load_camera_setting(setting)
    if camera not in cams:
        raise RhythmInputError(setting, f"no camera {camera!r} in it (cameras: {', '.join(cams)})")
    ground = ground_points(people, cams[camera], floor_y)
    write_npy(positions_out, ground.astype(np.float32))
    return {
        "how": f"where the feet meet the floor (y = {floor_y:g}) seen from {camera}",
        "positions": str(positions_out),
        "median_positions": [
            None if np.isnan(g).all() else [round(float(x), 2) for x in np.nanmedian(g, axis=0)]
            for g in ground.transpose(1, 0, 2)
        ],
    }
