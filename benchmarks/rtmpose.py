"""RTMPose speed: training images/s (MMPose's runner) and inference frames/s (rhythm rtmpose-infer's path).

The data are the real COCO val2017 images of ../shared/data/coco (4 images, 14 people; 8 copies,
so an epoch has enough batches to time), used as train, val and test sets in Rhythm's COCO layout,
so the numbers are for real photographs at RTMPose's 256x192 input. Training runs from scratch
(speed does not depend on the weights); its images/s come from MMEngine's own per-iteration times
(validation excluded), at batch 1 (the baseline) and at the given batch size, in the same process.
Inference is timed per frame, with and without the recipe's flip test (the baseline is the flip
test, as the recipe evaluates). The last line is a ``key=value`` summary.

    python benchmarks/rtmpose.py                          # CPU here: about a minute
    python benchmarks/rtmpose.py --device cuda --batch 64 --size s   # a GPU node
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rhythm.rtmpose.infer import load_model, predict  # noqa: E402
from rhythm.rtmpose.options import RtmposeOptions  # noqa: E402
from rhythm.rtmpose.train import train_rtmpose  # noqa: E402

COCO = ROOT.parent / "shared" / "data" / "coco"


def coco_root(folder: Path, copies: int = 8) -> Path:
    """The shared COCO images, ``copies`` times over (so an epoch has enough batches to time), as
    train, val and test sets in Rhythm's layout."""
    ann = json.loads((COCO / "test_coco.json").read_text())
    images, people = [], []
    for k in range(copies):
        ids = {im["id"]: k * 1_000_000 + im["id"] for im in ann["images"]}
        images += [dict(im, id=ids[im["id"]], file_name=f"{k}_{im['file_name']}") for im in ann["images"]]
        people += [dict(a, id=k * 1_000_000 + a["id"], image_id=ids[a["image_id"]]) for a in ann["annotations"]]
    for split in ("train", "val", "test"):
        (folder / split / "images").mkdir(parents=True)
        (folder / split / "annotations").mkdir()
        for im in images:
            shutil.copy(COCO / im["file_name"].split("_", 1)[1], folder / split / "images" / im["file_name"])
        (folder / split / "annotations" / f"{split}.json").write_text(
            json.dumps(dict(ann, images=images, annotations=people))
        )
    return folder


def train_speed(root: Path, out: Path, size: str, batch: int, epochs: int, device: str) -> float:
    """Training images/s from MMEngine's per-iteration times (warm-up iterations dropped)."""
    options = RtmposeOptions(
        size=size, epochs=epochs, batch_size=batch, gpu_batch_size=batch, val_interval=epochs, workers=0,
        pretrained=False, warmup_iters=1,
    )  # fmt: skip
    train_rtmpose(root, out, options, device=device, log=lambda _: None)
    rows = [r for r in json.loads((out / "scalars.json").read_text()) if "loss" in r]
    times = [r["time"] for r in rows[1:]] or [r["time"] for r in rows]
    return batch / float(np.median(times))


def infer_speed(out: Path, frames: list[np.ndarray], boxes: list[np.ndarray], device: str, flip: bool) -> float:
    from mmengine.config import Config

    cfg = Config.fromfile(str(out / "config.py"))
    cfg.model.test_cfg.flip_test = flip
    cfg.dump(str(out / "bench_config.py"))
    model, pipeline = load_model(out / "bench_config.py", out / "checkpoints" / "last.pth", device)
    predict(model, pipeline, frames[0], boxes[0])  # warm-up
    start = time.perf_counter()
    for img, box in zip(frames, boxes):
        predict(model, pipeline, img, box)
    return len(frames) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="t", choices=("t", "s", "m"))
    parser.add_argument("--batch", type=int, default=8, help="training batch compared with batch 1")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--frames", type=int, default=40, help="inference calls timed")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = coco_root(Path(tmp) / "coco")
        base = train_speed(root, Path(tmp) / "b1", args.size, 1, args.epochs, args.device)
        batched = train_speed(root, Path(tmp) / "bn", args.size, args.batch, args.epochs, args.device)
        print(f"train RTMPose-{args.size} on {args.device}: {base:.1f} images/s at batch 1, {batched:.1f} at "
              f"batch {args.batch} ({batched / base:.2f}x)")  # fmt: skip
        ann = json.loads((COCO / "test_coco.json").read_text())
        files = {im["id"]: im["file_name"] for im in ann["images"]}
        people = [(cv2.imread(str(COCO / files[a["image_id"]])), a["bbox"]) for a in ann["annotations"]]
        frames = [people[i % len(people)][0] for i in range(args.frames)]
        boxes = [np.array([x, y, x + w, y + h], np.float32) for _, (x, y, w, h) in people]
        boxes = [boxes[i % len(boxes)] for i in range(args.frames)]
        flip = infer_speed(Path(tmp) / "bn", frames, boxes, args.device, True)
        plain = infer_speed(Path(tmp) / "bn", frames, boxes, args.device, False)
        print(f"infer RTMPose-{args.size} on {args.device}: {flip:.1f} people/s with the flip test, {plain:.1f} "
              f"without ({plain / flip:.2f}x)")  # fmt: skip
        print(f"size={args.size} device={args.device} train_images_per_s_b1={base:.2f} "
              f"train_images_per_s_b{args.batch}={batched:.2f} train_ratio={batched / base:.2f} "
              f"infer_per_s_flip={flip:.2f} infer_per_s_noflip={plain:.2f} infer_ratio={plain / flip:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
