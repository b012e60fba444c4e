"""The ``rhythm`` command: one subcommand per pipeline stage, usable with or without Snakemake.

Each subcommand parses its arguments and calls one library function; the Snakemake rules call
these subcommands. ``rhythm <stage> --help`` describes each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rhythm import __version__
from rhythm.core.errors import RhythmInputError


def _cmd_demo_data(args: argparse.Namespace) -> None:
    from rhythm.sources import demo

    recipe = demo.DemoRecipe(seed=args.seed, duration_s=args.duration, width=args.width,
                             height=args.height, cameras=tuple(args.cameras), advanced_s=args.advanced)
    summary = demo.generate(args.out, recipe, anno_dir=args.anno_dir, video_dir=args.video_dir)
    print(f"demo dataset: {len(summary['sequences'])} sequences, {len(summary['videos'])} videos, "
          f"{summary['num_frames']} frames each -> {args.out}")


def _selection(args: argparse.Namespace):
    from rhythm.pipeline.selection import Selection

    return Selection(splits=args.splits, genres=args.genres or None, cameras=args.cameras,
                     exclude_videos=args.exclude_videos, limit=args.limit)


def _cmd_status(args: argparse.Namespace) -> None:
    from rhythm.pipeline.report import data_status, render_text

    if args.versions:
        from rhythm.core.ffmpeg import tool_versions

        versions = tool_versions()
        print(json.dumps(versions, indent=2) if args.json else "".join(f"{k}: {v}\n" for k, v in versions.items()),
              end="\n" if args.json else "")
        if not args.anno_dir:
            return
    if not args.anno_dir:
        raise SystemExit("rhythm status: --anno-dir is required (or --versions alone)")
    status = data_status(args.anno_dir, args.video_dir, _selection(args))
    print(json.dumps(status, indent=2) if args.json else render_text(status), end="\n" if args.json else "")


def _cmd_link_video(args: argparse.Namespace) -> None:
    from rhythm.sources.videos import link_video

    info = link_video(args.source, args.dest)
    print(f"{args.dest} -> {args.source}: {info.width}x{info.height}, {info.fps:g} fps, {info.num_frames} frames")


def _cmd_frames(args: argparse.Namespace) -> None:
    from rhythm.video.frames import FrameOptions, extract_for_video, extract_frames

    fps = args.fps if args.fps else (60.0 if args.anno_dir else None)
    opts = FrameOptions(fps=fps, align=args.align, quality=args.quality, stride=args.stride,
                        max_mismatch=args.max_mismatch, width=args.width, height=args.height, workers=args.workers)
    if args.anno_dir:
        mapping = extract_for_video(args.video, args.anno_dir, args.out, opts, progress=not args.quiet)
    else:
        if args.align == "timestamps":
            raise SystemExit("--align timestamps needs --anno-dir (the annotations' timestamps)")
        mapping = extract_frames(args.video, args.out, options=opts, progress=not args.quiet)
    print(f"{mapping['video']}: {mapping['num_frames']} frames -> {args.out}")
    for note in mapping["notes"]:
        print(f"  note: {note}")


def _cmd_download(args: argparse.Namespace) -> None:
    import concurrent.futures

    from rhythm.core import aist
    from rhythm.sources.download import DownloadOptions, download_video, expected_frames_of, require_terms

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
    opts = DownloadOptions(base_url=args.base_url, retries=args.retries, backoff_s=args.backoff,
                           max_mismatch=args.max_mismatch)

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


def _cmd_coco(args: argparse.Namespace) -> None:
    from rhythm.video.coco import CocoOptions, build_split, write_mmpose_config

    opts = CocoOptions(stride=args.stride, visible_threshold=args.visible_threshold,
                       labeled_threshold=args.labeled_threshold, margin=args.margin, link=args.link,
                       min_det_score=args.min_det_score)
    coco = build_split(args.split, args.frames, args.anno_dir, args.out, opts)
    print(f"COCO {args.split}: {len(coco['images'])} images, {len(coco['annotations'])} annotations -> {args.out}")
    if args.mmpose_config:
        write_mmpose_config(args.mmpose_config, args.split, Path(args.out).parent, args.train_split)


def _cmd_overlay(args: argparse.Namespace) -> None:
    from rhythm.video.overlays import OUTSIDE_WARNING, OverlayOptions, render_overlays

    size = None
    if args.annotation_size:
        try:
            size = tuple(int(v) for v in args.annotation_size.lower().split("x"))
            assert len(size) == 2 and min(size) > 0
        except (ValueError, AssertionError):
            raise SystemExit(f"--annotation-size must be WIDTHxHEIGHT, like 1920x1080, not {args.annotation_size!r}")
    opts = OverlayOptions(mode=args.mode, min_confidence=args.min_confidence, limit=args.limit,
                          video=not args.no_video, annotation_size=size, motions=args.motions,
                          smpl_model=args.smpl_model)
    result = render_overlays(args.frames, args.anno_dir, args.out, opts, audio_source=args.audio)
    video = f", overlay.mp4 of {result['frames']} frames" if result["video_written"] else ""
    print(f"{result['video']}: {result['pngs']} PNG frames{video} -> {args.out}")
    if result["outside_fraction"] > OUTSIDE_WARNING:
        print(f"warning: {result['keypoints_outside']} of {result['keypoints_drawn']} drawn keypoints "
              f"({100 * result['outside_fraction']:.1f} %) fall outside the {result['video']} frames: were the "
              "annotations made for another resolution? Rescale them with --annotation-size WxH", file=sys.stderr)


def _cmd_audio(args: argparse.Namespace) -> None:
    from rhythm.audio.music import extract_music

    info = extract_music(args.sources, args.out, music=args.music, anno_dir=args.anno_dir, sequences=args.sequences,
                         max_mismatch=args.max_mismatch, sample_rate=args.sample_rate,
                         allow_silence=args.allow_silence, report=args.report,
                         log=lambda line: print(line, file=sys.stderr))
    print(f"{args.out}: {info['sample_rate']} Hz mono, {info['duration_s']:.3f} s from {info['source']}"
          + (f" ({len(info['refused'])} source(s) refused)" if info["refused"] else ""))


def _cmd_beats(args: argparse.Namespace) -> None:
    from rhythm.audio.beats import BeatOptions, beats_for_file

    opts = BeatOptions(tracker=args.tracker, start_bpm=args.start_bpm, min_bpm=args.min_bpm, max_bpm=args.max_bpm,
                       tightness=args.tightness, percussive=not args.no_percussive, fps=args.fps)
    data = beats_for_file(args.audio, args.out, opts, music=args.music, plot=args.plot,
                          allow_silence=args.allow_silence)
    print(f"{data['music']}: {data['tempo_bpm']:.2f} BPM, {len(data['beat_times'])} beats -> {args.out}")


def _cmd_poses(args: argparse.Namespace) -> None:
    from rhythm.motion.poses import PoseOptions, pose_npy

    opts = PoseOptions(optim=args.optim, units=args.units, center=args.center, fps=args.fps,
                       smooth_sigma=args.smooth)
    arr = pose_npy(args.keypoints3d, args.out, opts)
    print(f"{args.out}: {arr.shape} {arr.dtype}")


def _cmd_features(args: argparse.Namespace) -> None:
    from rhythm.audio.features import features_for_file

    feats = features_for_file(args.audio, args.out, args.fps, allow_silence=args.allow_silence)
    print(f"{args.out}: {feats.shape} at {args.fps} fps")


def _cmd_smpl(args: argparse.Namespace) -> None:
    from rhythm.motion.poses import smpl_npy

    joints = smpl_npy(args.motion, args.joints, args.params)
    print(f"{args.joints}: {joints.shape}")


def _cmd_audio2pose(args: argparse.Namespace) -> None:
    from rhythm.motion.audio2pose import write_audio2pose_layout

    index = write_audio2pose_layout(args.results, args.sequences, args.out, args.camera, pose_fps=args.pose_fps)
    print(f"{args.out}: {len(index['samples'])} samples (links)")


def _cmd_report(args: argparse.Namespace) -> None:
    from rhythm.core.io import write_json, write_text
    from rhythm.pipeline.report import build_report, data_status, render_html, render_text

    from rhythm.pipeline.selection import select_sequences

    selection = _selection(args)
    status = data_status(args.anno_dir, args.video_dir, selection)
    sequences = sorted({s for seqs in select_sequences(args.anno_dir, selection).values() for s in seqs})
    from rhythm.core.ffmpeg import tool_versions

    status["tools"] = tool_versions()
    report = build_report(status, args.frames, args.beats, args.poses, args.coco, args.overlays,
                          args.reprojection, args.reconstruction, landmarks=args.landmarks,
                          landmarks_skipped=args.landmarks_skipped, music=args.music, sequences=sequences,
                          notes=args.note)
    write_json(args.out_json, report)
    text = render_text(report)
    write_text(args.out_text, text)
    if args.out_html:
        write_text(args.out_html, render_html(report, args.beat_plots, args.out_html))
    print(text, end="")


def _landmark_options(args: argparse.Namespace):
    from rhythm.landmarks.keypoints import resolve_selection
    from rhythm.landmarks.sampling import SamplingOptions
    from rhythm.landmarks.stage import LandmarkOptions

    keypoints = args.keypoints if not args.keypoints[0].isdigit() else [int(k) for k in args.keypoints.split(",")]
    sampling = SamplingOptions(reduce_fps_to=args.reduce_fps_to or None, accept_fps_within=tuple(args.accept_fps_within),
                               frame_skip=args.frame_skip)
    camera, floor_y = _landmark_camera(args)
    return LandmarkOptions(sampling=sampling, policy=args.policy, keypoints=resolve_selection(keypoints),
                           camera=camera, floor_y=floor_y,
                           add_visible=args.add_visible and not args.no_visible, kpt_threshold=args.kpt_thr,
                           remove_z=args.remove_z, batch_frames=args.batch_frames,
                           tracking=_tracking_options(args) if args.policy == "people" else None)


def _landmark_camera(args: argparse.Namespace):
    """The video's camera and floor, to place people on the floor: from --cameras/--camera, or for an
    AIST++ video from --anno-dir (its setting through mapping.txt; the floor under its keypoints3d)."""
    from rhythm.core import aist
    from rhythm.people.grounding import floor_from_keypoints3d

    if not (args.cameras or args.anno_dir):
        return None, 0.0
    stem = Path(args.video).stem
    try:
        name = aist.parse_name(stem)
    except ValueError:
        name = None
    if args.cameras:
        cams = aist.load_camera_setting(args.cameras)
        which = args.camera or (name.camera if name else None)
        if which not in cams:
            raise RhythmInputError(args.cameras, f"no camera {which!r} in it (cameras: {', '.join(cams)}); "
                                                 "name one with --camera")
        return cams[which], args.floor_y or 0.0
    if name is None:
        print(f"note: {args.video} is not an AIST++ video, so --anno-dir names no camera: z stays relative to each "
              "person's root (pass --cameras SETTING.json --camera NAME to place people)", file=sys.stderr)
        return None, 0.0
    camera = aist.load_cameras(args.anno_dir, name.sequence)[name.camera]
    floor = args.floor_y
    kp3d = aist.keypoints3d_path(args.anno_dir, name.sequence)
    if floor is None and kp3d.is_file():
        floor = floor_from_keypoints3d(aist.load_keypoints3d(kp3d, optim=True))
    return camera, floor or 0.0


def _cmd_landmarks(args: argparse.Namespace) -> None:
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: idle threads sleep, not spin
    from rhythm.core.ffmpeg import probe_video
    from rhythm.landmarks.backend import RANDOM_INIT
    from rhythm.landmarks.models import require_weights, weight_path
    from rhythm.pipeline.resources import claim_gpu

    probe_video(args.video)  # a missing or broken video fails before any model is loaded
    options = _landmark_options(args)
    configs = {k: v for k, v in (("det_config", args.det_config), ("pose_config", args.pose_config)) if v}
    weights = {}
    for kind, model in (("detector", args.detector), ("pose", args.pose)):
        # the config's names (rtmdet-m-person, rtmw3d-l), file names in --models-dir, or paths; checked
        # before OpenMMLab or onnxruntime is imported, so a missing file says how to get it at once
        weights[kind] = model if model == RANDOM_INIT else require_weights(weight_path(model, args.backend,
                                                                                        args.models_dir))
    with claim_gpu(args.device) as device:  # several GPUs: one no other job holds
        _landmarks_on(args, weights, configs, options, device)


def _landmarks_on(args: argparse.Namespace, weights: dict, configs: dict, options, device: str) -> None:
    from rhythm.landmarks.backend import RANDOM_INIT, load_backend
    from rhythm.landmarks.stage import landmarks_for_video

    backend = load_backend(args.backend, weights["detector"], weights["pose"], device=device,
                           batch_size=args.batch_size, det_score_thr=args.det_score_thr, threads=args.threads,
                           **configs)
    if RANDOM_INIT in (backend.weights or {}).values():
        print(f"warning: random weights ({backend.weights}): the landmarks mean nothing", file=sys.stderr)
    report = landmarks_for_video(args.video, args.out, backend, options, start_s=args.start, end_s=args.end,
                                 segment=args.segment, progress=not args.quiet)
    if report["status"] == "skipped":
        print(f"{report['video']}: skipped ({report['reason']}) -> {args.out} (empty)")
    else:
        print(f"{report['video']}: {report['frames']} frames at {report['fps']:g} fps, {report['frames_with_person']} "
              f"with a person, {report['frames_per_s']} frames/s on {report['device']} -> {args.out}")


def _cmd_landmarks_validate(args: argparse.Namespace) -> None:
    from rhythm.landmarks.validate import validate_dir

    summary = validate_dir(args.folder, args.num_keypoints, args.channels, kpt_threshold=args.kpt_thr,
                           has_score=not args.no_score)
    if args.out:
        from rhythm.core.io import write_json

        write_json(args.out, summary)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, r in summary["results"].items():
            state = "INVALID" if r["errors"] else "ok"
            print(f"{name}: {state} {r.get('shape', '')}" + "".join(f"\n  error: {e}" for e in r["errors"])
                  + "".join(f"\n  warning: {w}" for w in r["warnings"]))
        print(f"{summary['valid']} of {summary['files']} files valid, {summary['frames']} frames, "
              f"{len(summary['skipped'])} skipped segments")
    if summary["invalid"]:
        raise RhythmInputError(args.folder, f"{len(summary['invalid'])} invalid landmark file(s): "
                               + ", ".join(summary["invalid"][:5]))


def _cmd_standins(args: argparse.Namespace) -> None:
    from rhythm.sources.standins import write_standin_tree

    info = write_standin_tree(args.out, args.videos)
    print(f"{args.out}: {info['sequences']} sequences, {info['videos']} videos (empty stand-ins, for dry runs)")


def _cmd_inspect(args: argparse.Namespace) -> None:
    from rhythm.sources.inspect import describe_pickle, plot_keypoints

    print(describe_pickle(args.file), end="")
    if args.plot:
        drawn = plot_keypoints(args.file, args.plot, frame=args.frame)
        print(f"{args.plot}: {drawn['kind']} {tuple(drawn['shape'])}, frame {drawn['frame']}")


def _cmd_reprojection(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.reprojection import reprojection_errors

    result = reprojection_errors(args.anno_dir, args.sequence, optim=args.optim)
    if args.out:
        from rhythm.core.io import write_json

        write_json(args.out, result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for cam, err in result["median_px"].items():
            flag = "  <- outlier" if cam in result["outliers"] else ""
            print(f"{cam}: {err:8.2f} px{flag}")


def _cmd_model_config(args: argparse.Namespace) -> None:
    import yaml

    from rhythm.core.io import write_text
    from rhythm.model.config import training_run_from_dict

    try:
        settings = json.loads(args.settings)
        run = training_run_from_dict(settings)
    except (ValueError, KeyError) as exc:
        raise RhythmInputError(args.out, f"bad model settings: {exc}") from None
    write_text(args.out, "# Written by `rhythm model-config`: what `rhythm train --config` trains.\n"
               + yaml.safe_dump(run.to_dict(), sort_keys=False))
    print(f"{args.out}: run {run.run}, " + ", ".join(f"{k} {len(v)}" for k, v in run.splits.items()))


def _cmd_train(args: argparse.Namespace) -> None:
    import dataclasses
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep: no spinning on busy cores
    from rhythm.model.config import load_training_run
    from rhythm.model.train import train

    run = load_training_run(args.config)
    if args.steps is not None:
        training = dataclasses.replace(run.model.training, steps=args.steps)
        run = dataclasses.replace(run, model=dataclasses.replace(run.model, training=training))
    from rhythm.pipeline.resources import claim_gpu

    with claim_gpu(args.device) as device:  # several GPUs: one no other job holds
        summary = train(run, args.out, threads=args.threads, device=device, restart=args.restart,
                        progress=not args.quiet)
    print(f"{summary['run']}: {summary['steps']} steps in {summary['elapsed_s']:.1f} s on {summary['device']} "
          f"({summary['samples_per_s']} samples/s), loss {summary['first_loss']:.4f} -> {summary['last_loss']:.4f}, "
          f"best step {summary['best']['step']}")


def _cmd_generate(args: argparse.Namespace) -> None:
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    from rhythm.model.config import VideoConfig
    from rhythm.model.generate import GenerateOptions, generate

    if args.threads:
        torch.set_num_threads(args.threads)
    genre = None if args.genre.lower() == "none" else args.genre
    opts = GenerateOptions(
        seed=args.seed, genre=genre, seed_motion=args.seed_motion, seed_motion_s=args.seed_seconds,
        guidance=args.guidance, sampling_steps=args.steps, overlap=args.overlap, batched=not args.sequential,
        device=args.device, render=not args.no_video, samples=args.samples,
        video=VideoConfig(width=args.width, height=args.height, fps=args.video_fps), progress=not args.quiet,
    )
    summary = generate(args.checkpoint, args.audio, args.out, opts, features=args.features, name=args.name)
    print(f"{summary['audio']}: {summary['frames']} frames ({summary['duration_s']:.2f} s) at {summary['fps']} fps, "
          f"genre {summary['genre']}, denoised in {summary['sampling_s']:.2f} s -> "
          + ", ".join(summary["files"].values()))


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from rhythm.model.evaluate import evaluate_to_files

    info = None
    if args.checkpoint:
        from rhythm.model.checkpoint import read_checkpoint

        state = read_checkpoint(args.checkpoint)
        cfg = state["config"]
        info = {"checkpoint": args.checkpoint, "step": state["step"], "representation": cfg["representation"],
                "fps": cfg["fps"], "window_s": cfg["window_s"],
                "network": "dim {dim}, {layers} layers, {heads} heads".format(**cfg["network"]),
                "trained on": ", ".join(state["data"]["train"])}
    result = evaluate_to_files(
        args.out_json, args.out_report, model_info=info, generated=args.generated, ground_truth=args.ground_truth,
        train=args.train, beats_dir=args.beats_dir, clip_s=args.clip_s, clip_stride_s=args.clip_stride_s,
        seed=args.seed, reference=not args.corrected_kinetics, units_per_metre=args.units_per_metre, run=args.run,
        seed_motion_s=args.seed_motion_s, baseline_draws=args.baseline_draws,
    )
    mm = result["music_matters"]
    m = result["model"]
    print(f"FID_k {m['fid_k']:.3f} (random training clips {mm['fid_k_random_training_clips']:.3f}), "
          f"FID_g {m['fid_g'] if m['fid_g'] is None else round(m['fid_g'], 3)}, "
          f"BAS {mm['bas_own_music']} with its music vs {mm['bas_other_tracks']} against other tracks' beats "
          f"-> {args.out_json}")


def _add_selection(p: argparse.ArgumentParser) -> None:
    from rhythm.core import aist

    p.add_argument("--splits", nargs="+", default=list(aist.SPLITS), choices=aist.SPLITS, metavar="SPLIT",
                   help="splits to report (default: all six)")
    p.add_argument("--genres", nargs="*", default=None, help="keep only these genres, e.g. gLH")
    p.add_argument("--cameras", nargs="+", default=list(aist.CAMERAS), help="cameras (default c01..c09)")
    p.add_argument("--exclude-videos", nargs="*", default=[], help="video names to leave out")
    p.add_argument("--limit", type=int, default=None, help="at most this many sequences per split")


# ----------------------------------------------------------------------------- reconstruction
# Multi-view reconstruction: triangulation, camera bundle adjustment, SMPL skeleton fitting.


def _cmd_triangulate(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.triangulation import TriangulationOptions, triangulate_file

    opts = TriangulationOptions(view_factor=args.view_factor, view_min_px=args.view_min_px,
                                outlier_factor=args.outlier_factor, optimise=not args.no_optimise,
                                pixel_sigma=args.pixel_sigma, accel_sigma=args.accel_sigma,
                                bone_sigma=args.bone_sigma)
    result = triangulate_file(args.anno_dir, args.sequence, args.out, opts, cameras_json=args.cameras,
                              reference=args.reference, report_out=args.report)
    rep = result.report
    print(f"{rep['sequence']}: {rep['frames']} frames from {', '.join(rep['used_views'])}; "
          f"reprojection median {rep['reprojection']['median_px']} px -> {args.out}")
    for view, why in rep["dropped_views"].items():
        print(f"  dropped {view}: {why.get('verdict', why['reason'])}")
    for name, stats in rep.get("reference", {}).items():
        if name != "file":
            print(f"  {name}: median {stats['median']:.3f}, p95 {stats['p95']:.3f}")


def _cmd_calibrate(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.calibration import CalibrationOptions, calibrate_files

    opts = CalibrationOptions(frame_stride=args.frame_stride, distortion_terms=args.distortion_terms,
                              loss_scale_px=args.loss_scale, focal_prior=args.focal_prior)
    result = calibrate_files(args.anno_dir, args.setting, args.out, initial=args.initial, sequences=args.sequences,
                             max_sequences=args.max_sequences, options=opts, reference=args.reference,
                             report_out=args.report)
    rep = result.report
    errors = "; ".join(f"{k} {v['median_px']:.2f} px" for k, v in rep["reprojection_px"].items())
    print(f"{args.setting}: {len(rep['sequences'])} sequences; median reprojection {errors} -> {args.out}")
    for seq, dropped in rep["dropped_views"].items():
        for view, why in dropped.items():
            print(f"  {seq} {view}: dropped ({why.get('verdict', why['reason'])})")


def _cmd_fit_smpl(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.fitting import PUBLIC_SKELETON, FitOptions, fit_file, skeleton_from_smpl_model

    skeleton = PUBLIC_SKELETON
    if args.smpl_model:
        skeleton = skeleton_from_smpl_model(args.smpl_model, args.gender, args.betas)
    opts = FitOptions(face_weight=args.face_weight, smooth_weight=args.smooth_weight)
    fit = fit_file(args.keypoints3d, args.out, optim=args.optim, skeleton=skeleton, options=opts,
                   report_out=args.report)
    rep = fit.report
    print(f"{args.out}: {rep['frames']} frames, {rep['skeleton']}, scaling {rep['scaling']:.3f}; "
          f"mean joint error {rep['mpjpe_body']:.2f} (body), {rep['mpjpe_face']:.2f} (face), {rep['seconds']} s")


def _cmd_reconstruction_errors(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.errors import write_reconstruction_errors

    errors = write_reconstruction_errors(args.out, args.triangulation, args.fitting, args.calibration)
    print(json.dumps(errors["summary"], indent=2))


def _cmd_track(args: argparse.Namespace) -> None:
    from rhythm.people.tracking import track_file

    opts = _tracking_options(args)
    result = track_file(args.detections, args.out, opts, fps=args.fps, report_out=args.report,
                        details_out=args.details)
    rep = result.report
    print(f"{args.out}: {rep['people_found']} of {rep['max_people']} people over {rep['frames']} frames; "
          f"{rep['track_switches']} track switch(es), {rep['stitches']} stitch(es), {rep['reidentified']} "
          f"re-identified; gaps {rep['gaps_interpolated']} filled, {rep['gaps_long']} long; "
          f"{rep['spurious_detections']} spurious and {rep['extra_detections']} extra detection(s) dropped")


def _boolean(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def _add_track(sub) -> None:
    p = sub.add_parser("track", help="stable identities for up to N people from per-frame detections (.json/.npy)")
    p.add_argument("detections", help="detections: JSON (see rhythm.people.tracking.load_detections) or (T, M, K, C) .npy")
    p.add_argument("--out", required=True, help="keypoints (T, N, K, C+1) float32 .npy, NaN where absent")
    p.add_argument("--report", default=None, help="JSON report: people, switches, gaps, dropped detections")
    p.add_argument("--details", default=None, help=".npz with boxes and the presence masks")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the file's, else 30)")
    _add_tracking_options(p)
    p.set_defaults(func=_cmd_track)


def _add_tracking_options(p) -> None:
    """One flag per TrackOptions field, named as in the config's tracking: section."""
    from dataclasses import fields

    from rhythm.people.tracking import TrackOptions

    for f in fields(TrackOptions):
        flag = "--" + f.name.replace("_", "-")
        text = f"{f.metadata['help']} (default: {f.default})"
        if isinstance(f.default, bool):
            p.add_argument(flag, type=_boolean, default=f.default, metavar="BOOL", help=text)
        else:
            p.add_argument(flag, type=type(f.default), default=f.default, choices=f.metadata["choices"], help=text)


