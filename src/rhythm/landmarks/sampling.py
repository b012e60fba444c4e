"""Which frames of a video (or of one segment of it) the landmarks stage looks at.

The original landmark stage's (Stage 3b's) three knobs, with their names: ``REDUCE_FPS_TO``
(sample down to this rate; a slower source keeps its own), ``ACCEPT_VIDEO_FPS_WITHIN`` (a source
outside this range is skipped, not an error: a manifest of web videos has a few odd ones) and
``FRAME_SKIP`` (then keep every n-th).
Frames are chosen from the source's own presentation timestamps: for each tick of the target
rate, the source frame nearest to it (ties to the earlier), so a 60 fps AIST++ video sampled at
30 fps gives exactly its even frames, 0, 2, 4, ..., and frame i of the output is at i / 30 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rhythm.core.ffmpeg import VideoInfo


class SkipSegment(Exception):
    """The segment is left out, for a reason the report gives (source fps, too short, several people)."""


@dataclass(frozen=True)
class SamplingOptions:
    reduce_fps_to: float | None = 30.0  # REDUCE_FPS_TO; None: every source frame
    accept_fps_within: tuple[float, float] = (24.0, 60.0)  # ACCEPT_VIDEO_FPS_WITHIN, inclusive
    frame_skip: int = 1  # FRAME_SKIP: keep every n-th sampled frame

    def __post_init__(self):
        lo, hi = self.accept_fps_within
        if not 0 < lo <= hi:
            raise ValueError(f"accept_fps_within must be 0 < low <= high, got {self.accept_fps_within}")
        if self.frame_skip < 1:
            raise ValueError("frame_skip must be at least 1")
        if self.reduce_fps_to is not None and self.reduce_fps_to <= 0:
            raise ValueError("reduce_fps_to must be positive (or None)")


@dataclass(frozen=True)
class Sample:
    source_index: np.ndarray  # (T,) frames of the video, presentation order
    times_s: np.ndarray  # (T,) their times in the video, seconds
    fps: float  # the sampled rate: frames per second of the output


def sample_frames(
    info: VideoInfo, options: SamplingOptions = SamplingOptions(), start_s: float = 0.0, end_s: float | None = None
) -> Sample:
    """The source frames to process within ``[start_s, end_s)`` (the whole video by default)."""
    lo, hi = options.accept_fps_within
    if not lo - 1e-3 <= info.fps <= hi + 1e-3:
        raise SkipSegment(f"source is {info.fps:g} fps, outside the accepted {lo:g}-{hi:g} fps")
    times = np.asarray(info.frame_times)
    end = info.stream_duration_s if end_s is None else min(end_s, info.stream_duration_s)
    if start_s < 0 or end <= start_s:
        raise SkipSegment(f"empty segment {start_s:g}-{end:g} s (the video lasts {info.stream_duration_s:.3f} s)")
    window = np.flatnonzero((times >= start_s - 1e-9) & (times < end - 1e-9))
    if len(window) == 0:
        raise SkipSegment(f"no frame between {start_s:g} and {end:g} s")
    rate = info.fps
    if options.reduce_fps_to is not None and options.reduce_fps_to < info.fps - 1e-3:
        local = times[window] - times[window[0]]
        ticks = np.arange(0.0, end - times[window[0]] - 1e-9, 1.0 / options.reduce_fps_to)
        right = np.clip(np.searchsorted(local, ticks), 0, len(local) - 1)
        left = np.maximum(right - 1, 0)
        nearest = np.where(np.abs(local[left] - ticks) <= np.abs(local[right] - ticks) + 1e-9, left, right)
        window = window[np.unique(nearest)]  # a source frame never counts twice
        rate = options.reduce_fps_to
    window = window[:: options.frame_skip]
    return Sample(window, times[window], rate / options.frame_skip)
