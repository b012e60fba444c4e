import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from rhythm.pipeline.plan import make_plan

from conftest import ROOT

SCHEMA = str(ROOT / "workflow/schemas/config.schema.yaml")


@pytest.mark.parametrize("name", ["config.yaml", "aistpp.yaml"])
def test_shipped_configs_are_valid(name):
    config = yaml.safe_load((ROOT / "config" / name).read_text())
    validate(config, SCHEMA)


def test_schema_fills_defaults_and_rejects_typos():
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    trimmed = copy.deepcopy(config)
    assert "frames" not in trimmed and "beats" not in trimmed  # the demo config writes only what differs
    validate(trimmed, SCHEMA)
    assert (
        trimmed["frames"]["quality"] == 95
        and trimmed["frames"]["align"] == "fps"
        and trimmed["beats"]["tightness"] == 100
    )
    typo = copy.deepcopy(config)
    typo["selection"]["camera"] = ["c01"]
    with pytest.raises(WorkflowError, match="camera"):
        validate(typo, SCHEMA)


def test_plan_of_the_demo_config():
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    validate(config, SCHEMA)
    plan = make_plan(config)
    assert len(plan.sequences) == 7 and len(plan.frame_videos) == 21 and len(plan.overlay_videos) == 7
    assert plan.music == ["mBR0", "mBR3", "mPO1", "mPO4"]
    assert len(plan.coco_videos("train")) == 9
    config["selection"]["genres"] = ["gPO"]
    config["selection"]["limit"] = 1
    plan = make_plan(config)
    assert all(s.startswith("gPO") for s in plan.sequences) and len(plan.splits["pose_train"]) == 1


def test_downloads_need_the_terms_of_use_accepted():
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["download"] = {"enabled": True}
    validate(config, SCHEMA)
    with pytest.raises(ValueError, match="accept_terms_of_use"):
        make_plan(config)
    config["download"]["accept_terms_of_use"] = True
    assert len(make_plan(config).frame_videos) == 21


def _rule_blocks():
    import re

    for path in sorted((ROOT / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for m in re.finditer(r"(?m)^( *)rule (\w+):\n((?:\1 {4}.*\n|\n)+)", text):
            yield path.name, m.group(2), m.group(3)


def test_every_rule_has_a_log_threads_memory_and_runtime():
    rules = list(_rule_blocks())
    assert len(rules) >= 18
    for path, name, body in rules:
        for word in ("log:", "threads:", "mem_mb=", "runtime="):
            assert word in body, f"{path}: rule {name} declares no {word}"
        assert f"logs/{name}/" in body, f"{path}: rule {name} logs outside logs/{name}/"


@pytest.mark.parametrize("profile", ["default", "slurm", "perlmutter"])
def test_profiles_are_valid_yaml_with_resources(profile):
    cfg = yaml.safe_load((ROOT / "workflow/profiles" / profile / "config.yaml").read_text())
    assert "default-resources" in cfg
    if profile != "default":
        assert cfg["executor"] == "slurm"
        rules = {name for _, name, _ in _rule_blocks()}
        assert set(cfg["set-resources"]) <= rules  # no typos in rule names
        gpu_rules = {name for name, r in cfg["set-resources"].items() if r.get("gpu")}
        # the rules that declare gpu=1 are exactly those the profile sends to GPUs
        declared = {name for _, name, body in _rule_blocks() if "gpu=1" in body.replace(" ", "")}
        assert gpu_rules == declared
        assert declared >= {"landmarks", "landmarks_segment", "train_model", "train_rtmpose", "evaluate_rtmpose"}
        assert set(cfg["groups"]) <= rules
        for gpu_rule in declared:
            res = cfg["set-resources"][gpu_rule]
            assert res["gpu"] == 1
            if profile == "perlmutter":
                assert res["constraint"] == "gpu" and res["slurm_account"].endswith("_g")


def test_landmarks_section_has_every_tracking_option_with_its_default():
    from dataclasses import fields

    from rhythm.people.tracking import TrackOptions

    schema = yaml.safe_load(open(SCHEMA))["properties"]["landmarks"]["properties"]
    tracking = schema["tracking"]["properties"]
    assert list(tracking) == [f.name for f in fields(TrackOptions)]
    for f in fields(TrackOptions):
        assert tracking[f.name]["default"] == f.default and tracking[f.name]["description"] == f.metadata["help"]
    assert all("description" in v for k, v in schema.items()), "every landmarks key says what it does"


def test_landmarks_plan_auto_true_false(tmp_path):
    from rhythm.core.errors import RhythmInputError
    from rhythm.landmarks.models import load_manifest
    from rhythm.pipeline.landmarks import landmarks_plan

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["landmarks"]["models_dir"] = str(tmp_path)
    validate(config, SCHEMA)
    plan = make_plan(config)
    off = landmarks_plan(config, plan)  # auto, no weights
    assert (
        not off.enabled
        and off.videos == []
        and "rhythm models fetch --only rtmdet-m-person --only rtmw3d-l" in off.reason
    )
    manifest = load_manifest()
    for name in ("rtmdet-m-person", "rtmw3d-l"):
        (tmp_path / manifest[name].file).write_bytes(b"")
    on = landmarks_plan(config, plan)
    assert on.enabled and on.reason is None and on.num_keypoints == 85
    assert on.videos == sorted(v for v in plan.frame_videos if "_c01_" in v) and len(on.videos) == 7
    config["landmarks"].update(backend="onnx", max_videos=2, keypoints=[0, 1, 2], manifest=str(tmp_path / "m.csv"))
    (tmp_path / "m.csv").write_text("video,start,end\ngBR_sBM_c02_d01_mBR0_ch01,0,1\n")
    off = landmarks_plan(config, plan)  # the .onnx files are not there
    assert not off.enabled and "rhythm models export --detector rtmdet-m-person --pose rtmw3d-l" in off.reason
    config["landmarks"]["enabled"] = True
    with pytest.raises(RhythmInputError, match="rtmdet-m-person.onnx.*landmarks.enabled is true"):
        landmarks_plan(config, plan)
    for name in ("rtmdet-m-person", "rtmw3d-l"):
        (tmp_path / f"{name}.onnx").write_bytes(b"")
    on = landmarks_plan(config, plan)
    assert len(on.videos) == 2 and list(on.segments) == ["gBR_sBM_c02_d01_mBR0_ch01-000"] and on.num_keypoints == 3
    config["landmarks"]["enabled"] = False
    assert landmarks_plan(config, plan).reason == "landmarks.enabled is false"
