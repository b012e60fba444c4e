"""A miniature AIST++ dataset, generated deterministically, in the real formats and layout.

A procedural dancer, defined by joint rotations on the SMPL skeleton, moves on the beat of a
synthesised song whose tempo is the one its AIST music id implies. From that one motion come the
``motions`` pickle, the ``keypoints3d`` pickle (COCO-17, centimetres), ``keypoints2d`` for all nine
cameras (projected with lens distortion), and H.264 videos from the rendered cameras with the song
muxed in. Everything agrees with everything else, so every stage of the pipeline can be checked.

    rhythm demo-data results/demo/source
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rhythm.core import aist
from rhythm.core.ffmpeg import bundled_ffmpeg_exe
from rhythm.core.io import atomic_path, write_json, write_pickle, write_text
from rhythm.core.options import option
from rhythm.core.skeleton import forward_kinematics, smpl_joints, smpl_to_coco17, smpl_translation
from rhythm.video.render import encode_video, look_at_camera, render_view

SAMPLE_RATE = 44100
MUSIC_OFFSET_S = 0.25  # first beat of every demo song
SCALING = 100.0  # smpl_scaling: metres -> centimetres, as AIST++ keypoints3d are in cm
# The demo's videos are encoded by the imageio-ffmpeg wheel's ffmpeg whatever is on PATH: a lossy
# encode differs between ffmpeg builds, and the demo must be the same bytes on every machine.
DEMO_FFMPEG = bundled_ffmpeg_exe()

# Two genres x two songs x two sequences; dancers d01/d02 dance song 0, d03/d04 song 1.
DEMO_SEQUENCES = (
    "gBR_sBM_cAll_d01_mBR0_ch01",
    "gBR_sBM_cAll_d02_mBR0_ch02",
    "gBR_sBM_cAll_d03_mBR3_ch01",
    "gBR_sBM_cAll_d04_mBR3_ch02",
    "gPO_sBM_cAll_d01_mPO1_ch01",
    "gPO_sBM_cAll_d02_mPO1_ch02",
    "gPO_sBM_cAll_d03_mPO4_ch01",
    "gPO_sBM_cAll_d04_mPO4_ch02",
)
# pose splits are by dancer, crossmodal splits by music, as in AIST++.
DEMO_SPLITS = {
    "pose_train": ("d01", "d02"),
    "pose_val": ("d03",),
    "pose_test": ("d04",),
    "crossmodal_train": ("mBR0", "mPO1"),
    "crossmodal_val": ("mBR3",),
    "crossmodal_test": ("mPO4",),
}
DEMO_IGNORED = ("gPO_sBM_cAll_d02_mPO1_ch02",)
# With DemoRecipe.advanced_s > 0: an advanced (sFM) dance of mBR0, longer than the basic ones, as in
# AIST++ where one music id serves ~10 s basic and 30-60 s advanced dances.
DEMO_ADVANCED = "gBR_sFM_cAll_d01_mBR0_ch03"


@dataclass(frozen=True)
class DemoRecipe:
    """``rhythm demo-data`` and the config's ``demo:`` section (:mod:`rhythm.core.options`)."""

    seed: int = option(7, "random seed of the dancers and the noise")
    duration_s: float = option(5.0, "seconds of each basic (sBM) sequence", minimum=1, maximum=60, flag="duration")
    width: int = option(320, "video width in pixels", minimum=64, maximum=1920)
    height: int = option(180, "video height in pixels", minimum=64, maximum=1080)
    cameras: tuple[str, ...] = option(
        ("c01", "c02", "c03"), "cameras rendered as videos (all nine have keypoints2d)", choices=aist.CAMERAS
    )
    base_sequences: tuple[str, ...] = option(DEMO_SEQUENCES, "the basic sequences", cli=False, config=False)
    advanced_s: float = option(
        0.0,
        f"> 0: also {DEMO_ADVANCED}, an advanced (sFM) dance of mBR0 this many seconds "
        "long, longer than the basic ones (as AIST++'s music ids serve both)",
        minimum=0,
        maximum=120,
        flag="advanced",
    )

    @property
    def sequences(self) -> tuple[str, ...]:
        return self.base_sequences + ((DEMO_ADVANCED,) if self.advanced_s > 0 else ())

    @property
    def num_frames(self) -> int:
        """Frames of a basic sequence."""
        return int(round(self.duration_s * aist.FPS))

    def frames_of(self, sequence: str) -> int:
        if sequence == DEMO_ADVANCED:
            return int(round(self.advanced_s * aist.FPS))
        return self.num_frames

    @property
    def longest_s(self) -> float:
        return max(self.duration_s, self.advanced_s)

    def videos(self) -> list[str]:
        return [v for seq in self.sequences for v in aist.video_names(seq, self.cameras)]

    def music(self) -> list[str]:
        return sorted({aist.parse_name(s).music for s in self.sequences})


