"""The ``rhythm`` command: one subcommand per pipeline stage, usable with or without Snakemake.

Each subcommand parses its arguments and calls one library function; the Snakemake rules call
these subcommands. ``rhythm <stage> --help`` describes each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rhythm import __version__
from rhythm.core.errors import RhythmInputError


def _selection(args: argparse.Namespace):
    from rhythm.pipeline.selection import Selection

    return Selection(splits=args.splits, genres=args.genres or None, cameras=args.cameras,
                     exclude_videos=args.exclude_videos, limit=args.limit)


def _cmd_status(args: argparse.Namespace) -> None:
    from rhythm.pipeline.report import data_status, render_text

    if args.versions:
        from rhythm.core.ffmpeg import tool_versions

        versions = tool_versions()
        print(json.dumps(versions, indent=2) if args.json else "".join(f"{k}: {v}\n" for k, v in versions.items()),
              end="\n" if args.json else "")
        if not args.anno_dir:
            return
    if not args.anno_dir:
        raise SystemExit("rhythm status: --anno-dir is required (or --versions alone)")
    status = data_status(args.anno_dir, args.video_dir, _selection(args))
    print(json.dumps(status, indent=2) if args.json else render_text(status), end="\n" if args.json else "")


def _cmd_report(args: argparse.Namespace) -> None:
    from rhythm.core.io import write_json, write_text
    from rhythm.pipeline.report import build_report, data_status, render_html, render_text

    from rhythm.pipeline.selection import select_sequences

    selection = _selection(args)
    status = data_status(args.anno_dir, args.video_dir, selection)
    sequences = sorted({s for seqs in select_sequences(args.anno_dir, selection).values() for s in seqs})
    from rhythm.core.ffmpeg import tool_versions

    status["tools"] = tool_versions()
    report = build_report(status, args.frames, args.beats, args.poses, args.coco, args.overlays,
                          args.reprojection, args.reconstruction, landmarks=args.landmarks,
                          landmarks_skipped=args.landmarks_skipped, music=args.music, sequences=sequences,
                          notes=args.note)
    write_json(args.out_json, report)
    text = render_text(report)
    write_text(args.out_text, text)
    if args.out_html:
        write_text(args.out_html, render_html(report, args.beat_plots, args.out_html))
    print(text, end="")


def _cmd_model_config(args: argparse.Namespace) -> None:
    import yaml

    from rhythm.core.io import write_text
    from rhythm.model.config import training_run_from_dict

    try:
        settings = json.loads(args.settings)
        run = training_run_from_dict(settings)
    except (ValueError, KeyError) as exc:
        raise RhythmInputError(args.out, f"bad model settings: {exc}") from None
    write_text(args.out, "# Written by `rhythm model-config`: what `rhythm train --config` trains.\n"
               + yaml.safe_dump(run.to_dict(), sort_keys=False))
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
        summary = train(run, args.out, threads=args.threads, device=device, restart=args.restart,
                        progress=not args.quiet)
    print(f"{summary['run']}: {summary['steps']} steps in {summary['elapsed_s']:.1f} s on {summary['device']} "
          f"({summary['samples_per_s']} samples/s), loss {summary['first_loss']:.4f} -> {summary['last_loss']:.4f}, "
          f"best step {summary['best']['step']}")


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
        seed=args.seed, genre=genre, seed_motion=args.seed_motion, seed_motion_s=args.seed_seconds,
        guidance=args.guidance, sampling_steps=args.steps, overlap=args.overlap, batched=not args.sequential,
        device=args.device, render=not args.no_video, samples=args.samples,
        video=VideoConfig(width=args.width, height=args.height, fps=args.video_fps), progress=not args.quiet,
    )
    summary = generate(args.checkpoint, args.audio, args.out, opts, features=args.features, name=args.name)
    print(f"{summary['audio']}: {summary['frames']} frames ({summary['duration_s']:.2f} s) at {summary['fps']} fps, "
          f"genre {summary['genre']}, denoised in {summary['sampling_s']:.2f} s -> "
          + ", ".join(summary["files"].values()))


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from rhythm.model.evaluate import evaluate_to_files

    info = None
    if args.checkpoint:
        from rhythm.model.checkpoint import read_checkpoint

        state = read_checkpoint(args.checkpoint)
        cfg = state["config"]
        info = {"checkpoint": args.checkpoint, "step": state["step"], "representation": cfg["representation"],
                "fps": cfg["fps"], "window_s": cfg["window_s"],
                "network": "dim {dim}, {layers} layers, {heads} heads".format(**cfg["network"]),
                "trained on": ", ".join(state["data"]["train"])}
    result = evaluate_to_files(
        args.out_json, args.out_report, model_info=info, generated=args.generated, ground_truth=args.ground_truth,
        train=args.train, beats_dir=args.beats_dir, clip_s=args.clip_s, clip_stride_s=args.clip_stride_s,
        seed=args.seed, reference=not args.corrected_kinetics, units_per_metre=args.units_per_metre, run=args.run,
        seed_motion_s=args.seed_motion_s, baseline_draws=args.baseline_draws,
    )
    mm = result["music_matters"]
    m = result["model"]
    print(f"FID_k {m['fid_k']:.3f} (random training clips {mm['fid_k_random_training_clips']:.3f}), "
          f"FID_g {m['fid_g'] if m['fid_g'] is None else round(m['fid_g'], 3)}, "
          f"BAS {mm['bas_own_music']} with its music vs {mm['bas_other_tracks']} against other tracks' beats "
          f"-> {args.out_json}")


def _add_selection(p: argparse.ArgumentParser) -> None:
    from rhythm.core import aist

    p.add_argument("--splits", nargs="+", default=list(aist.SPLITS), choices=aist.SPLITS, metavar="SPLIT",
                   help="splits to report (default: all six)")
    p.add_argument("--genres", nargs="*", default=None, help="keep only these genres, e.g. gLH")
    p.add_argument("--cameras", nargs="+", default=list(aist.CAMERAS), help="cameras (default c01..c09)")
    p.add_argument("--exclude-videos", nargs="*", default=[], help="video names to leave out")
    p.add_argument("--limit", type=int, default=None, help="at most this many sequences per split")


# ----------------------------------------------------------------------------- reconstruction
# Multi-view reconstruction: triangulation, camera bundle adjustment, SMPL skeleton fitting.


# ----------------------------------------------------------------------------- landmark models
# `rhythm models fetch` (released checkpoints, checked) and `rhythm models export` (ONNX for the onnx backend).


def build_parser() -> argparse.ArgumentParser:
    from rhythm.core import aist
    from rhythm.sources import demo
    from rhythm.sources.download import BASE_URL as DOWNLOAD_BASE_URL

    parser = argparse.ArgumentParser(prog="rhythm", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rhythm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("status", help="what is in an AIST++ tree: splits, annotations, videos, frames")
    p.add_argument("--anno-dir", default=None, help='AIST++ annotations folder')
    p.add_argument("--versions", action="store_true",
                   help="also print the ffmpeg (path and version) and PyAV that Rhythm runs, and its own version")
    p.add_argument("--video-dir", default=None, help='folder of <video>.mp4 (counts present and missing videos)')
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_selection(p)
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("report", help="the data report (JSON + text) of a run")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations folder')
    p.add_argument("--video-dir", default=None, help='folder of <video>.mp4 (counts present and missing videos)')
    p.add_argument("--frames", nargs="*", default=[], help="frame_mapping.json files")
    p.add_argument("--beats", nargs="*", default=[], help='beats JSON files')
    p.add_argument("--music", nargs="*", default=[], help="audio/<music>.json reports of rhythm audio")
    p.add_argument("--note", action="append", default=[], help="a planning note: what was left out and why "
                   "(repeatable)")
    p.add_argument("--poses", nargs="*", default=[], help='poses .npy files')
    p.add_argument("--coco", nargs="*", default=[], help='COCO annotation JSON files')
    p.add_argument("--overlays", nargs="*", default=[], help='overlay.mp4 files')
    p.add_argument("--reprojection", nargs="*", default=[], help="per-sequence reprojection JSON files")
    p.add_argument("--reconstruction", default=None, help="reconstruction/errors.json")
    p.add_argument("--landmarks", nargs="*", default=[], help="the landmarks stage's JSON reports (landmarks/*.json)")
    p.add_argument("--landmarks-skipped", default=None, help="why the landmarks stage did not run (for the report)")
    p.add_argument("--out-json", required=True, help='the report JSON to write')
    p.add_argument("--out-text", required=True, help='the report text to write')
    p.add_argument("--out-html", default=None, help="also an HTML page with the beat plots")
    p.add_argument("--beat-plots", nargs="*", default=[], help="PNG plots to show in the HTML page")
    _add_selection(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("model-config", help="the training config of a dance model run, from workflow settings")
    p.add_argument("--out", required=True, help="YAML file to write (results/models/<run>/config.yaml)")
    p.add_argument("--settings", required=True, help="JSON: {run, results, splits, pose_units_per_metre, model}")
    p.set_defaults(func=_cmd_model_config)

    p = sub.add_parser("train", help="train the dance model (seeded; resumes from its last checkpoint)")
    p.add_argument("--config", required=True,
                   help="a run config (rhythm model-config) or a workflow config with a model: section")
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
    p.add_argument("--seed", type=int, default=0, help='random seed of the first dance')
    p.add_argument("--samples", type=int, default=1, help="dances to generate (seeds SEED, SEED+1, ...); all in "
                   "<name>.samples.npy, the first in the other files")
    p.add_argument("--genre", default="auto", help="AIST genre (gBR, gPO, ...), auto (from an AIST music id "
                   "in the file name) or none")
    p.add_argument("--seed-motion", default=None, help="start from this motion: AIST++ motions .pkl or "
                   "smpl/<seq>.params.npy")
    p.add_argument("--seed-seconds", type=float, default=2.0, help="seconds of the seed motion kept")
    p.add_argument("--guidance", type=float, default=None, help="music guidance weight (default: the model's)")
    p.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    p.add_argument("--overlap", type=float, default=None, help="window overlap fraction for long songs")
    p.add_argument("--sequential", action="store_true", help="denoise windows one at a time (slower)")
    p.add_argument("--no-video", action="store_true", help="motion files only")
    p.add_argument("--width", type=int, default=640, help='video width in pixels')
    p.add_argument("--height", type=int, default=360, help='video height in pixels')
    p.add_argument("--video-fps", type=int, default=60, help='video frame rate')
    p.add_argument("--device", default="cpu", help='cpu, cuda, cuda:1 ...')
    p.add_argument("--threads", type=int, default=None, help='CPU threads for torch')
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("evaluate", help="FID_k/FID_g/Div/BAS/PFC of generated dances, a random-clip baseline "
                       "and a music-swap check, with a Markdown report")
    p.add_argument("--generated", nargs="+", required=True,
                   help="<music>.npy or <music>.samples.npy joints from rhythm generate")
    p.add_argument("--ground-truth", nargs="+", required=True, help="test smpl/<seq>.params.npy (or poses/*.npy)")
    p.add_argument("--train", nargs="+", required=True, help="training motions, for the random-clip baseline")
    p.add_argument("--beats-dir", required=True, help="beats/ with <music>.json of every track")
    p.add_argument("--out-json", required=True, help='the metrics JSON to write')
    p.add_argument("--out-report", required=True, help="Markdown report")
    p.add_argument("--clip-s", type=float, default=2.0, help='clip length in seconds for the metrics')
    p.add_argument("--clip-stride-s", type=float, default=1.0, help='seconds between clip starts')
    p.add_argument("--seed", type=int, default=0, help="seed of the random-clip baseline's first draw")
    p.add_argument("--baseline-draws", type=int, default=20, help="random-clip baseline draws averaged")
    p.add_argument("--corrected-kinetics", action="store_true",
                   help="the corrected kinetic acceleration instead of the reference code's")
    p.add_argument("--units-per-metre", type=float, default=100.0, help="units of poses/*.npy ground truth")
    p.add_argument("--run", default=None, help='run name for the report')
    p.add_argument("--checkpoint", default=None, help="the model, described in the report")
    p.add_argument("--seed-motion-s", type=float, default=0.0, help="seed motion the dances were given (report)")
    p.set_defaults(func=_cmd_evaluate)
    from rhythm.sources.cli import register as add_sources

    add_sources(sub)
    from rhythm.video.cli import register as add_video

    add_video(sub)
    from rhythm.audio.cli import register as add_audio

    add_audio(sub)
    from rhythm.motion.cli import register as add_motion

    add_motion(sub)
    from rhythm.reconstruction.cli import register as add_reconstruction

    add_reconstruction(sub)
    from rhythm.people.cli import register as add_people

    add_people(sub)
    from rhythm.landmarks.cli import register as add_landmarks

    add_landmarks(sub)
    return parser


# Optional stacks: the module a failed import names -> how to install it.
INSTALL_HINTS = {
    **dict.fromkeys(("mmcv", "mmpose", "mmdet", "mmengine", "xtcocotools"),
                    "the OpenMMLab stack: run `make setup-openmmlab` (envs/install-openmmlab.sh)"),
    "torch": "PyTorch: pip install -e '.[model]' (the CPU build: pip install torch==2.13.0 first)",
    "onnxruntime": "onnxruntime: pip install -e '.[landmarks]'",
    "onnx": "onnx: pip install -e '.[landmarks]'",
    "smplx": "smplx: pip install smplx",
    "snakemake_executor_plugin_slurm": "the SLURM plugin: pip install -e '.[slurm]'",
}


def describe_error(exc: BaseException) -> str:
    """One line for an expected failure: ``<file>: <what is wrong>; <what to do>``."""
    if isinstance(exc, RhythmInputError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        hint = INSTALL_HINTS.get(top, f"pip install {top}")
        return f"{top} is not installed; install {hint}"
    if isinstance(exc, OSError) and exc.filename:
        what = {13: "permission denied; choose a writable location", 28: "no space left on the device",
                2: "not found", 20: "a file stands where a folder is needed", 21: "is a folder, not a file",
                17: "already exists"}.get(exc.errno, exc.strerror or type(exc).__name__)
        return f"{exc.filename}: {what}"
    return f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


def _interrupt(signum, frame):  # SIGTERM (Snakemake, SLURM) unwinds like Ctrl-C: partial outputs are removed
    raise KeyboardInterrupt


def _add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on every subcommand (and nested action), as well as before the command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--debug" not in sub._option_string_actions:
                    sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                     help="show the full traceback of an error (also RHYTHM_DEBUG=1)")
                _add_debug_flag(sub)


def main(argv: list[str] | None = None) -> int:
    import os
    import signal

    parser = build_parser()
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error (also RHYTHM_DEBUG=1)")
    _add_debug_flag(parser)
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("RHYTHM_DEBUG", "") not in ("", "0")
    prog = " ".join(["rhythm", args.command] + ([args.models_command] if getattr(args, "models_command", None) else []))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted; partial outputs removed", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every expected failure becomes one line
        if debug:
            raise
        print(f"{prog}: error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse-style exits from handlers: keep their message
        if isinstance(exc.code, str):
            print(exc.code if exc.code.startswith("rhythm") else f"{prog}: error: {exc.code}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
