"""The landmarks' part of a run (workflow/rules/landmarks.smk): whether the stage runs, on which
videos and manifest segments, and why not when it does not (``enabled: auto`` and no weights)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rhythm.core import aist
from rhythm.pipeline.plan import Plan
from rhythm.pipeline.selection import selected_videos, selection_from_config


@dataclass
class LandmarksPlan:
    """What workflow/rules/landmarks.smk builds, and why nothing when it builds nothing."""

    enabled: bool
    reason: str | None  # why the stage does not run (for the data report); None when it runs
    backend: str
    detector: str  # weight files the rules depend on
    pose: str
    videos: list[str]  # results/<dataset>/landmarks/<video>.npy
    segments: dict  # name -> rhythm.landmarks.stage.Segment: landmarks/segments/<name>.npy
    num_keypoints: int


def landmarks_plan(config: dict, plan: Plan) -> LandmarksPlan:
    """The landmarks stage of a run. ``enabled: auto`` runs it only when the weights are in
    ``models_dir`` (the demo has none: no downloads here); ``true`` with missing weights is an
    error that says how to get them; ``false`` never runs it."""
    from rhythm.core.errors import RhythmInputError
    from rhythm.landmarks.keypoints import resolve_selection
    from rhythm.landmarks.models import how_to_get, weight_path
    from rhythm.landmarks.stage import read_manifest

    lm = config.get("landmarks") or {}
    enabled = lm.get("enabled", "auto")
    backend = lm.get("backend", "mmpose")
    models_dir = lm.get("models_dir", "resources/models")
    detector = weight_path(lm.get("detector", "rtmdet-m-person"), backend, models_dir)
    pose = weight_path(lm.get("pose", "rtmw3d-l"), backend, models_dir)
    keypoints = resolve_selection(lm.get("keypoints", "dance85"))
    off = LandmarksPlan(False, None, backend, str(detector), str(pose), [], {}, len(keypoints))
    if enabled is False or enabled == "false":
        off.reason = "landmarks.enabled is false"
        return off
    missing = [p for p in (detector, pose) if not p.is_file()]
    if missing:
        if enabled is True or enabled == "true":
            raise RhythmInputError(
                missing[0], "landmarks.enabled is true but the model weights are not there: " + how_to_get(missing[0])
            )
        off.reason = _missing_weights_reason(lm, backend, models_dir, missing)
        return off

    is_demo = bool((config.get("demo") or {}).get("enabled"))
    local = is_demo or bool((config.get("download") or {}).get("enabled"))
    video_dir = Path(config["data"]["video_dir"])
    selection = selection_from_config(config)
    cameras = set(lm.get("cameras") or ["c01"])
    videos = sorted(
        {
            v
            for seqs in plan.splits.values()
            for v in selected_videos(seqs, selection)
            if aist.parse_name(v).camera in cameras
        }
    )
    if not local:
        videos = [v for v in videos if (video_dir / f"{v}.mp4").is_file()]
    if lm.get("max_videos"):
        videos = videos[: lm["max_videos"]]
    segments = {s.name: s for s in read_manifest(lm["manifest"])} if lm.get("manifest") else {}
    return LandmarksPlan(True, None, backend, str(detector), str(pose), videos, segments, len(keypoints))


def _missing_weights_reason(lm: dict, backend: str, models_dir: str, missing: list[Path]) -> str:
    """One line for the data report: which files are missing and the commands that make them."""
    from rhythm.landmarks.models import load_manifest

    manifest = load_manifest()
    names = [lm.get(k, d) for k, d in (("detector", "rtmdet-m-person"), ("pose", "rtmw3d-l"))]
    known = [n for n in names if n in manifest]
    fetch = "rhythm models fetch" + "".join(f" --only {n}" for n in known) + f" --dir {models_dir}"
    how = f"`{fetch}`"
    if backend == "onnx":
        how += f", then `rhythm models export --detector {names[0]} --pose {names[1]} --dir {models_dir}`"
    return (
        f"landmarks.enabled is auto and the weights of the {backend} backend are not in {models_dir} "
        f"({', '.join(p.name for p in missing)}); get them with {how} (docs/landmarks.md)"
    )


def landmark_options(config: dict) -> str:
    """``rhythm landmarks`` options from the config's ``landmarks:`` section (the same for every video
    and segment; the weights are the rules' inputs)."""
    import shlex

    from rhythm.core.options import config_flags
    from rhythm.landmarks.settings import LandmarkSettings
    from rhythm.people.tracking import TrackOptions

    lm = config["landmarks"]
    keypoints = lm["keypoints"] if isinstance(lm["keypoints"], str) else ",".join(map(str, lm["keypoints"]))
    opts = [config_flags(LandmarkSettings, lm, exclude=("detector", "pose", "models_dir")), f"--keypoints {keypoints}"]
    if lm["placement"] == "floor":
        opts.append(f"--anno-dir {shlex.quote(config['data']['anno_dir'])}")
    if lm["policy"] == "people":
        opts.append(config_flags(TrackOptions, lm["tracking"]))
    return " ".join(opts)


def validate_options(config: dict) -> str:
    """What the settings imply for ``rhythm landmarks-validate``: channels, KPT_THR, the score channel."""
    lm = config["landmarks"]
    channels = 2 + (not lm["remove_z"]) + lm["add_visible"]
    return f"--channels {channels} --kpt-thr {lm['kpt_threshold']}" + ("" if lm["add_visible"] else " --no-score")


def skipped_option(landmarks: LandmarksPlan) -> str:
    """For the data report: why the stage did not run (weights missing, or switched off)."""
    import shlex

    return f"--landmarks-skipped {shlex.quote(landmarks.reason)}" if landmarks.reason else ""