def split_members(split: str, sequences=DEMO_SEQUENCES) -> list[str]:
    keys = DEMO_SPLITS[split]
    out = []
    for seq in sequences:
        name = aist.parse_name(seq)
        if name.dancer in keys or name.music in keys:
            out.append(seq)
    return out


# ----------------------------------------------------------------------------- cameras


def demo_cameras(width: int, height: int) -> list[aist.Camera]:
    """Nine cameras on a ring 4.5 m from the dancer, 1.5 m high, in the AIST++ conventions (cm, y-up)."""
    angles = np.deg2rad([0, 35, -35, 70, -70, 110, -110, 150, -150])
    focal = 1310.0 * width / 1920.0  # the real c01's field of view
    target = np.array([0.0, 100.0, 0.0])
    return [
        look_at_camera(
            aist.CAMERAS[i],
            np.array([450.0 * np.sin(ang), 150.0, 450.0 * np.cos(ang)]),
            target,
            focal,
            width,
            height,
            distortions=np.array([-0.1, 0.01, 0.0, 0.0, 0.0]),
        )
        for i, ang in enumerate(angles)
    ]


# ----------------------------------------------------------------------------- motion

# Per-genre style: how deep the bounce, how wide the arms, how sharp the moves.
_STYLES = {
    "gBR": dict(squat=0.45, arm_swing=1.1, sharpness=0.0, yaw=0.5, lean=0.25),
    "gPO": dict(squat=0.25, arm_swing=0.8, sharpness=1.0, yaw=0.25, lean=0.1),
}
_DEFAULT_STYLE = dict(squat=0.3, arm_swing=0.9, sharpness=0.5, yaw=0.3, lean=0.15)


def _hits(phase: np.ndarray, rng: np.random.Generator, n_poses: int, sharp: float) -> np.ndarray:
    """A value that holds a random pose on every beat and moves to the next between beats.

    The move is centred on the half-beat and takes the whole beat (smooth, 0) or 15 % of it
    (popping, 1); either way the value is still on the beat, as a dancer hitting a pose is.
    """
    targets = rng.uniform(-1, 1, size=(int(phase.max()) + 3, n_poses))
    k = np.floor(phase).astype(int)
    frac = phase - k
    width = 1.0 - 0.85 * sharp  # fraction of a beat the transition takes
    s = np.clip((frac - (1 - width) / 2) / width, 0, 1)
    s = s * s * (3 - 2 * s)
    return targets[k] * (1 - s[:, None]) + targets[k + 1] * s[:, None]


