"""Steps 1 to 3 of :func:`rhythm.people.tracking.track_people`: detections linked into tracklets, tracklets
put into ``max_people`` slots, and the slots' order (the steps are described in :mod:`rhythm.people.tracking`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from rhythm.people.similarity import _keypoint_distances, _oks, box_iou, person_size
from rhythm.people.track_types import Detection, TrackOptions

# A lost track's predicted displacement after dt frames is v * (1 + g + ... + g^(dt-1)): at most
# 10 frames' worth of motion, because nobody keeps a constant velocity through a long occlusion.
_VELOCITY_DECAY = 0.9
# Weight of a new velocity measurement against the running estimate (an exponential average).
_VELOCITY_UPDATE = 0.6
_GATED = 1e3  # Hungarian cost of a pair below the similarity gate (never kept)
# Matching cost per frame a track has been lost, and its cap (see _match).
_LOST_COST = 0.05
_LOST_COST_MAX = 0.25
# A keypoint a track has not seen for this many of its matches stops taking part in matching: an
# arm hidden for a while is no longer where the body's motion would have carried it.
_STALE_MATCHES = 5
# A new track may miss this many frames in a row and live on: a real person's first frames are
# not thrown away for one dropout, while a ghost's flicker rarely adds up to min_hits.
_TENTATIVE_MAX_LOST = 1


# ---------------------------------------------------------------------------------------------
# Step 1: tracklets


@dataclass
class _Track:
    id: int
    frames: list
    dets: list
    scores: list
    box: np.ndarray
    xy: np.ndarray  # (K, 2), NaN where not good
    ok: np.ndarray  # (K,)
    unseen: np.ndarray  # (K,) matches since each keypoint was last seen
    size: float
    vel_box: np.ndarray
    vel_xy: np.ndarray  # (2,): the body's translation per frame (keypoints share it)
    confirmed: bool = False

    @property
    def last(self) -> int:
        return self.frames[-1]

    def predict(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        dt = t - self.last
        steps = (1 - _VELOCITY_DECAY**dt) / (1 - _VELOCITY_DECAY)
        return self.box + self.vel_box * steps, self.xy + self.vel_xy * steps


@dataclass
class _Frame:
    """One frame's usable detections, as arrays."""

    index: np.ndarray  # positions in the frame's original list
    boxes: np.ndarray
    xy: np.ndarray
    ok: np.ndarray
    sizes: np.ndarray
    scores: np.ndarray


def _prepare(frames: Sequence[Sequence[Detection]], options: TrackOptions) -> tuple[list[_Frame], int, int, dict]:
    """Check shapes, drop low-scoring and invalid detections; (frames, K, D, counts)."""
    shape = next((np.shape(det.keypoints) for dets in frames for det in dets), None)
    k = shape[0] if shape is not None else 0
    counts = {"detections": 0, "low_score": 0, "invalid": 0}
    kept: list[Detection] = []
    where: list[tuple[int, int]] = []
    for t, dets in enumerate(frames):
        for i, det in enumerate(dets):
            kp_shape = np.shape(det.keypoints)
            if len(kp_shape) != 2 or kp_shape[1] < 2 or np.shape(det.keypoint_scores) != (kp_shape[0],):
                raise ValueError(
                    f"frame {t}, detection {i}: keypoints must be (K, D>=2) with (K,) scores, "
                    f"got {kp_shape} and {np.shape(det.keypoint_scores)}"
                )
            if kp_shape != shape:
                raise ValueError(f"frame {t}, detection {i}: keypoints {kp_shape}, earlier ones {shape}")
            counts["detections"] += 1
            if np.shape(det.box) != (4,) or not np.isfinite(det.box).all() or not np.isfinite(det.score):
                counts["invalid"] += 1
            elif det.score < options.min_box_score:
                counts["low_score"] += 1
            else:
                kept.append(det)
                where.append((t, i))
    m = len(kept)
    boxes = np.array([det.box for det in kept], dtype=np.float64).reshape(m, 4)
    xy = np.array([np.asarray(det.keypoints, dtype=np.float64)[:, :2] for det in kept]).reshape(m, k, 2)
    sc = np.array([np.asarray(det.keypoint_scores, dtype=np.float64) for det in kept]).reshape(m, k)
    ok = np.isfinite(xy).all(axis=-1) & (np.nan_to_num(sc, nan=-1.0) >= options.min_keypoint_score)
    xy = np.where(ok[..., None], xy, np.nan)
    sizes = person_size(xy, ok, boxes)
    scores = np.array([det.score for det in kept], dtype=np.float64)
    where_arr = np.array(where, dtype=int).reshape(m, 2)
    starts = np.searchsorted(where_arr[:, 0], np.arange(len(frames) + 1))
    out = [
        _Frame(where_arr[a:b, 1], boxes[a:b], xy[a:b], ok[a:b], sizes[a:b], scores[a:b])
        for a, b in zip(starts[:-1], starts[1:])
    ]
    return out, k, (shape[1] if shape is not None else 2), counts


