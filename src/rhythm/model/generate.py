"""Generation: a song in, a dance out, as AIST++ files and a video with the music.

For any song of any length: the 35 music features are computed at the model's frame rate (or read
from ``features/<fps>fps/<music>.npy``), the whole song is denoised at once on overlapping windows
(:func:`rhythm.model.diffusion.sample_timeline`), and the result is resampled to 60 fps. Written to
``OUT/<song>.*``:

* ``.npy``: joint positions (T, 24, 3) float32, metres, y up, 60 fps: the SMPL joints by forward
  kinematics (what :mod:`rhythm.model.metrics` reads), or (T, 17, 3) COCO keypoints for keypoints3d models;
* ``.pkl``: an AIST++ ``motions`` pickle (``smpl_poses`` (T, 72), ``smpl_trans`` (T, 3) in cm,
  ``smpl_scaling`` [100], ``smpl_loss``), or for keypoints3d models a ``keypoints3d`` pickle (cm);
* ``.mp4``: the dancer from a fixed front camera over a floor grid, with the song muxed in;
* ``.samples.npy``: (S, T, J, 3) joints of all ``samples`` dances (seeds ``seed``, ``seed + 1``, ...),
  the first being the one above; evaluation scores them all;
* ``.json``: what was generated from what (checkpoint, seed, genre, frames, timings).

Options: a seed motion (the first seconds of an AIST++ motions pickle or ``smpl/<seq>.params.npy``,
kept exactly and continued), the genre (AIST code; by default taken from an AIST music id in the
file name, else none), the random seed, guidance weight and number of denoising steps.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_npy, write_json, write_npy, write_pickle
from rhythm.core.skeleton import smpl_joints
from rhythm.model.checkpoint import DanceModel
from rhythm.model.config import VideoConfig
from rhythm.model.data import genre_index
from rhythm.model.diffusion import sample_timeline
from rhythm.model.representation import SOURCE_FPS, resample

SMPL_SCALING = 100.0  # written smpl_trans is in cm with smpl_scaling 100, like the demo and AIST++


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 0
    genre: str | None = "auto"  # an AIST genre (gBR...), "auto" (from an AIST music id in the name) or None
    seed_motion: str | Path | None = None
    seed_motion_s: float = 2.0
    guidance: float | None = None  # None: the checkpoint's setting
    sampling_steps: int | None = None
    overlap: float | None = None
    batched: bool = True
    device: str = "cpu"
    render: bool = True
    samples: int = 1  # dances per song (seeds seed, seed+1, ...): all in <name>.samples.npy, the first everywhere
    video: VideoConfig = field(default_factory=VideoConfig)
    progress: bool = False


def load_audio(path: str | Path, sample_rate: int = 16000) -> tuple[np.ndarray, int]:
    """Mono float32 samples of any audio file ffmpeg reads, at ``sample_rate`` (the pipeline's 16 kHz)."""
    from rhythm.audio.wav import load_audio as decode

    return decode(path, sample_rate, min_duration_s=0.5), sample_rate


def music_id(path: str | Path) -> str | None:
    """The AIST music id in a file name (``mBR0.wav``, ``gBR_..._mBR0_ch01.mp4``), if any."""
    m = re.search(r"(?:^|_)(m[A-Z]{2}\d)(?:_|$)", Path(path).stem)
    if m is None:
        return None
    try:
        aist.music_bpm(m.group(1))
    except ValueError:
        return None
    return m.group(1)


def music_features(
    audio: str | Path, fps: int, features: str | Path | None = None, wav: tuple[np.ndarray, int] | None = None
) -> np.ndarray:
    """(T, 35) music features at ``fps``: from ``features`` if given (checked), else from the audio
    with the pipeline's own code (the tempo prior of an AIST music id, as ``rhythm features``)."""
    from rhythm.audio.features import audio_features

    if features is not None:
        path = Path(features)
        feats = read_npy(path, "music features").astype(np.float32)
        if feats.ndim != 2 or feats.shape[1] != 35:
            raise RhythmInputError(path, f"expected (T, 35) music features, got {feats.shape}")
        return feats
    samples, sr = wav if wav is not None else load_audio(audio)
    music = music_id(audio)
    feats = audio_features(samples, sr, fps, float(aist.music_bpm(music)) if music else None)
    if len(feats) < 2:
        raise RhythmInputError(audio, "too short to dance to")
    return feats


def seed_motion_features(model: DanceModel, path: str | Path, seconds: float) -> np.ndarray:
    """The first ``seconds`` of a motion as model features (K, D) at the model's frame rate."""
    path = Path(path)
    rep = model.rep
    if path.suffix == ".pkl":
        motion = aist.load_motion(path)
        params = np.concatenate([motion.trans / motion.scaling, motion.poses], axis=1)
    else:
        params = read_npy(path, "seed motion")
    if model.config.representation == "smpl":
        if params.ndim != 2 or params.shape[1] != 75:
            raise RhythmInputError(
                path, f"seed motion must be a motions pickle or (T, 75) SMPL parameters, got {params.shape}"
            )
        source = rep.source(params)
    else:
        if params.ndim != 3 or params.shape[1:] != (17, 3):
            raise RhythmInputError(path, f"seed motion must be (T, 17, 3) keypoints in metres, got {params.shape}")
        source = rep.source(params)
    k = int(round(seconds * model.config.fps))
    if k < 1 or (k - 1) * SOURCE_FPS / model.config.fps > len(source) - 1:
        raise RhythmInputError(path, f"seed motion has {len(source) / SOURCE_FPS:.2f} s, {seconds} s asked for")
    return rep.window(source, np.arange(k) * (SOURCE_FPS / model.config.fps), model.config.fps)


def resolve_genre(model: DanceModel, genre: str | None, audio: str | Path) -> str | None:
    if not model.config.genre or genre is None:
        return None
    if genre == "auto":
        music = music_id(audio)
        return f"g{music[1:3]}" if music else None
    genre_index(genre)  # checks it
    return genre


def generate_features(
    model: DanceModel,
    music: np.ndarray,
    *,
    genre: str | None = None,
    seed: int = 0,
    seed_features: np.ndarray | None = None,
    guidance: float | None = None,
    sampling_steps: int | None = None,
    overlap: float | None = None,
    batched: bool = True,
    progress: bool = False,
) -> np.ndarray:
    """The dance (T, D) for music features (T, 35) at the model's frame rate, in model units."""
    cfg = model.config
    device = next(model.network.parameters()).device
    music_t = model.music_norm.normalize(torch.from_numpy(np.asarray(music, np.float32))).to(device)
    known = mask = None
    if seed_features is not None:
        k = min(len(seed_features), len(music))
        known = torch.zeros((len(music), model.rep.dim))
        known[:k] = model.motion_norm.normalize(torch.from_numpy(seed_features[:k]))
        mask = torch.zeros_like(known, dtype=torch.bool)
        mask[:k] = True
        known, mask = known.to(device), mask.to(device)
    overlap_frames = int(round((cfg.generate.overlap if overlap is None else overlap) * cfg.window))
    gen = torch.Generator().manual_seed(seed)
    x = sample_timeline(
        model.denoiser(genre_index(genre), cfg.diffusion.guidance if guidance is None else guidance),
        model.diffusion,
        music_t,
        model.rep.dim,
        cfg.window,
        overlap=overlap_frames,
        sampling_steps=cfg.diffusion.sampling_steps if sampling_steps is None else sampling_steps,
        eta=cfg.diffusion.eta,
        known=known,
        known_mask=mask,
        generator=gen,
        batched=batched,
        progress=progress,
    )
    return model.motion_norm.denormalize(x.float().cpu()).numpy()


def to_60fps(model: DanceModel, features: np.ndarray, num_frames: int) -> dict:
    """Joints (num_frames, J, 3) in metres at 60 fps, plus SMPL poses and translation for smpl models."""
    rep = model.rep
    f60 = resample(features, model.config.fps, SOURCE_FPS, rep)
    if len(f60) < num_frames:
        f60 = np.concatenate([f60, np.repeat(f60[-1:], num_frames - len(f60), axis=0)])
    f60 = f60[:num_frames]
    if model.config.representation == "smpl":
        poses, trans = rep.to_smpl(f60)
        joints = smpl_joints(poses, trans)
        return {
            "joints": joints.astype(np.float32),
            "poses": poses.astype(np.float32),
            "trans": trans.astype(np.float32),
            "contacts": rep.contacts(f60),
        }
    return {"joints": rep.joints(f60).astype(np.float32), "contacts": rep.contacts(f60)}


def write_motion(out_dir: Path, stem: str, motion: dict) -> dict[str, Path]:
    paths = {"npy": out_dir / f"{stem}.npy", "pkl": out_dir / f"{stem}.pkl"}
    write_npy(paths["npy"], motion["joints"])
    if "poses" in motion:
        write_pickle(
            paths["pkl"],
            {
                "smpl_poses": motion["poses"],
                "smpl_trans": (motion["trans"] * SMPL_SCALING).astype(np.float32),
                "smpl_scaling": np.array([SMPL_SCALING], np.float32),
                "smpl_loss": 0.0,
            },
        )
    else:
        kp_cm = (motion["joints"] * 100.0).astype(np.float32)
        write_pickle(paths["pkl"], {"keypoints3d": kp_cm, "keypoints3d_optim": kp_cm})
    return paths


def generate(
    checkpoint: str | Path,
    audio: str | Path,
    out_dir: str | Path,
    options: GenerateOptions = GenerateOptions(),
    features: str | Path | None = None,
    name: str | None = None,
) -> dict:
    """Generate a dance for ``audio`` with the model in ``checkpoint``; write ``OUT/<name>.{npy,pkl,mp4,json}``."""
    from rhythm.video.render import render_dance

    t_start = time.perf_counter()
    audio = Path(audio)
    decoded = load_audio(audio)  # the audio is checked before the model is loaded
    model = DanceModel.load(checkpoint, options.device)
    cfg = model.config
    out_dir = Path(out_dir)
    stem = name or audio.stem
    music = music_features(audio, cfg.fps, features, wav=decoded)
    duration = len(music) / cfg.fps
    genre = resolve_genre(model, options.genre, audio)
    seed_feats = (
        seed_motion_features(model, options.seed_motion, options.seed_motion_s) if options.seed_motion else None
    )
    num_frames = int(np.floor(duration * SOURCE_FPS + 1e-6))
    motions, sampling = [], []
    for k in range(max(1, options.samples)):
        t_sample = time.perf_counter()
        feats = generate_features(
            model,
            music,
            genre=genre,
            seed=options.seed + k,
            seed_features=seed_feats,
            guidance=options.guidance,
            sampling_steps=options.sampling_steps,
            overlap=options.overlap,
            batched=options.batched,
            progress=options.progress,
        )
        sampling.append(time.perf_counter() - t_sample)
        motions.append(to_60fps(model, feats, num_frames))
    sampling_s = sampling[0]
    motion = motions[0]
    paths = write_motion(out_dir, stem, motion)
    paths["samples"] = out_dir / f"{stem}.samples.npy"
    write_npy(paths["samples"], np.stack([m["joints"] for m in motions]))
    summary: dict[str, Any] = {
        "audio": str(audio),
        "checkpoint": str(checkpoint),
        "checkpoint_step": model.step,
        "representation": cfg.representation,
        "genre": genre,
        "seed": options.seed,
        "samples": max(1, options.samples),
        "seed_motion": str(options.seed_motion) if options.seed_motion else None,
        "seed_motion_s": options.seed_motion_s if options.seed_motion else 0.0,
        "guidance": cfg.diffusion.guidance if options.guidance is None else options.guidance,
        "sampling_steps": cfg.diffusion.sampling_steps if options.sampling_steps is None else options.sampling_steps,
        "duration_s": round(duration, 4),
        "fps": SOURCE_FPS,
        "frames": num_frames,
        "model_fps": cfg.fps,
        "window_frames": cfg.window,
        "sampling_s": round(sampling_s, 3),
        "files": {k: str(v) for k, v in paths.items()},
    }
    if options.render:
        video = options.video
        positions = np.arange(int(np.floor(num_frames * video.fps / SOURCE_FPS + 1e-6))) * (SOURCE_FPS / video.fps)
        joints = motion["joints"][np.minimum(np.round(positions).astype(int), num_frames - 1)]
        mp4 = out_dir / f"{stem}.mp4"
        render_dance(
            joints, audio, mp4, fps=video.fps, width=video.width, height=video.height, progress=options.progress
        )
        summary["files"]["mp4"] = str(mp4)
        summary["video_frames"] = len(joints)
    summary["total_s"] = round(time.perf_counter() - t_start, 3)
    write_json(out_dir / f"{stem}.json", summary)
    return summary
