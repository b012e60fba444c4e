"""``rhythm rtmpose-train``, ``rtmpose-evaluate`` and ``rtmpose-infer``: RTMPose on the COCO sets."""

from __future__ import annotations

import argparse

from rhythm.core.options import add_options, from_args
from rhythm.rtmpose.options import RtmposeOptions


def _train(args: argparse.Namespace) -> None:
    from rhythm.pipeline.resources import claim_gpu
    from rhythm.rtmpose.train import train_rtmpose

    with claim_gpu(args.device) as device:
        s = train_rtmpose(args.coco_root, args.out, from_args(RtmposeOptions, args), device=device)
    print(
        f"{args.out}: {s['model']} from {s['started_from']}, {s['epochs']} epochs ({s['iterations']} iterations, "
        f"{s['train_images']} images) on {s['device']} in {s['elapsed_s']} s; loss {s['first_loss']} -> "
        f"{s['last_loss']}, best val AP {s['best_val_ap']}" + (" (resumed)" if s["resumed"] else "")
    )


def _evaluate(args: argparse.Namespace) -> None:
    from rhythm.pipeline.resources import claim_gpu
    from rhythm.rtmpose.evaluate import evaluate_rtmpose

    with claim_gpu(args.device) as device:
        r = evaluate_rtmpose(
            args.coco_root,
            args.checkpoint,
            args.out,
            from_args(RtmposeOptions, args),
            device=device,
            predictions_out=args.predictions,
            run=args.run,
        )
    f, p = r["fine_tuned"], r["pretrained"]
    print(
        f"{args.out}: {r['test_images']} test images, AP {f['AP']:.3f} (AP50 {f['AP .5']:.3f}, AR {f['AR']:.3f}), "
        f"PCK@0.05 {f['PCK@0.05']:.3f}" + (f"; COCO-pretrained AP {p['AP']:.3f}" if p else "")
    )


def _infer(args: argparse.Namespace) -> None:
    from rhythm.rtmpose.infer import infer_rtmpose

    r = infer_rtmpose(
        args.config, args.checkpoint, args.out, frames=args.frames, video=args.video, boxes=args.boxes,
        device=args.device, progress=not args.quiet,
    )  # fmt: skip
    print(f"{r['out']}: {r['frames']} frames at {r['fps']:g} fps ({r['boxes_from_coco']} boxes from the COCO file)")


def register(sub) -> None:
    p = sub.add_parser(
        "rtmpose-train",
        help="fine-tune RTMPose on Rhythm's COCO sets with MMPose's runner (resumes after a kill)",
    )
    p.add_argument("coco_root", help="rtmpose_dataset/ with train/, val/ and test/ (rule coco_split)")
    p.add_argument("--out", required=True, help="run folder: checkpoints/, config.py, scalars.json, curve.png")
    p.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu, cuda, cuda:1 ...")
    add_options(p, RtmposeOptions)
    p.set_defaults(func=_train)

    p = sub.add_parser("rtmpose-evaluate", help="COCO AP and PCK@0.05 of an RTMPose checkpoint on the test set")
    p.add_argument("coco_root", help="rtmpose_dataset/ with its test/ set")
    p.add_argument("--checkpoint", required=True, help="checkpoints/best.pth of rtmpose-train")
    p.add_argument("--out", required=True, help="metrics.json to write")
    p.add_argument("--predictions", default=None, help="also the test predictions (COCO results JSON)")
    p.add_argument("--run", default=None, help="run name for the metrics")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    add_options(p, RtmposeOptions)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("rtmpose-infer", help="an RTMPose checkpoint on frames or a video -> AIST++ keypoints2d")
    p.add_argument("--checkpoint", required=True, help="an RTMPose checkpoint (.pth)")
    p.add_argument("--config", required=True, help="its MMPose config (a run's config.py)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--frames", default=None, help="a folder of frames (Rhythm's, with frame_mapping.json)")
    source.add_argument("--video", default=None, help="a video file")
    p.add_argument("--boxes", default=None, help="COCO keypoints JSON of the same frames: their person boxes")
    p.add_argument("--out", required=True, help="keypoints2d pickle to write, (1, T, 17, 3)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_infer)