def _match(tracks: list[_Track], frame: _Frame, free: np.ndarray, t: int, options: TrackOptions):
    """Hungarian matching of ``tracks`` to the free detections of ``frame``: [(track, det position)].

    The cost ranks pairs by :func:`similarity` at the tracker's own ``keypoint_sigma``, plus a
    small penalty per frame a track has been lost: at a crossing, where the evidence is even,
    the person seen a frame ago is more likely the one in front than a person lost for five.
    The gate is looser for a lost track: its keypoint similarity is taken with ``sigma`` grown
    by the square root of the frames since it was seen, as a random walk's spread grows, so a
    person back from a dropout is found although the prediction has drifted. The gate looks at
    the keypoints alone where there are some: a neighbour's box can overlap a vanished dancer's
    predicted box well enough, their keypoints cannot.
    """
    cols = np.flatnonzero(free)
    if not tracks or len(cols) == 0:
        return []
    preds = [tr.predict(t) for tr in tracks]
    boxes, xy = np.array([p[0] for p in preds]), np.array([p[1] for p in preds])
    ok, sizes = np.array([tr.ok for tr in tracks]), np.array([tr.size for tr in tracks])
    lost = np.array([t - tr.last for tr in tracks], dtype=np.float64)
    det_boxes, det_xy, det_ok = frame.boxes[cols], frame.xy[cols], frame.ok[cols]
    iou = box_iou(boxes, det_boxes)
    d2, both = _keypoint_distances(xy, ok, det_xy, det_ok)
    sharp, common = _oks(d2, both, sizes, options.keypoint_sigma)
    loose, _ = _oks(d2, both, sizes, options.keypoint_sigma * np.sqrt(lost))
    score = np.where(common, options.iou_weight * iou + (1 - options.iou_weight) * sharp, iou)
    gate = np.where(common, loose, iou) >= options.min_similarity
    penalty = np.minimum(_LOST_COST * (lost - 1), _LOST_COST_MAX)[:, None]
    cost = np.where(gate, 1.0 - score + penalty, _GATED)
    rows, picked = linear_sum_assignment(cost)
    return [(tracks[r], int(cols[c])) for r, c in zip(rows, picked) if cost[r, c] < _GATED]


def _box_only_disagrees(pairs: list, frame: _Frame) -> bool:
    """Whether matching on the last boxes' overlap alone (a plain IoU tracker) would pair differently."""
    if len(pairs) < 2:
        return False
    last = np.array([tr.box for tr, _ in pairs])
    dets = np.array([d for _, d in pairs])
    rows, cols = linear_sum_assignment(-box_iou(last, frame.boxes[dets]))
    return bool(np.any(cols[np.argsort(rows)] != np.arange(len(pairs))))


def _update(track: _Track, frame: _Frame, d: int, t: int) -> None:
    dt = t - track.last
    box, xy, ok = frame.boxes[d], frame.xy[d], frame.ok[d]
    common = track.ok & ok
    if common.any():
        shift = (xy[common] - track.xy[common]).mean(axis=0) / dt
    else:  # no keypoint seen in both: the box centre's motion
        shift = ((box[:2] + box[2:]) - (track.box[:2] + track.box[2:])) / (2 * dt)
    first = len(track.frames) == 1
    a = 1.0 if first else _VELOCITY_UPDATE
    track.vel_xy = a * shift + (1 - a) * track.vel_xy
    track.vel_box = a * (box - track.box) / dt + (1 - a) * track.vel_box
    # Keypoints not seen now keep their last position, moved with the body, for a few matches.
    track.unseen = np.where(ok, 0, track.unseen + 1)
    track.ok = ok | (track.ok & (track.unseen <= _STALE_MATCHES))
    track.xy = np.where(ok[:, None], xy, np.where(track.ok[:, None], track.xy + shift * dt, np.nan))
    track.box, track.size = box.copy(), float(frame.sizes[d])
    track.frames.append(t)
    track.dets.append(int(frame.index[d]))
    track.scores.append(float(frame.scores[d]))


