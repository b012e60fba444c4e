"""The bundle adjustment's solver: Levenberg-Marquardt under a Cauchy loss, each step solved exactly
through the reduced camera system (the cameras first, then the points by back-substitution).

:func:`rhythm.reconstruction.calibration.bundle_adjust` builds the residuals and their sparse
Jacobian; this module minimises them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rhythm.reconstruction.calibration import CalibrationOptions


def robust_levenberg_marquardt(
    residuals, jacobian, x0: np.ndarray, n_robust: int, n_cam: int, loss_scale: float, options: CalibrationOptions
) -> tuple[np.ndarray, int]:
    """Levenberg-Marquardt with a Cauchy loss on pairs of residuals and a sparse direct solve.

    The first ``n_robust`` residuals come in (u, v) pairs, one per observation, each under the
    Cauchy loss ``s^2/2 log(1 + |r|^2 / s^2)`` with s = ``loss_scale`` (iteratively reweighted);
    the rest (the gauge) are plain squares. Each step solves the normal equations
    ``(J^T W J + lambda diag) dx = -J^T W r`` exactly, through the reduced camera system
    (:func:`solve_cameras_then_points`). scipy's ``least_squares`` offers on a sparse Jacobian only
    inexact LSMR steps, which crawled here (hundreds of iterations, half a minute).
    """
    import scipy.sparse as sp

    scale2 = loss_scale**2

    def weights_and_cost(r: np.ndarray) -> tuple[np.ndarray, float]:
        sq = (r[:n_robust].reshape(-1, 2) ** 2).sum(axis=1)
        w = np.ones_like(r)
        w[:n_robust] = np.repeat(1.0 / (1.0 + sq / scale2), 2)
        return w, float(0.5 * scale2 * np.log1p(sq / scale2).sum() + 0.5 * (r[n_robust:] ** 2).sum())

    x = x0.copy()
    r = residuals(x)
    w, cost = weights_and_cost(r)
    damping = 1e-3
    for iteration in range(1, options.max_iterations + 1):
        jac = jacobian(x)
        weighted = sp.diags_array(w) @ jac
        hess = (jac.T @ weighted).tocsc()
        grad = weighted.T @ r
        diag = hess.diagonal() + 1e-12
        while True:
            step = solve_cameras_then_points(hess + sp.diags_array(damping * diag), -grad, n_cam)
            r_new = residuals(x + step)
            w_new, cost_new = weights_and_cost(r_new)
            if cost_new < cost or damping > 1e10:
                break
            damping *= 10
        if cost_new >= cost:
            return x, iteration
        decrease = (cost - cost_new) / cost
        x, r, w, cost = x + step, r_new, w_new, cost_new
        damping = max(damping / 10, 1e-9)
        if decrease < options.tolerance:
            return x, iteration
    return x, options.max_iterations


def solve_cameras_then_points(hess, rhs: np.ndarray, n_cam: int) -> np.ndarray:
    """Solve ``hess dx = rhs`` where the first ``n_cam`` unknowns are cameras and the rest points.

    The point-point part is block-diagonal (a point only meets itself), so it is inverted 3x3 block
    by block and eliminated: the Schur complement leaves a small dense system in the camera
    parameters, and the points follow by back-substitution. This is the classic bundle-adjustment
    solve; it costs milliseconds where a general sparse LU costs a tenth of a second.
    """
    import scipy.sparse as sp

    hess = sp.csr_array(hess)
    if n_cam == hess.shape[0]:
        return np.linalg.solve(hess.toarray(), rhs)
    cams = hess[:n_cam, :n_cam].toarray()
    coupling = hess[:n_cam, n_cam:]
    points = sp.bsr_array(hess[n_cam:, n_cam:], blocksize=(3, 3))
    points.sort_indices()
    if not np.array_equal(points.indices, np.arange(points.shape[0] // 3)):
        raise ValueError("the point-point block is not block-diagonal")
    points_inv = sp.bsr_array((np.linalg.inv(points.data), points.indices, points.indptr), shape=points.shape)
    reduce = coupling @ points_inv
    cam_step = np.linalg.solve(cams - (reduce @ coupling.T).toarray(), rhs[:n_cam] - reduce @ rhs[n_cam:])
    point_step = points_inv @ (rhs[n_cam:] - coupling.T @ cam_step)
    return np.concatenate([cam_step, point_step])
