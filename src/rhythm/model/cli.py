"""``rhythm model-config``, ``train``, ``generate`` and ``evaluate``: the music-conditioned dance model."""

from __future__ import annotations

import argparse
import json

from rhythm.core.errors import RhythmInputError


def _cmd_model_config(args: argparse.Namespace) -> None:
    import yaml

    from rhythm.core.io import write_text
    from rhythm.model.config import training_run_from_dict

    try:
        settings = json.loads(args.settings)
        run = training_run_from_dict(settings)
    except (ValueError, KeyError) as exc:
        raise RhythmInputError(args.out, f"bad model settings: {exc}") from None
    write_text(
        args.out,
        "# Written by `rhythm model-config`: what `rhythm train --config` trains.\n"
        + yaml.safe_dump(run.to_dict(), sort_keys=False),
    )
    print(f"{args.out}: run {run.run}, " + ", ".join(f"{k} {len(v)}" for k, v in run.splits.items()))


def _cmd_train(args: argparse.Namespace) -> None:
    import dataclasses
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep: no spinning on busy cores
    from rhythm.model.config import load_training_run
    from rhythm.model.train import train

    run = load_training_run(args.config)
    if args.steps is not None:
        training = dataclasses.replace(run.model.training, steps=args.steps)
        run = dataclasses.replace(run, model=dataclasses.replace(run.model, training=training))
    from rhythm.pipeline.resources import claim_gpu

    with claim_gpu(args.device) as device:  # several GPUs: one no other job holds
        summary = train(
            run, args.out, threads=args.threads, device=device, restart=args.restart, progress=not args.quiet
        )
    print(
        f"{summary['run']}: {summary['steps']} steps in {summary['elapsed_s']:.1f} s on {summary['device']} "
        f"({summary['samples_per_s']} samples/s), loss {summary['first_loss']:.4f} -> {summary['last_loss']:.4f}, "
        f"best step {summary['best']['step']}"
    )


def _cmd_generate(args: argparse.Namespace) -> None:
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    from rhythm.model.config import VideoConfig
    from rhythm.model.generate import GenerateOptions, generate

    if args.threads:
        torch.set_num_threads(args.threads)
    genre = None if args.genre.lower() == "none" else args.genre
    opts = GenerateOptions(
        seed=args.seed,
        genre=genre,
        seed_motion=args.seed_motion,
        seed_motion_s=args.seed_seconds,
        guidance=args.guidance,
        sampling_steps=args.steps,
        overlap=args.overlap,
        batched=not args.sequential,
        device=args.device,
        render=not args.no_video,
        samples=args.samples,
        video=VideoConfig(width=args.width, height=args.height, fps=args.video_fps),
        progress=not args.quiet,
    )
    summary = generate(args.checkpoint, args.audio, args.out, opts, features=args.features, name=args.name)
    print(
        f"{summary['audio']}: {summary['frames']} frames ({summary['duration_s']:.2f} s) at {summary['fps']} fps, "
        f"genre {summary['genre']}, denoised in {summary['sampling_s']:.2f} s -> "
        + ", ".join(summary["files"].values())
    )


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from rhythm.model.evaluate import evaluate_to_files

    info = None
    if args.checkpoint:
        from rhythm.model.checkpoint import read_checkpoint

        state = read_checkpoint(args.checkpoint)
        cfg = state["config"]
        info = {
            "checkpoint": args.checkpoint,
            "step": state["step"],
            "representation": cfg["representation"],
            "fps": cfg["fps"],
            "window_s": cfg["window_s"],
            "network": "dim {dim}, {layers} layers, {heads} heads".format(**cfg["network"]),
            "trained on": ", ".join(state["data"]["train"]),
        }
    result = evaluate_to_files(
        args.out_json,
        args.out_report,
        model_info=info,
        generated=args.generated,
        ground_truth=args.ground_truth,
        train=args.train,
        beats_dir=args.beats_dir,
        clip_s=args.clip_s,
        clip_stride_s=args.clip_stride_s,
        seed=args.seed,
        reference=not args.corrected_kinetics,
        units_per_metre=args.units_per_metre,
        run=args.run,
        seed_motion_s=args.seed_motion_s,
        baseline_draws=args.baseline_draws,
    )
    mm = result["music_matters"]
    m = result["model"]
    print(
        f"FID_k {m['fid_k']:.3f} (random training clips {mm['fid_k_random_training_clips']:.3f}), "
        f"FID_g {m['fid_g'] if m['fid_g'] is None else round(m['fid_g'], 3)}, "
        f"BAS {mm['bas_own_music']} with its music vs {mm['bas_other_tracks']} against other tracks' beats "
        f"-> {args.out_json}"
    )


