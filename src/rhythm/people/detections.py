"""2D keypoints from other tools (AlphaPose, OpenPose, MMPose) as AIST++ keypoints2d pickles, and back.

Each reader takes the files exactly as the tool writes them and returns :class:`Detections`: per
frame (0-based), the people found, each with its 17 COCO keypoints ``(17, 3)`` (x, y, score), the
tool's person score, its box and its own track id when it has one. :func:`to_keypoints2d` gives
every person (``people="all"``) or the best one (``"best"``) an identity through time and returns
AIST++ keypoints2d dicts; :func:`write_keypoints2d` writes them atomically.

Formats read (checked against the tools' writers and real output files, noted per format):

* **AlphaPose** ``alphapose-results.json`` (``--format`` default, COCO results style; written by
  ``write_json`` in ``alphapose/utils/pPose_nms.py``; real files: hankong0222/MotionBERT,
  DiscipleOfProgramming/hockey-pose-estimation): a list with one entry per person and image,
  ``{"image_id": "0.jpg", "category_id": 1, "keypoints": [x, y, c] * K, "score": s, "box": [x, y, w,
  h], "idx": ...}``. ``image_id`` is the image's file name (``0.jpg``, ``1.jpg`` ... for a video) or,
  with ``--eval``, an int; images with nobody have no entry. ``score`` is AlphaPose's pose-NMS
  proposal score (mean + max keypoint score + box score, so up to about 3, not 0-1). K is 17
  (COCO), 26 (Halpe-26), 68 (Halpe body + hands), 133 (COCO-WholeBody) or 136 (Halpe-136); the
  first 17 of every one of these are COCO-17 in COCO order (Halpe-FullBody README: 0 Nose, 1 LEye,
  ... 16 RAnkle, then 17 Head, 18 Neck, 19 Hip, feet, face, hands; AlphaPose docs/output.md for
  COCO), so the first 17 are kept. ``idx`` is a track id (an int) with ``--pose_track`` or
  PoseFlow; without tracking it is the detector's ids merged by pose NMS, lists of zeros such as
  ``[0.0]`` or ``[[0.0], [0.0]]``. ``--format open``/``cmu`` files (a dict image -> OpenPose-style
  COCO-18 people) are read too.
* **OpenPose** ``--write_json`` folder (``peopleJsonSaver.cpp``, ``fileStream.cpp``; doc/02_output.md):
  one file per frame, ``<video>_<frame:012d>_keypoints.json`` (images: ``<image>_keypoints.json``),
  compact JSON ``{"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[x,y,c,...],
  "face_keypoints_2d":[], ...}]}``, numbers as C++ streams print floats (6 significant digits). A
  keypoint not found is ``0,0,0``; a frame with nobody has ``"people":[]`` (a missing file is read
  the same way). ``person_id`` is -1 unless OpenPose's tracking was on. BODY_25 (default for 25
  values) and COCO-18 are mapped to COCO-17 by name (poseParameters.cpp): BODY_25 Nose 0, Neck 1,
  RShoulder 2, RElbow 3, RWrist 4, LShoulder 5, LElbow 6, LWrist 7, MidHip 8, RHip 9, RKnee 10,
  RAnkle 11, LHip 12, LKnee 13, LAnkle 14, REye 15, LEye 16, REar 17, LEar 18, feet 19-24; COCO-18
  the same without MidHip and feet. BODY_25B and BODY_135 already start with COCO-17 in COCO order.
  OpenPose writes no person score: a person's score is the mean score of their found keypoints
  (which is what AIST++'s own det_scores are, to float32 precision, in the real files).
* **MMPose** 1.x (``MMPoseInferencer`` ``pred_out_dir``, ``BaseMMPoseInferencer.postprocess`` and
  ``_finalize_video_processing``, ``split_instances``; real files: Terascale-All-sensing-Research-
  Studio/MultiModal_VR_BallThrowing_Dataset mmpose_results): a video gives one ``<video>.json``,
  ``[{"frame_id": 0, "instances": [...]}, ...]`` with every frame listed; images give one
  ``<image>.json`` each, holding the list of instances. An instance is ``{"keypoints": [[x, y], ...],
  "keypoint_scores": [...], "bbox": [[x1, y1, x2, y2]], "bbox_score": s}`` (the box wrapped in a
  one-element list, as ``split_instances`` writes it). The demo scripts' ``--save-predictions``
  file ``{"meta_info": {...}, "instance_info": [{"frame_id": 1, "instances": [...]}, ...]}``
  counts frames from 1 and is read too (its ``meta_info`` keypoint names are checked). COCO,
  Halpe-26/136 and COCO-WholeBody models all start with COCO-17 in COCO order (MMPose's
  configs/_base_/datasets).

The frames run up to the last one the input lists: OpenPose (a file per frame) and MMPose videos list
frames with nobody, AlphaPose does not, so frames with nobody at the end need ``frames`` (``--frames``).
Frames are numbered by the tool (``frame_id``) or by the last number in the file or image name
(``0.jpg``, ``00001.png``, ``frame_000123.jpg``, ``<video>_000000000123_keypoints.json``); frame
index = that number - ``first_frame_number`` (0 unless said otherwise; 1 for MMPose's demo files).

In every format a keypoint written as exactly ``0, 0`` with score 0 is OpenPose's "not found" (the
other tools never write it for a real point): it becomes NaN x, y with score 0. A frame without a
person has NaN keypoints, score 0 and ``det_scores`` 0, which every user of keypoints2d skips.

Output: AIST++ keypoints2d, ``keypoints2d`` float32 ``(1, T, 17, 3)`` (one camera per import),
``det_scores`` float32 ``(1, T)``, ``timestamps`` int64 ``(T,)`` microseconds at ``fps``
(``round(i * 1e6 / fps)``, as AIST++'s own). :func:`stack_cameras` stacks several cameras' imports
into ``(V, T, 17, 3)`` in camera order c01..c09 (or all nine, the missing ones NaN, which is what
:func:`rhythm.core.aist.load_keypoints2d` reads).

Identities (:func:`find_people`):

1. At most one person in every frame: nothing to match; that person is the dancer, each frame's
   detection taken whatever its score (so a file round-trips unchanged).
2. Otherwise, when the tool tracked (every person has a tool id, AlphaPose ``idx`` or OpenPose
   ``person_id`` >= 0, and no id is used twice in one frame), the tool's ids are kept: one person
   per id (the ``max_people`` with the highest total scores). A tool that tracked saw the images;
   its ids are not second-guessed.
3. Otherwise :func:`rhythm.people.tracking.track_people` matches the detections (``TrackOptions``: up to
   ``max_people``, ``min_box_score`` ...), and each person's own detections are copied verbatim:
   no gap is filled and nothing is smoothed here (``rhythm track`` does that).

People are ordered by first appearance, leftmost first (as the tracker's ``first_seen``); ``best``
is the person with the highest total score (the sum of their scores: frames seen x mean score, so
length and confidence both count).

The writers (:func:`write_alphapose`, :func:`write_openpose`, :func:`write_mmpose`) export one
camera of a keypoints2d in each tool's own layout and number format, for other tools and for
round-trip tests: AlphaPose and MMPose keep float32 values exactly, OpenPose keeps 6 significant
digits and no person score.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from rhythm.core.aist import CAMERAS, load_camera_setting, load_keypoints2d
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_dir, read_json, write_json, write_pickle, write_text
from rhythm.people.tracking import Detection, TrackOptions, track_people

FORMATS = ("alphapose", "openpose", "mmpose")
PEOPLE = ("best", "all")
NUM_KEYPOINTS = 17
FPS = 60.0

# AlphaPose keypoint counts whose first 17 are COCO-17 in COCO order.
ALPHAPOSE_LAYOUTS = {17: "COCO-17", 26: "Halpe-26", 68: "Halpe-68 (body + hands)", 133: "COCO-WholeBody-133",
                     136: "Halpe-136"}
# MMPose keypoint counts whose first 17 are COCO-17 in COCO order.
MMPOSE_LAYOUTS = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133", 136: "Halpe-136"}
# OpenPose body models: index of each COCO-17 keypoint (nose, left eye, right eye, left ear, right
# ear, left/right shoulder, elbow, wrist, hip, knee, ankle) in the model's own order.
OPENPOSE_MODELS = {
    "BODY_25": (25, (0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11)),
    "COCO": (18, (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)),
    "BODY_25B": (25, tuple(range(17))),
    "BODY_135": (135, tuple(range(17))),
}
OPENPOSE_DEFAULT_MODEL = {25: "BODY_25", 18: "COCO", 135: "BODY_135"}
OPENPOSE_VERSION = "1.3"
_OPENPOSE_EMPTY_PARTS = ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
                         "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d", "hand_right_keypoints_3d")
_COCO_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
               "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
               "right_knee", "left_ankle", "right_ankle")
_NUMBER = re.compile(r"\d+")
_OPENPOSE_NAME = re.compile(r"^(?P<prefix>.*?)_?(?P<number>\d+)_keypoints(?:_\d+)?\.json$")


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


def _collect(source: Path, fmt: str, layout: str, numbered: list[tuple[int, Path | str, list[Person]]],
             first_frame_number: int, what: str) -> Detections:
    """Detections from (frame number, where it came from, people); one frame named twice is an error."""
    frames: dict[int, list[Person]] = {}
    named: dict[int, Path | str] = {}
    for number, origin, people in numbered:
        index = number - first_frame_number
        if index < 0:
            raise RhythmInputError(source, f"{what} {origin!s} is frame {number}, before the first frame number "
                                           f"{first_frame_number}")
        if index in named and named[index] != origin:
            raise RhythmInputError(source, f"{what}s {named[index]!s} and {origin!s} both name frame {number}")
        named[index] = origin
        frames.setdefault(index, []).extend(people)
    count = max(frames, default=-1) + 1
    return Detections(source, fmt, layout, [frames.get(t, []) for t in range(count)])


# ----------------------------------------------------------------------------- AlphaPose


def read_alphapose(path: str | Path, first_frame_number: int = 0) -> Detections:
    """Read AlphaPose's ``alphapose-results.json`` (default/COCO format, or ``--format open``/``cmu``)."""
    path = Path(path)
    data = _load_json(path)
    if isinstance(data, dict):
        return _read_alphapose_per_image(path, data, first_frame_number)
    if not isinstance(data, list):
        raise RhythmInputError(path, f"expected AlphaPose's list of detections, found {type(data).__name__}")
    numbered, counts = [], set()
    for i, entry in enumerate(data):
        number, person, k = _alphapose_entry(path, i, entry)
        counts.add(k)
        if len(counts) > 1:
            raise RhythmInputError(path, f"entry {i}: {k} keypoints, earlier entries {min(counts - {k})}")
        numbered.append((number, entry["image_id"], [person]))
    layout = ALPHAPOSE_LAYOUTS[counts.pop()] if counts else "empty"
    return _collect(path, "alphapose", layout, numbered, first_frame_number, "image_id")


