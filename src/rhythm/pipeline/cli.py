"""``rhythm config``, ``status`` and ``report``: a run's settings, what is in an AIST++ tree, and the data report."""

from __future__ import annotations

import argparse
import json


def _selection(args: argparse.Namespace):
    from rhythm.pipeline.selection import Selection

    return Selection(
        splits=args.splits,
        genres=args.genres or None,
        cameras=args.cameras,
        exclude_videos=args.exclude_videos,
        limit=args.limit,
    )


def _add_selection(p: argparse.ArgumentParser) -> None:
    from rhythm.core import aist

    p.add_argument(
        "--splits",
        nargs="+",
        default=list(aist.SPLITS),
        choices=aist.SPLITS,
        metavar="SPLIT",
        help="splits to report (default: all six)",
    )
    p.add_argument("--genres", nargs="*", default=None, help="keep only these genres, e.g. gLH")
    p.add_argument("--cameras", nargs="+", default=list(aist.CAMERAS), help="cameras (default c01..c09)")
    p.add_argument("--exclude-videos", nargs="*", default=[], help="video names to leave out")
    p.add_argument("--limit", type=int, default=None, help="at most this many sequences per split")


def _cmd_status(args: argparse.Namespace) -> None:
    from rhythm.pipeline.report import data_status, render_text

    if args.versions:
        from rhythm.core.ffmpeg import tool_versions

        versions = tool_versions()
        print(
            json.dumps(versions, indent=2) if args.json else "".join(f"{k}: {v}\n" for k, v in versions.items()),
            end="\n" if args.json else "",
        )
        if not args.anno_dir:
            return
    if not args.anno_dir:
        raise SystemExit("rhythm status: --anno-dir is required (or --versions alone)")
    status = data_status(args.anno_dir, args.video_dir, _selection(args))
    if args.csv:
        from rhythm.pipeline.tables import split_table, write_csv

        write_csv(split_table(status), args.csv)
    print(json.dumps(status, indent=2) if args.json else render_text(status), end="\n" if args.json else "")


def _cmd_report(args: argparse.Namespace) -> None:
    from rhythm.core.io import write_json, write_text
    from rhythm.pipeline.report import build_report, data_status, render_html, render_text
    from rhythm.pipeline.selection import select_sequences

    selection = _selection(args)
    status = data_status(args.anno_dir, args.video_dir, selection)
    by_split = select_sequences(args.anno_dir, selection)
    sequences = sorted({s for seqs in by_split.values() for s in seqs})
    from rhythm.core.ffmpeg import tool_versions

    status["tools"] = tool_versions()
    report = build_report(
        status,
        args.frames,
        args.beats,
        args.poses,
        args.coco,
        args.overlays,
        args.reprojection,
        args.reconstruction,
        landmarks=args.landmarks,
        landmarks_skipped=args.landmarks_skipped,
        music=args.music,
        sequences=sequences,
        notes=args.note,
        rtmpose=args.rtmpose,
        rtmpose_skipped=args.rtmpose_skipped,
    )
    write_json(args.out_json, report)
    text = render_text(report)
    write_text(args.out_text, text)
    if args.out_html:
        write_text(args.out_html, render_html(report, args.beat_plots, args.out_html))
    if args.out_splits_csv:
        from rhythm.pipeline.tables import split_table, write_csv

        write_csv(split_table(report), args.out_splits_csv)
    if args.out_sequences_csv:
        from rhythm.pipeline.tables import sequence_table, write_csv

        table = sequence_table(
            args.anno_dir,
            by_split,
            selection,
            args.video_dir,
            frame_mappings=args.frames,
            beats=args.beats,
            poses=args.poses,
            overlays=args.overlays,
            reprojection=args.reprojection,
            landmarks=args.landmarks,
        )
        write_csv(table, args.out_sequences_csv)
    print(text, end="")


def _cmd_config(args: argparse.Namespace) -> None:
    import yaml

    from rhythm.pipeline.config import load_config

    config = load_config(args.configfile)
    if not args.check:
        print(yaml.safe_dump(config, sort_keys=False), end="")


def register(sub) -> None:
    p = sub.add_parser("config", help="a workflow config checked against the schema, printed with every default")
    p.add_argument("--configfile", default="config/config.yaml", help="the config file (default: the demo's)")
    p.add_argument("--check", action="store_true", help="only check it (errors name the key and what is wrong)")
    p.set_defaults(func=_cmd_config)

    p = sub.add_parser("status", help="what is in an AIST++ tree: splits, annotations, videos, frames")
    p.add_argument("--anno-dir", default=None, help="AIST++ annotations folder")
    p.add_argument(
        "--versions",
        action="store_true",
        help="also print the ffmpeg (path and version) and PyAV that Rhythm runs, and its own version",
    )
    p.add_argument("--video-dir", default=None, help="folder of <video>.mp4 (counts present and missing videos)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--csv", default=None, metavar="PATH", help="also write the split table as CSV (pandas.read_csv)")
    _add_selection(p)
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("report", help="the data report (JSON + text) of a run")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations folder")
    p.add_argument("--video-dir", default=None, help="folder of <video>.mp4 (counts present and missing videos)")
    p.add_argument("--frames", nargs="*", default=[], help="frame_mapping.json files")
    p.add_argument("--beats", nargs="*", default=[], help="beats JSON files")
    p.add_argument("--music", nargs="*", default=[], help="audio/<music>.json reports of rhythm audio")
    p.add_argument(
        "--note", action="append", default=[], help="a planning note: what was left out and why (repeatable)"
    )
    p.add_argument("--poses", nargs="*", default=[], help="poses .npy files")
    p.add_argument("--coco", nargs="*", default=[], help="COCO annotation JSON files")
    p.add_argument("--overlays", nargs="*", default=[], help="overlay.mp4 files")
    p.add_argument("--reprojection", nargs="*", default=[], help="per-sequence reprojection JSON files")
    p.add_argument("--reconstruction", default=None, help="reconstruction/errors.json")
    p.add_argument("--landmarks", nargs="*", default=[], help="the landmarks stage's JSON reports (landmarks/*.json)")
    p.add_argument("--landmarks-skipped", default=None, help="why the landmarks stage did not run (for the report)")
    p.add_argument("--rtmpose", default=None, help="the fine-tuned RTMPose's metrics.json")
    p.add_argument("--rtmpose-skipped", default=None, help="why the RTMPose stage did not run (for the report)")
    p.add_argument("--out-json", required=True, help="the report JSON to write")
    p.add_argument("--out-text", required=True, help="the report text to write")
    p.add_argument("--out-html", default=None, help="also an HTML page with the beat plots")
    p.add_argument("--out-splits-csv", default=None, help="also the split table as CSV")
    p.add_argument(
        "--out-sequences-csv", default=None, help="also a CSV with one row per sequence: annotations, videos, QA"
    )
    p.add_argument("--beat-plots", nargs="*", default=[], help="PNG plots to show in the HTML page")
    _add_selection(p)
    p.set_defaults(func=_cmd_report)
