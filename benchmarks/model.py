"""Dance model speed: training samples per second and the time to generate 20 s of dance.

    python benchmarks/model.py [--threads 1] [--device cpu] [--config config/config.yaml]

The model is the one the config's ``model:`` section describes (the demo's small one by default),
trained on demo sequences made on the spot (the procedural dancer and its synthesised songs, no
video), so the benchmark needs no prepared data. Each figure is set beside a baseline run in the
same process:

* training: samples/s at the config's batch size against batch 1 (what batching buys), and on a
  GPU also bfloat16 autocast against float32;
* generation: 20 s of music denoised as one batch of overlapping windows (what ``rhythm generate``
  does) against the same windows denoised one at a time.

The last line is a ``key=value`` summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rhythm.audio.features import audio_features  # noqa: E402
from rhythm.core import aist  # noqa: E402
from rhythm.core.io import write_npy  # noqa: E402
from rhythm.model.config import ModelConfig, TrainingRun  # noqa: E402
from rhythm.sources import demo  # noqa: E402

SEQUENCES = ["gBR_sBM_cAll_d01_mBR0_ch01", "gPO_sBM_cAll_d01_mPO1_ch01", "gBR_sBM_cAll_d03_mBR3_ch01"]


def demo_results(folder: Path, fps: int) -> Path:
    """results/<dataset> with SMPL parameters and music features for a few demo sequences."""
    results = folder / "bench"
    for seq in SEQUENCES:
        motion = demo.dance_motion(seq, 600, seed=7)  # 10 s
        write_npy(
            results / f"smpl/{seq}.params.npy",
            np.concatenate([motion.trans / motion.scaling, motion.poses], axis=1).astype(np.float32),
        )
        music = aist.parse_name(seq).music
        if not (results / f"features/{fps}fps/{music}.npy").is_file():
            song = demo.synth_song(music, 11.0, 16000)
            write_npy(results / f"features/{fps}fps/{music}.npy", audio_features(song, 16000, fps))
    return results


def training_speed(run: TrainingRun, folder: Path, batch_size: int, steps: int, device: str, amp: bool) -> float:
    """Samples per second of ``steps`` training steps (after 3 warm-up steps)."""
    from rhythm.model.train import Trainer

    training = dataclasses.replace(
        run.model.training, batch_size=batch_size, gpu_batch_size=batch_size, amp=amp, steps=steps + 3
    )
    run = dataclasses.replace(run, model=dataclasses.replace(run.model, training=training))
    trainer = Trainer(run, folder / f"train_b{batch_size}_{amp}", device=device, progress=False, restart=True)
    for _ in range(3):
        trainer.train_step()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def generation_time(checkpoint: Path, seconds: float, batched: bool, device: str) -> float:
    from rhythm.model.checkpoint import DanceModel
    from rhythm.model.generate import generate_features

    model = DanceModel.load(checkpoint, device)
    song = demo.synth_song("mPO4", seconds, 16000)
    music = audio_features(song, 16000, model.config.fps)
    generate_features(model, music[: model.config.window], genre="gPO")  # warm-up
    start = time.perf_counter()
    generate_features(model, music, genre="gPO", batched=batched)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"), help="a config with a model: section")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per setting")
    parser.add_argument("--seconds", type=float, default=20.0, help="music to generate for")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model_cfg = ModelConfig.from_dict((yaml.safe_load(Path(args.config).read_text()) or {}).get("model"))
    device = args.device
    print(
        f"model: {model_cfg.representation}, {model_cfg.fps} fps, window {model_cfg.window} frames, "
        f"dim {model_cfg.network.dim} x {model_cfg.network.layers} layers; device {device}, "
        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = demo_results(folder, model_cfg.fps)
        run = TrainingRun(
            model=dataclasses.replace(model_cfg, val_split=None),
            results=results,
            run="bench",
            splits={"train": SEQUENCES},
        )
        gpu = device.startswith("cuda")
        batch = model_cfg.training.gpu_batch_size if gpu else model_cfg.training.batch_size
        fast = training_speed(run, folder, batch, args.steps, device, amp=gpu)
        single = training_speed(run, folder, 1, args.steps, device, amp=False)
        print(
            f"training: {fast:.1f} samples/s at batch {batch}{' (bf16 autocast)' if gpu else ''}, "
            f"{single:.1f} samples/s at batch 1: {fast / single:.1f}x"
        )
        summary = {
            "device": device,
            "threads": torch.get_num_threads(),
            "batch": batch,
            "train_samples_per_s": round(fast, 2),
            "train_samples_per_s_batch1": round(single, 2),
            "train_speedup": round(fast / single, 2),
        }
        if gpu:
            fp32 = training_speed(run, folder, batch, args.steps, device, amp=False)
            print(f"training, float32 at batch {batch}: {fp32:.1f} samples/s; bf16 autocast {fast / fp32:.2f}x")
            summary["train_samples_per_s_fp32"] = round(fp32, 2)

        from rhythm.model.train import Trainer

        ck_run = dataclasses.replace(
            run,
            model=dataclasses.replace(
                run.model, training=dataclasses.replace(run.model.training, steps=1, checkpoint_every=1, val_every=1)
            ),
        )
        Trainer(ck_run, folder / "ck", device="cpu", progress=False, restart=True).run()
        checkpoint = folder / "ck/checkpoints/last.pt"
        batched = generation_time(checkpoint, args.seconds, True, device)
        sequential = generation_time(checkpoint, args.seconds, False, device)
        steps = model_cfg.diffusion.sampling_steps
        print(
            f"generation of {args.seconds:g} s ({steps} denoising steps, guidance {model_cfg.diffusion.guidance:g}): "
            f"{batched:.2f} s with the windows in one batch, {sequential:.2f} s one window at a time: "
            f"{sequential / batched:.1f}x; {args.seconds / batched:.1f}x real time"
        )
        # the whole `rhythm generate`: decode, music features, denoising, 60 fps, files and the MP4
        from rhythm.model.generate import GenerateOptions, generate

        song = folder / "song_mPO4.wav"
        demo.write_wav(song, demo.synth_song("mPO4", args.seconds, 16000), 16000)
        start = time.perf_counter()
        generate(checkpoint, song, folder / "gen", GenerateOptions(device=device))
        total = time.perf_counter() - start
        print(f"rhythm generate, {args.seconds:g} s song to files and a 640x360 60 fps MP4: {total:.2f} s")
        summary.update(
            generate_s=round(batched, 3),
            generate_sequential_s=round(sequential, 3),
            generate_total_s=round(total, 3),
            generate_speedup=round(sequential / batched, 2),
            generate_realtime_factor=round(args.seconds / batched, 2),
            generate_seconds=args.seconds,
        )
    print(" ".join(f"{k}={v}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