def _alphapose_entry(path: Path, i: int, entry: Any) -> tuple[int, Person, int]:
    """(frame number, person, keypoint count) of one entry of alphapose-results.json."""
    if not isinstance(entry, dict) or "image_id" not in entry or "keypoints" not in entry:
        raise RhythmInputError(path, f"entry {i}: expected {{\"image_id\", \"keypoints\", \"score\", ...}} as "
                                     f"AlphaPose writes, found {_describe(entry)}")
    image_id = entry["image_id"]
    number = image_id if isinstance(image_id, int) and not isinstance(image_id, bool) else frame_number(image_id)
    if number is None:
        raise RhythmInputError(path, f"entry {i}: image_id {image_id!r} has no frame number in it")
    flat = _floats(path, f"entry {i} keypoints", entry["keypoints"])
    k = flat.size // 3
    if flat.ndim != 1 or flat.size % 3 or k not in ALPHAPOSE_LAYOUTS:
        raise RhythmInputError(path, f"entry {i}: {flat.size} keypoint values; expected x, y, score for "
                                     f"{', '.join(map(str, ALPHAPOSE_LAYOUTS))} keypoints (COCO, Halpe, WholeBody)")
    rows = flat.reshape(k, 3)[:NUM_KEYPOINTS]
    kp = _coco_keypoints(rows[:, :2], rows[:, 2])
    score = _optional_number(path, f"entry {i} score", entry.get("score"))
    box = _alphapose_box(path, i, entry.get("box"))
    return number, Person(kp, _mean_score(kp) if score is None else score, box, _track_id(entry.get("idx"))), k


