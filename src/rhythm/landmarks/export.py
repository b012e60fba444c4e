"""`rhythm models export`: the mmpose backend's two networks as ONNX files for the ``onnx`` backend.

Only the networks are exported (image batch in, raw outputs out): the detector returns per-level
classification logits and box distances, the pose model its x, y and z SimCC logits. Everything
around them (letterbox, crops, normalisation, decoding, NMS) is Rhythm's numpy code, shared by
both backends, so the ONNX graphs contain only standard operators (no mmcv custom ops) and the
batch axis is dynamic. Files are named after their models (``rtmdet-m-person.onnx``, ``rtmw3d-l.onnx``), which is where
the workflow's ``onnx`` backend looks (:func:`rhythm.landmarks.models.weight_path`). Each file
carries the settings its numpy side needs as JSON metadata
(``rhythm`` in the model's metadata_props), so the onnx backend needs no config files, no
mmengine and no torch.

The exporter is torch's TorchScript-based one (``dynamo=False``), which torch 2.13 still ships and
which needs only the ``onnx`` package; the dynamo exporter would need onnxscript as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from rhythm.core.io import atomic_path

OPSET = 17
METADATA_KEY = "rhythm"


class _DetectorNet(torch.nn.Module):
    """RTMDet without post-processing: ``(N, 3, H, W)`` -> cls logits per level, then distances per level."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, images):
        cls_scores, distances = self.detector.bbox_head(self.detector.extract_feat(images))
        return (*cls_scores, *distances)


class _PoseNet(torch.nn.Module):
    """RTMW3D without decoding: ``(N, 3, 384, 288)`` -> SimCC x, y, z logits."""

    def __init__(self, pose_model):
        super().__init__()
        self.pose_model = pose_model

    def forward(self, crops):
        return self.pose_model.head(self.pose_model.extract_feat(crops))


def _export(
    net: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    input_name: str,
    output_names: list[str],
    metadata: dict,
    opset: int = OPSET,
) -> Path:
    import onnx

    dynamic = {name: {0: "batch"} for name in [input_name, *output_names]}
    with atomic_path(path) as tmp, torch.no_grad():
        torch.onnx.export(
            net.eval(),
            (example,),
            str(tmp),
            input_names=[input_name],
            output_names=output_names,
            dynamic_axes=dynamic,
            opset_version=opset,
            dynamo=False,
            do_constant_folding=True,
        )
        model = onnx.load(str(tmp))
        entry = model.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
        onnx.checker.check_model(model)
        onnx.save(model, str(tmp))
    return path


def export_backend(
    backend, out_dir: str | Path, det_name: str = "detector", pose_name: str = "pose", opset: int = OPSET
) -> tuple[Path, Path]:
    """Write ``<det_name>.onnx`` and ``<pose_name>.onnx`` of a loaded :class:`MMPoseBackend` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    p = backend.det_params
    levels = len(p.strides)
    det_meta = dict(kind="detector", source=backend.detector_path, config=str(backend.det_config), **p.to_dict())
    det_example = torch.zeros(1, 3, p.input_size[1], p.input_size[0])
    det = _export(
        _DetectorNet(backend.detector.cpu()),
        det_example,
        out_dir / f"{det_name}.onnx",
        "images",
        [f"cls_{i}" for i in range(levels)] + [f"dist_{i}" for i in range(levels)],
        det_meta,
        opset,
    )
    c = backend.codec_params
    pose_meta = dict(
        kind="pose",
        source=backend.pose_path,
        config=str(backend.pose_config),
        input_size=list(backend.input_size),
        codec_input_size=list(c.input_size),
        split_ratio=c.split_ratio,
        z_range=c.z_range,
        sigma=list(c.sigma),
        root_index=list(c.root_index),
    )
    pose_example = torch.zeros(1, 3, backend.input_size[1], backend.input_size[0])
    pose = _export(
        _PoseNet(backend.pose_model.cpu()),
        pose_example,
        out_dir / f"{pose_name}.onnx",
        "crops",
        ["simcc_x", "simcc_y", "simcc_z"],
        pose_meta,
        opset,
    )
    backend.detector.to(backend.device)
    backend.pose_model.to(backend.device)
    return det, pose


def export_models(
    detector: str | Path,
    pose: str | Path,
    out_dir: str | Path,
    det_config=None,
    pose_config=None,
    det_name: str | None = None,
    pose_name: str | None = None,
    opset: int = OPSET,
    **backend_options,
) -> tuple[Path, Path]:
    """Load the mmpose backend from checkpoints (or ``random-init``) and export both networks.

    Files are named after the models (:func:`rhythm.landmarks.models.model_name`, e.g.
    ``rtmw3d-l.onnx``), where the workflow's ``onnx`` backend looks for them, unless names are given.
    """
    from rhythm.landmarks.mmpose_backend import MMPoseBackend
    from rhythm.landmarks.models import model_name

    backend = MMPoseBackend(
        detector, pose, device="cpu", det_config=det_config, pose_config=pose_config, **backend_options
    )
    det_name = det_name or model_name(detector, det_config or backend.det_config)
    pose_name = pose_name or model_name(pose, pose_config or backend.pose_config)
    if det_name == pose_name:
        raise ValueError(f"the detector and the pose model would both be written to {det_name}.onnx")
    return export_backend(backend, out_dir, det_name, pose_name, opset)
