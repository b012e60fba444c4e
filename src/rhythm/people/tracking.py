"""Multi-person tracking: per-frame detections in, ``(T, N, K, C+1)`` arrays with stable identities out.

A pose backend finds people frame by frame, in no particular order, sometimes missing one and
sometimes seeing a ghost. A duet or a crowd needs person ``n`` to be the same dancer in every
frame, short dropouts bridged, ghosts dropped and jitter removed, while keeping absolute
positions: the duet seed removed AlphaPose's root-centring to keep the dancers' interaction, so
nothing here centres or normalises a person.

:func:`track_people` works in five steps (the last two, :func:`fill_gaps` and :func:`smooth`,
also work alone on any ``(T, ...)`` array):

1. **Tracklets** (online, frame by frame): live tracks predict their box and keypoints by
   constant velocity (damped, see ``_VELOCITY_DECAY``), and a Hungarian assignment
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

import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from rhythm.core.options import option
from scipy.optimize import linear_sum_assignment
from scipy.signal import savgol_filter

ORDERS = ("first_seen", "x")
INTERPOLATIONS = ("cubic", "linear")
SMOOTHINGS = ("one_euro", "savgol", "none")

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
_CUBIC_SIDE = 4  # samples on each side of a gap that its cubic is fitted to


@dataclass(frozen=True)
class TrackOptions:
    """Options of :func:`track_people`, ``rhythm track`` and the config's ``landmarks.tracking:`` section
    (:mod:`rhythm.core.options`)."""

    # Who counts
    max_people: int = option(2, "N, the slots of the output; more people at once: the least persistent are dropped")
    min_box_score: float = option(0.3, "detections scoring below this are ignored")
    min_keypoint_score: float = option(0.3, "keypoints scoring below this take no part in matching or person size")
    min_hits: int = option(3, "frames a new person must be seen in (missing no two in a row) before they count")
    # Matching
    iou_weight: float = option(0.5, "similarity = w * box IoU + (1 - w) * keypoint similarity (IoU alone "
                                     "without keypoints)")
    keypoint_sigma: float = option(0.15, "keypoint similarity falloff, in person sizes (the gate's grows with "
                                          "the square root of the frames a track is lost)")
    min_similarity: float = option(0.2, "gate: below this keypoint similarity (box IoU without keypoints), "
                                         "never a match")
    max_gap: int = option(30, "frames a lost track keeps predicting and can be re-identified")
    stitch_distance: float = option(2.0, "box sizes: a tracklet starting this near where a slot's last one "
                                          "ended rejoins that slot")
    order: str = option("first_seen", "slot order: first_seen (ties: leftmost first) or x (mean box centre, "
                                       "left first)", choices=ORDERS)
    # Gaps
    max_interp_gap: int = option(10, "interior gaps up to this many frames are interpolated; longer ones are "
                                      "left NaN and marked")
    interpolation: str = option("cubic", "cubic (fitted to 4 frames on each side: follows curved moves) or "
                                          "linear", choices=INTERPOLATIONS)
    # Smoothing
    smoothing: str = option("one_euro", "one_euro, savgol or none", choices=SMOOTHINGS)
    min_cutoff: float = option(0.5, "One Euro: cutoff (Hz) when still; lower removes more jitter")
    beta: float = option(10.0, "One Euro: cutoff rise (Hz) per person size per second of speed; higher lags "
                                "less in fast moves")
    d_cutoff: float = option(1.0, "One Euro: cutoff (Hz) of the speed estimate")
    zero_phase: bool = option(True, "One Euro: average a forward and a backward pass (no lag; offline only)")
    savgol_window: int = option(9, "Savitzky-Golay: window in frames, odd (shorter runs: the longest odd "
                                    "window that fits)")
    savgol_order: int = option(3, "Savitzky-Golay: polynomial order")

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "TrackOptions":
        """Options from the config's ``tracking:`` section; an unknown key is an error, not ignored."""
        section = dict(section or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown tracking option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**section)

    def __post_init__(self):
        if self.max_people < 1:
            raise ValueError("max_people must be at least 1")
        if not 0.0 <= self.iou_weight <= 1.0:
            raise ValueError("iou_weight must be within [0, 1]")
        if self.keypoint_sigma <= 0:
            raise ValueError("keypoint_sigma must be positive")
        if self.min_hits < 1 or self.max_gap < 0 or self.max_interp_gap < 0:
            raise ValueError("min_hits must be >= 1, max_gap and max_interp_gap >= 0")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, not {self.order!r}")
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {self.interpolation!r}")
        if self.smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, not {self.smoothing!r}")
        if self.min_cutoff <= 0 or self.d_cutoff <= 0 or self.beta < 0:
            raise ValueError("min_cutoff and d_cutoff must be positive, beta non-negative")
        if self.savgol_window < 3 or self.savgol_window % 2 == 0 or not 0 <= self.savgol_order < self.savgol_window:
            raise ValueError("savgol_window must be odd and >= 3, savgol_order within [0, window)")