def _alphapose_box(path: Path, i: int, box: Any) -> np.ndarray | None:
    """AlphaPose's ``box`` [x, y, w, h] as x1, y1, x2, y2."""
    if box is None:
        return None
    b = _floats(path, f"entry {i} box", box)
    if b.shape != (4,):
        raise RhythmInputError(path, f"entry {i}: box has {b.size} values; expected [x, y, w, h]")
    return np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]])


def _read_alphapose_per_image(path: Path, data: dict, first_frame_number: int) -> Detections:
    """``--format open`` ({image: {"people": [{"pose_keypoints_2d"}]}}) or ``cmu`` ({"bodies": [{"joints"}]}),
    both with AlphaPose's COCO-18 (OpenPose COCO) order."""
    numbered = []
    for image_id, frame in data.items():
        number = frame_number(image_id)
        people = frame.get("people", frame.get("bodies")) if isinstance(frame, dict) else None
        if number is None or not isinstance(people, list):
            raise RhythmInputError(path, f"{image_id!r}: expected AlphaPose's list of detections, or per image "
                                         "{\"people\": [...]} (--format open) or {\"bodies\": [...]} (--format cmu)")
        persons = []
        for j, p in enumerate(people):
            values = p.get("pose_keypoints_2d", p.get("joints")) if isinstance(p, dict) else None
            if values is None:
                raise RhythmInputError(path, f"{image_id!r} person {j}: no pose_keypoints_2d or joints")
            person = _openpose_person(path, f"{image_id!r} person {j}", values, "COCO", None)
            if person is not None:
                persons.append(person)
        numbered.append((number, image_id, persons))
    return _collect(path, "alphapose", "AlphaPose COCO-18 (--format open/cmu)", numbered, first_frame_number,
                    "image_id")


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


# ----------------------------------------------------------------------------- OpenPose


def read_openpose(source: str | Path | Sequence[str | Path], model: str | None = None,
                  first_frame_number: int = 0) -> Detections:
    """Read OpenPose ``--write_json`` output: a folder of ``*_keypoints.json``, a list of them, or one.

    ``model``: BODY_25, COCO, BODY_25B or BODY_135; by default from the number of keypoints
    (25: BODY_25, 18: COCO, 135: BODY_135).
    """
    if model is not None and model not in OPENPOSE_MODELS:
        raise ValueError(f"unknown OpenPose model {model!r}; known: {', '.join(OPENPOSE_MODELS)}")
    files, where = _openpose_files(source)
    numbered, models = [], set()
    for path in files:
        number = _openpose_frame_number(path)
        people, used = _openpose_frame(path, model)
        models.update(used)
        if len(models) > 1:
            raise RhythmInputError(path, f"pose_keypoints_2d of {' and '.join(sorted(models))} in one folder")
        numbered.append((number, path.name, people))
    return _collect(where, "openpose", models.pop() if models else "empty", numbered, first_frame_number, "file")


def _openpose_files(source: str | Path | Sequence[str | Path]) -> tuple[list[Path], Path]:
    """The frame files of one video, and the path that names the input in errors."""
    if isinstance(source, (str, Path)):
        where = Path(source)
        if where.is_dir():
            files = sorted(where.glob("*_keypoints*.json")) or sorted(where.glob("*.json"))
            if not files:
                raise RhythmInputError(where, "no OpenPose *_keypoints.json files in this folder")
            _one_video(where, files)
            return files, where
        if not where.exists():
            raise RhythmInputError(where, "not found; expected OpenPose's --write_json folder or one of its files")
        return [where], where
    files = [Path(f) for f in source]
    if not files:
        raise ValueError("no OpenPose files given")
    return files, files[0].parent


def _one_video(folder: Path, files: list[Path]) -> None:
    """A --write_json folder of one video: every file named ``<same prefix>_<frame>_keypoints.json``."""
    prefixes = {m.group("prefix") for m in (_OPENPOSE_NAME.match(f.name) for f in files) if m}
    if len(prefixes) > 1:
        shown = ", ".join(sorted(prefixes)[:3])
        raise RhythmInputError(folder, f"holds the keypoints of {len(prefixes)} videos or image sets ({shown}...); "
                                       "give one video's folder or files")


def _openpose_frame_number(path: Path) -> int:
    m = _OPENPOSE_NAME.match(path.name)
    number = int(m.group("number")) if m else frame_number(path.name)
    if number is None:
        raise RhythmInputError(path, "no frame number in the file name (OpenPose writes "
                                     "<video>_000000000123_keypoints.json)")
    return number


def _openpose_frame(path: Path, model: str | None) -> tuple[list[Person], set[str]]:
    """The people of one OpenPose frame file, and the body model(s) they were read as."""
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise RhythmInputError(path, f"expected OpenPose's {{\"version\", \"people\": [...]}}, found {_describe(data)}")
    people, used = [], set()
    for j, p in enumerate(data["people"]):
        if not isinstance(p, dict) or "pose_keypoints_2d" not in p:
            raise RhythmInputError(path, f"person {j}: no pose_keypoints_2d")
        values = p["pose_keypoints_2d"]
        if not values:  # face or hands only: no body
            continue
        name = model or _openpose_model(path, j, values)
        person = _openpose_person(path, f"person {j}", values, name, p.get("person_id"))
        used.add(name)
        if person is not None:
            people.append(person)
    return people, used


def _openpose_model(path: Path, j: int, values: Any) -> str:
    count = len(values) // 3 if isinstance(values, list) else -1
    if not isinstance(values, list) or len(values) % 3 or count not in OPENPOSE_DEFAULT_MODEL:
        size = len(values) if isinstance(values, list) else _describe(values)
        raise RhythmInputError(path, f"person {j}: pose_keypoints_2d has {size} values; expected x, y, c for "
                                     "25 (BODY_25), 18 (COCO) or 135 (BODY_135) keypoints")
    return OPENPOSE_DEFAULT_MODEL[count]


def _openpose_person(path: Path, where: str, values: Any, model: str, person_id: Any) -> Person | None:
    """One OpenPose person in COCO-17; None when no keypoint was found."""
    count, index = OPENPOSE_MODELS[model]
    flat = _floats(path, f"{where} pose_keypoints_2d", values)
    if flat.ndim != 1 or flat.size != 3 * count:
        raise RhythmInputError(path, f"{where}: pose_keypoints_2d has {flat.size} values; {model} has "
                                     f"{count} keypoints of x, y, c")
    rows = flat.reshape(count, 3)[list(index)]
    kp = _coco_keypoints(rows[:, :2], rows[:, 2])
    if not np.isfinite(kp[:, :2]).any():
        return None
    return Person(kp, _mean_score(kp), None, _track_id(person_id))


