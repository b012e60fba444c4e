import numpy as np
import pytest

from rhythm.core import aist
from rhythm.motion.poses import PoseOptions, convert_keypoints3d, pose_npy

from conftest import AISTPP, REAL_SEQ


def test_default_pose_equals_keypoints3d(tmp_path):
    pkl = aist.keypoints3d_path(AISTPP, REAL_SEQ)
    arr = pose_npy(pkl, tmp_path / "p.npy")
    loaded = np.load(tmp_path / "p.npy")
    assert loaded.shape == (720, 17, 3) and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, aist.load_keypoints3d(pkl).astype(np.float32))
    assert np.array_equal(arr, loaded)


def test_pose_options():
    kp = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ), optim=True)
    m = convert_keypoints3d(kp, PoseOptions(units="m", center=True, fps=30))
    assert m.shape == (360, 17, 3)
    np.testing.assert_allclose(m[:, 11:13].mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(m[1, 0] - m[1, 11:13].mean(0), (kp[2, 0] - kp[2, 11:13].mean(0)) / 100, rtol=1e-5)
    plain = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ))
    smooth = convert_keypoints3d(plain, PoseOptions(smooth_sigma=2))
    assert np.abs(np.diff(smooth, 2, axis=0)).mean() < np.abs(np.diff(plain, 2, axis=0)).mean() / 3
    with pytest.raises(ValueError):
        convert_keypoints3d(kp, PoseOptions(units="inch"))
