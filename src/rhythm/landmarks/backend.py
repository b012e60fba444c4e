"""The landmark backends' API: person detection and whole-body 3D keypoints, frames in batches.

Two backends run the same two models (an RTMDet person detector, an RTMW3D pose model):

* ``mmpose`` (:mod:`rhythm.landmarks.mmpose_backend`): the models built from MMPose/MMDetection
  configs and ``.pth`` checkpoints, on ``cuda`` when there is one, else the CPU. Needs the
  OpenMMLab stack (``envs/install-openmmlab.sh``).
* ``onnx`` (:mod:`rhythm.landmarks.onnx_backend`): the same models exported to ONNX
  (``rhythm models export``), run by onnxruntime with numpy pre- and post-processing; imports
  neither torch nor mmcv.

Both share the top-down flow in :class:`TopDownBackend`: every box of every frame becomes a
288x384 crop (:mod:`rhythm.landmarks.geometry`), crops go through the pose network
``batch_size`` at a time, the SimCC logits are decoded (:mod:`rhythm.landmarks.codec`) and the
keypoints mapped back into the image. Only the network calls differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rhythm.landmarks import codec, geometry

NUM_KEYPOINTS = 133  # COCO-WholeBody
RANDOM_INIT = "random-init"  # in place of a checkpoint: randomly initialised weights (tests, benchmarks)

# BGR input, RGB mean/std (PoseDataPreprocessor with bgr_to_rgb=True)
POSE_MEAN_RGB = (123.675, 116.28, 103.53)
POSE_STD_RGB = (58.395, 57.12, 57.375)


@dataclass
class Person:
    box: np.ndarray  # (4,) x1, y1, x2, y2, image pixels
    box_score: float
    keypoints: np.ndarray  # (133, 3): x, y in image pixels; z = root-relative depth in metres (codec z_rel)
    scores: np.ndarray  # (133,) keypoint scores (codec: min of x/y logit maxima)


class LandmarkBackend(Protocol):
    name: str  # "mmpose" or "onnx"
    device: str  # "cuda" / "cpu" / onnxruntime provider
    weights: dict  # {"detector": ..., "pose": ...}: the checkpoints (for onnx: those exported), or RANDOM_INIT

    def detect(self, frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """BGR uint8 frames -> per frame (boxes (M, 4) xyxy image px, scores (M,)) of persons,
        score >= threshold, after NMS, sorted by score."""

    def estimate(self, frames: list[np.ndarray], boxes: list[np.ndarray]) -> list[list[Person]]:
        """Top-down RTMW3D on every box of every frame, all crops batched (batch_size crops per forward).
        A box row may carry the detector's score as a fifth column (it becomes ``Person.box_score``;
        NaN otherwise)."""


def normalize_crops(crops: np.ndarray) -> np.ndarray:
    """``(N, h, w, 3)`` BGR uint8 crops -> ``(N, 3, h, w)`` float32 RGB, mean/std normalised."""
    x = crops[..., ::-1].astype(np.float32)
    x -= np.asarray(POSE_MEAN_RGB, dtype=np.float32)
    x /= np.asarray(POSE_STD_RGB, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def select_persons(
    boxes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    image_shape: tuple[int, int] | None = None,
    person_label: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Person boxes with ``score >= threshold``, best first (stable on ties).

    With ``image_shape`` (h, w), boxes wholly outside the image are dropped: RTMDet clamps boxes to
    its letterboxed input, so a box can lie entirely in the padding below or right of the picture
    (upstream keeps those; nobody can be standing there). Boxes that reach past the edge are kept
    as they are, so a person cut by the frame still gets a crop that extends beyond it.
    """
    keep = (labels == person_label) & (scores >= threshold)
    if image_shape is not None:
        h, w = image_shape[:2]
        keep &= (boxes[:, 0] < w) & (boxes[:, 1] < h) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    boxes, scores = boxes[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return boxes[order].astype(np.float32).reshape(-1, 4), scores[order].astype(np.float32)


def _box_rows(frame_boxes) -> np.ndarray:
    """``(M, 4)`` boxes, or ``(M, 5)`` with the detector's score last -> ``(M, 5)`` (score NaN if unknown)."""
    b = np.asarray(frame_boxes, dtype=np.float64)
    if b.size == 0:
        return np.zeros((0, 5))
    b = b.reshape(-1, b.shape[-1])
    if b.shape[1] == 4:
        b = np.concatenate([b, np.full((len(b), 1), np.nan)], axis=1)
    if b.shape[1] != 5:
        raise ValueError(f"boxes must be (M, 4) xyxy or (M, 5) xyxy + score, not {b.shape}")
    return b


class TopDownBackend:
    """The shared top-down flow; subclasses provide ``detect`` and ``pose_logits``."""

    name = "?"
    device = "cpu"
    batch_size = 16
    det_batch_size = 8  # frames per detector forward
    input_size = geometry.RTMW3D_INPUT_SIZE
    codec_params = codec.SimCC3DParams()

    def pose_logits(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(N, h, w, 3)`` BGR uint8 crops -> SimCC x, y, z logits ``(N, K, bins)`` as numpy float32."""
        raise NotImplementedError

    def estimate(self, frames: list[np.ndarray], boxes: list[np.ndarray]) -> list[list[Person]]:
        if len(frames) != len(boxes):
            raise ValueError(f"estimate: {len(frames)} frames but {len(boxes)} box arrays")
        items = [(f, row) for f, frame_boxes in enumerate(boxes) for row in _box_rows(frame_boxes)]
        people: list[list[Person]] = [[] for _ in frames]
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            chunk_boxes = np.stack([row[:4] for _, row in chunk])
            centers, scales = geometry.crop_boxes(chunk_boxes, self.input_size)
            crops = np.concatenate(
                [
                    geometry.warp_crops(frames[f], centers[i : i + 1], scales[i : i + 1], self.input_size)
                    for i, (f, _) in enumerate(chunk)
                ]
            )
            x, y, z = self.pose_logits(crops)
            keypoints, _, scores = codec.decode(x, y, z, self.codec_params)
            image_xy = geometry.crop_to_image(keypoints[..., :2], centers, scales, self.input_size)
            for i, (f, row) in enumerate(chunk):
                kp = np.concatenate([image_xy[i], keypoints[i, :, 2:3]], axis=1).astype(np.float32)
                people[f].append(
                    Person(
                        box=row[:4].astype(np.float32),
                        box_score=float(row[4]),
                        keypoints=kp,
                        scores=scores[i].astype(np.float32),
                    )
                )
        return people

    def detect_and_estimate(self, frames: list[np.ndarray]) -> list[list[Person]]:
        """Both steps; each Person carries its detector score."""
        detections = self.detect(frames)
        return self.estimate(frames, [np.concatenate([b, s[:, None]], axis=1) for b, s in detections])

    def detect(self, frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        raise NotImplementedError


def load_backend(
    name: str,
    detector: str | Path,
    pose: str | Path,
    *,
    device: str = "auto",
    batch_size: int = 16,
    det_score_thr: float = 0.3,
    det_config=None,
    pose_config=None,
    threads: int | None = None,
) -> LandmarkBackend:
    """mmpose: checkpoints (.pth) + configs; onnx: exported .onnx files. Models loaded once.

    ``detector``/``pose`` may be :data:`RANDOM_INIT` for the mmpose backend (seeded random weights).
    ``det_config``/``pose_config``: a config file or a model name of ``resources/landmarks/models.json``
    (default: the config of the manifest entry whose file name the checkpoint has; for random
    weights, ``rtmdet-m-person`` and ``rtmw3d-l``). ``threads``: CPU threads for torch or
    onnxruntime (default: theirs, every core).
    """
    if name == "mmpose":
        from rhythm.landmarks.mmpose_backend import MMPoseBackend

        return MMPoseBackend(
            detector,
            pose,
            device=device,
            batch_size=batch_size,
            det_score_thr=det_score_thr,
            det_config=det_config,
            pose_config=pose_config,
            threads=threads,
        )
    if name == "onnx":
        if det_config is not None or pose_config is not None:
            raise ValueError("the onnx backend takes no configs: the exported files carry their settings")
        from rhythm.landmarks.onnx_backend import OnnxBackend

        return OnnxBackend(
            detector, pose, device=device, batch_size=batch_size, det_score_thr=det_score_thr, threads=threads
        )
    raise ValueError(f"unknown landmark backend {name!r} (choose mmpose or onnx)")
