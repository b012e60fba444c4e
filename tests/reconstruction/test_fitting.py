"""SMPL skeleton fitting: the demo's known rotations come back from its keypoints, the real
keypoints3d are fitted within a few centimetres, and the motions pickle reads back as fitted."""

import json
import sys
import types

import numpy as np
import pytest

from rhythm import cli
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PARENTS, SMPL_PELVIS_REST
from rhythm.motion.poses import smpl_joints
from rhythm.reconstruction import fitting

from conftest import AISTPP, REAL_SEQ

DEMO_SEQ = "gBR_sBM_cAll_d01_mBR0_ch01"
FEET = [10, 11]  # their rotation (the ankles') moves no COCO keypoint: fitted as zero


def test_demo_motion_is_recovered_from_its_keypoints(demo_source, tmp_path, capsys):
    anno = demo_source / "annotations"
    out, report = tmp_path / f"{DEMO_SEQ}.pkl", tmp_path / f"{DEMO_SEQ}.json"
    assert (
        cli.main(
            [
                "fit-smpl",
                "--keypoints3d",
                str(aist.keypoints3d_path(anno, DEMO_SEQ)),
                "--optim",
                "--out",
                str(out),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    print("\n" + capsys.readouterr().out.strip())
    truth = aist.load_motion(aist.motion_path(anno, DEMO_SEQ))
    fitted = aist.load_motion(out)
    err = np.linalg.norm(smpl_joints(fitted) - smpl_joints(truth), axis=-1)
    seen = np.delete(err, FEET, axis=1)
    rep = json.loads(report.read_text())
    print(
        f"demo: SMPL joints vs the true motion: mean {seen.mean():.3f} cm, worst joint mean "
        f"{seen.mean(0).max():.3f} cm (feet {err[:, FEET].mean():.2f} cm); keypoints {rep['mpjpe_body']} cm; "
        f"scaling {fitted.scaling:.3f} (true {truth.scaling:.0f})"
    )
    assert "seconds" not in rep  # run times go to the log; the report depends only on its inputs
    assert fitted.poses.shape == (len(truth.poses), 72) and fitted.trans.shape == (len(truth.poses), 3)
    assert fitted.scaling == pytest.approx(truth.scaling, rel=0.005)
    assert rep["mpjpe_body"] < 0.2
    assert seen.mean() < 0.5 and seen.mean(0).max() < 1.5
    assert err[:, FEET].mean() < 6.0  # the demo bends its ankles; COCO cannot see that
    np.testing.assert_allclose(fitted.trans[:, 1], truth.trans[:, 1], atol=1.0)  # cm, pelvis height


@pytest.mark.parametrize("optim", [False, True])
def test_real_keypoints3d_are_fitted_within_centimetres(tmp_path, optim):
    source = aist.keypoints3d_path(AISTPP, REAL_SEQ)
    fit = fitting.fit_file(source, tmp_path / "motion.pkl", optim=optim)
    rep = fit.report
    print(
        f"\nreal {rep['source_key']}: body MPJPE {rep['mpjpe_body']} cm (p95 {rep['p95_body']}), face "
        f"{rep['mpjpe_face']} cm, scaling {rep['scaling']}, per joint {rep['per_joint']}, {rep['seconds']} s"
    )
    motion = aist.load_motion(tmp_path / "motion.pkl")
    assert motion.poses.shape == (720, 72) and motion.trans.shape == (720, 3)
    assert motion.loss == pytest.approx(rep["mpjpe_body"])
    # the AIST++ convention: joints = FK(poses, trans / scaling) * scaling gives back the fit
    np.testing.assert_allclose(smpl_joints(motion), fit.joints, atol=1e-3)
    assert 85 < rep["scaling"] < 100  # a dancer a little smaller than SMPL's neutral template
    assert rep["mpjpe_body"] < 3.0 and rep["p95_body"] < 7.0
    # COCO's hip keypoints sit wider than SMPL's hip joints: they are the worst, the rest fit closer
    assert max(rep["per_joint"], key=rep["per_joint"].get) in ("left_hip", "right_hip")
    assert max(v for k, v in rep["per_joint"].items() if "hip" not in k) < 2.5
    # temporally smooth: frame-to-frame joint rotation changes stay small
    steps = np.linalg.norm(np.diff(motion.poses.reshape(720, 24, 3), axis=0), axis=-1)
    assert np.percentile(steps, 99) < 0.35


def _fake_smplx(root):
    """A stand-in for the smplx package whose 'model' has the public offsets and a pelvis at ``root``."""
    rest = np.zeros((24, 3))
    for j in range(1, 24):
        rest[j] = rest[SMPL_PARENTS[j]] + SMPL_OFFSETS[j]
    rest += root

    def create(path, model_type, gender):
        assert model_type == "smpl"
        return types.SimpleNamespace(
            v_template=rest,
            J_regressor=np.eye(24),
            shapedirs=np.zeros((24, 3, 10)),
            parents=np.r_[-1, SMPL_PARENTS[1:]],
        )

    return types.SimpleNamespace(create=create)


def test_smpl_model_path_is_optional_and_moves_trans_by_the_rest_pelvis(tmp_path, monkeypatch):
    model = tmp_path / "models"
    model.mkdir()
    monkeypatch.setitem(sys.modules, "smplx", None)  # as if not installed
    with pytest.raises(RhythmInputError, match="pip install smplx"):
        fitting.skeleton_from_smpl_model(model)
    root = np.array([0.002, -0.22, 0.03])
    monkeypatch.setitem(sys.modules, "smplx", _fake_smplx(root))
    skeleton = fitting.skeleton_from_smpl_model(model)
    np.testing.assert_allclose(skeleton.offsets, SMPL_OFFSETS, atol=1e-12)
    np.testing.assert_allclose(skeleton.root, root)
    kp = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ))[:60]
    public = fitting.fit_skeleton(kp)
    model_fit = fitting.fit_skeleton(kp, skeleton)
    # both put the pelvis at smpl_trans + rest pelvis * scaling: the public skeleton's rest pelvis is J0
    np.testing.assert_allclose(model_fit.trans, public.trans + (SMPL_PELVIS_REST - root) * public.scaling, atol=1e-6)


def test_fit_smpl_errors_name_the_file(tmp_path):
    bad = tmp_path / "kp.pkl"
    with pytest.raises(RhythmInputError, match="kp.pkl: file not found"):
        fitting.fit_file(bad, tmp_path / "out.pkl")
    assert cli.main(["fit-smpl", "--keypoints3d", str(bad), "--out", str(tmp_path / "out.pkl")]) == 2