# ----------------------------------------------------------------------------- MMPose


def read_mmpose(source: str | Path, first_frame_number: int | None = None) -> Detections:
    """Read MMPose predictions: a video's ``<video>.json``, a folder of per-image ``<image>.json``, one
    image's file, or a demo script's ``--save-predictions`` file.

    ``first_frame_number``: the ``frame_id`` (or image number) of frame 0; by default 0, and 1 for
    the demo scripts' files.
    """
    source = Path(source)
    if source.is_dir():
        return _read_mmpose_images(source, first_frame_number or 0)
    data = _load_json(source)
    if isinstance(data, dict) and "instance_info" in data:
        _check_mmpose_meta(source, data.get("meta_info"))
        first = 1 if first_frame_number is None else first_frame_number
        return _read_mmpose_frames(source, data["instance_info"], first, "MMPose demo predictions")
    return _read_mmpose_frames(source, data, first_frame_number or 0, "MMPose inferencer predictions")


def _read_mmpose_frames(path: Path, data: Any, first: int, layout: str) -> Detections:
    """A list over frames of {"frame_id", "instances"} (a video), or one image's list of instances."""
    if not isinstance(data, list):
        raise RhythmInputError(path, f"expected MMPose's list of frames or of instances, found {_describe(data)}")
    if data and all(isinstance(f, dict) and "instances" in f for f in data):
        numbered = [(_mmpose_frame_id(path, i, f), f"{i} (frame_id {f.get('frame_id')})",
                     _mmpose_instances(path, f"frame {i}", f["instances"])) for i, f in enumerate(data)]
        return _collect(path, "mmpose", f"{layout} (video)", numbered, first, "frame")
    people = _mmpose_instances(path, "image", data)
    return _collect(path, "mmpose", f"{layout} (one image)", [(first, path.name, people)], first, "image")


def _mmpose_frame_id(path: Path, i: int, frame: dict) -> int:
    frame_id = frame.get("frame_id")
    if isinstance(frame_id, bool) or not isinstance(frame_id, int):
        raise RhythmInputError(path, f"frame {i}: frame_id {frame_id!r} is not an integer")
    return frame_id


def _read_mmpose_images(folder: Path, first: int) -> Detections:
    """A pred_out_dir of images: ``<image>.json`` each, numbered by the last number in the name."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise RhythmInputError(folder, "no MMPose prediction .json files in this folder")
    numbered = []
    for path in files:
        number = frame_number(path.name)
        if number is None:
            raise RhythmInputError(path, "no frame number in the file name (expected the image's name, like "
                                         "000123.json)")
        data = _load_json(path)
        if not isinstance(data, list):
            raise RhythmInputError(path, f"expected MMPose's list of instances for one image, found {_describe(data)}")
        numbered.append((number, path.name, _mmpose_instances(path, "image", data)))
    return _collect(folder, "mmpose", "MMPose inferencer predictions (images)", numbered, first, "file")


def _mmpose_instances(path: Path, where: str, instances: Any) -> list[Person]:
    if not isinstance(instances, list):
        raise RhythmInputError(path, f"{where}: instances must be a list, found {_describe(instances)}")
    return [_mmpose_person(path, f"{where} instance {j}", inst) for j, inst in enumerate(instances)]


def _mmpose_person(path: Path, where: str, inst: Any) -> Person:
    if not isinstance(inst, dict) or "keypoints" not in inst or "keypoint_scores" not in inst:
        raise RhythmInputError(path, f"{where}: expected {{\"keypoints\", \"keypoint_scores\", \"bbox\", "
                                     f"\"bbox_score\"}}, found {_describe(inst)}")
    xy = _floats(path, f"{where} keypoints", inst["keypoints"])
    scores = _floats(path, f"{where} keypoint_scores", inst["keypoint_scores"])
    if xy.ndim == 2 and xy.shape[1] == 3:
        raise RhythmInputError(path, f"{where}: 3-D keypoints (x, y, z); give a 2-D model's predictions")
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] not in MMPOSE_LAYOUTS or scores.shape != (xy.shape[0],):
        raise RhythmInputError(path, f"{where}: keypoints {xy.shape} with scores {scores.shape}; expected (K, 2) and "
                                     f"(K,) for K in {', '.join(map(str, MMPOSE_LAYOUTS))}")
    kp = _coco_keypoints(xy[:NUM_KEYPOINTS], scores[:NUM_KEYPOINTS])
    score = _optional_number(path, f"{where} bbox_score", inst.get("bbox_score"))
    box = _mmpose_box(path, where, inst.get("bbox"))
    return Person(kp, _mean_score(kp) if score is None else score, box, None)


def _mmpose_box(path: Path, where: str, bbox: Any) -> np.ndarray | None:
    """MMPose's ``bbox``: [[x1, y1, x2, y2]] (split_instances wraps it in a list) or [x1, y1, x2, y2]."""
    if bbox is None:
        return None
    b = _floats(path, f"{where} bbox", bbox).reshape(-1)
    if b.size != 4:
        raise RhythmInputError(path, f"{where}: bbox has {b.size} values; expected [[x1, y1, x2, y2]]")
    return b


def _check_mmpose_meta(path: Path, meta: Any) -> None:
    """A demo file's meta_info names its keypoints: the first 17 must be COCO's."""
    names = meta.get("keypoint_id2name") if isinstance(meta, dict) else None
    if not isinstance(names, dict):
        return
    first = tuple(str(names.get(str(i), "")) for i in range(NUM_KEYPOINTS))
    if first != _COCO_NAMES:
        dataset = meta.get("dataset_name", "?")
        raise RhythmInputError(path, f"keypoints of {dataset} do not start with COCO-17 (nose, left_eye, ...); "
                                     "give a COCO, Halpe or COCO-WholeBody model's predictions")


# ----------------------------------------------------------------------------- dispatch


