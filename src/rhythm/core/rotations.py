"""Rotation representations for the dance model: axis-angle, rotation matrices and the 6D
representation, and forward kinematics on the SMPL tree, for numpy arrays and torch tensors alike.

Every function takes either a numpy array or a torch tensor and answers in the same kind (dtype
and device kept; numpy integers become float64). torch is imported only when a tensor comes in,
so the numpy side works without it (torch is the optional ``model`` extra). Leading batch
dimensions are free: ``(..., 3)`` axis-angle, ``(..., 3, 3)`` matrices, ``(..., 6)`` 6D.

Conventions: rotation matrices act on column vectors (``R @ v``), as scipy's
``Rotation.as_matrix`` and :func:`rhythm.core.skeleton.forward_kinematics`; axis-angle is the rotation
vector (unit axis times angle in radians), as scipy's ``as_rotvec`` and SMPL's ``smpl_poses``.

The torch paths are differentiable everywhere a network will take them, including the zero
rotation: no square root of zero and no 0/0 is ever differentiated (small angles use Taylor
series, selected with ``where`` on inputs that are safe in both branches).
"""

from __future__ import annotations

import numpy as np

from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PARENTS

# Below these squared magnitudes the Taylor series are used: angle < 1e-3 rad for axis-angle ->
# matrix (series error < 1e-19), |quaternion vector part| < 1e-4 for matrix -> axis-angle.
_SMALL_ANGLE_SQ = 1e-6
_SMALL_QUAT_SQ = 1e-8


# ----------------------------------------------------------------------------- numpy / torch


def _is_torch(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


class _NumpyOps:
    @staticmethod
    def asarray(x):
        arr = np.asarray(x)
        return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)

    @staticmethod
    def constant(values, like):
        return np.asarray(values, dtype=like.dtype)

    stack = staticmethod(lambda xs, axis: np.stack(xs, axis=axis))
    concat = staticmethod(lambda xs, axis: np.concatenate(xs, axis=axis))
    sum = staticmethod(lambda x, axis, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims))
    sqrt, sin, cos = staticmethod(np.sqrt), staticmethod(np.sin), staticmethod(np.cos)
    atan2, where = staticmethod(np.arctan2), staticmethod(np.where)
    maximum = staticmethod(lambda x, value: np.maximum(x, value))
    cross = staticmethod(lambda a, b: np.cross(a, b))
    argmax = staticmethod(lambda x, axis: np.argmax(x, axis=axis))
    arange = staticmethod(lambda n, like: np.arange(n))
    eye = staticmethod(lambda n, like: np.eye(n, dtype=like.dtype))
    cast = staticmethod(lambda x, like: x.astype(like.dtype, copy=False))
    broadcast_to = staticmethod(lambda x, shape: np.broadcast_to(x, shape))


class _TorchOps:
    def __init__(self):
        import torch

        self.torch = torch
        self.sqrt, self.sin, self.cos, self.atan2, self.where = (
            torch.sqrt,
            torch.sin,
            torch.cos,
            torch.atan2,
            torch.where,
        )

    def asarray(self, x):
        return x if x.is_floating_point() else x.to(self.torch.float64)

    def constant(self, values, like):
        return self.torch.as_tensor(np.asarray(values), dtype=like.dtype, device=like.device)

    def stack(self, xs, axis):
        return self.torch.stack(list(xs), dim=axis)

    def concat(self, xs, axis):
        return self.torch.cat(list(xs), dim=axis)

    def sum(self, x, axis, keepdims=False):
        return self.torch.sum(x, dim=axis, keepdim=keepdims)

    def maximum(self, x, value):
        return self.torch.clamp(x, min=value)

    def cross(self, a, b):
        return self.torch.linalg.cross(a, b, dim=-1)

    def argmax(self, x, axis):
        return self.torch.argmax(x, dim=axis)

    def arange(self, n, like):
        return self.torch.arange(n, device=like.device)

    def eye(self, n, like):
        return self.torch.eye(n, dtype=like.dtype, device=like.device)

    def cast(self, x, like):
        return x.to(dtype=like.dtype, device=like.device)

    def broadcast_to(self, x, shape):
        return self.torch.broadcast_to(x, shape)


_NUMPY = _NumpyOps()
_TORCH: _TorchOps | None = None


def _ops(x):
    global _TORCH
    if not _is_torch(x):
        return _NUMPY
    if _TORCH is None:
        _TORCH = _TorchOps()
    return _TORCH


def _check_last(x, shape: tuple[int, ...], what: str):
    if len(x.shape) < len(shape) or tuple(x.shape[-len(shape) :]) != shape:
        raise ValueError(f"{what}: expected shape (..., {', '.join(map(str, shape))}), got {tuple(x.shape)}")


# ----------------------------------------------------------------------------- axis-angle <-> matrix


