"""The files a run builds, stage by stage: the lists ``rule all`` and the data report expand.

One :class:`Targets` per run, made in ``workflow/rules/common.smk`` from the plans of
:mod:`rhythm.pipeline` (what exists and is selected); each method is one stage's outputs, paths
relative to the working directory (``results/<dataset>/...``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from rhythm.pipeline import model as model_stage
from rhythm.pipeline.landmarks import LandmarksPlan
from rhythm.pipeline.model import ModelPlan
from rhythm.pipeline.plan import Plan
from rhythm.pipeline.reconstruction import ReconstructionPlan
from rhythm.pipeline.rtmpose import RtmposePlan


@dataclass
class Targets:
    config: dict
    plan: Plan
    model: ModelPlan
    reconstruction: ReconstructionPlan
    landmarks: LandmarksPlan
    rtmpose: RtmposePlan
    anno_dir: str  # the annotations the stages read (a view when keypoints2d come from your detections)
    is_demo: bool = False

    @property
    def out(self) -> str:
        return f"results/{self.config['dataset']}"

    def split_files(self) -> list[str]:
        return [f"{self.anno_dir}/splits/{s}.txt" for s in self.config["selection"]["splits"]]

    def frames(self) -> list[str]:
        return [f"{self.out}/frames/{v}/frame_mapping.json" for v in self.plan.frame_videos]

    def coco(self) -> list[str]:
        return [f"{self.out}/rtmpose_dataset/{s}/annotations/{s}.json" for s in self.plan.coco_splits]

    def rtmpose_configs(self) -> list[str]:
        return [f"{self.out}/rtmpose_dataset/rtmpose_{s}.py" for s in self.plan.coco_splits]

    def audio(self) -> list[str]:
        return [f"{self.out}/audio/{m}.wav" for m in self.plan.music]

    def music_reports(self) -> list[str]:
        return [f"{self.out}/audio/{m}.json" for m in self.plan.music]

    def beats(self) -> list[str]:
        return [f"{self.out}/beats/{m}.json" for m in self.plan.music]

    def beat_plots(self) -> list[str]:
        return [f"{self.out}/reports/beats/{m}.png" for m in self.plan.music]

    def features(self) -> list[str]:
        return [
            f"{self.out}/features/{fps}fps/{m}.npy" for fps in self.config["features"]["fps"] for m in self.plan.music
        ]

    def pose_sequences(self) -> list[str]:
        return self.plan.with_annotations("keypoints3d")

    def poses(self) -> list[str]:
        return [f"{self.out}/poses/{s}.npy" for s in self.pose_sequences()]

    def smpl(self) -> list[str]:
        if not self.config["poses"]["smpl"]:
            return []
        return [f"{self.out}/smpl/{s}.joints.npy" for s in self.plan.with_annotations("motions")]

    def audio2pose_sequences(self) -> list[str]:
        """Sequences with a pose and music: the Audio2Pose layout links what exists."""
        return [s for s in self.pose_sequences() if self.plan.has_music(s)]

    def audio2pose(self) -> list[str]:
        enabled = self.config["audio2pose"]["enabled"] and self.audio2pose_sequences()
        return [f"{self.out}/audio2pose/index.json"] if enabled else []

    def overlays(self) -> list[str]:
        return [f"{self.out}/overlays/{v}/overlay.mp4" for v in self.plan.overlay_videos]

    def reprojection(self) -> list[str]:
        """Per-sequence reprojection reports, where the camera settings can be known."""
        if not (self.is_demo or Path(self.config["data"]["anno_dir"], "cameras", "mapping.txt").is_file()):
            return []
        return [
            f"{self.out}/reports/reprojection/{s}.json"
            for s in self.plan.with_annotations("keypoints2d", "keypoints3d")
        ]

    def landmark_arrays(self) -> list[str]:
        return [f"{self.out}/landmarks/{v}.npy" for v in self.landmarks.videos] + [
            f"{self.out}/landmarks/segments/{s}.npy" for s in self.landmarks.segments
        ]

    def landmark_reports(self) -> list[str]:
        return [str(Path(p).with_suffix(".json")) for p in self.landmark_arrays()]

    def landmark_validation(self) -> list[str]:
        return [f"{self.out}/reports/landmarks_validation.json"] if self.landmark_arrays() else []

    def rtmpose_metrics(self) -> list[str]:
        return [f"{self.rtmpose.out}/metrics.json"] if self.rtmpose.enabled else []

    def data_report(self) -> list[str]:
        reports = [f"{self.out}/reports/data_report.{ext}" for ext in ("json", "txt", "html")]
        return reports + [f"{self.out}/reports/{table}.csv" for table in ("splits", "sequences")]

    def browser(self) -> list[str]:
        """The dataset browser's page, and a model run's page when the model runs."""
        if not self.config["browser"]["enabled"]:
            return []
        pages = [f"{self.out}/browser/index.html"]
        if self.model.enabled:
            pages.append(f"results/generated/{self.model.run}/browser/index.html")
        return pages

    def browser_screenshots(self) -> list[str]:
        """Screenshots for the Snakemake report (browser.screenshots: true, or auto with Chromium here)."""
        wanted = self.config["browser"]["screenshots"]
        if not self.browser() or wanted is False:
            return []
        if wanted == "auto":
            from rhythm.browser.screenshots import find_chromium

            if find_chromium() is None:
                return []
        shots = [f"{self.out}/reports/browser/index.png"]
        if self.pose_sequences():  # a sequence with 3D keypoints has a page
            shots.append(f"{self.out}/reports/browser/sequence.png")
        if self.model.enabled:
            shots.append(f"results/generated/{self.model.run}/reports/browser/model.png")
        return shots

    def all(self) -> list[str]:
        """Everything ``snakemake`` builds by default."""
        return (
            self.frames()
            + self.coco()
            + self.rtmpose_configs()
            + self.audio()
            + self.beats()
            + self.beat_plots()
            + self.poses()
            + self.features()
            + self.smpl()
            + self.audio2pose()
            + self.overlays()
            + self.reprojection()
            + self.reconstruction.targets()
            + self.landmark_arrays()
            + self.landmark_validation()
            + self.rtmpose.targets()
            + self.data_report()
            + model_stage.targets(self.config, self.model)
            + self.browser()
            + self.browser_screenshots()
        )

    def notes(self) -> list[str]:
        """What planning left out and why, for the data report."""
        notes = self.plan.notes + self.model.notes + self.reconstruction.notes
        if not self.model.enabled and self.model.reason != "model.enabled is false":
            notes.append(f"model: not run ({self.model.reason})")
        return notes

    def note_flags(self) -> str:
        return " ".join(f"--note {shlex.quote(n)}" for n in self.notes())
