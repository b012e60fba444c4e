"""The landmarks rules (workflow/rules/landmarks.smk) run by Snakemake on the demo videos with the
onnx backend: models with seeded random weights (livened as in test_landmark_models), exported by
`rhythm models export` into a temporary models_dir, per video and per manifest segment, then
`rhythm landmarks-validate` as the workflow runs it; and the DAG with weights missing."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import yaml

from rhythm.pipeline.config import load_config

from conftest import ROOT, SNAKEMAKE, run

pytestmark = [pytest.mark.slow, pytest.mark.workflow, pytest.mark.openmmlab]


def snakefile(folder):
    """A Snakefile with the data and landmarks stages only (the full DAG is test_workflow's)."""
    includes = "".join(f'include: "{ROOT}/workflow/rules/{stage}.smk"\n' for stage in ("common", "data", "landmarks"))
    (folder / "Snakefile").write_text(
        "from rhythm.pipeline.config import check_config\n"
        'configfile: "config.yaml"\n'
        "check_config(config)\n"
        f"{includes}"
        "rule all:\n    input: TARGETS.landmark_arrays() + TARGETS.landmark_validation()\n"
    )


def demo_config(source, **landmarks) -> dict:
    config = load_config(ROOT / "config" / "config.yaml")
    config["demo"]["enabled"] = False  # the session's demo tree, read in place like real data
    config["data"].update(anno_dir=str(source / "annotations"), video_dir=str(source / "videos"))
    config["landmarks"] = landmarks
    return config


def dry_run(folder, config, check=True):
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    snakefile(folder)
    return run([*SNAKEMAKE, "-n", "--cores", "1"], cwd=folder, check=check)


def job_counts(output: str) -> dict[str, int]:
    table = output.split("Job stats:")[1].split("total")[0]
    return {line.split()[0]: int(line.split()[1]) for line in table.strip().splitlines()[2:]}


def test_missing_weights_auto_omits_the_stage_and_true_fails_at_once(demo_source, tmp_path):
    proc = dry_run(tmp_path, demo_config(demo_source, models_dir=str(tmp_path / "none")))
    assert job_counts(proc.stdout) == {"all": 1}  # no landmark jobs, no error
    proc = dry_run(
        tmp_path, demo_config(demo_source, enabled=True, backend="onnx", models_dir=str(tmp_path / "none")), check=False
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "landmarks.enabled is true but the model weights are not there" in text
    assert "rhythm models export --detector rtmdet-m-person" in text and "rhythm models fetch" in text


@pytest.fixture(scope="module")
def livened_onnx(tmp_path_factory):
    """RTMDet-nano + full-size RTMW3D-L with livened random weights, as .pth, exported by the CLI."""
    from test_landmark_models import coco_people, liven, save_openmmlab_checkpoint, video_frames

    from rhythm.landmarks import geometry
    from rhythm.landmarks.backend import RANDOM_INIT
    from rhythm.landmarks.mmpose_backend import MMPoseBackend

    out = tmp_path_factory.mktemp("landmark_weights")
    backend = MMPoseBackend(
        RANDOM_INIT, RANDOM_INIT, det_config="rtmdet-nano-person", pose_config="rtmw3d-l", device="cpu"
    )
    people = coco_people()
    frames = [img for img, _ in people] + video_frames(2)
    crops = np.concatenate([geometry.warp_crops(img, *geometry.crop_boxes(b)) for img, b in people])
    liven(backend, frames, crops, box_size=1.0)  # boxes of 2-8 strides: people in the demo's 320x180 frames
    det = save_openmmlab_checkpoint(backend.detector, out / "nano-livened.pth")
    pose = save_openmmlab_checkpoint(backend.pose_model, out / "rtmw3d-l-livened.pth")
    models = out / "models"
    proc = run(
        [
            sys.executable,
            "-m",
            "rhythm.cli",
            "models",
            "export",
            "--detector",
            str(det),
            "--det-config",
            "rtmdet-nano-person",
            "--pose",
            str(pose),
            "--pose-config",
            "rtmw3d-l",
            "--out",
            str(models),
        ]
    )
    assert proc.stdout.split() == [str(models / "nano-livened.onnx"), str(models / "rtmw3d-l-livened.onnx")]
    return models


def test_landmarks_rules_on_the_demo_videos(demo_source, livened_onnx, tmp_path):
    manifest = tmp_path / "segments.csv"
    manifest.write_text("video,start,end,name\ngBR_sBM_c02_d01_mBR0_ch01,1.0,2.5,duet-intro\n")
    config = demo_config(
        demo_source,
        enabled="auto",
        backend="onnx",
        device="cpu",
        models_dir=str(livened_onnx),
        detector="nano-livened.onnx",
        pose="rtmw3d-l-livened.onnx",
        batch_size=8,
        batch_frames=8,
        reduce_fps_to=5,
        cameras=["c01"],
        max_videos=2,
        manifest=str(manifest),
    )
    proc = dry_run(tmp_path, config)
    # the videos are read in place: no link jobs
    assert job_counts(proc.stdout) == {"all": 1, "landmarks": 2, "landmarks_segment": 1, "landmarks_validate": 1}
    run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path)

    out = tmp_path / "results" / "demo" / "landmarks"
    videos = sorted(out.glob("*.npy"))
    assert [v.stem for v in videos] == ["gBR_sBM_c01_d01_mBR0_ch01", "gBR_sBM_c01_d02_mBR0_ch02"]
    for npy in videos + [out / "segments" / "duet-intro.npy"]:
        rows = np.load(npy)
        report = json.loads(npy.with_suffix(".json").read_text())
        frames = 8 if npy.stem == "duet-intro" else 25  # 5 s (or 1.5 s) at 5 fps
        assert rows.shape == (frames, 85, 4) and rows.dtype == np.float32, npy
        assert report["status"] == "ok" and report["frames"] == frames and report["backend"] == "onnx"
        assert report["weights"]["pose"].endswith("rtmw3d-l-livened.pth")  # what the ONNX file was exported from
        found = np.isfinite(rows).all(axis=(1, 2))
        assert found.sum() == report["frames_with_person"] > 0  # the livened detector finds "people"
        assert np.isnan(rows[~found]).all()  # a frame is a person or a NaN row
        assert ((rows[found][..., 3] >= 0) & (rows[found][..., 3] <= 1)).all()
    assert json.loads((out / "segments" / "duet-intro.json").read_text())["segment"] == "duet-intro"
    validation = json.loads((tmp_path / "results/demo/reports/landmarks_validation.json").read_text())
    assert validation["files"] == 3 and validation["invalid"] == [] and validation["frames"] == 58
    log = (tmp_path / "logs/landmarks/demo/gBR_sBM_c01_d01_mBR0_ch01.log").read_text()
    assert "25 frames at 5 fps" in log and "CPUExecutionProvider" in log
