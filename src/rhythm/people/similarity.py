"""How alike a predicted person and a detection are: box IoU, person size and an OKS-like keypoint similarity.

Step 1 of :func:`rhythm.people.tracking.track_people` (:mod:`rhythm.people.tracklets`) matches on these;
:mod:`rhythm.people.tracking` re-exports the public ones.
"""

from __future__ import annotations

import warnings

import numpy as np

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
    e = np.where(both, np.exp(-d2 / (2 * spread**2)), 0.0)
    return e.sum(axis=-1) / np.maximum(n, 1), n > 0


def similarity(
    pred_boxes, pred_xy, pred_ok, sizes, det_boxes, det_xy, det_ok, iou_weight: float, sigma: float
) -> np.ndarray:
    """Similarity in [0, 1] of each predicted person (M) with each detection (P): (M, P).

    ``iou_weight * IoU + (1 - iou_weight) * keypoint similarity``, or the IoU alone where they
    share no keypoint. IoU separates people who stand apart; keypoints separate people whose
    boxes overlap (a couple dancing close, two dancers crossing).
    """
    iou = box_iou(pred_boxes, det_boxes)
    oks, common = keypoint_similarity(pred_xy, pred_ok, sizes, det_xy, det_ok, sigma)
    return np.where(common, iou_weight * iou + (1 - iou_weight) * oks, iou)
