"""The dataset page's table and the sequence pages' data, from a run's outputs.

The table has one row per selected sequence (and one per ignored one), from the data report
(``reports/data_report.json``) and its sequence table (``reports/sequences.csv``): no annotation
is opened for it, so it stays fast at full scale. Its QA flags name what the workflow found wrong.

A sequence page gets the 3D skeletons that exist (the official keypoints3d, Rhythm's triangulation,
the SMPL joints), the music and its beats, the motion beats (the joint-speed minima that BAS
counts), and per camera the video, its overlay and the official 2D keypoints, loaded on demand.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd

from rhythm.browser.packing import pack, unpack
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, read_npy, read_pickle
from rhythm.core.skeleton import COCO_LIMBS, SMPL_BONES
from rhythm.video.overlays import OverlayOptions

# QA thresholds of the table's flags (the data report's own findings are flagged as they are)
TRIANGULATION_FLAG_PX = 2.0  # the demo's and real AIST++'s triangulations reproject at about 1 px
TEMPO_FLAG_PCT = 5.0  # a beat tracker off the music id's BPM by more (often half or double tempo)
MM = 0.1  # the pages' unit for centimetre arrays: millimetres
PX = 0.1  # and for pixels: a tenth of a pixel
MIN_CONFIDENCE = OverlayOptions().min_confidence  # 2D keypoints scoring below are not drawn, as in the overlays

COLUMNS = (  # key, header, kind (the page sorts numbers as numbers)
    ("sequence", "sequence", "text"),
    ("splits", "split", "text"),
    ("genre", "genre", "text"),
    ("situation", "situation", "text"),
    ("dancer", "dancer", "text"),
    ("music", "music", "text"),
    ("choreo", "choreography", "text"),
    ("frames", "frames", "number"),
    ("videos", "videos", "text"),
    ("reprojection_px", "reproj. px", "number"),
    ("triangulation_px", "triang. px", "number"),
    ("tempo_error_pct", "tempo err. %", "number"),
    ("flags", "QA", "text"),
)


class Media:
    """Links from a browser folder to the run's media: relative paths, or copies under ``media/``.

    ``browser``: where the pages will be; ``staging``: where they are written now (a sibling,
    renamed to ``browser`` when done); ``results``: the run's ``results/<dataset>`` folder.
    """

    def __init__(self, browser: Path, staging: Path, results: Path, copy: bool = False):
        self.browser, self.staging, self.results, self.copy = Path(browser), Path(staging), Path(results), copy

    def href(self, path: str | Path) -> str | None:
        path = Path(path)
        if not path.is_file() or path.stat().st_size == 0:
            return None
        if self.copy:
            try:
                rel = Path("media") / path.absolute().relative_to(self.results.absolute())
            except ValueError:
                rel = Path("media") / "external" / path.name
            dest = self.staging / rel
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        else:
            rel = Path(os.path.relpath(path.absolute(), self.browser.absolute()))
        return "/".join(urllib.parse.quote(part) for part in rel.parts)


def _sequence_of(video: str) -> str | None:
    try:
        return aist.sequence_name(video)
    except ValueError:  # a music file or a video not named like AIST++
        return None


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 3)


def table_rows(report: dict, sequences: pd.DataFrame) -> list[dict]:
    """One row per sequence for the dataset page: :data:`COLUMNS`, ``flags``, ``ignored``, ``page``."""
    recon = (report.get("reconstruction") or {}).get("sequences", {})
    beats = report.get("beats", {})
    music = report.get("music", {}).get("built", {})
    mismatched: dict[str, list[str]] = {}
    for video, notes in report.get("frames", {}).get("mismatched", {}).items():
        if _sequence_of(video) is None:
            continue
        mismatched.setdefault(aist.sequence_name(video), []).append(f"{aist.parse_name(video).camera}: {notes}")
    reprojection = report.get("reprojection", {})
    rows = []
    for rec in sequences.to_dict("records"):
        seq = rec["sequence"]
        name = aist.parse_name(seq)
        flags = []
        outliers = rec.get("outlier_views")
        if isinstance(outliers, str) and outliers.strip():
            flags.append(f"unsynced {outliers.strip()}")
        for note in mismatched.get(seq, []):
            flags.append(f"frame count {note}")
        if _number(rec.get("videos_present")) is not None and rec["videos_present"] < rec["videos_expected"]:
            flags.append(f"{int(rec['videos_expected'] - rec['videos_present'])} videos missing")
        missing = [k for k in ("keypoints2d", "keypoints3d", "motions") if not rec.get(k)]
        if missing:
            flags.append("no " + ", ".join(missing))
        m = music.get(name.music, {})
        refused = [Path(p).stem for p in m.get("refused", {}) if _sequence_of(Path(p).stem) == seq]
        if refused:
            flags.append(f"refused {' '.join(aist.parse_name(v).camera for v in refused)}")
        if seq in m.get("too_short_for", {}):
            flags.append(f"music {name.music} too short")
        triangulation = recon.get(seq, {}).get("triangulation", {}).get("reprojection_px", {}).get("median_px")
        if triangulation is not None and triangulation > TRIANGULATION_FLAG_PX:
            flags.append(f"triangulation {triangulation:.1f} px")
        tempo_error = beats.get(name.music, {}).get("tempo_error_pct")
        if tempo_error is not None and abs(tempo_error) > TEMPO_FLAG_PCT:
            flags.append(f"tempo {beats[name.music]['tempo_bpm']:.0f} vs {beats[name.music]['music_bpm']} BPM")
        present = _number(rec.get("videos_present"))
        rows.append(
            {
                "sequence": seq,
                "splits": rec.get("splits") or "",
                "genre": name.genre,
                "situation": name.situation,
                "dancer": name.dancer,
                "music": name.music,
                "choreo": name.choreo,
                "frames": None,  # from the annotations, when the sequence's page is built
                "videos": f"{'?' if present is None else int(present)}/{int(rec['videos_expected'])}",
                "reprojection_px": _number(rec.get("reprojection_median_px")),
                "triangulation_px": triangulation,
                "tempo_error_pct": tempo_error,
                "flags": "; ".join(flags),
                "ignored": False,
                "page": seq in reprojection or rec.get("keypoints3d") or rec.get("motions") or bool(present),
            }
        )
    ignored: dict[str, list[str]] = {}  # a sequence on the ignore list, by the splits that list it
    for split, entry in report.get("splits", {}).items():
        for seq in entry.get("ignored", []):
            ignored.setdefault(seq, []).append(split)
    for seq, splits in sorted(ignored.items()):
        name = aist.parse_name(seq)
        rows.append(
            {
                **dict.fromkeys(k for k, _, _ in COLUMNS),
                "sequence": seq,
                "splits": " ".join(splits),
                "genre": name.genre,
                "situation": name.situation,
                "dancer": name.dancer,
                "music": name.music,
                "choreo": name.choreo,
                "videos": "",
                "flags": "ignored (ignore_list.txt)",
                "ignored": True,
                "page": False,
            }
        )
    return rows


def _official_keypoints3d(anno_dir: Path, seq: str) -> np.ndarray | None:
    path = aist.keypoints3d_path(anno_dir, seq)
    if not path.is_file():
        return None
    data = read_pickle(path)
    key = "keypoints3d_optim" if "keypoints3d_optim" in data else "keypoints3d"
    return aist.load_keypoints3d(path, optim=key == "keypoints3d_optim")


def skeletons(anno_dir: str | Path, results: str | Path, seq: str) -> list[dict]:
    """The 3D skeletons of a sequence that exist, in centimetres (y up), packed for the page."""
    anno_dir, results = Path(anno_dir), Path(results)
    found = []
    official = _official_keypoints3d(anno_dir, seq)
    if official is not None:
        found.append(("keypoints3d (official)", official, COCO_LIMBS))
    triangulated = results / "reconstruction" / "keypoints3d" / f"{seq}.pkl"
    if triangulated.is_file():
        data = read_pickle(triangulated)
        key = next((k for k in ("keypoints3d_optim", "keypoints3d") if k in data), None)
        if key is None:
            raise RhythmInputError(triangulated, "no keypoints3d in this pickle")
        found.append(("triangulated (Rhythm)", np.asarray(data[key]), COCO_LIMBS))
    smpl = results / "smpl" / f"{seq}.joints.npy"
    if smpl.is_file():
        found.append(("SMPL joints", read_npy(smpl, "SMPL joints"), SMPL_BONES))
    return [skeleton_entry(label, joints, bones) for label, joints, bones in found]


def skeleton_entry(label: str, joints_cm: np.ndarray, bones) -> dict:
    return {"label": label, "bones": [list(map(int, b)) for b in bones], "joints": pack(joints_cm, MM)}


def motion_beat_times(joints: np.ndarray, fps: float = aist.FPS) -> list[float]:
    """Kinematic beats (the joint-speed minima BAS counts, :func:`rhythm.model.metrics.motion_beats`), s."""
    from rhythm.model.metrics import motion_beats

    joints = np.asarray(joints, dtype=np.float64)
    if len(joints) < 3:
        return []
    if not np.isfinite(joints).all():
        joints = pd.DataFrame(joints.reshape(len(joints), -1)).interpolate(limit_direction="both").to_numpy()
        joints = joints.reshape(len(joints), -1, 3)
        if not np.isfinite(joints).all():
            return []
    return [round(float(i) / fps, 4) for i in motion_beats(joints)]


def _music_bpm(music: str) -> int | None:
    try:
        return aist.music_bpm(music)
    except ValueError:  # not an AIST++ music id
        return None


def music_entry(results: Path, music: str, media: Media) -> dict:
    beats_path = results / "beats" / f"{music}.json"
    beats = read_json(beats_path) if beats_path.is_file() else {}
    return {
        "music": music,
        "audio": media.href(results / "audio" / f"{music}.wav"),
        "beat_times": [round(float(t), 4) for t in beats.get("beat_times", [])],
        "tempo_bpm": beats.get("tempo_bpm"),
        "music_bpm": _music_bpm(music),
    }


def sequence_page(
    seq: str,
    report: dict,
    anno_dir: str | Path,
    video_dir: str | Path | None,
    results: str | Path,
    media: Media,
) -> tuple[dict, dict[str, dict]]:
    """The data of ``seq``'s page, and per camera its 2D keypoints (loaded when the camera is picked)."""
    anno_dir, results = Path(anno_dir), Path(results)
    name = aist.parse_name(seq)
    skels = skeletons(anno_dir, results, seq)
    frames = max((s["joints"]["shape"][0] for s in skels), default=0)
    kp2d_path = aist.keypoints2d_path(anno_dir, seq)
    kp2d = aist.load_keypoints2d(kp2d_path).keypoints if kp2d_path.is_file() else None
    if kp2d is not None:
        frames = max(frames, kp2d.shape[1])
    reproj = report.get("reprojection", {}).get(seq, {})
    triangulation = (report.get("reconstruction") or {}).get("sequences", {}).get(seq, {}).get("triangulation", {})
    cameras, keypoints2d = [], {}
    for camera in report.get("cameras") or aist.CAMERAS:
        video = str(name.with_camera(camera))
        entry = {
            "camera": camera,
            "video": media.href(Path(video_dir) / f"{video}.mp4") if video_dir else None,
            "overlay": media.href(results / "overlays" / video / "overlay.mp4"),
            "reprojection_px": (reproj.get("median_px") or {}).get(camera),
            "triangulation_px": (triangulation.get("per_view_median_px") or {}).get(camera),
            "unsynced": camera in reproj.get("outliers", []),
            "dropped": camera in (triangulation.get("dropped_views") or {}),
            "keypoints2d": None,
        }
        view = aist.CAMERAS.index(camera) if camera in aist.CAMERAS else -1
        if kp2d is not None and view >= 0:
            entry["keypoints2d"] = f"seq/{seq}/{camera}.js"
            points = np.where(kp2d[view, ..., 2:3] >= MIN_CONFIDENCE, kp2d[view, ..., :2], np.nan)  # as the overlays
            keypoints2d[camera] = {
                "camera": camera,
                "bones": [list(b) for b in COCO_LIMBS],
                "points": pack(points, PX),
            }
        cameras.append(entry)
    reference = next((s for s in skels if s["label"].startswith("keypoints3d")), skels[0] if skels else None)
    motion_beats = [] if reference is None else motion_beat_times(unpack(reference["joints"]))
    page = {
        "sequence": seq,
        "fps": aist.FPS,
        "frames": frames,
        "duration_s": round(frames / aist.FPS, 3),
        "genre": name.genre_name,
        "music": music_entry(results, name.music, media),
        "skeletons": skels,
        "motion_beats": motion_beats,
        "motion_beats_of": None if reference is None else reference["label"],
        "cameras": cameras,
    }
    return page, keypoints2d
