"""The landmarks stage: a video (or one segment of it) in, a ``(T, 85, 4)`` float32 array out.

Per sampled frame (:mod:`rhythm.landmarks.sampling`): the backend's person boxes, then the
person policy picks whom to keep, then RTMW3D's 133 keypoints of the kept boxes (all crops of a
batch of frames in one forward), normalised as Stage 3b did, ``x / width, y / height, z, score``,
and cut to the configured selection (85 by default). A frame with nobody in it is a row of NaN,
never zeros, so that a model cannot mistake "no person" for "a person at the top-left corner".

Person policies:

* ``skip``: more than one person in any frame skips the whole segment, as Stage 3b did (its
  signers were alone; a second person means ambiguity);
* ``best``: keep the highest-scoring box of every frame;
* ``track``: keep the person followed from frame to frame (the box overlapping the previous one
  most), which does not jump to a bystander who scores higher for a frame;
* ``people``: keep up to N people with stable identities (:mod:`rhythm.people.tracking`: matching by
  box overlap and keypoint distance, re-identification after short gaps, short gaps interpolated,
  jitter smoothed), written as ``(T, N, 85, 4)`` with absolute positions: slot n is the same
  dancer all the way through (duets, crowds).

A skipped segment still gets its output, an empty ``(0, K, 4)`` array, so that a workflow knows
the job ran; the JSON report next to it says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import probe_video, read_raw_frames
from rhythm.core.io import write_json, write_npy
from rhythm.landmarks.keypoints import DANCE_85
from rhythm.landmarks.sampling import SamplingOptions, SkipSegment, sample_frames

if TYPE_CHECKING:
    from rhythm.core import aist
    from rhythm.people.track_types import TrackOptions

POLICIES = ("skip", "best", "track", "people")


@dataclass(frozen=True)
class LandmarkOptions:
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    policy: str = "best"  # skip | best | track | people
    keypoints: tuple[int, ...] = DANCE_85  # indices into the 133 COCO-WholeBody keypoints
    add_visible: bool = True  # ADD_VISIBLE: the last channel, the keypoint score
    kpt_threshold: float = 0.3  # KPT_THR: keypoints scoring below it get NaN coordinates (their score is kept)
    remove_z: bool = False  # REMOVE_Z (the original Stage 4): drop the depth channel for 2D-only consumers
    camera: aist.Camera | None = None  # an aist.Camera of the video: z becomes camera depth, people placed on the floor
    floor_y: float = 0.0  # the floor's height in the camera's world units (with ``camera``)
    units_per_metre: float = 100.0  # of the camera's world (AIST++: cm)
    batch_frames: int = 16  # frames decoded and sent to the backend at once
    track_min_iou: float = 0.1  # track: below this overlap the tracked person is lost
    tracking: TrackOptions | None = None  # people: rhythm.people.tracking.TrackOptions (max_people, gaps, smoothing)

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, not {self.policy!r}")

    @property
    def channels(self) -> int:
        """x, y, then z unless ``remove_z``, then the score if ``add_visible``."""
        return 2 + (not self.remove_z) + self.add_visible


def finish_channels(xyzs: np.ndarray, options: LandmarkOptions) -> np.ndarray:
    """(..., K, 4) x/w, y/h, z, score -> the configured channels: coordinates of keypoints scoring below
    ``kpt_threshold`` become NaN (the score stays, so a reader sees why); then z and the score are
    dropped if asked."""
    out = xyzs.astype(np.float32, copy=True)
    low = out[..., 3] < options.kpt_threshold  # NaN scores (nobody there) compare False: left as they are
    out[..., :3][low] = np.nan
    keep = [0, 1] + ([] if options.remove_z else [2]) + ([3] if options.add_visible else [])
    return out[..., keep]


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of ``boxes`` (M, 4)."""
    if len(boxes) == 0:
        return np.zeros(0)
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda b: np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)  # noqa: E731
    return inter / np.maximum(area(box) + area(boxes) - inter, 1e-9)


