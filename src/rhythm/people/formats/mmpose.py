"""MMPose's predictions: :func:`read_mmpose` reads them, :func:`write_mmpose` writes them.

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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_dir, write_text
from rhythm.core.skeleton import COCO_KEYPOINTS
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
    _written_keypoints,
    frame_number,
)

# MMPose keypoint counts whose first 17 are COCO-17 in COCO order.
MMPOSE_LAYOUTS = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133", 136: "Halpe-136"}


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
        numbered = [
            (
                _mmpose_frame_id(path, i, f),
                f"{i} (frame_id {f.get('frame_id')})",
                _mmpose_instances(path, f"frame {i}", f["instances"]),
            )
            for i, f in enumerate(data)
        ]
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
            raise RhythmInputError(
                path, "no frame number in the file name (expected the image's name, like 000123.json)"
            )
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
        raise RhythmInputError(
            path, f'{where}: expected {{"keypoints", "keypoint_scores", "bbox", "bbox_score"}}, found {_describe(inst)}'
        )
    xy = _floats(path, f"{where} keypoints", inst["keypoints"])
    scores = _floats(path, f"{where} keypoint_scores", inst["keypoint_scores"])
    if xy.ndim == 2 and xy.shape[1] == 3:
        raise RhythmInputError(path, f"{where}: 3-D keypoints (x, y, z); give a 2-D model's predictions")
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] not in MMPOSE_LAYOUTS or scores.shape != (xy.shape[0],):
        raise RhythmInputError(
            path,
            f"{where}: keypoints {xy.shape} with scores {scores.shape}; expected (K, 2) and "
            f"(K,) for K in {', '.join(map(str, MMPOSE_LAYOUTS))}",
        )
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
    if first != COCO_KEYPOINTS:
        dataset = meta.get("dataset_name", "?")
        raise RhythmInputError(
            path,
            f"keypoints of {dataset} do not start with COCO-17 (nose, left_eye, ...); "
            "give a COCO, Halpe or COCO-WholeBody model's predictions",
        )


# ----------------------------------------------------------------------------- writers (export)


def write_mmpose(
    path: str | Path, keypoints: np.ndarray, det_scores: np.ndarray | None = None, layout: str = "video"
) -> None:
    """Write MMPose inferencer predictions: ``layout="video"`` one JSON ``[{"frame_id", "instances"}]``
    with every frame; ``"images"`` a folder of ``<frame:06d>.json``, each a list of instances.

    ``keypoints`` (T, 17, 3) or (T, P, 17, 3); ``det_scores`` becomes ``bbox_score``; the box is the
    keypoints' extent. A keypoint not found is written 0, 0 with score 0.
    """
    kp, det = _people_arrays(keypoints, det_scores)
    frames = [
        [_mmpose_instance(kp[t, p], det[t, p]) for p in range(kp.shape[1]) if _present(kp[t, p])]
        for t in range(kp.shape[0])
    ]
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
    return {
        "keypoints": [[float(x), float(y)] for x, y in written[:, :2]],
        "keypoint_scores": [float(s) for s in written[:, 2]],
        "bbox": [[float(v) for v in _box(kp)]],
        "bbox_score": float(score),
    }
