"""SO(3) for the skeleton fit's Gauss-Newton: rotation vectors to matrices and back, and the
inverse right Jacobian of the logarithm, in float64 numpy over many joints at once.

:mod:`rhythm.core.rotations` converts between rotation forms for the data and the model (numpy or
torch); the fit keeps these beside its solver because it also needs the Jacobian and a logarithm
that stays stable up to 180 degrees (Shepperd's method), and its outputs are compared bit for bit.
"""

from __future__ import annotations

import numpy as np


def _skew(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + (3,))
    out[..., 0, 1], out[..., 0, 2], out[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    return out - np.swapaxes(out, -1, -2)


def _exp(phi: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of rotation vectors (..., 3) (Rodrigues)."""
    theta2 = (phi * phi).sum(-1)[..., None, None]
    theta = np.sqrt(theta2)
    small = theta2 < 1e-12
    a = np.where(small, 1 - theta2 / 6, np.sin(theta) / np.where(small, 1, theta))
    b = np.where(small, 0.5 - theta2 / 24, (1 - np.cos(theta)) / np.where(small, 1, theta2))
    k = _skew(phi)
    return np.eye(3) + a * k + b * (k @ k)


def _log(rot: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) of rotation matrices (..., 3, 3), through a quaternion taken from
    the largest of its four candidate components (Shepperd's method: stable up to 180 degrees)."""
    m = rot
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    cand = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], axis=-1)
    pick = cand.argmax(-1)
    quats = np.empty(cand.shape[:-1] + (4, 4))  # candidate index, (w, x, y, z)
    big = np.sqrt(np.maximum(1 + 2 * cand - tr[..., None], 1e-12)) / 2  # the picked component
    d = 4 * big
    quats[..., 0, :] = np.stack(
        [
            big[..., 0],
            (m[..., 2, 1] - m[..., 1, 2]) / d[..., 0],
            (m[..., 0, 2] - m[..., 2, 0]) / d[..., 0],
            (m[..., 1, 0] - m[..., 0, 1]) / d[..., 0],
        ],
        -1,
    )
    quats[..., 1, :] = np.stack(
        [
            (m[..., 2, 1] - m[..., 1, 2]) / d[..., 1],
            big[..., 1],
            (m[..., 0, 1] + m[..., 1, 0]) / d[..., 1],
            (m[..., 0, 2] + m[..., 2, 0]) / d[..., 1],
        ],
        -1,
    )
    quats[..., 2, :] = np.stack(
        [
            (m[..., 0, 2] - m[..., 2, 0]) / d[..., 2],
            (m[..., 0, 1] + m[..., 1, 0]) / d[..., 2],
            big[..., 2],
            (m[..., 1, 2] + m[..., 2, 1]) / d[..., 2],
        ],
        -1,
    )
    quats[..., 3, :] = np.stack(
        [
            (m[..., 1, 0] - m[..., 0, 1]) / d[..., 3],
            (m[..., 0, 2] + m[..., 2, 0]) / d[..., 3],
            (m[..., 1, 2] + m[..., 2, 1]) / d[..., 3],
            big[..., 3],
        ],
        -1,
    )
    q = np.take_along_axis(quats, pick[..., None, None], axis=-2)[..., 0, :]
    q = q * np.where(q[..., :1] < 0, -1.0, 1.0)
    norm_v = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    angle = 2 * np.arctan2(norm_v, q[..., :1])
    return q[..., 1:] * np.where(norm_v < 1e-12, 2.0, angle / np.maximum(norm_v, 1e-12))


def _log_jacobian_inv(phi: np.ndarray) -> np.ndarray:
    """(K, 3, 3) inverse right Jacobians of SO(3): d log(R Exp(d)) / dd at d = 0, for R = Exp(phi)."""
    theta = np.minimum(np.linalg.norm(phi, axis=-1), np.pi - 1e-3)
    k = _skew(phi)
    small = theta < 1e-4
    t = np.where(small, 1.0, theta)
    coef = np.where(small, 1 / 12, 1 / t**2 - (1 + np.cos(t)) / (2 * t * np.sin(t)))
    return np.eye(3) + 0.5 * k + coef[:, None, None] * (k @ k)
