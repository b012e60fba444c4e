import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError

from conftest import AISTPP, REAL_SEQ


def test_parse_video_and_sequence_names():
    name = aist.parse_name("gBR_sBM_c01_d04_mBR0_ch01")
    assert (name.genre, name.situation, name.camera, name.dancer, name.music, name.choreo) == (
        "gBR",
        "sBM",
        "c01",
        "d04",
        "mBR0",
        "ch01",
    )
    assert not name.is_sequence
    assert name.sequence == "gBR_sBM_cAll_d04_mBR0_ch01"
    assert aist.parse_name(name.sequence).is_sequence
    assert name.genre_name == "Break"
    assert aist.parse_name("gWA_sFM_c07_d27_mWA2_ch21.mp4").camera == "c07"
    assert aist.video_names(REAL_SEQ, ["c01", "c09"]) == ["gBR_sBM_c01_d04_mBR0_ch01", "gBR_sBM_c09_d04_mBR0_ch01"]


@pytest.mark.parametrize(
    "bad",
    [
        "gXX_sBM_c01_d04_mXX0_ch01",  # unknown genre
        "gBR_sZZ_c01_d04_mBR0_ch01",  # unknown situation
        "gBR_sBM_c10_d04_mBR0_ch01",  # camera out of range
        "gBR_sBM_c01_d04_mPO0_ch01",  # music of another genre
        "gBR_sBM_c01_d04_mBR0",  # truncated
        "",
    ],
)
def test_parse_rejects_bad_names(bad):
    with pytest.raises(ValueError):
        aist.parse_name(bad)


def test_music_bpm():
    assert aist.music_bpm("mBR0") == 80
    assert aist.music_bpm("mLH4") == 120
    assert aist.music_bpm("mJB5") == 130
    assert aist.music_bpm("mHO0") == 110
    assert aist.music_bpm("mHO5") == 135
    with pytest.raises(ValueError):
        aist.music_bpm("mBR6")
    with pytest.raises(ValueError):
        aist.music_bpm("mXX1")


def test_real_keypoints2d():
    kp = aist.load_keypoints2d(aist.keypoints2d_path(AISTPP, REAL_SEQ))
    assert kp.keypoints.shape == (9, 720, 17, 3)
    assert kp.det_scores.shape == (9, 720)
    assert kp.timestamps[1] == 16667 and kp.timestamps.dtype == np.int64
    assert kp.view("c01").shape == (720, 17, 3)


def test_real_keypoints3d_plain_and_optim():
    plain = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ))
    optim = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ), optim=True)
    assert plain.shape == optim.shape == (720, 17, 3)
    assert not np.allclose(plain, optim)
    # centimetres, y up: the nose is well above the ankles
    assert (plain[:, 0, 1] - plain[:, 15, 1]).mean() > 100


def test_real_cameras_project_keypoints3d_onto_keypoints2d():
    cams = aist.load_cameras(AISTPP, "gBR_sBM_c01_d04_mBR0_ch01")
    assert sorted(cams) == list(aist.CAMERAS)
    assert cams["c01"].size == (1920, 1080)
    kp3d = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ), optim=True)
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(AISTPP, REAL_SEQ))
    err = {c: np.median(np.linalg.norm(cams[c].project(kp3d) - kp2d.view(c)[..., :2], axis=-1)) for c in cams}
    assert err["c01"] < 10
    assert err["c05"] > 40  # the known unsynced view


def test_real_splits_and_ignore_list_tolerate_whitespace():
    train = aist.load_split(AISTPP, "crossmodal_train")
    test = aist.load_split(AISTPP, "crossmodal_test")
    ignored = aist.load_ignore_list(AISTPP)
    assert (len(train), len(test), len(ignored)) == (980, 20, 45)
    assert all(n == n.strip() for n in train + test)
    assert len(set(train) & ignored) == 28


def test_name_list_strips_suffixes_blank_lines_and_spaces(tmp_path):
    p = tmp_path / "ignore_list.txt"
    p.write_text("gBR_sBM_cAll_d04_mBR0_ch01.json \n\n  gPO_sBM_cAll_d10_mPO1_ch02\t\n\n")
    assert aist.read_name_list(p) == ["gBR_sBM_cAll_d04_mBR0_ch01", "gPO_sBM_cAll_d10_mPO1_ch02"]


def test_bad_split_line_names_file_and_line(tmp_path):
    p = tmp_path / "pose_train.txt"
    p.write_text("gBR_sBM_cAll_d04_mBR0_ch01\nnot-a-name\n")
    with pytest.raises(RhythmInputError, match=r"pose_train.txt: line 2"):
        aist.read_name_list(p)


def test_missing_split_names_the_file(tmp_path):
    with pytest.raises(RhythmInputError, match=r"splits/pose_val.txt: list file not found"):
        aist.load_split(tmp_path, "pose_val")


def test_corrupt_pickle_names_the_file(tmp_path):
    p = tmp_path / "keypoints3d" / f"{REAL_SEQ}.pkl"
    p.parent.mkdir()
    p.write_bytes((AISTPP / "keypoints3d" / f"{REAL_SEQ}.pkl").read_bytes()[:500])
    with pytest.raises(RhythmInputError, match=r"keypoints3d/gBR_sBM_cAll_d04_mBR0_ch01.pkl: not a readable pickle"):
        aist.load_keypoints3d(p)


def test_wrong_shape_is_reported(tmp_path):
    from rhythm.core.io import write_pickle

    p = tmp_path / "k.pkl"
    write_pickle(p, {"keypoints3d": np.zeros((10, 16, 3))})
    with pytest.raises(RhythmInputError, match=r"shape \(10, 16, 3\), expected \(N, 17, 3\)"):
        aist.load_keypoints3d(p)


def test_motion_loader_on_real_smpl_sample(shared):
    m = aist.load_motion(shared / "motion" / "smpl_sample.pkl")
    assert m.poses.shape == (127, 72) and m.trans.shape == (127, 3)
    assert m.scaling == 1.0  # this sample is already divided by the scale
