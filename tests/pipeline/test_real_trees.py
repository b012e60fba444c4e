"""AIST++ as researchers have it: a config of their own, annotations before videos, partial trees.

The last test is the real first day: the genuine annotations in ../shared/data (real split lists of
952 + 20 sequences, one sequence's keypoints2d/keypoints3d/motions, every camera setting), no
videos, a config written from scratch: the whole workflow completes and the data report says what
is there and what is missing.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml

from rhythm.core import aist
from rhythm.pipeline.config import ConfigError, check_config, load_config
from rhythm.pipeline.model import model_plan
from rhythm.pipeline.plan import PlanError, make_plan

from conftest import ROOT, SHARED, copy_workflow, run, snakemake

SMPL_SEQ = "gBR_sBM_cAll_d06_mBR2_ch06"


def user_config(anno, videos, **extra) -> dict:
    config = {"dataset": "mine", "data": {"anno_dir": str(anno), "video_dir": str(videos)}}
    for key, value in extra.items():
        config.setdefault(key, {}).update(value) if isinstance(value, dict) else config.update({key: value})
    return config


def test_a_handful_of_keys_is_a_whole_config(tmp_path):
    """Left-out keys take the schema's defaults, never the demo config's values."""
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(user_config("/data/aist", "/data/videos")))
    config = load_config(path)
    demo = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert config["selection"]["cameras"] == list(aist.CAMERAS) != demo["selection"]["cameras"]
    assert config["reconstruction"]["enabled"] is False and demo["reconstruction"]["enabled"] is True
    assert config["model"]["enabled"] is False and config["demo"]["enabled"] is False
    assert config["frames"]["quality"] == 95 and config["data"]["on_missing_annotations"] == "error"
    assert config["selection"]["exclude_videos"] == ["gBR_sBM_c05_d04_mBR0_ch01", "gJB_sBM_c07_d07_mJB3_ch05"]
    assert config["coco"]["splits"] is None  # the selected pose splits


@pytest.mark.parametrize("name", ["config.yaml", "aistpp.yaml"])
def test_shipped_configs_stand_alone(name):
    load_config(ROOT / "config" / name)


def test_a_misspelt_key_is_a_few_lines(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(user_config("a", "b", frames={"qualty": 90}, selection={"splits": ["pose_trian"]})))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    assert len(lines) <= 5
    assert any("unknown key 'qualty' in section 'frames'; did you mean 'quality'?" in line for line in lines)
    assert any("selection.splits.0: 'pose_trian' is not valid: did you mean 'pose_train'?" in line for line in lines)


@pytest.mark.workflow
def test_the_workflow_reports_config_mistakes_in_a_few_lines(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    (wf / "bad.yaml").write_text(yaml.safe_dump(user_config("a", "b", qualty=3)))
    proc = snakemake(wf, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    err = [line for line in proc.stderr.splitlines() if "profile" not in line]
    assert len(err) <= 5 and "unknown key 'qualty' at the top level" in "\n".join(err), proc.stderr


def test_a_disabled_stage_checks_nothing_and_an_enabled_one_names_its_key(demo_source):
    config = check_config(
        user_config(
            demo_source / "annotations",
            demo_source / "videos",
            selection={"splits": ["crossmodal_train", "crossmodal_test"]},
            model={"enabled": False, "val_split": "val"},
        )
    )
    plan = make_plan(config)
    assert model_plan(config, plan).enabled is False
    config["model"]["enabled"] = True
    with pytest.raises(PlanError, match=r"^model.val_split: val means crossmodal_val, which is not in selection"):
        model_plan(config, plan)


def test_missing_annotations_stop_in_one_line_or_are_skipped(demo_copy):
    anno = demo_copy / "annotations"
    for seq in ("gBR_sBM_cAll_d01_mBR0_ch01", "gBR_sBM_cAll_d03_mBR3_ch01"):
        aist.keypoints3d_path(anno, seq).unlink()
    config = check_config(user_config(anno, demo_copy / "videos"))
    with pytest.raises(
        PlanError,
        match=r"2 of 7 selected sequences lack annotation files \(2 keypoints3d missing; "
        r"first keypoints3d/gBR_sBM_cAll_d01_mBR0_ch01.pkl",
    ):
        make_plan(config)
    config["data"]["on_missing_annotations"] = "skip"
    plan = make_plan(config)
    assert len(plan.sequences) == 7 and len(plan.with_annotations("keypoints3d")) == 5
    assert len(plan.with_annotations("keypoints2d")) == 7  # their frames are still planned
    assert "2 of 7 selected sequences lack annotation files" in plan.notes[0]


@pytest.mark.workflow
def test_annotations_before_videos_then_videos_build_only_the_new_work(demo_copy, tmp_path):
    """A demo tree without its videos: everything that needs no video runs and the report is written;
    the videos added later build frames, music and the COCO sets, and nothing else again."""
    videos = demo_copy / "videos"
    shutil.move(videos, tmp_path / "later")
    videos.mkdir()
    wf = copy_workflow(tmp_path / "wf")
    config = user_config(
        demo_copy / "annotations",
        videos,
        selection={"cameras": ["c01"]},
        coco={"stride": 100},
        frames={"coco_frames_only": True},
        features={"fps": [30]},
        model={"enabled": True, "train_splits": ["train", "val"], "val_split": None},
    )
    (wf / "mine.yaml").write_text(yaml.safe_dump(config))
    snakemake(wf, "--configfile", "mine.yaml")
    res = wf / "results" / "mine"
    text = (res / "reports" / "data_report.txt").read_text()
    assert "model: not run (no training sequence has its motions and its music yet)" in text
    assert "COCO split train (pose_train): left out, no video of its sequences is present yet" in text
    assert "no source yet (no video or music file of them): mBR0, mBR3, mPO1, mPO4" in text
    assert len(list(res.glob("poses/*.npy"))) == 7 and not (res / "frames").exists()
    for video in (tmp_path / "later").iterdir():
        shutil.move(video, videos / video.name)
    proc = snakemake(wf, "-n", "--configfile", "mine.yaml")
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in proc.stdout.split("Job stats:")[1].split("total")[0].strip().splitlines()[2:]
    }
    assert not {"poses", "smpl_joints", "reprojection"} & set(counts), counts  # nothing built again
    assert counts["extract_frames"] == 7 and counts["extract_audio"] == 4 and counts["coco_split"] == 3
    assert counts["train_model"] == 1 and counts["data_report"] == 1


@pytest.fixture
def real_first_day(tmp_path):
    """The genuine annotations as one tree (links to ../shared/data): real split lists and ignore list, the
    keypoints2d/keypoints3d/motions of gBR_sBM_cAll_d06_mBR2_ch06 and every camera setting; no videos."""
    anno = tmp_path / "aist_plusplus_final"
    for kind in ("keypoints2d", "keypoints3d", "motions"):
        (anno / kind).mkdir(parents=True)
        os.symlink(SHARED / "aistpp_smpl" / kind / f"{SMPL_SEQ}.pkl", anno / kind / f"{SMPL_SEQ}.pkl")
    os.symlink(SHARED / "aistpp_smpl" / "cameras", anno / "cameras")
    os.symlink(SHARED / "aistpp" / "splits", anno / "splits")
    os.symlink(SHARED / "aistpp" / "ignore_list.txt", anno / "ignore_list.txt")
    (tmp_path / "videos").mkdir()
    return anno, tmp_path / "videos"


@pytest.mark.slow
@pytest.mark.workflow
def test_the_first_day_on_real_annotations(real_first_day, tmp_path):
    anno, videos = real_first_day
    wf = copy_workflow(tmp_path / "wf")
    config = user_config(
        anno,
        videos,
        data={"on_missing_annotations": "skip"},
        selection={"splits": ["crossmodal_train", "crossmodal_test"]},
        model={"enabled": True, "val_split": None},
        reconstruction={"enabled": True},
    )
    (wf / "mine.yaml").write_text(yaml.safe_dump(config))
    snakemake(wf, "--configfile", "mine.yaml")
    res = wf / "results" / "mine"
    report = json.loads((res / "reports" / "data_report.json").read_text())
    text = (res / "reports" / "data_report.txt").read_text()
    train = report["splits"]["crossmodal_train"]
    assert train["selected"] == 952 and train["annotated"] == [SMPL_SEQ]  # 980 listed, 28 ignored
    selected = set(aist.read_name_list(anno / "splits" / "crossmodal_train.txt")) - aist.load_ignore_list(anno)
    excluded = [v for v in config_default_excludes() if aist.sequence_name(v) in selected]
    assert train["videos_present"] == 0 and train["videos_missing_count"] == 952 * 9 - len(excluded)
    assert f"annotated in crossmodal_train (1 of 952): {SMPL_SEQ}" in text
    assert f"missing videos in crossmodal_train ({952 * 9 - len(excluded)})" in text
    assert len(report["music"]["without_source"]) == 60  # every AIST++ song: no video yet
    assert "model: not run (no training sequence has its motions and its music yet)" in text
    assert report["reprojection"][SMPL_SEQ]["outliers"] == [] and report["poses"] == 1
    assert (res / "smpl" / f"{SMPL_SEQ}.joints.npy").is_file()
    assert report["reconstruction"]["summary"]["sequences"] == 1
    # rhythm status says the same about what is there
    status = json.loads(
        run(
            [
                "rhythm",
                "status",
                "--anno-dir",
                str(anno),
                "--video-dir",
                str(videos),
                "--json",
                "--splits",
                "crossmodal_train",
                "crossmodal_test",
                "--exclude-videos",
                *config_default_excludes(),
            ]
        ).stdout
    )
    assert status["splits"] == report["splits"]


def config_default_excludes() -> list[str]:
    return check_config(user_config("a", "b"))["selection"]["exclude_videos"]