def _tracking_options(args: argparse.Namespace):
    from dataclasses import fields

    from rhythm.people.tracking import TrackOptions

    return TrackOptions(**{f.name: getattr(args, f.name) for f in fields(TrackOptions)})


def _add_reconstruction(sub) -> None:
    from rhythm.reconstruction.calibration import CalibrationOptions as Cal
    from rhythm.reconstruction.fitting import FitOptions as Fit
    from rhythm.reconstruction.triangulation import TriangulationOptions as Tri

    p = sub.add_parser("triangulate", help="keypoints3d from multi-view keypoints2d, dropping bad views")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations (keypoints2d/, cameras/)')
    p.add_argument("--sequence", required=True, help='sequence name, e.g. gBR_sBM_cAll_d04_mBR0_ch01')
    p.add_argument("--out", required=True, help="keypoints3d pickle (AIST++ format)")
    p.add_argument("--report", default=None, help="JSON report: per-view errors, dropped views")
    p.add_argument("--cameras", default=None, help="camera setting JSON (default: through cameras/mapping.txt)")
    p.add_argument("--reference", default=None, help="official keypoints3d pickle to measure against")
    p.add_argument("--no-optimise", action="store_true", help="keypoints3d_optim = keypoints3d")
    p.add_argument("--view-factor", type=float, default=Tri.view_factor,
                   help="drop a view whose leave-one-out error is this many times the typical one")
    p.add_argument("--view-min-px", type=float, default=Tri.view_min_px, help="...and above this many pixels")
    p.add_argument("--outlier-factor", type=float, default=Tri.outlier_factor,
                   help="drop observations whose residual is this many times the median")
    p.add_argument("--pixel-sigma", type=float, default=Tri.pixel_sigma,
                   help="optimised variant: pixels of reprojection error per unit of cost")
    p.add_argument("--accel-sigma", type=float, default=Tri.accel_sigma,
                   help="optimised variant: acceleration (units/frame^2) per unit of cost")
    p.add_argument("--bone-sigma", type=float, default=Tri.bone_sigma,
                   help="optimised variant: bone length change (units) per unit of cost")
    p.set_defaults(func=_cmd_triangulate)

    p = sub.add_parser("calibrate", help="refine a camera setting by bundle adjustment of keypoints2d")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations (keypoints2d/, cameras/mapping.txt)')
    p.add_argument("--setting", required=True, help="setting name, e.g. setting1 (sequences via mapping.txt)")
    p.add_argument("--out", required=True, help="refined setting JSON (AIST++ format)")
    p.add_argument("--initial", default=None, help="the rough guess (default: <anno-dir>/cameras/<setting>.json)")
    p.add_argument("--sequences", nargs="*", default=None, help="sequences to use (default: all of the setting)")
    p.add_argument("--max-sequences", type=int, default=None, help="use at most this many")
    p.add_argument("--reference", default=None, help="a setting JSON to measure the result against")
    p.add_argument("--report", default=None, help="JSON report: errors before/after, dropped views")
    p.add_argument("--frame-stride", type=int, default=Cal.frame_stride, help="every N-th frame")
    p.add_argument("--distortion-terms", type=int, choices=[0, 1, 2], default=Cal.distortion_terms,
                   help="radial terms to refine (0: keep the guess's)")
    p.add_argument("--loss-scale", type=float, default=Cal.loss_scale_px, help="Cauchy loss scale, pixels")
    p.add_argument("--focal-prior", type=float, default=Cal.focal_prior,
                   help="relative uncertainty of the guess's focal lengths")
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("fit-smpl", help="SMPL rotations, translation and scale (motions pickle) from keypoints3d")
    p.add_argument("--keypoints3d", required=True, help="keypoints3d pickle (COCO-17)")
    p.add_argument("--out", required=True, help="motions pickle (AIST++ format)")
    p.add_argument("--report", default=None, help="JSON report: joint errors, scale")
    p.add_argument("--optim", action="store_true", help="fit keypoints3d_optim")
    p.add_argument("--smpl-model", default=None,
                   help="SMPL model folder or file (needs the optional smplx package); default: public offsets")
    p.add_argument("--gender", default="neutral", choices=["neutral", "female", "male"], help='SMPL model gender (with --smpl-model)')
    p.add_argument("--betas", type=float, nargs="*", default=None, help="body shape of the SMPL model")
    p.add_argument("--face-weight", type=float, default=Fit.face_weight, help="weight of the face keypoints against the body's")
    p.add_argument("--smooth-weight", type=float, default=Fit.smooth_weight,
                   help="keypoint units per radian of change between frames")
    p.set_defaults(func=_cmd_fit_smpl)

    p = sub.add_parser("reconstruction-errors", help="one JSON of the reconstruction reports, for the data report")
    p.add_argument("--triangulation", nargs="*", default=[], help="reports of rhythm triangulate")
    p.add_argument("--fitting", nargs="*", default=[], help="reports of rhythm fit-smpl")
    p.add_argument("--calibration", nargs="*", default=[], help="reports of rhythm calibrate")
    p.add_argument("--out", required=True, help='the errors JSON to write')
    p.set_defaults(func=_cmd_reconstruction_errors)


