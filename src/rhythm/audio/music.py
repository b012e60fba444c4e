"""The music of an AIST++ music id: its source, and the check that it covers every dance.

AIST++ plays each of its 60 songs under many dances: the basic ones (``sBM``, about 10 s) and the
advanced ones (``sFM``, 30-60 s). A dance starts with its music, so one WAV per music id serves
every sequence only if it is at least as long as the longest dance. The source of a music id is

1. a file in ``audio.music_dir`` when there is one, else
2. the longest video of that music (by its annotation frames) that passes the video checks: its
   frame count is within ``max_mismatch`` of its annotations, and its audio decodes to the end
   with audible music (:func:`rhythm.audio.wav.extract_wav`).

A video that fails a check is never a music source; the next longest one is tried. The report
written next to the WAV names the source, every refused candidate with the reason, and the
sequences the music is too short for (:func:`check_coverage` refuses those where a sequence is
paired with its music: the Audio2Pose layout, the loaders, the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rhythm.audio.wav import SAMPLE_RATE, extract_wav
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, write_json
from rhythm.core.options import option

# A dance may outlast its music by this much: a video's audio stream often ends within one AAC
# frame (21-23 ms) of its last picture. Anything longer is an error, never a silent cut.
COVERAGE_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class MusicOptions:
    """``rhythm audio`` and the config's ``audio:`` section (:mod:`rhythm.core.options`)."""

    sample_rate: int = option(SAMPLE_RATE, "sample rate of the WAV (Hz)", minimum=8000, maximum=48000)
    max_mismatch: int = option(
        0,
        "frames a video may differ from its annotations and still be a music source "
        "(the workflow passes frames.max_mismatch)",
        config=False,
    )
    allow_silence: bool = option(False, "accept audio without audible music", config=False)


@dataclass(frozen=True)
class Candidate:
    path: Path
    video: str | None  # the AIST++ video name, when it is one
    frames: int | None  # annotation frames of its sequence (None: not known)


def dance_seconds(frames: int, fps: float = aist.FPS) -> float:
    return frames / fps


def order_candidates(paths: list[str | Path], anno_dir: str | Path | None) -> list[Candidate]:
    """Longest dance first (annotation frames of each video's sequence), then by name."""
    frames_of: dict[str, int | None] = {}
    out = []
    for path in map(Path, paths):
        try:
            name = aist.parse_name(path.stem)
        except ValueError:
            out.append(Candidate(path, None, None))
            continue
        seq = name.sequence
        if seq not in frames_of:
            frames_of[seq] = aist.annotation_frames(anno_dir, seq) if anno_dir else None
        out.append(Candidate(path, path.stem, frames_of[seq]))
    return sorted(out, key=lambda c: (-(c.frames or 0), c.path.name))


def check_video_source(candidate: Candidate, max_mismatch: int) -> None:
    """A video is a music source only if its frame count is within ``max_mismatch`` of its annotations."""
    from rhythm.core.ffmpeg import probe_video

    if candidate.frames is None:
        return
    info = probe_video(candidate.path)
    available = int(info.stream_duration_s * aist.FPS + 1e-6)
    if abs(available - candidate.frames) > max_mismatch:
        raise RhythmInputError(
            candidate.path,
            f"has {available} frames at 60 fps but its annotations have "
            f"{candidate.frames} (allowed difference {max_mismatch})",
        )


def extract_music(
    sources: list[str | Path],
    out: str | Path,
    *,
    music: str | None = None,
    anno_dir: str | Path | None = None,
    sequences: Sequence[str] = (),
    max_mismatch: int = 0,
    sample_rate: int = SAMPLE_RATE,
    allow_silence: bool = False,
    report: str | Path | None = None,
    log=print,
) -> dict:
    """Write the WAV of one music id from the first of ``sources`` that passes every check.

    ``sources`` are a music file, or videos of that music: they are tried longest dance first
    (annotation frames, with ``anno_dir``). ``sequences`` are the dances that use the music: the
    report says which ones it is too short for. Raises when no source passes, naming each.
    """
    out = Path(out)
    music = music or out.stem
    candidates = order_candidates(list(sources), anno_dir)
    if not candidates:
        raise RhythmInputError(out, f"no source for music {music}: no video of it and no file in audio.music_dir")
    refused: dict[str, str] = {}
    info = None
    for cand in candidates:
        try:
            check_video_source(cand, max_mismatch)
            info = extract_wav(cand.path, out, sample_rate, allow_silence=allow_silence)
            break
        except RhythmInputError as exc:
            if len(candidates) == 1:
                raise
            refused[str(cand.path)] = exc.problem
            log(f"refused as the source of {music}: {exc}")
    if info is None:
        first = next(iter(refused.items()))
        raise RhythmInputError(
            first[0], f"no usable source for music {music}: all {len(refused)} refused (this one: {first[1]})"
        )
    dances = {s: aist.annotation_frames(anno_dir, s) for s in sequences} if anno_dir else {}
    short = {
        s: round(dance_seconds(n), 3)
        for s, n in dances.items()
        if n is not None and dance_seconds(n) > info["duration_s"] + COVERAGE_TOLERANCE_S
    }
    summary = {
        "music": music,
        "source": info["source"],
        "duration_s": info["duration_s"],
        "sample_rate": info["sample_rate"],
        "audio": {k: v for k, v in info.items() if k not in ("source", "sample_rate", "duration_s")},
        "refused": refused,
        "sequences": len(dances),
        "longest_dance_s": round(max((dance_seconds(n) for n in dances.values() if n), default=0.0), 3),
        "too_short_for": short,
    }
    for seq, seconds in short.items():
        log(
            f"warning: {music} ({info['duration_s']:.2f} s from {Path(info['source']).name}) is shorter than "
            f"{seq} ({seconds:.2f} s): its longest video is missing or was refused"
        )
    if report is not None:
        write_json(report, summary)
    return summary


def check_coverage(sequence: str, music: str, music_s: float, dance_s: float, where: str | Path) -> None:
    """Refuse pairing a dance with music that ends before it (beyond :data:`COVERAGE_TOLERANCE_S`)."""
    if dance_s > music_s + COVERAGE_TOLERANCE_S:
        raise RhythmInputError(
            where,
            f"the music {music} lasts {music_s:.2f} s but {sequence} dances for "
            f"{dance_s:.2f} s: its longest video is missing or was refused (see "
            f"audio/{music}.json); add that video or leave the sequence out",
        )


def music_report(results: str | Path, music: str) -> dict | None:
    """``audio/<music>.json`` of a results folder, if the workflow wrote one."""
    path = Path(results) / "audio" / f"{music}.json"
    return read_json(path) if path.is_file() else None
