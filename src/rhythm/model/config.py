"""The dance model's settings: the ``model:`` section of the workflow config, as typed dataclasses.

Every field has the default the schema (``workflow/schemas/config.schema.yaml``) documents, so a
partial section works; an unknown key is an error that names it. A checkpoint stores the dict it
was trained with (:func:`ModelConfig.to_dict`), so generation never depends on the config file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rhythm.core.errors import RhythmInputError

REPRESENTATIONS = ("smpl", "keypoints3d")


@dataclass(frozen=True)
class NetworkConfig:
    dim: int = 128  # transformer width
    layers: int = 4
    heads: int = 4
    ff_mult: int = 2  # feed-forward width = ff_mult * dim
    dropout: float = 0.0
    music_kernel: int = 5  # frames of music context each token sees before attention (odd)


@dataclass(frozen=True)
class DiffusionConfig:
    steps: int = 1000  # noise levels in training
    schedule: str = "cosine"  # cosine (Nichol & Dhariwal) or linear
    sampling_steps: int = 50  # DDIM steps when generating
    eta: float = 1.0  # DDIM stochasticity (0: deterministic given the start noise)
    guidance: float = 2.0  # classifier-free guidance weight on the music (1: none)
    music_dropout: float = 0.2  # training: probability a sample sees no music (for guidance)
    genre_dropout: float = 0.3  # training: probability a sample sees no genre (genre is optional)
    min_snr_gamma: float | None = None  # loss weight min(SNR_t, gamma) per sample (Hang et al. 2023); None: uniform


@dataclass(frozen=True)
class LossWeights:
    x0: float = 1.0  # the representation itself (normalised)
    joints: float = 3.0  # joint positions by forward kinematics (decimetres)
    velocity: float = 10.0  # joint velocities (decimetres per frame)
    foot: float = 50.0  # foot speed where the model itself predicts contact (EDGE's contact consistency)


@dataclass(frozen=True)
class TrainingConfig:
    steps: int = 3000
    batch_size: int = 32  # on CPU
    gpu_batch_size: int = 128  # on a GPU (larger batches; the learning rate is scaled by sqrt of the ratio)
    lr: float = 4e-4
    weight_decay: float = 0.0
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1  # cosine decay to lr * this
    grad_clip: float = 1.0
    ema_decay: float = 0.995
    seed: int = 0
    checkpoint_every: int = 250
    val_every: int = 250
    log_every: int = 25
    keep_checkpoints: int = 2  # step-*.pt files kept for resuming
    amp: bool = True  # bfloat16 autocast on a GPU (CPU runs stay float32)
    stretch: tuple[float, float] = (0.8, 1.25)  # time-stretch augmentation: tempo factor range (1, 1: off)
    losses: LossWeights = field(default_factory=LossWeights)
    threads: int = 8  # the train_model job's CPU threads (Snakemake caps them at --cores)
    mem_mb: int = 8000  # the train_model job's memory
    runtime_min: int = 240  # the train_model job's time limit


@dataclass(frozen=True)
class VideoConfig:
    width: int = 640
    height: int = 360
    fps: int = 60


@dataclass(frozen=True)
class GenerateConfig:
    checkpoint: str = "last"  # last or best
    overlap: float = 0.5  # fraction of a window shared with the next one in long songs
    seed: int = 0
    samples: int = 1  # dances per test track (seeds seed, seed+1, ...); evaluation scores them all
    seed_motion_s: float = 0.0  # seconds of ground-truth motion to start from (0: none)
    batched: bool = True  # denoise all windows of a song in one batch (False: one at a time)
    video: VideoConfig = field(default_factory=VideoConfig)


@dataclass(frozen=True)
class EvaluateConfig:
    clip_s: float = 2.0  # metrics on clips of this length (at 60 fps)
    clip_stride_s: float = 1.0
    seed: int = 0  # for the random-clip baseline
    baseline_draws: int = 20  # random-clip baseline draws averaged
    kinetic_acceleration: str = "reference"  # reference (published numbers) or corrected


@dataclass(frozen=True)
class ModelConfig:
    enabled: bool = False
    run: str | None = None  # results/models/<run>/; None: the dataset name
    representation: str = "smpl"  # smpl (root + 24 joint rotations, 6D) or keypoints3d (17 positions)
    fps: int = 30  # the model's frame rate (output is resampled to 60 fps)
    window_s: float = 2.0  # seconds the network sees at once
    genre: bool = True  # condition on the AIST genre (optional at generation)
    train_splits: tuple[str, ...] = ("train",)  # crossmodal splits trained on
    val_split: str | None = "val"  # chooses best.pt; None: training loss
    test_split: str = "test"  # generated and evaluated
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
    def from_dict(cls, data: dict | None, where: str = "model") -> "ModelConfig":
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
        return {"run": self.run, "results": str(self.results), "splits": self.splits,
                "pose_units_per_metre": self.pose_units_per_metre, "model": self.model.to_dict()}


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