@dataclass(frozen=True)
class Detection:
    """One person found in one frame by a backend."""

    box: np.ndarray  # (4,) x1, y1, x2, y2
    score: float  # the detector's confidence in the box
    keypoints: np.ndarray  # (K, D): x, y and optionally more coordinates (z); K may be 0
    keypoint_scores: np.ndarray  # (K,)

    @classmethod
    def from_keypoints(cls, keypoints, keypoint_scores=None, score: float | None = None, box=None,
                       min_keypoint_score: float = 0.0, pad: float = 0.1) -> "Detection":
        """A detection from keypoints alone: ``keypoints`` (K, D), or (K, D+1) with the scores last.

        Without a ``box``, the box is the keypoints' extent (those scoring above
        ``min_keypoint_score``) padded by ``pad`` of its size; without a ``score``, the mean
        keypoint score of those keypoints.
        """
        kp = np.asarray(keypoints, dtype=np.float64)
        if keypoint_scores is None:
            kp, keypoint_scores = kp[:, :-1], kp[:, -1]
        scores = np.asarray(keypoint_scores, dtype=np.float64)
        ok = np.isfinite(kp[:, :2]).all(axis=1) & (np.nan_to_num(scores) > min_keypoint_score)
        if box is None:
            if ok.sum() == 0:
                box = np.full(4, np.nan)
            else:
                lo, hi = kp[ok, :2].min(axis=0), kp[ok, :2].max(axis=0)
                margin = pad * (hi - lo)
                box = np.concatenate([lo - margin, hi + margin])
        if score is None:
            score = float(scores[ok].mean()) if ok.any() else 0.0
        return cls(np.asarray(box, dtype=np.float64), float(score), kp, scores)


