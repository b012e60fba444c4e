"""The landmark models: RTMW3D's parts in MMPose's registry, both backends, ONNX export and agreement.

No weights can be downloaded here, so everything runs on seeded random weights. Random RTMDet/RTMW3D
weights make activations vanish through the deep backbones (every box scores the same), which would
let the comparisons pass without comparing anything; :func:`liven` rescales the random networks (BN
statistics from real images, spread-out detector outputs) so that boxes, scores and keypoints vary
with the image. Calibrated to zero-mean activations, a random CSPNeXt is chaotic: float32 rounding
grows ~1000-fold through it (torch and onnxruntime logits then differ by 1e-3 of their range, and
argmaxes flip on near-ties); shifting every BatchNorm's output by +2.5 keeps the SiLUs nearly
linear and the growth ~10-fold, closer to how a trained network behaves. The agreement tests use
RTMW3D-L's architecture at a quarter of its width (the full L/X are checked for their checkpoint
layout and output shapes) and the RTMDet-nano detector.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

try:
    import mmcv.ops  # noqa: F401
    import mmdet  # noqa: F401
    import mmpose  # noqa: F401
    import torch
except ImportError as exc:  # never skip: CI installs the stack (make setup-openmmlab)
    raise ImportError(
        f"the OpenMMLab stack is missing ({exc}): run `make setup-openmmlab` (bash envs/install-openmmlab.sh .venv)"
    ) from exc

from torch.nn.modules.batchnorm import _BatchNorm

from rhythm.core.errors import RhythmInputError
from rhythm.landmarks import codec, geometry, rtmdet, rtmw3d
from rhythm.landmarks.backend import RANDOM_INIT, load_backend, normalize_crops
from rhythm.landmarks.mmpose_backend import MMPoseBackend, build_model
from rhythm.landmarks.models import RESOURCES

from conftest import ROOT, SHARED, run

pytestmark = pytest.mark.openmmlab

DATA = Path(__file__).parents[1] / "data"
COCO = SHARED / "coco"
NARROW_POSE = """
_base_ = [{base!r}]
model = dict(backbone=dict(widen_factor=0.25), neck=dict(in_channels=[64, 128, 256]), head=dict(in_channels=256))
"""


def read_shapes(path: Path) -> dict[str, list[int]]:
    shapes = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split("\t")[:2]
            shapes[key] = json.loads(shape)
    return shapes


def coco_people(min_area: float = 20000) -> list[tuple[np.ndarray, np.ndarray]]:
    """(BGR image, (M, 4) xyxy boxes) of the shared COCO images with person-sized annotations."""
    ann = json.loads((COCO / "test_coco.json").read_text())
    out = []
    for image in ann["images"]:
        boxes = [a["bbox"] for a in ann["annotations"] if a["image_id"] == image["id"] and a["area"] >= min_area]
        if boxes:
            xywh = np.array(boxes, dtype=np.float64)
            out.append(
                (
                    cv2.imread(str(COCO / image["file_name"])),
                    np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1),
                )
            )
    assert out
    return out


def video_frames(n: int = 2) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(SHARED / "video" / "demo.mp4"))
    frames = []
    while len(frames) < n:
        ok, frame = cap.read()
        assert ok, "demo.mp4 has too few frames"
        frames.append(frame)
    return frames


def calibrate_bn(model: torch.nn.Module, forward) -> None:
    """BatchNorm statistics from one forward pass in training mode (cumulative), then eval mode."""
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        forward()
    model.eval()


def shift_bn(model: torch.nn.Module, bias: float = 2.5) -> None:
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.bias.data.fill_(bias)


def liven(
    backend: MMPoseBackend, frames: list[np.ndarray], crops: np.ndarray, seed: int = 0, box_size: float = 4.0
) -> None:
    """Make seeded random weights behave like a network: varied scores, person-sized boxes, varied keypoints.

    ``box_size``: box sides come out around ``2 * box_size`` strides of the detector's feature levels."""
    g = torch.Generator().manual_seed(seed)
    shift_bn(backend.detector)
    shift_bn(backend.pose_model)
    head = backend.detector.bbox_head
    for cls, reg in zip(head.rtm_cls, head.rtm_reg):
        fan_in = cls.weight[0].numel()
        cls.weight.data = torch.randn(cls.weight.shape, generator=g) / fan_in**0.5
        cls.bias.data.fill_(-1.5)
        reg.weight.data = torch.randn(reg.weight.shape, generator=g) * 0.3 / fan_in**0.5
        reg.bias.data.fill_(np.log(box_size) + 0.1 if head.exp_on_reg else box_size)
    batch, _ = rtmdet.preprocess(frames, backend.det_params)
    calibrate_bn(backend.detector, lambda: head(backend.detector.extract_feat(torch.from_numpy(batch))))
    pose = backend.pose_model
    for layer in (pose.head.cls_x, pose.head.cls_y, pose.head.cls_z):
        layer.weight.data = torch.randn(layer.weight.shape, generator=g) / layer.weight.shape[1] ** 0.5
    calibrate_bn(pose, lambda: pose.head(pose.extract_feat(torch.from_numpy(normalize_crops(crops)))))


