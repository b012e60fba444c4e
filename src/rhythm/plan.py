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


@dataclass
class Plan:
    dataset: str
    splits: dict[str, list[str]]  # AIST split -> sequences (after ignore list, genres, limit)
    coco_splits: dict[str, str]  # COCO split name (train) -> AIST split (pose_train)
    frame_videos: list[str]  # videos whose frames are extracted (those the COCO splits use)
    overlay_videos: list[str]
    music_sources: dict[str, str] = field(default_factory=dict)  # music id -> WAV/video to decode
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
                           cameras=tuple(d.get("cameras", ("c01", "c02", "c03"))))


def _demo_splits(selection: Selection) -> dict[str, list[str]]:
    out = {}
    for split in selection.splits:
        names = [s for s in demo.split_members(split) if s not in demo.DEMO_IGNORED]
        if selection.genres:
            names = [s for s in names if aist.parse_name(s).genre in selection.genres]
        out[split] = names[: selection.limit] if selection.limit else names
    return out


def make_plan(config: dict) -> Plan:
    selection = selection_from_config(config)
    is_demo = bool((config.get("demo") or {}).get("enabled"))
    anno_dir = Path(config["data"]["anno_dir"])
    video_dir = Path(config["data"]["video_dir"])
    splits = _demo_splits(selection) if is_demo else select_sequences(anno_dir, selection)
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

    # One source per music track: a file from the music folder, else the first video playing it.
    all_videos = sorted({v for seqs in splits.values() for v in selected_videos(seqs, selection)})
    music_dir = config["data"].get("music_dir")
    sources: dict[str, str] = {}
    for seq in sorted({s for seqs in splits.values() for s in seqs}):
        music = aist.parse_name(seq).music
        if music in sources:
            continue
        found = find_music_file(music_dir, music) if music_dir else None
        if found is not None:
            sources[music] = str(found)
            continue
        for video in all_videos:
            if aist.parse_name(video).music == music and (local or (video_dir / f"{video}.mp4").is_file()):
                sources[music] = f"results/{config['dataset']}/videos/{video}.mp4"
                break
    return Plan(config["dataset"], splits, coco_splits, frame_videos, overlay_videos, sources, missing)
