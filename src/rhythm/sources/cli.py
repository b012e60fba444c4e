"""``rhythm demo-data``, ``standins``, ``download``, ``link-video``, ``inspect``: the data coming in."""

from __future__ import annotations

import argparse
from pathlib import Path

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.options import add_options, from_args
from rhythm.sources.demo import DemoRecipe
from rhythm.sources.download import DownloadOptions


def demo_data_command(args: argparse.Namespace) -> None:
    from rhythm.sources import demo

    summary = demo.generate(args.out, from_args(DemoRecipe, args), anno_dir=args.anno_dir, video_dir=args.video_dir)
    print(
        f"demo dataset: {len(summary['sequences'])} sequences, {len(summary['videos'])} videos, "
        f"{summary['num_frames']} frames each -> {args.out}"
    )


def standins_command(args: argparse.Namespace) -> None:
    from rhythm.sources.standins import write_standin_tree

    info = write_standin_tree(args.out, args.videos)
    print(f"{args.out}: {info['sequences']} sequences, {info['videos']} videos (empty stand-ins, for dry runs)")


def link_video_command(args: argparse.Namespace) -> None:
    from rhythm.sources.videos import link_video

    info = link_video(args.source, args.dest)
    print(f"{args.dest} -> {args.source}: {info.width}x{info.height}, {info.fps:g} fps, {info.num_frames} frames")


def download_command(args: argparse.Namespace) -> None:
    import concurrent.futures

    from rhythm.sources.download import download_video, expected_frames_of, require_terms

    require_terms(args.accept_terms_of_use)
    videos = list(args.video or [])
    if args.split:
        if not args.anno_dir:
            raise SystemExit("rhythm download: --split needs --anno-dir")
        ignored = aist.load_ignore_list(args.anno_dir)
        seqs = [s for s in aist.load_split(args.anno_dir, args.split) if s not in ignored]
        videos += [v for s in seqs for v in aist.video_names(s, args.cameras)]
    if args.genres:  # the Audio2Pose tool downloaded only gLH_ videos
        videos = [v for v in videos if aist.parse_name(v).genre in args.genres]
    if not videos:
        raise SystemExit("rhythm download: name videos with --video or a split with --split")
    opts = from_args(DownloadOptions, args)

    def one(video: str):
        if (Path(args.out) / f"{video}.mp4").is_file() and not args.overwrite:
            return video, None
        frames = expected_frames_of(args.anno_dir, video) if args.anno_dir else None
        try:
            download_video(video, args.out, opts, expected_frames=frames, manual_dest=args.manual_dest)
            return video, None
        except RhythmInputError as exc:
            return video, exc

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for video, exc in pool.map(one, videos):
            print(f"{video}: {'ok' if exc is None else f'FAILED: {exc}'}", flush=True)
            if exc is not None:
                failed.append(exc)
    if failed:
        if len(failed) == 1:
            raise failed[0]
        raise RhythmInputError(args.out, f"{len(failed)} of {len(videos)} downloads failed (listed above)")


def inspect_command(args: argparse.Namespace) -> None:
    from rhythm.sources.inspect import describe_pickle, plot_keypoints

    print(describe_pickle(args.file), end="")
    if args.plot:
        drawn = plot_keypoints(args.file, args.plot, frame=args.frame)
        print(f"{args.plot}: {drawn['kind']} {tuple(drawn['shape'])}, frame {drawn['frame']}")


def register(sub) -> None:
    p = sub.add_parser("demo-data", help="generate the miniature AIST++ demo dataset")
    p.add_argument("out", help="output folder (gets annotations/, videos/, music/)")
    p.add_argument("--anno-dir", default=None, help="annotations here instead of OUT/annotations")
    p.add_argument("--video-dir", default=None, help="videos here instead of OUT/videos")
    add_options(p, DemoRecipe)
    p.set_defaults(func=demo_data_command)

    p = sub.add_parser("standins", help="an AIST++-shaped tree of empty files, for full-size dry runs")
    p.add_argument("out", help="folder to write the tree into")
    p.add_argument("--videos", type=int, default=12670, help="how many videos (9 per sequence); 12670 = all")
    p.set_defaults(func=standins_command)

    p = sub.add_parser("download", help="download AIST Dance DB videos (retries, resume, checked, atomic)")
    p.add_argument("--video", action="append", help="video name, e.g. gBR_sBM_c01_d04_mBR0_ch01 (repeatable)")
    p.add_argument("--split", default=None, choices=aist.SPLITS, help="every video of this split (needs --anno-dir)")
    p.add_argument("--cameras", nargs="+", default=list(aist.CAMERAS), help="cameras of --split (default all)")
    p.add_argument(
        "--genres",
        nargs="+",
        default=None,
        choices=list(aist.GENRES),
        metavar="GENRE",
        help="only videos of these genres, e.g. gLH (the Audio2Pose tool's LA-style hip-hop)",
    )
    p.add_argument("--anno-dir", default=None, help="annotations: check each video's frame count against them")
    p.add_argument("--out", "--download_folder", dest="out", required=True, help="folder for <video>.mp4")
    add_options(p, DownloadOptions)
    p.add_argument(
        "--jobs",
        "--num-processes",
        "--num_processes",
        "--numProcesses",
        dest="jobs",
        type=int,
        default=1,
        help="parallel downloads (the AIST++ scripts' --num_processes / --numProcesses)",
    )
    p.add_argument("--manual-dest", default=None, help="where a 404 message says to put a hand-downloaded file")
    p.add_argument("--overwrite", action="store_true", help="download again even if the file exists")
    p.add_argument(
        "--accept-terms-of-use",
        action="store_true",
        help="you have read and accept https://aistdancedb.ongaaccel.jp/terms_of_use/",
    )
    p.set_defaults(func=download_command)

    p = sub.add_parser("link-video", help="check a source video and link it into the results")
    p.add_argument("source", help="the source video")
    p.add_argument("dest", help="the link to write (results/<dataset>/videos/<video>.mp4)")
    p.set_defaults(func=link_video_command)

    p = sub.add_parser("inspect", help="keys, shapes, dtypes and ranges of an AIST++ pickle (and a plot)")
    p.add_argument("file", help="an AIST++ pickle (keypoints2d, keypoints3d or motions)")
    p.add_argument(
        "--plot",
        default=None,
        help="also draw a keypoints pickle to this PNG: keypoints2d as one panel "
        "per camera on a blank 1920x1080 frame, keypoints3d in 3D (the old visualizeKeypoints.py)",
    )
    p.add_argument("--frame", type=int, default=0, help="the frame to draw with --plot")
    p.set_defaults(func=inspect_command)
