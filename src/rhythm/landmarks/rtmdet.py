"""RTMDet's pre- and post-processing in numpy: letterbox, normalise, decode, class-aware NMS.

The ``onnx`` backend runs the detector network alone (per-level classification logits and box
distances) and does everything around it here, without torch or mmcv. Each step reproduces what
MMDetection 3.3.0 does for RTMDet at test time, so that both backends give the same boxes:

* ``Resize(scale=(S, S), keep_ratio=True)``: scale ``r = S / long side``, new size
  ``int(w * r + 0.5), int(h * r + 0.5)``, bilinear (cv2); ``Pad(size=(S, S), pad_val=114)`` at the
  bottom and right. ``scale_factor = (new_w / w, new_h / h)``; ``img_shape`` is the padded size.
* ``DetDataPreprocessor``: ``(BGR - mean) / std`` with BGR mean/std (no channel swap).
* per level (strides 8, 16, 32): priors at ``(x * s, y * s)`` in row-major cell order; sigmoid
  scores; keep ``score > score_thr``; the ``nms_pre`` best (cell, class) pairs.
* boxes ``(px - l, py - t, px + r, py + b)`` clamped to the padded input, then multiplied by
  ``1 / scale_factor``; boxes with no width or height dropped.
* ``mmcv.ops.batched_nms``: boxes shifted by ``label * (max coordinate + 1)`` so classes never
  suppress each other, greedy NMS in descending score order suppressing IoU ``>`` threshold,
  then the first ``max_per_img``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class RTMDetParams:
    """What pre- and post-processing need; defaults: the RTMDet-m person detector's test settings."""

    input_size: tuple[int, int] = (640, 640)  # (width, height) after letterboxing
    pad_value: int = 114
    mean: tuple[float, float, float] = (103.53, 116.28, 123.675)  # BGR
    std: tuple[float, float, float] = (57.375, 57.12, 58.395)
    strides: tuple[int, ...] = (8, 16, 32)
    num_classes: int = 1
    score_thr: float = 0.05
    nms_pre: int = 1000
    iou_threshold: float = 0.6
    max_per_img: int = 100
    min_bbox_size: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: dict) -> RTMDetParams:
        known: dict[str, Any] = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in cls.__dataclass_fields__
        }
        return cls(**known)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if k != "extra"}


def letterbox(image: np.ndarray, params: RTMDetParams = RTMDetParams()) -> tuple[np.ndarray, tuple[float, float]]:
    """Resize keeping the aspect ratio to fit ``input_size`` and pad bottom/right; -> (image, scale_factor)."""
    h, w = image.shape[:2]
    target_w, target_h = params.input_size
    r = min(max(target_w, target_h) / max(h, w), min(target_w, target_h) / min(h, w))
    new_w, new_h = int(w * r + 0.5), int(h * r + 0.5)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    out = np.full((target_h, target_w) + image.shape[2:], params.pad_value, dtype=image.dtype)
    out[:new_h, :new_w] = resized[:target_h, :target_w]
    return out, (new_w / w, new_h / h)


def normalize(images: np.ndarray, mean, std) -> np.ndarray:
    """``(N, H, W, 3)`` uint8 -> ``(N, 3, H, W)`` float32 ``(x - mean) / std`` in the given channel order."""
    x = images.astype(np.float32)
    x -= np.asarray(mean, dtype=np.float32)
    x /= np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def preprocess(frames: list[np.ndarray], params: RTMDetParams = RTMDetParams()) -> tuple[np.ndarray, list]:
    """BGR uint8 frames -> the detector's input batch ``(N, 3, H, W)`` and each frame's scale factor."""
    boxed = [letterbox(f, params) for f in frames]
    batch = normalize(np.stack([b[0] for b in boxed]), params.mean, params.std)
    return batch, [b[1] for b in boxed]


def priors(height: int, width: int, stride: int) -> np.ndarray:
    """``(H * W, 2)`` prior points ``(x * s, y * s)`` of one level, row-major (MlvlPointGenerator, offset 0)."""
    xs = np.arange(width, dtype=np.float32) * stride
    ys = np.arange(height, dtype=np.float32) * stride
    return np.stack([np.tile(xs, height), np.repeat(ys, width)], axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def decode(
    cls_scores: list[np.ndarray],
    distances: list[np.ndarray],
    scale_factor: tuple[float, float],
    params: RTMDetParams = RTMDetParams(),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's per-level outputs (``(C, H, W)`` logits, ``(4, H, W)`` distances in input pixels)
    -> boxes ``(M, 4)`` in original image pixels, scores ``(M,)``, labels ``(M,)``, after NMS."""
    all_boxes, all_scores, all_labels = [], [], []
    for logits, dist, stride in zip(cls_scores, distances, params.strides):
        c, h, w = logits.shape
        scores = _sigmoid(logits.reshape(c, h * w).T)  # (H*W, C)
        cells, labels = np.nonzero(scores > params.score_thr)
        values = scores[cells, labels]
        order = np.argsort(-values, kind="stable")[: params.nms_pre]
        cells, labels, values = cells[order], labels[order], values[order]
        points = priors(h, w, stride)[cells]
        d = dist.reshape(4, h * w).T[cells]
        all_boxes.append(np.concatenate([points - d[:, :2], points + d[:, 2:]], axis=1))
        all_scores.append(values)
        all_labels.append(labels)
    boxes = np.concatenate(all_boxes).astype(np.float32)
    scores = np.concatenate(all_scores)
    labels = np.concatenate(all_labels)
    width, height = params.input_size
    np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
    inv = np.array([1 / scale_factor[0], 1 / scale_factor[1]] * 2, dtype=np.float32)
    boxes = boxes * inv
    if params.min_bbox_size >= 0:
        valid = ((boxes[:, 2] - boxes[:, 0]) > params.min_bbox_size) & (
            (boxes[:, 3] - boxes[:, 1]) > params.min_bbox_size
        )
        boxes, scores, labels = boxes[valid], scores[valid], labels[valid]
    keep = batched_nms(boxes, scores, labels, params.iou_threshold, max_keep=params.max_per_img)
    return boxes[keep], scores[keep], labels[keep]


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, max_keep: int | None = None) -> np.ndarray:
    """Greedy NMS as mmcv's CPU op: indices of kept boxes in descending score order; a box is
    suppressed by a kept, higher-scored one when their IoU is strictly above the threshold.

    ``max_keep`` stops after that many kept boxes: the same as truncating the full result (kept
    boxes come out best first), but a detector's 30,000 candidates then cost ``max_keep`` passes.
    """
    boxes = np.asarray(boxes, dtype=np.float32)
    order = np.argsort(-np.asarray(scores), kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    alive = np.ones(len(order), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if not alive[pos]:
            continue
        keep.append(i)
        if max_keep is not None and len(keep) >= max_keep:
            break
        later = pos + 1 + np.flatnonzero(alive[pos + 1 :])  # positions still alive after this one
        rest = order[later]
        w = np.maximum(np.float32(0), np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(np.float32(0), np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        alive[later[iou > np.float32(iou_threshold)]] = False
    return np.asarray(keep, dtype=np.int64)


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float, max_keep: int | None = None
) -> np.ndarray:
    """Class-aware NMS (mmcv's ``batched_nms``): boxes of different labels never suppress each other."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float32)
    offsets = np.asarray(labels).astype(np.float32) * (boxes.max() + np.float32(1))
    return nms(boxes + offsets[:, None], scores, iou_threshold, max_keep)
