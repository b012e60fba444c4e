"""QA overlays: stick figures drawn over the aligned frames, as PNG frames and an MP4 with the music.

Mode ``2d`` draws a view's keypoints2d; mode ``3d`` projects keypoints3d through that view's
camera (with its distortion), as the AIST++ API's 3D visualisation does. Disagreement between
the two is what a misaligned or unsynced view looks like. Mode ``smpl`` projects the 24 joints of a
motions pickle (the official one, or a fitted one: ``motions``) in the SMPL convention
(:func:`rhythm.core.skeleton.smpl_joints`), the AIST++ API's SMPL view without the licensed mesh; with
``smpl_model`` (and the optional ``smplx`` package) the mesh's vertices are drawn under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import FrameEncoder, h264_command
from rhythm.core.io import atomic_dir, atomic_path, read_npy
from rhythm.core.options import option
from rhythm.core.skeleton import COCO_LIMB_COLORS, COCO_LIMBS, SMPL_BONES, smpl_joints
from rhythm.video.frames import load_mapping

# SMPL bones coloured as the COCO limbs: left side warm, right side cool, the spine in between.
_SMPL_LEFT, _SMPL_RIGHT = {1, 4, 7, 10, 13, 16, 18, 20, 22}, {2, 5, 8, 11, 14, 17, 19, 21, 23}
SMPL_BONE_COLOURS = tuple(
    (0, 140, 255) if j in _SMPL_LEFT else (255, 160, 0) if j in _SMPL_RIGHT else (80, 220, 80) for _, j in SMPL_BONES
)


@dataclass(frozen=True)
class OverlayOptions:
    """``rhythm overlay`` and the config's ``overlays:`` section (:mod:`rhythm.core.options`)."""

    mode: str = option(
        "2d",
        "2d: the view's keypoints2d; 3d: keypoints3d projected through the view's camera; smpl: "
        "the 24 joints of a motions pickle through the camera (the AIST++ API's SMPL view)",
        choices=("2d", "3d", "smpl"),
    )
    min_confidence: float = option(0.1, "keypoints scoring below this are not drawn", minimum=0, maximum=1)
    limit: int = option(20, "PNG frames to write (0: all); overlay.mp4 has every frame", minimum=0)
    video: bool = option(True, "also write overlay.mp4 (every frame, with the source's audio)", config=False)
    annotation_size: tuple[int, int] | None = option(
        None,
        "(width, height) the keypoints were made for (None: the source video's); they are rescaled to the frames",
        cli=False,
        config=False,
    )
    motions: str | None = option(
        None,
        "smpl mode: a motions pickle (AIST++ format, e.g. rhythm fit-smpl's; default: "
        "the annotations' motions/<sequence>.pkl)",
        config=False,
    )
    smpl_model: str | None = option(
        None,
        "smpl mode: an SMPL model folder or file (needs the optional smplx package): draws the mesh too",
        config=False,
    )


OUTSIDE_WARNING = 0.05  # warn when more than this fraction of the drawn keypoints fall outside the frame


def outside_fraction(kp: np.ndarray, width: int, height: int, min_confidence: float) -> tuple[int, int]:
    """(keypoints that would be drawn, of them outside the width x height frame) over (..., 17, 3) keypoints."""
    conf = kp[..., 2] if kp.shape[-1] > 2 else np.ones(kp.shape[:-1])
    drawn = np.isfinite(kp[..., :2]).all(axis=-1) & (np.nan_to_num(conf, nan=-1.0) >= min_confidence)
    x, y = kp[..., 0], kp[..., 1]
    outside = drawn & ((x < 0) | (y < 0) | (x >= width) | (y >= height))
    return int(drawn.sum()), int(outside.sum())


# One colour (BGR) per tracked person, far apart in hue: a swap of identities shows as a colour change.
TRACK_COLOURS = (
    (0, 200, 255),
    (255, 128, 0),
    (60, 220, 60),
    (220, 60, 220),
    (40, 40, 255),
    (255, 230, 0),
    (160, 160, 255),
    (0, 140, 110),
    (210, 210, 210),
    (130, 40, 190),
)