def save_openmmlab_checkpoint(model: torch.nn.Module, path: Path) -> Path:
    """As OpenMMLab's publish_model writes them: legacy format, non-tensor metadata."""
    meta = dict(mmpose_version="1.3.2", dataset_meta=dict(dataset_name="coco_wholebody", sigmas=np.ones(133)))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path, _use_new_zipfile_serialization=False)
    return path


# ----------------------------------------------------------------------------- RTMW3D in MMPose's registry


@pytest.mark.parametrize(
    "config, shapes",
    [
        ("rtmw3d-l.py", "rtmw3d-l"),
        ("rtmw3d-x.py", "rtmw3d-x"),
        ("rtmdet-m.py", "rtmdet-m_coco"),
        ("rtmdet-m_person.py", "rtmdet-m_person"),
        ("rtmdet-nano_person.py", "rtmdet-nano_person"),
    ],
)
def test_configs_build_the_released_checkpoint_layout(config, shapes):
    """Keys and shapes of the built models equal the released checkpoints' (dumped in tests/data)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    cfg = Config.fromfile(str(RESOURCES / config))
    scope = cfg.default_scope
    registry = __import__(f"{scope}.registry", fromlist=["MODELS"]).MODELS
    __import__(f"{scope}.models")
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model)
    built = {k: list(v.shape) for k, v in model.state_dict().items()}
    expected = read_shapes(DATA / f"{shapes}_state_dict_shapes.txt")
    assert built == expected
    if config.startswith("rtmw3d"):
        assert type(model.head).__module__ == "rhythm.landmarks.rtmw3d"
        assert type(model.head.decoder).__name__ == "SimCC3DLabel"


def test_codec_matches_mmpose_2d_maximum_and_builds_from_registry():
    from mmpose.codecs.utils import get_simcc_maximum
    from mmpose.registry import KEYPOINT_CODECS

    import rhythm.landmarks.rtmw3d  # noqa: F401

    rng = np.random.default_rng(1)
    x, y, z = (rng.normal(size=(3, 133, n)).astype(np.float32) for n in (576, 768, 576))
    x[0, :10] -= 10  # some invisible keypoints
    bins, scores = codec.simcc_maximum(x, y, z)
    locs, vals = get_simcc_maximum(x, y)
    assert np.array_equal(bins[..., :2], locs) and np.array_equal(scores, vals)
    built = KEYPOINT_CODECS.build(
        dict(
            type="SimCC3DLabel",
            input_size=(288, 384, 288),
            sigma=(6.0, 6.93, 6.0),
            simcc_split_ratio=2.0,
            normalize=False,
            use_dark=False,
            root_index=(11, 12),
        )
    )
    for a, b in zip(built.decode(x, y, z), codec.decode(x, y, z)):
        assert np.array_equal(a, b)
    placeholder = built.encode(np.zeros([]))  # what MMPose's inference pipeline asks for
    assert placeholder["root_z"] == [codec.ROOT_Z]


def test_released_inference_path_through_mmpose(tmp_path):
    """MMPose's own test pipeline + test_step with Rhythm's TopdownPoseEstimator3D: its image keypoints
    are our geometry's, and its crop is ours up to the float32 matrix MMPose solves."""
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope

    narrow = tmp_path / "narrow.py"
    narrow.write_text(NARROW_POSE.format(base=str(RESOURCES / "rtmw3d-l.py")))
    model, cfg = build_model(narrow, RANDOM_INIT, "mmpose")
    image, boxes = coco_people()[0]
    with DefaultScope.overwrite_default_scope("mmpose"):
        pipeline = Compose(cfg.test_pipeline)
        data = [
            pipeline(dict(img=image, bbox=b[None].astype(np.float32), bbox_score=np.ones(1, np.float32))) for b in boxes
        ]
        for mode in ("2d", "3d"):
            model.test_cfg["mode"] = mode
            with torch.no_grad():
                samples = model.test_step(pseudo_collate(data))
            for sample, box in zip(samples, boxes):
                centers, scales = geometry.crop_boxes(box[None])
                pred = sample.pred_instances
                expected = geometry.crop_to_image(pred.keypoints_simcc[..., :2].astype(np.float64), centers, scales)
                assert np.abs(pred.transformed_keypoints - expected).max() < 1e-3
                if mode == "3d":  # camera space at depth root_z + z_rel, upstream's default camera
                    simcc = pred.keypoints_simcc
                    depth = codec.ROOT_Z + (simcc[..., 2] / 144 - 1) * codec.Z_RANGE
                    assert np.allclose(pred.keypoints[..., 2], depth, atol=1e-5)
                    c = np.array(image.shape[:2]) / 2  # ori_shape / 2, (h/2, w/2) as upstream
                    xy = (pred.transformed_keypoints - c) / rtmw3d.DEFAULT_FOCAL * depth[..., None]
                    assert np.allclose(pred.keypoints[..., :2], xy, atol=1e-5)
                else:
                    assert np.array_equal(pred.keypoints, pred.transformed_keypoints)
    ours = geometry.warp_crops(image, *geometry.crop_boxes(boxes))
    theirs = np.stack([d["inputs"].numpy().transpose(1, 2, 0) for d in data])
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 0.05


