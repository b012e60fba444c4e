"""``rhythm track`` and ``rhythm import-keypoints``: several people, and detections from other tools."""

from __future__ import annotations

import argparse

from rhythm.core.options import add_options, from_args
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

    from rhythm.people.detections import register as add_import_keypoints

    add_import_keypoints(sub)
