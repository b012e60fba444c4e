"""Landmark speed: frames per second of each backend (mmpose, onnx) and batch size, random weights.

Speed does not depend on the weights, so the released architectures run with seeded random ones
(RTMDet-m person detector + RTMW3D-L by default). Frames are the shared demo video's (960x540),
one person-sized box per frame, so "frames/s" of the pose step is crops/s. Each configuration is
timed after a warm-up call; ratios are against the first configuration (mmpose, batch 1) measured
in the same process, which makes them comparable across busy machines. The last line is a
``key=value`` summary.

    python benchmarks/landmarks.py                       # CPU here: a few minutes
    python benchmarks/landmarks.py --frames 256 --batch-sizes 1 8 32 64 --device cuda   # a GPU node
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

# as `rhythm landmarks` does: idle OpenMP threads sleep (spinning ones made torch at batch 1 2.6x
# slower on these busy cores)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rhythm.landmarks.backend import RANDOM_INIT, load_backend  # noqa: E402

VIDEO = ROOT.parent / "shared" / "data" / "video" / "demo.mp4"


def read_frames(n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(VIDEO))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    if not frames:  # no shared data: a synthetic 960x540 frame
        frames = [np.random.default_rng(0).integers(0, 256, (540, 960, 3), dtype=np.uint8)]
    return [frames[i % len(frames)] for i in range(n)]


def timed(fn, warmup, repeats: int = 1) -> float:
    warmup()  # one small call first: allocations, lazy initialisation, cudnn autotuning
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--backends", nargs="+", default=["mmpose", "onnx"], choices=["mmpose", "onnx"])
    ap.add_argument("--detector", default="rtmdet-m-person", help="model name of resources/landmarks/models.json")
    ap.add_argument("--pose", default="rtmw3d-l")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per configuration (the best counts)")
    ap.add_argument("--onnx-dir", default=None, help="reuse exported detector.onnx/pose.onnx from here")
    args = ap.parse_args(argv)

    frames = read_frames(args.frames)
    h, w = frames[0].shape[:2]
    person = np.array([[w * 0.35, h * 0.05, w * 0.65, h * 0.95]])  # a standing person's box
    boxes = [person] * len(frames)
    results = []  # (backend, batch, detect fps, pose fps, end-to-end fps)
    mm = None
    print(
        f"landmarks benchmark: {args.detector} + {args.pose}, random weights, {len(frames)} frames {w}x{h}, "
        f"1 person per frame"
    )
    for name in args.backends:
        if name == "mmpose" or mm is None:
            mm = load_backend(
                "mmpose", RANDOM_INIT, RANDOM_INIT, det_config=args.detector, pose_config=args.pose, device=args.device
            )
        if name == "onnx":
            from rhythm.landmarks.export import export_backend

            onnx_dir = Path(args.onnx_dir or tempfile.mkdtemp(prefix="rhythm-bench-"))
            det_file, pose_file = onnx_dir / f"{args.detector}.onnx", onnx_dir / f"{args.pose}.onnx"
            if not pose_file.is_file():
                t0 = time.perf_counter()
                export_backend(mm, onnx_dir, args.detector, args.pose)
                print(f"exported to {onnx_dir} in {time.perf_counter() - t0:.0f} s")
            backend = load_backend("onnx", det_file, pose_file, device=args.device)
        else:
            backend = mm
        for batch in args.batch_sizes:
            backend.batch_size = backend.det_batch_size = batch
            t_det = timed(lambda: backend.detect(frames), lambda: backend.detect(frames[:batch]), args.repeats)
            t_pose = timed(
                lambda: backend.estimate(frames, boxes),
                lambda: backend.estimate(frames[:batch], boxes[:batch]),
                args.repeats,
            )
            n = len(frames)
            results.append((name, backend.device, batch, n / t_det, n / t_pose, n / (t_det + t_pose)))
            base = results[0]
            print(
                f"{name:7s} {backend.device:22s} batch {batch:3d}: detect {n / t_det:6.2f} frames/s, "
                f"pose {n / t_pose:6.2f} crops/s, both {n / (t_det + t_pose):6.2f} frames/s  "
                f"(x{(n / (t_det + t_pose)) / base[5]:.2f}; detect x{n / t_det / base[3]:.2f}, pose "
                f"x{n / t_pose / base[4]:.2f} of {base[0]} batch {base[2]})",
                flush=True,
            )
    best = max(results, key=lambda r: r[5])
    summary = {f"{r[0]}_b{r[2]}_fps": f"{r[5]:.3f}" for r in results}
    summary.update(
        best=f"{best[0]}_b{best[2]}",
        best_fps=f"{best[5]:.3f}",
        speedup_vs_first=f"{best[5] / results[0][5]:.2f}",
        frames=len(frames),
    )
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
