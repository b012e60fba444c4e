"""What the tools our users had did, Rhythm does: the landmark tool's KPT_THR / ADD_VISIBLE / REMOVE_Z,
one GPU job per GPU, and visualizeKeypoints.py's plots."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rhythm.landmarks.stage import LandmarkOptions, finish_channels
from rhythm.landmarks.validate import check_array
from rhythm.pipeline.resources import claim_gpu, visible_gpus

from conftest import AISTPP, REAL_SEQ, run


def _frame(scores) -> np.ndarray:
    """One person (1, 3, 4): x, y, z, score per keypoint."""
    return np.array([[[0.5, 0.5, 0.1, s] for s in scores]], np.float32)


@pytest.mark.parametrize(
    "add_visible,remove_z,channels", [(True, False, 4), (False, False, 3), (True, True, 3), (False, True, 2)]
)
def test_channels_follow_add_visible_and_remove_z(add_visible, remove_z, channels):
    out = finish_channels(_frame([0.9, 0.2, 0.5]), LandmarkOptions(add_visible=add_visible, remove_z=remove_z))
    assert (
        out.shape == (1, 3, channels)
        and LandmarkOptions(add_visible=add_visible, remove_z=remove_z).channels == channels
    )
    assert np.isnan(out[0, 1, :2]).all() and np.isfinite(out[0, [0, 2], :2]).all()  # 0.2 < KPT_THR 0.3
    if add_visible:
        assert out[0, 1, -1] == pytest.approx(0.2)  # the score stays: a reader sees why it is masked
    if not remove_z:
        assert np.isnan(out[0, 1, 2]) and out[0, 0, 2] == pytest.approx(0.1)


def test_kpt_threshold_zero_keeps_everything_and_nobody_stays_nan():
    rows = np.concatenate([_frame([0.9, 0.01, 0.5]), np.full((1, 3, 4), np.nan, np.float32)])
    out = finish_channels(rows, LandmarkOptions(kpt_threshold=0.0))
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


def test_validation_checks_the_shape_and_masking_the_settings_imply():
    masked = finish_channels(_frame([0.9, 0.2, 0.5]), LandmarkOptions())
    errors, _, stats = check_array(masked, num_keypoints=3, channels=4, kpt_threshold=0.3)
    assert errors == [] and stats["masked_keypoints"] == 1
    errors, _, _ = check_array(masked, num_keypoints=3, channels=4, kpt_threshold=0.1)  # 0.2 should not be masked
    assert any("partly NaN beyond KPT_THR 0.1" in e for e in errors)
    errors, _, _ = check_array(masked, num_keypoints=3, channels=3)
    assert any("expected (T, 3, 3)" in e for e in errors)
    no_z = finish_channels(_frame([0.9, 0.2, 0.5]), LandmarkOptions(remove_z=True))
    assert check_array(no_z, num_keypoints=3, channels=3, has_score=True)[0] == []


def test_the_cli_and_config_take_the_old_names(capsys):
    from rhythm.cli import build_parser

    args = build_parser().parse_args(
        ["landmarks", "v.mp4", "--out", "o.npy", "--kpt-thr", "0.5", "--add-visible", "false", "--remove-z"]
    )
    assert (args.kpt_threshold, args.add_visible, args.remove_z) == (0.5, False, True)
    import yaml

    from conftest import ROOT

    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())["properties"]["landmarks"]
    for key, old in (("kpt_threshold", "KPT_THR"), ("add_visible", "ADD_VISIBLE"), ("remove_z", "REMOVE_Z")):
        assert old in schema["properties"][key]["description"]


@pytest.mark.parametrize("env,count", [("0", 1), ("0,1", 2), ("2,3,5", 3), ("", 0), ("-1", 0)])
def test_visible_gpus_from_cuda_visible_devices(monkeypatch, env, count):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", env)
    assert visible_gpus() == count


def test_each_gpu_job_claims_its_own_card(monkeypatch, tmp_path):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("RHYTHM_GPU_LOCKS", str(tmp_path))
    script = (
        "import sys, time; from rhythm.pipeline.resources import claim_gpu\n"
        "with claim_gpu('auto') as d:\n    print(d, flush=True); time.sleep(2)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    devices = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert devices == ["cuda:0", "cuda:1"]
    with claim_gpu("cpu") as d:
        assert d == "cpu"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with claim_gpu("auto") as d:
        assert d == "auto"  # one card: nothing to choose


@pytest.mark.slow
@pytest.mark.workflow
@pytest.mark.parametrize("gpus,overlap", [("0", False), ("0,1", True)])
def test_local_runs_start_one_gpu_job_per_gpu(tmp_path, gpus, overlap):
    """Two gpu=1 jobs under the workflow's own cap (common.smk's cap_local_gpus) with a fake GPU count."""
    (tmp_path / "Snakefile").write_text(
        "from rhythm.pipeline.resources import cap_local_gpus\n"
        "cap_local_gpus(workflow)\n"
        "rule all:\n    input: 'a', 'b'\n"
        "rule gpu_job:\n    output: '{x}'\n    resources: gpu=1\n"
        "    shell: 'date +%s.%N > {output}; sleep 2; date +%s.%N >> {output}'\n"
    )
    run(
        [sys.executable, "-m", "snakemake", "--cores", "4"],
        cwd=tmp_path,
        env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": gpus},
    )
    (a0, a1), (b0, b1) = (np.loadtxt(tmp_path / n) for n in "ab")
    assert (max(a0, b0) < min(a1, b1)) == overlap


@pytest.mark.workflow
def test_the_workflow_caps_gpu_jobs_at_the_visible_gpus(tmp_path):
    from conftest import copy_workflow, snakemake

    wf = copy_workflow(tmp_path / "wf")
    import os

    proc = snakemake(wf, "-n", env={**os.environ, "CUDA_VISIBLE_DEVICES": "0,1,2"})
    assert "3 local GPU(s): at most one GPU job on each" in proc.stderr
    proc = snakemake(wf, "-n", env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert "local GPU" not in proc.stderr  # none: GPU rules run on the CPU, uncapped


def test_inspect_plots_keypoints_as_visualize_keypoints_did(tmp_path):
    import cv2

    for kind in ("keypoints2d", "keypoints3d"):
        out = tmp_path / f"{kind}.png"
        proc = run(["rhythm", "inspect", str(AISTPP / kind / f"{REAL_SEQ}.pkl"), "--plot", str(out), "--frame", "100"])
        assert f"{kind} " in proc.stdout
        img = cv2.imread(str(out))
        assert img is not None and img.shape[0] > 400 and (img < 200).any()  # drawn, not blank
    proc = run(
        [
            "rhythm",
            "inspect",
            str(AISTPP / "keypoints2d" / f"{REAL_SEQ}.pkl"),
            "--plot",
            str(tmp_path / "x.png"),
            "--frame",
            "5000",
        ],
        check=False,
    )
    assert proc.returncode == 2 and "frame 5000 is outside its 720 frames" in proc.stderr
