"""Top-down crop geometry: person box -> centre and scale -> affine crop -> keypoints back in the image.

These are the transforms of MMPose's ``GetBBoxCenterScale`` + ``TopdownAffine`` (without rotation)
and of ``TopdownPoseEstimator3D.add_pred_to_datasample``, written as pure numpy functions over
batches so that both landmark backends share them and each can be tested alone.

Conventions (MMPose's): a box is ``x1, y1, x2, y2`` in image pixels; a crop of ``input_size =
(w, h)`` pixels (288x384 for RTMW3D) shows the box's centre at ``(w/2, h/2)``; pixel coordinates
are those of OpenCV's ``warpAffine`` (pixel ``i`` is centred on ``i``, no half-pixel shift). The
crop matrix is written in closed form (scale and translate) rather than solved from three point
pairs in float32 as MMPose's ``get_warp_matrix`` does: the two agree to float32 rounding, and the
closed form inverts exactly, which the round-trip tests rely on.
"""

from __future__ import annotations

import cv2
import numpy as np

RTMW3D_INPUT_SIZE = (288, 384)  # crop (width, height) of the released RTMW3D models
BOX_PADDING = 1.25  # GetBBoxCenterScale's default


def box_to_center_scale(boxes: np.ndarray, padding: float = BOX_PADDING) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 4)`` xyxy boxes -> centres ``(N, 2)`` and padded sizes ``(N, 2)`` (width, height), float64."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    centers = (boxes[:, :2] + boxes[:, 2:]) * 0.5
    scales = (boxes[:, 2:] - boxes[:, :2]) * padding
    return centers, scales


def fix_aspect_ratio(scales: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Grow the shorter side of each ``(w, h)`` so that ``w / h == aspect_ratio`` (TopdownAffine)."""
    scales = np.asarray(scales, dtype=np.float64).reshape(-1, 2)
    w, h = scales[:, 0], scales[:, 1]
    wide = w > h * aspect_ratio
    return np.stack([np.where(wide, w, h * aspect_ratio), np.where(wide, w / aspect_ratio, h)], axis=1)


def crop_boxes(
    boxes: np.ndarray, input_size: tuple[int, int] = RTMW3D_INPUT_SIZE, padding: float = BOX_PADDING
) -> tuple[np.ndarray, np.ndarray]:
    """The crop each box gets: centres ``(N, 2)`` and scales ``(N, 2)`` with the input's aspect ratio."""
    centers, scales = box_to_center_scale(boxes, padding)
    return centers, fix_aspect_ratio(scales, input_size[0] / input_size[1])


def crop_matrices(
    centers: np.ndarray, scales: np.ndarray, input_size: tuple[int, int] = RTMW3D_INPUT_SIZE
) -> np.ndarray:
    """``(N, 2, 3)`` affine matrices mapping image pixels into each crop (for ``cv2.warpAffine``)."""
    centers = np.asarray(centers, dtype=np.float64).reshape(-1, 2)
    scales = np.asarray(scales, dtype=np.float64).reshape(-1, 2)
    size = np.asarray(input_size, dtype=np.float64)
    factor = size / scales  # (N, 2): crop pixels per image pixel along x and y
    m = np.zeros((len(centers), 2, 3))
    m[:, 0, 0] = factor[:, 0]
    m[:, 1, 1] = factor[:, 1]
    m[:, :, 2] = size / 2 - centers * factor
    return m


def invert_affine(matrices: np.ndarray) -> np.ndarray:
    """Inverse of ``(N, 2, 3)`` affine matrices (crop pixels -> image pixels)."""
    matrices = np.asarray(matrices, dtype=np.float64)
    full = np.zeros(matrices.shape[:-2] + (3, 3))
    full[..., :2, :] = matrices
    full[..., 2, 2] = 1.0
    return np.linalg.inv(full)[..., :2, :]


def apply_affine(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply ``(N, 2, 3)`` matrices to ``(N, K, 2)`` points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ np.swapaxes(matrices[..., :, :2], -1, -2) + matrices[..., None, :, 2]


def image_to_crop(
    points: np.ndarray, centers: np.ndarray, scales: np.ndarray, input_size: tuple[int, int] = RTMW3D_INPUT_SIZE
) -> np.ndarray:
    """``(N, K, 2)`` image pixels -> crop pixels of each person's crop."""
    return apply_affine(crop_matrices(centers, scales, input_size), points)


def crop_to_image(
    points: np.ndarray, centers: np.ndarray, scales: np.ndarray, input_size: tuple[int, int] = RTMW3D_INPUT_SIZE
) -> np.ndarray:
    """``(N, K, 2)`` crop pixels -> image pixels: MMPose's ``kp / input_size * scale + center - scale / 2``."""
    points = np.asarray(points, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64).reshape(-1, 1, 2)
    scales = np.asarray(scales, dtype=np.float64).reshape(-1, 1, 2)
    return points / np.asarray(input_size, dtype=np.float64) * scales + centers - 0.5 * scales


def warp_crops(
    image: np.ndarray, centers: np.ndarray, scales: np.ndarray, input_size: tuple[int, int] = RTMW3D_INPUT_SIZE
) -> np.ndarray:
    """Cut ``N`` crops out of one image: ``(N, h, w, C)``, bilinear, zeros outside the image."""
    matrices = crop_matrices(centers, scales, input_size)
    out = np.empty((len(matrices), input_size[1], input_size[0]) + image.shape[2:], dtype=image.dtype)
    for i, m in enumerate(matrices):
        out[i] = cv2.warpAffine(
            image,
            m,
            (int(input_size[0]), int(input_size[1])),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
    return out