def choose_person(
    boxes: np.ndarray, scores: np.ndarray, policy: str, previous: np.ndarray | None, min_iou: float = 0.1
) -> int | None:
    """Index of the box to keep in one frame, or None when there is nobody.

    Raises :class:`SkipSegment` under the ``skip`` policy when the frame has several people.
    """
    if len(boxes) == 0:
        return None
    if policy == "skip" and len(boxes) > 1:
        raise SkipSegment(f"{len(boxes)} people in one frame (policy: skip)")
    best = int(np.argmax(scores))
    if policy == "track" and previous is not None:
        overlap = box_iou(previous, boxes)
        if overlap.max() >= min_iou:
            return int(np.argmax(overlap))
    return best


def normalise(keypoints: np.ndarray, scores: np.ndarray, width: int, height: int, selection) -> np.ndarray:
    """``(133, 3)`` image keypoints and ``(133,)`` scores -> ``(K, 4)``: x / width, y / height, z, score.

    Scores are clipped to [0, 1]: RTMW3D's are logit maxima, and the format promises a visibility.
    """
    sel = np.asarray(selection)
    out = np.empty((len(sel), 4), np.float32)
    out[:, 0] = keypoints[sel, 0] / width
    out[:, 1] = keypoints[sel, 1] / height
    out[:, 2] = keypoints[sel, 2]
    out[:, 3] = np.clip(scores[sel], 0.0, 1.0)
    return out


def run_landmarks(
    video: str | Path,
    backend,
    options: LandmarkOptions = LandmarkOptions(),
    start_s: float = 0.0,
    end_s: float | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, dict]:
    """Landmarks of ``video`` between ``start_s`` and ``end_s``: ``(T, K, 4)`` and a report."""
    from tqdm import tqdm

    video = Path(video)
    info = probe_video(video)
    channels = options.channels
    report = {
        "video": video.stem,
        "start_s": start_s,
        "end_s": end_s,
        "source_fps": info.fps,
        "width": info.width,
        "height": info.height,
        "policy": options.policy,
        "backend": getattr(backend, "name", type(backend).__name__),
        "device": getattr(backend, "device", None),
        "weights": getattr(backend, "weights", None),
        "keypoints": len(options.keypoints),
    }
    try:
        sample = sample_frames(info, options.sampling, start_s, end_s)
    except SkipSegment as why:
        return np.zeros((0, len(options.keypoints), channels), np.float32), {
            **report,
            "status": "skipped",
            "reason": str(why),
            "frames": 0,
        }
    n = len(sample.source_index)
    position = {int(s): i for i, s in enumerate(sample.source_index)}
    people = np.zeros(n, np.int64)
    found_people: list[list] = [[] for _ in range(n)]  # per frame, the backend's people we keep
    previous = None
    batch_frames: list[np.ndarray] = []
    batch_rows: list[int] = []
    start = time.perf_counter()
    bar = tqdm(total=n, desc=f"landmarks {video.stem}", disable=not progress, mininterval=5)

    def flush():
        nonlocal previous
        chosen, chosen_scores = [], []
        for (boxes, scores), row in zip(backend.detect(batch_frames), batch_rows):
            boxes, scores = np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float)
            people[row] = len(boxes)
            if options.policy == "people":  # every box: the tracker decides who is who afterwards
                chosen.append(boxes)
                chosen_scores.append(scores)
                continue
            k = choose_person(boxes, scores, options.policy, previous, options.track_min_iou)
            chosen.append(boxes[[k]] if k is not None else np.zeros((0, 4)))
            chosen_scores.append(scores[[k]] if k is not None else np.zeros(0))
            if k is not None:
                previous = boxes[k]
        for persons, scores, row in zip(backend.estimate(batch_frames, chosen), chosen_scores, batch_rows):
            for person, score in zip(persons, scores):  # the tracker weighs people by their detection score
                if not np.isfinite(person.box_score):
                    person.box_score = float(score)
            found_people[row] = list(persons)
        bar.update(len(batch_frames))
        batch_frames.clear()
        batch_rows.clear()

    try:
        for index, buf in read_raw_frames(video, [int(s) for s in sample.source_index], (info.width, info.height)):
            batch_frames.append(np.frombuffer(buf, np.uint8).reshape(info.height, info.width, 3))
            batch_rows.append(position[index])
            if len(batch_frames) >= options.batch_frames:
                flush()
        if batch_frames:
            flush()
    except SkipSegment as why:
        return np.zeros((0, len(options.keypoints), channels), np.float32), {
            **report,
            "status": "skipped",
            "reason": str(why),
            "frames": 0,
        }
    finally:
        bar.close()

    if options.policy == "people":
        full, tracking, present = _tracked_rows(found_people, sample.fps, info.width, info.height, options)
        report["tracking"] = tracking
        found = present.any(axis=-1)
        rows = finish_channels(_place(full, options, report, info.width, info.height), options)
    else:
        full = np.full((n, len(options.keypoints), 4), np.nan, np.float32)
        for row, persons in enumerate(found_people):
            if persons:
                full[row] = normalise(
                    persons[0].keypoints, persons[0].scores, info.width, info.height, options.keypoints
                )
        found = np.isfinite(full[:, :, 0]).all(axis=1)
        rows = finish_channels(_place(full, options, report, info.width, info.height), options)
    report.update(
        status="ok",
        frames=n,
        fps=sample.fps,
        frame_times_s=[round(float(t), 6) for t in sample.times_s],
        source_frames=[int(s) for s in sample.source_index],
        frames_with_person=int(found.sum()),
        frames_without_person=int((~found).sum()),
        max_people=int(people.max(initial=0)),
        frames_with_several_people=int((people > 1).sum()),
        seconds=round(time.perf_counter() - start, 3),
        frames_per_s=round(n / max(time.perf_counter() - start, 1e-9), 2),
    )
    return rows, report