@dataclass
class TrackResult:
    """What :func:`track_people` returns. Slot ``n`` is the same person in every frame."""

    keypoints: np.ndarray  # (T, N, K, D+1) float32: coordinates then score; NaN where the person is absent
    boxes: np.ndarray  # (T, N, 4) float32, NaN where absent
    present: np.ndarray  # (T, N) bool: values present (observed or interpolated)
    observed: np.ndarray  # (T, N) bool: a detection was matched in this frame
    interpolated: np.ndarray  # (T, N) bool: filled by interpolation
    long_gap: np.ndarray  # (T, N) bool: inside a gap longer than max_interp_gap (left NaN)
    detection_index: np.ndarray  # (T, N) int: index of the detection in its frame's list, -1 if none
    tracklet: np.ndarray  # (T, N) int: the tracklet (step 1) that filled the slot, -1 if none
    report: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Similarity


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each box of ``a`` (M, 4) with each of ``b`` (P, 4): (M, P); NaN boxes give 0."""
    a = np.asarray(a, dtype=np.float64)[:, None, :]
    b = np.asarray(b, dtype=np.float64)[None, :, :]
    w = np.maximum(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0.0)
    h = np.maximum(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0.0)
    inter = w * h
    area_a = np.maximum(a[..., 2] - a[..., 0], 0.0) * np.maximum(a[..., 3] - a[..., 1], 0.0)
    area_b = np.maximum(b[..., 2] - b[..., 0], 0.0) * np.maximum(b[..., 3] - b[..., 1], 0.0)
    iou = inter / np.maximum(area_a + area_b - inter, 1e-12)
    iou[~np.isfinite(iou)] = 0.0
    return iou


def person_size(xy: np.ndarray, ok: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """A person's size in coordinate units: sqrt of the area spanned by their good keypoints.

    ``xy`` (..., K, 2), ``ok`` (..., K), ``boxes`` (..., 4). With fewer than two good keypoints
    (or none spread out) the box's sqrt area stands in. OKS uses the same measure (COCO takes the
    segment area), so distances and speeds become fractions of the body, whatever the units.
    """
    box_size = np.sqrt(np.maximum(boxes[..., 2] - boxes[..., 0], 0) * np.maximum(boxes[..., 3] - boxes[..., 1], 0))
    if xy.shape[-2] == 0:
        return np.where(np.isfinite(box_size) & (box_size > 0), box_size, 1.0)
    big = np.where(ok[..., None], xy, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN people are expected here
        extent = np.nanmax(big, axis=-2) - np.nanmin(big, axis=-2)
        size = np.sqrt(np.clip(extent[..., 0], 0, None) * np.clip(extent[..., 1], 0, None))
    size = np.where((ok.sum(axis=-1) >= 2) & (size > 0), size, box_size)
    return np.where(np.isfinite(size) & (size > 0), size, 1.0)


def keypoint_similarity(pred_xy, pred_ok, sizes, det_xy, det_ok, sigma) -> tuple[np.ndarray, np.ndarray]:
    """OKS-like similarity of each predicted person (M) with each detection (P), and whether they share a keypoint.

    The mean, over keypoints good in both, of ``exp(-d^2 / (2 (size * sigma)^2))``: 1 for the
    same pose in the same place, falling as keypoints drift apart by a fraction ``sigma`` of the
    person's size; ``sigma`` is one number or one per predicted person. Returns ((M, P), (M, P) bool).
    """
    d2, both = _keypoint_distances(pred_xy, pred_ok, det_xy, det_ok)
    return _oks(d2, both, sizes, sigma)


def _keypoint_distances(pred_xy, pred_ok, det_xy, det_ok) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances (M, P, K) and the keypoints good in both (M, P, K)."""
    both = pred_ok[:, None, :] & det_ok[None, :, :]
    pred = np.where(pred_ok[..., None], pred_xy, 0.0)
    det = np.where(det_ok[..., None], det_xy, 0.0)
    diff = pred[:, None] - det[None]
    return np.einsum("mpkc,mpkc->mpk", diff, diff), both


def _oks(d2: np.ndarray, both: np.ndarray, sizes, sigma) -> tuple[np.ndarray, np.ndarray]:
    m, p = both.shape[:2]
    if both.shape[-1] == 0:
        return np.zeros((m, p)), np.zeros((m, p), dtype=bool)
    spread = np.broadcast_to(np.asarray(sizes, dtype=np.float64) * sigma, (m,))[:, None, None]
    n = both.sum(axis=-1)
    e = np.where(both, np.exp(-d2 / (2 * spread ** 2)), 0.0)
    return e.sum(axis=-1) / np.maximum(n, 1), n > 0