def track_colour(index: int) -> tuple[int, int, int]:
    """The colour of tracked person ``index`` (the palette repeats after ten)."""
    return TRACK_COLOURS[index % len(TRACK_COLOURS)]


def draw_skeleton(
    img: np.ndarray,
    kp: np.ndarray,
    min_confidence: float = 0.1,
    colour: tuple[int, int, int] | None = None,
    limbs=COCO_LIMBS,
    limb_colours=COCO_LIMB_COLORS,
) -> np.ndarray:
    """Draw one person (J, 2 or 3) on ``img`` in place; returns ``img``. COCO-17 by default; the SMPL
    skeleton with ``limbs=SMPL_BONES, limb_colours=SMPL_BONE_COLOURS``.

    Limbs are coloured by body side, or all in ``colour`` when one is given (a tracked person).
    """
    import cv2

    conf = kp[:, 2] if kp.shape[1] > 2 else np.ones(len(kp))
    ok = np.isfinite(kp[:, :2]).all(axis=1) & (conf >= min_confidence)
    thickness = max(1, int(round(img.shape[1] / 320)))
    colours = limb_colours if colour is None else (tuple(colour),) * len(limbs)
    for (a, b), limb_colour in zip(limbs, colours):
        if ok[a] and ok[b]:
            cv2.line(
                img,
                tuple(np.round(kp[a, :2]).astype(int)),
                tuple(np.round(kp[b, :2]).astype(int)),
                limb_colour,
                thickness + 1,
                cv2.LINE_AA,
            )
    for i in np.flatnonzero(ok):
        cv2.circle(img, tuple(np.round(kp[i, :2]).astype(int)), thickness + 1, (255, 255, 255), -1, cv2.LINE_AA)
    return img


def draw_tracked_people(
    img: np.ndarray, people: np.ndarray, min_confidence: float = 0.1, labels: bool = True
) -> np.ndarray:
    """Draw one frame of tracked people (N, K, C) on ``img`` in place, person ``n`` in ``track_colour(n)``.

    ``people`` is a frame of :func:`rhythm.people.tracking.track_people`'s keypoints (in the image's
    pixels): the first 17 keypoints are COCO-17's body (as in COCO-WholeBody and the landmarks
    stage's selections), C = 2 is x, y and C >= 3 has the score last (x, y[, z], score). A person
    whose row is NaN (absent in this frame) is skipped. ``labels`` writes each person's index
    above their head, so that a still frame names its people too.
    """
    import cv2

    people = np.asarray(people, dtype=np.float64)
    if people.ndim != 3 or people.shape[1] < 17 or people.shape[2] < 2:
        raise ValueError(f"people must be (N, K>=17, C>=2), got {people.shape}")
    for n, kp in enumerate(people):
        conf = kp[:, -1] if kp.shape[1] > 2 else np.ones(len(kp))
        xyc = np.concatenate([kp[:, :2], conf[:, None]], axis=1)
        ok = np.isfinite(xyc[:, :2]).all(axis=1) & (np.nan_to_num(conf, nan=-1.0) >= min_confidence)
        if not ok.any():
            continue
        draw_skeleton(img, xyc, min_confidence, colour=track_colour(n))
        if labels:
            scale = max(0.5, img.shape[1] / 1280)
            top = xyc[ok][np.argmin(xyc[ok, 1])]
            org = (int(round(top[0])) - int(8 * scale), int(round(top[1])) - int(12 * scale))
            cv2.putText(
                img, str(n), org, cv2.FONT_HERSHEY_SIMPLEX, scale, track_colour(n), max(1, int(2 * scale)), cv2.LINE_AA
            )
    return img


def smpl_pixels(motions: str | Path, camera: aist.Camera) -> np.ndarray:
    """The 24 SMPL joints of a motions pickle (SMPL convention) in ``camera``'s pixels: (N, 24, 3), score 1."""
    motion = aist.load_motion(motions)
    pix = camera.project(smpl_joints(motion.poses, motion.trans, motion.scaling))
    return np.concatenate([pix, np.ones(pix.shape[:-1] + (1,))], axis=-1)


