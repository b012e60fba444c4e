"""The dance model's settings: the ``model:`` section of the workflow config, as typed dataclasses.

Every field carries its default, bounds and description (:func:`rhythm.core.options.option`); the
schema's ``model:`` section is written from them, so a partial section works; an unknown key is an
error that names it. A checkpoint stores the dict it was trained with (:func:`ModelConfig.to_dict`),
so generation never depends on the config file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rhythm.core.errors import RhythmInputError
from rhythm.core.options import option

REPRESENTATIONS = ("smpl", "keypoints3d")
SPLITS = ("train", "val", "test")  # crossmodal splits


# Each setting once: its default, bounds and description here; the schema's model: section is written
# from these classes (python -m rhythm.pipeline.schema --write). Not command-line flags (cli=False).
@dataclass(frozen=True)
class NetworkConfig:
    dim: int = option(128, "transformer width", minimum=8, cli=False)
    layers: int = option(4, "transformer layers", minimum=1, cli=False)
    heads: int = option(4, "attention heads (dim must be a multiple)", minimum=1, cli=False)
    ff_mult: int = option(2, "feed-forward width / dim", minimum=1, cli=False)
    dropout: float = option(0.0, "dropout in the transformer", minimum=0, maximum=1, cli=False)
    music_kernel: int = option(5, "frames of music context per token before attention (odd)", minimum=1, cli=False)


@dataclass(frozen=True)
class DiffusionConfig:
    steps: int = option(1000, "noise levels in training", minimum=10, cli=False)
    schedule: str = option(
        "cosine", "noise schedule: cosine (Nichol & Dhariwal) or linear", choices=("cosine", "linear"), cli=False
    )
    sampling_steps: int = option(50, "DDIM steps when generating", minimum=1, cli=False)
    eta: float = option(
        1.0, "DDIM stochasticity (0: deterministic given the start noise)", minimum=0, maximum=1, cli=False
    )
    guidance: float = option(2.0, "classifier-free guidance weight on the music (1: none)", minimum=0, cli=False)
    music_dropout: float = option(
        0.2, "training: chance a sample hears no music (for guidance)", minimum=0, maximum=1, cli=False
    )
    genre_dropout: float = option(0.3, "training: chance a sample gets no genre", minimum=0, maximum=1, cli=False)
    min_snr_gamma: float | None = option(
        None,
        "weight each sample's loss by min(SNR_t, gamma) (Hang et al. 2023); null: uniform over noise levels",
        exclusive_minimum=0,
        cli=False,
    )


@dataclass(frozen=True)
class LossWeights:
    x0: float = option(1.0, "the representation itself (normalised)", minimum=0, cli=False)
    joints: float = option(3.0, "joint positions by forward kinematics (decimetres)", minimum=0, cli=False)
    velocity: float = option(10.0, "joint velocities (decimetres per frame)", minimum=0, cli=False)
    foot: float = option(
        50.0, "foot speed where the model predicts contact (EDGE's contact consistency loss)", minimum=0, cli=False
    )


@dataclass(frozen=True)
class TrainingConfig:
    steps: int = option(3000, "optimiser steps", minimum=1, cli=False)
    batch_size: int = option(32, "batch size on a CPU", minimum=1, cli=False)
    gpu_batch_size: int = option(
        128, "batch size on a GPU (learning rate scaled by the square root of the ratio)", minimum=1, cli=False
    )
    lr: float = option(4e-4, "peak learning rate", exclusive_minimum=0, cli=False)
    weight_decay: float = option(0.0, "AdamW weight decay", minimum=0, cli=False)
    warmup_steps: int = option(100, "linear warm-up steps", minimum=1, cli=False)
    min_lr_ratio: float = option(0.1, "cosine decay to lr * this", minimum=0, maximum=1, cli=False)
    grad_clip: float = option(1.0, "gradient norm clip (0: none)", minimum=0, cli=False)
    ema_decay: float = option(0.995, "EMA of the weights (generation uses the EMA)", minimum=0, maximum=1, cli=False)
    seed: int = option(0, "training seed", cli=False)
    checkpoint_every: int = option(250, "steps between checkpoints (resume points)", minimum=1, cli=False)
    val_every: int = option(250, "steps between validation losses (best.pt)", minimum=1, cli=False)
    log_every: int = option(25, "steps per row of metrics.csv", minimum=1, cli=False)
    keep_checkpoints: int = option(2, "step-*.pt files kept for resuming", minimum=1, cli=False)
    amp: bool = option(True, "bfloat16 autocast on a GPU (CPU runs stay float32)", cli=False)
    stretch: tuple[float, float] = option(
        (0.8, 1.25),
        "time-stretch augmentation: tempo factor range ([1, 1]: off)",
        exclusive_minimum=0,
        min_items=2,
        max_items=2,
        cli=False,
    )
    losses: LossWeights = field(default_factory=LossWeights)
    threads: int = option(
        8, "CPU threads of the train_model job (Snakemake caps them at --cores)", minimum=1, cli=False
    )
    mem_mb: int = option(8000, "train_model job memory (MB)", minimum=100, cli=False)
    runtime_min: int = option(240, "train_model job time limit (minutes)", minimum=1, cli=False)


@dataclass(frozen=True)
class VideoConfig:
    width: int = option(640, "video width in pixels", minimum=64, cli=False)
    height: int = option(360, "video height in pixels", minimum=64, cli=False)
    fps: int = option(60, "video frame rate", choices=(30, 60), cli=False)


@dataclass(frozen=True)
class GenerateConfig:
    checkpoint: str = option("last", "the checkpoint the generate rule uses", choices=("last", "best"), cli=False)
    overlap: float = option(
        0.5, "fraction of a window shared with the next one in long songs", minimum=0, exclusive_maximum=1, cli=False
    )
    seed: int = option(0, "seed of the first dance", cli=False)
    samples: int = option(
        1, "dances per test track (seeds seed, seed+1, ...), all evaluated; the first is rendered", minimum=1, cli=False
    )
    seed_motion_s: float = option(
        0.0, "start from this many seconds of the test ground truth (0: music only)", minimum=0, cli=False
    )
    batched: bool = option(True, "denoise all windows of a song in one batch (false: one at a time)", cli=False)
    video: VideoConfig = field(default_factory=VideoConfig)


@dataclass(frozen=True)
class EvaluateConfig:
    clip_s: float = option(
        2.0, "metrics on clips of this length in seconds (Bailando: 20, EDGE: 5)", exclusive_minimum=0, cli=False
    )
    clip_stride_s: float = option(1.0, "seconds between clip starts", exclusive_minimum=0, cli=False)
    seed: int = option(0, "seed of the random-clip baseline's first draw", cli=False)
    baseline_draws: int = option(
        20, "random-clip baseline draws averaged (few clips make a noisy FID)", minimum=1, cli=False
    )
    kinetic_acceleration: str = option(
        "reference", "reference (published numbers) or corrected", choices=("reference", "corrected"), cli=False
    )


@dataclass(frozen=True)
class ModelConfig:
    enabled: bool = option(False, "train, generate for every test track and evaluate", cli=False)
    run: str | None = option(
        None,
        "results/models/<run>/ and results/generated/<run>/; null: the dataset name",
        pattern="^[A-Za-z0-9_.-]+$",
        cli=False,
    )
    representation: str = option(
        "smpl",
        "smpl: root translation + 24 joint rotations (6D) + foot contacts, from "
        "smpl/<seq>.params.npy; keypoints3d: 17 COCO positions from poses/<seq>.npy "
        "(data without SMPL)",
        choices=REPRESENTATIONS,
        cli=False,
    )
    fps: int = option(30, "the model's frame rate; output is resampled to 60 fps", choices=(30, 60), cli=False)
    window_s: float = option(2.0, "seconds the network sees at once (EDGE: 5)", exclusive_minimum=0, cli=False)
    genre: bool = option(
        True, "condition on the AIST genre (optional when generating; taken from the music id)", cli=False
    )
    train_splits: tuple[str, ...] = option(
        ("train",), "crossmodal splits to train on", choices=SPLITS, min_items=1, unique_items=True, cli=False
    )
    val_split: str | None = option(
        "val", "crossmodal split whose loss picks best.pt; null: the training loss", choices=SPLITS, cli=False
    )
    test_split: str = option(
        "test", "crossmodal split whose tracks are generated and evaluated", choices=SPLITS, cli=False
    )
    network: NetworkConfig = field(default_factory=NetworkConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)

    @property
    def window(self) -> int:
        """Frames per window at the model's frame rate."""
        return int(round(self.window_s * self.fps))

    def to_dict(self) -> dict:
        return _to_plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict | None, where: str = "model") -> ModelConfig:
        cfg = _build(cls, data or {}, where)
        cfg.check(where)
        return cfg

    def check(self, where: str = "model") -> None:
        problems = []
        if self.representation not in REPRESENTATIONS:
            problems.append(f"representation must be one of {REPRESENTATIONS}, not {self.representation!r}")
        if self.fps not in (30, 60):
            problems.append(f"fps must be 30 or 60, not {self.fps}")
        if self.window < 8:
            problems.append(f"window_s {self.window_s} gives {self.window} frames; at least 8 are needed")
        if self.network.dim % self.network.heads:
            problems.append(f"network.dim {self.network.dim} is not a multiple of network.heads {self.network.heads}")
        if self.network.music_kernel % 2 == 0:
            problems.append("network.music_kernel must be odd")
        if self.diffusion.schedule not in ("cosine", "linear"):
            problems.append(f"diffusion.schedule must be cosine or linear, not {self.diffusion.schedule!r}")
        if not 0 <= self.generate.overlap < 1:
            problems.append("generate.overlap must be in [0, 1)")
        if self.generate.checkpoint not in ("last", "best"):
            problems.append("generate.checkpoint must be last or best")
        lo, hi = self.training.stretch
        if not 0 < lo <= hi:
            problems.append("training.stretch must be [low, high] with 0 < low <= high")
        if problems:
            raise ValueError(f"{where}: " + "; ".join(problems))


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(fields)})")
    kwargs = {}
    for name, value in data.items():
        f = fields[name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value or {}, f"{where}.{name}")
        elif isinstance(default, tuple) or name in ("train_splits", "stretch"):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    return obj


