"""COCO person-keypoint datasets for RTMPose/MMPose, from aligned frames and AIST++ keypoints2d.

Layout (the one the original prep scripts' ``convertToRTMPose.py`` wrote, which MMPose configs point at)::

    rtmpose_dataset/<split>/images/<video>_<frame:06d>.jpg   hard links (or symlinks) to frames/
    rtmpose_dataset/<split>/annotations/<split>.json
    rtmpose_dataset/rtmpose_<split>.py                       MMPose 1.x config for the split
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_dir, read_json, write_json, write_text
from rhythm.core.options import option
from rhythm.core.skeleton import COCO_KEYPOINTS, COCO_SKELETON
from rhythm.video.frames import load_mapping

CATEGORY = {
    "id": 1,
    "name": "person",
    "supercategory": "person",
    "keypoints": list(COCO_KEYPOINTS),
    "skeleton": [list(p) for p in COCO_SKELETON],
}


@dataclass(frozen=True)
class CocoOptions:
    """``rhythm coco`` and the config's ``coco:`` section (:mod:`rhythm.core.options`)."""

    stride: int = option(
        1,
        "every N-th frame of each video into the COCO files (consecutive 60 fps frames are near-duplicates)",
        minimum=1,
    )
    visible_threshold: float = option(
        0.3, "keypoint confidence at or above which it is visible (v=2)", minimum=0, maximum=1
    )
    labeled_threshold: float = option(
        0.05,
        "keypoint confidence at or above which (and below visible) it is labelled but occluded (v=1)",
        minimum=0,
        maximum=1,
    )
    margin: float = option(
        0.15, "box margin around the labelled keypoints, as a fraction of their extent", minimum=0, maximum=1
    )
    link: str = option("hardlink", "how images enter the dataset (never copied)", choices=("hardlink", "symlink"))
    min_keypoints: int = option(1, "drop instances with fewer labelled keypoints", cli=False, config=False)
    min_det_score: float = option(
        0.0, "drop frames whose detection score is lower (ghosts, misses)", minimum=0, maximum=1
    )


