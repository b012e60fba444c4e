"""Two dancers keep their distance: each person placed where their feet meet the floor (rhythm.people.grounding),
checked on a duet the demo generator renders with known positions."""

from __future__ import annotations

import numpy as np
import pytest

from rhythm.core import aist
from rhythm.people.grounding import camera_depth, depth_order, floor_from_keypoints3d, ground_points
from rhythm.sources import demo

from conftest import AISTPP, REAL_SEQ


@pytest.fixture(scope="module")
def duet():
    return demo.duet(demo.DemoRecipe(duration_s=3.0))


def true_ground(kp3d: np.ndarray) -> np.ndarray:
    """(T, N, 3): the floor point under each dancer's lower ankle."""
    ankles = kp3d[..., [15, 16], :]
    lower = np.take_along_axis(ankles, np.argmin(ankles[..., 1], axis=-1)[..., None, None], axis=-2)[..., 0, :]
    lower[..., 1] = 0.0
    return lower


@pytest.mark.parametrize("camera", ["c01", "c02", "c04"])
def test_the_distance_between_two_dancers_is_kept(duet, camera):
    kp2d = duet.keypoints2d(camera, noise_px=0.7)  # 640x360 views, detector-like noise
    cam = next(c for c in duet.cameras if c.name == camera)
    ground = ground_points(kp2d, cam, floor_y=0.0)
    truth = true_ground(duet.keypoints3d)
    dist = np.linalg.norm(ground[:, 0] - ground[:, 1], axis=-1)
    true = np.linalg.norm(truth[:, 0] - truth[:, 1], axis=-1)
    rel = np.abs(dist - true) / true
    print(
        f"\n{camera}: distance between the dancers {np.median(dist):.1f} cm (truth {np.median(true):.1f}), "
        f"median error {100 * np.median(rel):.1f} %, 95th {100 * np.percentile(rel, 95):.1f} %"
    )
    assert np.median(rel) < 0.10 and np.percentile(rel, 95) < 0.2
    # who is in front: the camera depth of each dancer's ground point orders them as the truth does
    depth, true_depth = camera_depth(ground, cam), camera_depth(truth, cam)
    clear = np.abs(true_depth[:, 0] - true_depth[:, 1]) > 20  # frames where one is 20 cm nearer than the other
    if camera != "c02":  # c02 sees the two side by side, at one depth within 11 cm
        assert clear.sum() > 10
        assert (depth.argmin(axis=1) == true_depth.argmin(axis=1))[clear].mean() > 0.95


def test_without_a_camera_the_depth_order_comes_from_the_feet(duet):
    kp2d = duet.keypoints2d("c01", noise_px=0.7)
    order = depth_order(kp2d)
    cam = next(c for c in duet.cameras if c.name == "c01")
    truth_near = camera_depth(true_ground(duet.keypoints3d), cam).argmin(axis=1)
    assert (order[np.arange(len(order)), truth_near] == 0).mean() > 0.95
    kp2d[5, 1] = np.nan  # one dancer missing in a frame: the other is rank 0, the missing one NaN
    assert depth_order(kp2d)[5, 0] == 0 and np.isnan(depth_order(kp2d)[5, 1])


def test_the_floor_of_real_aistpp():
    """The real cameras and keypoints: the floor under the annotated ankles, and the ground point cast from
    c01's keypoints2d lands within a few centimetres of the annotated ankles."""
    kp3d = aist.load_keypoints3d(aist.keypoints3d_path(AISTPP, REAL_SEQ), optim=True)
    floor = floor_from_keypoints3d(kp3d)
    assert 60 < floor < 68
    cam = aist.load_cameras(AISTPP, REAL_SEQ)["c01"]
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(AISTPP, REAL_SEQ)).view("c01")
    ground = ground_points(kp2d, cam, floor)
    truth = true_ground(kp3d[:, None])[:, 0]
    truth[:, 1] = floor
    err = np.linalg.norm((ground - truth)[:, [0, 2]], axis=-1)
    print(f"\nreal c01: ground point vs the annotated lower ankle, median {np.nanmedian(err):.1f} cm")
    assert np.nanmedian(err) < 15


class DuetBackend:
    """Answers every frame with the duet's two dancers as a pose model would: COCO body keypoints in pixels,
    depth relative to each dancer's hips (metres, farther positive), the rest of the 133 scoring 0."""

    name, device, weights = "duet", "cpu", None

    def __init__(self, duet_, camera):
        self.cam = next(c for c in duet_.cameras if c.name == camera)
        self.pix = self.cam.project(duet_.keypoints3d)  # (T, 2, 17, 2)
        self.depth = camera_depth(duet_.keypoints3d, self.cam) / 100.0  # (T, 2, 17) metres
        self.frame = 0

    def detect(self, frames):
        out = []
        for _ in frames:
            pts = self.pix[self.frame]
            boxes = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
            out.append((boxes, np.array([0.9, 0.9])))
            self.frame += 1
        return out

    def estimate(self, frames, boxes):
        from types import SimpleNamespace

        start = self.frame - len(frames)
        result = []
        for i, bs in enumerate(boxes):
            t, people = start + i, []
            for box in bs:
                k = int(np.argmin([np.abs(box[:2] - self.pix[t, j].min(axis=0)).sum() for j in range(2)]))
                kp = np.zeros((133, 3))
                scores = np.zeros(133)
                kp[:17, :2] = self.pix[t, k]
                kp[:17, 2] = self.depth[t, k] - self.depth[t, k, [11, 12]].mean()
                scores[:17] = 0.9
                people.append(SimpleNamespace(box=box, box_score=0.9, keypoints=kp, scores=scores))
            result.append(people)
        return result


