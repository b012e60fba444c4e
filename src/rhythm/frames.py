"""Frames aligned with the 60 fps annotations, in one ffmpeg process per video.

Frame ``i`` on disk is annotation frame ``i``: the video is decoded at exactly 60 fps (rounding
down, as the AIST++ API decodes), its frame count is checked against the keypoints, and
``frame_mapping.json`` records which file holds which annotation frame and when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rhythm import aist
from rhythm.errors import RhythmInputError
from rhythm.ffmpeg import probe_video, run_ffmpeg
from rhythm.io import atomic_dir, read_json, write_json

MAPPING_NAME = "frame_mapping.json"


@dataclass(frozen=True)
class FrameOptions:
    fps: float = aist.FPS
    qscale: int = 2  # ffmpeg's JPEG quality scale: 2 (best) .. 31
    stride: int = 1  # keep every stride-th annotation frame
    max_mismatch: int = 0  # frames the video may differ from the annotations before it is an error
    width: int | None = None  # resize (keeps aspect when only one is given)
    height: int | None = None


def expected_frames(num_source_frames: int, source_fps: float, fps: float) -> int:
    """Frames the video stream yields when decoded at ``fps`` (rounding down).

    The stream's duration is its frame count over its rate; the container's duration can be
    longer (an audio track that runs on) and must not be used.
    """
    if abs(source_fps - fps) < 1e-3 or source_fps <= 0:
        return num_source_frames
    return int(math.floor(num_source_frames / source_fps * fps + 1e-6))


def extract_frames(
    video: str | Path,
    out_dir: str | Path,
    *,
    num_annotation_frames: int | None = None,
    timestamps_us=None,
    options: FrameOptions = FrameOptions(),
) -> dict:
    """Write ``out_dir/<index:06d>.jpg`` and ``out_dir/frame_mapping.json``; return the mapping.

    ``num_annotation_frames`` (from the keypoints) is what the frame count is checked against; a
    difference of more than ``options.max_mismatch`` frames is an error that leaves nothing behind.
    """
    video = Path(video)
    info = probe_video(video)
    available = expected_frames(info.num_frames, info.fps, options.fps)
    if available == 0:
        raise RhythmInputError(video, "the video has no decodable frames")
    notes = []
    if num_annotation_frames is None:
        count = available
    else:
        diff = available - num_annotation_frames
        if abs(diff) > options.max_mismatch:
            raise RhythmInputError(
                video,
                f"has {available} frames at {options.fps:g} fps but its keypoints have "
                f"{num_annotation_frames} frames (difference {diff:+d}, allowed {options.max_mismatch})",
            )
        count = min(available, num_annotation_frames)
        if diff:
            notes.append(f"video has {available} frames, annotations {num_annotation_frames}; kept {count}")
    if abs(info.fps - options.fps) >= 1e-3:
        notes.append(f"source is {info.fps:g} fps; resampled to {options.fps:g} fps rounding down")

    filters = [f"fps={options.fps:g}:round=down"]
    if options.width or options.height:
        filters.append(f"scale={options.width or -2}:{options.height or -2}")
    keep = list(range(0, count, options.stride))
    if options.stride > 1:
        filters.append(f"select='not(mod(n\\,{options.stride}))'")
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        run_ffmpeg(
            ["-i", str(video), "-map", "0:v:0", "-vf", ",".join(filters), "-fps_mode", "passthrough",
             "-frames:v", str(len(keep)), "-q:v", str(options.qscale), "-start_number", "0",
             str(tmp / "%06d.jpg")],
            source=video,
        )
        written = sorted(tmp.glob("*.jpg"))
        if len(written) != len(keep):
            raise RhythmInputError(video, f"ffmpeg wrote {len(written)} frames, expected {len(keep)} "
                                   "(the video may be truncated)")
        if options.stride > 1:  # ffmpeg numbers outputs 0, 1, 2...; name them by annotation index
            for pos in range(len(keep) - 1, -1, -1):
                written[pos].rename(tmp / f"{keep[pos]:06d}.jpg")
        width, height = _frame_size(tmp / f"{keep[0]:06d}.jpg")
        mapping = {
            "video": video.stem,
            "sequence": _sequence_or_none(video.stem),
            "fps": options.fps,
            "source_fps": info.fps,
            "source_frames": info.num_frames,
            "width": width,
            "height": height,
            "source_width": info.width,
            "source_height": info.height,
            "num_frames": len(keep),
            "annotation_frames": num_annotation_frames,
            "stride": options.stride,
            "notes": notes,
            "frames": [
                {
                    "index": i,
                    "file": f"{i:06d}.jpg",
                    "timestamp_s": (float(timestamps_us[i]) / 1e6 if timestamps_us is not None else i / options.fps),
                    "annotation_index": i,
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


def _frame_size(path: Path) -> tuple[int, int]:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise RhythmInputError(path, "ffmpeg wrote an unreadable JPEG")
    return img.shape[1], img.shape[0]


def load_mapping(frames_dir: str | Path) -> dict:
    """Read and check a frames directory's mapping: every listed file must exist."""
    frames_dir = Path(frames_dir)
    path = frames_dir / MAPPING_NAME if frames_dir.is_dir() else frames_dir
    mapping = read_json(path)
    missing = [f["file"] for f in mapping["frames"] if not (path.parent / f["file"]).is_file()]
    if missing:
        raise RhythmInputError(path, f"{len(missing)} listed frame(s) missing, first {missing[0]}")
    return mapping


def extract_for_video(video: str | Path, anno_dir: str | Path, out_dir: str | Path,
                      options: FrameOptions = FrameOptions()) -> dict:
    """Extract a video's frames aligned with its sequence's keypoints2d."""
    seq = aist.sequence_name(Path(video).stem)
    kp = aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, seq))
    return extract_frames(video, out_dir, num_annotation_frames=kp.num_frames,
                          timestamps_us=kp.timestamps, options=options)
