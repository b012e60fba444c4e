"""The ``mmpose`` landmark backend: RTMDet (MMDetection) + RTMW3D (MMPose) in torch, CUDA when present.

The models are built from their configs through the OpenMMLab registries (RTMW3D's parts from
:mod:`rhythm.landmarks.rtmw3d`) and loaded once. Inference does not go through ``mmpose.apis``
(it imports torchvision, which does not load beside our torch) nor through the per-sample data
pipelines: frames and crops are prepared in batches by Rhythm's own numpy code (the same as the
``onnx`` backend's), normalised on the device, and run ``batch_size`` at a time:

* detector: backbone -> neck -> ``bbox_head`` -> the head's own ``predict_by_feat`` (priors,
  score threshold, box decoding, rescaling and ``mmcv.ops.batched_nms``);
* pose model: backbone -> neck -> ``RTMW3DHead.forward`` -> the SimCC-3D decoder.
"""

from __future__ import annotations

import logging
import pickle
import warnings
from pathlib import Path

import numpy as np
import torch

from rhythm.core.errors import RhythmInputError
from rhythm.landmarks import codec, rtmdet
from rhythm.landmarks.backend import POSE_MEAN_RGB, POSE_STD_RGB, RANDOM_INIT, TopDownBackend, select_persons
from rhythm.landmarks.models import require_weights, resolve_config

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")


def pick_device(device: str = "auto") -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} asked for, but torch sees no CUDA device")
    return device


def load_config(path: str | Path):
    """An MMEngine config; its ``custom_imports`` (RTMW3D's parts) are imported."""
    from mmengine.config import Config

    try:
        return Config.fromfile(str(path))
    except FileNotFoundError:
        raise RhythmInputError(path, "config not found") from None


def load_checkpoint_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load an OpenMMLab checkpoint (``{'state_dict': ..., 'meta': ...}`` or a bare state_dict).

    Every parameter and buffer of the model must be in the file with its shape; extra ``ema_*``
    entries are ignored. Released files carry non-tensor metadata, which ``weights_only`` loading
    refuses: then the file is unpickled in full (fetch checks its SHA-256 first).
    """
    path = require_weights(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise RhythmInputError(path, f"not a readable torch checkpoint ({type(exc).__name__}: {exc})") from None
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise RhythmInputError(path, "no state_dict in this checkpoint")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        raise RhythmInputError(path, f"does not fit the model's config: {exc}") from None
    unexpected = [k for k in result.unexpected_keys if not k.startswith(("ema_", "data_preprocessor."))]
    if result.missing_keys or unexpected:
        raise RhythmInputError(
            path,
            f"does not fit the model's config: {len(result.missing_keys)} missing keys "
            f"(e.g. {result.missing_keys[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})",
        )


def build_model(
    config_path: str | Path,
    checkpoint: str | Path,
    scope: str,
    device: str = "cpu",
    seed: int = 0,
    overrides: dict | None = None,
):
    """Build ``cfg.model`` in ``scope`` ('mmdet' or 'mmpose'), load weights (or seeded random ones), eval mode.

    Returns ``(model, cfg)``. ``overrides``: ``Config.merge_from_dict`` keys, e.g. a narrower test variant.
    """
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope

    if scope == "mmdet":
        import mmdet.models  # noqa: F401  (registers RTMDet)
        from mmdet.registry import MODELS
    else:
        import mmpose.models  # noqa: F401
        from mmpose.registry import MODELS

        import rhythm.landmarks.rtmw3d  # noqa: F401  (RTMW3D's parts)
    if str(checkpoint) != RANDOM_INIT:
        require_weights(checkpoint)  # fail before the (slow) build
    cfg = load_config(config_path)
    if overrides:
        cfg.merge_from_dict(overrides)
    with DefaultScope.overwrite_default_scope(scope):
        torch.manual_seed(seed)
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
        if str(checkpoint) == RANDOM_INIT:
            _quiet_init_weights(model)
        else:
            load_checkpoint_weights(model, checkpoint)
    return model.to(device).eval(), cfg


def _quiet_init_weights(model) -> None:
    """``init_weights`` without MMEngine's per-parameter INFO log (thousands of lines)."""
    from mmengine.logging import MMLogger

    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def detector_params(cfg) -> rtmdet.RTMDetParams:
    """Pre/post-processing settings from an RTMDet config (Rhythm's configs name input_size/pad_value)."""
    head, test = cfg.model.bbox_head, cfg.model.test_cfg
    prep = cfg.model.data_preprocessor
    if prep.get("bgr_to_rgb", False):
        raise RhythmInputError(cfg.filename, "detector configs with bgr_to_rgb=True are not supported")
    return rtmdet.RTMDetParams(
        input_size=tuple(cfg.get("input_size", (640, 640))),
        pad_value=int(cfg.get("pad_value", 114)),
        mean=tuple(prep.mean),
        std=tuple(prep.std),
        strides=tuple(head.anchor_generator.strides),
        num_classes=int(head.num_classes),
        score_thr=float(test.score_thr),
        nms_pre=int(test.nms_pre),
        iou_threshold=float(test.nms.iou_threshold),
        max_per_img=int(test.max_per_img),
        min_bbox_size=float(test.get("min_bbox_size", -1)),
    )


