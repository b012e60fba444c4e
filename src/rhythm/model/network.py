"""The denoiser: a transformer that reads a noisy dance window and its music and predicts the clean dance.

Each frame is one token: the noisy motion vector projected to ``dim``, plus that frame's music
(35 features through a linear layer and 1D convolutions that give it a few frames of context),
plus a sinusoidal position. Music is added frame by frame rather than attended to: frame i of the
music is frame i of the dance, and putting the beat on the token it belongs to is the shortest
path for the network to learn to move on it. Self-attention over the window then shapes whole
phrases. The noise level and the genre condition every block through adaptive layer norm (shift,
scale and a gate, zero-initialised so every block starts as the identity: DiT's adaLN-Zero). When
the music is dropped (classifier-free guidance) a learned "no music" vector replaces it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from rhythm.model.config import NetworkConfig
from rhythm.model.data import GENRES


def sinusoidal(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """(..., dim) sinusoidal embedding of (...,) positions or noise levels."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=positions.device) / half)
    args = positions.float()[..., None] * freqs
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    return F.pad(emb, (0, dim % 2))


class Block(nn.Module):
    """Pre-norm transformer block with adaptive layer norm from the conditioning vector."""

    def __init__(self, dim: int, heads: int, ff_mult: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ff = nn.Sequential(
            nn.Linear(dim, ff_mult * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_mult * dim, dim)
        )
        self.modulation = nn.Linear(dim, 6 * dim)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(F.silu(cond))[:, None].chunk(6, dim=-1)
        h = self.norm1(x) * (1 + scale1) + shift1
        q, k, v = self.qkv(h).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        x = x + gate1 * self.proj(attn.transpose(1, 2).reshape(b, n, d))
        h = self.norm2(x) * (1 + scale2) + shift2
        return x + gate2 * self.ff(h)


class DanceDenoiser(nn.Module):
    """``forward(x_t, t, music, genre, keep_music) -> x0``: all (B, L, ...) except t, genre, keep_music (B,)."""

    def __init__(self, motion_dim: int, music_dim: int = 35, config: NetworkConfig = NetworkConfig()):
        super().__init__()
        dim = config.dim
        self.dim = dim
        self.motion_in = nn.Linear(motion_dim, dim)
        self.music_in = nn.Linear(music_dim, dim)
        pad = config.music_kernel // 2
        self.music_conv = nn.Sequential(
            nn.GELU(),
            nn.Conv1d(dim, dim, config.music_kernel, padding=pad),
            nn.GELU(),
            nn.Conv1d(dim, dim, config.music_kernel, padding=pad),
        )
        self.no_music = nn.Parameter(torch.zeros(dim))
        self.time_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.genre_embed = nn.Embedding(len(GENRES) + 1, dim)  # the last one: no genre
        self.blocks = nn.ModuleList(
            Block(dim, config.heads, config.ff_mult, config.dropout) for _ in range(config.layers)
        )
        self.norm_out = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.modulation_out = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, motion_dim)
        for layer in (self.modulation_out, self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def encode_music(self, music: torch.Tensor) -> torch.Tensor:
        h = self.music_in(music)
        return h + self.music_conv(h.transpose(1, 2)).transpose(1, 2)

    def forward(
        self,
        x_t: torch.Tensor,
        t: torch.Tensor,
        music: torch.Tensor,
        genre: torch.Tensor,
        keep_music: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, n, _ = x_t.shape
        music_tokens = self.encode_music(music)
        if keep_music is not None:
            music_tokens = torch.where(keep_music[:, None, None], music_tokens, self.no_music.to(music_tokens.dtype))
        pos = sinusoidal(torch.arange(n, device=x_t.device), self.dim)
        h = self.motion_in(x_t) + music_tokens + pos
        cond = self.time_mlp(sinusoidal(t, self.dim)) + self.genre_embed(genre)
        for block in self.blocks:
            h = block(h, cond)
        shift, scale = self.modulation_out(F.silu(cond))[:, None].chunk(2, dim=-1)
        return self.out(self.norm_out(h) * (1 + scale) + shift)
