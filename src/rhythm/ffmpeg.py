"""Finding and running ffmpeg, and probing videos without ffprobe.

The system ffmpeg is used when it is on PATH (or named by ``RHYTHM_FFMPEG``); otherwise the static
binary bundled in the ``imageio-ffmpeg`` wheel, so that nothing needs root. That binary ships no
ffprobe, so :func:`probe_video` reads what ``ffmpeg -i`` prints and counts packets by stream copy.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rhythm.errors import RhythmInputError


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary Rhythm runs."""
    env = os.environ.get("RHYTHM_FFMPEG")
    if env:
        return env
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - imageio-ffmpeg is a dependency
        raise RuntimeError("no ffmpeg on PATH and imageio-ffmpeg is not installed") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], *, source: str | Path | None = None, input: bytes | None = None) -> str:
    """Run ffmpeg with ``args``; on failure raise an error naming ``source`` with ffmpeg's last words."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, input=input, capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RhythmInputError(source or "ffmpeg", "ffmpeg failed: " + " | ".join(tail))
    return proc.stderr.decode(errors="replace")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    num_frames: int
    duration_s: float
    has_audio: bool
    audio_sample_rate: int | None


_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_FPS_RE = re.compile(r"([\d.]+) (?:fps|tbr)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: .*?(\d+) Hz")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")
_FRAME_RE = re.compile(r"frame=\s*(\d+)")


def probe_video(path: str | Path) -> VideoInfo:
    """Size, frame rate, exact frame count and audio of a video.

    The frame count comes from copying the video stream to the null muxer (no decoding), which
    counts the packets actually in the file rather than trusting the container's header.
    """
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "video not found")
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy",
         "-f", "null", "-"],
        capture_output=True,
    )
    text = proc.stderr.decode(errors="replace")
    video = _VIDEO_RE.search(text)
    if proc.returncode != 0 or video is None:
        last = text.strip().splitlines()[-1:] or ["no output"]
        raise RhythmInputError(path, f"not a readable video ({last[0]})")
    video_line = text[video.start(): text.find("\n", video.start())]
    fps_match = _FPS_RE.search(video_line)
    audio = _AUDIO_RE.search(text)
    duration = _DURATION_RE.search(text)
    frames = _FRAME_RE.findall(text)
    duration_s = (
        int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
        if duration else 0.0
    )
    return VideoInfo(
        path=str(path),
        width=int(video.group(1)),
        height=int(video.group(2)),
        fps=float(fps_match.group(1)) if fps_match else 0.0,
        num_frames=int(frames[-1]) if frames else 0,
        duration_s=duration_s,
        has_audio=audio is not None,
        audio_sample_rate=int(audio.group(1)) if audio else None,
    )
