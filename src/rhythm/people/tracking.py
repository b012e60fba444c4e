"""Multi-person tracking: per-frame detections in, ``(T, N, K, C+1)`` arrays with stable identities out.

A pose backend finds people frame by frame, in no particular order, sometimes missing one and
sometimes seeing a ghost. A duet or a crowd needs person ``n`` to be the same dancer in every
frame, short dropouts bridged, ghosts dropped and jitter removed, while keeping absolute
positions: the duet seed removed AlphaPose's root-centring to keep the dancers' interaction, so
nothing here centres or normalises a person.

:func:`track_people` works in five steps (the last two, :func:`fill_gaps` and :func:`smooth`,
also work alone on any ``(T, ...)`` array):

1. **Tracklets** (online, frame by frame): live tracks predict their box and keypoints by
   constant velocity (damped, see ``rhythm.people.tracklets._VELOCITY_DECAY``), and a Hungarian assignment
   (:func:`scipy.optimize.linear_sum_assignment`) matches them to the frame's detections on a
   similarity that mixes box IoU and an OKS-like keypoint similarity (:func:`similarity`).
   Confirmed tracks are matched first, so a ghost never takes a dancer's detection; a track lost
   for up to ``max_gap`` frames keeps predicting and is matched again when its person comes back
   (re-identification), with a looser gate and a small handicap against tracks seen just now.
   A new track is tentative until it has been matched in ``min_hits`` frames; a tentative track
   that misses two frames in a row ends, and its detections count as spurious.
2. **Slots**: confirmed tracklets go into ``max_people`` slots, the most persistent first
   (frames matched, then mean score); a tracklet takes a slot only where it overlaps no other
   tracklet in time, preferring the slot whose previous occupant ended nearest to where it
   starts (a dancer who left for longer than ``max_gap`` and came back). Tracklets that find no
   slot are extra people, dropped and counted.
3. **Order**: slots are sorted by first appearance (ties: leftmost first) or by mean x
   (``order``), so the output does not depend on the order in which detections were listed.
4. **Gaps** (:func:`fill_gaps`): interior gaps up to ``max_interp_gap`` frames are interpolated
   (a cubic where both sides have two samples, else linear), longer gaps stay NaN and are
   marked, and nothing is extrapolated before a person's first or after their last frame.
5. **Smoothing** (:func:`smooth`): a One Euro filter (by default run forwards and backwards, so
   that it does not lag) or Savitzky-Golay, NaN-aware (each run of finite values on its own). It
   runs after gap filling, so a one-frame dropout does not restart the filter; speeds are
   measured in person sizes per second, so the same ``beta`` suits pixel and normalised
   coordinates.

Boxes are ``x1, y1, x2, y2`` in the same units as the keypoints' x and y; the keypoints' further
coordinates (RTMW3D's z) are carried, filled and smoothed but not used for matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.people.similarity import box_iou, keypoint_similarity, person_size, similarity
from rhythm.people.smoothing import _finite_runs, fill_gaps, one_euro, savgol, smooth
from rhythm.people.track_types import INTERPOLATIONS, ORDERS, SMOOTHINGS, Detection, TrackOptions, TrackResult
from rhythm.people.tracklets import _assign_slots, _build_tracklets, _order_slots, _prepare, _stitch_distance

# ---------------------------------------------------------------------------------------------
# The whole


def track_people(
    frames: Sequence[Sequence[Detection]], options: TrackOptions = TrackOptions(), fps: float = 30.0
) -> TrackResult:
    """Track up to ``options.max_people`` people through ``frames`` (one list of detections per frame).

    Returns a :class:`TrackResult` whose slot ``n`` is one person throughout (the module's
    docstring gives the steps; ``docs/tracking.md`` the report's fields). ``fps`` only sets the
    One Euro filter's time base. A frame with nobody in it is an empty list, not a missing one.
    """
    if fps <= 0:
        raise ValueError("fps must be positive")
    prepared, k, d, counts = _prepare(frames, options)
    tracklets, stats = _build_tracklets(prepared, options)
    slots, slot_stats = _assign_slots(tracklets, prepared, options)
    slots = _order_slots(slots, prepared, options.order)
    t_len, n = len(frames), options.max_people

    kps = np.full((t_len, n, k, d + 1), np.nan)
    boxes = np.full((t_len, n, 4), np.nan)
    det_index = np.full((t_len, n), -1, dtype=np.int64)
    tracklet = np.full((t_len, n), -1, dtype=np.int64)
    for s, slot in enumerate(slots):
        for tr in slot:
            for t, i in zip(tr.frames, tr.dets):
                det = frames[t][i]
                kps[t, s, :, :d] = np.asarray(det.keypoints, dtype=np.float64)
                kps[t, s, :, d] = np.asarray(det.keypoint_scores, dtype=np.float64)
                boxes[t, s] = det.box
                det_index[t, s], tracklet[t, s] = i, tr.id
    observed = det_index >= 0

    # A gap is a whole person missing: fill and mark by the person's presence, not per keypoint,
    # then per series so that a keypoint the backend left NaN is treated like any other gap.
    kps_f, _ = fill_gaps(kps, options.max_interp_gap, options.interpolation)
    boxes_f, _ = fill_gaps(boxes, options.max_interp_gap, options.interpolation)
    interpolated = ~observed & np.isfinite(boxes_f).all(axis=-1)
    long_gap = np.zeros_like(observed)
    for s in range(n):
        for s0, e0 in _gaps(observed[:, s]):
            if e0 - s0 > options.max_interp_gap:
                long_gap[s0:e0, s] = True
    for s in range(n):
        if not observed[:, s].any():
            continue
        xy = kps[observed[:, s], s, :, :2]
        ok = np.nan_to_num(kps[observed[:, s], s, :, d], nan=-1.0) >= options.min_keypoint_score
        size = float(np.median(person_size(xy, ok & np.isfinite(xy).all(-1), boxes[observed[:, s], s])))
        kps_f[:, s, :, :d] = smooth(kps_f[:, s, :, :d], fps, options, scale=size)
        boxes_f[:, s] = smooth(boxes_f[:, s], fps, options, scale=size)
    present = observed | interpolated

    report = _report(slots, tracklets, observed, interpolated, long_gap, counts, stats, slot_stats, prepared, options)
    report.update(frames=t_len, keypoints=k, channels=d + 1, fps=fps)
    return TrackResult(
        kps_f.astype(np.float32),
        boxes_f.astype(np.float32),
        present,
        observed,
        interpolated,
        long_gap,
        det_index,
        tracklet,
        report,
    )


def _gaps(observed: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each interior gap of a 1-D presence mask (not before the first or after the last frame)."""
    runs = _finite_runs(observed)
    return [(e0, s1) for (_, e0), (s1, _) in zip(runs[:-1], runs[1:])]


def _report(slots, tracklets, observed, interpolated, long_gap, counts, stats, slot_stats, frames, options) -> dict:
    """Counts a person can read: who was kept, what was dropped, which gaps were bridged and how."""
    people: list[dict[str, Any]] = []
    switches = stitches = 0
    for s, slot in enumerate(slots):
        seen = np.flatnonzero(observed[:, s])
        gaps = [e - b for b, e in _gaps(observed[:, s])]
        short = [g for g in gaps if g <= options.max_interp_gap]
        for a, b in zip(slot[:-1], slot[1:]):
            if _stitch_distance(a, b, frames) <= options.stitch_distance:
                stitches += 1
            else:
                switches += 1
        people.append(
            {
                "slot": s,
                "frames_observed": int(len(seen)),
                "frames_interpolated": int(interpolated[:, s].sum()),
                "first_frame": int(seen[0]) if len(seen) else None,
                "last_frame": int(seen[-1]) if len(seen) else None,
                "tracklets": [tr.id for tr in slot],
                "mean_score": round(float(np.mean([x for tr in slot for x in tr.scores])), 4) if slot else None,
                "gaps": len(gaps),
                "gap_lengths": gaps,
                "gaps_interpolated": len(short),
                "gaps_long": len(gaps) - len(short),
                "frames_long_gap": int(long_gap[:, s].sum()),
            }
        )
    spurious = [tr for tr in tracklets if not tr.confirmed]
    all_gaps = [g for p in people for g in p["gap_lengths"]]
    return {
        "max_people": options.max_people,
        "people_found": sum(1 for slot in slots if slot),
        "detections": counts["detections"],
        "detections_low_score": counts["low_score"],
        "detections_invalid": counts["invalid"],
        "detections_kept": int(observed.sum()),
        "tracklets": len(tracklets),
        "spurious_tracklets": len(spurious),
        "spurious_detections": sum(len(tr.frames) for tr in spurious),
        "extra_tracklets": slot_stats["extra_tracklets"],
        "extra_detections": slot_stats["extra_detections"],
        "reidentified": stats["reidentified"],
        "reidentified_gap_lengths": stats["reid_gaps"],
        "switches_avoided": stats["switches_avoided"],
        "stitches": stitches,
        "track_switches": switches,
        "gaps": len(all_gaps),
        "gaps_interpolated": sum(p["gaps_interpolated"] for p in people),
        "gaps_long": sum(p["gaps_long"] for p in people),
        "frames_interpolated": int(interpolated.sum()),
        "frames_long_gap": int(long_gap.sum()),
        "max_gap_length": max(all_gaps, default=0),
        "people": people,
        "options": asdict(options),
    }


def summary_row(report: dict) -> dict:
    """One flat row of a tracking report for the data report's per-sequence table."""
    keys = (
        "frames",
        "people_found",
        "track_switches",
        "stitches",
        "reidentified",
        "switches_avoided",
        "gaps",
        "gaps_interpolated",
        "gaps_long",
        "frames_interpolated",
        "frames_long_gap",
        "max_gap_length",
        "spurious_detections",
        "extra_detections",
    )
    return {key: report.get(key) for key in keys}


# ---------------------------------------------------------------------------------------------
# Files


def load_detections(path: str | Path) -> tuple[list[list[Detection]], float | None]:
    """Detections from a file; (frames, fps or None).

    * ``.json``: ``{"fps": 30, "frames": [[{"box": [x1, y1, x2, y2], "score": 0.9, "keypoints":
      [[x, y(, z)], ...], "keypoint_scores": [...]}, ...], ...]}``; without ``keypoint_scores``
      the keypoints' last column is the score, without ``box`` the keypoints' extent is used, a
      missing ``score`` is the mean keypoint score; a plain list is taken as ``frames``.
    * ``.npy``: ``(T, M, K, C)`` float, the last channel the score, a row of NaN for nobody (as
      a backend's per-frame output padded to M people); boxes from the keypoints.
    """
    from rhythm.core.errors import RhythmInputError
    from rhythm.core.io import read_json

    path = Path(path)
    if path.suffix == ".npy":
        from rhythm.core.io import read_npy

        arr = read_npy(path, "detections")
        if arr.ndim != 4 or arr.shape[-1] < 3:
            raise RhythmInputError(path, f"expected a (T, M, K, C>=3) array with scores last, got {arr.shape}")
        frames = [[Detection.from_keypoints(person) for person in frame if not np.isnan(person).all()] for frame in arr]
        return frames, None
    data = read_json(path)
    raw = data.get("frames") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise RhythmInputError(path, 'expected {"frames": [[detection, ...], ...]} or a list of frames')
    frames = []
    try:
        for dets in raw:
            frame = []
            for det in dets:
                kp = np.asarray(det["keypoints"], dtype=np.float64).reshape(len(det["keypoints"]), -1)
                frame.append(Detection.from_keypoints(kp, det.get("keypoint_scores"), det.get("score"), det.get("box")))
            frames.append(frame)
    except (KeyError, TypeError, ValueError) as exc:
        raise RhythmInputError(path, f"frame {len(frames)}: not a detection ({type(exc).__name__}: {exc})") from None
    fps = data.get("fps") if isinstance(data, dict) else None
    return frames, (float(fps) if fps else None)


def track_file(
    detections: str | Path,
    out: str | Path,
    options: TrackOptions = TrackOptions(),
    fps: float | None = None,
    report_out: str | Path | None = None,
    details_out: str | Path | None = None,
) -> TrackResult:
    """Track the people of a detections file (:func:`load_detections`) and write the results.

    ``out``: the keypoints ``(T, N, K, C+1)`` float32 ``.npy``; ``report_out``: the report JSON;
    ``details_out``: an ``.npz`` with ``boxes``, ``present``, ``observed``, ``interpolated``,
    ``long_gap``, ``detection_index`` and ``tracklet``. ``fps`` defaults to the file's, else 30.
    """
    from rhythm.core.errors import RhythmInputError
    from rhythm.core.io import atomic_path, write_json, write_npy

    frames, file_fps = load_detections(detections)
    try:
        result = track_people(frames, options, fps or file_fps or 30.0)
    except ValueError as exc:
        raise RhythmInputError(detections, str(exc)) from None
    result.report["detections_file"] = str(detections)
    write_npy(out, result.keypoints)
    if details_out is not None:
        with atomic_path(details_out) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(
                    fh,
                    boxes=result.boxes,
                    present=result.present,
                    observed=result.observed,
                    interpolated=result.interpolated,
                    long_gap=result.long_gap,
                    detection_index=result.detection_index,
                    tracklet=result.tracklet,
                )
    if report_out is not None:
        write_json(report_out, result.report)
    return result


__all__ = [
    "ORDERS",
    "INTERPOLATIONS",
    "SMOOTHINGS",
    "TrackOptions",
    "Detection",
    "TrackResult",
    "box_iou",
    "person_size",
    "keypoint_similarity",
    "similarity",
    "fill_gaps",
    "one_euro",
    "savgol",
    "smooth",
    "track_people",
    "summary_row",
    "load_detections",
    "track_file",
]
