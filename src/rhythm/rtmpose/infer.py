"""``rhythm rtmpose-infer``: an RTMPose checkpoint on a folder of frames or a video, written as an
AIST++ keypoints2d pickle of one camera ``(1, T, 17, 3)`` (x, y in the frames' pixels, score).

The output is what ``rhythm import-keypoints`` writes, so it feeds the same places: triangulation
(one pickle per camera, stacked), the COCO sets of new videos, comparisons with the landmarks.
The person box of each frame comes from a COCO file of the same frames (``--boxes``; Rhythm's
COCO sets have one per frame) or is the whole frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, write_pickle


def frames_of(folder: str | Path) -> tuple[list[Path], float]:
    """The frames of a folder in order, and their rate: ``frame_mapping.json``'s when there is one
    (Rhythm's aligned frames), else every ``*.jpg``/``*.png`` by name at 60 fps."""
    folder = Path(folder)
    mapping = folder / "frame_mapping.json"
    if mapping.is_file():
        m = read_json(mapping)
        return [folder / e["file"] for e in m["frames"]], float(m["fps"]) / m.get("stride", 1)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise RhythmInputError(folder, "no frames (*.jpg, *.png) in it")
    return files, 60.0


def boxes_by_file(coco_json: str | Path) -> dict[str, np.ndarray]:
    """File name -> person box (x1, y1, x2, y2) of a COCO keypoints file (the largest box of an image)."""
    coco = read_json(coco_json)
    names = {im["id"]: Path(im["file_name"]).name for im in coco["images"]}
    out: dict[str, np.ndarray] = {}
    for ann in coco["annotations"]:
        x, y, w, h = ann["bbox"]
        name = names[ann["image_id"]]
        if name not in out or w * h > np.prod(out[name][2:] - out[name][:2]):
            out[name] = np.array([x, y, x + w, y + h], np.float32)
    return out


def load_model(config: str | Path, checkpoint: str | Path, device: str):
    """The top-down model of a run's config with the checkpoint's weights, and its test pipeline.

    What ``mmpose.apis.init_model`` does, without ``mmpose.apis`` (it imports torchvision:
    :mod:`rhythm.rtmpose.openmmlab`)."""
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.runner import load_checkpoint
    from mmpose.registry import MODELS

    from rhythm.rtmpose.openmmlab import register_mmpose

    register_mmpose()
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    ckpt = load_checkpoint(model, str(checkpoint), map_location="cpu", logger="silent")
    meta = ckpt.get("meta", {}).get("dataset_meta")
    if not meta:  # the COCO keypoints' names, flip pairs and sigmas (the flip test needs them)
        from mmpose.datasets.datasets.utils import parse_pose_metainfo

        meta = parse_pose_metainfo(dict(from_file="configs/_base_/datasets/coco.py"))
    model.dataset_meta = meta
    model.to(device).eval()
    return model, Compose(cfg.test_dataloader.dataset.pipeline)


def predict(model, pipeline, image: np.ndarray, box: np.ndarray):
    """One person's keypoints in ``box`` (x1, y1, x2, y2) of a BGR image: the model's ``pred_instances``."""
    import torch
    from mmengine.dataset import pseudo_collate

    sample = dict(img=image, bbox=box[None].astype(np.float32), bbox_score=np.ones(1, np.float32))
    data = pipeline({**sample, **model.dataset_meta})  # the flip test reads flip_indices from the sample
    with torch.no_grad():
        (sample,) = model.test_step(pseudo_collate([data]))
    return sample.pred_instances


def infer_rtmpose(
    config: str | Path,
    checkpoint: str | Path,
    out: str | Path,
    frames: str | Path | None = None,
    video: str | Path | None = None,
    boxes: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
) -> dict:
    """Keypoints of one person per frame (see the module docstring); returns a short report."""
    import cv2

    from rhythm.people.detections import empty_keypoints2d
    from rhythm.rtmpose.train import _device

    source = frames if frames is not None else video
    if source is None or (frames is not None and video is not None):
        raise ValueError("give frames or a video, not both")
    model, pipeline = load_model(config, checkpoint, _device(device))
    by_file = boxes_by_file(boxes) if boxes else {}
    if frames is not None:
        files, fps = frames_of(frames)
        images = ((f.name, cv2.imread(str(f))) for f in files)
        count = len(files)
    else:
        from rhythm.core.ffmpeg import probe_video, read_raw_frames

        info = probe_video(source)
        fps, count, size = info.fps, info.num_frames, (info.width, info.height)
        images = (
            (f"{i:06d}", np.frombuffer(buf, np.uint8).reshape(info.height, info.width, 3))
            for i, buf in read_raw_frames(source, list(range(count)), size)
        )
    result = empty_keypoints2d(1, count, fps)
    boxed = 0
    for t, (name, img) in enumerate(tqdm(images, total=count, desc="rtmpose-infer", disable=not progress)):
        if t >= count:
            break
        if img is None:
            raise RhythmInputError(Path(source) / name, "unreadable frame")
        box = by_file.get(name)
        if box is None and frames is not None:  # Rhythm's COCO images are named <video>_<frame>.jpg
            box = by_file.get(f"{Path(frames).name}_{name}")
        boxed += box is not None
        if box is None:
            box = np.array([0, 0, img.shape[1], img.shape[0]], np.float32)
        inst = predict(model, pipeline, img, box)
        result["keypoints2d"][0, t, :, :2] = inst.keypoints[0]
        result["keypoints2d"][0, t, :, 2] = inst.keypoint_scores[0]
        result["det_scores"][0, t] = float(np.mean(inst.keypoint_scores[0]))
    write_pickle(out, result)
    return {"frames": count, "fps": fps, "boxes_from_coco": boxed, "out": str(out)}
