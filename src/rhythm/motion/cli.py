"""``rhythm poses``, ``rhythm smpl``, ``rhythm audio2pose-layout``: the motion stage's subcommands."""

from __future__ import annotations

import argparse

from rhythm.core.options import add_options, from_args
from rhythm.motion.poses import PoseOptions


def poses_command(args: argparse.Namespace) -> None:
    from rhythm.motion.poses import pose_npy

    arr = pose_npy(args.keypoints3d, args.out, from_args(PoseOptions, args))
    print(f"{args.out}: {arr.shape} {arr.dtype}")


def smpl_command(args: argparse.Namespace) -> None:
    from rhythm.motion.poses import smpl_npy

    joints = smpl_npy(args.motion, args.joints, args.params)
    print(f"{args.joints}: {joints.shape}")


def audio2pose_command(args: argparse.Namespace) -> None:
    from rhythm.motion.audio2pose import write_audio2pose_layout

    index = write_audio2pose_layout(args.results, args.sequences, args.out, args.camera, pose_fps=args.pose_fps)
    print(f"{args.out}: {len(index['samples'])} samples (links)")


def register(sub) -> None:
    p = sub.add_parser("poses", help="(T, 17, 3) float32 .npy from a keypoints3d pickle")
    p.add_argument("keypoints3d", help="keypoints3d pickle (AIST++ format)")
    p.add_argument("--out", required=True, help="the .npy to write")
    add_options(p, PoseOptions)
    p.set_defaults(func=poses_command)

    p = sub.add_parser("smpl", help="SMPL joints (T, 24, 3) and parameters (T, 75) from a motions pickle")
    p.add_argument("motion", help="motions pickle (AIST++ format)")
    p.add_argument("--joints", required=True, help="(T, 24, 3) joints .npy to write (the SMPL convention)")
    p.add_argument(
        "--params", default=None, help="also (T, 75) parameters .npy: smpl_trans / smpl_scaling, then 72 axis-angles"
    )
    p.set_defaults(func=smpl_command)

    p = sub.add_parser("audio2pose-layout", help="link outputs into the Audio2Pose folder layout")
    p.add_argument("--results", required=True, help="results/<dataset>")
    p.add_argument("--sequences", nargs="+", required=True, help="sequences to link")
    p.add_argument("--out", required=True, help="the Audio2Pose folder to write")
    p.add_argument("--camera", default="c01", help="camera whose video name names each sample")
    p.add_argument("--pose-fps", type=float, default=60.0, help="frame rate of poses/*.npy (config poses.fps)")
    p.set_defaults(func=audio2pose_command)