def keypoint_instance(kp: np.ndarray, width: int, height: int, options: CocoOptions) -> dict | None:
    """COCO annotation fields for one person: keypoints (flat x, y, v), bbox, area, num_keypoints."""
    conf = kp[:, 2]
    inside = (kp[:, 0] >= 0) & (kp[:, 0] < width) & (kp[:, 1] >= 0) & (kp[:, 1] < height)
    finite = np.isfinite(kp).all(axis=1)
    v = np.where(conf >= options.visible_threshold, 2, np.where(conf >= options.labeled_threshold, 1, 0))
    v = np.where(inside & finite, v, 0)
    if int((v > 0).sum()) < options.min_keypoints:
        return None
    xy = np.where(v[:, None] > 0, kp[:, :2], 0.0)
    pts = kp[v > 0, :2]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    mx, my = (x1 - x0) * options.margin, (y1 - y0) * options.margin
    x0, y0 = max(0.0, x0 - mx), max(0.0, y0 - my)
    x1, y1 = min(float(width), x1 + mx), min(float(height), y1 + my)
    flat = np.concatenate([xy, v[:, None]], axis=1).reshape(-1)
    return {
        "keypoints": [round(float(x), 2) for x in flat],
        "num_keypoints": int((v > 0).sum()),
        "bbox": [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
        "area": round(float((x1 - x0) * (y1 - y0)), 2),
        "iscrowd": 0,
        "category_id": 1,
    }


def _link(src: Path, dst: Path, mode: str) -> None:
    if mode == "hardlink":
        try:
            os.link(src, dst)
            return
        except OSError:  # another file system: fall back to a symlink
            pass
    os.symlink(os.path.relpath(src.resolve(), dst.parent.resolve()), dst)


def build_split(
    split: str,
    frames_dirs: list[str | Path],
    anno_dir: str | Path,
    out_dir: str | Path,
    options: CocoOptions = CocoOptions(),
) -> dict:
    """Build ``out_dir`` (``rtmpose_dataset/<split>``): images and ``annotations/<split>.json``."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        (tmp / "images").mkdir()
        for frames_dir in sorted(map(Path, frames_dirs)):
            mapping = load_mapping(frames_dir)
            video = mapping["video"]
            name = aist.parse_name(video)
            kp = aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, name.sequence))
            view = kp.view(name.camera)
            # keypoints are in source pixels; frames may have been resized
            scale = np.array(
                [mapping["width"] / mapping["source_width"], mapping["height"] / mapping["source_height"], 1.0]
            )
            for entry in mapping["frames"]:
                a = entry["annotation_index"]
                if a % options.stride:  # by annotation frame, so frames extracted with a stride keep theirs
                    continue
                if a >= view.shape[0]:
                    raise RhythmInputError(
                        aist.keypoints2d_path(anno_dir, name.sequence),
                        f"has {view.shape[0]} frames; {video} frame {a} has no keypoints",
                    )
                det_score = float(kp.det_scores[aist.CAMERAS.index(name.camera), a])
                if not det_score >= options.min_det_score:  # NaN scores fail too
                    continue
                inst = keypoint_instance(view[a] * scale, mapping["width"], mapping["height"], options)
                if inst is None:
                    continue
                image_id = len(images) + 1
                file_name = f"{video}_{entry['index']:06d}.jpg"
                _link(Path(frames_dir) / entry["file"], tmp / "images" / file_name, options.link)
                images.append(
                    {
                        "id": image_id,
                        "file_name": file_name,
                        "width": mapping["width"],
                        "height": mapping["height"],
                        "video": video,
                        "frame_index": entry["index"],
                    }
                )
                annotations.append({"id": len(annotations) + 1, "image_id": image_id, **inst, "det_score": det_score})
        coco = {
            "info": {"description": f"AIST++ {split} keypoints for RTMPose, written by Rhythm"},
            "images": images,
            "annotations": annotations,
            "categories": [CATEGORY],
        }
        write_coco(tmp / "annotations" / f"{split}.json", coco)
    return coco


def _check_coco(path: str | Path, data: dict) -> dict:
    if not isinstance(data, dict):
        raise RhythmInputError(path, "not a COCO file: not a JSON object")
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise RhythmInputError(path, f"not a COCO file: no '{key}'")
    image_ids = {img["id"] for img in data["images"]}
    orphans = [a["id"] for a in data["annotations"] if a["image_id"] not in image_ids]
    if orphans:
        raise RhythmInputError(path, f"{len(orphans)} annotation(s) refer to missing images, first id {orphans[0]}")
    return data


def load_coco(path: str | Path) -> dict:
    """Read a COCO keypoint file and check that it is one (sections present, images referenced)."""
    return _check_coco(path, read_json(path))


def write_coco(path: str | Path, data: dict) -> None:
    """Write a COCO file atomically, checked the same way as :func:`load_coco`; fields are kept as given."""
    write_json(path, _check_coco(path, data))


_MMPOSE_CONFIG = """\
# MMPose 1.x config written by Rhythm: RTMPose-s 256x192 (the COCO recipe) on AIST++ split '{split}'.
# Train:  python tools/train.py {config_name} --work-dir work_dirs/rtmpose-s_aist_{split}
_base_ = ['mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py']

data_root = '{data_root}/'
dataset_type = 'CocoDataset'
data_mode = 'topdown'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='{train_split}/annotations/{train_split}.json',
        data_prefix=dict(img='{train_split}/images/'),
    ))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='{split}/annotations/{split}.json',
        data_prefix=dict(img='{split}/images/'),
        bbox_file=None,
        test_mode=True,
    ))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + '{split}/annotations/{split}.json')
test_evaluator = val_evaluator
"""


def write_mmpose_config(path: str | Path, split: str, data_root: str | Path, train_split: str = "train") -> None:
    """``rtmpose_<split>.py``: train on ``train_split``, validate and test on ``split``."""
    path = Path(path)
    write_text(
        path,
        _MMPOSE_CONFIG.format(
            split=split,
            train_split=train_split,
            data_root=Path(data_root).resolve().as_posix(),
            config_name=path.name,
        ),
    )
