"""Skeleton renders: a dancer seen from a camera over a floor grid, encoded as H.264 with the music.

One renderer for every 3D dancer Rhythm draws: the demo dataset's videos (COCO-17 keypoints
through the demo cameras) and the dance model's generated motion (the 24 SMPL joints, or COCO-17
for the keypoints3d representation, from a fixed front camera). Points are in the AIST++
convention: centimetres, y up; cameras are :class:`rhythm.core.aist.Camera`. Frames are produced one at
a time and piped to ffmpeg, so a long song never holds its whole video in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import FrameEncoder, h264_command
from rhythm.core.io import atomic_path
from rhythm.core.skeleton import COCO_LIMB_COLORS, COCO_LIMBS, SMPL_BONES

_LEFT, _RIGHT, _MID = (0, 140, 255), (255, 160, 0), (80, 220, 80)  # BGR: left warm, right cool
_SMPL_LEFT = {1, 4, 7, 10, 13, 16, 18, 20, 22}
_SMPL_RIGHT = {2, 5, 8, 11, 14, 17, 19, 21, 23}


@dataclass(frozen=True)
class SkeletonStyle:
    """How to draw one skeleton: limbs with colours, a filled torso polygon and a head."""

    num_joints: int
    limbs: tuple[tuple[int, int], ...]
    colors: tuple[tuple[int, int, int], ...]
    torso: tuple[int, ...]  # polygon: left shoulder, right shoulder, right hip, left hip
    head: tuple[int, ...]  # the head circle sits at the mean of these points


COCO_STYLE = SkeletonStyle(17, COCO_LIMBS, COCO_LIMB_COLORS, (5, 6, 12, 11), (0, 1, 2, 3, 4))
SMPL_STYLE = SkeletonStyle(
    24,
    tuple((a, b) for a, b in SMPL_BONES if b not in (22, 23)),  # hands: too short to see
    tuple(
        _LEFT if b in _SMPL_LEFT else _RIGHT if b in _SMPL_RIGHT else _MID for a, b in SMPL_BONES if b not in (22, 23)
    ),
    (16, 17, 2, 1),
    (15,),
)


def style_for(points: np.ndarray) -> SkeletonStyle:
    """The style for (T, 17, 3) COCO keypoints or (T, 24, 3) SMPL joints."""
    joints = points.shape[-2]
    if joints == 17:
        return COCO_STYLE
    if joints == 24:
        return SMPL_STYLE
    raise ValueError(f"cannot draw a skeleton of {joints} joints (17 COCO or 24 SMPL)")


def look_at_camera(
    name: str,
    centre: np.ndarray,
    target: np.ndarray,
    focal: float,
    width: int,
    height: int,
    distortions: np.ndarray | None = None,
) -> aist.Camera:
    """A pinhole camera at ``centre`` (cm, y up) looking at ``target``, image x to the right."""
    import cv2

    centre = np.asarray(centre, dtype=np.float64)
    forward = np.asarray(target, dtype=np.float64) - centre
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])
    rvec, _ = cv2.Rodrigues(rot)
    return aist.Camera(
        name=name,
        size=(width, height),
        matrix=np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1.0]]),
        rotation=rvec.reshape(3),
        translation=-rot @ centre,
        distortions=np.zeros(5) if distortions is None else np.asarray(distortions, dtype=np.float64),
    )


def front_camera(
    width: int = 640, height: int = 360, distance_cm: float = 420.0, elevation_cm: float = 140.0
) -> aist.Camera:
    """The fixed camera generated dances are shown from: 4.2 m in front of the origin, a little above
    hip height, the real c01's field of view (3 m across at the dancer: room to travel a metre)."""
    focal = 1310.0 * width / 1920.0
    return look_at_camera(
        "front", np.array([0.0, elevation_cm, distance_cm]), np.array([0.0, 90.0, 0.0]), focal, width, height
    )


def floor_lines(cam: aist.Camera, extent_cm: float = 300.0, step_cm: float = 50.0) -> list[np.ndarray]:
    """Pixel polylines of a floor grid (y = 0) seen from ``cam``."""
    lines = []
    xs = np.linspace(-extent_cm, extent_cm, 25)
    for v in np.arange(-extent_cm, extent_cm + 1, step_cm):
        lines.append(cam.project(np.stack([xs, np.zeros_like(xs), np.full_like(xs, v)], 1)))
        lines.append(cam.project(np.stack([np.full_like(xs, v), np.zeros_like(xs), xs], 1)))
    return lines


