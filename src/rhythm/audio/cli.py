"""``rhythm audio``, ``rhythm beats``, ``rhythm features``: the audio stage's subcommands."""

from __future__ import annotations

import argparse
import sys

from rhythm.audio.beats import BeatOptions
from rhythm.audio.music import MusicOptions
from rhythm.core.options import add_options, from_args


def audio_command(args: argparse.Namespace) -> None:
    from rhythm.audio.music import extract_music

    opts = from_args(MusicOptions, args)
    info = extract_music(
        args.sources,
        args.out,
        music=args.music,
        anno_dir=args.anno_dir,
        sequences=args.sequences,
        max_mismatch=opts.max_mismatch,
        sample_rate=opts.sample_rate,
        allow_silence=opts.allow_silence,
        report=args.report,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(
        f"{args.out}: {info['sample_rate']} Hz mono, {info['duration_s']:.3f} s from {info['source']}"
        + (f" ({len(info['refused'])} source(s) refused)" if info["refused"] else "")
    )


def beats_command(args: argparse.Namespace) -> None:
    from rhythm.audio.beats import beats_for_file

    opts = from_args(BeatOptions, args, **({"percussive": False} if args.no_percussive else {}))
    data = beats_for_file(
        args.audio, args.out, opts, music=args.music, plot=args.plot, allow_silence=args.allow_silence
    )
    print(f"{data['music']}: {data['tempo_bpm']:.2f} BPM, {len(data['beat_times'])} beats -> {args.out}")


def features_command(args: argparse.Namespace) -> None:
    from rhythm.audio.features import features_for_file

    feats = features_for_file(args.audio, args.out, args.fps, allow_silence=args.allow_silence)
    print(f"{args.out}: {feats.shape} at {args.fps} fps")


def register(sub) -> None:
    p = sub.add_parser("audio", help="16 kHz mono WAV of a music track from a music file or its videos, checked")
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a music or video file; several: videos of one music id, the longest dance that passes "
        "the checks is used (refused ones are listed in --report)",
    )
    p.add_argument("--out", required=True, help="the WAV to write")
    p.add_argument("--report", default=None, help="JSON: the source used, refused ones and why, dances not covered")
    p.add_argument("--music", default=None, help="music id (default: the output's file stem)")
    p.add_argument(
        "--anno-dir",
        default=None,
        help="AIST++ annotations: order videos by their dance's length, "
        "check their frame counts, and check the music covers --sequences",
    )
    p.add_argument("--sequences", nargs="*", default=[], help="sequences that dance to this music (with --anno-dir)")
    add_options(p, MusicOptions)
    p.set_defaults(func=audio_command)

    p = sub.add_parser("beats", help="tempo and beat times of a music track (madmom by default, or librosa)")
    p.add_argument("audio", help="a WAV (or any audio file ffmpeg reads)")
    p.add_argument("--out", required=True, help="beats JSON to write")
    p.add_argument("--music", default=None, help="music id (default: the file's stem)")
    p.add_argument("--plot", default=None, help="PNG of the onset envelope with the beats")
    add_options(p, BeatOptions)
    p.add_argument("--no-percussive", action="store_true", help="the same as --percussive false")
    p.add_argument(
        "--allow-silence",
        action="store_true",
        help="track beats even in audio without audible music (a tracker invents beats in silence)",
    )
    p.set_defaults(func=beats_command)

    p = sub.add_parser("features", help="35-dim music features (FACT/EDGE baseline) at the motion frame rate")
    p.add_argument("audio", help="a WAV (16 kHz mono from rhythm audio)")
    p.add_argument("--out", required=True, help="the (T, 35) .npy to write")
    p.add_argument("--fps", type=int, choices=[60, 30], default=60, help="feature frame rate (the motion's)")
    p.add_argument("--allow-silence", action="store_true", help="compute features of audio without audible music")
    p.set_defaults(func=features_command)
