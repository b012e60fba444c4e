"""Gaussian diffusion with a clean-sample (x0) network: the noise schedule, noising, and the sampler
that turns a song of any length into one continuous dance.

Sampling is DDIM (Song et al.) on a *timeline* as long as the song. The network sees fixed-length
windows that overlap; at every denoising step each window predicts the clean dance, the predictions
are blended onto the timeline with weights that ramp linearly across each overlap, and the DDIM
update is taken once on the timeline with one noise draw. So every window starts every step from
the same frames its neighbours see, and the crossfade is applied to the clean estimate at every
step, not pasted at the end: there is no frame where one window's dance is cut against another's.
(EDGE instead copies the second half of each window's noisy sample into the first half of the next;
this is the soft, symmetric version of that constraint, as in MultiDiffusion.) Known frames (a seed
motion, or any in-betweening constraint) replace the estimate and the noisy sample at every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from tqdm import tqdm


def alphas_cumprod(steps: int, schedule: str = "cosine") -> np.ndarray:
    """Cumulative signal fractions alpha-bar_t for t = 0..steps-1 (float64)."""
    if schedule == "cosine":  # Nichol & Dhariwal 2021, s = 0.008, betas clipped at 0.999
        s = 0.008
        x = np.linspace(0, steps, steps + 1)
        f = np.cos(((x / steps) + s) / (1 + s) * math.pi / 2) ** 2
        betas = np.clip(1 - f[1:] / f[:-1], 0, 0.999)
    elif schedule == "linear":  # Ho et al. 2020, scaled to the number of steps
        scale = 1000 / steps
        betas = np.linspace(scale * 1e-4, scale * 0.02, steps)
    else:
        raise ValueError(f"unknown noise schedule {schedule!r}")
    return np.cumprod(1.0 - betas)


class Diffusion:
    def __init__(self, steps: int = 1000, schedule: str = "cosine"):
        self.steps = steps
        self.alphas_cumprod = torch.tensor(alphas_cumprod(steps, schedule), dtype=torch.float32)

    def _abar(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        a = self.alphas_cumprod.to(like.device)[t]
        return a.reshape(a.shape + (1,) * (like.dim() - a.dim()))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise."""
        a = self._abar(t, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def ddim_times(self, sampling_steps: int) -> list[tuple[int, int]]:
        """(t, t_next) pairs from steps-1 down to 0, then (0, -1)."""
        n = max(1, min(sampling_steps, self.steps))
        times = np.linspace(self.steps - 1, 0, n).round().astype(int).tolist()
        times = sorted(set(times), reverse=True)
        return list(zip(times, times[1:] + [-1]))


def window_starts(length: int, window: int, overlap: int) -> list[int]:
    """Starts of windows covering ``length`` frames, ``window - overlap`` apart; the last one ends at the end."""
    if length <= window:
        return [0]
    stride = max(1, window - overlap)
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


def blend_weights(window: int, overlap: int) -> np.ndarray:
    """(window,) weights rising linearly over the first ``overlap`` frames and falling over the last:
    summed over overlapping windows they crossfade one window into the next."""
    k = np.arange(window, dtype=np.float64)
    ramp = np.minimum(1.0, np.minimum(k + 1, window - k) / (overlap + 1))
    return ramp


@torch.no_grad()
def sample_timeline(
    denoise: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    diffusion: Diffusion,
    music: torch.Tensor,
    motion_dim: int,
    window: int,
    *,
    overlap: int,
    sampling_steps: int = 50,
    eta: float = 1.0,
    known: torch.Tensor | None = None,
    known_mask: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    batched: bool = True,
    progress: bool = False,
) -> torch.Tensor:
    """A clean (normalised) dance (T, motion_dim) for music (T, music_dim).

    ``denoise(x_t, t, music)`` maps windows (W, window, motion_dim) at noise level ``t`` (W,) with
    their music (W, window, music_dim) to clean estimates (classifier-free guidance lives there).
    ``known`` (T, motion_dim) with ``known_mask`` (T, motion_dim) bool fixes frames or channels.
    ``batched=False`` denoises the windows one at a time (same result, for comparison).
    """
    device = music.device
    length = music.shape[0]
    if length < window:  # a short song: one window, music held at its last frame, trimmed after
        pad = music[-1:].expand(window - length, -1)
        x = sample_timeline(
            denoise,
            diffusion,
            torch.cat([music, pad]),
            motion_dim,
            window,
            overlap=overlap,
            sampling_steps=sampling_steps,
            eta=eta,
            known=None if known is None else torch.cat([known, known.new_zeros(window - length, motion_dim)]),
            known_mask=None
            if known_mask is None
            else torch.cat([known_mask, known_mask.new_zeros(window - length, motion_dim)]),
            generator=generator,
            batched=batched,
            progress=progress,
        )
        return x[:length]
    starts = window_starts(length, window, overlap)
    index = torch.tensor([list(range(s, s + window)) for s in starts], device=device)  # (W, window)
    weights = torch.tensor(blend_weights(window, overlap), dtype=music.dtype, device=device)
    total = torch.zeros(length, dtype=music.dtype, device=device).index_add_(
        0, index.reshape(-1), weights.repeat(len(starts))
    )
    music_windows = music[index]  # (W, window, music_dim)

    def predict(x: torch.Tensor, t: int) -> torch.Tensor:
        xw = x[index]
        tt = torch.full((len(starts),), t, dtype=torch.long, device=device)
        if batched:
            x0w = denoise(xw, tt, music_windows)
        else:
            x0w = torch.cat(
                [denoise(xw[i : i + 1], tt[i : i + 1], music_windows[i : i + 1]) for i in range(len(starts))]
            )
        x0w = x0w * weights[None, :, None]
        return torch.zeros_like(x).index_add_(0, index.reshape(-1), x0w.reshape(-1, motion_dim)) / total[:, None]

    def noise() -> torch.Tensor:
        return torch.randn((length, motion_dim), generator=generator, device="cpu").to(device, music.dtype)

    if known is not None:
        if known_mask is None:
            raise ValueError("known frames need a known_mask")
        known_mask = known_mask.to(torch.bool)
    x = noise()
    pairs = diffusion.ddim_times(sampling_steps)
    abar = diffusion.alphas_cumprod.to(device)
    for t, t_next in tqdm(pairs, desc="denoising", disable=not progress, mininterval=2.0):
        x0 = predict(x, t)
        if known is not None and known_mask is not None:  # both or neither (checked above)
            x0 = torch.where(known_mask, known, x0)
        if t_next < 0:
            x = x0
            break
        a, a_next = abar[t], abar[t_next]
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        sigma = eta * ((1 - a_next) / (1 - a) * (1 - a / a_next)).clamp(min=0).sqrt()
        c = (1 - a_next - sigma**2).clamp(min=0).sqrt()
        x = a_next.sqrt() * x0 + c * eps + sigma * noise()
        if known is not None and known_mask is not None:
            x = torch.where(known_mask, a_next.sqrt() * known + (1 - a_next).sqrt() * noise(), x)
    return x