def _tracked_rows(
    found_people: list[list], fps: float, width: int, height: int, options: LandmarkOptions
) -> tuple[np.ndarray, dict, np.ndarray]:
    """``(T, N, K, 4)`` of up to N tracked people (pixels while tracking, normalised after: x / width,
    y / height, root-relative z, score), the report, and ``(T, N)``: where each person is."""
    from rhythm.people.tracking import Detection, TrackOptions, summary_row, track_people

    track_options = options.tracking or TrackOptions()
    frames = [
        [
            Detection(
                np.asarray(p.box, float),
                float(p.box_score),
                np.asarray(p.keypoints, float),
                np.asarray(p.scores, float),
            )
            for p in persons
        ]
        for persons in found_people
    ]
    result = track_people(frames, track_options, fps=fps)
    kp = result.keypoints  # (T, N, 133, 4): x, y (px), z, score; NaN where nobody
    sel = np.asarray(options.keypoints)
    rows: np.ndarray = np.full(kp.shape[:2] + (len(sel), 4), np.nan, np.float32)
    rows[..., 0] = kp[:, :, sel, 0] / width
    rows[..., 1] = kp[:, :, sel, 1] / height
    rows[..., 2] = kp[:, :, sel, 2]
    rows[..., 3] = np.clip(kp[:, :, sel, 3], 0.0, 1.0)
    # a slot is a whole person or a NaN row: interpolation fills people, not single keypoints
    partial = np.isnan(rows).any(axis=-1).any(axis=-1) & ~np.isnan(rows).all(axis=-1).all(axis=-1)
    rows[partial] = np.nan
    present = ~np.isnan(rows[..., 0]).all(axis=-1)
    return rows, {**summary_row(result.report), "people": track_options.max_people}, present


def _place(
    rows: np.ndarray, options: LandmarkOptions, report: dict, width: int | None = None, height: int | None = None
) -> np.ndarray:
    """With a camera: z becomes each keypoint's camera depth (m), every person placed where their feet meet
    the floor, so several people keep their distances (rhythm.people.grounding). Without one: z stays relative to
    each person's root, and for several people the report keeps their depth order from the feet."""
    from rhythm.people.grounding import absolute_depths, camera_depth, depth_order

    sel = list(options.keypoints)
    if options.camera is None:
        report["z"] = "relative to each person's root (metres, farther positive)"
        if rows.ndim == 4 and 15 in sel and 16 in sel and width and height:
            pixels = np.stack([rows[..., 0] * width, rows[..., 1] * height, rows[..., 3]], axis=-1)
            order = depth_order(pixels, feet=(sel.index(15), sel.index(16)))
            report["depth_order"] = [[None if np.isnan(r) else int(r) for r in frame] for frame in order]
            report["depth_order_from"] = "the feet's height in the picture (no camera): rank 0 is nearest"
        return rows
    cam = options.camera
    placed, ground = absolute_depths(rows, sel, cam.size[0], cam.size[1], cam, options.floor_y, options.units_per_metre)
    report["z"] = (
        f"depth from camera {cam.name} (metres): each person placed where the ray through their lower "
        f"ankle meets the floor (y = {options.floor_y:.2f})"
    )
    per_person = ground.reshape(len(ground), -1, 3)
    report["ground_median"] = [
        None if np.isnan(g).all() else [round(float(v), 2) for v in np.nanmedian(g, axis=0)]
        for g in per_person.transpose(1, 0, 2)
    ]
    if per_person.shape[1] > 1:
        depth = camera_depth(per_person, cam)
        report["depth_order"] = [
            [
                None if np.isnan(d) else int(r)
                for d, r in zip(frame, np.argsort(np.argsort(np.nan_to_num(frame, nan=np.inf))))
            ]
            for frame in depth
        ]
        report["depth_order_from"] = f"camera {cam.name} depth of where each person stands: rank 0 is nearest"
    return placed


