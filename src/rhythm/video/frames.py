"""Frames aligned with the 60 fps annotations: one ffmpeg decoder per video, JPEGs encoded on all cores.

Frame ``i`` on disk is annotation frame ``i``. Which source frame that is comes from the video's
own presentation timestamps (:func:`rhythm.core.ffmpeg.probe_video`), in one of two ways:

* ``align="fps"`` (default): exactly 60 fps, rounding down, as the official AIST++ API decodes
  (ffmpeg's ``fps=60:round=down`` filter). Output frame ``n`` is the last source frame whose
  time, in 1/60 s and rounded down, is at most ``n``. A 59.94 fps source shows one frame twice
  about every 16.7 s; a 60 fps source maps one to one.
* ``align="timestamps"``: output frame ``i`` is the source frame nearest to the annotation's own
  timestamp (``keypoints2d`` ``timestamps``); annotation frames with no source frame within half a
  frame are reported.

Speed: the video is decoded once, in this process (:mod:`rhythm.core.decoding`, PyAV: no pipe and
no per-frame process), and a pool of threads widens each wanted frame from video range to JPEG's
full range by lookup tables and encodes it with libjpeg-turbo (``simplejpeg``; both release the
GIL), so decoding overlaps with encoding on every core; AIST++'s yuv420p videos, kept at their
size, need no colour conversion at all.
``frame_mapping.json`` records, for every file, its annotation frame, source frame and times,
and what was duplicated, skipped or missing.
"""

from __future__ import annotations

import concurrent.futures
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import VideoInfo, probe_video
from rhythm.core.io import atomic_dir, read_json, write_json
from rhythm.core.options import option

MAPPING_NAME = "frame_mapping.json"
ALIGN_MODES = ("fps", "timestamps")


@dataclass(frozen=True)
class FrameOptions:
    """``rhythm frames`` and the config's ``frames:`` section (:mod:`rhythm.core.options`)."""

    fps: float | None = option(
        aist.FPS,
        "output frame rate, rounding down as ffmpeg's fps filter (None: the source's own)",
        cli=False,
        config=False,
    )
    align: str = option(
        "fps",
        "fps: exactly 60 fps, rounding down (the AIST++ API); timestamps: the source frame nearest each annotation",
        choices=ALIGN_MODES,
    )
    quality: int = option(95, "JPEG quality 1-100 (libjpeg-turbo; 95 matches ffmpeg -q:v 2)", minimum=1, maximum=100)
    stride: int = option(1, "keep every N-th annotation frame", minimum=1)
    indices: tuple[int, ...] | None = option(
        None, "keep only these annotation frames (after the stride)", cli=False, config=False
    )
    max_mismatch: int = option(0, "frames the video may differ from its annotations before it is an error", minimum=0)
    width: int | None = option(
        None, "resize to this width (the aspect ratio is kept when height is not given)", minimum=16
    )
    height: int | None = option(None, "resize to this height", minimum=16)
    workers: int = option(0, "JPEG encoding threads (0: one per available core)", config=False)


@dataclass(frozen=True)
class Alignment:
    """Which source frame each annotation frame is, and how many annotation frames the video covers."""

    source_index: np.ndarray  # (count,) source frame (presentation order) of annotation frame i
    count: int  # annotation frames the video can supply
    notes: tuple[str, ...] = ()
    without_source: int = 0  # timestamps mode: annotation frames with no source frame within half a frame


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------- alignment


def align_fps(frame_times: np.ndarray, stream_duration_s: float, fps: float) -> Alignment:
    """ffmpeg's ``fps=<fps>:round=down``: output frame n is the last source frame with floor(t * fps) <= n."""
    rounded = np.floor(np.asarray(frame_times) * fps + 1e-6).astype(np.int64)
    count = int(np.floor(stream_duration_s * fps + 1e-6))
    source = np.searchsorted(rounded, np.arange(count), side="right") - 1
    return Alignment(np.maximum(source, 0), count)


