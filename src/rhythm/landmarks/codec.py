"""SimCC-3D keypoint codec of RTMW3D: logits over coordinate bins <-> crop keypoints with depth.

RTMW3D's head classifies each keypoint's x, y and z into bins of ``1 / split_ratio`` crop pixels
(576, 768 and 576 bins for a 288x384 crop at ratio 2). Decoding is numpy only, so the ``onnx``
backend needs no torch; the MMPose codec class in :mod:`rhythm.landmarks.rtmw3d` calls these
functions too, so both backends decode alike.

Decoding, exactly as upstream's ``SimCC3DLabel.decode`` (variant without DARK refinement):

* bin = first argmax of the raw logits (no softmax) along each axis;
* score = min(max x logit, max y logit): the z peak does not count;
* a keypoint whose score is <= 0 gets bin -1 on all three axes (upstream's "invisible" marker);
* x, y = bin / split_ratio (crop pixels); z_rel = (bin_z / split_ratio / (depth / 2) - 1) * z_range,
  metres relative to the root (the mean of the hips, COCO-WholeBody 11 and 12); positive is
  farther from the camera.

The encoder builds the Gaussian training targets; here it makes synthetic logits for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_RANGE = 2.1744869  # metres: upstream's default half-range of root-relative depth
ROOT_Z = 5.14388  # metres: training-set mean root depth, the only absolute depth the model knows


@dataclass(frozen=True)
class SimCC3DParams:
    """What decoding needs; the defaults are the released RTMW3D-L/-X codec settings."""

    input_size: tuple[int, int, int] = (288, 384, 288)  # crop width, height, depth extent (pixels)
    split_ratio: float = 2.0
    z_range: float = Z_RANGE
    sigma: tuple[float, float, float] = (6.0, 6.93, 6.0)  # label widths in bins (encoding only)
    root_index: tuple[int, ...] = (11, 12)

    @property
    def bins(self) -> tuple[int, int, int]:
        return tuple(int(round(s * self.split_ratio)) for s in self.input_size)  # type: ignore[return-value]


def simcc_maximum(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Argmax bins ``(..., K, 3)`` (float32, -1 where invisible) and scores ``(..., K)`` of SimCC logits."""
    x, y, z = (np.asarray(a) for a in (x, y, z))
    bins = np.stack([x.argmax(-1), y.argmax(-1), z.argmax(-1)], axis=-1).astype(np.float32)
    scores = np.minimum(x.max(-1), y.max(-1))
    bins[scores <= 0] = -1
    return bins, scores


def decode(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, params: SimCC3DParams = SimCC3DParams()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SimCC logits ``(N, K, bins)`` per axis -> keypoints, keypoints_simcc ``(N, K, 3)``, scores ``(N, K)``.

    ``keypoints`` are (x, y) in crop pixels and z_rel in metres; ``keypoints_simcc`` keeps z in
    crop-pixel units too (upstream's ``keypoints_simcc``, what its 'vis' mode shows).
    """
    bins, scores = simcc_maximum(x, y, z)
    simcc = bins / np.float32(params.split_ratio)
    keypoints = simcc.copy()
    keypoints[..., 2] = (simcc[..., 2] / np.float32(params.input_size[2] / 2) - 1) * np.float32(params.z_range)
    return keypoints, simcc, scores


def depth_to_simcc(z_rel: np.ndarray, params: SimCC3DParams = SimCC3DParams()) -> np.ndarray:
    """Root-relative depth in metres -> depth in crop-pixel units (the encoder's mapping)."""
    return (np.asarray(z_rel, dtype=np.float64) / params.z_range + 1) * (params.input_size[2] / 2)


def encode(
    keypoints: np.ndarray, visible: np.ndarray | None = None, params: SimCC3DParams = SimCC3DParams()
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian SimCC labels of ``(N, K, 3)`` keypoints (x, y crop px, z_rel metres).

    Returns x, y, z labels ``(N, K, bins)`` float32 (unnormalised Gaussians centred on the rounded
    bin, as upstream with ``normalize=False``) and weights ``(N, K)``: 0 for invisible keypoints and
    for those whose Gaussian lies wholly outside the bins.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    n, k, _ = keypoints.shape
    coords = keypoints.copy()
    coords[..., 2] = depth_to_simcc(keypoints[..., 2], params)
    centres = np.around(coords * params.split_ratio)
    weights = np.ones((n, k), np.float32) if visible is None else (np.asarray(visible) >= 0.5).astype(np.float32)
    sigma = np.asarray(params.sigma, dtype=np.float64)
    radius = 3 * sigma
    labels = []
    for axis, nbins in enumerate(params.bins):
        grid = np.arange(nbins, dtype=np.float64)
        mu = centres[..., axis]
        labels.append(np.exp(-((grid - mu[..., None]) ** 2) / (2 * sigma[axis] ** 2)).astype(np.float32))
        outside = (mu - radius[axis] >= nbins) | (mu + radius[axis] + 1 < 0)
        weights[outside] = 0
    for lab in labels:
        lab[weights == 0] = 0
    return labels[0], labels[1], labels[2], weights
