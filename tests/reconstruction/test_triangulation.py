"""Triangulation: exact on clean synthetic views, robust to a shifted view and to outliers, and
within the required distance of the official AIST++ keypoints3d on the real sequence."""

import json

import numpy as np
import pytest

from rhythm import cli
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.reconstruction.triangulation import (
    TriangulationOptions,
    camera_arrays,
    distance_stats,
    triangulate_dlt,
    triangulate_file,
    triangulate_sequence,
    undistort_keypoints,
)
from rhythm.sources import demo

from conftest import AISTPP, REAL_SEQ


def _synthetic(num_frames=240):
    """Keypoints3d of the demo dancer and their exact projections into nine full-HD cameras."""
    cams = {c.name: c for c in demo.demo_cameras(1920, 1080)}
    motion = demo.dance_motion("gBR_sBM_cAll_d01_mBR0_ch01", num_frames, seed=7)
    _, points = demo.motion_keypoints3d(motion)
    kp2d = np.empty((9, num_frames, 17, 3))
    for v, name in enumerate(aist.CAMERAS):
        kp2d[v, ..., :2] = cams[name].project(points)
        kp2d[v, ..., 2] = 0.9
    return cams, points, kp2d


def _keypoints2d(kp2d):
    n = kp2d.shape[1]
    return aist.Keypoints2D(kp2d.astype(np.float32), np.ones((9, n), np.float32), np.arange(n) * 16667)


def test_clean_views_give_back_the_points():
    cams, points, kp2d = _synthetic()
    result = triangulate_sequence(_keypoints2d(kp2d), cams, TriangulationOptions(optimise=False))
    assert result.report["dropped_views"] == {}
    # float32 pixels are the only error left: ~1e-4 px -> well under a millimetre
    assert np.abs(result.keypoints3d - points).max() < 0.01
    assert result.report["reprojection"]["median_px"] < 0.01


def test_shifted_view_is_dropped_with_its_offset_and_outliers_rejected():
    cams, points, kp2d = _synthetic()
    kp2d[2] = np.roll(kp2d[2], 30, axis=0)  # c03 shows frame t - 30 at frame t: 30 frames late
    rng = np.random.default_rng(0)
    views, frames, joints = rng.integers(0, 9, 300), rng.integers(0, 240, 300), rng.integers(0, 17, 300)
    kp2d[views, frames, joints, :2] += rng.choice([-1, 1], (300, 2)) * rng.uniform(60, 200, (300, 2))
    missing = rng.random(kp2d.shape[:3]) < 0.02  # undetected keypoints, as NaN (not the outliers)
    missing[views, frames, joints] = False
    kp2d[missing] = np.nan
    result = triangulate_sequence(_keypoints2d(kp2d), cams, TriangulationOptions(optimise=True))
    rep = result.report
    print(f"\nsynthetic: dropped {rep['dropped_views']}, outliers rejected {rep['outliers_rejected']}")
    assert list(rep["dropped_views"]) == ["c03"]
    assert rep["dropped_views"]["c03"]["offset_frames"] == 30
    assert rep["dropped_views"]["c03"]["verdict"] == "out of sync by +30 frames"
    assert rep["outliers_rejected"] >= 250  # those in the other eight views, less the few that stayed small
    assert np.median(np.linalg.norm(result.keypoints3d - points, axis=-1)) < 0.01
    assert np.linalg.norm(result.keypoints3d - points, axis=-1).max() < 1.0
    assert np.isfinite(result.keypoints3d_optim).all()
    assert np.median(np.linalg.norm(result.keypoints3d_optim - points, axis=-1)) < 0.3


@pytest.fixture(scope="module")
def real():
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(AISTPP, REAL_SEQ))
    cams = aist.load_cameras(AISTPP, REAL_SEQ)
    return kp2d, cams, triangulate_sequence(kp2d, cams)