def background(cam: aist.Camera) -> np.ndarray:
    """(H, W, 3) uint8 BGR: a vertical grey gradient with the floor grid."""
    import cv2

    w, h = cam.size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = np.linspace(70, 25, h, dtype=np.uint8)[:, None, None]
    for line in floor_lines(cam):
        pts = line[np.isfinite(line).all(1)].round().astype(np.int32)
        cv2.polylines(img, [pts], False, (90, 90, 90), 1, cv2.LINE_AA)
    return img


def draw_dancer(img: np.ndarray, pts: np.ndarray, style: SkeletonStyle, thickness: int) -> np.ndarray:
    """Draw one dancer (J, 2 pixels) on ``img`` in place: torso, limbs, head."""
    import cv2

    if not np.isfinite(pts).all():
        return img
    torso = pts[list(style.torso)].round().astype(np.int32)
    cv2.fillConvexPoly(img, torso, (150, 150, 200), cv2.LINE_AA)
    for (a, b), colour in zip(style.limbs, style.colors):
        pa, pb = pts[a].round().astype(int), pts[b].round().astype(int)
        cv2.line(img, tuple(pa), tuple(pb), colour, thickness, cv2.LINE_AA)
    head = pts[list(style.head)].mean(0).round().astype(int)
    cv2.circle(img, tuple(head), int(thickness * 2.2), (200, 220, 240), -1, cv2.LINE_AA)
    return img


def iter_frames(cam: aist.Camera, points3d: np.ndarray, style: SkeletonStyle | None = None) -> Iterator[np.ndarray]:
    """BGR frames (H, W, 3) uint8, one per pose of ``points3d`` (T, J, 3), in cm, y up."""
    style = style or style_for(points3d)
    bg = background(cam)
    thickness = max(2, int(round(cam.size[0] / 100)))
    for pts in cam.project(np.asarray(points3d, dtype=np.float64)):
        yield draw_dancer(bg.copy(), pts, style, thickness)


def render_view(cam: aist.Camera, keypoints3d: np.ndarray) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 BGR of the dancer seen from ``cam``: floor grid, limbs, head."""
    w, h = cam.size
    frames = np.empty((len(keypoints3d), h, w, 3), np.uint8)
    for i, img in enumerate(iter_frames(cam, keypoints3d)):
        frames[i] = img
    return frames


def encode_video(
    frames: np.ndarray | Iterable[np.ndarray],
    audio: str | Path | None,
    out: str | Path,
    fps: float = aist.FPS,
    num_frames: int | None = None,
    size: tuple[int, int] | None = None,
    ffmpeg: str | None = None,
) -> None:
    """H.264 MP4 (yuv420p) from BGR frames, with ``audio`` (any file ffmpeg reads) muxed as AAC and cut
    to the video's duration; written atomically. Frames may be an array (T, H, W, 3) or an iterable,
    which then needs ``num_frames`` and ``size`` (width, height). ``ffmpeg``: the binary (default:
    :func:`rhythm.core.ffmpeg.ffmpeg_exe`)."""
    out = Path(out)
    if isinstance(frames, np.ndarray):
        num_frames, (h, w) = len(frames), frames.shape[1:3]
    else:
        if num_frames is None or size is None:
            raise ValueError("encode_video: an iterable of frames needs num_frames and size")
        w, h = size
    with atomic_path(out) as tmp:
        cmd = h264_command(
            tmp,
            (w, h),
            fps,
            crf=20,
            faststart=True,
            audio=audio,
            audio_duration_s=None if audio is None else num_frames / fps,
            audio_bitrate="128k",
            ffmpeg=ffmpeg,
        )
        encoder = FrameEncoder(cmd)
        written = 0
        try:
            for frame in frames:
                if written == num_frames:
                    break
                encoder.write(frame)
                written += 1
        except BrokenPipeError:
            pass
        finally:
            code, err = encoder.close()
        if code != 0:
            raise RhythmInputError(out, "ffmpeg could not encode the video: " + err[-400:])
        if written != num_frames:
            raise RhythmInputError(out, f"expected {num_frames} frames, got {written}")


def render_dance(
    points_m: np.ndarray,
    audio: str | Path | None,
    out: str | Path,
    fps: float = aist.FPS,
    width: int = 640,
    height: int = 360,
    progress: bool = False,
) -> dict:
    """MP4 of a dance (T, 24 or 17, 3) in metres, y up, from :func:`front_camera`, with the music."""
    from tqdm import tqdm

    points_cm = np.asarray(points_m, dtype=np.float64) * 100.0
    cam = front_camera(width, height)
    frames = tqdm(
        iter_frames(cam, points_cm), total=len(points_cm), desc="render", disable=not progress, mininterval=2.0
    )
    encode_video(frames, audio, out, fps, num_frames=len(points_cm), size=(width, height))
    return {"video": str(out), "frames": len(points_cm), "fps": fps, "width": width, "height": height}
