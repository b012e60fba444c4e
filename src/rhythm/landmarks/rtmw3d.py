"""Rhythm's implementation of the RTMW3D model parts, registered in MMPose's registries.

RTMW3D (RTMPose3D, whole-body 3D) lives in MMPose's ``projects/rtmpose3d`` folder, which the
mmpose wheel does not ship. The released configs name four classes the wheel lacks; this module
provides them under the same registry names, so that a config written like the released ones
builds with ``mmpose.registry.MODELS`` and loads the released checkpoints (same state_dict keys
and shapes: see ``tests/data/rtmw3d-*_state_dict_shapes.txt``):

* ``RTMW3DHead`` (MODELS): SimCC head with a second, stride-16 branch (pixel shuffle of the
  stride-32 map joined to the neck's stride-16 map) and a third classifier for depth;
* ``SimCC3DLabel`` (KEYPOINT_CODECS): wraps :mod:`rhythm.landmarks.codec`;
* ``TopdownPoseEstimator3D`` (MODELS): MMPose's top-down estimator whose predictions carry depth;
* ``KLDiscretLossWithWeight`` (MODELS): KL loss over x, y, z with a separate weight for z
  (only training uses it; configs name it, so building needs it).

The rest (CSPNeXt, CSPNeXtPAFPN, RTMCCBlock, ScaleNorm, BoneLoss, PoseDataPreprocessor) comes from
the mmpose 1.3.2 wheel. Importing this module needs the OpenMMLab stack
(``envs/install-openmmlab.sh``); the ``onnx`` backend never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from mmcv.cnn import ConvModule
from mmengine.structures import InstanceData
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.losses import KLDiscretLoss
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.models.utils.rtmcc_block import RTMCCBlock, ScaleNorm
from mmpose.registry import KEYPOINT_CODECS, MODELS
from torch import Tensor, nn

from rhythm.landmarks import codec as simcc

# upstream's camera for turning image keypoints into camera space ('3d' mode): Human3.6M camera 1
DEFAULT_FOCAL = (1145.04940459, 1143.78109572)


def _register(registry, cls):
    """Register ``cls`` under its own name unless something (upstream's project) already did."""
    if cls.__name__ not in registry.module_dict:
        registry.register_module(module=cls)
    return cls


class SimCC3DLabel(BaseKeypointCodec):
    """SimCC-3D codec: keypoints (x, y crop px; z root-relative metres) <-> per-axis bin labels.

    Arguments as in the released configs; ``normalize`` and ``use_dark`` are accepted for
    compatibility, but only ``normalize=False, use_dark=False`` (what RTMW3D-L/-X use) is implemented.
    """

    auxiliary_encode_keys = {"keypoints_3d"}
    label_mapping_table = dict(
        keypoint_x_labels="keypoint_x_labels",
        keypoint_y_labels="keypoint_y_labels",
        keypoint_z_labels="keypoint_z_labels",
        keypoint_weights="keypoint_weights",
        weight_z="weight_z",
        with_z_label="with_z_label",
    )
    instance_mapping_table = dict(
        bbox="bboxes",
        bbox_score="bbox_scores",
        bbox_scale="bbox_scales",
        lifting_target="lifting_target",
        lifting_target_visible="lifting_target_visible",
        camera_param="camera_params",
        root_z="root_z",
    )

    def __init__(
        self,
        input_size: Sequence[int],
        sigma=6.0,
        simcc_split_ratio: float = 2.0,
        normalize: bool = True,
        use_dark: bool = False,
        root_index=0,
        z_range: float | None = None,
    ):
        super().__init__()
        if use_dark:
            raise NotImplementedError("SimCC3DLabel: DARK refinement is not implemented (RTMW3D does not use it)")
        # float(sigma): numpy's stubs narrow a scalar to generic | complex | str | bytes | memoryview
        sigma = (float(sigma),) * 3 if np.isscalar(sigma) else tuple(float(s) for s in sigma)  # type: ignore[arg-type]
        root = tuple(root_index) if isinstance(root_index, (tuple, list)) else (int(root_index),)
        self.params = simcc.SimCC3DParams(
            input_size=cast("tuple[int, int, int]", tuple(input_size)),  # (width, height, depth)
            split_ratio=float(simcc_split_ratio),
            z_range=simcc.Z_RANGE if z_range is None else float(z_range),
            sigma=sigma,
            root_index=root,
        )
        self.input_size = tuple(input_size)
        self.simcc_split_ratio = float(simcc_split_ratio)
        self.sigma = np.array(sigma)
        self.normalize = normalize
        self.use_dark = use_dark
        self.root_index = list(root)
        self.z_range = self.params.z_range
        self.root_z = [simcc.ROOT_Z]

    def encode(
        self, keypoints: np.ndarray, keypoints_3d: np.ndarray | None = None, keypoints_visible: np.ndarray | None = None
    ) -> dict:
        """Labels for training; at inference MMPose's pipeline passes no keypoints (a placeholder)."""
        if keypoints.shape == np.zeros([]).shape:  # TopdownAffine's "no keypoints" placeholder
            return dict(
                keypoint_x_labels=np.zeros(1, np.float32),
                keypoint_y_labels=np.zeros(1, np.float32),
                keypoint_z_labels=np.zeros(1, np.float32),
                keypoint_weights=np.ones(1),
                weight_z=np.zeros(1),
                lifting_target=[None],
                root_z=self.root_z,
                with_z_label=[False],
            )
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        lifting_target: np.ndarray | list[None]
        if keypoints_3d is not None:
            root_z = keypoints_3d[..., self.root_index, 2].mean(1)
            z_rel = keypoints_3d[..., 2] - root_z[:, None]
            target = np.concatenate([keypoints[..., :2], z_rel[..., None]], axis=-1)
            lifting_target, with_z = keypoints_3d.copy(), True
        else:
            target = np.concatenate([keypoints[..., :2], np.zeros(keypoints.shape[:2] + (1,))], axis=-1)
            root_z, lifting_target, with_z = self.root_z, [None], False
        x, y, z, weights = simcc.encode(target, keypoints_visible, self.params)
        if self.normalize:
            norm = self.sigma * np.sqrt(2 * np.pi)
            x, y, z = x / norm[0], y / norm[1], z / norm[2]
        return dict(
            keypoint_x_labels=x,
            keypoint_y_labels=y,
            keypoint_z_labels=z,
            keypoint_weights=weights,
            weight_z=weights if with_z else np.zeros_like(weights),
            lifting_target=lifting_target,
            root_z=root_z,
            with_z_label=[with_z],
        )

    def decode(self, x: np.ndarray, y: np.ndarray, z: np.ndarray):
        """-> keypoints (N, K, 3) (crop px, crop px, z_rel m), keypoints_simcc (N, K, 3), scores (N, K)."""
        if x.ndim == 2:
            x, y, z = x[None], y[None], z[None]
        return simcc.decode(x, y, z, self.params)


class RTMW3DHead(BaseHead):
    """SimCC head of RTMW3D: two feature maps (strides 16 and 32) -> x, y and z logits per keypoint.

    ``feats = (enc_b, enc_t)``, the neck's outputs with C/2 and C channels. The stride-32 map gives
    one token per keypoint through ``final_layer`` + ``mlp``; the same map, pixel-shuffled to stride
    16 and convolved (``conv_dec``), joins ``enc_b`` for a second token (``final_layer2`` + ``mlp2``).
    The two halves are concatenated, mixed across keypoints by a gated attention unit (``gau``), and
    classified into bins by ``cls_x``, ``cls_y`` and ``cls_z``. Attribute names are the checkpoint's.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        input_size: Sequence[int],
        in_featuremap_size: Sequence[int],
        simcc_split_ratio: float = 2.0,
        final_layer_kernel_size: int = 1,
        gau_cfg: dict | None = None,
        loss: dict | list | None = None,
        decoder: dict | None = None,
        init_cfg=None,
    ):
        super().__init__(init_cfg if init_cfg is not None else self.default_init_cfg)
        if isinstance(in_channels, (tuple, list)):
            raise ValueError("RTMW3DHead takes one in_channels value (the stride-32 map's)")
        gau: dict[str, Any] = dict(
            hidden_dims=256,
            s=128,
            expansion_factor=2,
            dropout_rate=0.0,
            drop_path=0.0,
            act_fn="ReLU",
            use_rel_bias=False,
            pos_enc=False,
        )
        gau.update(gau_cfg or {})
        self.in_channels, self.out_channels = in_channels, out_channels
        self.input_size, self.in_featuremap_size = tuple(input_size), tuple(in_featuremap_size)
        self.simcc_split_ratio = simcc_split_ratio
        loss = loss if loss is not None else dict(type="KLDiscretLoss", use_target_weight=True)  # MMPose's default
        losses = loss if isinstance(loss, (list, tuple)) else [loss]
        self.loss_module = nn.ModuleList(MODELS.build(cfg) for cfg in losses)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

        k = final_layer_kernel_size

        def conv(cin, cout):
            return ConvModule(
                cin,
                cout,
                kernel_size=k,
                stride=1,
                padding=k // 2,
                norm_cfg=dict(type="BN", requires_grad=True),
                act_cfg=dict(type="ReLU"),
            )

        tokens = self.in_featuremap_size[0] * self.in_featuremap_size[1]  # 9 * 12 cells at stride 32
        half = gau["hidden_dims"] // 2
        self.ps = nn.PixelShuffle(2)
        self.conv_dec = conv(in_channels // 4, in_channels // 4)
        self.final_layer = conv(in_channels, out_channels)
        self.final_layer2 = conv(in_channels // 2 + in_channels // 4, out_channels)
        self.mlp = nn.Sequential(ScaleNorm(tokens), nn.Linear(tokens, half, bias=False))
        self.mlp2 = nn.Sequential(ScaleNorm(tokens * 4), nn.Linear(tokens * 4, half, bias=False))
        self.gau = RTMCCBlock(
            out_channels,
            gau["hidden_dims"],
            gau["hidden_dims"],
            s=gau["s"],
            expansion_factor=gau["expansion_factor"],
            dropout_rate=gau["dropout_rate"],
            drop_path=gau["drop_path"],
            attn_type="self-attn",
            act_fn=gau["act_fn"],
            use_rel_bias=gau["use_rel_bias"],
            pos_enc=gau["pos_enc"],
        )
        bins = [int(s * simcc_split_ratio) for s in self.input_size]
        self.cls_x = nn.Linear(gau["hidden_dims"], bins[0], bias=False)
        self.cls_y = nn.Linear(gau["hidden_dims"], bins[1], bias=False)
        self.cls_z = nn.Linear(gau["hidden_dims"], bins[2], bias=False)

    @property
    def default_init_cfg(self):
        return [
            dict(type="Normal", layer=["Conv2d"], std=0.001),
            dict(type="Constant", layer="BatchNorm2d", val=1),
            dict(type="Normal", layer=["Linear"], std=0.01, bias=0),
        ]

    def forward(self, feats: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        enc_b, enc_t = feats
        top = self.mlp(torch.flatten(self.final_layer(enc_t), 2))
        joined = torch.cat([self.conv_dec(self.ps(enc_t)), enc_b], dim=1)
        bottom = self.mlp2(torch.flatten(self.final_layer2(joined), 2))
        tokens = self.gau(torch.cat([top, bottom], dim=2))
        return self.cls_x(tokens), self.cls_y(tokens), self.cls_z(tokens)

    def decode(self, outputs: tuple[Tensor, Tensor, Tensor]) -> list[InstanceData]:
        if self.decoder is None:
            raise RuntimeError("RTMW3DHead: no decoder configured")
        x, y, z = (o.detach().cpu().float().numpy() for o in outputs)
        keypoints, keypoints_simcc, scores = self.decoder.decode(x, y, z)
        return [
            InstanceData(
                keypoints=keypoints[i : i + 1],
                keypoints_simcc=keypoints_simcc[i : i + 1],
                keypoint_scores=scores[i : i + 1],
            )
            for i in range(len(keypoints))
        ]

    def predict(self, feats, batch_data_samples, test_cfg: dict | None = None) -> list[InstanceData]:
        if (test_cfg or {}).get("output_heatmaps", False):
            raise NotImplementedError("RTMW3DHead has no heatmaps to output")
        return self.decode(self.forward(feats))

    def loss(self, feats, batch_data_samples, train_cfg: dict | None = None) -> dict:
        """KL loss over the three axes (z weighted by ``weight_z``); coordinate losses on argmax bins."""
        pred = self.forward(feats)
        labels = [d.gt_instance_labels for d in batch_data_samples]
        gt = tuple(torch.cat([lab[f"keypoint_{a}_labels"] for lab in labels]) for a in "xyz")
        weights = torch.cat([lab.keypoint_weights for lab in labels])
        weight_z = torch.cat([lab.weight_z for lab in labels])
        with_z = [bool(lab.with_z_label[0]) for lab in labels]
        losses: dict[str, Tensor] = {}
        for loss_fn in self.loss_module:
            # torch's stubs type a Module's attributes as Tensor | Module; loss_name is the loss's str name
            name: str = loss_fn.loss_name  # type: ignore[assignment]
            if name in ("loss_bone", "loss_mpjpe"):
                losses[name] = loss_fn(_argmax_coords(pred, with_z), _argmax_coords(gt, with_z), weights)
            else:
                losses[name] = loss_fn(pred, gt, torch.stack([weights, weights, weight_z]))
        return losses


def _argmax_coords(simcc_xyz: Sequence[Tensor], with_z: list[bool]) -> Tensor:
    """(N, K, 3) bin indices of the maxima; z is 0 for samples without depth labels."""
    x, y, z = simcc_xyz
    zbin = z.argmax(-1) * torch.tensor(with_z, device=z.device, dtype=z.dtype)[:, None].to(torch.long)
    return torch.stack([x.argmax(-1), y.argmax(-1), zbin], dim=-1).to(x)


class KLDiscretLossWithWeight(KLDiscretLoss):
    """KLDiscretLoss summed over x, y and z with one weight tensor per axis: ``target_weight`` is
    ``(3, N, K)`` (keypoint weights for x and y, ``weight_z`` for z, which is 0 for 2-D-only data)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._loss_name = "loss_kld"

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, pred_simcc, gt_simcc, target_weight):
        n, k, _ = pred_simcc[0].shape
        total = 0
        for pred, target, weight in zip(pred_simcc, gt_simcc, target_weight):
            per_kp = self.criterion(pred.reshape(n * k, -1), target.reshape(n * k, -1)) * weight.reshape(-1)
            if self.mask is not None:
                per_kp = per_kp.reshape(n, k)
                per_kp[:, self.mask] = per_kp[:, self.mask] * self.mask_weight
            total = total + per_kp.sum()
        return total / k