def read_detections(source: str | Path | Sequence[str | Path], fmt: str, *, first_frame_number: int | None = None,
                    openpose_model: str | None = None) -> Detections:
    """Read ``source`` in ``fmt`` (alphapose, openpose or mmpose)."""
    if fmt == "alphapose":
        return read_alphapose(_single(source), first_frame_number or 0)
    if fmt == "openpose":
        return read_openpose(source, openpose_model, first_frame_number or 0)
    if fmt == "mmpose":
        return read_mmpose(_single(source), first_frame_number)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def _single(source: str | Path | Sequence[str | Path]) -> Path:
    if isinstance(source, (str, Path)):
        return Path(source)
    if len(source) != 1:
        raise ValueError("this format is one file (or folder) per camera")
    return Path(source[0])


# ----------------------------------------------------------------------------- identities


@dataclass
class People:
    """Who is who: ``index[n][t]`` is person ``n``'s entry in ``frames[t]``, -1 where absent."""

    index: list[np.ndarray]
    method: str  # "single", "tool ids" or "tracked"
    report: dict = field(default_factory=dict)

    def total_scores(self, detections: Detections) -> list[float]:
        return [sum(detections.frames[t][i].score for t, i in enumerate(idx) if i >= 0) for idx in self.index]

    def best(self, detections: Detections) -> int:
        """The person with the highest total score (frames seen x mean score)."""
        totals = self.total_scores(detections)
        return int(np.argmax(totals))


def find_people(detections: Detections, options: TrackOptions = TrackOptions(), fps: float = FPS) -> People:
    """Identities through time (see the module docstring: one at a time, the tool's ids, or the tracker)."""
    frames = detections.frames
    if detections.max_people <= 1:
        index = np.array([0 if people else -1 for people in frames], dtype=np.int64)
        return People([index] if (index >= 0).any() else [], "single")
    if _tool_ids_consistent(frames):
        return _people_by_tool_ids(frames, options)
    return _people_by_tracking(frames, options, fps)


def _tool_ids_consistent(frames: list[list[Person]]) -> bool:
    """Every person has a tool id and no id appears twice in a frame."""
    for people in frames:
        ids = [p.track_id for p in people]
        if any(i is None for i in ids) or len(set(ids)) != len(ids):
            return False
    return True


def _people_by_tool_ids(frames: list[list[Person]], options: TrackOptions) -> People:
    ids = sorted({p.track_id for people in frames for p in people})  # type: ignore[type-var]
    index = {tid: np.full(len(frames), -1, dtype=np.int64) for tid in ids}
    for t, people in enumerate(frames):
        for i, p in enumerate(people):
            index[p.track_id][t] = i  # type: ignore[index]
    totals = {tid: sum(frames[t][i].score for t, i in enumerate(idx) if i >= 0) for tid, idx in index.items()}
    kept = sorted(ids, key=lambda tid: -totals[tid])[: options.max_people]
    ordered = sorted(kept, key=lambda tid: _order_key(frames, index[tid], options.order))
    return People([index[tid] for tid in ordered], "tool ids",
                  {"tool_ids": [int(tid) for tid in ordered], "tool_ids_dropped": len(ids) - len(kept)})


def _order_key(frames: list[list[Person]], idx: np.ndarray, order: str) -> tuple[float, float]:
    """The tracker's slot order: first frame then leftmost box centre, or mean box centre (order="x")."""
    seen = np.flatnonzero(idx >= 0)
    centres = [float(np.mean(frames[t][idx[t]].detection().box[[0, 2]])) for t in seen]
    if order == "x":
        return float(np.mean(centres)), float(seen[0])
    return float(seen[0]), centres[0]


def _people_by_tracking(frames: list[list[Person]], options: TrackOptions, fps: float) -> People:
    result = track_people([[p.detection() for p in people] for people in frames], options, fps)
    index = [result.detection_index[:, n].copy() for n in range(result.detection_index.shape[1])
             if (result.detection_index[:, n] >= 0).any()]
    return People(index, "tracked", {"tracking": result.report})


# ----------------------------------------------------------------------------- keypoints2d


def timestamps(num_frames: int, fps: float = FPS) -> np.ndarray:
    """AIST++ timestamps: microseconds of each frame, ``round(i * 1e6 / fps)``, int64."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    return np.round(np.arange(num_frames) * 1e6 / fps).astype(np.int64)


def empty_keypoints2d(num_views: int, num_frames: int, fps: float = FPS) -> dict:
    """A keypoints2d with nobody: NaN x, y, score 0, det_scores 0."""
    kp = np.zeros((num_views, num_frames, NUM_KEYPOINTS, 3), np.float32)
    kp[..., :2] = np.nan
    return {"keypoints2d": kp, "det_scores": np.zeros((num_views, num_frames), np.float32),
            "timestamps": timestamps(num_frames, fps)}


def person_keypoints2d(detections: Detections, index: np.ndarray, fps: float = FPS,
                       frames: int | None = None) -> dict:
    """One person's keypoints2d ``(1, T, 17, 3)``: their detection in each frame, copied as read."""
    count = _frame_count(detections, frames)
    out = empty_keypoints2d(1, count, fps)
    for t, i in enumerate(index):
        if i >= 0:
            person = detections.frames[t][i]
            out["keypoints2d"][0, t] = person.keypoints
            out["det_scores"][0, t] = person.score
    return out


def _frame_count(detections: Detections, frames: int | None) -> int:
    if frames is None:
        return detections.num_frames
    if frames < detections.num_frames:
        raise RhythmInputError(detections.source, f"has frames up to {detections.num_frames - 1}, more than the "
                                                  f"{frames} frames asked for (--frames)")
    return frames


def to_keypoints2d(detections: Detections, people: str = "best", fps: float = FPS,
                   options: TrackOptions = TrackOptions(), frames: int | None = None) -> list[dict]:
    """AIST++ keypoints2d dicts ``(1, T, 17, 3)``: the best person (a list of one) or everyone, in order."""
    return _to_keypoints2d(detections, people, fps, options, frames)[0]


def _to_keypoints2d(detections: Detections, people: str, fps: float, options: TrackOptions,
                    frames: int | None) -> tuple[list[dict], dict]:
    if people not in PEOPLE:
        raise ValueError(f"people must be one of {PEOPLE}, not {people!r}")
    found = find_people(detections, options, fps)
    if not found.index:
        raise RhythmInputError(detections.source, _nobody(detections, options))
    chosen = [found.best(detections)] if people == "best" else list(range(len(found.index)))
    out = [person_keypoints2d(detections, found.index[n], fps, frames) for n in chosen]
    return out, _report(detections, found, chosen, out)


