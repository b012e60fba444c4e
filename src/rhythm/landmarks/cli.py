"""``rhythm landmarks``, ``rhythm landmarks-validate``, ``rhythm models fetch|export``: the landmarks stage."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rhythm.core.errors import RhythmInputError
from rhythm.core.options import add_options, from_args
from rhythm.landmarks.settings import LandmarkSettings
from rhythm.people.tracking import TrackOptions


def stage_options(args: argparse.Namespace, settings: LandmarkSettings):
    """The stage's LandmarkOptions from the command line: settings, keypoints, tracking, camera."""
    from rhythm.landmarks.keypoints import resolve_selection
    from rhythm.landmarks.sampling import SamplingOptions
    from rhythm.landmarks.stage import LandmarkOptions

    keypoints = args.keypoints if not args.keypoints[0].isdigit() else [int(k) for k in args.keypoints.split(",")]
    fps_low, fps_high = settings.accept_fps_within  # nargs=2: a (low, high) pair
    sampling = SamplingOptions(
        reduce_fps_to=settings.reduce_fps_to or None,
        accept_fps_within=(fps_low, fps_high),
        frame_skip=settings.frame_skip,
    )
    camera, floor_y = landmark_camera(args)
    return LandmarkOptions(
        sampling=sampling,
        policy=settings.policy,
        keypoints=resolve_selection(keypoints),
        camera=camera,
        floor_y=floor_y,
        add_visible=settings.add_visible and not args.no_visible,
        kpt_threshold=settings.kpt_threshold,
        remove_z=settings.remove_z,
        batch_frames=settings.batch_frames,
        tracking=from_args(TrackOptions, args) if settings.policy == "people" else None,
    )


def landmark_camera(args: argparse.Namespace):
    """The video's camera and floor, to place people on the floor: from --cameras/--camera, or for an
    AIST++ video from --anno-dir (its setting through mapping.txt; the floor under its keypoints3d)."""
    from rhythm.core import aist
    from rhythm.people.grounding import floor_from_keypoints3d

    if not (args.cameras or args.anno_dir):
        return None, 0.0
    try:
        name = aist.parse_name(Path(args.video).stem)
    except ValueError:
        name = None
    if args.cameras:
        cams = aist.load_camera_setting(args.cameras)
        which = args.camera or (name.camera if name else None)
        if which not in cams:
            raise RhythmInputError(
                args.cameras, f"no camera {which!r} in it (cameras: {', '.join(cams)}); name one with --camera"
            )
        return cams[which], args.floor_y or 0.0
    if name is None:
        print(
            f"note: {args.video} is not an AIST++ video, so --anno-dir names no camera: z stays relative to each "
            "person's root (pass --cameras SETTING.json --camera NAME to place people)",
            file=sys.stderr,
        )
        return None, 0.0
    camera = aist.load_cameras(args.anno_dir, name.sequence)[name.camera]
    floor = args.floor_y
    kp3d = aist.keypoints3d_path(args.anno_dir, name.sequence)
    if floor is None and kp3d.is_file():
        floor = floor_from_keypoints3d(aist.load_keypoints3d(kp3d, optim=True))
    return camera, floor or 0.0


def landmarks_command(args: argparse.Namespace) -> None:
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: idle threads sleep, not spin
    from rhythm.core.ffmpeg import probe_video
    from rhythm.landmarks.backend import RANDOM_INIT
    from rhythm.landmarks.models import require_weights, weight_path
    from rhythm.pipeline.resources import claim_gpu

    settings = from_args(LandmarkSettings, args)
    probe_video(args.video)  # a missing or broken video fails before any model is loaded
    options = stage_options(args, settings)
    weights = {}
    for kind, model in (("detector", settings.detector), ("pose", settings.pose)):
        # the config's names (rtmdet-m-person, rtmw3d-l), file names in --models-dir, or paths; checked
        # before OpenMMLab or onnxruntime is imported, so a missing file says how to get it at once
        weights[kind] = (
            model
            if model == RANDOM_INIT
            else require_weights(weight_path(model, settings.backend, settings.models_dir))
        )
    with claim_gpu(settings.device) as device:  # several GPUs: one no other job holds
        run_landmarks_on(args, settings, weights, options, device)


