# Helpers that turn the config into targets and inputs (rhythm.plan does the work).
import os
import shlex
from pathlib import Path
from types import SimpleNamespace

from rhythm import aist
from rhythm.plan import demo_recipe, landmarks_plan, make_plan
from rhythm.tracking import TrackOptions

PLAN = make_plan(config)
DATASET = config["dataset"]
OUT = f"results/{DATASET}"
ANNO = config["data"]["anno_dir"]
VIDEO_DIR = config["data"]["video_dir"]
IS_DEMO = bool(config["demo"].get("enabled"))
ENV = "../../envs/rhythm.yaml"


wildcard_constraints:
    dataset=r"[A-Za-z0-9_.-]+",
    video=r"g[A-Z]{2}_s[A-Z]{2}_c\d{2}_d\d{2}_m[A-Z]{2}\d_ch\d{2}",
    sequence=r"g[A-Z]{2}_s[A-Z]{2}_cAll_d\d{2}_m[A-Z]{2}\d_ch\d{2}",
    music=r"m[A-Z]{2}\d",
    fps=r"30|60",
    split=r"[A-Za-z0-9_]+",
    run=r"[A-Za-z0-9_.-]+",
    segment=r"[A-Za-z0-9_.-]+",


def selection_args():
    """The data selection as `rhythm status/report` arguments."""
    sel = config["selection"]
    args = ["--splits", *sel["splits"], "--cameras", *sel["cameras"]]
    if sel.get("genres"):
        args += ["--genres", *sel["genres"]]
    if sel.get("exclude_videos"):
        args += ["--exclude-videos", *sel["exclude_videos"]]
    if sel.get("limit"):
        args += ["--limit", str(sel["limit"])]
    return " ".join(args)


def _frame_options():
    """`rhythm frames` options from the config; with coco_frames_only, the COCO stride."""
    f = config["frames"]
    stride = config["coco"]["stride"] if f["coco_frames_only"] else f["stride"]
    opts = f"--align {f['align']} --quality {f['quality']} --stride {stride} --max-mismatch {f['max_mismatch']}"
    if f.get("width"):
        opts += f" --width {f['width']}"
    if f.get("height"):
        opts += f" --height {f['height']}"
    return opts


# Command-line options of the per-video and per-sequence rules, worked out once: a function in
# `params:` would be called for every one of tens of thousands of jobs.
FRAME_OPTS = _frame_options()
OVERLAY_OPTS = "--mode {mode} --min-confidence {min_confidence} --limit {limit}".format(**config["overlays"])
POSE_OPTS = " ".join(
    [
        "--optim" if config["poses"]["optim"] else "",
        "--center" if config["poses"]["center"] else "",
        f"--units {config['poses']['units']} --fps {config['poses']['fps']}",
        f"--smooth {config['poses']['smooth_sigma']}",
    ]
)
BEAT_OPTS = "--tracker {tracker} --min-bpm {min_bpm} --max-bpm {max_bpm} --tightness {tightness} --fps {fps}".format(
    **config["beats"]
) + ("" if config["beats"]["percussive"] else " --no-percussive")
COCO_OPTS = (
    "--stride {stride} --visible-threshold {visible_threshold} --labeled-threshold {labeled_threshold}"
    " --margin {margin} --link {link} --min-det-score {min_det_score}".format(**config["coco"])
)


def keypoints2d_of_video(wildcards):
    return str(aist.keypoints2d_path(ANNO, aist.sequence_name(wildcards.video)))


def keypoints2d_of_sequence(wildcards):
    return str(aist.keypoints2d_path(ANNO, wildcards.sequence))


def keypoints3d_of_sequence(wildcards):
    return str(aist.keypoints3d_path(ANNO, wildcards.sequence))


def reprojection_inputs(wildcards):
    seq = wildcards.sequence
    return {
        "keypoints2d": str(aist.keypoints2d_path(ANNO, seq)),
        "keypoints3d": str(aist.keypoints3d_path(ANNO, seq)),
        "mapping": f"{ANNO}/cameras/mapping.txt",
    }


def motion_of_sequence(wildcards):
    return str(aist.motion_path(ANNO, wildcards.sequence))


