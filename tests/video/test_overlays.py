"""QA overlays: stick figures where the keypoints are, in the limb colours, with the music, in 2D and 3D mode."""

import cv2
import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.ffmpeg import probe_video
from rhythm.core.skeleton import COCO_LIMB_COLORS, COCO_LIMBS
from rhythm.video.frames import extract_for_video
from rhythm.video.overlays import OverlayOptions, overlay_keypoints, render_overlays

from conftest import AISTPP, REAL_SEQ

VIDEO = "gPO_sBM_c02_d03_mPO4_ch01"


@pytest.fixture(scope="module")
def frames(demo_source, tmp_path_factory):
    out = tmp_path_factory.mktemp("ov") / VIDEO
    extract_for_video(demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", out)
    return out


def test_limbs_are_drawn_where_the_keypoints_are(demo_source, frames, tmp_path):
    out = tmp_path / "ov"
    result = render_overlays(
        frames,
        demo_source / "annotations",
        out,
        OverlayOptions(limit=5),
        audio_source=demo_source / "videos" / f"{VIDEO}.mp4",
        progress=False,
    )
    assert result == {
        "video": VIDEO,
        "pngs": 5,
        "frames": 300,
        "video_written": True,
        "keypoints_drawn": 5100,
        "keypoints_outside": 0,
        "outside_fraction": 0.0,
    }
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:06d}.png" for i in range(5)]
    kp = overlay_keypoints(demo_source / "annotations", VIDEO, "2d")
    img = cv2.imread(str(out / "000003.png")).astype(int)
    hits = 0
    for (a, b), colour in zip(COCO_LIMBS, COCO_LIMB_COLORS):
        mid = np.round((kp[3, a, :2] + kp[3, b, :2]) / 2).astype(int)
        if np.linalg.norm(kp[3, a, :2] - kp[3, b, :2]) > 12:  # long enough that the joints' dots do not cover it
            near = img[mid[1] - 1 : mid[1] + 2, mid[0] - 1 : mid[0] + 2].reshape(-1, 3)
            hits += np.abs(near - colour).sum(axis=1).min() < 60
    assert hits >= 8
    info = probe_video(out / "overlay.mp4")
    assert info.num_frames == 300 and info.has_audio and (info.width, info.height) == (320, 180)


def test_min_confidence_and_limit_zero(demo_source, frames, tmp_path):
    kp = overlay_keypoints(demo_source / "annotations", VIDEO, "2d")
    low = tmp_path / "low"
    # the demo's confidences are 0.55-0.98: above 0.99 nothing is drawn, so frame equals the source
    render_overlays(
        frames,
        demo_source / "annotations",
        low,
        OverlayOptions(limit=0, min_confidence=0.99, video=False),
        progress=False,
    )
    assert len(list(low.glob("*.png"))) == 300 and not (low / "overlay.mp4").exists()
    drawn = cv2.imread(str(low / "000010.png")).astype(int)
    source = cv2.imread(str(frames / "000010.jpg")).astype(int)
    assert np.array_equal(drawn, source)
    assert kp[..., 2].max() < 0.99


def test_3d_mode_projects_keypoints3d_onto_the_2d_annotations(demo_source):
    two = overlay_keypoints(demo_source / "annotations", VIDEO, "2d")
    three = overlay_keypoints(demo_source / "annotations", VIDEO, "3d")
    assert three.shape == two.shape
    assert np.median(np.linalg.norm(three[..., :2] - two[..., :2], axis=-1)) < 2.0  # px


def test_3d_mode_on_the_real_sequence():
    """The real cameras, with their distortion: c01 lands on its 2D annotation, unsynced c05 does not."""
    video = aist.parse_name(REAL_SEQ).with_camera("c01")
    for camera, limit in (("c01", 10.0), ("c05", None)):
        name = str(video.with_camera(camera))
        two = overlay_keypoints(AISTPP, name, "2d")
        three = overlay_keypoints(AISTPP, name, "3d")
        ok = two[..., 2] > 0.3
        err = np.median(np.linalg.norm(three[..., :2] - two[..., :2], axis=-1)[ok])
        assert err < limit if limit else err > 30


def _drawn_near_limbs(png, jpg, kp: np.ndarray, reach: float = 5.0) -> float:
    """Of the pixels the overlay changed (PNG against its source JPEG), the fraction within ``reach`` px of a
    limb of ``kp`` (17, 2+): where the stick figure was drawn. (The demo renders its dancer in the same
    colours, so colours alone would not tell.)"""
    changed = np.argwhere(np.abs(cv2.imread(str(png)).astype(int) - cv2.imread(str(jpg)).astype(int)).sum(axis=2) > 90)
    pts = changed[:, ::-1].astype(float)  # x, y
    best = np.full(len(pts), np.inf)
    for a, b in COCO_LIMBS:
        p, q = kp[a, :2].astype(float), kp[b, :2].astype(float)
        t = np.clip(((pts - p) @ (q - p)) / max((q - p) @ (q - p), 1e-9), 0, 1)
        best = np.minimum(best, np.linalg.norm(pts - (p + t[:, None] * (q - p)), axis=1))
    return float((best <= reach).mean()) if len(pts) else 0.0


def test_annotations_for_another_resolution_warn_and_rescale(demo_source, frames, tmp_path, capsys):
    """Keypoints made for 640x360 on a 320x180 video: half fall outside, the CLI warns; --annotation-size
    640x360 puts the limbs back on the dancer."""
    import pickle
    import shutil

    from rhythm import cli

    anno = tmp_path / "anno"
    shutil.copytree(demo_source / "annotations", anno)
    path = aist.keypoints2d_path(anno, aist.sequence_name(VIDEO))
    data = pickle.loads(path.read_bytes())
    data["keypoints2d"][..., :2] *= 2
    path.write_bytes(pickle.dumps(data))
    assert (
        cli.main(
            [
                "overlay",
                str(frames),
                "--anno-dir",
                str(anno),
                "--out",
                str(tmp_path / "a"),
                "--limit",
                "4",
                "--no-video",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "fall outside the" in captured.err and "--annotation-size" in captured.err
    assert "overlay.mp4" not in captured.out and not (tmp_path / "a" / "overlay.mp4").exists()
    assert (
        cli.main(
            [
                "overlay",
                str(frames),
                "--anno-dir",
                str(anno),
                "--out",
                str(tmp_path / "b"),
                "--limit",
                "4",
                "--no-video",
                "--annotation-size",
                "640x360",
            ]
        )
        == 0
    )
    assert "fall outside" not in capsys.readouterr().err
    kp = overlay_keypoints(demo_source / "annotations", VIDEO, "2d")
    assert _drawn_near_limbs(tmp_path / "b" / "000003.png", frames / "000003.jpg", kp[3]) > 0.9
    assert _drawn_near_limbs(tmp_path / "a" / "000003.png", frames / "000003.jpg", kp[3]) < 0.5
