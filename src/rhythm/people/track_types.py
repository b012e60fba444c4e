"""The tracker's options and data classes: :class:`TrackOptions`, :class:`Detection` (one person found in one
frame, the tracker's input) and :class:`TrackResult` (what :func:`rhythm.people.tracking.track_people` returns).

They live apart from :mod:`rhythm.people.tracking` so that the modules of its steps
(:mod:`rhythm.people.tracklets`, :mod:`rhythm.people.smoothing`) can use them without an import cycle;
:mod:`rhythm.people.tracking` re-exports them, import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from rhythm.core.options import option

ORDERS = ("first_seen", "x")
INTERPOLATIONS = ("cubic", "linear")
SMOOTHINGS = ("one_euro", "savgol", "none")


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
    iou_weight: float = option(
        0.5, "similarity = w * box IoU + (1 - w) * keypoint similarity (IoU alone without keypoints)"
    )
    keypoint_sigma: float = option(
        0.15,
        "keypoint similarity falloff, in person sizes (the gate's grows with "
        "the square root of the frames a track is lost)",
    )
    min_similarity: float = option(
        0.2, "gate: below this keypoint similarity (box IoU without keypoints), never a match"
    )
    max_gap: int = option(30, "frames a lost track keeps predicting and can be re-identified")
    stitch_distance: float = option(
        2.0, "box sizes: a tracklet starting this near where a slot's last one ended rejoins that slot"
    )
    order: str = option(
        "first_seen", "slot order: first_seen (ties: leftmost first) or x (mean box centre, left first)", choices=ORDERS
    )
    # Gaps
    max_interp_gap: int = option(
        10, "interior gaps up to this many frames are interpolated; longer ones are left NaN and marked"
    )
    interpolation: str = option(
        "cubic", "cubic (fitted to 4 frames on each side: follows curved moves) or linear", choices=INTERPOLATIONS
    )
    # Smoothing
    smoothing: str = option("one_euro", "one_euro, savgol or none", choices=SMOOTHINGS)
    min_cutoff: float = option(0.5, "One Euro: cutoff (Hz) when still; lower removes more jitter")
    beta: float = option(
        10.0, "One Euro: cutoff rise (Hz) per person size per second of speed; higher lags less in fast moves"
    )
    d_cutoff: float = option(1.0, "One Euro: cutoff (Hz) of the speed estimate")
    zero_phase: bool = option(True, "One Euro: average a forward and a backward pass (no lag; offline only)")
    savgol_window: int = option(
        9, "Savitzky-Golay: window in frames, odd (shorter runs: the longest odd window that fits)"
    )
    savgol_order: int = option(3, "Savitzky-Golay: polynomial order")

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> TrackOptions:
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
    def from_keypoints(
        cls,
        keypoints,
        keypoint_scores=None,
        score: float | None = None,
        box=None,
        min_keypoint_score: float = 0.0,
        pad: float = 0.1,
    ) -> Detection:
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