def similarity(pred_boxes, pred_xy, pred_ok, sizes, det_boxes, det_xy, det_ok, iou_weight: float,
               sigma: float) -> np.ndarray:
    """Similarity in [0, 1] of each predicted person (M) with each detection (P): (M, P).

    ``iou_weight * IoU + (1 - iou_weight) * keypoint similarity``, or the IoU alone where they
    share no keypoint. IoU separates people who stand apart; keypoints separate people whose
    boxes overlap (a couple dancing close, two dancers crossing).
    """
    iou = box_iou(pred_boxes, det_boxes)
    oks, common = keypoint_similarity(pred_xy, pred_ok, sizes, det_xy, det_ok, sigma)
    return np.where(common, iou_weight * iou + (1 - iou_weight) * oks, iou)


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
        steps = (1 - _VELOCITY_DECAY ** dt) / (1 - _VELOCITY_DECAY)
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
    kept, where = [], []
    for t, dets in enumerate(frames):
        for i, det in enumerate(dets):
            kp_shape = np.shape(det.keypoints)
            if len(kp_shape) != 2 or kp_shape[1] < 2 or np.shape(det.keypoint_scores) != (kp_shape[0],):
                raise ValueError(f"frame {t}, detection {i}: keypoints must be (K, D>=2) with (K,) scores, "
                                 f"got {kp_shape} and {np.shape(det.keypoint_scores)}")
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
    where = np.array(where, dtype=int).reshape(m, 2)
    starts = np.searchsorted(where[:, 0], np.arange(len(frames) + 1))
    out = [_Frame(where[a:b, 1], boxes[a:b], xy[a:b], ok[a:b], sizes[a:b], scores[a:b])
           for a, b in zip(starts[:-1], starts[1:])]
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
    stats = {"switches_avoided": 0, "reidentified": 0, "reid_gaps": []}
    next_id = 0
    for t, frame in enumerate(frames):
        k = frame.ok.shape[1]
        free = np.ones(len(frame.index), dtype=bool)
        confirmed = [tr for tr in live if tr.confirmed]
        tentative = [tr for tr in live if not tr.confirmed]
        pairs = _match(confirmed, frame, free, t, options)
        for tr, d in pairs:
            free[d] = False
        if _box_only_disagrees(pairs, frame):
            stats["switches_avoided"] += 1
        more = _match(tentative, frame, free, t, options)
        for tr, d in more:
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
            tr = _Track(next_id, [t], [int(frame.index[d])], [float(frame.scores[d])], frame.boxes[d].copy(),
                        frame.xy[d].copy(), frame.ok[d].copy(), np.zeros(k, dtype=int), float(frame.sizes[d]),
                        np.zeros(4), np.zeros(2),
                        confirmed=options.min_hits <= 1)
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


def _assign_slots(tracklets: list[_Track], frames: list[_Frame],
                 options: TrackOptions) -> tuple[list[list[_Track]], dict]:
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


# ---------------------------------------------------------------------------------------------
# Step 4: gaps


def _finite_runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a 1-D mask."""
    padded = np.concatenate([[False], finite, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _columns_by_pattern(values: np.ndarray):
    """Group the columns of (T, S) ``values`` by their pattern of finite frames: [(columns, finite)]."""
    finite = np.isfinite(values)
    packed = np.packbits(finite, axis=0)
    groups: dict[bytes, list[int]] = {}
    for c in range(finite.shape[1]):
        groups.setdefault(packed[:, c].tobytes(), []).append(c)
    return [(np.array(cols), finite[:, cols[0]]) for cols in groups.values()]


def fill_gaps(values: np.ndarray, max_gap: int, method: str = "cubic") -> tuple[np.ndarray, np.ndarray]:
    """Interpolate interior NaN gaps of at most ``max_gap`` frames along axis 0.

    ``values`` (T, ...); each series (one element over time) is filled on its own. ``cubic``
    fits a cubic to up to four samples on each side (:func:`_cubic_across`; linear where a side
    has only one), so a limb that was moving keeps moving, and curving, through a dropout
    instead of turning a corner at each end. Leading and trailing NaN stay NaN: nothing is
    extrapolated. Returns (filled copy, mask of the filled entries).
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, not {method!r}")
    values = np.asarray(values)
    out = np.array(values, dtype=np.result_type(values.dtype, np.float32), copy=True)
    flat = out.reshape(len(out), int(np.prod(out.shape[1:])))
    filled = np.zeros(flat.shape, dtype=bool)
    if max_gap <= 0 or flat.size == 0:
        return out, filled.reshape(out.shape)
    for cols, finite in _columns_by_pattern(flat):
        runs = _finite_runs(finite)
        for (s0, e0), (s1, e1) in zip(runs[:-1], runs[1:]):
            gap = s1 - e0
            if gap > max_gap:
                continue
            a, b = e0 - 1, s1  # last sample before, first after
            g = b - a
            u = (np.arange(e0, s1) - a)[:, None] / g
            p0, p1 = flat[a, cols].astype(np.float64), flat[b, cols].astype(np.float64)
            if method == "cubic" and e0 - s0 >= 2 and e1 - s1 >= 2:
                seg = _cubic_across(flat, cols, range(max(s0, e0 - _CUBIC_SIDE), e0),
                                    range(s1, min(e1, s1 + _CUBIC_SIDE)), np.arange(e0, s1))
            else:
                seg = (1 - u) * p0 + u * p1
            flat[e0:s1, cols] = seg
            filled[e0:s1, cols] = True
    return out, filled.reshape(out.shape)


