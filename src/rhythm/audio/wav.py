"""Music as 16 kHz mono PCM WAV, checked on the way in.

:func:`extract_wav` decodes the first audio stream of a video or music file (in process, with
PyAV's FFmpeg libraries) and refuses what would make wrong training data:

* a file with no audio stream, or one ffmpeg cannot read;
* a **truncated** file: the audio decodes to less than the container says the stream lasts (a
  cut-off download of an MP4 whose index is at the front still opens and decodes its first
  seconds; more than :data:`MAX_SHORTFALL_S` missing is a refusal);
* **no audible music**: silence (RMS below :data:`SILENCE_DBFS`) or a sound without onsets
  (mean onset strength below :data:`MIN_ONSET_STRENGTH`), unless ``allow_silence``.

The WAV holds exactly the audio stream's own duration (from the container): decoders differ in
whether they keep the AAC encoder's end padding (Debian's ffmpeg 5.1 and PyAV's libraries keep
248 samples at 16 kHz on a 5 s demo video, the imageio-ffmpeg build drops them). Extra decoded
samples are cut; a shortfall within :data:`MAX_SHORTFALL_S` (the last AAC frame of some files)
is padded with silence and reported. The same file gives the same WAV whichever ffmpeg is on
PATH.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".mp4")
MAX_SHORTFALL_S = 0.05  # decoded audio this much shorter than the stream's duration is padded; more is truncation
SILENCE_DBFS = -60.0  # RMS below this is silence (the demo songs and madmom's sample.wav: -12 to -25 dBFS)
MIN_ONSET_STRENGTH = 0.3  # mean librosa onset strength below this: no onsets to follow (music: 1.7-2.1)


@dataclass(frozen=True)
class AudioStream:
    """The first audio stream of a file, as its container describes it."""

    path: Path
    duration_s: float  # the stream's own duration (the container's when the stream has none)
    sample_rate: int
    channels: int
    codec: str


def probe_audio(path: str | Path) -> AudioStream:
    """The first audio stream of ``path`` (PyAV reads the header only); refuses files without one."""
    import av

    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "audio source not found")
    if path.stat().st_size == 0:
        raise RhythmInputError(path, "empty file (0 bytes)")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise RhythmInputError(
                    path,
                    "has no audio stream; take the music from another video of the same "
                    "music id or from a file in audio.music_dir",
                )
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1e6  # av.time_base: microseconds
            else:
                raise RhythmInputError(path, "the file does not say how long its audio is")
            ctx = stream.codec_context
            return AudioStream(path, duration, int(ctx.sample_rate or 0), int(ctx.channels or 0), ctx.name)
    except RhythmInputError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise RhythmInputError(path, f"not a readable audio or video file ({exc})") from None


def audibility(wav: np.ndarray, sr: int) -> tuple[float, float]:
    """(RMS in dBFS, mean onset strength) of mono ``wav``: how loud, and how much there is to follow."""
    import librosa

    from rhythm.core.numba_cache import numba_cache_lock

    if len(wav) == 0:
        return -np.inf, 0.0
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    dbfs = 20 * np.log10(rms) if rms > 0 else -np.inf
    with numba_cache_lock():
        y = wav if sr == SAMPLE_RATE else librosa.resample(wav.astype(np.float32), orig_sr=sr, target_sr=SAMPLE_RATE)
        onset = float(np.mean(librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE, hop_length=512))) if len(y) else 0.0
    return dbfs, onset


def require_audible(wav: np.ndarray, sr: int, path: str | Path) -> dict:
    """Refuse audio without audible music (silence, or a sound without onsets); return the measures."""
    dbfs, onset = audibility(wav, sr)
    if dbfs < SILENCE_DBFS:
        raise RhythmInputError(
            path,
            f"no audible music: RMS {dbfs:.1f} dBFS is below the {SILENCE_DBFS:g} dBFS "
            "floor (silence); pass --allow-silence to use it anyway",
        )
    if onset < MIN_ONSET_STRENGTH:
        raise RhythmInputError(
            path,
            f"no audible music: mean onset strength {onset:.2f} is below the "
            f"{MIN_ONSET_STRENGTH:g} floor (a steady sound, nothing to follow); "
            "pass --allow-silence to use it anyway",
        )
    return {"rms_dbfs": round(dbfs, 2), "onset_strength": round(onset, 3)}


def decode_pcm16(source: str | Path, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, dict]:
    """Mono int16 samples of the first audio stream of ``source`` at ``sample_rate``, exactly as long
    as the stream says it is (:data:`MAX_SHORTFALL_S` of padding at most); refuses truncated files.

    Decoded in process by PyAV's own FFmpeg libraries (as frames are), not by the ffmpeg on PATH:
    AAC decoders of different ffmpeg builds round differently (Debian's 5.1 and the imageio-ffmpeg
    wheel's 9.0 differ in 18 samples of a 5 s demo song, by up to 45 at 16 kHz), and a cluster's
    ffmpeg module must not change the training data.
    """
    import av

    source = Path(source)
    stream_info = probe_audio(source)
    expected = int(round(stream_info.duration_s * sample_rate))
    chunks: list[np.ndarray] = []
    damage = None
    with av.open(str(source)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(container.streams.audio[0]):
                chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]
        except (av.error.FFmpegError, ValueError) as exc:  # a cut-off file: what decoded is checked below
            damage = exc
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    pcm = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    decoded = len(pcm)
    if decoded < expected - MAX_SHORTFALL_S * sample_rate:
        why = f" ({damage})" if damage else ""
        raise RhythmInputError(
            source,
            f"truncated: its audio decodes to {decoded / sample_rate:.2f} s but the "
            f"file says {stream_info.duration_s:.2f} s{why}; download or copy it again",
        )
    pcm = pcm[:expected]
    padded = expected - len(pcm)
    if padded:
        pcm = np.concatenate([pcm, np.zeros(padded, np.int16)])
    return pcm, {
        "stream_duration_s": round(stream_info.duration_s, 6),
        "decoded_samples": decoded,
        "trimmed_samples": max(0, decoded - expected),
        "padded_samples": padded,
    }


def load_audio(
    source: str | Path, sample_rate: int = SAMPLE_RATE, min_duration_s: float = 0.5, allow_silence: bool = False
) -> np.ndarray:
    """Mono float32 samples of any audio or video file ffmpeg reads, checked as :func:`extract_wav` does."""
    pcm, _ = decode_pcm16(source, sample_rate)
    wav = pcm.astype(np.float32) / 32768.0
    _check_music(wav, sample_rate, source, min_duration_s, allow_silence)
    return wav


def _check_music(wav: np.ndarray, sample_rate: int, source, min_duration_s: float, allow_silence: bool) -> dict:
    if len(wav) / sample_rate < min_duration_s:
        raise RhythmInputError(
            source, f"audio is only {len(wav) / sample_rate:.2f} s long (at least {min_duration_s:g} s needed)"
        )
    return {} if allow_silence else require_audible(wav, sample_rate, source)


def extract_wav(
    source: str | Path,
    out: str | Path,
    sample_rate: int = SAMPLE_RATE,
    min_duration_s: float = 0.5,
    allow_silence: bool = False,
) -> dict:
    """Decode the first audio stream of ``source`` to mono PCM-16 WAV at ``sample_rate``, checked.

    The WAV has ``round(stream duration * sample_rate)`` samples, whatever ffmpeg decoded it.
    Raises :class:`RhythmInputError` (and writes nothing) for a file without audio, a truncated
    one, audio shorter than ``min_duration_s``, or no audible music (unless ``allow_silence``).
    """
    import soundfile as sf

    pcm, decoding = decode_pcm16(source, sample_rate)
    loudness = _check_music(pcm.astype(np.float32) / 32768.0, sample_rate, source, min_duration_s, allow_silence)
    with atomic_path(out) as tmp:
        sf.write(str(tmp), pcm, sample_rate, subtype="PCM_16", format="WAV")
    return {
        "source": str(source),
        "sample_rate": sample_rate,
        "samples": len(pcm),
        "duration_s": len(pcm) / sample_rate,
        **decoding,
        **loudness,
    }


def load_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples (float32, mono) and sample rate of a WAV file."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "WAV not found")
    try:
        wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except RuntimeError as exc:  # soundfile's errors, a text file among them
        raise RhythmInputError(path, f"not a readable WAV ({exc})") from None
    return wav.mean(axis=1), sr


def find_music_file(music_dir: str | Path, music: str) -> Path | None:
    """``<music_dir>/<music>.<ext>`` for the first known audio extension that exists."""
    for ext in AUDIO_EXTENSIONS:
        path = Path(music_dir) / f"{music}{ext}"
        if path.is_file():
            return path
    return None
