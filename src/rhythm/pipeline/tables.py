"""The data report's tables as pandas DataFrames: one row per split, and one row per sequence.

The split table is what ``rhythm status`` and the text report print; both tables are written as
CSV beside the data report (``reports/splits.csv``, ``reports/sequences.csv``) for researchers to
load with ``pandas.read_csv`` and filter: which sequences have every annotation, a good
reprojection, frames extracted, an overlay to look at.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from rhythm.core import aist
from rhythm.core.io import atomic_path, read_json
from rhythm.pipeline.selection import Selection, selected_videos

SPLIT_COLUMNS = (
    "split",
    "seqs",
    "ignored",
    "kp2d",
    "kp3d",
    "smpl",
    "videos_present",
    "videos_expected",
    "frames",
    "duration_s",
    "genres",
    "error",
)


def split_table(status: dict) -> pd.DataFrame:
    """One row per split of a status or report dict (:func:`rhythm.pipeline.report.data_status`)."""
    rows = []
    for split, e in status["splits"].items():
        if "error" in e:
            rows.append({"split": split, "error": e["error"]})
            continue
        rows.append(
            {
                "split": split,
                "seqs": e["selected"],
                "ignored": len(e["ignored"]),
                "kp2d": e["keypoints2d"],
                "kp3d": e["keypoints3d"],
                "smpl": e["motions"],
                "videos_present": e.get("videos_present"),
                "videos_expected": e.get("videos_expected"),
                "frames": e["frames"],
                "duration_s": e["duration_s"],
                "genres": " ".join(f"{g}:{n}" for g, n in e["genres"].items()),
                "error": None,
            }
        )
    table = pd.DataFrame(rows, columns=list(SPLIT_COLUMNS))
    counts = ["seqs", "ignored", "kp2d", "kp3d", "smpl", "videos_present", "videos_expected", "frames"]
    table[counts] = table[counts].astype("Int64")  # integers with gaps (a split file not found)
    return table


def split_rows_text(table: pd.DataFrame) -> list[str]:
    """The split table in the text report's fixed-width layout (header, rule, one line per split)."""
    header = (
        f"{'split':<18}{'seqs':>6}{'ignored':>9}{'kp2d':>6}{'kp3d':>6}{'smpl':>6}{'videos':>12}{'frames':>9}"
        f"{'minutes':>9}  genres"
    )
    lines = [header, "-" * len(header)]
    for row in table.itertuples(index=False):
        if isinstance(row.error, str):
            lines.append(f"{row.split:<18}{row.error}")
            continue
        vids = "-" if pd.isna(row.videos_expected) else f"{row.videos_present}/{row.videos_expected}"
        lines.append(
            f"{row.split:<18}{row.seqs:>6}{row.ignored:>9}{row.kp2d:>6}{row.kp3d:>6}{row.smpl:>6}{vids:>12}"
            f"{row.frames:>9}{row.duration_s / 60:>9.1f}  {row.genres}"
        )
    return lines


def sequence_table(
    anno_dir: str | Path,
    splits: dict[str, list[str]],
    selection: Selection,
    video_dir: str | Path | None = None,
    frame_mappings=(),
    beats=(),
    poses=(),
    overlays=(),
    reprojection=(),
    landmarks=(),
) -> pd.DataFrame:
    """One row per selected sequence: its name's parts, splits, annotations, videos and what was built.

    ``splits``: AIST split -> selected sequences (their videos: the ``selection``'s cameras minus its
    excluded videos); the other arguments are the built files the data
    report reads (frame mappings, beats, poses, overlays, reprojection and landmark reports).
    """
    anno_dir = Path(anno_dir)
    in_splits: dict[str, list[str]] = defaultdict(list)
    for split, seqs in splits.items():
        for seq in seqs:
            in_splits[seq].append(split)
    framed = _count_by_sequence(Path(p).parent.name for p in frame_mappings)
    overlaid = _count_by_sequence(Path(p).parent.name for p in overlays)
    posed = {Path(p).stem for p in poses}
    tempo = {}
    for path in beats:
        b = read_json(path)
        tempo[b["music"]] = b["tempo_bpm"]
    reproj = {}
    for path in reprojection:
        r = read_json(path)
        medians = [v for v in r["median_px"].values() if v is not None]
        reproj[r["sequence"]] = (float(np.median(medians)) if medians else None, " ".join(r["outliers"]))
    landmark_frames: dict[str, int] = defaultdict(int)
    for path in landmarks:
        lm = read_json(path)
        if lm.get("status") == "ok" and lm.get("video"):
            landmark_frames[aist.sequence_name(lm["video"])] += lm.get("frames_with_person", 0)
    rows = []
    for seq in sorted(in_splits):
        name = aist.parse_name(seq)
        videos = selected_videos([seq], selection)
        median_px, outliers = reproj.get(seq, (None, None))
        rows.append(
            {
                "sequence": seq,
                "splits": " ".join(in_splits[seq]),
                "genre": name.genre,
                "situation": name.situation,
                "dancer": name.dancer,
                "music": name.music,
                "music_bpm": _music_bpm(name.music),
                "tempo_bpm": tempo.get(name.music),
                "keypoints2d": aist.keypoints2d_path(anno_dir, seq).is_file(),
                "keypoints3d": aist.keypoints3d_path(anno_dir, seq).is_file(),
                "motions": aist.motion_path(anno_dir, seq).is_file(),
                "videos_present": (
                    None if video_dir is None else sum((Path(video_dir) / f"{v}.mp4").is_file() for v in videos)
                ),
                "videos_expected": len(videos),
                "videos_with_frames": framed.get(seq, 0),
                "pose_npy": seq in posed,
                "overlays": overlaid.get(seq, 0),
                "reprojection_median_px": median_px,
                "outlier_views": outliers,
                "landmark_frames_with_person": landmark_frames.get(seq, 0),
            }
        )
    table = pd.DataFrame(rows)
    if not table.empty:
        table["videos_present"] = table["videos_present"].astype("Int64")
    return table


def _count_by_sequence(videos) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for video in videos:
        try:
            counts[aist.sequence_name(video)] += 1
        except ValueError:  # not an AIST++ video name
            continue
    return counts


def _music_bpm(music: str) -> int | None:
    try:
        return aist.music_bpm(music)
    except ValueError:
        return None


def write_csv(table: pd.DataFrame, path: str | Path) -> None:
    """The table as CSV (no index column), written atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