def _cubic_across(flat: np.ndarray, cols: np.ndarray, before: range, after: range, gap: np.ndarray) -> np.ndarray:
    """Values in ``gap`` of a cubic fitted by least squares to the samples ``before`` and ``after`` it.

    The fit is then shifted by a straight line so that it meets the last sample before and the
    first after exactly: no jump at the gap's edges. Fitting 4 + 4 noisy samples, rather than
    taking speeds from differences at the ends, keeps detector jitter from bending the curve.
    """
    frames = np.array(list(before) + list(after))
    origin = before[-1]
    coef = np.polyfit(frames - origin, flat[frames][:, cols].astype(np.float64), 3)  # (4, S)
    powers = lambda t: np.stack([t ** 3, t ** 2, t, np.ones_like(t)], axis=1).astype(np.float64)  # noqa: E731
    ends = powers(np.array([0, after[0] - origin])) @ coef
    miss_a = flat[before[-1], cols] - ends[0]
    miss_b = flat[after[0], cols] - ends[1]
    u = ((gap - origin) / (after[0] - origin))[:, None]
    return powers(gap - origin) @ coef + (1 - u) * miss_a + u * miss_b


# ---------------------------------------------------------------------------------------------
# Step 5: smoothing


def one_euro(values: np.ndarray, fps: float, min_cutoff: float = 0.5, beta: float = 10.0, d_cutoff: float = 1.0,
             scale=1.0, zero_phase: bool = False) -> np.ndarray:
    """One Euro filter (Casiez et al. 2012) along axis 0, restarted after every NaN.

    A low-pass filter whose cutoff rises with the speed: ``min_cutoff + beta * |speed| / scale``
    (Hz; speed in units per second). Still poses get a low cutoff (jitter removed), fast moves a
    high one (little lag). ``scale`` (broadcast against ``values[0]``) divides the speed so that
    ``beta`` is per person size per second: the same settings fit pixels and normalised units.

    The filter is causal, made for live input: however high ``beta``, a moving limb trails by
    about ``scale / (2 pi beta)``, which on a dancer's limbs costs more than the jitter it removes.
    A whole recording is at hand here, so ``zero_phase`` averages the forward pass with a
    backward one: their lags are equal and opposite, and the noise is averaged once more.
    """
    if zero_phase:
        forward = one_euro(values, fps, min_cutoff, beta, d_cutoff, scale)
        backward = one_euro(np.asarray(values)[::-1], fps, min_cutoff, beta, d_cutoff, scale)[::-1]
        return (forward + backward) / 2
    x = np.asarray(values, dtype=np.float64)
    out = np.full_like(x, np.nan)
    if len(x) == 0:
        return out
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), x.shape[1:])
    te = 1.0 / fps

    def alpha(cutoff):
        return 1.0 / (1.0 + 1.0 / (2 * np.pi * cutoff * te))

    a_d = alpha(d_cutoff)
    rate = beta / scale
    prev = np.full(x.shape[1:], np.nan)
    dprev = np.zeros(x.shape[1:])
    for t in range(len(x)):
        cur = x[t]
        started = ~np.isnan(prev) & ~np.isnan(cur)  # prev is NaN after a NaN: the filter restarts
        dx = np.where(started, a_d * (cur - prev) / te + (1 - a_d) * dprev, 0.0)
        a = alpha(min_cutoff + rate * np.abs(dx))
        prev = np.where(started, prev + a * (cur - prev), cur)
        out[t] = prev
        dprev = dx
    return out


