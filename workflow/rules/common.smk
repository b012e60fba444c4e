# Glue between the config and the rules: the plan (rhythm.pipeline, tested Python) and the input
# functions and target lists the rules expand.
import os
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

from rhythm.core import aist
from rhythm.audio.beats import BeatOptions
from rhythm.audio.music import MusicOptions
from rhythm.core.options import config_flags
from rhythm.motion.poses import PoseOptions
from rhythm.sources.demo import DemoRecipe
from rhythm.sources.download import DownloadOptions
from rhythm.reconstruction.calibration import CalibrationOptions
from rhythm.reconstruction.fitting import FitOptions
from rhythm.reconstruction.triangulation import TriangulationOptions
from rhythm.rtmpose.options import RtmposeOptions
from rhythm.video.coco import CocoOptions
from rhythm.video.frames import FrameOptions
from rhythm.video.overlays import OverlayOptions
from rhythm.core.errors import RhythmInputError
from rhythm.pipeline import model as model_stage
from rhythm.pipeline.landmarks import landmark_options, landmarks_plan, skipped_option, validate_options
from rhythm.pipeline.model import model_plan
from rhythm.pipeline.plan import PlanError, annotation_view, demo_recipe, detection_inputs, make_plan
from rhythm.pipeline.reconstruction import reconstruction_plan
from rhythm.pipeline.resources import cap_local_gpus
from rhythm.pipeline.rtmpose import rtmpose_plan
from rhythm.pipeline.selection import selection_from_config
from rhythm.pipeline.targets import Targets

DATASET = config["dataset"]
OUT = f"results/{DATASET}"
ANNO = config["data"]["anno_dir"]
VIDEO_DIR = config["data"]["video_dir"]
IS_DEMO = bool(config["demo"].get("enabled"))
ENV = "../../envs/rhythm.yaml"
# keypoints2d from your own detections (data.keypoints2d_source): the stages read the annotations through a
# view whose keypoints2d/ the import_keypoints rule fills (rhythm.pipeline.plan.annotation_view)
KP2D_SOURCE = config["data"]["keypoints2d_source"]
STAGE_ANNO = ANNO if KP2D_SOURCE == "annotations" else str(annotation_view(ANNO, f"{OUT}/annotations"))

try:
    PLAN = make_plan(config)
    MODEL = model_plan(config, PLAN)
    RECON = reconstruction_plan(config, PLAN, IS_DEMO)
    LANDMARKS = landmarks_plan(config, PLAN)
    RTMPOSE = rtmpose_plan(config, PLAN)
    TARGETS = Targets(config, PLAN, MODEL, RECON, LANDMARKS, RTMPOSE, STAGE_ANNO, IS_DEMO)
    LANDMARK_OPTS = landmark_options(config)
    LANDMARK_VALIDATE_OPTS = validate_options(config)
    LANDMARKS_SKIPPED = skipped_option(LANDMARKS)
except (PlanError, RhythmInputError) as exc:  # one line naming the key or the files
    sys.exit(f"rhythm: {exc}")

# One GPU job per local GPU (gpu=1 rules: landmarks, train_model); none: they run on the CPU.
GPUS = cap_local_gpus(workflow)
if GPUS:
    print(f"rhythm: {GPUS} local GPU(s): at most one GPU job on each (--resources gpu=N to change)", file=sys.stderr)


wildcard_constraints:
    dataset=r"[A-Za-z0-9_.-]+",
    video=r"g[A-Z]{2}_s[A-Z]{2}_c\d{2}_d\d{2}_m[A-Z]{2}\d_ch\d{2}",
    sequence=r"g[A-Z]{2}_s[A-Z]{2}_cAll_d\d{2}_m[A-Z]{2}\d_ch\d{2}",
    music=r"m[A-Z]{2}\d",
    fps=r"30|60",
    split=r"[A-Za-z0-9_]+",
    run=r"[A-Za-z0-9_.-]+",
    segment=r"[A-Za-z0-9_.-]+",


# Command-line options of the per-video and per-sequence rules, worked out once (a function in `params:`
# would be called for every one of tens of thousands of jobs), each from its config section through
# the stage's options dataclass (rhythm.core.options.config_flags): every setting is passed, none spelt twice.
FRAME_OPTS = config_flags(
    FrameOptions,
    {
        **config["frames"],
        "stride": config["coco"]["stride"] if config["frames"]["coco_frames_only"] else config["frames"]["stride"],
    },
)
OVERLAY_OPTS = config_flags(OverlayOptions, config["overlays"])
POSE_OPTS = config_flags(PoseOptions, config["poses"])
BEAT_OPTS = config_flags(BeatOptions, config["beats"])
AUDIO_OPTS = config_flags(MusicOptions, config["audio"])
COCO_OPTS = config_flags(CocoOptions, config["coco"])
_REC = config["reconstruction"]
TRIANGULATE_OPTS = config_flags(TriangulationOptions, _REC["triangulation"])
CALIBRATE_OPTS = config_flags(CalibrationOptions, _REC["calibration"])
RTMPOSE_OPTS = config_flags(RtmposeOptions, config["rtmpose"])
BROWSER_COPY = "--copy-media" if config["browser"]["copy_media"] else ""
FIT_OPTS = " ".join(
    [config_flags(FitOptions, _REC["fitting"]), f"--gender {_REC['fitting']['gender']}"]
    + (["--optim"] if _REC["fitting"]["optim"] else [])
    + ([f"--smpl-model {shlex.quote(_REC['fitting']['smpl_model'])}"] if _REC["fitting"]["smpl_model"] else [])
)
SELECTION_ARGS = " ".join(shlex.quote(a) for a in selection_from_config(config).as_args())


# ----------------------------------------------------------------------------- inputs


