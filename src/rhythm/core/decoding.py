"""Decoding videos in this process with PyAV (FFmpeg's own libraries): frames arrive as planes, no pipe.

:func:`rhythm.core.ffmpeg.read_raw_frames` runs an ffmpeg process and reads raw frames from its pipe,
which costs a copy on each side of the pipe: about 2.4 ms for a 1080p frame on a busy core here,
as much as a JPEG encoder spends on it. Here the decoder's own buffers reach Python instead, so
the frame extraction (:mod:`rhythm.video.frames`), which touches every pixel of 10 M frames, decodes
in process. Frame ``i`` is the ``i``-th frame in presentation order, the same count as
:func:`rhythm.core.ffmpeg.probe_video`'s ``frame_times`` and as ffmpeg's ``-fps_mode passthrough``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rhythm.core.errors import RhythmInputError

if TYPE_CHECKING:
    import av


def decoded_frames(video: str | Path, sources: list[int]) -> Iterator[tuple[int, av.VideoFrame]]:
    """Decode ``video`` once, yielding ``(source_index, frame)`` for the sorted frame indices ``sources``.

    Decoding stops after the last wanted frame. A file that cannot be opened, or that ends (or
    breaks) before a wanted frame, raises :class:`RhythmInputError` naming it. The decoder uses
    FFmpeg's own choice of frame and slice threads.
    """
    import av

    video = Path(video)
    if not sources:
        return
    pending = iter(sources)
    want: int | None = next(pending)
    decoded = 0
    try:
        container = av.open(str(video))
    except (av.FFmpegError, OSError) as exc:
        raise RhythmInputError(video, f"not a readable video ({exc})") from exc
    with container:
        if not container.streams.video:
            raise RhythmInputError(video, "has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame and slice threads
        try:
            for frame in container.decode(stream):
                if decoded == want:
                    yield decoded, frame
                    want = next(pending, None)
                    if want is None:
                        return
                decoded += 1
        except av.FFmpegError as exc:
            raise RhythmInputError(
                video, f"decoding failed at source frame {decoded} (the video may be truncated or corrupt): {exc}"
            ) from exc
    raise RhythmInputError(
        video, f"the video ended at source frame {decoded}, before source frame {want} (it may be truncated or corrupt)"
    )


def plane_array(frame: av.VideoFrame, index: int) -> np.ndarray:
    """Plane ``index`` of a decoded frame as a (rows, columns) uint8 view, without the line padding."""
    plane = frame.planes[index]
    # numpy's stubs take only the builtin buffers, not any object with __buffer__ (av's planes have one)
    flat = np.frombuffer(plane, np.uint8)  # type: ignore[call-overload]
    return flat.reshape(plane.height, plane.line_size)[:, : plane.width]