def savgol(values: np.ndarray, window: int = 9, order: int = 3) -> np.ndarray:
    """Savitzky-Golay smoothing along axis 0 within each run of finite values.

    Zero-phase (a centred window), so it never lags, but a step is spread over the window. A run
    shorter than ``window`` uses the longest odd window that fits; one too short for ``order`` is
    left as it is.
    """
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    flat = out.reshape(len(out), int(np.prod(out.shape[1:])))
    if flat.size == 0:
        return out
    src = x.reshape(len(x), int(np.prod(x.shape[1:])))
    for cols, finite in _columns_by_pattern(src):
        for s, e in _finite_runs(finite):
            w = min(window, (e - s) if (e - s) % 2 else (e - s - 1))
            if w <= order or w < 3:
                continue
            flat[s:e, cols] = savgol_filter(src[s:e, cols], w, order, axis=0, mode="interp")
    return out


def smooth(values: np.ndarray, fps: float, options: TrackOptions = TrackOptions(), scale=1.0) -> np.ndarray:
    """Smooth ``values`` (T, ...) along time by ``options.smoothing``; NaN stays NaN."""
    if options.smoothing == "one_euro":
        return one_euro(values, fps, options.min_cutoff, options.beta, options.d_cutoff, scale, options.zero_phase)
    if options.smoothing == "savgol":
        return savgol(values, options.savgol_window, options.savgol_order)
    return np.array(values, dtype=np.float64, copy=True)


# ---------------------------------------------------------------------------------------------
# The whole


def track_people(frames: Sequence[Sequence[Detection]], options: TrackOptions = TrackOptions(),
                 fps: float = 30.0) -> TrackResult:
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
    return TrackResult(kps_f.astype(np.float32), boxes_f.astype(np.float32), present, observed, interpolated,
                       long_gap, det_index, tracklet, report)


def _gaps(observed: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each interior gap of a 1-D presence mask (not before the first or after the last frame)."""
    runs = _finite_runs(observed)
    return [(e0, s1) for (_, e0), (s1, _) in zip(runs[:-1], runs[1:])]


def _report(slots, tracklets, observed, interpolated, long_gap, counts, stats, slot_stats, frames, options) -> dict:
    """Counts a person can read: who was kept, what was dropped, which gaps were bridged and how."""
    people = []
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
        people.append({
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
        })
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
    keys = ("frames", "people_found", "track_switches", "stitches", "reidentified", "switches_avoided", "gaps",
            "gaps_interpolated", "gaps_long", "frames_interpolated", "frames_long_gap", "max_gap_length",
            "spurious_detections", "extra_detections")
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
        frames = [[Detection.from_keypoints(person) for person in frame if not np.isnan(person).all()]
                  for frame in arr]
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
                frame.append(Detection.from_keypoints(kp, det.get("keypoint_scores"), det.get("score"),
                                                      det.get("box")))
            frames.append(frame)
    except (KeyError, TypeError, ValueError) as exc:
        raise RhythmInputError(path, f"frame {len(frames)}: not a detection ({type(exc).__name__}: {exc})") from None
    fps = data.get("fps") if isinstance(data, dict) else None
    return frames, (float(fps) if fps else None)


def track_file(detections: str | Path, out: str | Path, options: TrackOptions = TrackOptions(),
               fps: float | None = None, report_out: str | Path | None = None,
               details_out: str | Path | None = None) -> TrackResult:
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
                np.savez_compressed(fh, boxes=result.boxes, present=result.present, observed=result.observed,
                                    interpolated=result.interpolated, long_gap=result.long_gap,
                                    detection_index=result.detection_index, tracklet=result.tracklet)
    if report_out is not None:
        write_json(report_out, result.report)
    return result
