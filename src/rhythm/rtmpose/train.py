"""Fine-tuning RTMPose on Rhythm's COCO sets with MMPose's own runner (MMEngine ``Runner.from_cfg``).

Outputs under ``results/<dataset>/rtmpose/<run>/``::

    checkpoints/best.pth   the epoch with the highest COCO AP on the val set
    checkpoints/last.pth   the last epoch
    config.py              the run's full MMEngine config (MMPose's recipe with Rhythm's settings)
    scalars.json           MMEngine's log: losses and learning rate per logged iteration, COCO AP per validation
    curve.png              training loss and validation AP
    summary.json           how it started (COCO-pretrained or from scratch), epochs, images, time

MMEngine keeps its own files in ``work/`` (a checkpoint every epoch, ``last_checkpoint``): a run
killed at any point and started again resumes from its last epoch.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path, write_json
from rhythm.rtmpose.config import build_config
from rhythm.rtmpose.options import RtmposeOptions


def pretrained_weights(options: RtmposeOptions) -> Path | None:
    """The COCO-pretrained checkpoint of ``options.size`` in ``models_dir``, checked, or None."""
    from rhythm.landmarks.models import load_manifest, sha256_of

    info = load_manifest().get(options.model_name)
    if info is None:
        return None
    path = Path(options.models_dir) / info.file
    if not path.is_file():
        return None
    if not sha256_of(path).startswith(info.sha256):
        raise RhythmInputError(path, f"SHA-256 does not start with {info.sha256}: damaged or not the released file")
    return path


def _device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def read_scalars(work_dir: Path) -> list[dict]:
    """MMEngine's ``vis_data/scalars.json`` lines of every session of the run (a resumed run has several)."""
    rows = []
    for path in sorted(work_dir.glob("*/vis_data/scalars.json")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def plot_curve(path: Path, scalars: list[dict], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(r["step"], r["loss"]) for r in scalars if "loss" in r]
    per_epoch = max((r["iter"] / r["epoch"] for r in scalars if "loss" in r and r.get("epoch")), default=1.0)
    val = [(r["step"] * per_epoch, r["coco/AP"]) for r in scalars if "coco/AP" in r]  # val rows count epochs
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    lines = ax.plot(*zip(*train), color="#4a6fa5", label="training loss") if train else []
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if val:
        ax2 = ax.twinx()
        lines += ax2.plot(*zip(*val), "o-", color="#c0504d", label="val COCO AP (after each validation)")
        ax2.set_ylabel("COCO AP (val)")
    if lines:
        ax.legend(lines, [str(line.get_label()) for line in lines], loc="lower left", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def train_rtmpose(
    coco_root: str | Path, out_dir: str | Path, options: RtmposeOptions, device: str = "auto", log=print
) -> dict:
    """Fine-tune (or train from scratch) RTMPose on ``coco_root``'s train set; see the module docstring."""
    import torch
    from mmengine.runner import Runner

    from rhythm.rtmpose.openmmlab import register_mmpose

    register_mmpose()
    out = Path(out_dir)
    work = out / "work"
    device = _device(device)
    on_gpu = device.startswith("cuda")
    if not on_gpu:
        torch.set_num_threads(max(1, torch.get_num_threads()))
    weights = pretrained_weights(options) if options.pretrained else None
    start = "COCO-pretrained " + weights.name if weights else "scratch"
    if options.pretrained and weights is None:
        log(
            f"rtmpose: no COCO-pretrained weights of {options.model_name} in {options.models_dir} "
            f"(`rhythm models fetch --only {options.model_name} --dir {options.models_dir}`): training from scratch"
        )
    cfg = build_config(coco_root, work, options, load_from=weights, on_gpu=on_gpu)
    resumed = (work / "last_checkpoint").is_file()
    cfg.resume = resumed
    if on_gpu and ":" in device:
        torch.cuda.set_device(device)
    began = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    elapsed = time.perf_counter() - began

    last = Path((work / "last_checkpoint").read_text().strip())
    best = sorted(work.glob("best_coco_AP_epoch_*.pth"), key=lambda p: p.stat().st_mtime)
    ckdir = out / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    for name, src in (("last.pth", last), ("best.pth", best[-1] if best else last)):
        with atomic_path(ckdir / name) as tmp:
            shutil.copyfile(src, tmp)
    with atomic_path(out / "config.py") as tmp:
        cfg.dump(str(tmp))
    scalars = read_scalars(work)
    write_json(out / "scalars.json", scalars)
    plot_curve(out / "curve.png", scalars, f"RTMPose-{options.size} on {Path(coco_root).parent.name}")
    aps = [r["coco/AP"] for r in scalars if "coco/AP" in r]
    losses = [r["loss"] for r in scalars if "loss" in r]
    summary = {
        "model": f"RTMPose-{options.size} {options.input_size}",
        "started_from": start,
        "resumed": resumed,
        "device": device,
        "epochs": options.epochs,
        "train_images": len(runner.train_dataloader.dataset),
        "iterations": runner.iter,
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "best_val_ap": max(aps) if aps else None,
        "elapsed_s": round(elapsed, 1),
    }
    write_json(out / "summary.json", summary)
    return summary
