"""The dance model's part of a run (workflow/rules/model.smk): which sequences it trains, validates
and is tested on, its files, and the options of its rules.

A disabled model adds no jobs and checks nothing but the schema. An enabled one checks its split
keys once, here, and trains on the sequences that have their motion (SMPL parameters or keypoints3d)
and their music; the others are left out and named in the data report.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from rhythm.core import aist
from rhythm.pipeline.plan import Plan, PlanError


@dataclass
class ModelPlan:
    enabled: bool
    reason: str | None  # why the stage does not run (for the data report)
    run: str
    fps: int = 30
    representation: str = "smpl"
    splits: dict[str, list[str]] = field(default_factory=dict)  # train / val / test key -> sequences used
    notes: list[str] = field(default_factory=list)

    def sequences(self, which: str, settings: dict) -> list[str]:
        """``train`` (every train split), ``val`` or ``test``."""
        keys = settings.get("train_splits", ["train"]) if which == "train" else [settings.get(f"{which}_split")]
        return [s for key in keys if key for s in self.splits.get(key, [])]


def _motion_kind(representation: str) -> str:
    return "motions" if representation == "smpl" else "keypoints3d"


def model_plan(config: dict, plan: Plan) -> ModelPlan:
    model = config.get("model") or {}
    run = model.get("run") or config["dataset"]
    if not model.get("enabled"):
        return ModelPlan(False, "model.enabled is false", run)
    keys = {
        "train_splits": list(model.get("train_splits", ["train"])),
        "val_split": [model.get("val_split")],
        "test_split": [model.get("test_split", "test")],
    }
    for key, names in keys.items():
        for name in names:
            if name and f"crossmodal_{name}" not in plan.splits:
                raise PlanError(f"model.{key}: {name} means crossmodal_{name}, which is not in selection.splits")
    rep = model.get("representation", "smpl")
    kind = _motion_kind(rep)
    splits, left_out = {}, []
    for name in sorted({n for names in keys.values() for n in names if n}):
        seqs = plan.splits[f"crossmodal_{name}"]
        usable = [s for s in plan.with_annotations(kind, sequences=seqs) if plan.has_music(s)]
        left_out += [s for s in seqs if s not in usable]
        splits[name] = usable
    notes = []
    if left_out:
        notes.append(
            f"model: {len(left_out)} sequence(s) left out without their {kind} or music, first "
            f"{', '.join(left_out[:3])}"
        )
    out = ModelPlan(True, None, run, model.get("fps", 30), rep, splits, notes)
    if not out.sequences("train", model):
        out.enabled, out.reason = False, f"no training sequence has its {kind} and its music yet"
    elif not out.sequences("test", model):
        out.enabled, out.reason = (
            False,
            f"no test sequence ({model.get('test_split', 'test')}) has its {kind} and music yet",
        )
    return out


def motion_files(out: str, representation: str, sequences: list[str]) -> list[str]:
    if representation == "smpl":
        return [f"{out}/smpl/{s}.params.npy" for s in sequences]
    return [f"{out}/poses/{s}.npy" for s in sequences]


def feature_files(out: str, fps: int, sequences: list[str]) -> list[str]:
    return [f"{out}/features/{fps}fps/{m}.npy" for m in sorted({aist.parse_name(s).music for s in sequences})]


def test_music(mp: ModelPlan, settings: dict) -> list[str]:
    return sorted({aist.parse_name(s).music for s in mp.sequences("test", settings)})


def settings_json(config: dict, mp: ModelPlan, out: str) -> str:
    """What ``rhythm model-config`` writes as the run's training config (a change retrains)."""
    units = 1.0 if config["poses"]["units"] == "m" else 100.0
    return json.dumps(
        {"run": mp.run, "results": out, "splits": mp.splits, "pose_units_per_metre": units, "model": config["model"]},
        sort_keys=True,
    )


def targets(config: dict, mp: ModelPlan) -> list[str]:
    if not mp.enabled:
        return []
    gen = f"results/generated/{mp.run}"
    return (
        [f"results/models/{mp.run}/checkpoints/{c}.pt" for c in ("last", "best")]
        + [f"results/models/{mp.run}/{f}" for f in ("metrics.csv", "loss_curve.png")]
        + [f"{gen}/{m}.{ext}" for m in test_music(mp, config["model"]) for ext in ("npy", "pkl", "mp4")]
        + [f"{gen}/metrics.json", f"{gen}/report.md"]
    )


def seed_motion(config: dict, mp: ModelPlan, out: str, music: str) -> list[str]:
    """With generate.seed_motion_s > 0: the first test sequence of this music starts the dance."""
    if not config["model"]["generate"].get("seed_motion_s"):
        return []
    seqs = [s for s in mp.sequences("test", config["model"]) if aist.parse_name(s).music == music]
    return motion_files(out, mp.representation, seqs[:1])


def generate_options(config: dict, seed_motion_files: list[str]) -> str:
    g = config["model"]["generate"]
    v = g["video"]
    opts = (
        f"--seed {g['seed']} --samples {g['samples']} --width {v['width']} --height {v['height']}"
        f" --video-fps {v['fps']} --overlap {g['overlap']}"
    )
    if not g["batched"]:
        opts += " --sequential"
    if seed_motion_files:
        opts += f" --seed-motion {shlex.quote(seed_motion_files[0])} --seed-seconds {g['seed_motion_s']}"
    return opts


def evaluate_options(config: dict) -> str:
    e = config["model"]["evaluate"]
    opts = (
        f"--clip-s {e['clip_s']} --clip-stride-s {e['clip_stride_s']} --seed {e['seed']}"
        f" --baseline-draws {e['baseline_draws']} --seed-motion-s {config['model']['generate']['seed_motion_s']}"
    )
    if e["kinetic_acceleration"] == "corrected":
        opts += " --corrected-kinetics"
    if config["poses"]["units"] == "m":
        opts += " --units-per-metre 1"
    return opts