def register(sub) -> None:
    p = sub.add_parser("model-config", help="the training config of a dance model run, from workflow settings")
    p.add_argument("--out", required=True, help="YAML file to write (results/models/<run>/config.yaml)")
    p.add_argument("--settings", required=True, help="JSON: {run, results, splits, pose_units_per_metre, model}")
    p.set_defaults(func=_cmd_model_config)

    p = sub.add_parser("train", help="train the dance model (seeded; resumes from its last checkpoint)")
    p.add_argument(
        "--config", required=True, help="a run config (rhythm model-config) or a workflow config with a model: section"
    )
    p.add_argument("--out", default=None, help="run folder (default results/models/<run>)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu, cuda, cuda:1 ...")
    p.add_argument("--steps", type=int, default=None, help="override training.steps")
    p.add_argument("--restart", action="store_true", help="ignore existing checkpoints and start afresh")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("generate", help="a dance for any song: joints .npy, AIST++ motions .pkl, MP4 with the music")
    p.add_argument("--audio", required=True, help="the song (wav, mp3, ... anything ffmpeg reads)")
    p.add_argument("--checkpoint", required=True, help="results/models/<run>/checkpoints/last.pt or best.pt")
    p.add_argument("--out", required=True, help="folder for <name>.{npy,pkl,mp4,json}")
    p.add_argument("--name", default=None, help="file stem (default: the audio's)")
    p.add_argument("--features", default=None, help="precomputed features/<fps>fps/<music>.npy for this audio")
    p.add_argument("--seed", type=int, default=0, help="random seed of the first dance")
    p.add_argument(
        "--samples",
        type=int,
        default=1,
        help="dances to generate (seeds SEED, SEED+1, ...); all in <name>.samples.npy, the first in the other files",
    )
    p.add_argument(
        "--genre",
        default="auto",
        help="AIST genre (gBR, gPO, ...), auto (from an AIST music id in the file name) or none",
    )
    p.add_argument(
        "--seed-motion", default=None, help="start from this motion: AIST++ motions .pkl or smpl/<seq>.params.npy"
    )
    p.add_argument("--seed-seconds", type=float, default=2.0, help="seconds of the seed motion kept")
    p.add_argument("--guidance", type=float, default=None, help="music guidance weight (default: the model's)")
    p.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    p.add_argument("--overlap", type=float, default=None, help="window overlap fraction for long songs")
    p.add_argument("--sequential", action="store_true", help="denoise windows one at a time (slower)")
    p.add_argument("--no-video", action="store_true", help="motion files only")
    p.add_argument("--width", type=int, default=640, help="video width in pixels")
    p.add_argument("--height", type=int, default=360, help="video height in pixels")
    p.add_argument("--video-fps", type=int, default=60, help="video frame rate")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser(
        "evaluate",
        help="FID_k/FID_g/Div/BAS/PFC of generated dances, a random-clip baseline "
        "and a music-swap check, with a Markdown report",
    )
    p.add_argument(
        "--generated", nargs="+", required=True, help="<music>.npy or <music>.samples.npy joints from rhythm generate"
    )
    p.add_argument("--ground-truth", nargs="+", required=True, help="test smpl/<seq>.params.npy (or poses/*.npy)")
    p.add_argument("--train", nargs="+", required=True, help="training motions, for the random-clip baseline")
    p.add_argument("--beats-dir", required=True, help="beats/ with <music>.json of every track")
    p.add_argument("--out-json", required=True, help="the metrics JSON to write")
    p.add_argument("--out-report", required=True, help="Markdown report")
    p.add_argument("--clip-s", type=float, default=2.0, help="clip length in seconds for the metrics")
    p.add_argument("--clip-stride-s", type=float, default=1.0, help="seconds between clip starts")
    p.add_argument("--seed", type=int, default=0, help="seed of the random-clip baseline's first draw")
    p.add_argument("--baseline-draws", type=int, default=20, help="random-clip baseline draws averaged")
    p.add_argument(
        "--corrected-kinetics",
        action="store_true",
        help="the corrected kinetic acceleration instead of the reference code's",
    )
    p.add_argument("--units-per-metre", type=float, default=100.0, help="units of poses/*.npy ground truth")
    p.add_argument("--run", default=None, help="run name for the report")
    p.add_argument("--checkpoint", default=None, help="the model, described in the report")
    p.add_argument("--seed-motion-s", type=float, default=0.0, help="seed motion the dances were given (report)")
    p.set_defaults(func=_cmd_evaluate)
