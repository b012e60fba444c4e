"""Multi-view geometry under the triangulation: undistorted rays, projection, reprojection error,
weighted DLT and its Gauss-Newton refinement, for many frames and keypoints at once.

Every view's pixels are undistorted with its camera's lens model into normalised image
coordinates (:func:`undistort_keypoints`), so the rest is pinhole geometry with closed-form
Jacobians. :mod:`rhythm.reconstruction.triangulation` builds the robust sequence triangulation on
these; :mod:`rhythm.reconstruction.keypoints3d_optim` and :mod:`rhythm.reconstruction.calibration`
use them too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rhythm.core import aist


@dataclass
class CameraArrays:
    """The cameras of the used views as arrays: what the vectorised geometry needs."""

    names: list[str]
    rotations: np.ndarray  # (V, 3, 3) world -> camera
    translations: np.ndarray  # (V, 3)
    focals: np.ndarray  # (V,) mean of fx and fy: converts normalised residuals to pixels


def camera_arrays(cameras: list[aist.Camera]) -> CameraArrays:
    import cv2

    return CameraArrays(
        names=[c.name for c in cameras],
        rotations=np.stack([cv2.Rodrigues(np.asarray(c.rotation, np.float64))[0] for c in cameras]),
        translations=np.stack([np.asarray(c.translation, np.float64) for c in cameras]),
        focals=np.array([(c.matrix[0, 0] + c.matrix[1, 1]) / 2 for c in cameras]),
    )


def undistort_keypoints(pixels: np.ndarray, cameras: list[aist.Camera]) -> np.ndarray:
    """Normalised image coordinates (V, ..., 2) of pixels (V, ..., 2), one camera per view.

    OpenCV's iterative undistortion runs to convergence (its default of 5 iterations leaves
    a fraction of a pixel at the image corners with AIST++'s strongest distortion).
    """
    import cv2

    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 30, 1e-12)
    out = np.zeros(pixels.shape[:-1] + (2,))
    for v, cam in enumerate(cameras):
        flat = np.asarray(pixels[v], np.float64).reshape(-1, 1, 2)
        finite = np.isfinite(flat).all(axis=(1, 2))
        rays = np.full(flat.shape, np.nan)
        if finite.any():
            rays[finite] = cv2.undistortPoints(flat[finite], cam.matrix, cam.distortions, None, None, None, criteria)
        out[v] = rays.reshape(out[v].shape)
    return out


def project_normalised(points: np.ndarray, cams: CameraArrays) -> tuple[np.ndarray, np.ndarray]:
    """Pinhole projection of points (N, J, 3) into every view: normalised coordinates (V, N, J, 2)
    and depths (V, N, J)."""
    cam_pts = points[None] @ cams.rotations[:, None].swapaxes(-1, -2) + cams.translations[:, None, None]
    depth = cam_pts[..., 2]
    return cam_pts[..., :2] / depth[..., None], depth


def reprojection_px(points: np.ndarray, rays: np.ndarray, cams: CameraArrays) -> np.ndarray:
    """Pixel distance (V, N, J) between the projected points and the observed (undistorted) rays."""
    proj, _ = project_normalised(points, cams)
    return np.linalg.norm(proj - rays, axis=-1) * cams.focals[:, None, None]


# The normal equations of every reprojection problem here have the same shape. With p the
# normalised image point of a view, [I2 | -p] R maps a change of X to a change of p (times 1/depth),
# and its Gram matrix R^T M(p) R, M(p) = [[1, 0, -x], [0, 1, -y], [-x, -y, x^2 + y^2]], is linear in
# (1, x, y, x^2 + y^2). Summing over views is then one matrix product per coefficient instead of a
# 3x3 product per observation: the difference between seconds and a fraction of one.
_GRAM_BASIS = np.array(
    [
        [[1, 0, 0], [0, 1, 0], [0, 0, 0]],
        [[0, 0, -1], [0, 0, 0], [-1, 0, 0]],
        [[0, 0, 0], [0, 0, -1], [0, -1, 0]],
        [[0, 0, 0], [0, 0, 0], [0, 0, 1]],
    ],
    dtype=np.float64,
)


def _normal_matrix(xy: np.ndarray, scale: np.ndarray, cams: CameraArrays) -> np.ndarray:
    """sum over views of scale * R^T M(xy) R: (N, J, 3, 3) from xy (V, N, J, 2) and scale (V, N, J)."""
    basis = np.einsum("vai,kab,vbj->vkij", cams.rotations, _GRAM_BASIS, cams.rotations).reshape(-1, 4, 9)
    out = np.zeros(scale.shape[1:] + (9,))
    for v in range(len(basis)):
        x, y, s = xy[v, ..., 0], xy[v, ..., 1], scale[v]
        out += np.stack([s, s * x, s * y, s * (x * x + y * y)], axis=-1) @ basis[v]
    return out.reshape(scale.shape[1:] + (3, 3))


def _gradient(xy: np.ndarray, q: np.ndarray, cams: CameraArrays) -> np.ndarray:
    """sum over views of R^T [I2 | -xy]^T q: (N, J, 3) from xy and q (V, N, J, 2)."""
    out = np.zeros(q.shape[1:-1] + (3,))
    for v, rot in enumerate(cams.rotations):
        lifted = np.concatenate([q[v], -(xy[v] * q[v]).sum(axis=-1, keepdims=True)], axis=-1)
        out += lifted @ rot
    return out


def _rows_times(xy: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """[I2 | -xy] vec, for camera-frame vectors vec (..., 3)."""
    return vec[..., :2] - xy * vec[..., 2:3]


def triangulate_dlt(rays: np.ndarray, weights: np.ndarray, cams: CameraArrays) -> np.ndarray:
    """Weighted linear triangulation of rays (V, N, J, 2) with weights (V, N, J): points (N, J, 3).

    Each view contributes the two linear equations ``x * (r3 . X + t3) = r1 . X + t1`` (and the
    same for y), scaled by the focal length so they weigh like pixels at unit depth. The weighted
    normal equations are a 3x3 solve per point. Points seen by fewer than two views are NaN.
    """
    xy = np.nan_to_num(rays)
    scale = weights * cams.focals[:, None, None] ** 2
    # the DLT residual of a view is -[I2 | -p] (R X + t): linear in X
    h = _normal_matrix(xy, scale, cams)
    g = _gradient(xy, -scale[..., None] * _rows_times(xy, cams.translations[:, None, None, :]), cams)
    seen = (weights > 0).sum(axis=0) >= 2
    h[~seen] = np.eye(3)
    points = np.linalg.solve(h, g[..., None])[..., 0]
    points[~seen] = np.nan
    return points


def refine_points(
    points: np.ndarray, rays: np.ndarray, weights: np.ndarray, cams: CameraArrays, iterations: int
) -> np.ndarray:
    """Gauss-Newton on the weighted pixel reprojection error, all points at once (3x3 solves)."""
    f = cams.focals
    obs = np.nan_to_num(rays)
    seen = (weights > 0).sum(axis=0) >= 2
    x = np.where(seen[..., None], np.nan_to_num(points), 0.0)
    for _ in range(iterations):
        proj, depth = project_normalised(x, cams)
        scale = weights * (f[:, None, None] / depth) ** 2
        h = _normal_matrix(proj, scale, cams)
        g = _gradient(proj, scale[..., None] * (proj - obs) * depth[..., None], cams)
        h[~seen] = np.eye(3)
        g[~seen] = 0.0
        x = x - np.linalg.solve(h, g[..., None])[..., 0]
    x[~seen] = np.nan
    return x


def triangulate(rays: np.ndarray, weights: np.ndarray, cams: CameraArrays, iterations: int) -> np.ndarray:
    """Weighted DLT, then Gauss-Newton on the reprojection error."""
    return refine_points(triangulate_dlt(rays, weights, cams), rays, weights, cams, iterations)


def subset(cams: CameraArrays, views) -> CameraArrays:
    views = list(views)
    return CameraArrays(
        [cams.names[v] for v in views], cams.rotations[views], cams.translations[views], cams.focals[views]
    )
