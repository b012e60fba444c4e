"""What a run builds, worked out from the config: the targets the Snakemake rules expand.

Kept here rather than in the Snakefile so that it is plain, tested Python. For the demo the
sequence lists come from the demo recipe (the data need not exist yet); for real data from the
split files and the ignore list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rhythm import aist, demo
from rhythm.audio import find_music_file
from rhythm.report import Selection, select_sequences, selected_videos


@dataclass(frozen=True)
class MusicSource:
    """Where the WAV of one music id can come from (:mod:`rhythm.music` picks among them)."""

    candidates: tuple[str, ...]  # a music file, or the videos of that music (present or to be downloaded)
    sequences: tuple[str, ...]  # the selected sequences that dance to it: the WAV must cover them


@dataclass
class Plan:
    dataset: str
    splits: dict[str, list[str]]  # AIST split -> sequences (after ignore list, genres, limit)
    coco_splits: dict[str, str]  # COCO split name (train) -> AIST split (pose_train)
    frame_videos: list[str]  # videos whose frames are extracted (those the COCO splits use)
    overlay_videos: list[str]
    music_sources: dict[str, MusicSource] = field(default_factory=dict)  # music id -> its source
    missing_videos: list[str] = field(default_factory=list)

    @property
    def sequences(self) -> list[str]:
        return sorted({s for seqs in self.splits.values() for s in seqs})

    @property
    def music(self) -> list[str]:
        return sorted(self.music_sources)

    def coco_videos(self, coco_split: str) -> list[str]:
        seqs = set(self.splits[self.coco_splits[coco_split]])
        return [v for v in self.frame_videos if aist.sequence_name(v) in seqs]


def selection_from_config(config: dict) -> Selection:
    sel = config["selection"]
    return Selection(splits=list(sel["splits"]), genres=sel.get("genres") or None,
                     cameras=list(sel["cameras"]), exclude_videos=list(sel.get("exclude_videos") or []),
                     limit=sel.get("limit"))


def demo_recipe(config: dict) -> demo.DemoRecipe:
    d = config.get("demo") or {}
    return demo.DemoRecipe(seed=d.get("seed", 7), duration_s=d.get("duration_s", 5.0),
                           width=d.get("width", 320), height=d.get("height", 180),
                           cameras=tuple(d.get("cameras", ("c01", "c02", "c03"))),
                           advanced_s=d.get("advanced_s", 0.0))


def _demo_splits(selection: Selection, recipe: demo.DemoRecipe) -> dict[str, list[str]]:
    out = {}
    for split in selection.splits:
        names = [s for s in demo.split_members(split, recipe.sequences) if s not in demo.DEMO_IGNORED]
        if selection.genres:
            names = [s for s in names if aist.parse_name(s).genre in selection.genres]
        out[split] = names[: selection.limit] if selection.limit else names
    return out


def make_plan(config: dict) -> Plan:
    selection = selection_from_config(config)
    is_demo = bool((config.get("demo") or {}).get("enabled"))
    anno_dir = Path(config["data"]["anno_dir"])
    video_dir = Path(config["data"]["video_dir"])
    splits = _demo_splits(selection, demo_recipe(config)) if is_demo else select_sequences(anno_dir, selection)
    coco_splits = dict(config["coco"]["splits"])
    for name, split in coco_splits.items():
        if split not in splits:
            raise ValueError(f"coco split '{name}' uses '{split}', which is not in selection.splits")

    download = config.get("download") or {}
    downloading = bool(download.get("enabled"))
    if downloading and not download.get("accept_terms_of_use"):
        from rhythm.download import TERMS_URL

        raise ValueError(f"download.enabled needs download.accept_terms_of_use: true (read {TERMS_URL} first)")
    local = is_demo or downloading  # every video will exist: generated or downloaded
    wanted = sorted({v for split in coco_splits.values() for v in selected_videos(splits[split], selection)})
    missing = [] if local else [v for v in wanted if not (video_dir / f"{v}.mp4").is_file()]
    if missing and config["data"].get("on_missing_video", "skip") == "error":
        raise FileNotFoundError(f"{len(missing)} videos missing from {video_dir}, first {missing[0]}.mp4")
    frame_videos = [v for v in wanted if v not in set(missing)]

    ov = config["overlays"]
    overlay_videos = [v for v in frame_videos if aist.parse_name(v).camera in ov["cameras"]]
    if ov.get("max_videos"):
        overlay_videos = overlay_videos[: ov["max_videos"]]

    sources = music_sources(config, splits, selection, present=lambda v: is_demo or (video_dir / f"{v}.mp4").is_file())
    return Plan(config["dataset"], splits, coco_splits, frame_videos, overlay_videos, sources, missing)


def music_sources(config: dict, splits: dict[str, list[str]], selection: Selection, present) -> dict[str, MusicSource]:
    """Per music id: a file from ``data.music_dir``, else every selected video of that music that is
    there (``present(video)``), longest dances first; with downloads on, a sequence with no video
    there adds its first camera's download. Music ids with no candidate at all are left out."""
    downloading = bool((config.get("download") or {}).get("enabled"))
    music_dir = config["data"].get("music_dir")
    by_music: dict[str, list[str]] = {}
    for seq in sorted({s for seqs in splits.values() for s in seqs}):
        by_music.setdefault(aist.parse_name(seq).music, []).append(seq)
    out = {}
    for music, seqs in by_music.items():
        found = find_music_file(music_dir, music) if music_dir else None
        if found is not None:
            out[music] = MusicSource((str(found),), tuple(seqs))
            continue
        candidates = []
        # sFM (advanced, 30-60 s) before sBM (basic, ~10 s): the job orders them by annotation frames
        for seq in sorted(seqs, key=lambda s: (aist.parse_name(s).situation != "sFM", s)):
            videos = selected_videos([seq], selection)
            here = [v for v in videos if present(v)]
            candidates += [f"{config['data']['video_dir']}/{v}.mp4" for v in here]
            if not here and downloading and videos:  # the download_video target
                candidates.append(f"results/{config['dataset']}/videos/{videos[0]}.mp4")
        if candidates:
            out[music] = MusicSource(tuple(candidates), tuple(seqs))
    return out


# ----------------------------------------------------------------------------- landmarks


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
    from rhythm.errors import RhythmInputError
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
            raise RhythmInputError(missing[0], "landmarks.enabled is true but the model weights are not there: "
                                   + how_to_get(missing[0]))
        off.reason = _missing_weights_reason(lm, backend, models_dir, missing)
        return off

    is_demo = bool((config.get("demo") or {}).get("enabled"))
    local = is_demo or bool((config.get("download") or {}).get("enabled"))
    video_dir = Path(config["data"]["video_dir"])
    selection = selection_from_config(config)
    cameras = set(lm.get("cameras") or ["c01"])
    videos = sorted({v for seqs in plan.splits.values() for v in selected_videos(seqs, selection)
                     if aist.parse_name(v).camera in cameras})
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
    return (f"landmarks.enabled is auto and the weights of the {backend} backend are not in {models_dir} "
            f"({', '.join(p.name for p in missing)}); get them with {how} (docs/landmarks.md)")