# ----------------------------------------------------------------------------- landmark models
# `rhythm models fetch` (released checkpoints, checked) and `rhythm models export` (ONNX for the onnx backend).


def _cmd_models_fetch(args: argparse.Namespace) -> None:
    from rhythm.sources.download import DownloadOptions
    from rhythm.landmarks.models import fetch_models

    options = DownloadOptions(retries=args.retries, backoff_s=args.backoff, timeout_s=args.timeout)
    fetch_models(args.only, args.dir, base_url=args.base_url, options=options)


def _cmd_models_export(args: argparse.Namespace) -> None:
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
    det, pose = export_models(weights["detector"], weights["pose"], args.out or args.dir, det_config=configs["detector"],
                              pose_config=configs["pose"], det_name=names["detector"], pose_name=names["pose"],
                              opset=args.opset, seed=args.seed)
    print(f"{det}\n{pose}")


def _add_models(sub) -> None:
    from rhythm.landmarks.models import DEFAULT_MODELS, MODELS_DIR, load_manifest

    names = list(load_manifest())
    p = sub.add_parser("models", help="landmark models: fetch the released checkpoints, export them to ONNX")
    actions = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    f = actions.add_parser("fetch", help="download checkpoints (resources/landmarks/models.json), SHA-256 checked")
    f.add_argument("--only", action="append", choices=names, help="this model only (repeatable; default: all)")
    f.add_argument("--dir", default=str(MODELS_DIR), help="where the .pth files go")
    f.add_argument("--base-url", default=None, help="a mirror: files are fetched from BASE_URL/<file name>")
    f.add_argument("--retries", type=int, default=4, help='attempts after a failed download')
    f.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry (doubles)")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds per network operation")
    f.set_defaults(func=_cmd_models_fetch)

    e = actions.add_parser("export", help="<detector>.onnx + <pose>.onnx for the onnx backend (needs the mmpose stack)")
    e.add_argument("--detector", default=DEFAULT_MODELS["detector"],
                   help=f"a model name ({', '.join(n for n in names if 'det' in n)}: its checkpoint in --dir) or an "
                   f"RTMDet checkpoint (.pth); default {DEFAULT_MODELS['detector']}")
    e.add_argument("--pose", default=DEFAULT_MODELS["pose"],
                   help=f"a model name (rtmw3d-l, rtmw3d-x) or an RTMW3D checkpoint (.pth); default {DEFAULT_MODELS['pose']}")
    e.add_argument("--det-config", default=None, help="config file or model name for a checkpoint of your own")
    e.add_argument("--pose-config", default=None, help="config file or model name for a checkpoint of your own")
    e.add_argument("--dir", default=str(MODELS_DIR), help="where the checkpoints are (rhythm models fetch --dir)")
    e.add_argument("--out", default=None, help="folder for the .onnx files (default: --dir); named after the models, "
                   "e.g. rtmw3d-l.onnx, as the workflow expects")
    e.add_argument("--random-init", action="store_true",
                   help="seeded random weights instead of checkpoints (tests, benchmarks: the files then carry no "
                   "trained model, and their metadata says so)")
    e.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    e.add_argument("--opset", type=int, default=17, help='ONNX opset version')
    e.set_defaults(func=_cmd_models_export)