def music_candidates(wildcards):
    """The files the WAV of a music id may come from: a music file, or its videos (rhythm.music picks)."""
    if wildcards.music not in PLAN.music_sources:
        raise ValueError(f"no video or music file found for {wildcards.music}")
    return list(PLAN.music_sources[wildcards.music].candidates)


def music_sequences(wildcards):
    """The selected sequences that dance to a music id: its WAV must cover them."""
    return " ".join(PLAN.music_sources[wildcards.music].sequences)


def coco_frame_mappings(wildcards):
    return [f"{OUT}/frames/{v}/frame_mapping.json" for v in PLAN.coco_videos(wildcards.split)]


def split_files():
    return [f"{ANNO}/splits/{s}.txt" for s in config["selection"]["splits"]]


def frame_targets():
    return [f"{OUT}/frames/{v}/frame_mapping.json" for v in PLAN.frame_videos]


def beat_targets():
    return [f"{OUT}/beats/{m}.json" for m in PLAN.music]


def music_report_targets():
    return [f"{OUT}/audio/{m}.json" for m in PLAN.music]


def beat_plot_targets():
    return [f"{OUT}/reports/beats/{m}.png" for m in PLAN.music]


def pose_targets():
    return [f"{OUT}/poses/{s}.npy" for s in PLAN.sequences]


def coco_targets():
    return [f"{OUT}/rtmpose_dataset/{s}/annotations/{s}.json" for s in PLAN.coco_splits]


def reprojection_targets():
    return [f"{OUT}/reports/reprojection/{s}.json" for s in PLAN.sequences]


def overlay_targets():
    return [f"{OUT}/overlays/{v}/overlay.mp4" for v in PLAN.overlay_videos]


def all_targets():
    return (
        frame_targets()
        + coco_targets()
        + [f"{OUT}/rtmpose_dataset/rtmpose_{s}.py" for s in PLAN.coco_splits]
        + [f"{OUT}/audio/{m}.wav" for m in PLAN.music]
        + beat_targets()
        + beat_plot_targets()
        + pose_targets()
        + [f"{OUT}/features/{fps}fps/{m}.npy" for fps in config["features"]["fps"] for m in PLAN.music]
        + ([f"{OUT}/smpl/{s}.joints.npy" for s in PLAN.sequences] if config["poses"]["smpl"] else [])
        + ([f"{OUT}/audio2pose/index.json"] if config["audio2pose"]["enabled"] else [])
        + overlay_targets()
        + reprojection_targets()
        + reconstruction_targets()
        + landmark_targets()
        + landmark_validation_targets()
        + [f"{OUT}/reports/data_report.{ext}" for ext in ("json", "txt", "html")]
        + model_targets()
    )


# ----------------------------------------------------------------------------- the dance model

MODEL = config.get("model") or {}
MODEL_ON = bool(MODEL.get("enabled"))
RUN = MODEL.get("run") or DATASET
MODEL_FPS = MODEL.get("fps", 30)
MODEL_TRAINING = MODEL.get("training") or {}


def model_sequences(which):
    """Sequences the model uses: ``train`` (its train splits), ``val`` or ``test`` (crossmodal splits)."""
    names = MODEL.get("train_splits", ["train"]) if which == "train" else [MODEL.get(f"{which}_split")]
    out = []
    for name in names:
        if not name:
            continue
        split = f"crossmodal_{name}"
        if split not in PLAN.splits:
            raise ValueError(f"model: {which} uses {split}, which is not in selection.splits")
        out += PLAN.splits[split]
    return out


def model_motion_files(sequences):
    if MODEL.get("representation", "smpl") == "smpl":
        return [f"{OUT}/smpl/{s}.params.npy" for s in sequences]
    return [f"{OUT}/poses/{s}.npy" for s in sequences]


def model_motion_inputs():
    return model_motion_files(model_sequences("train") + model_sequences("val"))


def model_feature_inputs():
    music = sorted({aist.parse_name(s).music for s in model_sequences("train") + model_sequences("val")})
    return [f"{OUT}/features/{MODEL_FPS}fps/{m}.npy" for m in music]