def align_timestamps(
    frame_times: np.ndarray, annotation_times: np.ndarray, stream_duration_s: float, source_fps: float
) -> Alignment:
    """Each annotation frame gets the source frame nearest to its timestamp (seconds from the first)."""
    times = np.asarray(frame_times)
    ann = np.asarray(annotation_times, dtype=np.float64)
    count = int(np.searchsorted(ann, stream_duration_s - 1e-9, side="left"))  # annotations inside the video
    ann = ann[:count]
    right = np.clip(np.searchsorted(times, ann), 0, len(times) - 1)
    left = np.maximum(right - 1, 0)
    nearest = np.where(np.abs(times[left] - ann) <= np.abs(times[right] - ann), left, right)
    half_frame = 0.5 / (source_fps or aist.FPS) + 1e-6
    without = int((np.abs(times[nearest] - ann) > half_frame).sum())
    return Alignment(nearest, count, without_source=without)


def source_changes(alignment: Alignment, num_source_frames: int) -> dict:
    """How the alignment deviates from one source frame per annotation frame."""
    src = alignment.source_index
    used = np.unique(src)
    last = int(src[-1]) + 1 if len(src) else 0
    return {
        "duplicated_source_frames": int(len(src) - len(used)),
        "skipped_source_frames": int(last - len(used)),
        "unused_trailing_source_frames": int(max(0, num_source_frames - last)),
    }


def plan_alignment(
    info: VideoInfo,
    options: FrameOptions,
    num_annotation_frames: int | None,
    annotation_times: np.ndarray | None,
    video: Path,
) -> Alignment:
    """Align the video with its annotations and check the frame counts agree (within ``max_mismatch``)."""
    if info.num_frames == 0:
        raise RhythmInputError(video, "the video has no frames")
    if options.align not in ALIGN_MODES:
        raise ValueError(f"align must be one of {ALIGN_MODES}, not {options.align!r}")
    if options.fps is None:
        raise ValueError("plan_alignment needs options.fps (extract_frames sets None to the source's rate)")
    if options.align == "timestamps":
        if annotation_times is None:
            raise ValueError("align='timestamps' needs the annotations' timestamps")
        al = align_timestamps(info.frame_times, annotation_times, info.stream_duration_s, info.fps)
    else:
        al = align_fps(info.frame_times, info.stream_duration_s, options.fps)
    notes = []
    available = int(np.floor(info.stream_duration_s * options.fps + 1e-6))  # frames at `fps`, rounding down
    count = al.count
    if num_annotation_frames is not None:
        diff = available - num_annotation_frames
        if abs(diff) > options.max_mismatch:
            raise RhythmInputError(
                video,
                f"has {available} frames at {options.fps:g} fps but its keypoints have "
                f"{num_annotation_frames} frames (difference {diff:+d}, allowed {options.max_mismatch})",
            )
        count = min(al.count, num_annotation_frames)
        if diff:
            notes.append(f"video has {available} frames, annotations {num_annotation_frames}; kept {count}")
    if abs(info.fps - options.fps) >= 1e-3:
        notes.append(f"source is {info.fps:g} fps; aligned to {options.fps:g} fps ({options.align})")
    al = Alignment(al.source_index[:count], count, tuple(notes), al.without_source)
    changes = source_changes(al, info.num_frames)
    if changes["duplicated_source_frames"] or changes["skipped_source_frames"]:
        notes.append(
            f"{changes['duplicated_source_frames']} source frame(s) shown twice, "
            f"{changes['skipped_source_frames']} skipped"
        )
    if al.without_source:
        notes.append(
            f"{al.without_source} annotation frame(s) have no source frame within half a frame; the nearest is used"
        )
    return Alignment(al.source_index, count, tuple(notes), al.without_source)


def wanted_indices(count: int, options: FrameOptions) -> list[int]:
    """Annotation frames to write: every ``stride``-th, optionally only those in ``indices``."""
    keep = range(0, count, options.stride)
    if options.indices is not None:
        wanted = set(options.indices)
        return [i for i in keep if i in wanted]
    return list(keep)


# ----------------------------------------------------------------------------- decoding and encoding


def _output_size(info: VideoInfo, options: FrameOptions) -> tuple[int, int]:
    w, h = options.width, options.height
    if w and h:
        return w, h
    if w:
        return w, int(round(info.height * w / info.width / 2)) * 2
    if h:
        return int(round(info.width * h / info.height / 2)) * 2, h
    return info.width, info.height


# Video-range (16-235 luma, 16-240 chroma) to JPEG's full range (0-255), as lookup tables.
_LUMA_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)
_CHROMA_TO_FULL = np.clip(np.round((np.arange(256) - 128) * 255 / 224 + 128), 0, 255).astype(np.uint8)