def keypoints2d_of_video(wildcards):
    return str(aist.keypoints2d_path(STAGE_ANNO, aist.sequence_name(wildcards.video)))


def keypoints2d_of_sequence(wildcards):
    return str(aist.keypoints2d_path(STAGE_ANNO, wildcards.sequence))


def keypoints3d_of_sequence(wildcards):
    return str(aist.keypoints3d_path(ANNO, wildcards.sequence))


def motion_of_sequence(wildcards):
    return str(aist.motion_path(ANNO, wildcards.sequence))


def reprojection_inputs(wildcards):
    return {
        "keypoints2d": keypoints2d_of_sequence(wildcards),
        "keypoints3d": keypoints3d_of_sequence(wildcards),
        "mapping": f"{ANNO}/cameras/mapping.txt",
    }


def detections_of_sequence(wildcards):
    """Your own detections of a sequence's videos (data.detections_dir), one per camera."""
    found = detection_inputs(config, selection_from_config(config), wildcards.sequence)
    if not found:
        raise ValueError(f"no detections of {wildcards.sequence}'s videos in {config['data']['detections_dir']}")
    return [path for _, path in found]


def detection_cameras(wildcards):
    return " ".join(camera for camera, _ in detection_inputs(config, selection_from_config(config), wildcards.sequence))


def music_candidates(wildcards):
    """The files the WAV of a music id may come from: a music file, or its videos (rhythm.audio.music picks)."""
    if wildcards.music not in PLAN.music_sources:
        raise ValueError(f"no video or music file found for {wildcards.music}")
    return list(PLAN.music_sources[wildcards.music].candidates)


def music_sequences(wildcards):
    """The selected sequences that dance to a music id: its WAV must cover them."""
    return " ".join(PLAN.music_sources[wildcards.music].sequences)


def coco_frame_mappings(wildcards):
    return [f"{OUT}/frames/{v}/frame_mapping.json" for v in PLAN.coco_videos(wildcards.split)]


def source_video(wildcards):
    """The video a stage reads: the source file in data.video_dir, or, when that is missing and
    downloads are on, results/<dataset>/videos/<video>.mp4 (the download_video target).

    Stages read the source directly rather than through a link job: at the full AIST++ size a
    link job per video would add 12,670 jobs to the DAG (docs/benchmarks.md). `link_video` still
    builds results/<dataset>/videos/<video>.mp4 when that target is asked for.
    """
    path = f"{VIDEO_DIR}/{wildcards.video}.mp4"
    if config["download"]["enabled"] and not os.path.exists(path):
        return f"results/{wildcards.dataset}/videos/{wildcards.video}.mp4"
    return path


# ----------------------------------------------------------------------------- the dance model
# rhythm.pipeline.model decides what it trains on; these are its rules' inputs.


def model_motion_inputs(wildcards):
    seqs = MODEL.sequences("train", config["model"]) + MODEL.sequences("val", config["model"])
    return model_stage.motion_files(OUT, MODEL.representation, seqs)


def model_feature_inputs(wildcards):
    seqs = MODEL.sequences("train", config["model"]) + MODEL.sequences("val", config["model"])
    return model_stage.feature_files(OUT, MODEL.fps, seqs)


def model_test_motions(wildcards):
    return model_stage.motion_files(OUT, MODEL.representation, MODEL.sequences("test", config["model"]))


def model_train_motions(wildcards):
    return model_stage.motion_files(OUT, MODEL.representation, MODEL.sequences("train", config["model"]))


def model_generated(wildcards):
    return [
        f"results/generated/{wildcards.run}/{m}.samples.npy" for m in model_stage.test_music(MODEL, config["model"])
    ]


def model_checkpoint_for_generation(wildcards):
    return f"results/models/{wildcards.run}/checkpoints/{config['model']['generate']['checkpoint']}.pt"


def seed_motion_of_music(wildcards):
    return model_stage.seed_motion(config, MODEL, OUT, wildcards.music)


def generate_options(wildcards, input):
    return model_stage.generate_options(config, list(input.seed_motion))


# ----------------------------------------------------------------------------- reconstruction
# rhythm.pipeline.reconstruction decides what is reconstructed; these are its rules' inputs.


def calibration_keypoints(wildcards):
    return [str(aist.keypoints2d_path(STAGE_ANNO, s)) for s in RECON.calibration_sequences[wildcards.setting]]


def calibration_sequence_names(wildcards):
    return " ".join(RECON.calibration_sequences[wildcards.setting])


def initial_cameras(wildcards):
    return RECON.initial_cameras(wildcards.setting)


def triangulation_cameras(wildcards):
    return RECON.cameras_for_triangulation(wildcards.sequence)


def official_keypoints3d(wildcards):
    """The annotations' keypoints3d to measure against, where there are any."""
    path = aist.keypoints3d_path(ANNO, wildcards.sequence)
    return [str(path)] if IS_DEMO or path.is_file() else []


def fitting_source(wildcards):
    return RECON.fitting_source(wildcards.sequence)


# ----------------------------------------------------------------------------- landmarks
# rhythm.pipeline.landmarks decides whether the stage runs (enabled: auto runs it only when the
# weights are in models_dir) and on what.


def segment_video(wildcards):
    """A manifest segment's video: an AIST++ video through results/ (linked or downloaded), else data.video_dir."""
    video = LANDMARKS.segments[wildcards.segment].video
    try:
        aist.parse_name(video)
    except ValueError:
        return f"{VIDEO_DIR}/{video}.mp4"
    return source_video(SimpleNamespace(dataset=wildcards.dataset, video=video))


def segment_span(wildcards):
    seg = LANDMARKS.segments[wildcards.segment]
    return f"--start {seg.start_s} --end {seg.end_s} --segment {seg.name}"
