# Helpers that turn the config into targets and inputs (rhythm.plan does the work).
from pathlib import Path

from rhythm import aist
from rhythm.plan import demo_recipe, make_plan

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


def frame_options(wildcards):
    """`rhythm frames` options from the config; with coco_frames_only, the COCO stride."""
    f = config["frames"]
    stride = config["coco"]["stride"] if f["coco_frames_only"] else f["stride"]
    opts = f"--align {f['align']} --quality {f['quality']} --stride {stride} --max-mismatch {f['max_mismatch']}"
    if f.get("width"):
        opts += f" --width {f['width']}"
    if f.get("height"):
        opts += f" --height {f['height']}"
    return opts


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


def source_video(wildcards):
    return f"{VIDEO_DIR}/{wildcards.video}.mp4"


def music_source(wildcards):
    if wildcards.music not in PLAN.music_sources:
        raise ValueError(f"no video or music file found for {wildcards.music}")
    return PLAN.music_sources[wildcards.music]


def coco_frame_mappings(wildcards):
    return [f"{OUT}/frames/{v}/frame_mapping.json" for v in PLAN.coco_videos(wildcards.split)]


def split_files():
    return [f"{ANNO}/splits/{s}.txt" for s in config["selection"]["splits"]]


def frame_targets():
    return [f"{OUT}/frames/{v}/frame_mapping.json" for v in PLAN.frame_videos]


def beat_targets():
    return [f"{OUT}/beats/{m}.json" for m in PLAN.music]


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
        opts += f" --seed-motion {input.seed_motion[0]} --seed-seconds {g['seed_motion_s']}"
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
