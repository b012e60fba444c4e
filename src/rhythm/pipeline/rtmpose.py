"""The RTMPose part of a run (workflow/rules/rtmpose.smk): whether it fine-tunes, where, and why not.

``rtmpose.enabled: auto`` runs the stage only when the OpenMMLab stack is installed
(``make setup-openmmlab``) and the COCO train, val and test sets are planned; ``true`` without the
stack stops the workflow at planning, naming the install command; ``false`` never runs it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from rhythm.pipeline.plan import Plan, PlanError

OPENMMLAB = ("mmengine", "mmcv", "mmdet", "mmpose")
INSTALL = "make setup-openmmlab (bash envs/install-openmmlab.sh .venv)"


def openmmlab_missing() -> list[str]:
    """The OpenMMLab packages that are not installed (found without importing them)."""
    return [name for name in OPENMMLAB if importlib.util.find_spec(name) is None]


@dataclass
class RtmposePlan:
    enabled: bool
    reason: str | None  # why the stage does not run (for the data report)
    run: str
    out: str  # results/<dataset>/rtmpose/<run>
    infer_videos: list[str] = field(default_factory=list)

    def targets(self) -> list[str]:
        if not self.enabled:
            return []
        files = ["checkpoints/best.pth", "checkpoints/last.pth", "config.py", "scalars.json", "curve.png"]
        files += ["summary.json", "metrics.json", "predictions.json"]
        return [f"{self.out}/{f}" for f in files] + [f"{self.out}/keypoints2d/{v}.pkl" for v in self.infer_videos]


def rtmpose_plan(config: dict, plan: Plan) -> RtmposePlan:
    rt = config.get("rtmpose") or {}
    enabled = rt.get("enabled", False)
    run = rt.get("run") or config["dataset"]
    off = RtmposePlan(False, None, run, f"results/{config['dataset']}/rtmpose/{run}")
    if enabled is False or enabled == "false":
        off.reason = "rtmpose.enabled is false"
        return off
    absent = [s for s in ("train", "val", "test") if s not in plan.coco_splits]
    if absent:
        why = f"rtmpose needs the COCO train, val and test sets; not planned: {', '.join(absent)} (coco.splits)"
        if enabled is True or enabled == "true":
            raise PlanError(why)
        off.reason = f"rtmpose.enabled is auto and {why}"
        return off
    missing = openmmlab_missing()
    if missing:
        if enabled is True or enabled == "true":
            raise PlanError(f"rtmpose.enabled is true but the OpenMMLab stack is not installed ({', '.join(missing)}): "
                            f"run {INSTALL}")  # fmt: skip
        off.reason = (
            f"rtmpose.enabled is auto and the OpenMMLab stack is not installed ({', '.join(missing)}); "
            f"install it with {INSTALL}"
        )
        return off
    videos = plan.coco_videos("test")
    limit = rt.get("infer_max_videos")
    return RtmposePlan(True, None, run, off.out, videos[:limit] if limit is not None else videos)