class TopdownPoseEstimator3D(TopdownPoseEstimator):
    """Top-down estimator whose predictions carry depth; ``test_cfg['mode']`` picks what
    ``pred_instances.keypoints`` holds (as upstream):

    * ``'3d'`` (default): camera-space metres, back-projected from image pixels at depth
      ``root_z + z_rel`` with upstream's default camera (focal of Human3.6M camera 1, principal
      point ``ori_shape / 2``, which is ``(h/2, w/2)``: upstream swaps the axes; kept for parity);
    * ``'2d'``: image pixels; ``'vis'``: SimCC crop space (x, y crop px, z in crop-px units).

    ``transformed_keypoints`` is always the image pixels; ``keypoint_scores`` the codec's scores.
    Rhythm's backends do not go through this class's post-processing: they decode the head's
    logits themselves (:mod:`rhythm.landmarks.backend`) and keep depth root-relative.
    """

    def add_pred_to_datasample(self, batch_pred_instances, batch_pred_fields, batch_data_samples):
        mode = self.test_cfg.get("mode", "3d")
        if mode not in ("2d", "3d", "vis"):
            raise ValueError(f"TopdownPoseEstimator3D: unknown test_cfg mode {mode!r}")
        indices = self.test_cfg.get("output_keypoint_indices", None)
        fields = batch_pred_fields or [None] * len(batch_data_samples)
        for pred, pred_fields, sample in zip(batch_pred_instances, fields, batch_data_samples):
            gt = sample.gt_instances
            size, center, scale = (
                np.asarray(sample.metainfo[k]) for k in ("input_size", "input_center", "input_scale")
            )
            kp2d = pred.keypoints[..., :2] / size * scale + center - 0.5 * scale
            camera = gt.get("camera_params", None)
            if camera is not None:
                f, c = np.asarray(camera[0]["f"]), np.asarray(camera[0]["c"])
            else:
                f, c = np.asarray(DEFAULT_FOCAL), np.asarray(sample.ori_shape) / 2
            depth = pred.keypoints[..., 2:3] + np.asarray(gt.root_z).reshape(-1, 1, 1)
            cam = np.concatenate([(kp2d - c) / f * depth, depth], axis=-1)
            pred.keypoints = {"3d": cam, "2d": kp2d, "vis": pred.keypoints_simcc}[mode]
            pred.transformed_keypoints = kp2d
            if "keypoints_visible" not in pred:
                pred.keypoints_visible = pred.keypoint_scores
            if indices is not None:
                for key, value in pred.all_items():
                    if key.startswith("keypoint"):
                        pred.set_field(value[:, indices], key)
            pred.bboxes = gt.bboxes
            pred.bbox_scores = gt.bbox_scores
            sample.pred_instances = pred
            if pred_fields is not None:
                sample.pred_fields = pred_fields
        return batch_data_samples


_cls: type
for _cls in (SimCC3DLabel,):
    _register(KEYPOINT_CODECS, _cls)
for _cls in (RTMW3DHead, KLDiscretLossWithWeight, TopdownPoseEstimator3D):
    _register(MODELS, _cls)