def model_settings_json():
    """What `rhythm model-config` writes as the run's training config (a change retrains)."""
    import json

    splits = {}
    for key in {*MODEL.get("train_splits", ["train"]), MODEL.get("val_split"), MODEL.get("test_split", "test")}:
        if key:
            splits[key] = list(PLAN.splits.get(f"crossmodal_{key}", []))
    units = 1.0 if config["poses"]["units"] == "m" else 100.0
    return json.dumps({"run": RUN, "results": OUT, "splits": splits, "pose_units_per_metre": units,
                       "model": MODEL}, sort_keys=True)


def model_test_music():
    return sorted({aist.parse_name(s).music for s in model_sequences("test")})


def model_checkpoint_for_generation(wildcards):
    which = (MODEL.get("generate") or {}).get("checkpoint", "last")
    return f"results/models/{wildcards.run}/checkpoints/{which}.pt"


def seed_motion_of_music(wildcards):
    """With generate.seed_motion_s > 0: the first test sequence of this music starts the dance."""
    if not (MODEL.get("generate") or {}).get("seed_motion_s"):
        return []
    seqs = [s for s in model_sequences("test") if aist.parse_name(s).music == wildcards.music]
    return model_motion_files(seqs[:1])


def generate_options(wildcards, input):
    g = MODEL.get("generate") or {}
    v = g.get("video") or {}
    opts = (f"--seed {g.get('seed', 0)} --samples {g.get('samples', 1)} --width {v.get('width', 640)} --height {v.get('height', 360)}"
            f" --video-fps {v.get('fps', 60)}")
    if g.get("overlap") is not None:
        opts += f" --overlap {g['overlap']}"
    if not g.get("batched", True):
        opts += " --sequential"
    if input.seed_motion:
        opts += f" --seed-motion {shlex.quote(input.seed_motion[0])} --seed-seconds {g['seed_motion_s']}"
    return opts


def evaluate_options(wildcards):
    e = MODEL.get("evaluate") or {}
    opts = (f"--clip-s {e.get('clip_s', 2.0)} --clip-stride-s {e.get('clip_stride_s', 1.0)}"
            f" --seed {e.get('seed', 0)} --baseline-draws {e.get('baseline_draws', 20)} --seed-motion-s {(MODEL.get('generate') or {}).get('seed_motion_s', 0.0)}")
    if e.get("kinetic_acceleration", "reference") == "corrected":
        opts += " --corrected-kinetics"
    if config["poses"]["units"] == "m":
        opts += " --units-per-metre 1"
    return opts


def model_targets():
    if not MODEL_ON:
        return []
    gen = f"results/generated/{RUN}"
    return (
        [f"results/models/{RUN}/checkpoints/{c}.pt" for c in ("last", "best")]
        + [f"results/models/{RUN}/{f}" for f in ("metrics.csv", "loss_curve.png")]
        + [f"{gen}/{m}.{ext}" for m in model_test_music() for ext in ("npy", "pkl", "mp4")]
        + [f"{gen}/metrics.json", f"{gen}/report.md"]
    )


# ----------------------------------------------------------------------------- reconstruction
# Inputs and targets of workflow/rules/reconstruct.smk.

RECON = config["reconstruction"]
RECON_OUT = f"{OUT}/reconstruction"


def camera_setting(sequence):
    """The camera setting of a sequence, from mapping.txt (the demo writes only setting1)."""
    mapping = Path(ANNO) / "cameras" / "mapping.txt"
    if IS_DEMO and not mapping.is_file():
        return "setting1"
    settings = aist.load_camera_mapping(ANNO)
    if sequence not in settings:
        raise ValueError(f"{mapping}: no camera setting for {sequence}")
    return settings[sequence]


def reconstruction_sequences():
    seqs = RECON["sequences"] or PLAN.sequences
    return seqs[: RECON["max_sequences"]] if RECON["max_sequences"] else seqs


def calibration_sequences(setting):
    """The sequences whose keypoints2d go into the bundle adjustment of a setting."""
    seqs = [s for s in reconstruction_sequences() if camera_setting(s) == setting]
    return seqs[: RECON["calibration"]["max_sequences"]]


def calibration_keypoints(wildcards):
    return [str(aist.keypoints2d_path(ANNO, s)) for s in calibration_sequences(wildcards.setting)]