def _skew(ops, v):
    """(..., 3) -> (..., 3, 3) cross-product matrices: skew(v) @ u = v x u."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    zero = x * 0
    return ops.stack([ops.stack([zero, -z, y], -1), ops.stack([z, zero, -x], -1), ops.stack([-y, x, zero], -1)], -2)


def axis_angle_to_matrix(axis_angle):
    """Rotation matrices ``(..., 3, 3)`` from rotation vectors ``(..., 3)`` (Rodrigues' formula).

    ``R = I + A K + B K^2`` with ``K`` the cross-product matrix of the unnormalised vector,
    ``A = sin(t)/t`` and ``B = (1 - cos t)/t^2`` written as ``2 sin^2(t/2)/t^2`` (no cancellation);
    below 1e-3 rad both come from their Taylor series in ``t^2``, so the zero rotation has exact
    values and finite gradients. Equals scipy's ``Rotation.from_rotvec(v).as_matrix()``.
    """
    ops = _ops(axis_angle)
    v = ops.asarray(axis_angle)
    _check_last(v, (3,), "axis_angle_to_matrix")
    theta_sq = ops.sum(v * v, axis=-1)
    small = theta_sq < _SMALL_ANGLE_SQ
    theta = ops.sqrt(ops.where(small, theta_sq * 0 + 1, theta_sq))  # never sqrt(0)
    half = ops.sin(theta / 2) / theta
    a = ops.where(small, 1 - theta_sq / 6 + theta_sq**2 / 120, ops.sin(theta) / theta)
    b = ops.where(small, 0.5 - theta_sq / 24 + theta_sq**2 / 720, 2 * half * half)
    k = _skew(ops, v)
    return ops.eye(3, v) + a[..., None, None] * k + b[..., None, None] * (k @ k)


def _matrix_to_quaternion(ops, m):
    """Unit quaternions ``(..., 4)`` as (w, x, y, z), w >= 0, from rotation matrices.

    Of the four textbook formulas (each divides by one of 4w, 4x, 4y, 4z) the one with the largest
    divisor is taken per matrix; the others are computed with their divisor clamped (never 0) and
    masked out, so values and gradients stay finite.
    """
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    four_sq = ops.stack(  # 4 w^2, 4 x^2, 4 y^2, 4 z^2
        [1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1
    )
    root = ops.sqrt(ops.maximum(four_sq, 0.1))  # 2|q_k|; the chosen one is >= 1 for a rotation
    r0, r1, r2, r3 = root[..., 0], root[..., 1], root[..., 2], root[..., 3]
    candidates = ops.stack(
        [
            ops.stack([r0 / 2, (m21 - m12) / (2 * r0), (m02 - m20) / (2 * r0), (m10 - m01) / (2 * r0)], -1),
            ops.stack([(m21 - m12) / (2 * r1), r1 / 2, (m01 + m10) / (2 * r1), (m02 + m20) / (2 * r1)], -1),
            ops.stack([(m02 - m20) / (2 * r2), (m01 + m10) / (2 * r2), r2 / 2, (m12 + m21) / (2 * r2)], -1),
            ops.stack([(m10 - m01) / (2 * r3), (m02 + m20) / (2 * r3), (m12 + m21) / (2 * r3), r3 / 2], -1),
        ],
        -2,
    )  # (..., 4 candidates, 4 components)
    chosen = ops.argmax(four_sq, axis=-1)[..., None] == ops.arange(4, four_sq)  # (..., 4) one-hot
    quat = ops.sum(ops.where(chosen[..., None], candidates, candidates * 0), axis=-2)
    return ops.where(quat[..., :1] < 0, -quat, quat)


def matrix_to_axis_angle(matrix):
    """Rotation vectors ``(..., 3)``, angle in ``[0, pi]``, from rotation matrices ``(..., 3, 3)``.

    Through the quaternion (largest-divisor formula), then ``angle = 2 atan2(|v|, w)`` and
    ``axis_angle = v * angle / |v|``, with a Taylor series for ``angle / |v|`` near the identity.
    Equals scipy's ``Rotation.from_matrix(m).as_rotvec()``; at exactly pi, where ``v`` and ``-v``
    are the same rotation, either may come out.
    """
    ops = _ops(matrix)
    m = ops.asarray(matrix)
    _check_last(m, (3, 3), "matrix_to_axis_angle")
    quat = _matrix_to_quaternion(ops, m)
    w, vec = quat[..., 0], quat[..., 1:]
    n_sq = ops.sum(vec * vec, axis=-1)
    small = n_sq < _SMALL_QUAT_SQ
    n = ops.sqrt(ops.where(small, n_sq * 0 + 1, n_sq))
    w_safe = ops.where(small, w, w * 0 + 1)  # w ~ 1 in the small branch
    factor = ops.where(small, 2 / w_safe - 2 * n_sq / (3 * w_safe**3), 2 * ops.atan2(n, w) / n)
    return vec * factor[..., None]


# ----------------------------------------------------------------------------- 6D


def matrix_to_rot6d(matrix):
    """The 6D representation ``(..., 6)`` of Zhou et al. (CVPR 2019): the first two columns of
    the matrix, first column then second.

    Note: pytorch3d's ``matrix_to_rotation_6d`` (which EDGE's ``ax_to_6v`` uses) takes the first
    two *rows*; its 6D of ``R`` is this function's 6D of ``R^T``.
    """
    ops = _ops(matrix)
    m = ops.asarray(matrix)
    _check_last(m, (3, 3), "matrix_to_rot6d")
    return ops.concat([m[..., :, 0], m[..., :, 1]], -1)


def rot6d_to_matrix(rot6d):
    """Rotation matrices ``(..., 3, 3)`` from 6D vectors ``(..., 6)`` by Gram-Schmidt (Zhou et al.).

    ``b1 = a1/|a1|``, ``b2`` = ``a2`` minus its ``b1`` part, normalised, ``b3 = b1 x b2``; the
    columns are ``b1, b2, b3``. Any 6D vector with independent halves gives a rotation; for the
    6D of a rotation it gives that rotation back.
    """
    ops = _ops(rot6d)
    d6 = ops.asarray(rot6d)
    _check_last(d6, (6,), "rot6d_to_matrix")
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / ops.sqrt(ops.sum(a1 * a1, axis=-1, keepdims=True))
    b2 = a2 - ops.sum(b1 * a2, axis=-1, keepdims=True) * b1
    b2 = b2 / ops.sqrt(ops.sum(b2 * b2, axis=-1, keepdims=True))
    b3 = ops.cross(b1, b2)
    return ops.stack([b1, b2, b3], -1)


def axis_angle_to_rot6d(axis_angle):
    """6D ``(..., 6)`` from rotation vectors ``(..., 3)``."""
    return matrix_to_rot6d(axis_angle_to_matrix(axis_angle))


def rot6d_to_axis_angle(rot6d):
    """Rotation vectors ``(..., 3)`` from 6D ``(..., 6)`` (Gram-Schmidt, then the matrix's vector)."""
    return matrix_to_axis_angle(rot6d_to_matrix(rot6d))


# ----------------------------------------------------------------------------- forward kinematics


def local_rotation_matrices(rotations, num_joints: int = 24):
    """``(..., J, 3, 3)`` local rotations from any of: ``(..., J, 3, 3)`` matrices, ``(..., J, 3)``
    or ``(..., J*3)`` axis-angle (``smpl_poses``), ``(..., J, 6)`` or ``(..., J*6)`` 6D."""
    ops = _ops(rotations)
    r = ops.asarray(rotations)
    shape = tuple(r.shape)
    if len(shape) >= 3 and shape[-3:] == (num_joints, 3, 3):
        return r
    if len(shape) >= 2 and shape[-2:] == (num_joints, 3):
        return axis_angle_to_matrix(r)
    if len(shape) >= 2 and shape[-2:] == (num_joints, 6):
        return rot6d_to_matrix(r)
    if len(shape) >= 1 and shape[-1] == num_joints * 3:
        return axis_angle_to_matrix(r.reshape(shape[:-1] + (num_joints, 3)))
    if len(shape) >= 1 and shape[-1] == num_joints * 6:
        return rot6d_to_matrix(r.reshape(shape[:-1] + (num_joints, 6)))
    raise ValueError(
        f"rotations: expected (..., {num_joints}, 3, 3), (..., {num_joints}, 3|6) or "
        f"(..., {num_joints * 3}|{num_joints * 6}), got {shape}"
    )


def smpl_forward_kinematics(
    rotations, trans, offsets=SMPL_OFFSETS, parents=SMPL_PARENTS, return_rotations: bool = False
):
    """Joint positions ``(..., 24, 3)`` on the SMPL tree, differentiable in torch.

    The same computation as :func:`rhythm.core.skeleton.forward_kinematics` (which is numpy only):
    the root sits at ``trans``, each joint at its parent's position plus the parent's global
    rotation applied to its rest offset, and global rotations compose parent @ local. The default
    tree and offsets are the public SMPL ones from :mod:`rhythm.core.skeleton`.

    Args:
        rotations: local rotations in any form :func:`local_rotation_matrices` accepts.
        trans: ``(..., 3)`` root translation, in the units of ``offsets``.
    Returns:
        positions ``(..., 24, 3)``; with ``return_rotations`` also the global rotations
        ``(..., 24, 3, 3)``.
    """
    if _is_torch(rotations) != _is_torch(trans):
        raise TypeError("rotations and trans must both be numpy arrays or both torch tensors")
    ops = _ops(rotations)
    parents = [int(p) for p in np.asarray(parents)]
    local = local_rotation_matrices(rotations, len(parents))
    root = ops.cast(ops.asarray(trans), local)
    _check_last(root, (3,), "trans")
    offs = ops.constant(offsets, local)
    glob: list = []
    pos: list = []
    for j, parent in enumerate(parents):
        if parent < 0:
            glob.append(local[..., j, :, :])
            pos.append(ops.broadcast_to(root, tuple(local.shape[:-3]) + (3,)))
        else:
            glob.append(glob[parent] @ local[..., j, :, :])
            pos.append(pos[parent] + (glob[parent] @ offs[j][:, None])[..., 0])
    positions = ops.stack(pos, -2)
    return (positions, ops.stack(glob, -3)) if return_rotations else positions
