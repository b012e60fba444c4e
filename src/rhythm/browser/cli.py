"""``rhythm browser``, ``model-browser`` and ``browser-screenshots``: the dataset browser's pages."""

from __future__ import annotations

import argparse
import json


def _cmd_browser(args: argparse.Namespace) -> None:
    from rhythm.browser.build import build_dataset_browser

    info = build_dataset_browser(
        args.report,
        args.sequences,
        args.results,
        args.anno_dir,
        args.video_dir,
        args.out,
        copy_media=args.copy_media,
        progress=not args.quiet,
    )
    print(
        f"{args.out}: {info['sequences']} rows, {info['pages']} sequence pages, "
        f"{info['bytes'] / 1e6:.1f} MB ({info['seconds']} s); open it in a browser"
    )


def _cmd_model_browser(args: argparse.Namespace) -> None:
    from rhythm.browser.build import build_model_browser

    info = build_model_browser(args.generated, args.results, args.out, copy_media=args.copy_media, units=args.units)
    print(f"{args.out}: {info['tracks']} generated dances")


def _cmd_screenshots(args: argparse.Namespace) -> None:
    from rhythm.browser.screenshots import screenshot_pages

    pages = dict(item.split("=", 1) for item in args.page)
    print(json.dumps(screenshot_pages(pages, args.out_dir, play_s=args.play_s), indent=2))


def register(sub) -> None:
    p = sub.add_parser("browser", help="the dataset browser: static pages over a run's outputs (open from disk)")
    p.add_argument("--report", required=True, help="reports/data_report.json")
    p.add_argument("--sequences", required=True, help="reports/sequences.csv")
    p.add_argument("--results", required=True, help="the run's results/<dataset> folder")
    p.add_argument("--anno-dir", required=True, help="the AIST++ annotations the run read")
    p.add_argument("--video-dir", default=None, help="the videos the run read")
    p.add_argument("--out", required=True, help="results/<dataset>/browser/index.html")
    p.add_argument("--copy-media", action="store_true", help="copy videos and music into browser/media/")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_browser)

    p = sub.add_parser("model-browser", help="a model run's page: generated dances beside the ground truth")
    p.add_argument("--generated", required=True, help="results/generated/<run>")
    p.add_argument("--results", required=True, help="the dataset's results/<dataset> (music, beats)")
    p.add_argument("--out", required=True, help="results/generated/<run>/browser/index.html")
    p.add_argument("--copy-media", action="store_true", help="copy the music and videos into browser/media/")
    p.add_argument("--units", default="cm", choices=("cm", "m"), help="units of poses/<seq>.npy (poses.units)")
    p.set_defaults(func=_cmd_model_browser)

    p = sub.add_parser("browser-screenshots", help="screenshots of browser pages in headless Chromium")
    p.add_argument(
        "--page", action="append", required=True, metavar="NAME=PATH", help="e.g. index=results/demo/browser/index.html"
    )
    p.add_argument("--out-dir", required=True, help="folder for <NAME>.png")
    p.add_argument("--play-s", type=float, default=1.0, help="seconds to play a page's player first")
    p.set_defaults(func=_cmd_screenshots)
