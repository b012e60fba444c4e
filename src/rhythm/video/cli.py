"""``rhythm frames``, ``rhythm coco``, ``rhythm overlay``: the video stage's subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rhythm.core.options import add_options, from_args
from rhythm.video.coco import CocoOptions
from rhythm.video.frames import FrameOptions
from rhythm.video.overlays import OverlayOptions


def frames_command(args: argparse.Namespace) -> None:
    from rhythm.video.frames import extract_for_video, extract_frames

    fps = args.fps if args.fps else (60.0 if args.anno_dir else None)
    opts = from_args(FrameOptions, args, fps=fps)
    if args.anno_dir:
        mapping = extract_for_video(args.video, args.anno_dir, args.out, opts, progress=not args.quiet)
    else:
        if opts.align == "timestamps":
            raise SystemExit("--align timestamps needs --anno-dir (the annotations' timestamps)")
        mapping = extract_frames(args.video, args.out, options=opts, progress=not args.quiet)
    print(f"{mapping['video']}: {mapping['num_frames']} frames -> {args.out}")
    for note in mapping["notes"]:
        print(f"  note: {note}")


def coco_command(args: argparse.Namespace) -> None:
    from rhythm.video.coco import build_split, write_mmpose_config

    coco = build_split(args.split, args.frames, args.anno_dir, args.out, from_args(CocoOptions, args))
    print(f"COCO {args.split}: {len(coco['images'])} images, {len(coco['annotations'])} annotations -> {args.out}")
    if args.mmpose_config:
        write_mmpose_config(args.mmpose_config, args.split, Path(args.out).parent, args.train_split)


def annotation_size(text: str) -> tuple[int, int]:
    """argparse type: ``WIDTHxHEIGHT``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
        if min(width, height) <= 0:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, like 1920x1080, not {text!r}") from None
    return width, height


def overlay_command(args: argparse.Namespace) -> None:
    from rhythm.video.overlays import OUTSIDE_WARNING, render_overlays

    opts = from_args(
        OverlayOptions, args, annotation_size=args.annotation_size, **({"video": False} if args.no_video else {})
    )
    result = render_overlays(args.frames, args.anno_dir, args.out, opts, audio_source=args.audio)
    video = f", overlay.mp4 of {result['frames']} frames" if result["video_written"] else ""
    print(f"{result['video']}: {result['pngs']} PNG frames{video} -> {args.out}")
    if result["outside_fraction"] > OUTSIDE_WARNING:
        print(
            f"warning: {result['keypoints_outside']} of {result['keypoints_drawn']} drawn keypoints "
            f"({100 * result['outside_fraction']:.1f} %) fall outside the {result['video']} frames: were the "
            "annotations made for another resolution? Rescale them with --annotation-size WxH",
            file=sys.stderr,
        )


def register(sub) -> None:
    p = sub.add_parser("frames", help="extract frames: aligned with the 60 fps AIST++ annotations, or of any video")
    p.add_argument("video", help="the video (an AIST++ name like gBR_sBM_c01_d04_mBR0_ch01.mp4 with --anno-dir)")
    p.add_argument("--out", required=True, help="folder for <frame:06d>.jpg and frame_mapping.json")
    p.add_argument(
        "--anno-dir",
        default=None,
        help="AIST++ annotations: frame i is annotation frame i of the video's sequence (the video must "
        "have an AIST++ name); without it any video is extracted at --fps",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="output frame rate, rounding down as ffmpeg's fps filter (default: 60 with --anno-dir, else "
        "the video's own)",
    )
    add_options(p, FrameOptions)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=frames_command)

    p = sub.add_parser("coco", help="COCO keypoint dataset for RTMPose from aligned frames")
    p.add_argument("--split", required=True, help="dataset split name, e.g. train")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations (keypoints2d/, splits/)")
    p.add_argument("--frames", nargs="+", required=True, help="frames folders (with frame_mapping.json)")
    p.add_argument("--out", required=True, help="rtmpose_dataset/<split>")
    add_options(p, CocoOptions)
    p.add_argument("--mmpose-config", default=None, help="also write an MMPose config here")
    p.add_argument("--train-split", default="train", help="split the MMPose config trains on")
    p.set_defaults(func=coco_command)

    p = sub.add_parser("overlay", help="QA overlays: stick figures over frames (PNG + MP4)")
    p.add_argument("frames", help="frames folder of one video (or its frame_mapping.json)")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations (keypoints2d/, keypoints3d/, cameras/)")
    p.add_argument("--out", required=True, help="folder for <frame:06d>.png and overlay.mp4")
    add_options(p, OverlayOptions)
    p.add_argument("--no-video", action="store_true", help="PNG frames only (the same as --video false)")
    p.add_argument(
        "--annotation-size",
        type=annotation_size,
        default=None,
        metavar="WxH",
        help="the frame size the keypoints were made for (default: the source video's); they are "
        "rescaled to the frames",
    )
    p.add_argument("--audio", default=None, help="mux the audio of this file into overlay.mp4")
    p.set_defaults(func=overlay_command)