def build_parser() -> argparse.ArgumentParser:
    from rhythm.core import aist
    from rhythm.sources import demo
    from rhythm.sources.download import BASE_URL as DOWNLOAD_BASE_URL

    parser = argparse.ArgumentParser(prog="rhythm", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rhythm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="generate the miniature AIST++ demo dataset")
    p.add_argument("out", help="output folder (gets annotations/, videos/, music/)")
    p.add_argument("--anno-dir", default=None, help="annotations here instead of OUT/annotations")
    p.add_argument("--video-dir", default=None, help="videos here instead of OUT/videos")
    p.add_argument("--seed", type=int, default=7, help='random seed of the dancer and the noise')
    p.add_argument("--duration", type=float, default=5.0, help="seconds per (basic) sequence")
    p.add_argument("--advanced", type=float, default=0.0,
                   help=f"seconds of an advanced dance of mBR0 ({demo.DEMO_ADVANCED}) longer than the basic ones; "
                   "0: none")
    p.add_argument("--width", type=int, default=320, help='video width in pixels')
    p.add_argument("--height", type=int, default=180, help='video height in pixels')
    p.add_argument("--cameras", nargs="+", default=["c01", "c02", "c03"], help="cameras to render as videos")
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser("status", help="what is in an AIST++ tree: splits, annotations, videos, frames")
    p.add_argument("--anno-dir", default=None, help='AIST++ annotations folder')
    p.add_argument("--versions", action="store_true",
                   help="also print the ffmpeg (path and version) and PyAV that Rhythm runs, and its own version")
    p.add_argument("--video-dir", default=None, help='folder of <video>.mp4 (counts present and missing videos)')
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_selection(p)
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("link-video", help="check a source video and link it into the results")
    p.add_argument("source", help='the source video')
    p.add_argument("dest", help='the link to write (results/<dataset>/videos/<video>.mp4)')
    p.set_defaults(func=_cmd_link_video)

    p = sub.add_parser("download", help="download AIST Dance DB videos (retries, resume, checked, atomic)")
    p.add_argument("--video", action="append", help="video name, e.g. gBR_sBM_c01_d04_mBR0_ch01 (repeatable)")
    p.add_argument("--split", default=None, choices=aist.SPLITS, help="every video of this split (needs --anno-dir)")
    p.add_argument("--cameras", nargs="+", default=list(aist.CAMERAS), help="cameras of --split (default all)")
    p.add_argument("--anno-dir", default=None, help="annotations: check each video's frame count against them")
    p.add_argument("--out", "--download_folder", dest="out", required=True, help="folder for <video>.mp4")
    p.add_argument("--base-url", default=DOWNLOAD_BASE_URL, help='AIST Dance DB video URL prefix (a mirror: <base-url>/<video>.mp4)')
    p.add_argument("--retries", type=int, default=4, help='attempts after a failed transfer')
    p.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry (doubles)")
    p.add_argument("--max-mismatch", type=int, default=1, help="frames a video may differ from its annotations")
    p.add_argument("--jobs", "--num-processes", "--num_processes", "--numProcesses", dest="jobs", type=int, default=1,
                   help="parallel downloads (the AIST++ scripts' --num_processes / --numProcesses)")
    p.add_argument("--genres", nargs="+", default=None, choices=list(aist.GENRES), metavar="GENRE",
                   help="only videos of these genres, e.g. gLH (the Audio2Pose tool's LA-style hip-hop)")
    p.add_argument("--manual-dest", default=None, help="where a 404 message says to put a hand-downloaded file")
    p.add_argument("--overwrite", action="store_true", help="download again even if the file exists")
    p.add_argument("--accept-terms-of-use", action="store_true",
                   help="you have read and accept https://aistdancedb.ongaaccel.jp/terms_of_use/")
    p.set_defaults(func=_cmd_download)

    p = sub.add_parser("frames", help="extract frames: aligned with the 60 fps AIST++ annotations, or of any video")
    p.add_argument("video", help="the video (an AIST++ name like gBR_sBM_c01_d04_mBR0_ch01.mp4 with --anno-dir)")
    p.add_argument("--anno-dir", default=None,
                   help="AIST++ annotations: frame i is annotation frame i of the video's sequence (the video must "
                   "have an AIST++ name); without it any video is extracted at --fps")
    p.add_argument("--fps", type=float, default=None,
                   help="output frame rate, rounding down as ffmpeg's fps filter (default: 60 with --anno-dir, else "
                   "the video's own)")
    p.add_argument("--out", required=True, help="folder for <frame:06d>.jpg and frame_mapping.json")
    p.add_argument("--align", choices=["fps", "timestamps"], default="fps",
                   help="fps: exactly 60 fps rounding down (AIST++ API); timestamps: nearest to each annotation")
    p.add_argument("--quality", type=int, default=95, help="JPEG quality 1-100 (95 matches ffmpeg -q:v 2)")
    p.add_argument("--stride", type=int, default=1, help="keep every N-th frame")
    p.add_argument("--max-mismatch", type=int, default=0,
                   help="frames the video may differ from its keypoints before it is an error")
    p.add_argument("--width", type=int, default=None, help='resize to this width (height keeps the aspect ratio unless given)')
    p.add_argument("--height", type=int, default=None, help='resize to this height')
    p.add_argument("--workers", type=int, default=0, help="JPEG encoding threads (0: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_frames)

    p = sub.add_parser("coco", help="COCO keypoint dataset for RTMPose from aligned frames")
    p.add_argument("--split", required=True, help="dataset split name, e.g. train")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations (keypoints2d/, splits/)')
    p.add_argument("--frames", nargs="+", required=True, help="frames folders (with frame_mapping.json)")
    p.add_argument("--out", required=True, help="rtmpose_dataset/<split>")
    p.add_argument("--stride", type=int, default=1, help='every N-th frame of each video into the COCO files')
    p.add_argument("--visible-threshold", type=float, default=0.3, help='keypoint confidence for visibility 2 (visible)')
    p.add_argument("--labeled-threshold", type=float, default=0.05, help='keypoint confidence for visibility 1 (labelled, occluded)')
    p.add_argument("--margin", type=float, default=0.15, help='box margin around the labelled keypoints, as a fraction of their extent')
    p.add_argument("--link", choices=["hardlink", "symlink"], default="hardlink", help='how images enter the dataset (never copied)')
    p.add_argument("--min-det-score", type=float, default=0.0, help="drop frames with a lower detection score")
    p.add_argument("--mmpose-config", default=None, help="also write an MMPose config here")
    p.add_argument("--train-split", default="train", help="split the MMPose config trains on")
    p.set_defaults(func=_cmd_coco)

    p = sub.add_parser("overlay", help="QA overlays: stick figures over frames (PNG + MP4)")
    p.add_argument("frames", help="frames folder of one video (or its frame_mapping.json)")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations (keypoints2d/, keypoints3d/, cameras/)")
    p.add_argument("--out", required=True, help="folder for <frame:06d>.png and overlay.mp4")
    p.add_argument("--mode", choices=["2d", "3d", "smpl"], default="2d",
                   help="2d: the view's keypoints2d; 3d: keypoints3d projected through the view's camera; smpl: the "
                   "24 joints of a motions pickle through the camera (the AIST++ API's SMPL view)")
    p.add_argument("--motions", default=None,
                   help="smpl mode: a motions pickle (AIST++ format, e.g. rhythm fit-smpl's; default: the annotations' "
                   "motions/<sequence>.pkl)")
    p.add_argument("--smpl-model", default=None,
                   help="smpl mode: an SMPL model folder or file (needs the optional smplx package): draws the mesh too")
    p.add_argument("--min-confidence", type=float, default=0.1, help="keypoints scoring below this are not drawn")
    p.add_argument("--limit", type=int, default=20, help="PNG frames to write (0 = all)")
    p.add_argument("--audio", default=None, help="mux the audio of this file into overlay.mp4")
    p.add_argument("--no-video", action="store_true", help="PNG frames only")
    p.add_argument("--annotation-size", default=None, metavar="WxH",
                   help="the frame size the keypoints were made for (default: the source video's); they are "
                   "rescaled to the frames")
    p.set_defaults(func=_cmd_overlay)

    p = sub.add_parser("audio", help="16 kHz mono WAV of a music track from a music file or its videos, checked")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a music or video file; several: videos of one music id, the longest dance that passes "
                   "the checks is used (refused ones are listed in --report)")
    p.add_argument("--out", required=True, help="the WAV to write")
    p.add_argument("--report", default=None, help="JSON: the source used, refused ones and why, dances not covered")
    p.add_argument("--music", default=None, help="music id (default: the output's file stem)")
    p.add_argument("--anno-dir", default=None, help="AIST++ annotations: order videos by their dance's length, "
                   "check their frame counts, and check the music covers --sequences")
    p.add_argument("--sequences", nargs="*", default=[], help="sequences that dance to this music (with --anno-dir)")
    p.add_argument("--max-mismatch", type=int, default=0,
                   help="frames a video may differ from its annotations and still be a music source")
    p.add_argument("--sample-rate", type=int, default=16000, help="output sample rate in Hz")
    p.add_argument("--allow-silence", action="store_true", help="accept audio without audible music")
    p.set_defaults(func=_cmd_audio)

    p = sub.add_parser("beats", help="tempo and beat times of a music track (madmom by default, or librosa)")
    p.add_argument("audio", help="a WAV (or any audio file ffmpeg reads)")
    p.add_argument("--out", required=True, help="beats JSON to write")
    p.add_argument("--allow-silence", action="store_true",
                   help="track beats even in audio without audible music (a tracker invents beats in silence)")
    p.add_argument("--music", default=None, help="music id (default: the file's stem)")
    p.add_argument("--start-bpm", type=float, default=None,
                   help="tempo prior (default: from the AIST music id, none for other music)")
    p.add_argument("--tracker", choices=["madmom", "librosa"], default="madmom", help='madmom: RNN + DBN (default); librosa: dynamic programming')
    p.add_argument("--min-bpm", type=float, default=55.0, help="tempo range without a prior (madmom)")
    p.add_argument("--max-bpm", type=float, default=160.0, help='tempo range without a prior (madmom)')
    p.add_argument("--tightness", type=float, default=100.0, help="librosa tracker")
    p.add_argument("--no-percussive", action="store_true", help="librosa: onsets from the full signal")
    p.add_argument("--fps", type=float, default=60.0, help="motion frame rate for beat_frames")
    p.add_argument("--plot", default=None, help="PNG of the onset envelope with the beats")
    p.set_defaults(func=_cmd_beats)

    p = sub.add_parser("poses", help="(T, 17, 3) float32 .npy from a keypoints3d pickle")
    p.add_argument("keypoints3d", help='keypoints3d pickle (AIST++ format)')
    p.add_argument("--out", required=True, help='the .npy to write')
    p.add_argument("--optim", action="store_true", help="use keypoints3d_optim")
    p.add_argument("--units", choices=["cm", "m"], default="cm", help='output units (AIST++ keypoints3d are in cm)')
    p.add_argument("--center", action="store_true", help="subtract the hip midpoint per frame")
    p.add_argument("--fps", type=int, choices=[60, 30], default=60, help='output frame rate (30: every second frame)')
    p.add_argument("--smooth", type=float, default=0.0, help="Gaussian sigma in frames")
    p.set_defaults(func=_cmd_poses)

    p = sub.add_parser("features", help="35-dim music features (FACT/EDGE baseline) at the motion frame rate")
    p.add_argument("audio", help='a WAV (16 kHz mono from rhythm audio)')
    p.add_argument("--out", required=True, help='the (T, 35) .npy to write')
    p.add_argument("--fps", type=int, choices=[60, 30], default=60, help="feature frame rate (the motion's)")
    p.add_argument("--allow-silence", action="store_true", help="compute features of audio without audible music")
    p.set_defaults(func=_cmd_features)

    p = sub.add_parser("smpl", help="SMPL joints (T, 24, 3) and parameters (T, 75) from a motions pickle")
    p.add_argument("motion", help='motions pickle (AIST++ format)')
    p.add_argument("--joints", required=True, help='(T, 24, 3) joints .npy to write')
    p.add_argument("--params", default=None, help='also (T, 75) parameters .npy: smpl_trans / smpl_scaling, 72 axis-angles')
    p.set_defaults(func=_cmd_smpl)

    p = sub.add_parser("audio2pose-layout", help="link outputs into the Audio2Pose folder layout")
    p.add_argument("--results", required=True, help="results/<dataset>")
    p.add_argument("--sequences", nargs="+", required=True, help='sequences to link')
    p.add_argument("--out", required=True, help='the Audio2Pose folder to write')
    p.add_argument("--camera", default="c01", help="camera whose video name names each sample")
    p.add_argument("--pose-fps", type=float, default=60.0, help="frame rate of poses/*.npy (config poses.fps)")
    p.set_defaults(func=_cmd_audio2pose)

    p = sub.add_parser("report", help="the data report (JSON + text) of a run")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations folder')
    p.add_argument("--video-dir", default=None, help='folder of <video>.mp4 (counts present and missing videos)')
    p.add_argument("--frames", nargs="*", default=[], help="frame_mapping.json files")
    p.add_argument("--beats", nargs="*", default=[], help='beats JSON files')
    p.add_argument("--music", nargs="*", default=[], help="audio/<music>.json reports of rhythm audio")
    p.add_argument("--note", action="append", default=[], help="a planning note: what was left out and why "
                   "(repeatable)")
    p.add_argument("--poses", nargs="*", default=[], help='poses .npy files')
    p.add_argument("--coco", nargs="*", default=[], help='COCO annotation JSON files')
    p.add_argument("--overlays", nargs="*", default=[], help='overlay.mp4 files')
    p.add_argument("--reprojection", nargs="*", default=[], help="per-sequence reprojection JSON files")
    p.add_argument("--reconstruction", default=None, help="reconstruction/errors.json")
    p.add_argument("--landmarks", nargs="*", default=[], help="the landmarks stage's JSON reports (landmarks/*.json)")
    p.add_argument("--landmarks-skipped", default=None, help="why the landmarks stage did not run (for the report)")
    p.add_argument("--out-json", required=True, help='the report JSON to write')
    p.add_argument("--out-text", required=True, help='the report text to write')
    p.add_argument("--out-html", default=None, help="also an HTML page with the beat plots")
    p.add_argument("--beat-plots", nargs="*", default=[], help="PNG plots to show in the HTML page")
    _add_selection(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("landmarks", help="whole-body 3D landmarks (T, 85, 4) of a video: RTMDet + RTMW3D")
    p.add_argument("video", help='the video')
    p.add_argument("--out", required=True, help="output .npy (a .json report goes next to it)")
    p.add_argument("--backend", choices=["mmpose", "onnx"], default="mmpose", help='mmpose: MMPose/MMDetection in torch; onnx: exported models in onnxruntime')
    p.add_argument("--detector", default="rtmdet-m-person",
                   help="a model name as in the config (rtmdet-m-person, rtmdet-nano-person, rtmdet-m: its weights "
                   "in --models-dir), a file name in --models-dir, or a path (.pth for mmpose, .onnx for onnx)")
    p.add_argument("--pose", default="rtmw3d-l", help="rtmw3d-l or rtmw3d-x (weights in --models-dir), a file "
                   "name in --models-dir, or a path")
    p.add_argument("--models-dir", default="resources/models",
                   help="where `rhythm models fetch` put the .pth files and `rhythm models export` the .onnx files")
    p.add_argument("--det-config", default=None, help="mmpose: detector config file or model name (default: the "
                   "released model whose file name the checkpoint has)")
    p.add_argument("--pose-config", default=None, help="mmpose: pose config file or model name (default: likewise)")
    p.add_argument("--device", default="auto", help="auto (cuda when present), cuda, cpu")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch/onnxruntime (default: all cores)")
    p.add_argument("--batch-size", type=int, default=16, help="person crops per forward pass")
    p.add_argument("--batch-frames", type=int, default=16, help="frames decoded and detected at once")
    p.add_argument("--det-score-thr", type=float, default=0.3, help="BBOX_THR: minimum person box score")
    p.add_argument("--policy", choices=["skip", "best", "track", "people"], default="best",
                   help="several people: skip the segment (the seed), keep the best box, track one person, or "
                   "track up to --max-people (output (T, N, K, 4))")
    p.add_argument("--keypoints", default="dance85", help="dance85, wholebody133, body17, or comma-separated indices")
    p.add_argument("--reduce-fps-to", type=float, default=30.0, help="REDUCE_FPS_TO (0: keep the source rate)")
    p.add_argument("--accept-fps-within", type=float, nargs=2, default=[24.0, 60.0], metavar=("LOW", "HIGH"),
                   help="ACCEPT_VIDEO_FPS_WITHIN: other sources are skipped")
    p.add_argument("--frame-skip", type=int, default=1, help="FRAME_SKIP: keep every n-th sampled frame")
    p.add_argument("--add-visible", type=_boolean, default=True, metavar="BOOL",
                   help="ADD_VISIBLE: keep the score channel, (T, K, 4); false: (T, K, 3) (default: true)")
    p.add_argument("--no-visible", action="store_true", help="the same as --add-visible false")
    p.add_argument("--kpt-thr", "--kpt-threshold", dest="kpt_thr", type=float, default=0.3,
                   help="KPT_THR: keypoints scoring below this get NaN coordinates; their score is kept (default 0.3)")
    p.add_argument("--remove-z", action="store_true",
                   help="REMOVE_Z (the old Stage 4): drop the depth channel, (T, K, 3) x, y, score")
    p.add_argument("--anno-dir", default=None,
                   help="AIST++ annotations: place people on the floor through the video's camera (z becomes depth "
                   "from the camera, so several dancers keep their distance; the floor from its keypoints3d)")
    p.add_argument("--cameras", default=None, help="a camera setting JSON (AIST++ format) to place people with")
    p.add_argument("--camera", default=None, help="the camera of --cameras (default: the video name's)")
    p.add_argument("--floor-y", type=float, default=None,
                   help="the floor's height in the cameras' world units (default: under --anno-dir's keypoints3d, else 0)")
    p.add_argument("--start", type=float, default=0.0, help="segment start (s)")
    p.add_argument("--end", type=float, default=None, help="segment end (s)")
    p.add_argument("--segment", default=None, help="segment name, recorded in the report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_tracking_options(p.add_argument_group("people policy", "tracking options (rhythm track; docs/tracking.md)"))
    p.set_defaults(func=_cmd_landmarks)

    p = sub.add_parser("landmarks-validate", help="check landmark arrays: shapes, NaN rows, ranges")
    p.add_argument("folder", help='folder of landmark .npy files (with their .json reports)')
    p.add_argument("--num-keypoints", type=int, default=85, help='keypoints per person the files must have')
    p.add_argument("--channels", type=int, default=4, help='channels per keypoint (4: x, y, z, score)')
    p.add_argument("--kpt-thr", type=float, default=0.3,
                   help="the KPT_THR the files were made with: only keypoints scoring below it may have NaN coordinates")
    p.add_argument("--no-score", action="store_true", help="the files have no score channel (ADD_VISIBLE off)")
    p.add_argument("--json", action="store_true", help="print JSON instead of lines")
    p.add_argument("--out", default=None, help="also write the summary JSON here (written before any failure)")
    p.set_defaults(func=_cmd_landmarks_validate)

    p = sub.add_parser("standins", help="an AIST++-shaped tree of empty files, for full-size dry runs")
    p.add_argument("out", help='folder to write the tree into')
    p.add_argument("--videos", type=int, default=12670, help="how many videos (9 per sequence); 12670 = all")
    p.set_defaults(func=_cmd_standins)

    p = sub.add_parser("inspect", help="keys, shapes, dtypes and ranges of an AIST++ pickle (and a plot)")
    p.add_argument("file", help='an AIST++ pickle (keypoints2d, keypoints3d or motions)')
    p.add_argument("--plot", default=None, help="also draw a keypoints pickle to this PNG: keypoints2d as one panel "
                   "per camera on a blank 1920x1080 frame, keypoints3d in 3D (the old visualizeKeypoints.py)")
    p.add_argument("--frame", type=int, default=0, help="the frame to draw with --plot")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("reprojection", help="per-camera pixel error of keypoints3d against keypoints2d")
    p.add_argument("--anno-dir", required=True, help='AIST++ annotations folder')
    p.add_argument("--sequence", required=True, help='sequence name, e.g. gBR_sBM_cAll_d04_mBR0_ch01')
    p.add_argument("--optim", action="store_true", help="use keypoints3d_optim")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", default=None, help="also write the JSON here")
    p.set_defaults(func=_cmd_reprojection)

    p = sub.add_parser("model-config", help="the training config of a dance model run, from workflow settings")
    p.add_argument("--out", required=True, help="YAML file to write (results/models/<run>/config.yaml)")
    p.add_argument("--settings", required=True, help="JSON: {run, results, splits, pose_units_per_metre, model}")
    p.set_defaults(func=_cmd_model_config)

    p = sub.add_parser("train", help="train the dance model (seeded; resumes from its last checkpoint)")
    p.add_argument("--config", required=True,
                   help="a run config (rhythm model-config) or a workflow config with a model: section")
    p.add_argument("--out", default=None, help="run folder (default results/models/<run>)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu, cuda, cuda:1 ...")
    p.add_argument("--steps", type=int, default=None, help="override training.steps")
    p.add_argument("--restart", action="store_true", help="ignore existing checkpoints and start afresh")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("generate", help="a dance for any song: joints .npy, AIST++ motions .pkl, MP4 with the music")
    p.add_argument("--audio", required=True, help="the song (wav, mp3, ... anything ffmpeg reads)")
    p.add_argument("--checkpoint", required=True, help="results/models/<run>/checkpoints/last.pt or best.pt")
    p.add_argument("--out", required=True, help="folder for <name>.{npy,pkl,mp4,json}")
    p.add_argument("--name", default=None, help="file stem (default: the audio's)")
    p.add_argument("--features", default=None, help="precomputed features/<fps>fps/<music>.npy for this audio")
    p.add_argument("--seed", type=int, default=0, help='random seed of the first dance')
    p.add_argument("--samples", type=int, default=1, help="dances to generate (seeds SEED, SEED+1, ...); all in "
                   "<name>.samples.npy, the first in the other files")
    p.add_argument("--genre", default="auto", help="AIST genre (gBR, gPO, ...), auto (from an AIST music id "
                   "in the file name) or none")
    p.add_argument("--seed-motion", default=None, help="start from this motion: AIST++ motions .pkl or "
                   "smpl/<seq>.params.npy")
    p.add_argument("--seed-seconds", type=float, default=2.0, help="seconds of the seed motion kept")
    p.add_argument("--guidance", type=float, default=None, help="music guidance weight (default: the model's)")
    p.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    p.add_argument("--overlap", type=float, default=None, help="window overlap fraction for long songs")
    p.add_argument("--sequential", action="store_true", help="denoise windows one at a time (slower)")
    p.add_argument("--no-video", action="store_true", help="motion files only")
    p.add_argument("--width", type=int, default=640, help='video width in pixels')
    p.add_argument("--height", type=int, default=360, help='video height in pixels')
    p.add_argument("--video-fps", type=int, default=60, help='video frame rate')
    p.add_argument("--device", default="cpu", help='cpu, cuda, cuda:1 ...')
    p.add_argument("--threads", type=int, default=None, help='CPU threads for torch')
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("evaluate", help="FID_k/FID_g/Div/BAS/PFC of generated dances, a random-clip baseline "
                       "and a music-swap check, with a Markdown report")
    p.add_argument("--generated", nargs="+", required=True,
                   help="<music>.npy or <music>.samples.npy joints from rhythm generate")
    p.add_argument("--ground-truth", nargs="+", required=True, help="test smpl/<seq>.params.npy (or poses/*.npy)")
    p.add_argument("--train", nargs="+", required=True, help="training motions, for the random-clip baseline")
    p.add_argument("--beats-dir", required=True, help="beats/ with <music>.json of every track")
    p.add_argument("--out-json", required=True, help='the metrics JSON to write')
    p.add_argument("--out-report", required=True, help="Markdown report")
    p.add_argument("--clip-s", type=float, default=2.0, help='clip length in seconds for the metrics')
    p.add_argument("--clip-stride-s", type=float, default=1.0, help='seconds between clip starts')
    p.add_argument("--seed", type=int, default=0, help="seed of the random-clip baseline's first draw")
    p.add_argument("--baseline-draws", type=int, default=20, help="random-clip baseline draws averaged")
    p.add_argument("--corrected-kinetics", action="store_true",
                   help="the corrected kinetic acceleration instead of the reference code's")
    p.add_argument("--units-per-metre", type=float, default=100.0, help="units of poses/*.npy ground truth")
    p.add_argument("--run", default=None, help='run name for the report')
    p.add_argument("--checkpoint", default=None, help="the model, described in the report")
    p.add_argument("--seed-motion-s", type=float, default=0.0, help="seed motion the dances were given (report)")
    p.set_defaults(func=_cmd_evaluate)
    _add_reconstruction(sub)
    _add_track(sub)
    _add_models(sub)
    from rhythm.people.detections import register as add_import_keypoints

    add_import_keypoints(sub)
    return parser


# Optional stacks: the module a failed import names -> how to install it.
INSTALL_HINTS = {
    **dict.fromkeys(("mmcv", "mmpose", "mmdet", "mmengine", "xtcocotools"),
                    "the OpenMMLab stack: run `make setup-openmmlab` (envs/install-openmmlab.sh)"),
    "torch": "PyTorch: pip install -e '.[model]' (the CPU build: pip install torch==2.13.0 first)",
    "onnxruntime": "onnxruntime: pip install -e '.[landmarks]'",
    "onnx": "onnx: pip install -e '.[landmarks]'",
    "smplx": "smplx: pip install smplx",
    "snakemake_executor_plugin_slurm": "the SLURM plugin: pip install -e '.[slurm]'",
}


def describe_error(exc: BaseException) -> str:
    """One line for an expected failure: ``<file>: <what is wrong>; <what to do>``."""
    if isinstance(exc, RhythmInputError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        hint = INSTALL_HINTS.get(top, f"pip install {top}")
        return f"{top} is not installed; install {hint}"
    if isinstance(exc, OSError) and exc.filename:
        what = {13: "permission denied; choose a writable location", 28: "no space left on the device",
                2: "not found", 20: "a file stands where a folder is needed", 21: "is a folder, not a file",
                17: "already exists"}.get(exc.errno, exc.strerror or type(exc).__name__)
        return f"{exc.filename}: {what}"
    return f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


def _interrupt(signum, frame):  # SIGTERM (Snakemake, SLURM) unwinds like Ctrl-C: partial outputs are removed
    raise KeyboardInterrupt


def _add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on every subcommand (and nested action), as well as before the command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--debug" not in sub._option_string_actions:
                    sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                     help="show the full traceback of an error (also RHYTHM_DEBUG=1)")
                _add_debug_flag(sub)


def main(argv: list[str] | None = None) -> int:
    import os
    import signal

    parser = build_parser()
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error (also RHYTHM_DEBUG=1)")
    _add_debug_flag(parser)
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("RHYTHM_DEBUG", "") not in ("", "0")
    prog = " ".join(["rhythm", args.command] + ([args.models_command] if getattr(args, "models_command", None) else []))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted; partial outputs removed", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every expected failure becomes one line
        if debug:
            raise
        print(f"{prog}: error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse-style exits from handlers: keep their message
        if isinstance(exc.code, str):
            print(exc.code if exc.code.startswith("rhythm") else f"{prog}: error: {exc.code}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