def run_landmarks_on(args: argparse.Namespace, settings: LandmarkSettings, weights: dict, options, device: str) -> None:
    from rhythm.landmarks.backend import RANDOM_INIT, load_backend
    from rhythm.landmarks.stage import landmarks_for_video

    configs = {k: v for k, v in (("det_config", settings.detector_config), ("pose_config", settings.pose_config)) if v}
    backend = load_backend(
        settings.backend,
        weights["detector"],
        weights["pose"],
        device=device,
        batch_size=settings.batch_size,
        det_score_thr=settings.det_score_threshold,
        threads=args.threads,
        **configs,
    )
    if RANDOM_INIT in (backend.weights or {}).values():
        print(f"warning: random weights ({backend.weights}): the landmarks mean nothing", file=sys.stderr)
    report = landmarks_for_video(
        args.video,
        args.out,
        backend,
        options,
        start_s=args.start,
        end_s=args.end,
        segment=args.segment,
        progress=not args.quiet,
    )
    if report["status"] == "skipped":
        print(f"{report['video']}: skipped ({report['reason']}) -> {args.out} (empty)")
    else:
        print(
            f"{report['video']}: {report['frames']} frames at {report['fps']:g} fps, {report['frames_with_person']} "
            f"with a person, {report['frames_per_s']} frames/s on {report['device']} -> {args.out}"
        )


def validate_command(args: argparse.Namespace) -> None:
    from rhythm.core.io import write_json
    from rhythm.landmarks.validate import validate_dir

    summary = validate_dir(
        args.folder, args.num_keypoints, args.channels, kpt_threshold=args.kpt_thr, has_score=not args.no_score
    )
    if args.out:
        write_json(args.out, summary)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, r in summary["results"].items():
            state = "INVALID" if r["errors"] else "ok"
            print(
                f"{name}: {state} {r.get('shape', '')}"
                + "".join(f"\n  error: {e}" for e in r["errors"])
                + "".join(f"\n  warning: {w}" for w in r["warnings"])
            )
        print(
            f"{summary['valid']} of {summary['files']} files valid, {summary['frames']} frames, "
            f"{len(summary['skipped'])} skipped segments"
        )
    if summary["invalid"]:
        raise RhythmInputError(
            args.folder, f"{len(summary['invalid'])} invalid landmark file(s): " + ", ".join(summary["invalid"][:5])
        )


def models_fetch_command(args: argparse.Namespace) -> None:
    from rhythm.landmarks.models import fetch_models
    from rhythm.sources.download import DownloadOptions

    options = DownloadOptions(retries=args.retries, backoff_s=args.backoff, timeout_s=args.timeout)
    fetch_models(args.only, args.dir, base_url=args.base_url, options=options)


def models_export_command(args: argparse.Namespace) -> None:
    from rhythm.landmarks.backend import RANDOM_INIT
    from rhythm.landmarks.export import export_models
    from rhythm.landmarks.models import load_manifest, require_weights, weight_path

    manifest = load_manifest()
    given = {"detector": (args.detector, args.det_config), "pose": (args.pose, args.pose_config)}
    weights, configs, names = {}, {}, {}
    for kind, (model, config) in given.items():
        if model in manifest and manifest[model].kind != kind:
            raise SystemExit(f"rhythm models export: {model} is a {manifest[model].kind} model, not a {kind}")
        names[kind] = model if model in manifest else None
        configs[kind] = config or names[kind]
        weights[kind] = RANDOM_INIT if args.random_init else require_weights(weight_path(model, "mmpose", args.dir))
    det, pose = export_models(
        weights["detector"],
        weights["pose"],
        args.out or args.dir,
        det_config=configs["detector"],
        pose_config=configs["pose"],
        det_name=names["detector"],
        pose_name=names["pose"],
        opset=args.opset,
        seed=args.seed,
    )
    print(f"{det}\n{pose}")


