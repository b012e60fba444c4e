"""``rhythm track`` and ``rhythm import-keypoints``: several people, and detections from other tools."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import Any

from rhythm.core.aist import CAMERAS
from rhythm.core.options import add_options, from_args
from rhythm.people.detections import FORMATS, FPS, OPENPOSE_MODELS, PEOPLE, read_detections, write_keypoints2d
from rhythm.people.grounding import place_people
from rhythm.people.tracking import TrackOptions


def track_command(args: argparse.Namespace) -> None:
    from rhythm.people.tracking import track_file

    result = track_file(
        args.detections,
        args.out,
        from_args(TrackOptions, args),
        fps=args.fps,
        report_out=args.report,
        details_out=args.details,
    )
    rep = result.report
    print(
        f"{args.out}: {rep['people_found']} of {rep['max_people']} people over {rep['frames']} frames; "
        f"{rep['track_switches']} track switch(es), {rep['stitches']} stitch(es), {rep['reidentified']} "
        f"re-identified; gaps {rep['gaps_interpolated']} filled, {rep['gaps_long']} long; "
        f"{rep['spurious_detections']} spurious and {rep['extra_detections']} extra detection(s) dropped"
    )


def register(sub) -> None:
    p = sub.add_parser("track", help="stable identities for up to N people from per-frame detections (.json/.npy)")
    p.add_argument(
        "detections", help="detections: JSON (see rhythm.people.tracking.load_detections) or (T, M, K, C) .npy"
    )
    p.add_argument("--out", required=True, help="keypoints (T, N, K, C+1) float32 .npy, NaN where absent")
    p.add_argument("--report", default=None, help="JSON report: people, switches, gaps, dropped detections")
    p.add_argument("--details", default=None, help=".npz with boxes and the presence masks")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the file's, else 30)")
    add_options(p, TrackOptions)
    p.set_defaults(func=track_command)

    register_import_keypoints(sub)


# ----------------------------------------------------------------------------- import-keypoints


_TRACK_SCOPE = {"max_people": "several people (tracker or tool ids)", "order": "several people (tracker or tool ids)"}
_TRACK_FLAGS = (
    "max_people",
    "min_box_score",
    "min_keypoint_score",
    "min_hits",
    "iou_weight",
    "keypoint_sigma",
    "min_similarity",
    "max_gap",
    "stitch_distance",
    "order",
)


def register_import_keypoints(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``import-keypoints`` to an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "import-keypoints",
        help="AlphaPose, OpenPose or MMPose 2D keypoints as AIST++ keypoints2d pickles",
        description="Read one camera's detections as the tool wrote them and write AIST++ keypoints2d "
        "(COCO-17, NaN where nobody was found). Several people: identities by the tool's own track "
        "ids when it tracked, else by rhythm's tracker.",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="alphapose-results.json, OpenPose's --write_json folder, or MMPose's predictions .json "
        "(or per-image folder); one per camera with --camera",
    )
    p.add_argument("--format", required=True, choices=FORMATS, dest="fmt", help="the tool that wrote INPUT")
    p.add_argument("--out", required=True, help="keypoints2d pickle to write (with --people all: OUT_p0.pkl, ...)")
    p.add_argument(
        "--camera",
        nargs="+",
        default=None,
        choices=CAMERAS,
        metavar="CAM",
        help="camera of each INPUT (c01..c09): writes all nine views, the others NaN, as AIST++ "
        "annotations are (default: one view, (1, T, 17, 3))",
    )
    p.add_argument("--fps", type=float, default=FPS, help=f"frame rate of the timestamps (default: {FPS:g})")
    p.add_argument(
        "--people",
        choices=PEOPLE,
        default="best",
        help="best: the person with the highest total score (default); all: one pickle per person",
    )
    p.add_argument(
        "--frames",
        type=int,
        default=None,
        help="number of frames T, padding with NaN after the last detection (default: up to it)",
    )
    p.add_argument(
        "--first-frame-number",
        type=int,
        default=None,
        help="the number that names frame 0 in file names or frame_id (default: 0; MMPose demo files 1)",
    )
    p.add_argument(
        "--openpose-model",
        choices=tuple(OPENPOSE_MODELS),
        default=None,
        help="OpenPose body model (default: by keypoint count, 25 BODY_25, 18 COCO, 135 BODY_135)",
    )
    p.add_argument("--report", default=None, help="JSON report: frames, people found, how identities were kept")
    p.add_argument(
        "--setting",
        default=None,
        help="the camera setting JSON (AIST++ format) of the INPUT's camera (--camera): every person is "
        "placed where their feet meet the floor, written to OUT_positions.npy (T, N, 3) in the "
        "setting's world units; without it the report keeps their depth order from the feet",
    )
    p.add_argument(
        "--floor-y",
        type=float,
        default=0.0,
        help="the floor's height in the setting's world units (AIST++: about 64 cm; see "
        "rhythm.people.grounding.floor_from_keypoints3d)",
    )
    _add_track_flags(p)
    p.set_defaults(func=import_keypoints_command)
    return p


def _add_track_flags(p: argparse.ArgumentParser) -> None:
    by_name = {f.name: f for f in fields(TrackOptions)}
    for name in _TRACK_FLAGS:
        f = by_name[name]
        p.add_argument(
            "--" + name.replace("_", "-"),
            type=type(f.default),
            default=f.default,
            choices=f.metadata["choices"],
            help=f"{_TRACK_SCOPE.get(name, 'tracking (several people, no tool ids)')}: {f.metadata['help']} "
            f"(default: {f.default})",
        )


def import_keypoints_command(args: argparse.Namespace) -> None:
    """The ``import-keypoints`` handler: read, find people, write, print one line per output."""
    if args.camera is None and len(args.inputs) > 1:
        raise SystemExit("several INPUTs need --camera, one camera each")
    if args.frames is not None and args.frames < 1:
        raise SystemExit("--frames must be at least 1")
    if args.fps <= 0:
        raise SystemExit("--fps must be positive")
    try:
        options = TrackOptions(**{name: getattr(args, name) for name in _TRACK_FLAGS})
    except ValueError as exc:
        raise SystemExit(f"{exc}") from None
    imports = [
        read_detections(path, args.fmt, first_frame_number=args.first_frame_number, openpose_model=args.openpose_model)
        for path in args.inputs
    ]
    if args.setting and (not args.camera or len(args.camera) != 1):
        raise SystemExit("--setting places the people of one camera: name it with --camera")
    try:
        paths, report = write_keypoints2d(
            args.out, imports, args.people, args.fps, options, args.frames, args.camera, args.report
        )
    except ValueError as exc:
        raise SystemExit(f"{exc}") from None
    _print_summary(paths, report)
    if len(args.inputs) == 1 and (args.setting or len(paths) > 1):
        placed = place_people(
            paths,
            args.camera[0] if args.camera else None,
            args.setting,
            args.floor_y,
            Path(args.out).with_name(Path(args.out).stem + "_positions.npy"),
        )
        if args.report:
            from rhythm.core.io import read_json, write_json

            write_json(args.report, {**read_json(args.report), "placement": placed})
        print(f"  people placed: {placed['how']}" + (f" -> {placed['positions']}" if placed.get("positions") else ""))


def _print_summary(paths: list[Path], report: dict) -> None:
    parts = report["cameras"].values() if "cameras" in report else [report]
    for rep in parts:
        print(
            f"{rep['source']}: {rep['format']} {rep['layout']}, {rep['frames']} frames, {rep['detections']} "
            f"detection(s), {rep['people_found']} person(s) found ({rep['identities']})"
        )
    for path in paths:
        print(f"  -> {path}")
