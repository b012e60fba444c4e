"""SMPL in the official convention (rhythm.core.skeleton): checked on a genuine AIST++ motion.

../shared/data/aistpp_smpl holds gBR_sBM_cAll_d06_mBR2_ch06's official SMPL motion, keypoints3d,
keypoints2d and camera settings. The pelvis sits at smpl_trans + J0 * smpl_scaling: forward
kinematics that put it at smpl_trans land 22 cm from the official keypoints.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.skeleton import _COCO_FROM_SMPL, SMPL_PELVIS_REST, forward_kinematics, smpl_joints, smpl_translation
from rhythm.sources import demo

from conftest import SHARED

SMPL_TREE = SHARED / "aistpp_smpl"
SEQ = "gBR_sBM_cAll_d06_mBR2_ch06"
BODY_COCO = sorted(_COCO_FROM_SMPL)  # hips, knees, ankles, shoulders, elbows, wrists
BODY_SMPL = [_COCO_FROM_SMPL[c] for c in BODY_COCO]


@pytest.fixture(scope="module")
def official():
    return (
        aist.load_motion(aist.motion_path(SMPL_TREE, SEQ)),
        aist.load_keypoints3d(aist.keypoints3d_path(SMPL_TREE, SEQ), optim=True),
    )


def test_forward_kinematics_of_the_official_motion_lands_on_its_keypoints(official):
    motion, kp = official
    joints = smpl_joints(motion.poses, motion.trans, motion.scaling)
    err = np.linalg.norm(joints[:, BODY_SMPL] - kp[:, BODY_COCO], axis=-1)
    print(
        f"\nofficial FK vs keypoints3d_optim: median {np.median(err):.2f} cm over the 12 body joints, "
        f"per joint {np.round(np.median(err, axis=0), 2)}"
    )
    assert np.median(err) < 1.5
    assert motion.scaling == pytest.approx(90.78, abs=0.01)
    # the pelvis at smpl_trans (the old reading) is 22 cm off, mostly along y
    at_trans = forward_kinematics(motion.poses, motion.trans / motion.scaling) * motion.scaling
    old = np.linalg.norm(at_trans[:, BODY_SMPL] - kp[:, BODY_COCO], axis=-1)
    assert 20 < np.median(old) < 25
    np.testing.assert_allclose(joints[:, 0] - motion.trans, np.tile(SMPL_PELVIS_REST * motion.scaling, (len(kp), 1)))


def test_fit_smpl_gives_back_the_official_motion(official, tmp_path):
    from rhythm import cli

    motion, _ = official
    out = tmp_path / "fit.pkl"
    assert (
        cli.main(
            ["fit-smpl", "--keypoints3d", str(aist.keypoints3d_path(SMPL_TREE, SEQ)), "--optim", "--out", str(out)]
        )
        == 0
    )
    fit = aist.load_motion(out)
    trans = np.linalg.norm(fit.trans - motion.trans, axis=-1)
    joints = np.linalg.norm(
        smpl_joints(fit.poses, fit.trans, fit.scaling) - smpl_joints(motion.poses, motion.trans, motion.scaling),
        axis=-1,
    )
    print(
        f"\nfit-smpl vs the official motion: smpl_trans median {np.median(trans):.2f} cm, joints median "
        f"{np.median(joints):.2f} cm (all 24), scaling {fit.scaling:.2f} (official {motion.scaling:.2f})"
    )
    assert np.median(trans) < 3.0 and np.median(joints) < 2.0
    assert fit.scaling == pytest.approx(motion.scaling, rel=0.01)


def test_translation_and_joints_are_inverse():
    pelvis = np.array([[10.0, 95.0, -3.0]])
    trans = smpl_translation(pelvis, scaling=90.0)
    np.testing.assert_allclose(smpl_joints(np.zeros((1, 72)), trans, 90.0)[:, 0], pelvis)


def test_the_demo_dancer_follows_the_convention(demo_source):
    """motions/*.pkl put the demo's pelvis where its keypoints3d have it: trans is the pelvis minus J0."""
    anno = demo_source / "annotations"
    seq = demo.DEMO_SEQUENCES[0]
    motion = aist.load_motion(aist.motion_path(anno, seq))
    kp = aist.load_keypoints3d(aist.keypoints3d_path(anno, seq), optim=True)
    joints = smpl_joints(motion.poses, motion.trans, motion.scaling)
    assert np.abs(joints[:, BODY_SMPL] - kp[:, BODY_COCO]).max() < 0.05  # float32 pickles
    ankle_height = joints[:, [7, 8], 1].min(axis=1)
    np.testing.assert_allclose(ankle_height, 8.0, atol=0.01)  # the dancer's lower ankle 8 cm above the floor


def test_smpl_joints_project_onto_the_real_keypoints2d():
    """The AIST++ API's SMPL view: the official motion through camera c01 lands on c01's 2D keypoints."""
    from rhythm.video.overlays import overlay_keypoints

    pix = overlay_keypoints(SMPL_TREE, str(aist.parse_name(SEQ).with_camera("c01")), "smpl")
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(SMPL_TREE, SEQ)).view("c01")
    ok = kp2d[:, BODY_COCO, 2] > 0.5
    err = np.linalg.norm(pix[:, BODY_SMPL, :2] - kp2d[:, BODY_COCO, :2], axis=-1)[ok]
    print(f"\nSMPL joints through c01 vs keypoints2d: median {np.median(err):.1f} px")
    assert pix.shape == (576, 24, 3) and np.median(err) < 12


def test_smpl_overlay_draws_on_the_dancer(demo_source, tmp_path):
    import cv2

    from rhythm.core.skeleton import SMPL_BONES
    from rhythm.video.frames import extract_for_video
    from rhythm.video.overlays import OverlayOptions, overlay_keypoints, render_overlays

    video = "gBR_sBM_c02_d01_mBR0_ch01"
    frames = tmp_path / "frames"
    extract_for_video(demo_source / "videos" / f"{video}.mp4", demo_source / "annotations", frames)
    result = render_overlays(
        frames,
        demo_source / "annotations",
        tmp_path / "ov",
        OverlayOptions(mode="smpl", limit=4, video=False),
        progress=False,
    )
    assert result["pngs"] == 4 and result["outside_fraction"] == 0.0
    joints = overlay_keypoints(demo_source / "annotations", video, "smpl")
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(demo_source / "annotations", aist.sequence_name(video)))
    assert np.median(np.linalg.norm(joints[:, BODY_SMPL, :2] - kp2d.view("c02")[:, BODY_COCO, :2], axis=-1)) < 2.0
    changed = (
        np.abs(
            cv2.imread(str(tmp_path / "ov/000003.png")).astype(int) - cv2.imread(str(frames / "000003.jpg")).astype(int)
        ).sum(axis=2)
        > 90
    )
    ys, xs = np.nonzero(changed)
    pts = np.stack([xs, ys], axis=1).astype(float)
    best = np.full(len(pts), np.inf)
    for a, b in SMPL_BONES:
        p, q = joints[3, a, :2], joints[3, b, :2]
        t = np.clip(((pts - p) @ (q - p)) / max((q - p) @ (q - p), 1e-9), 0, 1)
        best = np.minimum(best, np.linalg.norm(pts - (p + t[:, None] * (q - p)), axis=1))
    assert len(pts) > 100 and (best <= 5).mean() > 0.9  # what was drawn is the SMPL skeleton, where it is


def synthetic_smpl_model(path) -> None:
    """An SMPL model file smplx loads (no licensed data): 6,890 vertices in 24 clusters at the public rest
    skeleton's joints (pelvis at J0), each cluster skinned to its joint, no shape or pose blend shapes."""
    import pickle

    from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PARENTS

    rest = np.zeros((24, 3))
    rest[0] = SMPL_PELVIS_REST
    for j in range(1, 24):
        rest[j] = rest[SMPL_PARENTS[j]] + SMPL_OFFSETS[j]
    owner = np.arange(6890) % 24
    rng = np.random.default_rng(0)
    offsets = rng.normal(0, 0.01, (6890, 3))
    offsets -= np.stack([offsets[owner == j].mean(axis=0) for j in range(24)])[owner]  # clusters centred on joints
    regressor = np.zeros((24, 6890))
    regressor[owner, np.arange(6890)] = 1.0 / np.bincount(owner)[owner]
    weights = np.zeros((6890, 24))
    weights[np.arange(6890), owner] = 1.0
    with open(path, "wb") as fh:
        pickle.dump(
            {
                "v_template": rest[owner] + offsets,
                "shapedirs": np.zeros((6890, 3, 10)),
                "posedirs": np.zeros((6890, 3, 207)),
                "J_regressor": regressor,
                "weights": weights,
                "kintree_table": np.stack([np.r_[4294967295, SMPL_PARENTS[1:]], np.arange(24)]),
                "f": np.stack([np.arange(0, 6888, 3), np.arange(1, 6889, 3), np.arange(2, 6890, 3)], 1),
            },
            fh,
        )


def test_the_convention_is_smpls_own(official, tmp_path):
    """smplx (SMPL's reference implementation) on a model whose pelvis rests at J0 puts the joints where
    rhythm.core.skeleton.smpl_joints does: joints = scaling * SMPL(poses, transl = trans / scaling)."""
    import smplx
    import torch

    motion, _ = official
    synthetic_smpl_model(tmp_path / "SMPL_NEUTRAL.pkl")
    model = smplx.create(str(tmp_path / "SMPL_NEUTRAL.pkl"), model_type="smpl", batch_size=60)
    poses = torch.as_tensor(motion.poses[:60], dtype=torch.float32)
    with torch.no_grad():
        out = model(
            global_orient=poses[:, :3],
            body_pose=poses[:, 3:],
            transl=torch.as_tensor(motion.trans[:60] / motion.scaling, dtype=torch.float32),
        )
    ours = smpl_joints(motion.poses[:60], motion.trans[:60], motion.scaling)
    np.testing.assert_allclose(out.joints[:, :24].numpy() * motion.scaling, ours, atol=0.01)  # cm, float32


def test_the_smpl_overlay_draws_the_mesh_with_smplx(demo_source, tmp_path):
    """--smpl-model: the mesh's vertices (here the synthetic model's clusters) drawn around the joints."""
    from rhythm import cli
    from rhythm.video.frames import extract_for_video
    from rhythm.video.overlays import smpl_mesh_pixels, smpl_pixels

    synthetic_smpl_model(tmp_path / "SMPL_NEUTRAL.pkl")
    video = "gBR_sBM_c01_d01_mBR0_ch01"
    anno = demo_source / "annotations"
    camera = aist.load_cameras(anno, aist.sequence_name(video))["c01"]
    motions = aist.motion_path(anno, aist.sequence_name(video))
    mesh = smpl_mesh_pixels(motions, camera, tmp_path / "SMPL_NEUTRAL.pkl")
    joints = smpl_pixels(motions, camera)
    owner = np.arange(6890) % 24
    assert mesh.shape == (300, 6890, 2)
    assert np.median(np.linalg.norm(mesh - joints[:, owner, :2], axis=-1)) < 2.0  # px: each cluster at its joint
    extract_for_video(demo_source / "videos" / f"{video}.mp4", anno, tmp_path / "frames")
    assert (
        cli.main(
            [
                "overlay",
                str(tmp_path / "frames"),
                "--anno-dir",
                str(anno),
                "--out",
                str(tmp_path / "ov"),
                "--mode",
                "smpl",
                "--smpl-model",
                str(tmp_path / "SMPL_NEUTRAL.pkl"),
                "--limit",
                "2",
                "--no-video",
            ]
        )
        == 0
    )
    assert (tmp_path / "ov" / "000001.png").is_file()
