"""The ``onnx`` landmark backend: the exported RTMDet and RTMW3D networks in onnxruntime, no torch, no mmcv.

Inputs are prepared and outputs decoded by Rhythm's numpy code (:mod:`rhythm.landmarks.rtmdet`,
:mod:`rhythm.landmarks.geometry`, :mod:`rhythm.landmarks.codec`), the same the ``mmpose``
backend uses around its torch networks, so both give the same people from the same weights.
The settings of that numpy side travel inside the ONNX files (``rhythm models export``).

Providers: ``device="auto"`` takes CUDA when onnxruntime offers it (the ``onnxruntime-gpu``
wheel on a GPU node), else the CPU; ``"cpu"``/``"cuda"`` ask for one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.landmarks import codec, rtmdet
from rhythm.landmarks.backend import TopDownBackend, normalize_crops, select_persons
from rhythm.landmarks.models import require_weights

METADATA_KEY = "rhythm"  # as written by rhythm.landmarks.export


def pick_providers(device: str = "auto") -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "auto":
        device = "cuda" if "CUDAExecutionProvider" in available else "cpu"
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in available:
            raise RuntimeError(
                f"device {device!r} asked for, but onnxruntime offers only {available} "
                "(install onnxruntime-gpu on GPU nodes)"
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device != "cpu":
        raise ValueError(f"unknown device {device!r} (auto, cpu or cuda)")
    return ["CPUExecutionProvider"]


def open_session(path: str | Path, providers: list[str], kind: str, threads: int | None = None):
    """An onnxruntime session and the Rhythm metadata of an exported file of the given kind."""
    import onnxruntime as ort

    path = require_weights(path)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise RhythmInputError(path, f"not a loadable ONNX model ({type(exc).__name__}: {exc})") from None
    raw = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    try:
        meta = json.loads(raw) if raw else None
    except ValueError:
        meta = None
    if not meta or meta.get("kind") != kind:
        raise RhythmInputError(
            path, f"not a {kind} exported by `rhythm models export` (no '{METADATA_KEY}' metadata of kind {kind!r})"
        )
    return session, meta


class OnnxBackend(TopDownBackend):
    name = "onnx"

    def __init__(
        self,
        detector,
        pose,
        *,
        device: str = "auto",
        batch_size: int = 16,
        det_score_thr: float = 0.3,
        det_batch_size: int = 8,
        threads: int | None = None,
    ):
        providers = pick_providers(device)
        self.device = providers[0]
        self.batch_size, self.det_batch_size = int(batch_size), int(det_batch_size)
        self.det_score_thr = float(det_score_thr)
        self.det_session, det_meta = open_session(detector, providers, "detector", threads)
        self.pose_session, pose_meta = open_session(pose, providers, "pose", threads)
        self.weights = {"detector": det_meta.get("source"), "pose": pose_meta.get("source")}  # what was exported
        self.det_params = rtmdet.RTMDetParams.from_dict(det_meta)
        self.input_size = tuple(pose_meta["input_size"])
        self.codec_params = codec.SimCC3DParams(
            input_size=tuple(pose_meta["codec_input_size"]),
            split_ratio=float(pose_meta["split_ratio"]),
            z_range=float(pose_meta["z_range"]),
            sigma=tuple(pose_meta["sigma"]),
            root_index=tuple(pose_meta["root_index"]),
        )
        self._det_input = self.det_session.get_inputs()[0].name
        self._pose_input = self.pose_session.get_inputs()[0].name

    def detector_outputs(self, batch: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        outputs = self.det_session.run(None, {self._det_input: batch})
        levels = len(self.det_params.strides)
        return outputs[:levels], outputs[levels:]

    def detect(self, frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for start in range(0, len(frames), self.det_batch_size):
            chunk = frames[start : start + self.det_batch_size]
            batch, factors = rtmdet.preprocess(chunk, self.det_params)
            cls_scores, distances = self.detector_outputs(batch)
            for i, factor in enumerate(factors):
                boxes, scores, labels = rtmdet.decode(
                    [c[i] for c in cls_scores], [d[i] for d in distances], factor, self.det_params
                )
                out.append(select_persons(boxes, scores, labels, self.det_score_thr, chunk[i].shape))
        return out

    def pose_logits(self, crops: np.ndarray):
        x, y, z = self.pose_session.run(None, {self._pose_input: normalize_crops(crops)})
        return x, y, z
