"""The reconstruction's part of a run (workflow/rules/reconstruct.smk): which sequences are
triangulated and fitted, which camera settings are bundle-adjusted, and the files between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rhythm.core import aist
from rhythm.pipeline.plan import Plan


@dataclass
class ReconstructionPlan:
    enabled: bool
    out: str  # results/<dataset>/reconstruction
    anno_dir: str
    sequences: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # sequence -> camera setting
    calibration_sequences: dict[str, list[str]] = field(default_factory=dict)  # setting -> sequences
    options: dict = field(default_factory=dict)  # the config's reconstruction: section
    notes: list[str] = field(default_factory=list)

    def cameras_for_triangulation(self, sequence: str) -> str:
        setting = self.settings[sequence]
        if self.options["triangulation"]["cameras"] == "calibrated":
            return f"{self.out}/cameras/{setting}.json"
        return f"{self.anno_dir}/cameras/{setting}.json"

    def initial_cameras(self, setting: str) -> str:
        folder = self.options["calibration"]["initial_dir"] or f"{self.anno_dir}/cameras"
        return f"{folder}/{setting}.json"

    def fitting_source(self, sequence: str) -> str:
        if self.options["fitting"]["source"] == "official":
            return str(aist.keypoints3d_path(self.anno_dir, sequence))
        return f"{self.out}/keypoints3d/{sequence}.pkl"

    def reports(self) -> dict[str, list[str]]:
        """The stages' JSON reports that the errors file gathers."""
        seqs = self.sequences if self.enabled else []
        calibrated = (
            sorted(self.calibration_sequences) if self.enabled and self.options["calibration"]["enabled"] else []
        )
        return {
            "triangulation": [f"{self.out}/keypoints3d/{s}.json" for s in seqs],
            "fitting": [f"{self.out}/motions/{s}.json" for s in seqs] if self.options["fitting"]["enabled"] else [],
            "calibration": [f"{self.out}/cameras/{k}.report.json" for k in calibrated],
        }

    def targets(self) -> list[str]:
        return [f"{self.out}/errors.json"] if self.enabled else []


def reconstruction_plan(config: dict, plan: Plan, is_demo: bool = False) -> ReconstructionPlan:
    rec = config["reconstruction"]
    anno = config["data"]["anno_dir"]
    out = ReconstructionPlan(bool(rec["enabled"]), f"results/{config['dataset']}/reconstruction", anno, options=rec)
    if not out.enabled:
        return out
    wanted = list(rec["sequences"]) or plan.with_annotations("keypoints2d")
    mapping_file = Path(anno) / "cameras" / "mapping.txt"
    mapping = (
        {s: "setting1" for s in wanted}
        if is_demo
        else (aist.load_camera_mapping(anno) if mapping_file.is_file() else {})
    )
    seqs = [s for s in wanted if s in mapping]
    if len(seqs) < len(wanted):
        out.notes.append(
            f"reconstruction: {len(wanted) - len(seqs)} sequence(s) left out without a camera setting in {mapping_file}"
        )
    if rec["max_sequences"]:
        seqs = seqs[: rec["max_sequences"]]
    out.sequences = seqs
    out.settings = {s: mapping[s] for s in seqs}
    for s in seqs:
        group = out.calibration_sequences.setdefault(mapping[s], [])
        if len(group) < rec["calibration"]["max_sequences"]:
            group.append(s)
    return out