def pose_params(cfg) -> tuple[tuple[int, int], codec.SimCC3DParams]:
    """Crop size and codec settings from an RTMW3D config."""
    c = cfg.codec
    params = codec.SimCC3DParams(
        input_size=tuple(c.input_size),
        split_ratio=float(c.simcc_split_ratio),
        z_range=float(c.get("z_range") or codec.Z_RANGE),
        sigma=tuple(c.sigma),
        root_index=tuple(c.root_index),
    )
    prep = cfg.model.data_preprocessor
    if not prep.get("bgr_to_rgb", False) or tuple(prep.mean) != POSE_MEAN_RGB or tuple(prep.std) != POSE_STD_RGB:
        raise RhythmInputError(cfg.filename, "pose configs must normalise like RTMW3D (bgr_to_rgb, ImageNet mean/std)")
    return tuple(cfg.get("input_size", c.input_size[:2])), params


class MMPoseBackend(TopDownBackend):
    name = "mmpose"

    def __init__(
        self,
        detector,
        pose,
        *,
        device: str = "auto",
        batch_size: int = 16,
        det_score_thr: float = 0.3,
        det_config=None,
        pose_config=None,
        det_batch_size: int = 8,
        seed: int = 0,
        pose_overrides: dict | None = None,
        det_overrides: dict | None = None,
        threads: int | None = None,
    ):
        if threads:
            torch.set_num_threads(int(threads))
        self.device = pick_device(device)
        self.batch_size, self.det_batch_size = int(batch_size), int(det_batch_size)
        self.det_score_thr = float(det_score_thr)
        self.detector_path, self.pose_path = str(detector), str(pose)
        self.weights = {"detector": self.detector_path, "pose": self.pose_path}
        self.det_config = resolve_config(det_config, detector, "detector")
        self.pose_config = resolve_config(pose_config, pose, "pose")
        self.detector, det_cfg = build_model(self.det_config, detector, "mmdet", self.device, seed, det_overrides)
        self.pose_model, pose_cfg = build_model(self.pose_config, pose, "mmpose", self.device, seed, pose_overrides)
        self.det_params = detector_params(det_cfg)
        self.input_size, self.codec_params = pose_params(pose_cfg)
        self._det_norm = self._norm_tensors(self.det_params.mean, self.det_params.std)
        self._pose_norm = self._norm_tensors(POSE_MEAN_RGB, POSE_STD_RGB)

    def _norm_tensors(self, mean, std):
        as_t = lambda v: torch.tensor(v, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)  # noqa: E731
        return as_t(mean), as_t(std)

    def _to_input(self, images: np.ndarray, norm, bgr_to_rgb: bool) -> torch.Tensor:
        """uint8 NHWC on the host -> normalised float32 NCHW on the device (upload the bytes, not floats)."""
        t = torch.from_numpy(np.ascontiguousarray(images)).to(self.device, non_blocking=True)
        if bgr_to_rgb:
            t = t.flip(-1)
        t = t.permute(0, 3, 1, 2).float()
        return (t - norm[0]) / norm[1]

    @torch.inference_mode()
    def detector_outputs(self, batch: torch.Tensor):
        """Per-level classification logits and box distances (what the ONNX detector returns)."""
        return self.detector.bbox_head(self.detector.extract_feat(batch))

    @torch.inference_mode()
    def detect(self, frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        p = self.det_params
        for start in range(0, len(frames), self.det_batch_size):
            chunk = frames[start : start + self.det_batch_size]
            boxed = [rtmdet.letterbox(f, p) for f in chunk]
            batch = self._to_input(np.stack([b for b, _ in boxed]), self._det_norm, bgr_to_rgb=False)
            cls_scores, bbox_preds = self.detector_outputs(batch)
            metas = [
                dict(img_shape=(p.input_size[1], p.input_size[0]), scale_factor=factor, ori_shape=f.shape[:2])
                for f, (_, factor) in zip(chunk, boxed)
            ]
            results = self.detector.bbox_head.predict_by_feat(
                cls_scores, bbox_preds, batch_img_metas=metas, rescale=True
            )
            for r, frame in zip(results, chunk):
                out.append(
                    select_persons(
                        r.bboxes.float().cpu().numpy(),
                        r.scores.float().cpu().numpy(),
                        r.labels.cpu().numpy(),
                        self.det_score_thr,
                        frame.shape,
                    )
                )
        return out

    @torch.inference_mode()
    def pose_logits(self, crops: np.ndarray):
        x = self._to_input(crops, self._pose_norm, bgr_to_rgb=True)
        px, py, pz = self.pose_model.head(self.pose_model.extract_feat(x))
        return tuple(t.float().cpu().numpy() for t in (px, py, pz))
