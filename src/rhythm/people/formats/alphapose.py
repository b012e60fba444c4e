"""AlphaPose's ``alphapose-results.json``: :func:`read_alphapose` reads it, :func:`write_alphapose` writes it.

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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import write_text
from rhythm.people.formats.common import (
    NUM_KEYPOINTS,
    Detections,
    Person,
    _box,
    _coco_keypoints,
    _collect,
    _describe,
    _floats,
    _load_json,
    _mean_score,
    _optional_number,
    _people_arrays,
    _present,
    _track_id,
    _written_keypoints,
    frame_number,
)
from rhythm.people.formats.openpose import _openpose_person

# AlphaPose keypoint counts whose first 17 are COCO-17 in COCO order.
ALPHAPOSE_LAYOUTS = {
    17: "COCO-17",
    26: "Halpe-26",
    68: "Halpe-68 (body + hands)",
    133: "COCO-WholeBody-133",
    136: "Halpe-136",
}


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
        raise RhythmInputError(
            path,
            f'entry {i}: expected {{"image_id", "keypoints", "score", ...}} as '
            f"AlphaPose writes, found {_describe(entry)}",
        )
    image_id = entry["image_id"]
    number = image_id if isinstance(image_id, int) and not isinstance(image_id, bool) else frame_number(image_id)
    if number is None:
        raise RhythmInputError(path, f"entry {i}: image_id {image_id!r} has no frame number in it")
    flat = _floats(path, f"entry {i} keypoints", entry["keypoints"])
    k = flat.size // 3
    if flat.ndim != 1 or flat.size % 3 or k not in ALPHAPOSE_LAYOUTS:
        raise RhythmInputError(
            path,
            f"entry {i}: {flat.size} keypoint values; expected x, y, score for "
            f"{', '.join(map(str, ALPHAPOSE_LAYOUTS))} keypoints (COCO, Halpe, WholeBody)",
        )
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
            raise RhythmInputError(
                path,
                f"{image_id!r}: expected AlphaPose's list of detections, or per image "
                '{"people": [...]} (--format open) or {"bodies": [...]} (--format cmu)',
            )
        persons = []
        for j, p in enumerate(people):
            values = p.get("pose_keypoints_2d", p.get("joints")) if isinstance(p, dict) else None
            if values is None:
                raise RhythmInputError(path, f"{image_id!r} person {j}: no pose_keypoints_2d or joints")
            person = _openpose_person(path, f"{image_id!r} person {j}", values, "COCO", None)
            if person is not None:
                persons.append(person)
        numbered.append((number, image_id, persons))
    return _collect(
        path, "alphapose", "AlphaPose COCO-18 (--format open/cmu)", numbered, first_frame_number, "image_id"
    )


# ----------------------------------------------------------------------------- writers (export)


def write_alphapose(
    path: str | Path, keypoints: np.ndarray, det_scores: np.ndarray | None = None, track_ids: np.ndarray | None = None
) -> None:
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
            entries.append(
                {
                    "image_id": f"{t}.jpg",
                    "category_id": 1,
                    "keypoints": [float(v) for v in _written_keypoints(kp[t, p]).reshape(-1)],
                    "score": float(det[t, p]),
                    "box": [x1, y1, float(np.float32(x2 - x1)), float(np.float32(y2 - y1))],
                    "idx": [0.0] if ids is None else int(ids[t, p]),
                }
            )
    write_text(path, json.dumps(entries))
