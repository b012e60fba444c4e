"""Checkpoints: what a training run saves, and the trained model that generation loads back.

A checkpoint is one ``torch.save`` dict, written atomically: the model settings it was trained with,
the normalisers, the network and its exponential moving average (EMA; generation uses the EMA
weights), and for resuming the optimiser, the step, the loss history and every random number
generator's state. ``best.pt`` has the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path
from rhythm.model.config import ModelConfig
from rhythm.model.diffusion import Diffusion
from rhythm.model.network import DanceDenoiser
from rhythm.model.representation import Normalizer, representation

FORMAT = "rhythm-dance-diffusion"
VERSION = 1


def save_checkpoint(path: str | Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # truncated, not a torch file...
        raise RhythmInputError(path, f"not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise RhythmInputError(
            path,
            f"not a Rhythm dance model checkpoint (format {state.get('format')!r})"
            if isinstance(state, dict)
            else "not a Rhythm dance model checkpoint",
        )
    return state


def build_network(config: ModelConfig) -> DanceDenoiser:
    rep = representation(config.representation)
    return DanceDenoiser(rep.dim, 35, config.network)


@dataclass
class DanceModel:
    """A trained model ready to generate: EMA network, diffusion, representation, normalisers."""

    config: ModelConfig
    network: DanceDenoiser
    diffusion: Diffusion
    motion_norm: Normalizer
    music_norm: Normalizer
    step: int
    path: Path

    @property
    def rep(self):
        return representation(self.config.representation)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> DanceModel:
        state = read_checkpoint(path)
        config = ModelConfig.from_dict(state["config"], where=f"{path}: config")
        network = build_network(config)
        network.load_state_dict(state["ema"])
        network.to(device).eval()
        return cls(
            config,
            network,
            Diffusion(config.diffusion.steps, config.diffusion.schedule),
            Normalizer.from_dict(state["motion_norm"]),
            Normalizer.from_dict(state["music_norm"]),
            int(state["step"]),
            Path(path),
        )

    def denoiser(self, genre: int, guidance: float):
        """``denoise(x_t, t, music) -> x0`` for :func:`rhythm.model.diffusion.sample_timeline`,
        with classifier-free guidance ``x0_uncond + w (x0_cond - x0_uncond)`` on the music."""
        net = self.network

        def denoise(x_t: torch.Tensor, t: torch.Tensor, music: torch.Tensor) -> torch.Tensor:
            b = x_t.shape[0]
            g = torch.full((b,), genre, dtype=torch.long, device=x_t.device)
            if guidance == 1.0:
                return net(x_t, t, music, g)
            keep = torch.cat([torch.ones(b, dtype=torch.bool), torch.zeros(b, dtype=torch.bool)]).to(x_t.device)
            out = net(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([music, music]), torch.cat([g, g]), keep)
            cond, uncond = out[:b], out[b:]
            return uncond + guidance * (cond - uncond)

        return denoise
