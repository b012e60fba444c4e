"""What every format module of :mod:`rhythm.people.formats` shares: :class:`Person` and :class:`Detections`
(what a reader returns), the helpers the readers share (JSON loading, frame numbers, COCO-17 keypoints, scores,
track ids, frames collected by number) and those the writers share (people arrays, boxes, keypoints as the tools
write them).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json
from rhythm.people.tracking import Detection

NUM_KEYPOINTS = 17
_NUMBER = re.compile(r"\d+")


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Person:
    """One person found in one frame, in COCO-17."""

    keypoints: np.ndarray  # (17, 3) x, y, score; NaN x, y (score 0) where not found
    score: float  # the tool's person score (AlphaPose score, MMPose bbox_score), else the mean keypoint score
    box: np.ndarray | None = None  # (4,) x1, y1, x2, y2 when the tool wrote one
    track_id: int | None = None  # the tool's own track id, when it tracked

    def detection(self) -> Detection:
        """The person as :class:`rhythm.people.tracking.Detection` (box from the keypoints when the tool gave none)."""
        return Detection.from_keypoints(self.keypoints[:, :2], self.keypoints[:, 2], score=self.score, box=self.box)


@dataclass
class Detections:
    """What a tool found in one camera's frames: ``frames[t]`` lists the people of frame ``t``."""

    source: Path
    fmt: str
    layout: str  # the keypoint layout or file layout read, e.g. "Halpe-26", "BODY_25", "MMPose video"
    frames: list[list[Person]] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    @property
    def num_detections(self) -> int:
        return sum(len(people) for people in self.frames)

    @property
    def max_people(self) -> int:
        return max((len(people) for people in self.frames), default=0)


# ----------------------------------------------------------------------------- shared reading helpers


def _load_json(path: Path) -> Any:
    """The JSON in ``path``; a missing, empty or unreadable file is a one-line error naming it."""
    if path.is_dir():
        raise RhythmInputError(path, "is a folder; expected a JSON file")
    if path.is_file() and path.stat().st_size == 0:
        raise RhythmInputError(path, "is empty; expected JSON written by the tool")
    return read_json(path)


def frame_number(name: str) -> int | None:
    """The last number in a file or image name without its extension: ``frame_000123.jpg`` -> 123."""
    numbers = _NUMBER.findall(Path(str(name)).stem)
    return int(numbers[-1]) if numbers else None


def _floats(path: Path, where: str, values: Any) -> np.ndarray:
    """``values`` as a float64 array, or an error naming the file and the entry."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise RhythmInputError(path, f"{where}: not a list of numbers") from None
    return arr


def _coco_keypoints(xy: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(17, 3) x, y, score; an exact 0, 0, 0 (not found) or a non-finite point becomes NaN x, y, score 0."""
    kp = np.concatenate([xy, scores[:, None]], axis=1)
    missing = ((xy == 0).all(axis=1) & (scores == 0)) | ~np.isfinite(xy).all(axis=1)
    kp[missing, :2] = np.nan
    kp[:, 2] = np.where(missing | ~np.isfinite(kp[:, 2]), 0.0, kp[:, 2])
    return kp


def _mean_score(kp: np.ndarray) -> float:
    """Mean score of the found keypoints, the person score of a tool that writes none."""
    found = np.isfinite(kp[:, :2]).all(axis=1) & (kp[:, 2] > 0)
    return float(kp[found, 2].mean()) if found.any() else 0.0


def _track_id(value: Any) -> int | None:
    """A tool's track id: a number (AlphaPose --pose_track, OpenPose person_id) or nested lists of one
    repeated number (AlphaPose's ids merged by pose NMS); None for -1, an empty list or ids that differ."""
    ids = set(_flat_numbers(value))
    if len(ids) != 1:
        return None
    tid = ids.pop()
    return int(tid) if math.isfinite(tid) and tid >= 0 and tid.is_integer() else None


def _flat_numbers(value: Any) -> list[float]:
    if isinstance(value, list):
        return [x for v in value for x in _flat_numbers(v)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    return [math.nan]


def _collect(
    source: Path,
    fmt: str,
    layout: str,
    numbered: Sequence[tuple[int, Path | str, list[Person]]],
    first_frame_number: int,
    what: str,
) -> Detections:
    """Detections from (frame number, where it came from, people); one frame named twice is an error."""
    frames: dict[int, list[Person]] = {}
    named: dict[int, Path | str] = {}
    for number, origin, people in numbered:
        index = number - first_frame_number
        if index < 0:
            raise RhythmInputError(
                source, f"{what} {origin!s} is frame {number}, before the first frame number {first_frame_number}"
            )
        if index in named and named[index] != origin:
            raise RhythmInputError(source, f"{what}s {named[index]!s} and {origin!s} both name frame {number}")
        named[index] = origin
        frames.setdefault(index, []).extend(people)
    count = max(frames, default=-1) + 1
    return Detections(source, fmt, layout, [frames.get(t, []) for t in range(count)])


def _optional_number(path: Path, where: str, value: Any) -> float | None:
    if value is None:
        return None
    arr = _floats(path, where, value).ravel()
    if arr.size != 1 or not np.isfinite(arr[0]):
        raise RhythmInputError(path, f"{where}: expected a number, found {_describe(value)}")
    return float(arr[0])


def _describe(value: Any) -> str:
    """A few words on what was found instead of what was expected."""
    if isinstance(value, dict):
        return "a dict with keys " + ", ".join(map(str, list(value)[:6])) if value else "an empty dict"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return json.dumps(value)[:60]


# ----------------------------------------------------------------------------- writers (export)


def _people_arrays(keypoints: np.ndarray, det_scores: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(T, P, 17, 3) and (T, P) from one camera's (T, 17, 3) or several people's (T, P, 17, 3)."""
    kp = np.asarray(keypoints, dtype=np.float32)
    single = kp.ndim == 3
    if single:
        kp = kp[:, None]
    if kp.ndim != 4 or kp.shape[2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must be (T, 17, 3) or (T, P, 17, 3), got {np.shape(keypoints)}")
    if det_scores is None:
        det = np.ones(kp.shape[:2], np.float32)
    else:
        det = np.asarray(det_scores, dtype=np.float32).reshape(kp.shape[:2])
    return kp, det


def _present(kp: np.ndarray) -> bool:
    """A person is written when at least one keypoint was found."""
    return bool(np.isfinite(kp[:, :2]).all(axis=1).any())


def _written_keypoints(kp: np.ndarray) -> np.ndarray:
    """(17, 3) as the tools write it: a point not found is 0, 0, 0."""
    missing = ~np.isfinite(kp[:, :2]).all(axis=1)
    out = kp.copy()
    out[missing] = 0.0
    return out


def _box(kp: np.ndarray, pad: float = 0.1) -> np.ndarray:
    """x1, y1, x2, y2: the found keypoints' extent padded by ``pad`` of its size."""
    found = np.isfinite(kp[:, :2]).all(axis=1)
    lo, hi = kp[found, :2].min(axis=0), kp[found, :2].max(axis=0)
    margin = pad * (hi - lo)
    return np.concatenate([lo - margin, hi + margin]).astype(np.float32)
