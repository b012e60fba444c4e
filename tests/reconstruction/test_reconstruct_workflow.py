"""The reconstruction rules (workflow/rules/reconstruct.smk) run by Snakemake on the real sequence:
triangulation, bundle adjustment from a rough guess, skeleton fitting and the errors file."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from test_calibration import perturb

from rhythm.core import aist
from rhythm.pipeline.config import load_config

from conftest import AISTPP, REAL_SEQ, ROOT, run

pytestmark = [pytest.mark.slow, pytest.mark.workflow]


def snakefile(folder, *stages):
    """A Snakefile with only the given stages: the lead wires reconstruct.smk into the real one."""
    includes = "".join(f'include: "{ROOT}/workflow/rules/{stage}.smk"\n' for stage in ("common", *stages))
    (folder / "Snakefile").write_text(
        "from rhythm.pipeline.config import check_config\n"
        'configfile: "config.yaml"\n'
        "check_config(config)\n"
        f"{includes}"
        "rule all:\n    input: RECON.targets()\n"
    )


def test_demo_plan_with_reconstruction_enabled(tmp_path):
    config = load_config(ROOT / "config" / "config.yaml")
    config["reconstruction"] = {"enabled": True, "calibration": {"enabled": True}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    snakefile(tmp_path, "data", "reconstruct")
    proc = run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=tmp_path)
    table = proc.stdout.split("Job stats:")[1].split("total")[0]
    counts = {line.split()[0]: int(line.split()[1]) for line in table.strip().splitlines()[2:]}
    assert counts == {
        "all": 1,
        "calibrate": 1,
        "demo_data": 1,
        "fit_smpl": 7,
        "reconstruction_errors": 1,
        "triangulate": 7,
    }


def test_reconstruction_rules_on_the_real_sequence(tmp_path):
    guess = tmp_path / "guess"
    guess.mkdir()
    true = aist.load_camera_setting(AISTPP / "cameras" / "setting1.json")
    (guess / "setting1.json").write_text(json.dumps([c.to_json() for c in perturb(true, seed=1).values()]))
    config = {
        "dataset": "real",
        "data": {"anno_dir": str(AISTPP), "video_dir": str(tmp_path / "videos"), "on_missing_annotations": "skip"},
        "selection": {"splits": ["crossmodal_test"], "cameras": ["c01"]},
        "coco": {"splits": {"test": "crossmodal_test"}},
        "overlays": {"cameras": ["c01"]},
        "reconstruction": {
            "enabled": True,
            "sequences": [REAL_SEQ],
            "calibration": {"enabled": True, "initial_dir": str(guess)},
        },
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    snakefile(tmp_path, "reconstruct")
    run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=tmp_path)

    out = tmp_path / "results" / "real" / "reconstruction"
    assert aist.load_keypoints3d(out / "keypoints3d" / f"{REAL_SEQ}.pkl", optim=True).shape == (720, 17, 3)
    assert aist.load_motion(out / "motions" / f"{REAL_SEQ}.pkl").poses.shape == (720, 72)
    assert sorted(aist.load_camera_setting(out / "cameras" / "setting1.json")) == list(aist.CAMERAS)
    errors = json.loads((out / "errors.json").read_text())
    print(f"\nerrors.json summary: {errors['summary']}\nsetting1: {errors['settings']['setting1']}")
    assert errors["summary"]["dropped_views"] == {REAL_SEQ: ["c05"]}
    assert errors["summary"]["vs_official_keypoints3d"]["median"] < 0.5
    assert errors["summary"]["fit_mpjpe_body"] < 3.0
    calibration = errors["settings"]["setting1"]["reprojection_median_px"]
    assert calibration["calibrated"] <= 1.1 * calibration["reference"] < calibration["initial"]
    assert (tmp_path / "logs" / "triangulate" / "real" / f"{REAL_SEQ}.log").is_file()