def test_naive_dlt_over_all_views_is_off_because_of_c05(real):
    kp2d, cams, _ = real
    cam_list = [cams[c] for c in aist.CAMERAS]
    kp = kp2d.keypoints.astype(np.float64)
    rays = undistort_keypoints(kp[..., :2], cam_list)
    naive = triangulate_dlt(rays, kp[..., 2], camera_arrays(cam_list))
    stats = distance_stats(naive, aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ)))
    print(f"\nnaive weighted DLT, all nine views, vs official keypoints3d: {stats} cm")
    assert stats["median"] > 2.0 and stats["p95"] > 8.0


def test_real_sequence_matches_official_keypoints3d(real):
    _, _, result = real
    rep = result.report
    plain_ref = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ))
    optim_ref = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ), optim=True)
    plain = distance_stats(result.keypoints3d, plain_ref)
    optim = distance_stats(result.keypoints3d_optim, optim_ref)
    print(f"\nreal: dropped {json.dumps(rep['dropped_views'])}")
    print(f"per-view median px: { {v: e['median_px'] for v, e in rep['per_view'].items()} }")
    print(
        f"plain vs keypoints3d {plain} cm; optimised vs keypoints3d_optim {optim} cm; "
        f"optimised vs keypoints3d {distance_stats(result.keypoints3d_optim, plain_ref)} cm; "
        f"timings {rep['timings']}"
    )
    assert list(rep["dropped_views"]) == ["c05"]
    assert rep["dropped_views"]["c05"]["offset_frames"] == 269  # c05 runs 4.5 s ahead of the others
    assert rep["dropped_views"]["c05"]["median_px_at_offset"] < 10
    assert plain["median"] < 0.5 and plain["p95"] < 2.0
    assert optim["median"] < 0.5 and optim["p95"] < 2.0
    # the optimised variant is smoother than the plain one, like the official one
    accel = lambda x: np.median(np.linalg.norm(np.diff(x, 2, axis=0), axis=-1))  # noqa: E731
    assert accel(result.keypoints3d_optim) < accel(result.keypoints3d) / 3
    assert rep["timings"]["triangulate_s"] + rep["timings"]["optimise_s"] < 60


def test_triangulate_cli_writes_aist_pickle_and_report(tmp_path, capsys):
    out, report = tmp_path / "kp3d" / f"{REAL_SEQ}.pkl", tmp_path / "kp3d" / f"{REAL_SEQ}.json"
    ref = aist.keypoints3d_path(AISTPP, REAL_SEQ)
    assert (
        cli.main(
            [
                "triangulate",
                "--anno-dir",
                str(AISTPP),
                "--sequence",
                REAL_SEQ,
                "--out",
                str(out),
                "--report",
                str(report),
                "--reference",
                str(ref),
                "--no-optimise",
            ]
        )
        == 0
    )
    assert "dropped c05: out of sync by +269 frames" in capsys.readouterr().out
    assert aist.load_keypoints3d(out).shape == aist.load_keypoints3d(out, optim=True).shape == (720, 17, 3)
    rep = json.loads(report.read_text())
    assert rep["reference"]["plain_vs_keypoints3d"]["median"] < 0.5
    assert rep["per_view"]["c05"]["used"] is False and rep["per_view"]["c01"]["median_px"] < 5
    # the errors file of the data report gathers it per sequence
    errors = tmp_path / "errors.json"
    assert cli.main(["reconstruction-errors", "--triangulation", str(report), "--out", str(errors)]) == 0
    summary = json.loads(errors.read_text())
    assert summary["summary"]["dropped_views"] == {REAL_SEQ: ["c05"]}
    assert summary["sequences"][REAL_SEQ]["triangulation"]["dropped_views"] == {"c05": "out of sync by +269 frames"}


def test_missing_keypoints_name_the_file(tmp_path):
    with pytest.raises(RhythmInputError, match="keypoints2d/gBR_sBM_cAll_d04_mBR0_ch01.pkl: file not found"):
        triangulate_file(tmp_path, REAL_SEQ, tmp_path / "out.pkl")
    assert not (tmp_path / "out.pkl").exists()
