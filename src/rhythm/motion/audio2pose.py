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

from rhythm.audio.music import check_coverage
from rhythm.audio.wav import load_wav
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_npy, write_json


def audio2pose_id(sequence: str, camera: str = "c01") -> str:
    return str(aist.parse_name(sequence).with_camera(camera))


def load_single_sample(
    file_id: str, data_root: str | Path, pose_fps: float = aist.FPS
) -> tuple[np.ndarray, tuple[np.ndarray, int]]:
    """``(pose, (wav, sr))`` of one sample, as the Audio2Pose loader returned: the pose and the audio
    that plays under it.

    ``file_id`` is a video or sequence name; ``data_root`` is an Audio2Pose folder
    (``poses_npy/``, ``audio/``) or a Rhythm results folder (``poses/``, ``audio/<music>.wav``).
    Rhythm keeps one WAV per music id, as long as its longest dance: the WAV returned is cut to the
    pose's duration. Music shorter than the pose is an error (never a silently shorter sample).
    """
    root = Path(data_root)
    name = aist.parse_name(file_id)
    old_pose = root / "poses_npy" / f"{file_id}.npy"
    if old_pose.is_file():
        pose_path, wav_path = old_pose, root / "audio" / f"{file_id}.wav"
    else:
        pose_path, wav_path = root / "poses" / f"{name.sequence}.npy", root / "audio" / f"{name.music}.wav"
        if not pose_path.is_file():
            raise RhythmInputError(pose_path, f"no pose for {file_id} (looked in poses_npy/ and poses/)")
    pose = read_npy(pose_path, "pose")
    wav, sr = load_wav(wav_path)
    dance_s = len(pose) / pose_fps
    check_coverage(name.sequence, name.music, len(wav) / sr, dance_s, wav_path)
    return pose, (wav[: int(round(dance_s * sr))], sr)


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.part")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target.resolve(), link.parent.resolve()), tmp)
    os.replace(tmp, link)


def _check_music_covers(sequence: str, music: str, sources: dict[Path, Path], pose_fps: float) -> None:
    import soundfile as sf

    pose, wav = list(sources.values())[:2]
    frames = np.load(pose, mmap_mode="r").shape[0]
    check_coverage(sequence, music, sf.info(str(wav)).duration, frames / pose_fps, wav)


def write_audio2pose_layout(
    results: str | Path, sequences: list[str], out: str | Path, camera: str = "c01", pose_fps: float = aist.FPS
) -> dict:
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
        for target in sources.values():
            if not target.is_file():
                raise RhythmInputError(target, f"needed for {file_id} but not built")
        _check_music_covers(seq, music, sources, pose_fps)
        for link, target in sources.items():
            _link(target, link)
        index.append({"id": file_id, "sequence": seq, "music": music})
    write_json(out / "index.json", {"samples": index})
    return {"samples": index}
