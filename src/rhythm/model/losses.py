"""The training objective: noise a clean window, ask the network for it back, and score the answer.

As EDGE: the network predicts the clean sample x0 (not the noise), which makes geometric losses on
its answer possible. Four terms, weighted by ``training.losses``:

* ``x0``: mean squared error of the normalised representation;
* ``joints``: joint positions by forward kinematics (SMPL) or read directly (keypoints3d), in
  decimetres, so that an error of 10 cm weighs about as much as one standard deviation above;
* ``velocity``: frame-to-frame joint displacements, decimetres (jitter and freezing both cost);
* ``foot``: the speed of each foot joint in frames where the network itself says that foot is in
  contact (its predicted contact channel above 0.5, used as a mask without gradient so the labels
  are learnt from the data only), EDGE's contact consistency loss against foot skating.
"""

from __future__ import annotations

import torch

from rhythm.model.config import LossWeights
from rhythm.model.diffusion import Diffusion
from rhythm.model.representation import Normalizer

DECIMETRES = 10.0


def denoising_loss(
    model: torch.nn.Module,
    diffusion: Diffusion,
    rep,
    motion_norm: Normalizer,
    x0: torch.Tensor,
    music: torch.Tensor,
    genre: torch.Tensor,
    weights: LossWeights,
    generator: torch.Generator,
    music_dropout: float = 0.0,
    genre_dropout: float = 0.0,
    no_genre: int = 10,
    min_snr_gamma: float | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss of one batch of normalised windows ``x0`` (B, L, D) with music (B, L, 35) and genre ids (B,).

    Noise levels, noise and condition dropout come from ``generator`` (a CPU generator) so that a
    resumed run draws exactly what an uninterrupted one would."""
    b = x0.shape[0]
    device = x0.device
    t = torch.randint(0, diffusion.steps, (b,), generator=generator).to(device)
    noise = torch.randn(x0.shape, generator=generator).to(device, x0.dtype)
    keep_music = (torch.rand(b, generator=generator) >= music_dropout).to(device)
    keep_genre = (torch.rand(b, generator=generator) >= genre_dropout).to(device)
    genre = torch.where(keep_genre, genre, torch.full_like(genre, no_genre))
    x_t = diffusion.q_sample(x0, t, noise)
    pred = model(x_t, t, music, genre, keep_music)

    if min_snr_gamma:
        abar = diffusion.alphas_cumprod.to(device)[t]
        w = torch.clamp(abar / (1 - abar), max=min_snr_gamma)
        w = w / w.mean()  # keeps the loss's scale; only the balance between noise levels changes
    else:
        w = torch.ones(b, device=device)

    def mean(per_sample_values: torch.Tensor) -> torch.Tensor:
        return torch.mean(per_sample_values.reshape(b, -1).mean(dim=1) * w)

    terms = {"x0": mean((pred - x0) ** 2)}
    pred_raw = motion_norm.denormalize(pred.float())
    true_raw = motion_norm.denormalize(x0.float())
    pj = rep.joints(pred_raw) * DECIMETRES
    tj = rep.joints(true_raw) * DECIMETRES
    terms["joints"] = mean(torch.sum((pj - tj) ** 2, dim=-1))
    pv, tv = pj[:, 1:] - pj[:, :-1], tj[:, 1:] - tj[:, :-1]
    terms["velocity"] = mean(torch.sum((pv - tv) ** 2, dim=-1))
    feet = list(rep.foot_joints)
    in_contact = (rep.contacts(pred_raw)[:, :-1] > 0.5).detach()  # a mask: no gradient into the labels
    foot_speed_sq = torch.sum(pv[:, :, feet] ** 2, dim=-1)
    terms["foot"] = mean(foot_speed_sq * in_contact)

    total = sum(getattr(weights, name) * value for name, value in terms.items())
    return total, {name: float(value.detach()) for name, value in terms.items()}
