"""Music as 16 kHz mono PCM WAV, one file per AIST music track.

AIST++ reuses 60 songs across 1,408 sequences, so audio is extracted once per music id, from a
music folder when one is configured, otherwise from any video that plays that music.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.errors import RhythmInputError
from rhythm.ffmpeg import run_ffmpeg
from rhythm.io import atomic_path

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".mp4")


def extract_wav(source: str | Path, out: str | Path, sample_rate: int = SAMPLE_RATE,
                min_duration_s: float = 0.5) -> dict:
    """Decode the first audio stream of ``source`` to mono PCM-16 WAV at ``sample_rate``; check it."""
    import soundfile as sf

    source = Path(source)
    if not source.is_file():
        raise RhythmInputError(source, "audio source not found")
    with atomic_path(out) as tmp:
        run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate),
                    "-c:a", "pcm_s16le", "-f", "wav", str(tmp)], source=source)
        info = sf.info(str(tmp))
        if info.samplerate != sample_rate or info.channels != 1:
            raise RhythmInputError(source, f"decoded to {info.samplerate} Hz x {info.channels} channels")
        if info.duration < min_duration_s:
            raise RhythmInputError(source, f"audio is only {info.duration:.2f} s long")
    return {"source": str(source), "sample_rate": info.samplerate, "duration_s": info.duration}


def load_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples (float32, mono) and sample rate of a WAV file."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "WAV not found")
    try:
        wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except RuntimeError as exc:
        raise RhythmInputError(path, f"not a readable WAV ({exc})") from None
    return wav.mean(axis=1), sr


def find_music_file(music_dir: str | Path, music: str) -> Path | None:
    """``<music_dir>/<music>.<ext>`` for the first known audio extension that exists."""
    for ext in AUDIO_EXTENSIONS:
        path = Path(music_dir) / f"{music}{ext}"
        if path.is_file():
            return path
    return None