def _build_tracklets(frames: list[_Frame], options: TrackOptions) -> tuple[list[_Track], dict]:
    """Step 1: link detections into tracklets (see the module's docstring); (tracklets, counts)."""
    live: list[_Track] = []
    done: list[_Track] = []
    stats: dict[str, Any] = {"switches_avoided": 0, "reidentified": 0, "reid_gaps": []}
    next_id = 0
    for t, frame in enumerate(frames):
        k = frame.ok.shape[1]
        free = np.ones(len(frame.index), dtype=bool)
        confirmed = [tr for tr in live if tr.confirmed]
        tentative = [tr for tr in live if not tr.confirmed]
        pairs = _match(confirmed, frame, free, t, options)
        for _tr, d in pairs:
            free[d] = False
        if _box_only_disagrees(pairs, frame):
            stats["switches_avoided"] += 1
        more = _match(tentative, frame, free, t, options)
        for _tr, d in more:
            free[d] = False
        matched = set()
        for tr, d in pairs + more:
            if t - tr.last > 1 and tr.confirmed:
                stats["reidentified"] += 1
                stats["reid_gaps"].append(t - tr.last - 1)
            _update(tr, frame, d, t)
            matched.add(tr.id)
            if not tr.confirmed and len(tr.frames) >= options.min_hits:
                tr.confirmed = True
        new = np.flatnonzero(free)
        # New tracks numbered left to right, so that ids do not depend on the detections' order.
        new = new[np.lexsort((frame.boxes[new, 1] + frame.boxes[new, 3], frame.boxes[new, 0] + frame.boxes[new, 2]))]
        for d in new:
            tr = _Track(
                next_id,
                [t],
                [int(frame.index[d])],
                [float(frame.scores[d])],
                frame.boxes[d].copy(),
                frame.xy[d].copy(),
                frame.ok[d].copy(),
                np.zeros(k, dtype=int),
                float(frame.sizes[d]),
                np.zeros(4),
                np.zeros(2),
                confirmed=options.min_hits <= 1,
            )
            next_id += 1
            live.append(tr)
            matched.add(tr.id)
        still = []
        for tr in live:
            lost = t - tr.last
            if tr.id in matched or lost <= (options.max_gap if tr.confirmed else _TENTATIVE_MAX_LOST):
                still.append(tr)
            else:
                done.append(tr)
        live = still
    done += live
    done.sort(key=lambda tr: tr.id)
    return done, stats


# ---------------------------------------------------------------------------------------------
# Step 2 and 3: slots and their order


def _centre(box: np.ndarray) -> np.ndarray:
    return (box[:2] + box[2:]) / 2


def _assign_slots(
    tracklets: list[_Track], frames: list[_Frame], options: TrackOptions
) -> tuple[list[list[_Track]], dict]:
    """Step 2: confirmed tracklets into ``max_people`` slots; (slots, counts of what was left out)."""
    candidates = [tr for tr in tracklets if tr.confirmed]
    candidates.sort(key=lambda tr: (-len(tr.frames), -float(np.mean(tr.scores)), tr.frames[0], tr.id))
    slots: list[list[_Track]] = [[] for _ in range(options.max_people)]
    extra = []
    for tr in candidates:
        start, end = tr.frames[0], tr.last
        best, best_cost = None, np.inf
        for s, slot in enumerate(slots):
            if any(not (end < u.frames[0] or u.last < start) for u in slot):
                continue
            if not slot:
                cost = options.stitch_distance  # an empty slot: as good as a stitch at the limit
            else:
                cost = min(_stitch_distance(u, tr, frames) for u in slot)
                cost = cost if cost <= options.stitch_distance else options.stitch_distance + cost
            if cost < best_cost - 1e-12:
                best, best_cost = s, cost
        if best is None:
            extra.append(tr)
        else:
            slots[best].append(tr)
            slots[best].sort(key=lambda u: u.frames[0])
    stats = {"extra_tracklets": len(extra), "extra_detections": sum(len(tr.frames) for tr in extra)}
    return slots, stats


def _stitch_distance(a: _Track, b: _Track, frames: list[_Frame]) -> float:
    """Distance between the end of one tracklet and the start of the other (in time order), in box sizes.

    A box size is the sqrt of the area of the earlier tracklet's last box.
    """
    first, second = (a, b) if a.last < b.frames[0] else (b, a)
    end = _box_at(first, -1, frames)
    start = _box_at(second, 0, frames)
    size = max(np.sqrt(max((end[2] - end[0]) * (end[3] - end[1]), 1e-12)), 1e-9)
    return float(np.linalg.norm(_centre(end) - _centre(start)) / size)


def _box_at(tr: _Track, k: int, frames: list[_Frame]) -> np.ndarray:
    frame = frames[tr.frames[k]]
    return frame.boxes[int(np.flatnonzero(frame.index == tr.dets[k])[0])]


def _order_slots(slots: list[list[_Track]], frames: list[_Frame], order: str) -> list[list[_Track]]:
    """Step 3: a deterministic order of the slots; empty slots last."""

    def key(slot):
        if not slot:
            return (1, np.inf, np.inf)
        if order == "x":
            xs = [_centre(_box_at(tr, k, frames))[0] for tr in slot for k in range(len(tr.frames))]
            return (0, float(np.mean(xs)), slot[0].frames[0])
        return (0, slot[0].frames[0], float(_centre(_box_at(slot[0], 0, frames))[0]))

    return sorted(slots, key=key)
