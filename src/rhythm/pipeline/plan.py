"""What a run builds, worked out from the config and the data tree: the targets the rules expand.

Every stage is planned for what is there. A selected sequence is planned in a stage when it has
the annotation files that stage reads (poses: keypoints3d; SMPL joints: motions; frames, COCO and
reconstruction: keypoints2d); a video-based stage for the videos present (or to be downloaded);
a music-based stage for the music ids with a source. ``data.on_missing_annotations: error`` stops
at planning instead, naming how many files are missing and the first ones. For the demo the
sequence lists come from the demo recipe (its files are written by the ``demo_data`` rule).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rhythm.audio.wav import find_music_file
from rhythm.core import aist
from rhythm.core.options import from_config
from rhythm.pipeline.selection import Selection, select_sequences, selected_videos, selection_from_config
from rhythm.sources import demo

ANNOTATION_KINDS = ("keypoints2d", "keypoints3d", "motions")
_PATHS = {"keypoints2d": aist.keypoints2d_path, "keypoints3d": aist.keypoints3d_path, "motions": aist.motion_path}


class PlanError(ValueError):
    """The config asks for something the data tree cannot give; one line naming the key or the files."""


@dataclass(frozen=True)
class MusicSource:
    """Where the WAV of one music id can come from (:mod:`rhythm.audio.music` picks among them)."""

    candidates: tuple[str, ...]  # a music file, or the videos of that music (present or to be downloaded)
    sequences: tuple[str, ...]  # the selected sequences that dance to it: the WAV must cover them


@dataclass
class Plan:
    dataset: str
    splits: dict[str, list[str]]  # AIST split -> selected sequences (after ignore list, genres, limit)
    annotations: dict[str, frozenset]  # sequence -> the annotation kinds present
    coco_splits: dict[str, str]  # COCO split name (train) -> AIST split (pose_train); only those with frames
    frame_videos: list[str]  # videos whose frames are extracted (those the COCO splits use)
    overlay_videos: list[str]
    music_sources: dict[str, MusicSource] = field(default_factory=dict)  # music id -> its source
    missing_videos: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was left out at planning, and why (for the report)

    @property
    def sequences(self) -> list[str]:
        return sorted({s for seqs in self.splits.values() for s in seqs})

    @property
    def music(self) -> list[str]:
        return sorted(self.music_sources)

    def with_annotations(self, *kinds: str, sequences: list[str] | None = None) -> list[str]:
        """The sequences (default: all selected) that have every one of the annotation ``kinds``."""
        return [
            s
            for s in (self.sequences if sequences is None else sequences)
            if set(kinds) <= self.annotations.get(s, frozenset())
        ]

    def has_music(self, sequence: str) -> bool:
        return aist.parse_name(sequence).music in self.music_sources

    def coco_videos(self, coco_split: str) -> list[str]:
        seqs = set(self.splits[self.coco_splits[coco_split]])
        return [v for v in self.frame_videos if aist.sequence_name(v) in seqs]


def demo_recipe(config: dict) -> demo.DemoRecipe:
    return from_config(demo.DemoRecipe, config.get("demo") or {})


def _demo_splits(selection: Selection, recipe: demo.DemoRecipe) -> dict[str, list[str]]:
    out = {}
    for split in selection.splits:
        names = [s for s in demo.split_members(split, recipe.sequences) if s not in demo.DEMO_IGNORED]
        if selection.genres:
            names = [s for s in names if aist.parse_name(s).genre in selection.genres]
        out[split] = names[: selection.limit] if selection.limit else names
    return out


def needed_annotations(config: dict) -> tuple[str, ...]:
    """The annotation kinds the enabled stages read: keypoints2d and keypoints3d always, motions for
    SMPL joints or an SMPL model."""
    kinds = ["keypoints2d", "keypoints3d"]
    model = config.get("model") or {}
    if config["poses"].get("smpl") or (model.get("enabled") and model.get("representation", "smpl") == "smpl"):
        kinds.append("motions")
    return tuple(kinds)


def present_annotations(anno_dir: Path, sequences: list[str]) -> dict[str, frozenset]:
    return {s: frozenset(k for k, path in _PATHS.items() if path(anno_dir, s).is_file()) for s in sequences}


def check_missing_annotations(config: dict, annotations: dict[str, frozenset], anno_dir: Path) -> list[str]:
    """Stop (``error``) or note (``skip``) the selected sequences without the files the stages read."""
    needed = needed_annotations(config)
    missing = {s: [k for k in needed if k not in have] for s, have in sorted(annotations.items())}
    missing = {s: kinds for s, kinds in missing.items() if kinds}
    if not missing:
        return []
    counts = Counter(k for kinds in missing.values() for k in kinds)
    by_kind = ", ".join(f"{n} {k}" for k, n in counts.items())
    first = ", ".join(f"{k}/{s}.pkl" for s, kinds in list(missing.items())[:3] for k in kinds[:1])
    if config["data"].get("on_missing_annotations", "error") == "error":
        raise PlanError(
            f"{anno_dir}: {len(missing)} of {len(annotations)} selected sequences lack annotation files "
            f"({by_kind} missing; first {first}); unpack them, or set data.on_missing_annotations: skip "
            "to plan what is there"
        )
    return [
        f"{len(missing)} of {len(annotations)} selected sequences lack annotation files ({by_kind} missing, "
        f"first {first}): each stage is planned for the sequences that have what it reads"
    ]


def coco_split_names(config: dict) -> dict[str, str]:
    """COCO split name -> AIST++ split: the config's, or (null) the selected pose splits as train/val/test."""
    given = (config.get("coco") or {}).get("splits")
    if given is not None:
        return dict(given)
    selected = config["selection"]["splits"]
    return {name: f"pose_{name}" for name in ("train", "val", "test") if f"pose_{name}" in selected}