def overlay_keypoints(anno_dir: str | Path, video: str, mode: str, motions: str | Path | None = None) -> np.ndarray:
    """Keypoints in source pixels of ``video``'s view for the chosen mode: (N, 17, 3), or (N, 24, 3) for smpl."""
    name = aist.parse_name(video)
    if mode == "smpl":
        camera = aist.load_cameras(anno_dir, name.sequence)[name.camera]
        return smpl_pixels(motions or aist.motion_path(anno_dir, name.sequence), camera)
    if mode == "2d":
        return aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, name.sequence)).view(name.camera)
    if mode == "3d":
        kp3d = aist.load_keypoints3d(aist.keypoints3d_path(anno_dir, name.sequence))
        cam = aist.load_cameras(anno_dir, name.sequence)[name.camera]
        pix = cam.project(kp3d)
        return np.concatenate([pix, np.ones(pix.shape[:-1] + (1,))], axis=-1)
    raise ValueError(f"overlay mode must be '2d', '3d' or 'smpl', not {mode!r}")


def render_overlays(
    frames_dir: str | Path,
    anno_dir: str | Path,
    out_dir: str | Path,
    options: OverlayOptions = OverlayOptions(),
    audio_source: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Write ``out_dir/<index:06d>.png`` (first ``limit`` frames) and ``out_dir/overlay.mp4``."""
    import cv2

    mapping = load_mapping(frames_dir)
    frames_dir = Path(frames_dir)
    if frames_dir.is_file():  # the frame_mapping.json itself
        frames_dir = frames_dir.parent
    video = mapping["video"]
    kp = overlay_keypoints(anno_dir, video, options.mode, options.motions)
    limbs = (SMPL_BONES, SMPL_BONE_COLOURS) if options.mode == "smpl" else (COCO_LIMBS, COCO_LIMB_COLORS)
    mesh = None
    if options.mode == "smpl" and options.smpl_model:
        name = aist.parse_name(video)
        camera = aist.load_cameras(anno_dir, name.sequence)[name.camera]
        mesh = smpl_mesh_pixels(
            options.motions or aist.motion_path(anno_dir, name.sequence), camera, options.smpl_model
        )
    made_for = options.annotation_size or (mapping["source_width"], mapping["source_height"])
    scale = np.array([mapping["width"] / made_for[0], mapping["height"] / made_for[1], 1])
    used = [e["annotation_index"] for e in mapping["frames"] if e["annotation_index"] < len(kp)]
    drawn, outside = outside_fraction(kp[used] * scale, mapping["width"], mapping["height"], options.min_confidence)
    entries = mapping["frames"]
    n_png = len(entries) if options.limit == 0 else min(options.limit, len(entries))
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        encoder = _start_encoder(tmp / "overlay.mp4", mapping, audio_source) if options.video else None
        try:
            for k, entry in enumerate(tqdm(entries, desc=f"overlay {video}", disable=not progress)):
                if k >= n_png and encoder is None:
                    break
                img = cv2.imread(str(Path(frames_dir) / entry["file"]))
                if img is None:
                    raise RhythmInputError(Path(frames_dir) / entry["file"], "unreadable frame")
                a = entry["annotation_index"]
                if mesh is not None and a < len(mesh):
                    draw_points(img, mesh[a] * scale[:2])
                if a < len(kp):
                    draw_skeleton(img, kp[a] * scale, options.min_confidence, None, *limbs)
                if k < n_png:
                    cv2.imwrite(str(tmp / f"{entry['index']:06d}.png"), img)
                if encoder is not None:
                    encoder.write(img)
        finally:
            if encoder is not None:
                code, err = encoder.close()
                if code != 0:
                    raise RhythmInputError(out_dir / "overlay.mp4", f"ffmpeg failed: {err[-300:]}")
    return {
        "video": video,
        "pngs": n_png,
        "frames": len(entries),
        "video_written": options.video,
        "keypoints_drawn": drawn,
        "keypoints_outside": outside,
        "outside_fraction": round(outside / drawn, 4) if drawn else 0.0,
    }


def _start_encoder(out: Path, mapping: dict, audio_source, audio_offset_s: float = 0.0) -> FrameEncoder:
    fps = mapping["fps"] / mapping.get("stride", 1)
    size = (mapping["width"], mapping["height"])
    cmd = h264_command(
        out, size, fps, crf=23, audio=audio_source, audio_start_s=audio_offset_s, audio_optional=True, shortest=True
    )
    return FrameEncoder(cmd)


def render_landmark_overlay(
    video: str | Path, landmarks: str | Path, out: str | Path, min_confidence: float = 0.1
) -> dict:
    """An MP4 of ``video``'s sampled frames with its landmarks drawn, each tracked person in one colour.

    ``landmarks`` is a landmarks stage output (``(T, K, C)`` or ``(T, N, K, C)``, normalised) with its
    ``.json`` report beside it, which names the source frames; the first 17 keypoints must be the
    COCO body (true of the stage's selections ``dance85``, ``wholebody133`` and ``body17``).
    """

    from rhythm.core.ffmpeg import probe_video, read_raw_frames
    from rhythm.core.io import read_json

    landmarks = Path(landmarks)
    rows = read_npy(landmarks, "landmarks")
    report = read_json(landmarks.with_suffix(".json"))
    if report.get("status") != "ok" or len(rows) == 0:
        raise RhythmInputError(landmarks, f"no landmarks to draw ({report.get('reason', 'empty')})")
    people = rows if rows.ndim == 4 else rows[:, None]
    info = probe_video(video)
    scale = np.array([info.width, info.height])
    out = Path(out)
    with atomic_path(out) as tmp:
        mapping = {"fps": report["fps"], "width": info.width, "height": info.height}
        start = report["frame_times_s"][0] if report.get("frame_times_s") else 0.0
        encoder = _start_encoder(tmp, mapping, video if info.has_audio else None, start)
        try:
            for k, (_, buf) in enumerate(read_raw_frames(video, report["source_frames"], (info.width, info.height))):
                img = np.frombuffer(buf, np.uint8).reshape(info.height, info.width, 3).copy()
                frame = people[k].astype(np.float64).copy()
                frame[..., :2] *= scale
                kp = np.concatenate([frame[..., :2], frame[..., -1:]], axis=-1)  # x, y (px), score
                draw_tracked_people(img, kp, min_confidence)
                encoder.write(img)
        finally:
            code, err = encoder.close()
            if code != 0:
                raise RhythmInputError(out, f"ffmpeg failed: {err[-300:]}")
    return {"video": Path(video).stem, "frames": len(people), "people": people.shape[1]}


def smpl_mesh_pixels(
    motions: str | Path, camera: aist.Camera, model_path: str | Path, gender: str = "neutral"
) -> np.ndarray:
    """The SMPL mesh's vertices (N, V, 2) in ``camera``'s pixels, posed by a motions pickle with a licensed
    SMPL model (the optional ``smplx`` package), in the SMPL convention as the AIST++ API poses it."""
    from rhythm.core.errors import RhythmInputError

    path = Path(model_path)
    if not path.exists():
        raise RhythmInputError(path, "SMPL model not found")
    try:
        import smplx
        import torch
    except ImportError:
        raise RhythmInputError(
            path,
            "drawing the SMPL mesh needs the optional smplx package (pip install smplx); "
            "without --smpl-model the joints are drawn",
        ) from None
    motion = aist.load_motion(motions)
    model = smplx.create(str(path), model_type="smpl", gender=gender, batch_size=len(motion.poses))
    poses = torch.as_tensor(motion.poses, dtype=torch.float32)
    with torch.no_grad():
        out = model(
            global_orient=poses[:, :3],
            body_pose=poses[:, 3:],
            transl=torch.as_tensor(motion.trans / motion.scaling, dtype=torch.float32),
        )
    vertices = out.vertices.numpy().astype(np.float64) * motion.scaling
    return camera.project(vertices)


def draw_points(img: np.ndarray, points: np.ndarray, colour: tuple[int, int, int] = (200, 200, 200)) -> np.ndarray:
    """Mesh vertices (V, 2) as single light pixels (a point cloud of the body under its skeleton)."""
    pts = np.round(points[np.isfinite(points).all(axis=1)]).astype(int)
    h, w = img.shape[:2]
    pts = pts[(pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)]
    img[pts[:, 1], pts[:, 0]] = colour
    return img