def test_letterbox_matches_mmdetection_pipeline():
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope

    model, cfg = build_model(RESOURCES / "rtmdet-m_person.py", RANDOM_INIT, "mmdet")
    from rhythm.landmarks.mmpose_backend import detector_params

    p = detector_params(cfg)
    for image, _ in coco_people():
        pipeline_cfg = [dict(type="LoadImageFromNDArray")] + list(cfg.test_pipeline[1:])
        with DefaultScope.overwrite_default_scope("mmdet"):
            sample = Compose(pipeline_cfg)(dict(img=image, img_id=0))
            theirs = model.data_preprocessor(pseudo_collate([sample]), False)
        ours, factors = rtmdet.preprocess([image], p)
        assert np.array_equal(ours, theirs["inputs"].numpy())
        meta = theirs["data_samples"][0].metainfo
        assert np.allclose(factors[0], meta["scale_factor"]) and tuple(meta["img_shape"]) == p.input_size[::-1]


@pytest.mark.parametrize("config", ["rtmdet-nano_person.py", "rtmdet-m.py"])
def test_numpy_decode_matches_mmdetection_post_processing(config):
    """Same raw outputs through mmdet's predict_by_feat (mmcv batched_nms) and rtmdet.decode."""
    from rhythm.landmarks.mmpose_backend import detector_params

    model, cfg = build_model(RESOURCES / config, RANDOM_INIT, "mmdet")
    p = detector_params(cfg)
    rng = np.random.default_rng(2)
    for scale_factor in [(0.5, 0.5), (640 / 960, 360 / 540)]:
        size = p.input_size[0]
        cls = [rng.normal(-3, 1.5, (1, p.num_classes, size // s, size // s)).astype(np.float32) for s in p.strides]
        dist = [np.abs(rng.normal(3, 2, (1, 4, size // s, size // s))).astype(np.float32) * s for s in p.strides]
        meta = dict(img_shape=(size, size), scale_factor=scale_factor, ori_shape=(540, 960))
        with torch.no_grad():
            res = model.bbox_head.predict_by_feat(
                [torch.from_numpy(c) for c in cls],
                [torch.from_numpy(d) for d in dist],
                batch_img_metas=[meta],
                rescale=True,
            )[0]
        boxes, scores, labels = rtmdet.decode([c[0] for c in cls], [d[0] for d in dist], scale_factor, p)
        assert len(boxes) == len(res.bboxes) > 10
        assert np.array_equal(labels, res.labels.numpy())
        assert np.abs(scores - res.scores.numpy()).max() < 1e-6
        assert np.abs(boxes - res.bboxes.numpy()).max() < 1e-3


def test_numpy_nms_matches_mmcv_batched_nms():
    from mmcv.ops import batched_nms

    rng = np.random.default_rng(3)
    for n, classes, max_keep in [(3000, 1, None), (20000, 80, 300)]:  # 20000 > mmcv's split threshold
        xy = rng.uniform(0, 600, (n, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(5, 200, (n, 2))], 1).astype(np.float32)
        scores, labels = rng.random(n).astype(np.float32), rng.integers(0, classes, n)
        _, keep = batched_nms(
            torch.from_numpy(boxes),
            torch.from_numpy(scores),
            torch.from_numpy(labels),
            dict(type="nms", iou_threshold=0.65),
        )
        ours = rtmdet.batched_nms(boxes, scores, labels, 0.65, max_keep)
        assert np.array_equal(ours, keep.numpy()[:max_keep])


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_loading_and_missing_weights(tmp_path):
    narrow = tmp_path / "narrow.py"
    narrow.write_text(NARROW_POSE.format(base=str(RESOURCES / "rtmw3d-l.py")))
    model, _ = build_model(narrow, RANDOM_INIT, "mmpose", seed=3)
    ckpt = save_openmmlab_checkpoint(model, tmp_path / "narrow_pose.pth")
    loaded, _ = build_model(narrow, ckpt, "mmpose", seed=4)
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    with pytest.raises(RhythmInputError, match="does not fit"):
        build_model(RESOURCES / "rtmw3d-l.py", ckpt, "mmpose")
    missing = tmp_path / "rtmw3d-l_8xb64_cocktail14-384x288-794dbc78_20240626.pth"
    with pytest.raises(RhythmInputError, match="rhythm models fetch --only rtmw3d-l") as err:
        load_backend("mmpose", RANDOM_INIT, missing)
    assert str(missing) in str(err.value) and "download.openmmlab.com" in str(err.value)


@pytest.mark.slow
@pytest.mark.parametrize("config, channels", [("rtmw3d-l.py", 1024), ("rtmw3d-x.py", 1280)])
def test_full_models_output_shapes(config, channels):
    model, _ = build_model(RESOURCES / config, RANDOM_INIT, "mmpose")
    with torch.no_grad():
        feats = model.extract_feat(torch.zeros(1, 3, 384, 288))
        x, y, z = model.head(feats)
    assert [tuple(f.shape) for f in feats] == [(1, channels // 2, 24, 18), (1, channels, 12, 9)]
    assert (tuple(x.shape), tuple(y.shape), tuple(z.shape)) == ((1, 133, 576), (1, 133, 768), (1, 133, 576))


# ----------------------------------------------------------------------------- mmpose vs onnx


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Livened random weights saved as OpenMMLab checkpoints, exported by the CLI: (dir, mmpose backend)."""
    out = tmp_path_factory.mktemp("landmark_models")
    narrow = out / "rtmw3d-narrow.py"
    narrow.write_text(NARROW_POSE.format(base=str(RESOURCES / "rtmw3d-l.py")))
    backend = MMPoseBackend(
        RANDOM_INIT,
        RANDOM_INIT,
        det_config="rtmdet-nano-person",
        pose_config=narrow,
        device="cpu",
        batch_size=4,
        det_score_thr=0.3,
    )
    people = coco_people()
    frames = [img for img, _ in people] + video_frames(1)
    crops = np.concatenate([geometry.warp_crops(img, *geometry.crop_boxes(b)) for img, b in people])
    liven(backend, frames, crops)
    det_ckpt = save_openmmlab_checkpoint(backend.detector, out / "detector.pth")
    pose_ckpt = save_openmmlab_checkpoint(backend.pose_model, out / "pose.pth")
    run(
        [
            sys.executable,
            "-m",
            "rhythm.cli",
            "models",
            "export",
            "--detector",
            str(det_ckpt),
            "--pose",
            str(pose_ckpt),
            "--det-config",
            "rtmdet-nano-person",
            "--pose-config",
            str(narrow),
            "--out",
            str(out / "onnx"),
        ]
    )
    mm = load_backend(
        "mmpose",
        det_ckpt,
        pose_ckpt,
        det_config="rtmdet-nano-person",
        pose_config=narrow,
        device="cpu",
        batch_size=4,
        det_score_thr=0.3,
    )
    return out / "onnx", mm


def argmax_ties(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Where two backends' logits ``(..., bins)`` pick different bins: True if each backend's pick is
    within ``tol`` of the other's maximum (a tie to float precision), False if it is a real disagreement.
    Returns the mask of differing argmaxes that are ties; raises on a real disagreement."""
    ia, ib = a.argmax(-1), b.argmax(-1)
    differ = ia != ib
    a_at_b = np.take_along_axis(a, ib[..., None], -1)[..., 0]
    b_at_a = np.take_along_axis(b, ia[..., None], -1)[..., 0]
    tie = (a.max(-1) - a_at_b <= tol) & (b.max(-1) - b_at_a <= tol)
    assert not (differ & ~tie).any(), f"{int((differ & ~tie).sum())} argmaxes differ beyond {tol:g}"
    return differ


@pytest.mark.slow
def test_mmpose_and_onnx_backends_agree(exported):
    """Same weights, same frames: same boxes and scores, same logits to float precision, same keypoints.

    Keypoints are argmax bins of the logits, so a bin pair tied to float precision (torch and
    onnxruntime round differently, ~1e-6) may decode to different bins in the two backends; random
    weights make such ties rare but possible (trained ones are peaked). Those keypoints are checked
    to be ties and counted; all others must agree within 1e-3 of the image size (they are equal:
    both backends share the crop and decoding code).
    """
    onnx_dir, mm = exported
    ox = load_backend(
        "onnx", onnx_dir / "detector.onnx", onnx_dir / "pose.onnx", device="cpu", batch_size=3, det_score_thr=0.3
    )
    assert (mm.name, mm.device, ox.name, ox.device) == ("mmpose", "cpu", "onnx", "CPUExecutionProvider")
    people = coco_people()
    frames = [img for img, _ in people] + video_frames(2)
    worst_box = 0.0
    # detection: the same boxes (order may differ where scores tie to float precision), scores within 5e-3
    det_mm, det_ox = mm.detect(frames), ox.detect(frames)
    assert sum(len(b) for b, _ in det_mm) > 5  # livened weights find "persons"
    for frame, (b1, s1), (b2, s2) in zip(frames, det_mm, det_ox):
        assert len(b1) == len(b2) and np.all(np.diff(s1) <= 0) and np.all(np.diff(s2) <= 0) and np.all(s1 >= 0.3)
        for box, score in zip(b1, s1):
            nearest = np.abs(b2 - box).max(axis=1).argmin()
            worst_box = max(worst_box, np.abs(b2[nearest] - box).max() / max(frame.shape[:2]))
            assert abs(s2[nearest] - score) < 5e-3
    assert worst_box < 1e-3
    # pose: the annotated person boxes (COCO) plus the detector's boxes on the video frames, batched across frames
    boxes = [b for _, b in people] + [b[:2] for b, _ in det_mm[len(people) :]]
    crops = np.concatenate([geometry.warp_crops(f, *geometry.crop_boxes(b)) for f, b in zip(frames, boxes) if len(b)])
    logits_mm, logits_ox = mm.pose_logits(crops), ox.pose_logits(crops)
    scale = max(np.abs(a).max() for a in logits_mm)
    logit_diff = max(np.abs(a - b).max() for a, b in zip(logits_mm, logits_ox)) / scale
    assert logit_diff < 1e-4
    tol = 4 * logit_diff * scale
    tied = np.stack([argmax_ties(a, b, tol) for a, b in zip(logits_mm, logits_ox)], -1)  # (N, K, 3)
    assert tied.mean() < 1e-3
    est_mm, est_ox = mm.estimate(frames, boxes), ox.estimate(frames, boxes)
    persons = [(f, a, b) for f, p1, p2 in zip(frames, est_mm, est_ox) for a, b in zip(p1, p2)]
    assert [len(p) for p in est_mm] == [len(p) for p in est_ox] == [len(b) for b in boxes]
    worst = 0.0
    for (frame, a, b), tie in zip(persons, tied):
        assert a.keypoints.shape == (133, 3) and a.scores.shape == (133,)
        assert np.array_equal(a.box, b.box)
        assert np.abs(a.scores - b.scores).max() < 1e-4 * scale
        same = ~tie.any(-1)
        worst = max(worst, np.abs(a.keypoints[same, :2] - b.keypoints[same, :2]).max() / max(frame.shape[:2]))
        assert np.abs(a.keypoints[same, 2] - b.keypoints[same, 2]).max() < 1e-3 * codec.Z_RANGE
    print(
        f"mmpose vs onnx: boxes within {worst_box:.2e} and keypoints within {worst:.2e} of the image size, "
        f"logits within {logit_diff:.2e} of their range, {int(tied.any(-1).sum())} of "
        f"{tied.shape[0] * tied.shape[1]} keypoints on float-precision ties"
    )
    assert worst < 1e-3
    # keypoints vary with the image (the comparison compares something)
    all_kp = np.stack([p.keypoints for ps in est_mm for p in ps])
    assert np.unique(all_kp[:, :, :2].round(1).reshape(len(all_kp), -1), axis=0).shape[0] == len(all_kp)
    # detect_and_estimate carries the detector's scores
    joined = ox.detect_and_estimate(frames[-1:])
    assert [p.box_score for p in joined[0]] == pytest.approx(det_ox[-1][1].tolist())


@pytest.mark.slow
def test_onnx_backend_runs_without_torch_or_mmcv(exported):
    """A subprocess in which importing torch, mmcv, mmengine, mmdet or mmpose raises."""
    onnx_dir, mm = exported
    image, boxes = coco_people()[0]
    script = textwrap.dedent(f"""
        import importlib.abc, json, sys
        BLOCKED = {{"torch", "torchvision", "mmcv", "mmengine", "mmdet", "mmpose"}}
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError("blocked for this test: " + name)
        sys.meta_path.insert(0, Block())
        import cv2, numpy as np
        from rhythm.landmarks.backend import load_backend
        be = load_backend("onnx", {str(onnx_dir / "detector.onnx")!r}, {str(onnx_dir / "pose.onnx")!r}, device="cpu")
        image = cv2.imread({str(COCO / "000000196141.jpg")!r})
        boxes, scores = be.detect([image])[0]
        people = be.estimate([image], [np.array({boxes.tolist()!r})])[0]
        assert not BLOCKED & {{m.split(".")[0] for m in sys.modules}}
        print(json.dumps(dict(boxes=boxes.tolist(), keypoints=[p.keypoints.tolist() for p in people])))
    """)
    proc = run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    image = cv2.imread(str(COCO / "000000196141.jpg"))
    expected = mm.estimate([image], [boxes])[0]
    assert len(result["keypoints"]) == len(expected) == len(boxes)
    for got, want in zip(result["keypoints"], expected):
        assert np.abs(np.array(got)[:, :2] - want.keypoints[:, :2]).max() < 1e-3 * max(image.shape[:2])
    mm_boxes, _ = mm.detect([image])[0]
    assert np.abs(np.array(result["boxes"]).reshape(-1, 4) - mm_boxes).max() < 1e-3 * max(image.shape[:2])