def _nobody(detections: Detections, options: TrackOptions) -> str:
    if not detections.num_detections:
        return "nobody in it: no person was detected in any frame"
    return (f"{detections.num_detections} detection(s), but the tracker kept nobody: a person must score at least "
            f"min_box_score {options.min_box_score:g} and be seen in min_hits {options.min_hits} frames, missing no "
            "two in a row (lower --min-hits or --min-box-score for short clips)")


def _report(detections: Detections, found: People, chosen: list[int], out: list[dict]) -> dict:
    totals = found.total_scores(detections)
    persons = []
    for n, idx in enumerate(found.index):
        seen = np.flatnonzero(idx >= 0)
        persons.append({"person": n, "written": n in chosen, "frames_seen": int(len(seen)),
                        "first_frame": int(seen[0]), "last_frame": int(seen[-1]),
                        "mean_score": round(totals[n] / len(seen), 4)})
    return {"source": str(detections.source), "format": detections.fmt, "layout": detections.layout,
            "frames": int(out[0]["timestamps"].shape[0]), "frames_with_people": sum(1 for f in detections.frames if f),
            "detections": detections.num_detections, "max_people_per_frame": detections.max_people,
            "identities": found.method, "people_found": len(found.index), "people_written": len(chosen),
            "people": persons, **found.report}


def stack_cameras(views: Mapping[str, dict], all_cameras: bool = False) -> dict:
    """Stack one-camera keypoints2d dicts {camera: (1, T_i, 17, 3)} into ``(V, T, 17, 3)``, cameras in
    order c01..c09, each padded to the longest T with NaN (score 0, det_scores 0).

    ``all_cameras``: nine views, the cameras not given NaN (what :func:`rhythm.core.aist.load_keypoints2d` reads).
    """
    unknown = sorted(set(views) - set(CAMERAS))
    if unknown:
        raise ValueError(f"unknown camera(s) {', '.join(unknown)}; AIST++ cameras are c01..c09")
    if not views:
        raise ValueError("no views to stack")
    longest = max(views.values(), key=lambda v: len(v["timestamps"]))
    count = len(longest["timestamps"])
    order = list(CAMERAS) if all_cameras else [c for c in CAMERAS if c in views]
    out = empty_keypoints2d(len(order), count)
    out["timestamps"] = np.asarray(longest["timestamps"], dtype=np.int64).copy()
    for v, camera in enumerate(order):
        if camera in views:
            _place_view(out, v, camera, views[camera])
    return out


def _place_view(out: dict, v: int, camera: str, view: dict) -> None:
    kp = np.asarray(view["keypoints2d"], dtype=np.float32)
    if kp.ndim != 4 or kp.shape[0] != 1 or kp.shape[2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"{camera}: keypoints2d {kp.shape}, expected one view (1, T, 17, 3)")
    n = kp.shape[1]
    if not np.array_equal(np.asarray(view["timestamps"]), out["timestamps"][:n]):
        raise ValueError(f"{camera}: its timestamps differ from the longest view's (another fps?)")
    out["keypoints2d"][v, :n] = kp[0]
    out["det_scores"][v, :n] = np.asarray(view["det_scores"], dtype=np.float32)[0]


def person_paths(out: str | Path, count: int) -> list[Path]:
    """``<out stem>_p0.pkl``, ``_p1`` ... next to ``out``."""
    out = Path(out)
    return [out.with_name(f"{out.stem}_p{n}{out.suffix or '.pkl'}") for n in range(count)]


def write_keypoints2d(out: str | Path, detections: Detections | Sequence[Detections], people: str = "best",
                      fps: float = FPS, options: TrackOptions = TrackOptions(), frames: int | None = None,
                      cameras: Sequence[str] | None = None, report_out: str | Path | None = None
                      ) -> tuple[list[Path], dict]:
    """Write AIST++ keypoints2d pickles; (paths written, report).

    One ``Detections`` without ``cameras``: a one-view file ``(1, T, 17, 3)``. With ``cameras`` (one
    per ``Detections``): a nine-view file, each import at its camera's place and the other cameras
    NaN, padded to the longest. ``people="best"`` writes ``out``; ``"all"`` writes
    ``<out stem>_p0.pkl``, ``_p1`` ... (one camera only: identities are not matched across cameras)
    and removes higher-numbered ones a previous run left.
    """
    imports = [detections] if isinstance(detections, Detections) else list(detections)
    _check_cameras(imports, cameras, people)
    results = [_to_keypoints2d(d, people, fps, options, frames) for d in imports]
    if cameras is None:
        outputs = results[0][0]
    else:
        outputs = [stack_cameras({c: r[0][n] for c, r in zip(cameras, results)}, all_cameras=True)
                   for n in range(len(results[0][0]))]
    paths = [Path(out)] if people == "best" else person_paths(out, len(outputs))
    for path, data in zip(paths, outputs):
        write_pickle(path, data)
    if people == "all":
        _remove_stale_people(Path(out), len(outputs))
    report = results[0][1] if cameras is None else {"cameras": {c: r[1] for c, r in zip(cameras, results)}}
    report["outputs"] = [str(p) for p in paths]
    if report_out is not None:
        write_json(report_out, report)
    return paths, report


def _check_cameras(imports: list[Detections], cameras: Sequence[str] | None, people: str) -> None:
    if cameras is None:
        if len(imports) != 1:
            raise ValueError("several imports need their cameras (c01..c09), one each")
        return
    if len(cameras) != len(imports):
        raise ValueError(f"{len(imports)} import(s) but {len(cameras)} camera(s); give one camera per import")
    bad = [c for c in cameras if c not in CAMERAS]
    if bad or len(set(cameras)) != len(cameras):
        raise ValueError(f"cameras must be distinct names among c01..c09, got {', '.join(cameras)}")
    if people == "all" and len(imports) > 1:
        raise ValueError("people=all takes one camera at a time: identities are not matched across cameras")


def _remove_stale_people(out: Path, count: int) -> None:
    pattern = re.compile(re.escape(out.stem) + r"_p(\d+)" + re.escape(out.suffix or ".pkl") + "$")
    for path in out.parent.glob(glob.escape(out.stem) + "_p*"):
        m = pattern.match(path.name)
        if m and int(m.group(1)) >= count:
            path.unlink(missing_ok=True)


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


