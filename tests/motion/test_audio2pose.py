"""Music features, SMPL joints, the Audio2Pose layout and loader, the training dataset."""

import os

import numpy as np
import pytest

from rhythm.audio.features import FEATURE_NAMES, audio_features, features_for_file
from rhythm.audio.wav import extract_wav
from rhythm.core import aist
from rhythm.core.io import write_json
from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PARENTS, SMPL_PELVIS_REST
from rhythm.motion.audio2pose import load_single_sample, write_audio2pose_layout
from rhythm.motion.poses import pose_npy, smpl_joints, smpl_npy, smpl_params
from rhythm.pipeline.selection import Selection, select_sequences
from rhythm.sources import demo

from conftest import AISTPP


@pytest.fixture(scope="module")
def prepared(demo_source, tmp_path_factory):
    """A results folder with poses, WAVs, beats and features for the demo, made by the library."""
    res = tmp_path_factory.mktemp("results")
    anno = demo_source / "annotations"
    for seq in demo.DEMO_SEQUENCES:
        pose_npy(aist.keypoints3d_path(anno, seq), res / "poses" / f"{seq}.npy")
        smpl_npy(aist.motion_path(anno, seq), res / "smpl" / f"{seq}.joints.npy")
    for music in demo.DemoRecipe().music():
        video = next((demo_source / "videos").glob(f"*_{music}_*.mp4"))
        extract_wav(video, res / "audio" / f"{music}.wav")
        write_json(res / "beats" / f"{music}.json", {"music": music})
        for fps in (60, 30):
            features_for_file(res / "audio" / f"{music}.wav", res / "features" / f"{fps}fps" / f"{music}.npy", fps)
    return res


def test_features_have_35_dims_and_motion_frame_count(prepared):
    for fps, n in ((60, 300), (30, 150)):
        feats = np.load(prepared / "features" / f"{fps}fps" / "mBR3.npy")
        assert feats.shape == (n, 35) == (n, len(FEATURE_NAMES)) and feats.dtype == np.float32
        beats = np.flatnonzero(feats[:, -1])
        period = 60 / 110 * fps
        phase = (beats - demo.MUSIC_OFFSET_S * fps) / period
        assert len(beats) >= 7 and np.abs(phase - phase.round()).max() < 0.15  # one-hot on the kicks
        assert set(np.unique(feats[:, -2])) <= {0.0, 1.0}


def test_feature_frames_follow_duration():
    sr = 22050
    wav = np.random.default_rng(0).normal(0, 0.1, int(sr * 2.51)).astype(np.float32)
    assert audio_features(wav, sr, 60, prior_bpm=120).shape == (150, 35)  # floor(2.51 * 60)
    assert audio_features(wav, sr, 30, prior_bpm=120).shape == (75, 35)


def test_smpl_joints_of_real_sample_keep_bone_lengths(shared, tmp_path):
    joints = smpl_npy(shared / "motion" / "smpl_sample.pkl", tmp_path / "j.npy", tmp_path / "p.npy")
    assert joints.shape == (127, 24, 3) and np.load(tmp_path / "p.npy").shape == (127, 75)
    for j, parent in enumerate(SMPL_PARENTS):
        if parent >= 0:
            length = np.linalg.norm(joints[:, j] - joints[:, parent], axis=-1)
            np.testing.assert_allclose(length, np.linalg.norm(SMPL_OFFSETS[j]), rtol=1e-4)
    motion = aist.load_motion(shared / "motion" / "smpl_sample.pkl")
    # the SMPL convention: the pelvis is the translation plus the rest pelvis J0 (times the scaling, 1 here)
    np.testing.assert_allclose(joints[:, 0], motion.trans + SMPL_PELVIS_REST * motion.scaling, atol=1e-5)
    np.testing.assert_allclose(smpl_params(motion)[:, 3:], motion.poses, atol=1e-6)


def test_smpl_joints_match_demo_keypoints(demo_source):
    anno = demo_source / "annotations"
    seq = demo.DEMO_SEQUENCES[3]
    joints = smpl_joints(aist.load_motion(aist.motion_path(anno, seq)))
    kp = aist.load_keypoints3d(aist.keypoints3d_path(anno, seq), optim=True)
    np.testing.assert_allclose(joints[:, [20, 21]], kp[:, [9, 10]], atol=0.05)  # wrists, cm


def test_audio2pose_layout_links_and_loader(prepared, tmp_path):
    seqs = list(demo.DEMO_SEQUENCES[:3])
    out = tmp_path / "a2p"
    index = write_audio2pose_layout(prepared, seqs, out)
    assert [s["id"] for s in index["samples"]][0] == "gBR_sBM_c01_d01_mBR0_ch01"
    wav_link = out / "audio" / "gBR_sBM_c01_d02_mBR0_ch02.wav"
    assert wav_link.is_symlink() and os.path.samefile(wav_link, prepared / "audio" / "mBR0.wav")
    for root in (out, prepared):
        pose, (wav, sr) = load_single_sample("gBR_sBM_c01_d01_mBR0_ch01", root)
        assert pose.shape == (300, 17, 3) and sr == 16000 and wav.shape == (80000,)
    np.testing.assert_array_equal(pose, np.load(prepared / "poses" / "gBR_sBM_cAll_d01_mBR0_ch01.npy"))


def test_training_windows_are_aligned(prepared, demo_source):
    from rhythm.motion.windows import DanceWindows, WindowSpec, split_sequences

    anno = demo_source / "annotations"
    train = split_sequences(anno, "train")
    assert "gPO_sBM_cAll_d02_mPO1_ch02" not in train and len(train) == 3  # minus the ignore list
    assert split_sequences(anno, "test") == ["gPO_sBM_cAll_d03_mPO4_ch01", "gPO_sBM_cAll_d04_mPO4_ch02"]
    ds = DanceWindows(prepared, train, WindowSpec(length=60, stride=30, fps=30))
    assert len(ds) == 3 * 4  # 150 frames at 30 fps: windows start at 0, 30, 60, 90
    item = ds[5]
    assert item["motion"].shape == (60, 51) and item["music"].shape == (60, 35)
    feats = np.load(prepared / "features" / "30fps" / f"{aist.parse_name(item['sequence']).music}.npy")
    np.testing.assert_array_equal(item["music"].numpy(), feats[item["start"] : item["start"] + 60])
    pose = np.load(prepared / "poses" / f"{item['sequence']}.npy")[::2] / 100
    expected = pose[item["start"] : item["start"] + 60]
    expected = expected - expected[:1, [11, 12]].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(item["motion"].numpy().reshape(60, 17, 3), expected, atol=1e-5)
    smpl = DanceWindows(prepared, train, WindowSpec(length=60, stride=60, fps=60), motion="smpl")
    assert smpl[0]["motion"].shape == (60, 72)


def test_genre_filter_on_real_split_lists():
    sel = Selection(splits=["crossmodal_train", "crossmodal_test"], genres=["gLH"])
    chosen = select_sequences(AISTPP, sel)
    names = chosen["crossmodal_train"] + chosen["crossmodal_test"]
    assert names and all(n.startswith("gLH_") for n in names)
    ignored = aist.load_ignore_list(AISTPP)
    expected = [
        n
        for s in ("crossmodal_train", "crossmodal_test")
        for n in aist.load_split(AISTPP, s)
        if n.startswith("gLH_") and n not in ignored
    ]
    assert names == expected
