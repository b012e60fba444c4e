"""Loading prepared samples, and the Audio2Pose folder layout for tools that expect it.

Audio2Pose kept one file per sequence, named by the sequence's first camera view::

    <root>/poses_npy/gLH_sBM_c01_d16_mLH0_ch01.npy   (T, 17, 3)
    <root>/audio/gLH_sBM_c01_d16_mLH0_ch01.wav       16 kHz mono
    <root>/beats/gLH_sBM_c01_d16_mLH0_ch01.json

Rhythm keeps one WAV per music track and one pose per sequence; :func:`write_audio2pose_layout`
builds the old layout from symbolic links, so nothing is copied.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rhythm import aist
from rhythm.audio import load_wav
from rhythm.errors import RhythmInputError
from rhythm.io import write_json


def audio2pose_id(sequence: str, camera: str = "c01") -> str:
    return str(aist.parse_name(sequence).with_camera(camera))


def load_single_sample(file_id: str, data_root: str | Path) -> tuple[np.ndarray, tuple[np.ndarray, int]]:
    """``(pose, (wav, sr))`` of one sample, as the Audio2Pose loader returned.

    ``file_id`` is a video or sequence name; ``data_root`` is an Audio2Pose folder
    (``poses_npy/``, ``audio/``) or a Rhythm results folder (``poses/``, ``audio/<music>.wav``).
    """
    root = Path(data_root)
    name = aist.parse_name(file_id)
    old_pose = root / "poses_npy" / f"{file_id}.npy"
    if old_pose.is_file():
        return np.load(old_pose), load_wav(root / "audio" / f"{file_id}.wav")
    pose_path = root / "poses" / f"{name.sequence}.npy"
    if not pose_path.is_file():
        raise RhythmInputError(pose_path, f"no pose for {file_id} (looked in poses_npy/ and poses/)")
    return np.load(pose_path), load_wav(root / "audio" / f"{name.music}.wav")


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.part")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target.resolve(), link.parent.resolve()), tmp)
    os.replace(tmp, link)


def write_audio2pose_layout(results: str | Path, sequences: list[str], out: str | Path, camera: str = "c01") -> dict:
    """Link ``results``' poses, per-track WAVs and beats into the Audio2Pose layout under ``out``."""
    results, out = Path(results), Path(out)
    index = []
    for seq in sequences:
        music = aist.parse_name(seq).music
        file_id = audio2pose_id(seq, camera)
        sources = {
            out / "poses_npy" / f"{file_id}.npy": results / "poses" / f"{seq}.npy",
            out / "audio" / f"{file_id}.wav": results / "audio" / f"{music}.wav",
            out / "beats" / f"{file_id}.json": results / "beats" / f"{music}.json",
        }
        for link, target in sources.items():
            if not target.is_file():
                raise RhythmInputError(target, f"needed for {file_id} but not built")
            _link(target, link)
        index.append({"id": file_id, "sequence": seq, "music": music})
    write_json(out / "index.json", {"samples": index})
    return {"samples": index}