@dataclass(frozen=True)
class TrainingRun:
    """What ``rhythm train`` needs: the model settings, where the prepared data is, and the splits."""

    model: ModelConfig
    results: Path  # results/<dataset>: features/, smpl/, poses/
    splits: dict[str, list[str]]  # train / val / test -> sequences (ignore list applied)
    run: str
    pose_units_per_metre: float = 100.0  # keypoints3d poses/<seq>.npy units (cm: 100)

    def sequences(self, which: str) -> list[str]:
        if which == "train":
            return [s for split in self.model.train_splits for s in self.splits.get(split, [])]
        name = self.model.val_split if which == "val" else self.model.test_split if which == "test" else which
        return list(self.splits.get(name, [])) if name else []

    def to_dict(self) -> dict:
        return {
            "run": self.run,
            "results": str(self.results),
            "splits": self.splits,
            "pose_units_per_metre": self.pose_units_per_metre,
            "model": self.model.to_dict(),
        }


def load_training_run(path: str | Path) -> TrainingRun:
    """Read a training config: either a run file (``rhythm model-config`` writes one per run, with
    ``results``, ``splits`` and ``model``) or a whole workflow config (``config/config.yaml``), whose
    splits are then read from its annotations (crossmodal splits minus the ignore list)."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RhythmInputError(path, f"not valid YAML ({exc})") from None
    try:
        return training_run_from_dict(data)
    except (KeyError, ValueError) as exc:
        raise RhythmInputError(path, str(exc)) from None


def training_run_from_dict(data: dict) -> TrainingRun:
    if "model" not in data:
        raise KeyError("no 'model' section")
    model = ModelConfig.from_dict(data["model"])
    if "splits" in data:  # a run file
        splits = {k: list(v) for k, v in data["splits"].items()}
        results = Path(data["results"])
        units = float(data.get("pose_units_per_metre", 100.0))
        run = data.get("run") or model.run or results.name
    else:  # a workflow config
        from rhythm.motion.windows import split_sequences

        anno = data["data"]["anno_dir"]
        genres = (data.get("selection") or {}).get("genres") or None
        wanted = set(model.train_splits) | {model.test_split} | ({model.val_split} if model.val_split else set())
        splits = {s: split_sequences(anno, s, genres) for s in sorted(wanted)}
        results = Path("results") / data["dataset"]
        units = 1.0 if (data.get("poses") or {}).get("units") == "m" else 100.0
        run = model.run or data["dataset"]
    return TrainingRun(model=model, results=results, splits=splits, run=run, pose_units_per_metre=units)