def landmarks_for_video(
    video: str | Path,
    out: str | Path,
    backend,
    options: LandmarkOptions = LandmarkOptions(),
    start_s: float = 0.0,
    end_s: float | None = None,
    segment: str | None = None,
    progress: bool = False,
) -> dict:
    """Write ``out`` (``.npy``) and its report ``out`` with ``.json``; returns the report."""
    from rhythm.core.io import without_timings

    out = Path(out)
    if out.suffix != ".npy":
        raise ValueError(f"{out}: the landmarks output must be a .npy file")
    rows, report = run_landmarks(video, backend, options, start_s, end_s, progress)
    if segment is not None:
        report["segment"] = segment
    write_npy(out, rows)
    write_json(out.with_suffix(".json"), without_timings(report))
    return report


# ----------------------------------------------------------------------------- manifests of segments

_COLUMNS = {
    "video": ("video", "video_name", "video_id"),
    "name": ("name", "segment", "sentence_name", "id"),
    "start": ("start", "start_s", "start_realigned"),
    "end": ("end", "end_s", "end_realigned"),
}


@dataclass(frozen=True)
class Segment:
    name: str  # names the output: landmarks/segments/<name>.npy
    video: str  # file stem of the video
    start_s: float
    end_s: float


def read_manifest(path: str | Path) -> list[Segment]:
    """Segments from a CSV with columns video, start, end and optionally name (Stage 3b's
    VIDEO_NAME, SENTENCE_NAME, START/END columns are read too; comma- or tab-separated, other
    columns ignored). Unnamed segments are ``<video>-<k:03d>``, numbered per video as Stage 3b's
    sentence names were."""
    import re

    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "manifest not found")
    with open(path, encoding="utf-8", errors="replace") as fh:
        sep = "\t" if "\t" in fh.readline() else ","  # How2Sign-style manifests are tab-separated
    try:  # every cell as text: video names and segment names stay exactly as written
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        table = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RhythmInputError(path, f"not a readable CSV ({exc})") from None
    header = {str(h).strip().lower(): h for h in table.columns}
    cols = {key: next((header[a] for a in aliases if a in header), None) for key, aliases in _COLUMNS.items()}
    missing = [k for k in ("video", "start", "end") if cols[k] is None]
    if missing:
        raise RhythmInputError(
            path,
            f"manifest needs columns video, start, end; missing {', '.join(missing)} "
            f"(has {', '.join(map(str, table.columns))})",
        )
    segments: list[Segment] = []
    counts: dict[str, int] = {}
    for lineno, row in enumerate(table.to_dict("records"), 2):
        video = Path(row[cols["video"]].strip()).stem
        try:
            start, end = float(row[cols["start"]]), float(row[cols["end"]])
        except (TypeError, ValueError):
            raise RhythmInputError(path, f"line {lineno}: start and end must be seconds") from None
        if end <= start:
            raise RhythmInputError(path, f"line {lineno}: end ({end}) is not after start ({start})")
        k = counts.get(video, 0)
        counts[video] = k + 1
        name = (row.get(cols["name"]) or "").strip() if cols["name"] else ""
        name = name or f"{video}-{k:03d}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise RhythmInputError(path, f"line {lineno}: segment name {name!r} is not a safe file name")
        segments.append(Segment(name, video, start, end))
    names = [s.name for s in segments]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RhythmInputError(path, f"segment names must be unique; repeated: {', '.join(dupes[:5])}")
    return segments
