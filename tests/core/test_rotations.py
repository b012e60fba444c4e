"""Rotation representations and SMPL forward kinematics, numpy and torch, against scipy and
rhythm.core.skeleton; gradients with torch.autograd.gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from rhythm.core import rotations as rot
from rhythm.core.skeleton import forward_kinematics

torch = pytest.importorskip("torch")


def rotvecs() -> np.ndarray:
    """Random vectors (angles up to ~3 pi), the zero rotation, tiny ones, both sides of the
    Taylor threshold (1e-3 rad) and angles near pi."""
    rng = np.random.default_rng(0)
    random = rng.normal(size=(64, 3)) * rng.uniform(0, 3, size=(64, 1))
    axis = np.array([0.48, -0.6, 0.64])
    special = np.array([0.0, 1e-12, 1e-8, 1e-5, 0.999e-3, 1e-3, 1.001e-3, 0.1, np.pi - 1e-6, np.pi - 1e-3])
    return np.concatenate([random, special[:, None] * axis, [[1e-7, -2e-7, 0.0]]])


def rotation_matrices() -> np.ndarray:
    """Random rotations, the identity, near-identity, and rotations near pi about each axis (each
    of the four quaternion formulas gets used)."""
    rand = Rotation.random(64, random_state=1).as_matrix()
    near_pi = [Rotation.from_rotvec((np.pi - 1e-4) * np.eye(3)[i]).as_matrix() for i in range(3)]
    tilted = [
        Rotation.from_rotvec(2.9 * np.array(a) / np.linalg.norm(a)).as_matrix()
        for a in ([1, 0.2, 0.1], [0.1, 1, 0.3], [0.2, 0.1, 1])
    ]
    small = Rotation.from_rotvec([[1e-9, 0, 0], [0, 3e-6, -1e-6]]).as_matrix()
    return np.concatenate([rand, [np.eye(3)], near_pi, tilted, small])


# ----------------------------------------------------------------------------- against scipy


def test_axis_angle_to_matrix_equals_scipy_numpy_and_torch():
    v = rotvecs()
    want = Rotation.from_rotvec(v).as_matrix()
    np.testing.assert_allclose(rot.axis_angle_to_matrix(v), want, atol=1e-14)
    got = rot.axis_angle_to_matrix(torch.tensor(v))
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), want, atol=1e-14)
    got32 = rot.axis_angle_to_matrix(torch.tensor(v, dtype=torch.float32))
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), want, atol=2e-6)
    assert rot.axis_angle_to_matrix(v.astype(np.float32)).dtype == np.float32


def test_zero_rotation_is_exactly_the_identity():
    np.testing.assert_array_equal(rot.axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    np.testing.assert_array_equal(rot.matrix_to_axis_angle(np.eye(3)), np.zeros(3))


def test_matrix_to_axis_angle_equals_scipy_numpy_and_torch():
    m = rotation_matrices()
    want = Rotation.from_matrix(m).as_rotvec()
    np.testing.assert_allclose(rot.matrix_to_axis_angle(m), want, atol=1e-10)
    np.testing.assert_allclose(rot.matrix_to_axis_angle(torch.tensor(m)).numpy(), want, atol=1e-10)
    np.testing.assert_allclose(rot.matrix_to_axis_angle(torch.tensor(m, dtype=torch.float32)).numpy(), want, atol=1e-5)


def test_axis_angle_round_trip_is_canonical_like_scipy():
    v = rotvecs()
    back = rot.matrix_to_axis_angle(rot.axis_angle_to_matrix(v))
    canonical = Rotation.from_rotvec(v).as_rotvec()  # angle folded into [0, pi]
    np.testing.assert_allclose(back, canonical, atol=1e-8)


def test_rotation_by_pi_comes_back_as_either_sign():
    for axis in np.eye(3).tolist() + [[0.6, 0.0, 0.8]]:
        v = np.pi * np.asarray(axis)
        back = rot.matrix_to_axis_angle(rot.axis_angle_to_matrix(v))
        assert np.allclose(back, v, atol=1e-7) or np.allclose(back, -v, atol=1e-7)


def test_batch_dimensions_are_kept():
    v = np.random.default_rng(2).normal(size=(2, 5, 3))
    m = rot.axis_angle_to_matrix(v)
    assert m.shape == (2, 5, 3, 3)
    assert rot.matrix_to_axis_angle(m).shape == (2, 5, 3)
    assert rot.matrix_to_rot6d(m).shape == (2, 5, 6)
    assert rot.rot6d_to_matrix(rot.matrix_to_rot6d(m)).shape == (2, 5, 3, 3)


# ----------------------------------------------------------------------------- 6D


def test_rot6d_is_the_first_two_columns():
    m = rotation_matrices()
    d6 = rot.matrix_to_rot6d(m)
    np.testing.assert_array_equal(d6[:, :3], m[:, :, 0])
    np.testing.assert_array_equal(d6[:, 3:], m[:, :, 1])
    np.testing.assert_allclose(
        rot.axis_angle_to_rot6d(rotvecs()), rot.matrix_to_rot6d(Rotation.from_rotvec(rotvecs()).as_matrix()), atol=1e-14
    )


@pytest.mark.parametrize("as_torch", [False, True])
def test_rot6d_round_trips(as_torch):
    m = rotation_matrices()
    x = torch.tensor(m) if as_torch else m
    back = rot.rot6d_to_matrix(rot.matrix_to_rot6d(x))
    np.testing.assert_allclose(np.asarray(back), m, atol=1e-12)
    v = rotvecs()
    vv = torch.tensor(v) if as_torch else v
    np.testing.assert_allclose(
        np.asarray(rot.rot6d_to_axis_angle(rot.axis_angle_to_rot6d(vv))), Rotation.from_rotvec(v).as_rotvec(), atol=1e-8
    )


def test_rot6d_gram_schmidt_of_arbitrary_vectors():
    d6 = np.random.default_rng(3).normal(size=(50, 6))
    m = rot.rot6d_to_matrix(d6)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-12)
    # Independent check: QR of [a1 a2] gives the same first two columns up to sign; fix the sign.
    for k in range(len(d6)):
        q, r = np.linalg.qr(np.stack([d6[k, :3], d6[k, 3:]], axis=1))
        q = q * np.sign(np.diag(r))
        np.testing.assert_allclose(m[k, :, :2], q, atol=1e-12)
        np.testing.assert_allclose(m[k, :, 2], np.cross(q[:, 0], q[:, 1]), atol=1e-12)
    # scipy agrees that it is a proper rotation.
    np.testing.assert_allclose(Rotation.from_matrix(m).as_matrix(), m, atol=1e-12)


# ----------------------------------------------------------------------------- gradients


def test_gradcheck_axis_angle_to_matrix_including_zero():
    for v in ([0.0, 0.0, 0.0], [1e-5, -2e-5, 3e-6], [0.3, -0.2, 0.9], [2.0, 1.0, -0.5], [1e-3, 0, 0]):
        x = torch.tensor([v], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(rot.axis_angle_to_matrix, (x,))


def test_gradient_at_zero_is_the_cross_product_basis():
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    jac = torch.autograd.functional.jacobian(rot.axis_angle_to_matrix, x)  # (3, 3, 3)
    assert torch.isfinite(jac).all()
    for k in range(3):
        e = np.eye(3)[k]
        skew = np.array([np.cross(e, u) for u in np.eye(3)]).T  # column j: e x e_j
        np.testing.assert_allclose(jac[..., k].numpy(), skew, atol=1e-12)


def test_gradcheck_matrix_to_axis_angle():
    m = rotation_matrices()[[0, 1, 2, 64, 65, 66, 67, 68, 69, 70, 71]]  # random, identity, near pi
    x = torch.tensor(m, requires_grad=True)
    assert torch.autograd.gradcheck(rot.matrix_to_axis_angle, (x,))


def test_matrix_to_axis_angle_gradient_finite_at_identity_and_pi():
    x = torch.tensor(np.stack([np.eye(3), Rotation.from_rotvec([np.pi, 0, 0]).as_matrix()]), requires_grad=True)
    rot.matrix_to_axis_angle(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_gradcheck_rot6d():
    x = torch.tensor(np.random.default_rng(4).normal(size=(3, 6)), requires_grad=True)
    assert torch.autograd.gradcheck(rot.rot6d_to_matrix, (x,))
    assert torch.autograd.gradcheck(rot.rot6d_to_axis_angle, (x,))
    v = torch.tensor([[0.0, 0.0, 0.0], [0.4, -1.0, 0.2]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rot.axis_angle_to_rot6d, (v,))


# ----------------------------------------------------------------------------- forward kinematics


def smpl_motion(frames: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.6, size=(frames, 72)), rng.normal(size=(frames, 3))


def test_forward_kinematics_equals_skeleton_numpy_and_torch():
    poses, trans = smpl_motion(6)
    want_pos, want_rot = forward_kinematics(poses, trans, return_rotations=True)
    pos, glob = rot.smpl_forward_kinematics(poses, trans, return_rotations=True)
    np.testing.assert_allclose(pos, want_pos, atol=1e-12)
    np.testing.assert_allclose(glob, want_rot, atol=1e-12)
    pos32 = rot.smpl_forward_kinematics(
        torch.tensor(poses, dtype=torch.float32), torch.tensor(trans, dtype=torch.float32)
    )
    assert pos32.dtype == torch.float32 and pos32.shape == (6, 24, 3)
    np.testing.assert_allclose(pos32.numpy(), want_pos, atol=1e-5)
    pos64 = rot.smpl_forward_kinematics(torch.tensor(poses), torch.tensor(trans))
    np.testing.assert_allclose(pos64.numpy(), want_pos, atol=1e-12)


def test_forward_kinematics_accepts_every_rotation_form():
    poses, trans = smpl_motion(4)
    want = forward_kinematics(poses, trans)
    aa = poses.reshape(4, 24, 3)
    matrices = rot.axis_angle_to_matrix(aa)
    for form in (poses, aa, matrices, rot.matrix_to_rot6d(matrices), rot.matrix_to_rot6d(matrices).reshape(4, 144)):
        np.testing.assert_allclose(rot.smpl_forward_kinematics(form, trans), want, atol=1e-12)


def test_forward_kinematics_batches():
    poses, trans = smpl_motion(6)
    batched = rot.smpl_forward_kinematics(torch.tensor(poses.reshape(2, 3, 72)), torch.tensor(trans.reshape(2, 3, 3)))
    assert batched.shape == (2, 3, 24, 3)
    np.testing.assert_allclose(batched.reshape(6, 24, 3).numpy(), forward_kinematics(poses, trans), atol=1e-12)
    # One translation for the whole batch broadcasts.
    single = rot.smpl_forward_kinematics(poses[:1], np.zeros(3))
    np.testing.assert_allclose(single, forward_kinematics(poses[:1], np.zeros((1, 3))), atol=1e-12)


def test_gradcheck_forward_kinematics():
    poses, trans = smpl_motion(2)
    poses[0, :3] = 0.0  # a zero rotation among them
    p = torch.tensor(poses, requires_grad=True)
    t = torch.tensor(trans, requires_grad=True)
    assert torch.autograd.gradcheck(rot.smpl_forward_kinematics, (p, t))
    rot.smpl_forward_kinematics(p, t).sum().backward()
    assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    np.testing.assert_allclose(t.grad.numpy(), 24.0)  # every joint moves with the root


def test_forward_kinematics_of_zero_poses_has_finite_gradients():
    p = torch.zeros(3, 72, dtype=torch.float32, requires_grad=True)
    rot.smpl_forward_kinematics(p, torch.zeros(3, 3)).pow(2).sum().backward()
    assert torch.isfinite(p.grad).all()


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        rot.axis_angle_to_matrix(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="rotations"):
        rot.smpl_forward_kinematics(np.zeros((2, 70)), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="both"):
        rot.smpl_forward_kinematics(torch.zeros(2, 72), np.zeros((2, 3)))
