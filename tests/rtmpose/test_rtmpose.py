"""RTMPose fine-tuned on the demo's COCO sets with MMPose's runner: the tiny run of the demo config
(RTMPose-t, 3 epochs of 10 iterations, from scratch: no weights can be downloaded here), its
evaluation checked against pycocotools, inference, resuming after SIGKILL, and planning."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import signal
import subprocess
import time

import numpy as np
import pytest
import yaml

from rhythm.pipeline.config import load_config
from rhythm.rtmpose.evaluate import pck

from conftest import copy_workflow, run, snakemake

pytestmark = [pytest.mark.openmmlab, pytest.mark.slow]

TINY = ["--size", "t", "--epochs", "3", "--batch-size", "8", "--max-images", "80", "--lr", "0.001"]
TINY += ["--warmup-iters", "5", "--val-interval", "1", "--workers", "0", "--device", "cpu"]


@pytest.fixture(scope="module")
def rtmpose_run(tmp_path_factory):
    """The demo workflow's RTMPose targets and data report, built by the real Snakemake (the demo
    config's tiny run; the dance model and the reconstruction are left out: not under test here)."""
    wf = copy_workflow(tmp_path_factory.mktemp("rtmpose_wf"))
    config = load_config(wf / "config/config.yaml")
    config["model"]["enabled"] = config["reconstruction"]["enabled"] = False
    (wf / "config/rtmpose.yaml").write_text(yaml.safe_dump(config))
    targets = ["results/demo/rtmpose/demo/metrics.json", "results/demo/reports/data_report.txt"]
    start = time.time()
    snakemake(wf, *targets, "--configfile", "config/rtmpose.yaml")
    return wf, time.time() - start


def test_the_tiny_run_learns_and_records_everything(rtmpose_run):
    wf, _ = rtmpose_run
    out = wf / "results/demo/rtmpose/demo"
    for name in ("checkpoints/best.pth", "checkpoints/last.pth", "config.py", "curve.png", "scalars.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["iterations"] == 30 and summary["train_images"] == 80 and summary["started_from"] == "scratch"
    scalars = json.loads((out / "scalars.json").read_text())
    losses = [r["loss"] for r in scalars if "loss" in r]
    assert len(losses) == 6 and losses[-1] < losses[0]  # the loss falls over the 30 iterations
    assert len([r for r in scalars if "coco/AP" in r]) == 3  # validated after every epoch
    config = (out / "config.py").read_text()
    assert "CocoMetric" in config and "load_from = None" in config and "init_cfg=None" in config


def test_metrics_equal_pycocotools_on_the_saved_predictions(rtmpose_run, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from rhythm.rtmpose.config import split_files

    wf, _ = rtmpose_run
    out = wf / "results/demo/rtmpose/demo"
    metrics = json.loads((out / "metrics.json").read_text())
    predictions = json.loads((out / "predictions.json").read_text())
    gt_file = split_files(wf / "results/demo/rtmpose_dataset", tmp_path, 80)["test"][0]  # the run's 80 test images
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_file))
        ev = COCOeval(gt, gt.loadRes(predictions), "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    fine = metrics["fine_tuned"]
    assert metrics["test_images"] == len(predictions) == 80
    ours = [fine["AP"], fine["AP .5"], fine["AP .75"], fine["AR"]]
    np.testing.assert_allclose(ours, ev.stats[[0, 1, 2, 5]], atol=1e-6)
    assert fine["PCK@0.05"] == pytest.approx(pck(predictions, json.loads(gt_file.read_text())), abs=1e-6)
    assert metrics["pretrained"] is None and "rhythm models fetch --only rtmpose-t" in metrics["pretrained_note"]
    report = (wf / "results/demo/reports/data_report.txt").read_text()
    assert f"RTMPose (RTMPose-t 256x192, from scratch): test AP {fine['AP']:.3f}" in report


def test_pck_counts_keypoints_within_five_percent_of_the_box():
    gt = {"annotations": [{"image_id": 1, "bbox": [0, 0, 100, 50], "keypoints": [10, 10, 2, 20, 20, 2, 0, 0, 0]}]}
    pred = [{"image_id": 1, "score": 0.9, "keypoints": [14, 10, 1, 30, 20, 1, 5, 5, 1]}]
    assert pck(pred, gt) == 0.5  # 4 px < 5 px; 10 px > 5 px; the unlabelled one does not count
    worse = pred + [{"image_id": 1, "score": 0.1, "keypoints": [10, 10, 1, 20, 20, 1, 0, 0, 1]}]
    assert pck(worse, gt) == 0.5  # the best-scoring prediction of the image is the one judged


def test_inference_writes_aist_keypoints2d(rtmpose_run, tmp_path):
    wf, _ = rtmpose_run
    out = wf / "results/demo/rtmpose/demo"
    coco = wf / "results/demo/rtmpose_dataset/test/annotations/test.json"
    video = json.loads(coco.read_text())["images"][0]["file_name"].rsplit("_", 1)[0]
    proc = run(["rhythm", "rtmpose-infer", "--checkpoint", str(out / "checkpoints/best.pth"), "--config",
                str(out / "config.py"), "--frames", str(wf / "results/demo/frames" / video), "--boxes", str(coco),
                "--out", str(tmp_path / "kp.pkl"), "--device", "cpu", "--quiet"])  # fmt: skip
    assert "300 boxes from the COCO file" in proc.stdout
    data = pickle.loads((tmp_path / "kp.pkl").read_bytes())
    assert data["keypoints2d"].shape == (1, 300, 17, 3) and data["timestamps"].shape == (300,)
    assert np.isfinite(data["keypoints2d"]).all()
    width, height = 320, 180  # the demo's frames: every keypoint lands inside the picture or near it
    xy = data["keypoints2d"][0, :, :, :2]
    assert (xy[..., 0] > -0.5 * width).all() and (xy[..., 0] < 1.5 * width).all()
    assert (xy[..., 1] > -0.5 * height).all() and (xy[..., 1] < 1.5 * height).all()


def test_a_killed_run_resumes_from_its_last_epoch(rtmpose_run, tmp_path):
    wf, _ = rtmpose_run
    coco = wf / "results/demo/rtmpose_dataset"
    out = tmp_path / "run"
    cmd = ["rhythm", "rtmpose-train", str(coco), "--out", str(out), *TINY]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not (out / "work" / "epoch_1.pth").is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before its first checkpoint could be interrupted"
    time.sleep(0.5)  # let the checkpoint file be complete (MMEngine writes it, then last_checkpoint)
    while not (out / "work" / "last_checkpoint").is_file():
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists()
    done = run(cmd)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] is True and summary["iterations"] == 30 and "(resumed)" in done.stdout
    scalars = json.loads((out / "scalars.json").read_text())
    sessions = sorted((out / "work").glob("*/vis_data/scalars.json"))
    assert len(sessions) == 2  # the killed session and the resumed one
    resumed_rows = [json.loads(line) for line in sessions[1].read_text().splitlines() if line.strip()]
    assert min(r["iter"] for r in resumed_rows if "loss" in r) > 10  # it went on after epoch 1, not from zero
    assert max(r["iter"] for r in scalars if "loss" in r) == 30