def initial_cameras(wildcards):
    folder = RECON["calibration"]["initial_dir"] or f"{ANNO}/cameras"
    return f"{folder}/{wildcards.setting}.json"


def triangulation_cameras(wildcards):
    setting = camera_setting(wildcards.sequence)
    if RECON["triangulation"]["cameras"] == "calibrated":
        return f"{RECON_OUT}/cameras/{setting}.json"
    return f"{ANNO}/cameras/{setting}.json"


def official_keypoints3d(wildcards):
    """The annotations' keypoints3d to measure against, where there are any."""
    path = aist.keypoints3d_path(ANNO, wildcards.sequence)
    return [str(path)] if IS_DEMO or path.is_file() else []


def fitting_source(wildcards):
    if RECON["fitting"]["source"] == "official":
        return keypoints3d_of_sequence(wildcards)
    return f"{RECON_OUT}/keypoints3d/{wildcards.sequence}.pkl"


def reconstruction_reports():
    """The stages' JSON reports that the errors file gathers (none while reconstruction is off)."""
    seqs = reconstruction_sequences() if RECON["enabled"] else []
    settings = sorted({camera_setting(s) for s in seqs}) if RECON["calibration"]["enabled"] else []
    return {
        "triangulation": [f"{RECON_OUT}/keypoints3d/{s}.json" for s in seqs],
        "fitting": [f"{RECON_OUT}/motions/{s}.json" for s in seqs] if RECON["fitting"]["enabled"] else [],
        "calibration": [f"{RECON_OUT}/cameras/{k}.report.json" for k in settings],
    }


def reconstruction_targets():
    if not RECON["enabled"]:
        return []
    return [f"{RECON_OUT}/errors.json"]


# ----------------------------------------------------------------------------- landmarks
# Inputs and targets of workflow/rules/landmarks.smk; rhythm.plan.landmarks_plan decides whether the
# stage runs (enabled: auto runs it only when the weights are in models_dir) and on what.

LANDMARKS = landmarks_plan(config, PLAN)


def _landmark_options():
    """`rhythm landmarks` options from the config (the same for every video and segment)."""
    lm = config["landmarks"]
    keypoints = lm["keypoints"] if isinstance(lm["keypoints"], str) else ",".join(map(str, lm["keypoints"]))
    low, high = lm["accept_fps_within"]
    opts = [
        f"--backend {lm['backend']} --device {lm['device']} --batch-size {lm['batch_size']}",
        f"--batch-frames {lm['batch_frames']} --det-score-thr {lm['det_score_threshold']}",
        f"--policy {lm['policy']} --keypoints {keypoints} --reduce-fps-to {lm['reduce_fps_to'] or 0}",
        f"--accept-fps-within {low} {high} --frame-skip {lm['frame_skip']}",
    ]
    if lm.get("detector_config"):
        opts.append(f"--det-config {shlex.quote(lm['detector_config'])}")
    if lm.get("pose_config"):
        opts.append(f"--pose-config {shlex.quote(lm['pose_config'])}")
    if lm["policy"] == "people":  # the tracking options that differ from rhythm.tracking's defaults
        defaults = TrackOptions()
        for key, value in lm["tracking"].items():
            if value != getattr(defaults, key):
                opts.append(f"--{key.replace('_', '-')} {str(value).lower() if isinstance(value, bool) else value}")
    return " ".join(opts)


LANDMARK_OPTS = _landmark_options()


def landmark_targets():
    return [f"{OUT}/landmarks/{v}.npy" for v in LANDMARKS.videos] + [
        f"{OUT}/landmarks/segments/{s}.npy" for s in LANDMARKS.segments
    ]


def landmark_reports():
    return [str(Path(p).with_suffix(".json")) for p in landmark_targets()]


def landmark_validation_targets():
    return [f"{OUT}/reports/landmarks_validation.json"] if landmark_targets() else []


def landmarks_skipped_option():
    """For the data report: why the stage did not run (weights missing, or switched off)."""
    return f"--landmarks-skipped {shlex.quote(LANDMARKS.reason)}" if LANDMARKS.reason else ""


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