def make_plan(config: dict) -> Plan:
    selection = selection_from_config(config)
    is_demo = bool((config.get("demo") or {}).get("enabled"))
    anno_dir = Path(config["data"]["anno_dir"])
    video_dir = Path(config["data"]["video_dir"])
    splits = _demo_splits(selection, demo_recipe(config)) if is_demo else select_sequences(anno_dir, selection)
    every = sorted({s for seqs in splits.values() for s in seqs})
    if is_demo:  # written by the demo_data rule
        annotations = {s: frozenset(ANNOTATION_KINDS) for s in every}
        notes = []
    else:
        annotations = present_annotations(anno_dir, every)
        if config["data"].get("keypoints2d_source", "annotations") != "annotations":
            annotations = {
                s: (kinds - {"keypoints2d"}) | ({"keypoints2d"} if detection_inputs(config, selection, s) else set())
                for s, kinds in annotations.items()
            }
        notes = check_missing_annotations(config, annotations, anno_dir)

    download = config.get("download") or {}
    downloading = bool(download.get("enabled"))
    if downloading and not download.get("accept_terms_of_use"):
        from rhythm.sources.download import TERMS_URL

        raise PlanError(f"download.enabled needs download.accept_terms_of_use: true (read {TERMS_URL} first)")
    present = (lambda v: True) if is_demo else (lambda v: (video_dir / f"{v}.mp4").is_file())

    coco_all = coco_split_names(config)
    for name, split in coco_all.items():
        if split not in splits:
            raise PlanError(f"coco.splits.{name}: uses {split}, which is not in selection.splits")
    # frames are for the COCO splits' videos, of sequences with keypoints2d (the alignment reads them)
    wanted = sorted(
        {
            v
            for split in coco_all.values()
            for v in selected_videos([s for s in splits[split] if "keypoints2d" in annotations[s]], selection)
        }
    )
    missing = [] if downloading else [v for v in wanted if not present(v)]
    if missing and config["data"].get("on_missing_video", "skip") == "error":
        raise PlanError(
            f"{video_dir}: {len(missing)} videos missing, first {missing[0]}.mp4; add them, or set "
            "data.on_missing_video: skip"
        )
    frame_videos = [v for v in wanted if v not in set(missing)]
    coco_splits = {}
    for name, split in coco_all.items():
        seqs = set(splits[split])
        if any(aist.sequence_name(v) in seqs for v in frame_videos):
            coco_splits[name] = split
        else:
            notes.append(f"COCO split {name} ({split}): left out, no video of its sequences is present yet")

    ov = config["overlays"]
    overlay_videos = [v for v in frame_videos if aist.parse_name(v).camera in ov["cameras"]]
    if ov.get("max_videos"):
        overlay_videos = overlay_videos[: ov["max_videos"]]

    sources = music_sources(config, splits, selection, present)
    return Plan(
        config["dataset"], splits, annotations, coco_splits, frame_videos, overlay_videos, sources, missing, notes
    )


def detection_path(config: dict, video: str) -> Path | None:
    """A video's own detections in ``data.detections_dir`` (``<video>.json`` or ``<video>/``), if there."""
    folder = config["data"].get("detections_dir")
    if not folder:
        return None
    for candidate in (Path(folder) / f"{video}.json", Path(folder) / video):
        if candidate.exists():
            return candidate
    return None


def detection_inputs(config: dict, selection: Selection, sequence: str) -> list[tuple[str, str]]:
    """(camera, detections) of a sequence's selected videos that have detections in ``data.detections_dir``."""
    out = []
    for video in selected_videos([sequence], selection):
        path = detection_path(config, video)
        if path is not None:
            out.append((aist.parse_name(video).camera, str(path)))
    return out


def annotation_view(anno_dir: str | Path, view: str | Path) -> Path:
    """A folder that is the annotations with another ``keypoints2d/`` (imported detections): links to
    every other entry of ``anno_dir``, an empty ``keypoints2d/`` for the import rule to fill."""
    anno_dir, view = Path(anno_dir).resolve(), Path(view)
    (view / "keypoints2d").mkdir(parents=True, exist_ok=True)
    for entry in ("cameras", "splits", "ignore_list.txt", "keypoints3d", "motions"):
        link = view / entry
        if (anno_dir / entry).exists() and not link.is_symlink() and not link.exists():
            link.symlink_to(anno_dir / entry)
    return view


def music_sources(config: dict, splits: dict[str, list[str]], selection: Selection, present) -> dict[str, MusicSource]:
    """Per music id: a file from ``data.music_dir``, else every selected video of that music that is
    there (``present(video)``), sFM (longer) dances first; with downloads on, a sequence with no video
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