def register(sub) -> None:
    p = sub.add_parser("landmarks", help="whole-body 3D landmarks (T, 85, 4) of a video: RTMDet + RTMW3D")
    p.add_argument("video", help="the video")
    p.add_argument("--out", required=True, help="output .npy (a .json report goes next to it)")
    add_options(p, LandmarkSettings)
    p.add_argument("--keypoints", default="dance85", help="dance85, wholebody133, body17, or comma-separated indices")
    p.add_argument("--no-visible", action="store_true", help="the same as --add-visible false")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch/onnxruntime (default: all cores)")
    p.add_argument(
        "--anno-dir",
        default=None,
        help="AIST++ annotations: place people on the floor through the video's camera (z becomes depth "
        "from the camera, so several dancers keep their distance; the floor from its keypoints3d)",
    )
    p.add_argument("--cameras", default=None, help="a camera setting JSON (AIST++ format) to place people with")
    p.add_argument("--camera", default=None, help="the camera of --cameras (default: the video name's)")
    p.add_argument(
        "--floor-y",
        type=float,
        default=None,
        help="the floor's height in the cameras' world units (default: under --anno-dir's keypoints3d, else 0)",
    )
    p.add_argument("--start", type=float, default=0.0, help="segment start (s)")
    p.add_argument("--end", type=float, default=None, help="segment end (s)")
    p.add_argument("--segment", default=None, help="segment name, recorded in the report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_options(p, TrackOptions, group="people policy: tracking options (rhythm track; docs/tracking.md)")
    p.set_defaults(func=landmarks_command)

    p = sub.add_parser("landmarks-validate", help="check landmark arrays: shapes, NaN rows, ranges")
    p.add_argument("folder", help="folder of landmark .npy files (with their .json reports)")
    p.add_argument("--num-keypoints", type=int, default=85, help="keypoints per person the files must have")
    p.add_argument("--channels", type=int, default=4, help="channels per keypoint (4: x, y, z, score)")
    p.add_argument(
        "--kpt-thr",
        type=float,
        default=0.3,
        help="the KPT_THR the files were made with: only keypoints scoring below it may have NaN coordinates",
    )
    p.add_argument("--no-score", action="store_true", help="the files have no score channel (ADD_VISIBLE off)")
    p.add_argument("--json", action="store_true", help="print JSON instead of lines")
    p.add_argument("--out", default=None, help="also write the summary JSON here (written before any failure)")
    p.set_defaults(func=validate_command)

    register_models(sub)


def register_models(sub) -> None:
    from rhythm.landmarks.models import DEFAULT_MODELS, MODELS_DIR, load_manifest

    names = list(load_manifest())
    p = sub.add_parser("models", help="landmark models: fetch the released checkpoints, export them to ONNX")
    actions = p.add_subparsers(
        dest="models_command", required=True, metavar="ACTION", help="fetch: download checkpoints; export: ONNX files"
    )

    f = actions.add_parser("fetch", help="download checkpoints (resources/landmarks/models.json), SHA-256 checked")
    f.add_argument("--only", action="append", choices=names, help="this model only (repeatable; default: all)")
    f.add_argument("--dir", default=str(MODELS_DIR), help="where the .pth files go")
    f.add_argument("--base-url", default=None, help="a mirror: files are fetched from BASE_URL/<file name>")
    f.add_argument("--retries", type=int, default=4, help="attempts after a failed download")
    f.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry (doubles)")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds per network operation")
    f.set_defaults(func=models_fetch_command)

    e = actions.add_parser("export", help="<detector>.onnx + <pose>.onnx for the onnx backend (needs the mmpose stack)")
    e.add_argument(
        "--detector",
        default=DEFAULT_MODELS["detector"],
        help=f"a model name ({', '.join(n for n in names if 'det' in n)}: its checkpoint in --dir) or an "
        f"RTMDet checkpoint (.pth); default {DEFAULT_MODELS['detector']}",
    )
    e.add_argument(
        "--pose",
        default=DEFAULT_MODELS["pose"],
        help=f"a model name (rtmw3d-l, rtmw3d-x) or an RTMW3D checkpoint (.pth); default {DEFAULT_MODELS['pose']}",
    )
    e.add_argument("--det-config", default=None, help="config file or model name for a checkpoint of your own")
    e.add_argument("--pose-config", default=None, help="config file or model name for a checkpoint of your own")
    e.add_argument("--dir", default=str(MODELS_DIR), help="where the checkpoints are (rhythm models fetch --dir)")
    e.add_argument(
        "--out",
        default=None,
        help="folder for the .onnx files (default: --dir); named after the models, "
        "e.g. rtmw3d-l.onnx, as the workflow expects",
    )
    e.add_argument(
        "--random-init",
        action="store_true",
        help="seeded random weights instead of checkpoints (tests, benchmarks: the files then carry no "
        "trained model, and their metadata says so)",
    )
    e.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    e.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    e.set_defaults(func=models_export_command)