def write_alphapose(path: str | Path, keypoints: np.ndarray, det_scores: np.ndarray | None = None,
                    track_ids: np.ndarray | None = None) -> None:
    """Write ``alphapose-results.json`` as AlphaPose does for a video (``image_id`` ``<frame>.jpg``).

    ``keypoints`` (T, 17, 3) of one camera, or (T, P, 17, 3) for several people; ``det_scores``
    (T,) or (T, P) becomes ``score``; ``track_ids`` (P,) or (T, P) ints becomes ``idx`` as with
    ``--pose_track``, otherwise ``idx`` is ``[0.0]`` as without tracking. Frames or people with no
    keypoint found are left out; a keypoint not found is 0, 0, 0.
    """
    kp, det = _people_arrays(keypoints, det_scores)
    ids = None if track_ids is None else np.broadcast_to(np.asarray(track_ids), kp.shape[:2])
    entries = []
    for t in range(kp.shape[0]):
        for p in range(kp.shape[1]):
            if not _present(kp[t, p]):
                continue
            x1, y1, x2, y2 = (float(v) for v in _box(kp[t, p]))
            entries.append({
                "image_id": f"{t}.jpg", "category_id": 1,
                "keypoints": [float(v) for v in _written_keypoints(kp[t, p]).reshape(-1)],
                "score": float(det[t, p]),
                "box": [x1, y1, float(np.float32(x2 - x1)), float(np.float32(y2 - y1))],
                "idx": [0.0] if ids is None else int(ids[t, p]),
            })
    write_text(path, json.dumps(entries))


def _openpose_number(value: float) -> str:
    """A float as OpenPose's C++ stream prints it: 6 significant digits, no trailing zeros."""
    text = f"{float(value):.6g}"
    return "0" if text == "-0" else text


def openpose_file_name(video: str, frame: int) -> str:
    """``<video>_000000000123_keypoints.json``, OpenPose's name for a video frame's file."""
    return f"{video}_{frame:012d}_keypoints.json"


def write_openpose(folder: str | Path, keypoints: np.ndarray, video: str = "video", model: str = "BODY_25",
                   track_ids: np.ndarray | None = None) -> None:
    """Write OpenPose ``--write_json`` output for a video: one compact file per frame (people
    ``[]`` when nobody), the folder replaced as a whole.

    ``keypoints`` (T, 17, 3) or (T, P, 17, 3); ``model`` BODY_25 or COCO: the keypoints COCO-17
    lacks (Neck, MidHip, feet) are 0, 0, 0, as OpenPose writes a keypoint it did not find;
    ``track_ids`` become ``person_id`` (otherwise -1). OpenPose has no person score.
    """
    if model not in ("BODY_25", "COCO"):
        raise ValueError("write_openpose writes BODY_25 or COCO")
    kp, _ = _people_arrays(keypoints, None)
    ids = None if track_ids is None else np.broadcast_to(np.asarray(track_ids), kp.shape[:2])
    count, index = OPENPOSE_MODELS[model]
    with atomic_dir(folder) as tmp:
        for t in range(kp.shape[0]):
            people = [_openpose_person_json(kp[t, p], count, index, -1 if ids is None else int(ids[t, p]))
                      for p in range(kp.shape[1]) if _present(kp[t, p])]
            text = '{"version":' + OPENPOSE_VERSION + ',"people":[' + ",".join(people) + "]}"
            (tmp / openpose_file_name(video, t)).write_text(text)


def _openpose_person_json(kp: np.ndarray, count: int, index: tuple[int, ...], person_id: int) -> str:
    body = np.zeros((count, 3), np.float32)
    body[list(index)] = _written_keypoints(kp)
    values = ",".join(_openpose_number(v) for v in body.reshape(-1))
    empty = "".join(f',"{name}":[]' for name in _OPENPOSE_EMPTY_PARTS)
    return '{"person_id":[' + str(person_id) + '],"pose_keypoints_2d":[' + values + "]" + empty + "}"


def write_mmpose(path: str | Path, keypoints: np.ndarray, det_scores: np.ndarray | None = None,
                 layout: str = "video") -> None:
    """Write MMPose inferencer predictions: ``layout="video"`` one JSON ``[{"frame_id", "instances"}]``
    with every frame; ``"images"`` a folder of ``<frame:06d>.json``, each a list of instances.

    ``keypoints`` (T, 17, 3) or (T, P, 17, 3); ``det_scores`` becomes ``bbox_score``; the box is the
    keypoints' extent. A keypoint not found is written 0, 0 with score 0.
    """
    kp, det = _people_arrays(keypoints, det_scores)
    frames = [[_mmpose_instance(kp[t, p], det[t, p]) for p in range(kp.shape[1]) if _present(kp[t, p])]
              for t in range(kp.shape[0])]
    if layout == "video":
        write_text(path, json.dumps([{"frame_id": t, "instances": f} for t, f in enumerate(frames)], indent=2))
    elif layout == "images":
        with atomic_dir(path) as tmp:
            for t, instances in enumerate(frames):
                (tmp / f"{t:06d}.json").write_text(json.dumps(instances, indent=2))
    else:
        raise ValueError("layout must be video or images")


def _mmpose_instance(kp: np.ndarray, score: float) -> dict:
    written = _written_keypoints(kp)
    return {"keypoints": [[float(x), float(y)] for x, y in written[:, :2]],
            "keypoint_scores": [float(s) for s in written[:, 2]],
            "bbox": [[float(v) for v in _box(kp)]],
            "bbox_score": float(score)}


# ----------------------------------------------------------------------------- command line


