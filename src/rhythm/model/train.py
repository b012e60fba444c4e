"""Training: seeded, resumable, with a metrics log, a loss curve and the best checkpoint by validation.

Outputs under ``results/models/<run>/``::

    checkpoints/last.pt         the latest state (a hard link to the newest step file)
    checkpoints/best.pt         the EMA weights with the lowest validation loss (a link to best-<step>.pt)
    checkpoints/step-<step>.pt  rolling checkpoints every ``checkpoint_every`` steps (the last few kept)
    metrics.csv                 step, losses, learning rate, validation loss, elapsed seconds
    loss_curve.png              training and validation loss
    summary.json                data, timing, throughput, first and last loss

Resuming: a run started again finds the newest ``step-*.pt`` trained with the same settings and
continues from it, with the optimiser, the EMA, the loss history and every random generator
restored, so a run killed at any point and restarted ends with the same weights as one that was
never interrupted. The step files are not Snakemake outputs, so they survive Snakemake deleting
``last.pt`` before it reruns an incomplete job. Settings that do not change the arithmetic (the
number of steps, how often to log or save) may change between runs; a longer ``steps`` continues
an already finished run.

On a GPU the batch is ``gpu_batch_size`` (learning rate scaled by the square root of the batch
ratio) and the network runs under bfloat16 autocast (``amp``); on a CPU, ``batch_size`` in float32.

(Over 500 lines on purpose: :class:`Trainer` is one state machine, whose saving, resuming and
restoring of every generator must be read together to see that a restarted run is bit-identical.)
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path, write_json, write_text
from rhythm.model.checkpoint import build_network, read_checkpoint, save_checkpoint
from rhythm.model.config import TrainingRun
from rhythm.model.data import GENRES, WindowSampler, load_sequences
from rhythm.model.diffusion import Diffusion
from rhythm.model.losses import denoising_loss
from rhythm.model.representation import Normalizer, representation

LOSS_TERMS = ("x0", "joints", "velocity", "foot")
CSV_COLUMNS = ("step", "loss", *LOSS_TERMS, "lr", "val_loss", "elapsed_s")
# Settings that may differ between a checkpoint and the run resuming it.
_FREE_TRAINING_KEYS = (
    "steps",
    "checkpoint_every",
    "val_every",
    "log_every",
    "keep_checkpoints",
    "threads",
    "mem_mb",
    "runtime_min",
)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RhythmInputError("--device", f"{device} asked for, but torch sees no CUDA device")
    return torch.device(device)


def signature(run: TrainingRun) -> dict:
    """What must match for a checkpoint to be resumed: model settings (bar bookkeeping) and the data
    (the sequence names here; the Trainer adds a fingerprint of the arrays)."""
    model = run.model.to_dict()
    for key in _FREE_TRAINING_KEYS:
        model["training"].pop(key)
    model.pop("generate")
    model.pop("evaluate")
    model.pop("enabled")
    model.pop("run")
    return {"model": model, "train": run.sequences("train"), "val": run.sequences("val")}


def _differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}")
    return out


def _data_fingerprint(*samplers) -> str:
    """SHA-1 of the training (and validation) arrays: new data never resumes an old run."""
    import hashlib

    digest = hashlib.sha1()
    for sampler in samplers:
        for seq in sampler.sequences if sampler is not None else []:
            for arr in (seq.source, seq.music):
                digest.update(np.ascontiguousarray(arr).tobytes())
            digest.update(f"{seq.name}:{seq.genre}".encode())
    return digest.hexdigest()


def lr_at(step: int, base: float, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up, then cosine decay to ``base * min_ratio`` at ``total``."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def _link(src: Path, dst: Path) -> None:
    """``dst`` becomes a hard link to ``src`` (a copy where links are impossible), atomically."""
    if dst.exists() and os.path.samefile(src, dst):
        return
    with atomic_path(dst) as tmp:
        tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            import shutil

            shutil.copyfile(src, tmp)


def _step_files(ckdir: Path, prefix: str) -> list[Path]:
    return sorted(ckdir.glob(f"{prefix}-*.pt"))


def write_metrics_csv(path: Path, history: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_COLUMNS})
    write_text(path, buf.getvalue())


def plot_loss_curve(path: Path, history: list[dict], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = [r["step"] for r in history]
    ax.plot(steps, [r["loss"] for r in history], label="training loss", color="tab:blue", lw=1.2)
    val = [(r["step"], r["val_loss"]) for r in history if r.get("val_loss") is not None]
    if val:
        ax.plot(*zip(*val), "o-", label="validation loss (EMA weights)", color="tab:orange", ms=3, lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


class Trainer:
    """One training run; :meth:`run` trains (or resumes) to ``training.steps`` and writes the outputs."""

    def __init__(
        self,
        run: TrainingRun,
        out_dir: str | Path | None = None,
        *,
        threads: int | None = None,
        device: str = "auto",
        restart: bool = False,
        progress: bool = True,
    ):
        self.run_config = run
        self.cfg = run.model
        self.tc = run.model.training
        self.out = Path(out_dir) if out_dir else Path("results/models") / run.run
        self.ckdir = self.out / "checkpoints"
        self.device = resolve_device(device)
        self.progress = progress
        self.restart = restart
        if threads:
            torch.set_num_threads(threads)
        self.rep = representation(self.cfg.representation)
        self.signature = signature(run)

        train_names = run.sequences("train")
        if not train_names:
            raise RhythmInputError(run.results, f"no training sequences in split(s) {', '.join(self.cfg.train_splits)}")
        load: dict[str, Any] = dict(
            rep_name=self.cfg.representation,
            fps=self.cfg.fps,
            pose_units_per_metre=run.pose_units_per_metre,
            genre=self.cfg.genre,
        )
        self.train_data = WindowSampler(
            load_sequences(run.results, train_names, **load), self.rep, self.cfg.fps, self.cfg.window
        )
        val_names = run.sequences("val")
        self.val_data = (
            WindowSampler(load_sequences(run.results, val_names, **load), self.rep, self.cfg.fps, self.cfg.window)
            if val_names
            else None
        )
        self.motion_norm, self.music_norm = self.train_data.normalizers()
        self.signature["data_sha1"] = _data_fingerprint(self.train_data, self.val_data)

        gpu = self.device.type == "cuda"
        self.batch_size = self.tc.gpu_batch_size if gpu else self.tc.batch_size
        self.lr = self.tc.lr * math.sqrt(self.batch_size / self.tc.batch_size)
        self.amp = gpu and self.tc.amp

        torch.manual_seed(self.tc.seed)
        self.net = build_network(self.cfg).to(self.device)
        self.ema = copy.deepcopy(self.net).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=self.lr, weight_decay=self.tc.weight_decay)
        self.diffusion = Diffusion(self.cfg.diffusion.steps, self.cfg.diffusion.schedule)
        self.np_rng = np.random.default_rng(self.tc.seed)
        self.gen = torch.Generator().manual_seed(self.tc.seed)
        self.step = 0
        self.elapsed = 0.0
        self.history: list[dict] = []
        self.best: dict[str, Any] = {"step": None, "val_loss": None, "file": None}
        self.resumed_from: str | None = None

    # ------------------------------------------------------------------ state

    def state(self, with_optimizer: bool = True) -> dict:
        state = {
            "config": self.cfg.to_dict(),
            "signature": self.signature,
            "motion_norm": self.motion_norm.to_dict(),
            "music_norm": self.music_norm.to_dict(),
            "model": self.net.state_dict(),
            "ema": self.ema.state_dict(),
            "step": self.step,
            "elapsed_s": self.elapsed,
            "history": self.history,
            "best": self.best,
            "data": {
                "results": str(self.run_config.results),
                "train": self.signature["train"],
                "val": self.signature["val"],
                "train_frames": self.train_data.num_frames,
            },
            "rng": {
                "numpy": self.np_rng.bit_generator.state,
                "generator": self.gen.get_state(),
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            },
        }
        if with_optimizer:
            state["optimizer"] = self.opt.state_dict()
        return state

    def load_state(self, state: dict) -> None:
        self.net.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["optimizer"])
        self.motion_norm = Normalizer.from_dict(state["motion_norm"])
        self.music_norm = Normalizer.from_dict(state["music_norm"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed_s"])
        self.history = list(state["history"])
        self.best = dict(state["best"])
        self.np_rng.bit_generator.state = state["rng"]["numpy"]
        self.gen.set_state(state["rng"]["generator"])
        torch.set_rng_state(state["rng"]["torch"])
        if state["rng"].get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])

    def try_resume(self) -> None:
        """Continue from the newest compatible step checkpoint, if any (see the module doc)."""
        files = _step_files(self.ckdir, "step")
        if self.restart:
            for f in files + _step_files(self.ckdir, "best"):
                f.unlink()
            return
        for path in reversed(files):
            try:
                state = read_checkpoint(path)
            except RhythmInputError as exc:  # a damaged file: try the one before
                print(f"skipping {exc}", flush=True)
                continue
            diffs = _differences(state.get("signature", {}), self.signature)
            if diffs:
                print(
                    f"not resuming from {path}: trained with other settings ({', '.join(diffs[:6])}); starting afresh",
                    flush=True,
                )
                for f in files + _step_files(self.ckdir, "best"):
                    f.unlink()
                return
            self.load_state(state)
            self.resumed_from = str(path)
            print(f"resuming from {path} at step {self.step}", flush=True)
            return

    # ------------------------------------------------------------------ steps

    def _tensors(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x0 = self.motion_norm.normalize(torch.from_numpy(batch["motion"])).to(self.device)
        music = self.music_norm.normalize(torch.from_numpy(batch["music"])).to(self.device)
        return x0, music, torch.from_numpy(batch["genre"]).to(self.device)

    def _network(self, net):
        if not self.amp:
            return net

        def call(*args):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return net(*args).float()

        return call

    def train_step(self) -> dict:
        for group in self.opt.param_groups:
            group["lr"] = lr_at(self.step, self.lr, self.tc.warmup_steps, self.tc.steps, self.tc.min_lr_ratio)
        stretch_low, stretch_high = self.tc.stretch
        batch = self.train_data.sample(self.np_rng, self.batch_size, (stretch_low, stretch_high))
        x0, music, genre = self._tensors(batch)
        self.net.train()
        loss, terms = denoising_loss(
            self._network(self.net),
            self.diffusion,
            self.rep,
            self.motion_norm,
            x0,
            music,
            genre,
            self.tc.losses,
            self.gen,
            self.cfg.diffusion.music_dropout,
            self.cfg.diffusion.genre_dropout,
            no_genre=len(GENRES),
            min_snr_gamma=self.cfg.diffusion.min_snr_gamma,
        )
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.tc.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.tc.grad_clip)
        self.opt.step()
        decay = min(self.tc.ema_decay, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), self.net.parameters()):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        self.step += 1
        return {"loss": float(loss.detach()), **terms, "lr": self.opt.param_groups[0]["lr"]}

    @torch.no_grad()
    def validation_loss(self) -> float:
        """Mean loss of the EMA network on every validation window, with fixed noise (comparable
        across evaluations, and drawn from its own generator so training draws are untouched)."""
        data = self.val_data.fixed() if self.val_data is not None else None
        if data is None:
            return float("nan")
        gen = torch.Generator().manual_seed(self.tc.seed + 1)
        x0, music, genre = self._tensors(data)
        total, count = 0.0, 0
        for i in range(0, len(x0), self.batch_size):
            sl = slice(i, i + self.batch_size)
            loss, _ = denoising_loss(
                self._network(self.ema),
                self.diffusion,
                self.rep,
                self.motion_norm,
                x0[sl],
                music[sl],
                genre[sl],
                self.tc.losses,
                gen,
                0.0,
                0.0,
                no_genre=len(GENRES),
                min_snr_gamma=self.cfg.diffusion.min_snr_gamma,
            )
            n = x0[sl].shape[0]
            total += float(loss) * n
            count += n
        return total / count

    # ------------------------------------------------------------------ outputs

    def save(self) -> None:
        step_file = self.ckdir / f"step-{self.step:07d}.pt"
        save_checkpoint(step_file, self.state())
        _link(step_file, self.ckdir / "last.pt")
        for old in _step_files(self.ckdir, "step")[: -max(1, self.tc.keep_checkpoints)]:
            old.unlink()
        write_metrics_csv(self.out / "metrics.csv", self.history)
        plot_loss_curve(
            self.out / "loss_curve.png",
            self.history,
            f"{self.run_config.run}: {self.cfg.representation} diffusion, {self.step} steps",
        )

    def save_best(self, val_loss: float) -> None:
        best_file = self.ckdir / f"best-{self.step:07d}.pt"
        self.best = {
            "step": self.step,
            "val_loss": val_loss,
            "file": best_file.name,
            "criterion": "validation loss" if self.val_data is not None else "training loss",
        }
        save_checkpoint(best_file, self.state(with_optimizer=False))
        for old in _step_files(self.ckdir, "best"):
            if old != best_file:
                old.unlink()

    def run(self) -> dict:
        self.ckdir.mkdir(parents=True, exist_ok=True)
        self.try_resume()
        tc = self.tc
        sums: dict[str, float] = {}
        count = 0
        recent: list[float] = []
        import sys

        bar = tqdm(
            total=tc.steps,
            initial=min(self.step, tc.steps),
            desc=f"train {self.run_config.run}",
            disable=not self.progress,
            mininterval=1.0 if sys.stderr.isatty() else 15.0,
            unit="step",
        )
        while self.step < tc.steps:
            start = time.perf_counter()
            out = self.train_step()
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
            recent = (recent + [out["loss"]])[-max(1, tc.val_every) :]
            bar.update(1)
            validate = self.step % tc.val_every == 0 or self.step == tc.steps
            if self.step % tc.log_every == 0 or validate:
                row = {
                    "step": self.step,
                    **{k: v / count for k, v in sums.items()},
                    "val_loss": None,
                    "elapsed_s": round(self.elapsed + time.perf_counter() - start, 3),
                }
                sums, count = {}, 0
                bar.set_postfix(loss=f"{row['loss']:.4f}")
                self.history.append(row)
            if validate:
                val = self.validation_loss() if self.val_data is not None else float(np.mean(recent))
                if self.val_data is not None:
                    self.history[-1]["val_loss"] = val
                if self.best["val_loss"] is None or val < self.best["val_loss"]:
                    self.save_best(val)
            self.elapsed += time.perf_counter() - start
            if self.step % tc.checkpoint_every == 0 or self.step == tc.steps:
                self.save()
        bar.close()
        return self.finish()

    def finish(self) -> dict:
        """Write last.pt, best.pt, metrics.csv, loss_curve.png and summary.json for the current step."""
        step_file = self.ckdir / f"step-{self.step:07d}.pt"
        if not step_file.is_file():
            self.save()
        _link(step_file, self.ckdir / "last.pt")
        best_file = self.ckdir / (self.best.get("file") or "")
        if not self.best.get("file") or not best_file.is_file():
            self.save_best(self.validation_loss() if self.val_data is not None else float("nan"))
            best_file = self.ckdir / self.best["file"]
        _link(best_file, self.ckdir / "best.pt")
        write_metrics_csv(self.out / "metrics.csv", self.history)
        plot_loss_curve(
            self.out / "loss_curve.png",
            self.history,
            f"{self.run_config.run}: {self.cfg.representation} diffusion, {self.step} steps",
        )
        first = [r["loss"] for r in self.history[:2]]
        last = [r["loss"] for r in self.history[-2:]]
        summary = {
            "run": self.run_config.run,
            "device": str(self.device),
            "threads": torch.get_num_threads(),
            "steps": self.step,
            "batch_size": self.batch_size,
            "amp": self.amp,
            "parameters": sum(p.numel() for p in self.net.parameters()),
            "train_sequences": self.signature["train"],
            "val_sequences": self.signature["val"],
            "train_frames": self.train_data.num_frames,
            "elapsed_s": round(self.elapsed, 2),
            "samples_per_s": round(self.step * self.batch_size / self.elapsed, 2) if self.elapsed else None,
            "first_loss": float(np.mean(first)) if first else None,
            "last_loss": float(np.mean(last)) if last else None,
            "best": self.best,
            "resumed_from": self.resumed_from,
        }
        write_json(self.out / "summary.json", summary)
        return summary


def train(run: TrainingRun, out_dir: str | Path | None = None, **kwargs) -> dict:
    """Train (or resume) one run; returns the summary written to ``summary.json``."""
    return Trainer(run, out_dir, **kwargs).run()