def test_landmarks_of_two_dancers_keep_their_distance(duet, tmp_path):
    """The landmarks stage with a camera: z is each keypoint's depth from the camera, the dancers placed where
    their feet meet the floor; without one, their depth order from the feet is in the report."""
    from rhythm.landmarks.sampling import SamplingOptions
    from rhythm.landmarks.stage import LandmarkOptions, run_landmarks
    from rhythm.people.tracking import TrackOptions

    video = tmp_path / "duet.mp4"
    demo.render_duet(duet, "c01", video)
    cam = next(c for c in duet.cameras if c.name == "c01")
    opts = dict(
        sampling=SamplingOptions(reduce_fps_to=None),
        policy="people",
        keypoints=tuple(range(17)),
        tracking=TrackOptions(max_people=2, smoothing="none"),
    )
    rows, report = run_landmarks(video, DuetBackend(duet, "c01"), LandmarkOptions(camera=cam, floor_y=0.0, **opts))
    assert rows.shape == (180, 2, 17, 4) and "depth from camera c01" in report["z"]
    true_depth = camera_depth(duet.keypoints3d, cam) / 100.0
    slot = [
        int(np.argmin([abs(rows[0, s, 0, 0] * 640 - cam.project(duet.keypoints3d[0, k, 0])[0]) for k in range(2)]))
        for s in range(2)
    ]
    for s in range(2):
        err = np.abs(rows[:, s, :, 2] - true_depth[:, slot[s]]) / true_depth[:, slot[s]]
        assert np.median(err) < 0.05  # every keypoint's depth within 5 %, from one camera
    ground = np.array(report["ground_median"])
    truth = np.median(true_ground(duet.keypoints3d), axis=0)[slot]
    dist, true = np.linalg.norm(ground[0] - ground[1]), np.linalg.norm(truth[0] - truth[1])
    print(f"\nlandmarks, c01: dancers {dist:.1f} cm apart (truth {true:.1f})")
    assert abs(dist - true) / true < 0.10
    nearest = int(np.argmin(camera_depth(truth, cam)))
    assert np.mean([frame[nearest] == 0 for frame in report["depth_order"]]) > 0.95
    _, relative = run_landmarks(video, DuetBackend(duet, "c01"), LandmarkOptions(**opts))
    assert "relative to each person's root" in relative["z"] and "feet's height" in relative["depth_order_from"]
    assert np.mean([frame[nearest] == 0 for frame in relative["depth_order"]]) > 0.95


def test_imported_detections_of_a_duet_keep_their_distance(duet, tmp_path):
    """AlphaPose results of the duet (as AlphaPose writes them, no track ids) imported with the camera's setting:
    each person's position where their feet meet the floor, the distance between them within 10 %."""
    import json

    from rhythm import cli
    from rhythm.people.detections import write_alphapose

    kp = duet.keypoints2d("c01", noise_px=0.7)
    write_alphapose(tmp_path / "alphapose-results.json", kp)  # (T, 2, 17, 3): both dancers, no idx
    setting = tmp_path / "setting.json"
    setting.write_text(json.dumps([c.to_json() for c in duet.cameras]))
    assert (
        cli.main(
            [
                "import-keypoints",
                str(tmp_path / "alphapose-results.json"),
                "--format",
                "alphapose",
                "--out",
                str(tmp_path / "duet.pkl"),
                "--people",
                "all",
                "--camera",
                "c01",
                "--setting",
                str(setting),
                "--floor-y",
                "0",
                "--report",
                str(tmp_path / "report.json"),
            ]
        )
        == 0
    )
    positions = np.load(tmp_path / "duet_positions.npy")
    assert positions.shape == (180, 2, 3)
    truth = true_ground(duet.keypoints3d)
    # match the imported people to the true dancers by their first position
    first = [int(np.argmin(np.linalg.norm(truth[0] - positions[0, k], axis=-1))) for k in range(2)]
    assert sorted(first) == [0, 1]
    dist = np.linalg.norm(positions[:, 0] - positions[:, 1], axis=-1)
    true = np.linalg.norm(truth[:, first[0]] - truth[:, first[1]], axis=-1)
    assert np.median(np.abs(dist - true) / true) < 0.10
    report = json.loads((tmp_path / "report.json").read_text())
    assert "where the feet meet the floor" in report["placement"]["how"]