def full_range_planes(frame, size: tuple[int, int], out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A decoded frame as full-range 4:2:0 planes Y, U, V (views into ``out``, ``w * h * 3 / 2`` bytes).

    A video-range yuv420p frame kept at its size, the AIST++ case, is widened by lookup tables
    straight from the decoder's planes into ``out``: one pass, no colour conversion. Anything else
    (another pixel format or range, a new size) goes through FFmpeg's scaler first (bicubic).
    """
    import cv2
    from av.video.reformatter import VideoReformatter

    from rhythm.core.decoding import plane_array

    width, height = size
    full_range = frame.format.name == "yuvj420p" or frame.color_range == 2  # 2: AVCOL_RANGE_JPEG
    if frame.format.name in ("yuv420p", "yuvj420p") and (frame.width, frame.height) == size:
        tables = (None, None, None) if full_range else (_LUMA_TO_FULL, _CHROMA_TO_FULL, _CHROMA_TO_FULL)
    else:
        frame = VideoReformatter().reformat(
            frame,
            width,
            height,
            "yuv420p",
            interpolation="BICUBIC",
            src_color_range="JPEG" if full_range else None,
            dst_color_range="JPEG",
            threads=1,
        )
        tables = (None, None, None)
    shapes = ((height, width), (height // 2, width // 2), (height // 2, width // 2))
    planes, offset = [], 0
    for k, (shape, table) in enumerate(zip(shapes, tables)):
        dst = out[offset : offset + shape[0] * shape[1]].reshape(shape)
        src = plane_array(frame, k)
        if table is None:
            np.copyto(dst, src)
        else:
            cv2.LUT(src, table, dst=dst)
        planes.append(dst)
        offset += dst.size
    return planes[0], planes[1], planes[2]


def encode_frames(
    video: Path,
    targets: dict[int, list[Path]],
    size: tuple[int, int],
    quality: int,
    workers: int,
    progress: bool = False,
) -> None:
    """Decode ``video`` once and write the source frames in ``targets`` (source index -> files) as JPEGs.

    The decoder runs in this process (:mod:`rhythm.core.decoding`) while ``workers`` threads widen each
    frame to full range and encode it with libjpeg-turbo (both release the GIL). Each frame in
    flight holds a buffer from a small pool, reused frame after frame: the pool bounds the memory
    in flight (the decoder waits for a free buffer), and reused pages cost no page faults.
    """
    import queue

    import av
    import simplejpeg
    from av.video.reformatter import VideoReformatter
    from tqdm import tqdm

    from rhythm.core.decoding import decoded_frames

    width, height = size
    yuv = width % 2 == 0 and height % 2 == 0  # 4:2:0 planes need even sizes; odd sizes go through BGR
    buffers: queue.Queue = queue.Queue()  # on the BGR path a buffer is only a token for a frame in flight
    for _ in range(2 * workers + 2):
        buffers.put(np.empty(width * height * 3 // 2 if yuv else 0, np.uint8))

    def encode(frame: av.VideoFrame, buf: np.ndarray, paths: list[Path]) -> None:
        try:
            if yuv:
                data = simplejpeg.encode_jpeg_yuv_planes(*full_range_planes(frame, size, buf), quality=quality)
            else:
                bgr = (
                    VideoReformatter()
                    .reformat(
                        frame,
                        width,
                        height,
                        "bgr24",
                        interpolation="BICUBIC",
                        src_color_range="JPEG" if frame.color_range == 2 else None,
                        threads=1,
                    )
                    .to_ndarray()
                )
                data = simplejpeg.encode_jpeg(bgr, quality=quality, colorspace="BGR", colorsubsampling="420")
        finally:
            buffers.put(buf)
        for path in paths:
            path.write_bytes(data)

    bar = tqdm(total=len(targets), desc=f"frames {video.stem}", disable=not progress, mininterval=5)
    futures = []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        try:
            for index, frame in decoded_frames(video, sorted(targets)):
                fut = pool.submit(encode, frame, buffers.get(), targets[index])  # waits for a free buffer
                fut.add_done_callback(lambda _f: bar.update())
                futures.append(fut)
        finally:
            for fut in futures:
                fut.result()  # re-raise an encoder's error
            bar.close()


# ----------------------------------------------------------------------------- the stage


def extract_frames(
    video: str | Path,
    out_dir: str | Path,
    *,
    num_annotation_frames: int | None = None,
    timestamps_us=None,
    options: FrameOptions = FrameOptions(),
    progress: bool = False,
) -> dict:
    """Write ``out_dir/<index:06d>.jpg`` and ``out_dir/frame_mapping.json``; return the mapping.

    ``num_annotation_frames`` (from the keypoints) is what the frame count is checked against; a
    difference of more than ``options.max_mismatch`` frames is an error that leaves nothing behind.
    """
    video = Path(video)
    info = probe_video(video)
    if options.fps is None:  # any video: its own frame rate, by the same round-down rule
        options = replace(options, fps=info.fps or aist.FPS)
    assert options.fps is not None  # set just above
    ann_times = None
    if timestamps_us is not None:
        ts = np.asarray(timestamps_us, dtype=np.float64)
        ann_times = (ts - ts[0]) / 1e6
    alignment = plan_alignment(info, options, num_annotation_frames, ann_times, video)
    keep = wanted_indices(alignment.count, options)
    if not keep:
        raise RhythmInputError(video, "no frames selected (check stride and indices)")
    size = _output_size(info, options)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        targets: dict[int, list[Path]] = {}
        for i in keep:
            targets.setdefault(int(alignment.source_index[i]), []).append(tmp / f"{i:06d}.jpg")
        encode_frames(video, targets, size, options.quality, options.workers or available_cores(), progress)
        mapping = {
            "video": video.stem,
            "sequence": _sequence_or_none(video.stem),
            "fps": options.fps,
            "align": options.align,
            "source_fps": info.fps,
            "source_frames": info.num_frames,
            "width": size[0],
            "height": size[1],
            "source_width": info.width,
            "source_height": info.height,
            "num_frames": len(keep),
            "annotation_frames": num_annotation_frames,
            "stride": options.stride,
            "quality": options.quality,
            **source_changes(alignment, info.num_frames),
            "annotation_frames_without_source": alignment.without_source,
            "notes": list(alignment.notes),
            "frames": [
                {
                    "index": i,
                    "file": f"{i:06d}.jpg",
                    "timestamp_s": round(float(ann_times[i]) if ann_times is not None else i / options.fps, 6),
                    "annotation_index": i,
                    "source_index": int(alignment.source_index[i]),
                    "source_time_s": round(float(info.frame_times[alignment.source_index[i]]), 6),
                }
                for i in keep
            ],
        }
        write_json(tmp / MAPPING_NAME, mapping)
    return mapping


def _sequence_or_none(video: str) -> str | None:
    try:
        return aist.sequence_name(video)
    except ValueError:  # any video can be extracted; only AIST++ names have a sequence
        return None


def load_mapping(frames_dir: str | Path) -> dict:
    """Read and check a frames directory's mapping: every listed file must exist."""
    frames_dir = Path(frames_dir)
    path = frames_dir / MAPPING_NAME if frames_dir.is_dir() else frames_dir
    mapping = read_json(path)
    required = ("video", "fps", "width", "height", "source_width", "source_height", "num_frames", "frames")
    if not isinstance(mapping, dict) or any(k not in mapping for k in required):
        have = ", ".join(map(str, mapping)) if isinstance(mapping, dict) else type(mapping).__name__
        raise RhythmInputError(path, f"not a frame mapping of rhythm frames (needs {', '.join(required)}; has {have})")
    missing = [f["file"] for f in mapping["frames"] if not (path.parent / f["file"]).is_file()]
    if missing:
        raise RhythmInputError(path, f"{len(missing)} listed frame(s) missing, first {missing[0]}")
    return mapping


def extract_for_video(
    video: str | Path,
    anno_dir: str | Path,
    out_dir: str | Path,
    options: FrameOptions = FrameOptions(),
    progress: bool = False,
) -> dict:
    """Extract an AIST++ video's frames aligned with its sequence's keypoints2d."""
    try:
        seq = aist.sequence_name(Path(video).stem)
    except ValueError:
        raise RhythmInputError(
            video,
            "not an AIST++ video name (like gBR_sBM_c01_d04_mBR0_ch01.mp4): --anno-dir "
            "finds the keypoints by that name; leave --anno-dir out to extract any "
            "video",
        ) from None
    kp = aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, seq))
    return extract_frames(
        video,
        out_dir,
        num_annotation_frames=kp.num_frames,
        timestamps_us=kp.timestamps,
        options=options,
        progress=progress,
    )
