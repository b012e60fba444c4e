"""Which part of AIST++ a run uses: splits, genres, cameras, excluded videos, a limit per split."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rhythm.core import aist


@dataclass
class Selection:
    """Which part of AIST++ a run uses (from the config's ``selection:`` section)."""

    splits: list[str] = field(default_factory=lambda: list(aist.SPLITS))
    genres: list[str] | None = None  # None: all
    cameras: list[str] = field(default_factory=lambda: list(aist.CAMERAS))
    exclude_videos: list[str] = field(default_factory=list)
    limit: int | None = None  # at most this many sequences per split

    def as_args(self) -> list[str]:
        """The selection as ``rhythm status`` / ``rhythm report`` arguments."""
        args = ["--splits", *self.splits, "--cameras", *self.cameras]
        if self.genres:
            args += ["--genres", *self.genres]
        if self.exclude_videos:
            args += ["--exclude-videos", *self.exclude_videos]
        if self.limit:
            args += ["--limit", str(self.limit)]
        return args


def selection_from_config(config: dict) -> Selection:
    sel = config["selection"]
    return Selection(
        splits=list(sel["splits"]),
        genres=sel.get("genres") or None,
        cameras=list(sel["cameras"]),
        exclude_videos=list(sel.get("exclude_videos") or []),
        limit=sel.get("limit"),
    )


def select_sequences(anno_dir: str | Path, selection: Selection) -> dict[str, list[str]]:
    """Sequences per split after the genre filter, the ignore list and the limit."""
    ignored = aist.load_ignore_list(anno_dir)
    out = {}
    for split in selection.splits:
        names = [s for s in aist.load_split(anno_dir, split) if s not in ignored]
        if selection.genres:
            names = [s for s in names if aist.parse_name(s).genre in selection.genres]
        out[split] = names[: selection.limit] if selection.limit else names
    return out


def selected_videos(sequences: list[str], selection: Selection) -> list[str]:
    excluded = set(selection.exclude_videos)
    return [v for s in sequences for v in aist.video_names(s, selection.cameras) if v not in excluded]
