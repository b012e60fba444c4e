"""The optimised variant of the triangulation, AIST++'s ``keypoints3d_optim``: smooth keypoints3d whose
limb and face lengths stay (nearly) constant.

One sparse least-squares problem over all frames at once minimises the reprojection error plus a
temporal acceleration penalty plus the deviation of the rigid bones' lengths from their
per-sequence medians. :func:`rhythm.reconstruction.triangulation.triangulate_sequence` runs it
on the plain result when ``TriangulationOptions.optimise`` is set.
"""

from __future__ import annotations

import numpy as np

from rhythm.reconstruction.multiview import CameraArrays, _gradient, _normal_matrix, project_normalised
from rhythm.reconstruction.triangulation import TriangulationOptions

# Bones whose length the optimised variant holds constant: legs, arms, hip width and the face.
# Torso sides, shoulder width and ear-shoulder lengths change with the spine and are left free.
RIGID_BONES = (
    (15, 13),
    (13, 11),
    (16, 14),
    (14, 12),  # ankle-knee, knee-hip
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),  # shoulder-elbow, elbow-wrist
    (11, 12),  # hip width
    (0, 1),
    (0, 2),
    (1, 2),
    (1, 3),
    (2, 4),
    (0, 3),
    (0, 4),  # nose, eyes, ears
)


def bone_lengths(points: np.ndarray, bones=RIGID_BONES) -> np.ndarray:
    """Per-sequence bone lengths: the median over frames (robust to the odd bad frame)."""
    a, b = np.array(bones).T
    return np.nanmedian(np.linalg.norm(points[:, a] - points[:, b], axis=-1), axis=0)


def _fill_gaps(points: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of NaN points (a start for the optimiser, not an output)."""
    out = points.copy()
    n = len(points)
    frames = np.arange(n)
    for j in range(points.shape[1]):
        ok = np.isfinite(points[:, j]).all(axis=1)
        if ok.all():
            continue
        if not ok.any():
            raise ValueError(f"keypoint {j} is never seen by two views")
        for c in range(3):
            out[:, j, c] = np.interp(frames, frames[ok], points[ok, j, c])
    return out


def optimise_sequence(
    points: np.ndarray,
    rays: np.ndarray,
    weights: np.ndarray,
    cams: CameraArrays,
    options: TriangulationOptions,
    bones=RIGID_BONES,
) -> np.ndarray:
    """Temporally smooth keypoints with near-constant limb lengths, all frames solved together.

    Minimises, over all N x J x 3 coordinates at once,
    ``sum w * |reproj px|^2 / pixel_sigma^2 + |x[t-1] - 2 x[t] + x[t+1]|^2 / accel_sigma^2
    + (|x_a - x_b| - L_ab)^2 / bone_sigma^2`` by Gauss-Newton. The normal matrix is sparse (3x3
    blocks per point, a band of five frames from the acceleration, bone pairs within a frame), so
    each step is one sparse solve. Points no view sees are filled by the smoothness term alone.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    n, j = points.shape[:2]
    size = n * j * 3
    x = _fill_gaps(points)
    lengths = bone_lengths(points, bones)
    obs = np.nan_to_num(rays)
    f = cams.focals
    w = weights / options.pixel_sigma**2

    # Acceleration: a constant linear operator, second differences over frames per coordinate.
    accel_h = sp.csc_array((size, size))
    if n >= 3:
        second = sp.diags_array([1.0, -2.0, 1.0], offsets=[0, 1, 2], shape=(n - 2, n))
        accel = sp.kron(second, sp.eye_array(j * 3)).tocsr() / options.accel_sigma
        accel_h = (accel.T @ accel).tocsc()

    block = np.arange(n * j) * 3
    rows = np.broadcast_to(block[:, None, None] + np.arange(3)[None, :, None], (n * j, 3, 3)).ravel()
    cols = np.broadcast_to(block[:, None, None] + np.arange(3)[None, None, :], (n * j, 3, 3)).ravel()
    a_idx, b_idx = np.array(bones).T
    frame_base = (np.arange(n) * j)[:, None]
    bone_cols = np.concatenate(
        [
            ((frame_base + a_idx)[..., None] * 3 + np.arange(3)),
            ((frame_base + b_idx)[..., None] * 3 + np.arange(3)),
        ],
        axis=-1,
    ).ravel()
    bone_rows = np.repeat(np.arange(n * len(bones)), 6)

    for _ in range(options.optimise_iterations):
        proj, depth = project_normalised(x, cams)
        scale = w * (f[:, None, None] / depth) ** 2
        blocks = _normal_matrix(proj, scale, cams)
        grad = _gradient(proj, scale[..., None] * (proj - obs) * depth[..., None], cams).ravel()
        hess = sp.csc_array((blocks.ravel(), (rows, cols)), shape=(size, size))

        flat = x.ravel()
        hess = hess + accel_h
        grad = grad + accel_h @ flat

        diff = x[:, a_idx] - x[:, b_idx]
        length = np.linalg.norm(diff, axis=-1)
        unit = diff / np.maximum(length, 1e-9)[..., None] / options.bone_sigma
        bone_res = (length - lengths) / options.bone_sigma
        bone_jac = sp.csr_array(
            (np.concatenate([unit, -unit], axis=-1).ravel(), (bone_rows, bone_cols)), shape=(n * len(bones), size)
        )
        hess = hess + (bone_jac.T @ bone_jac)
        grad = grad + bone_jac.T @ bone_res.ravel()

        step = spsolve((hess + 1e-6 * sp.eye_array(size)).tocsc(), grad, permc_spec="NATURAL")
        x = x - step.reshape(x.shape)
    return x