def dance_motion(sequence: str, num_frames: int, seed: int) -> aist.Motion:
    """SMPL rotations and root translation (cm) of the procedural dancer for one sequence."""
    name = aist.parse_name(sequence)
    style = _STYLES.get(name.genre, _DEFAULT_STYLE)
    rng = np.random.default_rng([seed, zlib.crc32(sequence.encode())])
    t = np.arange(num_frames) / aist.FPS
    phase = np.maximum(t - MUSIC_OFFSET_S, 0) * name.bpm / 60.0  # beats since the first beat
    down = (1 + np.cos(2 * np.pi * phase)) / 2  # 1 on every beat: the dancer is lowest there
    hits = _hits(phase, rng, 6, style["sharpness"])
    amp = rng.uniform(0.85, 1.15)

    rot = np.zeros((num_frames, 24, 3))
    squat = style["squat"] * amp * down
    for hip, knee, ankle in ((1, 4, 7), (2, 5, 8)):
        rot[:, hip, 0] = -squat
        rot[:, knee, 0] = 2 * squat
        rot[:, ankle, 0] = -squat
    rot[:, 0, 1] = style["yaw"] * np.sin(2 * np.pi * phase / 8 + rng.uniform(0, 2 * np.pi))
    rot[:, 3, 0] = style["lean"] * down  # lean into the beat
    rot[:, 6, 2] = 0.15 * np.cos(np.pi * phase)  # side bend, at its widest on the beat
    rot[:, 15, 0] = 0.25 * down  # head nod
    swing = style["arm_swing"] * amp
    # Every limb is still on the beat (its speed is lowest there, as a dancer's is: Bailando's
    # beat alignment looks for exactly that) and moves fastest between beats.
    left = np.cos(np.pi * phase) if style["sharpness"] < 0.5 else hits[:, 0]
    right = -np.cos(np.pi * phase) if style["sharpness"] < 0.5 else hits[:, 1]
    rot[:, 16, 2] = -1.2 + swing * (0.5 + 0.5 * left)  # arms from down towards up
    rot[:, 17, 2] = 1.2 - swing * (0.5 + 0.5 * right)
    rot[:, 16, 1] = -0.5 * hits[:, 2]
    rot[:, 17, 1] = 0.5 * hits[:, 3]
    rot[:, 18, 1] = -0.6 - 0.6 * (0.5 + 0.5 * hits[:, 4])  # elbows bent forwards
    rot[:, 19, 1] = 0.6 + 0.6 * (0.5 + 0.5 * hits[:, 5])

    # Root: sway over two beats, at its widest on the beat; height set so the lower ankle stays 8 cm
    # above the floor.
    trans_m = np.zeros((num_frames, 3))
    trans_m[:, 0] = 0.06 * np.cos(np.pi * phase)
    trans_m[:, 2] = 0.04 * np.sin(2 * np.pi * phase / 4)
    joints = forward_kinematics(rot.reshape(num_frames, 72), trans_m)
    trans_m[:, 1] = 0.08 - joints[:, [7, 8], 1].min(axis=1)
    # trans_m is where the pelvis is; smpl_trans puts it there in the SMPL convention (pelvis - J0)
    return aist.Motion(rot.reshape(num_frames, 72), smpl_translation(trans_m) * SCALING, SCALING, 0.0)


def motion_keypoints3d(motion: aist.Motion) -> tuple[np.ndarray, np.ndarray]:
    """SMPL joints (T, 24, 3) and COCO-17 keypoints (T, 17, 3), both in centimetres."""
    joints, rots = smpl_joints(motion.poses, motion.trans / motion.scaling, return_rotations=True)
    coco = smpl_to_coco17(joints, rots)
    return joints * motion.scaling, coco * motion.scaling


# ----------------------------------------------------------------------------- music


