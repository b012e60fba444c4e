"""OpenPose's ``--write_json`` output: :func:`read_openpose` reads it, :func:`write_openpose` writes it.

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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_dir
from rhythm.people.formats.common import (
    Detections,
    Person,
    _coco_keypoints,
    _collect,
    _describe,
    _floats,
    _load_json,
    _mean_score,
    _people_arrays,
    _present,
    _track_id,
    _written_keypoints,
    frame_number,
)

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
_OPENPOSE_EMPTY_PARTS = (
    "face_keypoints_2d",
    "hand_left_keypoints_2d",
    "hand_right_keypoints_2d",
    "pose_keypoints_3d",
    "face_keypoints_3d",
    "hand_left_keypoints_3d",
    "hand_right_keypoints_3d",
)
_OPENPOSE_NAME = re.compile(r"^(?P<prefix>.*?)_?(?P<number>\d+)_keypoints(?:_\d+)?\.json$")


# ----------------------------------------------------------------------------- OpenPose


def read_openpose(
    source: str | Path | Sequence[str | Path], model: str | None = None, first_frame_number: int = 0
) -> Detections:
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
        raise RhythmInputError(
            folder,
            f"holds the keypoints of {len(prefixes)} videos or image sets ({shown}...); "
            "give one video's folder or files",
        )


def _openpose_frame_number(path: Path) -> int:
    m = _OPENPOSE_NAME.match(path.name)
    number = int(m.group("number")) if m else frame_number(path.name)
    if number is None:
        raise RhythmInputError(
            path, "no frame number in the file name (OpenPose writes <video>_000000000123_keypoints.json)"
        )
    return number


def _openpose_frame(path: Path, model: str | None) -> tuple[list[Person], set[str]]:
    """The people of one OpenPose frame file, and the body model(s) they were read as."""
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise RhythmInputError(path, f'expected OpenPose\'s {{"version", "people": [...]}}, found {_describe(data)}')
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
        raise RhythmInputError(
            path,
            f"person {j}: pose_keypoints_2d has {size} values; expected x, y, c for "
            "25 (BODY_25), 18 (COCO) or 135 (BODY_135) keypoints",
        )
    return OPENPOSE_DEFAULT_MODEL[count]


def _openpose_person(path: Path, where: str, values: Any, model: str, person_id: Any) -> Person | None:
    """One OpenPose person in COCO-17; None when no keypoint was found."""
    count, index = OPENPOSE_MODELS[model]
    flat = _floats(path, f"{where} pose_keypoints_2d", values)
    if flat.ndim != 1 or flat.size != 3 * count:
        raise RhythmInputError(
            path, f"{where}: pose_keypoints_2d has {flat.size} values; {model} has {count} keypoints of x, y, c"
        )
    rows = flat.reshape(count, 3)[list(index)]
    kp = _coco_keypoints(rows[:, :2], rows[:, 2])
    if not np.isfinite(kp[:, :2]).any():
        return None
    return Person(kp, _mean_score(kp), None, _track_id(person_id))


# ----------------------------------------------------------------------------- writers (export)


def _openpose_number(value: float | np.floating) -> str:
    """A float as OpenPose's C++ stream prints it: 6 significant digits, no trailing zeros."""
    text = f"{float(value):.6g}"
    return "0" if text == "-0" else text


def openpose_file_name(video: str, frame: int) -> str:
    """``<video>_000000000123_keypoints.json``, OpenPose's name for a video frame's file."""
    return f"{video}_{frame:012d}_keypoints.json"


def write_openpose(
    folder: str | Path,
    keypoints: np.ndarray,
    video: str = "video",
    model: str = "BODY_25",
    track_ids: np.ndarray | None = None,
) -> None:
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
            people = [
                _openpose_person_json(kp[t, p], count, index, -1 if ids is None else int(ids[t, p]))
                for p in range(kp.shape[1])
                if _present(kp[t, p])
            ]
            text = '{"version":' + OPENPOSE_VERSION + ',"people":[' + ",".join(people) + "]}"
            (tmp / openpose_file_name(video, t)).write_text(text)


def _openpose_person_json(kp: np.ndarray, count: int, index: tuple[int, ...], person_id: int) -> str:
    body = np.zeros((count, 3), np.float32)
    body[list(index)] = _written_keypoints(kp)
    values = ",".join(_openpose_number(v) for v in body.reshape(-1))
    empty = "".join(f',"{name}":[]' for name in _OPENPOSE_EMPTY_PARTS)
    return '{"person_id":[' + str(person_id) + '],"pose_keypoints_2d":[' + values + "]" + empty + "}"
