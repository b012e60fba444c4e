"""Planning the RTMPose stage: auto runs only with the OpenMMLab stack, true without it stops at once."""

from __future__ import annotations

import pytest


def test_enabled_true_without_the_stack_stops_at_planning(tmp_path, monkeypatch):
    from rhythm.pipeline import rtmpose as plan_rtmpose
    from rhythm.pipeline.plan import PlanError

    class Planned:
        coco_splits = {"train": "pose_train", "val": "pose_val", "test": "pose_test"}

        def coco_videos(self, split):
            return ["gBR_sBM_c01_d04_mBR3_ch02"]

    monkeypatch.setattr(plan_rtmpose, "openmmlab_missing", lambda: ["mmcv"])
    config = {"dataset": "demo", "rtmpose": {"enabled": True}}
    with pytest.raises(PlanError, match="make setup-openmmlab"):
        plan_rtmpose.rtmpose_plan(config, Planned())
    config["rtmpose"]["enabled"] = "auto"
    off = plan_rtmpose.rtmpose_plan(config, Planned())
    assert not off.enabled and "make setup-openmmlab" in off.reason and off.targets() == []
    monkeypatch.setattr(plan_rtmpose, "openmmlab_missing", lambda: [])
    on = plan_rtmpose.rtmpose_plan({**config, "rtmpose": {"enabled": "auto", "infer_max_videos": 1}}, Planned())
    assert on.enabled and "results/demo/rtmpose/demo/keypoints2d/gBR_sBM_c01_d04_mBR3_ch02.pkl" in on.targets()
