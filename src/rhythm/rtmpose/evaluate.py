"""A fine-tuned RTMPose on the test set: COCO AP/AR (MMPose's ``CocoMetric``) and PCK@0.05 against
the AIST++ keypoints2d the COCO set was made from; the COCO-pretrained model beside it when its
weights are there.

``metrics.json``::

    {"run", "checkpoint", "test_images", "started_from",
     "fine_tuned": {"AP", "AP .5", "AP .75", "AR", ..., "PCK@0.05", "predictions"},
     "pretrained": {... the same ...} or null, "pretrained_note"}
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, write_json
from rhythm.rtmpose.config import build_config
from rhythm.rtmpose.options import RtmposeOptions
from rhythm.rtmpose.train import _device, pretrained_weights

PCK_THRESHOLD = 0.05


def pck(predictions: list[dict], ground_truth: dict, threshold: float = PCK_THRESHOLD) -> float:
    """Fraction of labelled ground-truth keypoints whose prediction (the best-scoring one of the
    image) lies within ``threshold`` x the longer side of the ground-truth box."""
    best: dict[int, dict] = {}
    for p in predictions:
        if p["image_id"] not in best or p["score"] > best[p["image_id"]]["score"]:
            best[p["image_id"]] = p
    hits = total = 0
    for ann in ground_truth["annotations"]:
        gt = np.asarray(ann["keypoints"], float).reshape(-1, 3)
        labelled = gt[:, 2] > 0
        total += int(labelled.sum())
        pred = best.get(ann["image_id"])
        if pred is None:
            continue
        xy = np.asarray(pred["keypoints"], float).reshape(-1, 3)[:, :2]
        size = max(ann["bbox"][2], ann["bbox"][3])
        dist = np.linalg.norm(xy - gt[:, :2], axis=1)
        hits += int((labelled & (dist <= threshold * size)).sum())
    return hits / total if total else float("nan")


def _test(
    coco_root: Path, checkpoint: Path, options: RtmposeOptions, device: str, work: Path
) -> tuple[dict, list[dict]]:
    """MMPose's test loop on the test set: CocoMetric's numbers and the predictions it wrote."""
    from mmengine.runner import Runner

    from rhythm.rtmpose.openmmlab import register_mmpose

    register_mmpose()
    prefix = work / "predictions"
    cfg = build_config(
        coco_root, work, options, load_from=checkpoint, on_gpu=device.startswith("cuda"), test_predictions=prefix
    )
    cfg.resume = False
    metrics = Runner.from_cfg(cfg).test()
    predictions = json.loads(Path(f"{prefix}.keypoints.json").read_text())
    gt = read_json(cfg.test_evaluator["ann_file"])  # the images the run tests on (max_images)
    out = {key.removeprefix("coco/"): round(float(v), 6) for key, v in metrics.items()}
    out[f"PCK@{PCK_THRESHOLD}"] = round(pck(predictions, gt), 6)
    out["predictions"] = len(predictions)
    out["test_images"] = len(gt["images"])
    return out, predictions


def evaluate_rtmpose(
    coco_root: str | Path,
    checkpoint: str | Path,
    out_json: str | Path,
    options: RtmposeOptions,
    device: str = "auto",
    predictions_out: str | Path | None = None,
    run: str | None = None,
) -> dict:
    """``metrics.json`` of the fine-tuned ``checkpoint`` (and of the pretrained model when present)."""
    coco_root, checkpoint = Path(coco_root), Path(checkpoint)
    if not checkpoint.is_file():
        raise RhythmInputError(checkpoint, "checkpoint not found (rule train_rtmpose)")
    device = _device(device)
    summary_path = checkpoint.parent.parent / "summary.json"
    started = read_json(summary_path).get("started_from") if summary_path.is_file() else None
    with tempfile.TemporaryDirectory(prefix="rtmpose-eval-") as tmp:
        fine, predictions = _test(coco_root, checkpoint, options, device, Path(tmp) / "fine")
        weights = pretrained_weights(options)
        pre = _test(coco_root, weights, options, device, Path(tmp) / "pre")[0] if weights else None
        if pre:
            pre.pop("test_images")
    if predictions_out:
        write_json(predictions_out, predictions)
    result = {
        "run": run,
        "checkpoint": str(checkpoint),
        "model": f"RTMPose-{options.size} {options.input_size}",
        "started_from": started,
        "test_images": fine.pop("test_images"),
        "fine_tuned": fine,
        "pretrained": pre,
        "pretrained_note": None
        if pre
        else f"the COCO-pretrained {options.model_name} is not in {options.models_dir} "
        f"(`rhythm models fetch --only {options.model_name}`)",
    }
    write_json(out_json, result)
    return result
