"""Finding and running ffmpeg, and probing videos without ffprobe.

The system ffmpeg is used when it is on PATH (or named by ``RHYTHM_FFMPEG``); otherwise the static
binary bundled in the ``imageio-ffmpeg`` wheel, so that nothing needs root. That binary ships no
ffprobe, so :func:`probe_video` reads what ``ffmpeg -i`` prints and lists packets by stream copy.
The command lines Rhythm runs to encode (:func:`h264_command`) and to decode raw frames
(:func:`read_raw_frames`) are built with ffmpeg-python; audio and frame extraction decode in
process with PyAV instead (:mod:`rhythm.audio.wav`, :mod:`rhythm.core.decoding`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.core.errors import RhythmInputError


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary Rhythm runs: ``RHYTHM_FFMPEG`` (a path, or ``bundled`` for the
    imageio-ffmpeg wheel's), else the one on PATH, else the wheel's."""
    return _ffmpeg_exe(os.environ.get("RHYTHM_FFMPEG", ""), os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _ffmpeg_exe(choice: str, path: str) -> str:
    if choice == "bundled":
        return bundled_ffmpeg_exe()
    if choice:
        return choice
    return shutil.which("ffmpeg", path=path) or bundled_ffmpeg_exe()


def run_ffmpeg(args: list[str], *, source: str | Path | None = None, input: bytes | None = None, stdout: bool = False):
    """Run ffmpeg with ``args``; on failure raise an error naming ``source`` with ffmpeg's last words.

    Returns what ffmpeg wrote to stdout (bytes) with ``stdout``, else its messages (text).
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, input=input, capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise RhythmInputError(source or "ffmpeg", "ffmpeg could not read it: " + " | ".join(tail)[-300:])
    return proc.stdout if stdout else proc.stderr.decode(errors="replace")


QUIET = ("-hide_banner", "-nostdin", "-loglevel", "error")  # every ffmpeg Rhythm runs: errors only


def h264_command(
    out: str | Path,
    size: tuple[int, int],
    fps: float,
    *,
    crf: int = 20,
    faststart: bool = False,
    audio: str | Path | None = None,
    audio_start_s: float | None = None,
    audio_duration_s: float | None = None,
    audio_optional: bool = False,
    audio_bitrate: str | None = None,
    shortest: bool = False,
    ffmpeg: str | None = None,
) -> list[str]:
    """The ffmpeg command that encodes raw BGR frames of ``size`` (width, height) read from stdin into
    an H.264 (yuv420p) MP4 at ``out``, with the audio of ``audio`` (any file ffmpeg reads) as AAC.

    ``audio_start_s`` / ``audio_duration_s`` cut the audio input; ``audio_optional`` maps its audio
    only if it has some (``1:a?``); ``shortest`` ends at the shorter stream. Built with ffmpeg-python.
    """
    import ffmpeg as ffmpeg_python

    width, height = size
    frames = ffmpeg_python.input("pipe:0", f="rawvideo", pix_fmt="bgr24", s=f"{width}x{height}", r=f"{fps:g}")
    streams = [frames["v"]]
    options: dict[str, object] = {"c:v": "libx264", "preset": "veryfast", "crf": crf, "pix_fmt": "yuv420p"}
    if faststart:
        options["movflags"] = "+faststart"
    if audio is not None:
        cut = {}
        if audio_start_s is not None:
            cut["ss"] = f"{audio_start_s:.6f}"
        if audio_duration_s is not None:
            cut["t"] = f"{audio_duration_s:.6f}"
        streams.append(ffmpeg_python.input(str(audio), **cut)["a?" if audio_optional else "a"])
        options["c:a"] = "aac"
        if audio_bitrate:
            options["b:a"] = audio_bitrate
        if shortest:
            options["shortest"] = None
    command = ffmpeg_python.output(*streams, str(out), **options).global_args(*QUIET).overwrite_output()
    return command.compile(cmd=ffmpeg or ffmpeg_exe())


class FrameEncoder:
    """Raw BGR frames piped into one ffmpeg process (a command of :func:`h264_command`)."""

    def __init__(self, cmd: list[str]):
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stdin is not None and proc.stderr is not None  # both piped
        self.proc, self._stdin, self._stderr = proc, proc.stdin, proc.stderr

    def write(self, frame: np.ndarray) -> None:
        self._stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())

    def close(self) -> tuple[int, str]:
        """End the input and wait for ffmpeg: (its exit code, its messages)."""
        self._stdin.close()
        err = self._stderr.read().decode(errors="replace")
        return self.proc.wait(), err


def bundled_ffmpeg_exe() -> str:
    """The static ffmpeg of the imageio-ffmpeg wheel: the same build on every machine.

    The demo dataset is encoded with it, so that its videos (and so every output made from them)
    are the same bytes whichever ffmpeg a machine has on PATH.
    """
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def tool_versions() -> dict:
    """The decoders and encoders Rhythm runs, for ``rhythm status --versions`` and the data report."""
    import av

    from rhythm import __version__

    exe = ffmpeg_exe()
    return {
        "rhythm": __version__,
        "ffmpeg": exe,
        "ffmpeg_version": ffmpeg_version(exe),
        "ffmpeg_bundled": ffmpeg_version(bundled_ffmpeg_exe()) if exe != bundled_ffmpeg_exe() else "the one above",
        "pyav": av.__version__,  # frames are decoded in process by PyAV's own FFmpeg libraries
        "pyav_libavcodec": ".".join(map(str, av.library_versions.get("libavcodec", ()))),
    }


def ffmpeg_version(exe: str | None = None) -> str:
    """The first line of ``ffmpeg -version`` of ``exe`` (default: the one Rhythm runs)."""
    exe = exe or ffmpeg_exe()
    try:
        out = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    return out.splitlines()[0].split(" Copyright")[0] if out else "unknown"


@dataclass(frozen=True, eq=False)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    num_frames: int
    duration_s: float
    has_audio: bool
    audio_sample_rate: int | None
    frame_times: np.ndarray  # (num_frames,) presentation times in seconds, from 0, ascending

    @property
    def stream_duration_s(self) -> float:
        """Duration of the video stream: last frame's time plus one frame (the container's can be longer)."""
        if self.num_frames == 0:
            return 0.0
        step = float(np.median(np.diff(self.frame_times))) if self.num_frames > 1 else 1.0 / (self.fps or 60.0)
        return float(self.frame_times[-1]) + step


_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_FPS_RE = re.compile(r"([\d.]+) (?:fps|tbr)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: .*?(\d+) Hz")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")
_TIMEBASE_RE = re.compile(r"^#tb 0: (\d+)/(\d+)", re.M)


def probe_video(path: str | Path) -> VideoInfo:
    """Size, frame rate, exact frame count, per-frame presentation times and audio of a video.

    The video stream is copied (not decoded) to ffmpeg's ``framecrc`` muxer, which lists every
    packet with its presentation timestamp: the frame count is what is in the file, not what the
    container's header claims, and the times show a 59.94 fps source or a missing frame exactly.
    """
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "video not found")
    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-c",
            "copy",
            "-f",
            "framecrc",
            "-",
        ],
        capture_output=True,
    )
    text = proc.stderr.decode(errors="replace")
    listing = proc.stdout.decode(errors="replace")
    video = _VIDEO_RE.search(text)
    if proc.returncode != 0 or video is None:
        last = text.strip().splitlines()[-1:] or ["no output"]
        raise RhythmInputError(path, f"not a readable video ({last[0]})")
    video_line = text[video.start() : text.find("\n", video.start())]
    fps_match = _FPS_RE.search(video_line)
    audio = _AUDIO_RE.search(text)
    duration = _DURATION_RE.search(text)
    duration_s = (
        int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)) if duration else 0.0
    )
    tb = _TIMEBASE_RE.search(listing)
    num, den = (int(tb.group(1)), int(tb.group(2))) if tb else (1, 1)
    pts = np.array(
        sorted(int(line.split(",")[2]) for line in listing.splitlines() if line and not line.startswith("#")),
        dtype=np.int64,
    )
    declared = declared_video_frames(path)
    if "partial file" in text or (declared and len(pts) < declared):
        raise RhythmInputError(
            path,
            f"truncated: {len(pts)} of its {declared or '?'} frames are in the file "
            "(an interrupted download or copy); download or copy it again",
        )
    times = (pts - pts[0]) * num / den if len(pts) else np.zeros(0)
    return VideoInfo(
        path=str(path),
        width=int(video.group(1)),
        height=int(video.group(2)),
        fps=float(fps_match.group(1)) if fps_match else 0.0,
        num_frames=len(pts),
        duration_s=duration_s,
        has_audio=audio is not None,
        audio_sample_rate=int(audio.group(1)) if audio else None,
        frame_times=times,
    )


def declared_video_frames(path: str | Path) -> int:
    """The frame count a container's index declares for its first video stream (0: it declares none).

    An MP4 cut off after its index (``moov`` at the front) still opens, and lists fewer frames
    than it declares: that is how a truncated download is told from a short video.
    """
    import av

    try:
        with av.open(str(path)) as container:
            return int(container.streams.video[0].frames) if container.streams.video else 0
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        return 0


# ----------------------------------------------------------------------------- decoding to raw frames


def _select_filter(sources: list[int]) -> str | None:
    """An ffmpeg ``select`` expression for an arithmetic run of source frames (a stride), else None."""
    if len(sources) < 2:
        return f"eq(n\\,{sources[0]})" if sources else None
    step = sources[1] - sources[0]
    if step <= 1 or any(b - a != step for a, b in zip(sources, sources[1:])):
        return None
    return f"gte(n\\,{sources[0]})*not(mod(n-{sources[0]}\\,{step}))"


def read_raw_frames(video: str | Path, sources: list[int], size: tuple[int, int]) -> Iterator[tuple[int, bytes]]:
    """Decode ``video`` once, yielding ``(source_index, BGR bytes)`` for the sorted frame indices ``sources``.

    Indices count frames in presentation order, as :func:`probe_video`'s ``frame_times``. One ffmpeg
    process scales to ``size`` and converts to ``bgr24`` (H, W, 3); when the indices are a stride,
    its ``select`` filter drops the others before the pipe, and it stops after the last one. (Frame
    extraction, which needs every pixel of every frame fast, decodes in process instead:
    :mod:`rhythm.core.decoding`.)
    """
    video = Path(video)
    if not sources:
        return
    width, height = size
    frame_bytes = width * height * 3
    select = _select_filter(sources)
    filters = ([f"select='{select}'"] if select else []) + [f"scale={width}:{height}"]
    import ffmpeg as ffmpeg_python

    frames = str(len(sources) if select else sources[-1] + 1)
    decode = ffmpeg_python.input(str(video))["v:0"].output(
        "pipe:1", vf=",".join(filters), fps_mode="passthrough", pix_fmt="bgr24", f="rawvideo", **{"frames:v": frames}
    )
    cmd = decode.global_args(*QUIET).compile(cmd=ffmpeg_exe())
    pending = iter(sources)
    want = next(pending, None)
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None  # piped
        decoded = 0
        try:
            while want is not None:
                buf = proc.stdout.read(frame_bytes)
                if len(buf) < frame_bytes:
                    break
                index = want if select else decoded
                decoded += 1
                if index == want:
                    yield want, buf
                    want = next(pending, None)
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
            code = proc.wait()
        if want is not None:
            stderr.seek(0)
            last = stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {code}"]
            raise RhythmInputError(
                video, f"ffmpeg stopped before source frame {want} (the video may be truncated or corrupt): {last[0]}"
            )