def synth_song(music: str, duration_s: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A drum-and-bass loop at the tempo of ``music``: kick on every beat, snare on 2 and 4."""
    bpm = aist.music_bpm(music)
    rng = np.random.default_rng(zlib.crc32(music.encode()))
    n = int(round(duration_s * sample_rate))
    out = np.zeros(n)
    beat = 60.0 / bpm

    def add(sound: np.ndarray, at_s: float) -> None:
        i = int(round(at_s * sample_rate))
        if i < n:
            m = min(len(sound), n - i)
            out[i : i + m] += sound[:m]

    tk = np.arange(int(0.25 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (45 * tk + 90 * (1 - np.exp(-tk * 30)) / 30)) * np.exp(-tk * 14)
    ts = np.arange(int(0.15 * sample_rate)) / sample_rate
    snare = rng.standard_normal(len(ts)) * np.exp(-ts * 25) * 0.5
    th = np.arange(int(0.05 * sample_rate)) / sample_rate
    hat = np.diff(rng.standard_normal(len(th) + 1)) * np.exp(-th * 80) * 0.12
    roots = rng.choice([41.2, 43.65, 49.0, 55.0], size=4)  # a bass line, one note a bar
    k = 0
    while MUSIC_OFFSET_S + k * beat < duration_s:
        at = MUSIC_OFFSET_S + k * beat
        add(kick, at)
        if k % 2 == 1:
            add(snare, at)
        add(hat, at + beat / 2)
        tb = np.arange(int(beat * 0.9 * sample_rate)) / sample_rate
        f = roots[(k // 4) % 4] * 2
        add(0.18 * np.sign(np.sin(2 * np.pi * f * tb)) * np.exp(-tb * 3), at)
        k += 1
    return (0.7 * out / np.abs(out).max()).astype(np.float32)


# ----------------------------------------------------------------------------- rendering
# The renderer lives in rhythm.video.render (the dance model draws its dancer with it too); the demo's
# videos are its COCO-17 render through each demo camera.


# ----------------------------------------------------------------------------- the dataset


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    import soundfile as sf

    with atomic_path(path) as tmp:
        sf.write(tmp, samples, sample_rate, subtype="PCM_16")


def generate(
    out_dir: str | Path,
    recipe: DemoRecipe = DemoRecipe(),
    progress: bool = True,
    anno_dir: str | Path | None = None,
    video_dir: str | Path | None = None,
) -> dict:
    """Write the demo AIST++ tree: ``<out>/annotations/...``, ``<out>/videos/*.mp4``, ``<out>/music/*.wav``.

    ``anno_dir`` and ``video_dir`` put annotations and videos elsewhere than under ``out_dir``.
    """
    out = Path(out_dir)
    anno = Path(anno_dir) if anno_dir else out / "annotations"
    videos = Path(video_dir) if video_dir else out / "videos"
    music_dir = out / "music"
    cams = demo_cameras(recipe.width, recipe.height)
    write_json(anno / "cameras" / "setting1.json", [c.to_json() for c in cams])
    write_text(anno / "cameras" / "mapping.txt", "".join(f"{s} setting1\n" for s in recipe.sequences))
    for split in DEMO_SPLITS:
        write_text(anno / "splits" / f"{split}.txt", "".join(f"{s}\n" for s in split_members(split, recipe.sequences)))
    write_text(anno / "ignore_list.txt", "".join(f"{s}\n" for s in DEMO_IGNORED))

    for music in recipe.music():
        write_wav(music_dir / f"{music}.wav", synth_song(music, recipe.longest_s + 1.0), SAMPLE_RATE)

    rendered = {c.name: c for c in cams if c.name in recipe.cameras}
    for seq in tqdm(recipe.sequences, desc="demo sequences", disable=not progress):
        rng = np.random.default_rng([recipe.seed, zlib.crc32(seq.encode()), 1])
        n = recipe.frames_of(seq)
        motion = dance_motion(seq, n, recipe.seed)
        _, coco = motion_keypoints3d(motion)
        write_pickle(
            aist.motion_path(anno, seq),
            {
                "smpl_poses": motion.poses.astype(np.float32),
                "smpl_trans": motion.trans.astype(np.float32),
                "smpl_scaling": np.array([motion.scaling], np.float32),
                "smpl_loss": float(motion.loss or 0.0),
            },
        )
        write_pickle(
            aist.keypoints3d_path(anno, seq),
            {
                "keypoints3d": coco + rng.normal(0, 0.3, coco.shape),  # triangulation noise
                "keypoints3d_optim": coco.copy(),
            },
        )
        kp2d = np.empty((9, n, 17, 3), np.float32)
        for v, cam in enumerate(cams):
            kp2d[v, :, :, :2] = np.round(cam.project(coco) + rng.normal(0, 0.7, (n, 17, 2)))
            kp2d[v, :, :, 2] = rng.uniform(0.55, 0.98, (n, 17))
        write_pickle(
            aist.keypoints2d_path(anno, seq),
            {
                "keypoints2d": kp2d,
                "det_scores": rng.uniform(0.6, 0.8, (9, n)).astype(np.float32),
                "timestamps": np.round(np.arange(n) * 1e6 / aist.FPS).astype(np.int64),
            },
        )
        song = music_dir / f"{aist.parse_name(seq).music}.wav"
        for video in aist.video_names(seq, recipe.cameras):
            cam = rendered[aist.parse_name(video).camera]
            encode_video(render_view(cam, coco), song, videos / f"{video}.mp4", ffmpeg=DEMO_FFMPEG)
    summary = {
        "sequences": list(recipe.sequences),
        "videos": recipe.videos(),
        "music": recipe.music(),
        "num_frames": recipe.num_frames,
        "frames": {s: recipe.frames_of(s) for s in recipe.sequences},
        "seed": recipe.seed,
    }
    write_json(out / "demo.json", summary)
    return summary


# ----------------------------------------------------------------------------- a duet


@dataclass(frozen=True)
class Duet:
    """Two demo dancers dancing at known places on the floor (for tracking and grounding checks)."""

    keypoints3d: np.ndarray  # (T, 2, 17, 3) COCO-17, cm, y up, the floor at y = 0
    offsets: np.ndarray  # (2, 3) where each dancer stands (cm), added to their own motion
    cameras: list  # the nine demo cameras (aist.Camera)

    def keypoints2d(self, camera: str, noise_px: float = 0.0, seed: int = 0) -> np.ndarray:
        """(T, 2, 17, 3) pixels and score 0.9 of both dancers in one camera."""
        cam = next(c for c in self.cameras if c.name == camera)
        pix = cam.project(self.keypoints3d)
        pix = pix + np.random.default_rng(seed).normal(0, noise_px, pix.shape) if noise_px else pix
        return np.concatenate([pix, np.full(pix.shape[:-1] + (1,), 0.9)], axis=-1)


def duet(
    recipe: DemoRecipe = DemoRecipe(),
    offsets=((-80.0, 0.0, 50.0), (70.0, 0.0, -60.0)),
    sequences=("gBR_sBM_cAll_d01_mBR0_ch01", "gBR_sBM_cAll_d02_mBR0_ch02"),
    width: int = 640,
    height: int = 360,
) -> Duet:
    """Two of the demo's dancers side by side, one nearer the front camera (c01) than the other."""
    cams = demo_cameras(width, height)
    n = recipe.num_frames
    out = []
    for seq, offset in zip(sequences, offsets):
        _, coco = motion_keypoints3d(dance_motion(seq, n, recipe.seed))
        out.append(coco + np.asarray(offset))
    return Duet(np.stack(out, axis=1), np.asarray(offsets, dtype=np.float64), cams)


def render_duet(duet_: Duet, camera: str, out: str | Path, music: str | Path | None = None) -> None:
    """An MP4 of the duet from one demo camera (both dancers drawn, the nearer one over the other)."""
    from rhythm.video.render import background, draw_dancer, style_for

    cam = next(c for c in duet_.cameras if c.name == camera)
    style = style_for(duet_.keypoints3d[:, 0])
    thickness = max(2, int(round(cam.size[0] / 100)))
    bg = background(cam)
    order = np.argsort(-np.array([np.linalg.norm(cam_centre(cam) - o) for o in duet_.offsets]))  # far first

    def frames():
        for pts in cam.project(duet_.keypoints3d):
            img = bg.copy()
            for k in order:
                draw_dancer(img, pts[k], style, thickness)
            yield img

    encode_video(frames(), music, out, num_frames=len(duet_.keypoints3d), size=cam.size, ffmpeg=DEMO_FFMPEG)


def cam_centre(cam) -> np.ndarray:
    import cv2

    rot = cv2.Rodrigues(np.asarray(cam.rotation, dtype=np.float64))[0]
    return -rot.T @ np.asarray(cam.translation, dtype=np.float64)