_TRACK_SCOPE = {"max_people": "several people (tracker or tool ids)", "order": "several people (tracker or tool ids)"}
_TRACK_FLAGS = ("max_people", "min_box_score", "min_keypoint_score", "min_hits", "iou_weight", "keypoint_sigma",
                "min_similarity", "max_gap", "stitch_distance", "order")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``import-keypoints`` to an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "import-keypoints", help="AlphaPose, OpenPose or MMPose 2D keypoints as AIST++ keypoints2d pickles",
        description="Read one camera's detections as the tool wrote them and write AIST++ keypoints2d "
                    "(COCO-17, NaN where nobody was found). Several people: identities by the tool's own track "
                    "ids when it tracked, else by rhythm's tracker.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="alphapose-results.json, OpenPose's --write_json folder, or MMPose's predictions .json "
                        "(or per-image folder); one per camera with --camera")
    p.add_argument("--format", required=True, choices=FORMATS, dest="fmt", help="the tool that wrote INPUT")
    p.add_argument("--out", required=True, help="keypoints2d pickle to write (with --people all: OUT_p0.pkl, ...)")
    p.add_argument("--camera", nargs="+", default=None, choices=CAMERAS, metavar="CAM",
                   help="camera of each INPUT (c01..c09): writes all nine views, the others NaN, as AIST++ "
                        "annotations are (default: one view, (1, T, 17, 3))")
    p.add_argument("--fps", type=float, default=FPS, help=f"frame rate of the timestamps (default: {FPS:g})")
    p.add_argument("--people", choices=PEOPLE, default="best",
                   help="best: the person with the highest total score (default); all: one pickle per person")
    p.add_argument("--frames", type=int, default=None,
                   help="number of frames T, padding with NaN after the last detection (default: up to it)")
    p.add_argument("--first-frame-number", type=int, default=None,
                   help="the number that names frame 0 in file names or frame_id (default: 0; MMPose demo files 1)")
    p.add_argument("--openpose-model", choices=tuple(OPENPOSE_MODELS), default=None,
                   help="OpenPose body model (default: by keypoint count, 25 BODY_25, 18 COCO, 135 BODY_135)")
    p.add_argument("--report", default=None, help="JSON report: frames, people found, how identities were kept")
    p.add_argument("--setting", default=None,
                   help="the camera setting JSON (AIST++ format) of the INPUT's camera (--camera): every person is "
                        "placed where their feet meet the floor, written to OUT_positions.npy (T, N, 3) in the "
                        "setting's world units; without it the report keeps their depth order from the feet")
    p.add_argument("--floor-y", type=float, default=0.0,
                   help="the floor's height in the setting's world units (AIST++: about 64 cm; see "
                        "rhythm.people.grounding.floor_from_keypoints3d)")
    _add_track_flags(p)
    p.set_defaults(func=import_keypoints_command)
    return p


def _add_track_flags(p: argparse.ArgumentParser) -> None:
    by_name = {f.name: f for f in fields(TrackOptions)}
    for name in _TRACK_FLAGS:
        f = by_name[name]
        p.add_argument("--" + name.replace("_", "-"), type=type(f.default), default=f.default,
                       choices=f.metadata["choices"],
                       help=f"{_TRACK_SCOPE.get(name, 'tracking (several people, no tool ids)')}: {f.metadata['help']} "
                            f"(default: {f.default})")


def import_keypoints_command(args: argparse.Namespace) -> None:
    """The ``import-keypoints`` handler: read, find people, write, print one line per output."""
    if args.camera is None and len(args.inputs) > 1:
        raise SystemExit("several INPUTs need --camera, one camera each")
    if args.frames is not None and args.frames < 1:
        raise SystemExit("--frames must be at least 1")
    if args.fps <= 0:
        raise SystemExit("--fps must be positive")
    try:
        options = TrackOptions(**{name: getattr(args, name) for name in _TRACK_FLAGS})
    except ValueError as exc:
        raise SystemExit(f"{exc}") from None
    imports = [read_detections(path, args.fmt, first_frame_number=args.first_frame_number,
                               openpose_model=args.openpose_model) for path in args.inputs]
    if args.setting and (not args.camera or len(args.camera) != 1):
        raise SystemExit("--setting places the people of one camera: name it with --camera")
    try:
        paths, report = write_keypoints2d(args.out, imports, args.people, args.fps, options, args.frames,
                                          args.camera, args.report)
    except ValueError as exc:
        raise SystemExit(f"{exc}") from None
    _print_summary(paths, report)
    if len(args.inputs) == 1 and (args.setting or len(paths) > 1):
        placed = place_people(paths, args.camera[0] if args.camera else None, args.setting, args.floor_y,
                              Path(args.out).with_name(Path(args.out).stem + "_positions.npy"))
        if args.report:
            from rhythm.core.io import read_json, write_json

            write_json(args.report, {**read_json(args.report), "placement": placed})
        print(f"  people placed: {placed['how']}" + (f" -> {placed['positions']}" if placed.get("positions") else ""))


def place_people(paths: list[Path], camera: str | None, setting: str | Path | None, floor_y: float,
                 positions_out: Path) -> dict:
    """Where the imported people stand (rhythm.people.grounding): with the camera's setting, (T, N, 3) world positions
    where each person's feet meet the floor; without it, their depth order from the feet in the picture."""
    from rhythm.people.grounding import depth_order, ground_points
    from rhythm.core.io import write_npy

    views = []
    for path in paths:
        kp = load_keypoints2d(path)
        v = CAMERAS.index(camera) if camera and kp.keypoints.shape[0] == len(CAMERAS) else 0
        views.append(kp.keypoints[v])
    people = np.stack(views, axis=1).astype(np.float64)  # (T, N, 17, 3)
    if setting is None:
        order = depth_order(people)
        return {"how": "depth order from the feet's height in the picture (no camera setting): rank 0 is nearest",
                "depth_order": [[None if np.isnan(r) else int(r) for r in frame] for frame in order]}
    cams = load_camera_setting(setting)
    if camera not in cams:
        raise RhythmInputError(setting, f"no camera {camera!r} in it (cameras: {', '.join(cams)})")
    ground = ground_points(people, cams[camera], floor_y)
    write_npy(positions_out, ground.astype(np.float32))
    return {"how": f"where the feet meet the floor (y = {floor_y:g}) seen from {camera}", "positions": str(positions_out),
            "median_positions": [None if np.isnan(g).all() else [round(float(x), 2) for x in np.nanmedian(g, axis=0)]
                                 for g in ground.transpose(1, 0, 2)]}


def _print_summary(paths: list[Path], report: dict) -> None:
    parts = report["cameras"].values() if "cameras" in report else [report]
    for rep in parts:
        print(f"{rep['source']}: {rep['format']} {rep['layout']}, {rep['frames']} frames, {rep['detections']} "
              f"detection(s), {rep['people_found']} person(s) found ({rep['identities']})")
    for path in paths:
        print(f"  -> {path}")


__all__ = [
    "Detections", "Person", "People", "FORMATS", "PEOPLE", "read_alphapose", "read_openpose", "read_mmpose",
    "read_detections", "find_people", "to_keypoints2d", "person_keypoints2d", "stack_cameras", "write_keypoints2d",
    "write_alphapose", "write_openpose", "write_mmpose", "register", "import_keypoints_command", "timestamps",
    "frame_number", "openpose_file_name", "person_paths",
]
