"""Multi-person tracking: identities through crossings, dropouts, ghosts and crowds; gap filling; smoothing.

Synthetic dancers are COCO-17 stick figures with moving limbs and detector-like noise, listed
in a shuffled order each frame, as a backend would. The real PoseTrack18 sample has one labelled
frame in each of three videos (not a sequence), so its real poses and layouts (a crowd of 11,
a ballroom couple whose boxes overlap at IoU 0.7) are set in motion synthetically, and the tracker's
identities are checked against the annotated track ids.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rhythm.people.tracking import (
    Detection,
    TrackOptions,
    box_iou,
    fill_gaps,
    one_euro,
    savgol,
    similarity,
    smooth,
    summary_row,
    track_people,
)

from conftest import STANDING_PERSON

FPS = 30.0
TEMPLATE = STANDING_PERSON
ARMS_UP = TEMPLATE.copy()
ARMS_UP[7:11] = [[0.24, -0.5], [-0.24, -0.5], [0.26, -0.7], [-0.26, -0.7]]


def dancer(path: np.ndarray, template=TEMPLATE, height: float = 300.0, phase: float = 0.0) -> np.ndarray:
    """(T, 17, 2) pixels: ``template`` carried along ``path`` (T, 2), wrists and feet swinging."""
    t = np.arange(len(path))[:, None]
    kp = np.repeat(template[None], len(path), axis=0)
    kp[:, 9:11, 1] += 0.08 * np.sin(2 * np.pi * 1.5 * t / FPS + phase)
    kp[:, 13:17, 0] += 0.04 * np.sin(2 * np.pi * 1.0 * t / FPS + phase)
    return path[:, None, :] + kp * height


def detections(people: dict, frames: int, noise: float = 2.0, seed: int = 0, missing=None, boxes=None):
    """Per frame a shuffled list of noisy detections of ``people`` ({id: (T, K, 2 or 3) or (T, K, 3) + vis}).

    ``missing`` {id: frames without a detection}; returns (frames, ground-truth id of each detection).
    """
    rng = np.random.default_rng(seed)
    missing = missing or {}
    out, truth = [], []
    for t in range(frames):
        dets, ids = [], []
        for pid, kps in people.items():
            if t >= len(kps) or t in set(missing.get(pid, ())) or not np.isfinite(kps[t]).all():
                continue
            kp = kps[t][:, :2] + rng.normal(0, noise, kps[t][:, :2].shape)
            scores = kps[t][:, 2] if kps[t].shape[1] > 2 else np.full(len(kp), 0.9)
            box = None if boxes is None else boxes[pid][t]
            dets.append(Detection.from_keypoints(kp, scores, score=0.9, box=box, min_keypoint_score=0.3))
            ids.append(pid)
        order = rng.permutation(len(dets))
        out.append([dets[i] for i in order])
        truth.append([ids[i] for i in order])
    return out, truth


def identities(result, truth) -> tuple[float, int, list]:
    """(accuracy, switches, majority id per slot) of the slots' ground-truth ids over observed frames."""
    correct = total = switches = 0
    majority = []
    for s in range(result.detection_index.shape[1]):
        ids = [truth[t][i] for t, i in enumerate(result.detection_index[:, s]) if i >= 0]
        if not ids:
            majority.append(None)
            continue
        best = max(sorted(set(ids)), key=ids.count)
        majority.append(best)
        correct += sum(i == best for i in ids)
        total += len(ids)
        switches += sum(a != b for a, b in zip(ids[:-1], ids[1:]))
    return correct / max(total, 1), switches, majority


def crossing(frames: int = 60, same_pose: bool = False):
    """Two dancers crossing the stage in opposite directions at the same depth: their boxes swap."""
    a = np.stack([np.linspace(150, 650, frames), np.full(frames, 300.0)], axis=1)
    b = np.stack([np.linspace(650, 150, frames), np.full(frames, 300.0)], axis=1)
    return {0: dancer(a), 1: dancer(b, TEMPLATE if same_pose else ARMS_UP, phase=1.0)}


# ---------------------------------------------------------------------------------------------
# Identities


@pytest.mark.parametrize("same_pose", [False, True])
def test_crossing_dancers_keep_their_identities(same_pose):
    people = crossing(same_pose=same_pose)
    frames, truth = detections(people, 60, noise=3.0)
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert accuracy == 1.0 and switches == 0
    assert majority == [0, 1]  # first seen at the same frame: the leftmost is person 0
    assert result.keypoints.shape == (60, 2, 17, 3) and result.keypoints.dtype == np.float32
    assert result.observed.all() and result.report["track_switches"] == 0
    # Absolute positions are kept (no root-centring): person 0 ends on the right.
    assert np.nanmean(result.keypoints[-1, 0, :, 0]) > 600


def test_crossing_with_occlusion_is_bridged_by_motion():
    """The dancer behind is hidden for 7 frames around the crossing; motion prediction finds them again."""
    people = crossing(same_pose=True)
    frames, truth = detections(people, 60, noise=2.0, missing={1: range(27, 34)})
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches) == (1.0, 0)
    slot = majority.index(1)
    assert result.report["reidentified"] == 1 and result.report["reidentified_gap_lengths"] == [7]
    assert result.interpolated[27:34, slot].all() and result.present.all()
    # The filled frames follow the dancer's straight path: within a few pixels of the truth.
    err = np.abs(result.keypoints[27:34, slot, :, :2] - people[1][27:34]).max()
    assert err < 10, err  # measured: 6.2 px (a straight chord: 13 px, on the swinging wrists)


def test_dropouts_short_filled_long_marked():
    frames_n = 90
    a = np.stack([np.linspace(150, 400, frames_n), np.full(frames_n, 300.0)], axis=1)
    b = np.stack([np.linspace(700, 500, frames_n), 280 + 20 * np.sin(np.arange(frames_n) / 9)], axis=1)
    people = {0: dancer(a), 1: dancer(b, ARMS_UP)}
    missing = {0: [10, 11, 12], 1: list(range(40, 60))}  # 3 frames (< max_interp_gap), 20 (< max_gap)
    frames, truth = detections(people, frames_n, noise=1.0, missing=missing)
    opts = TrackOptions(max_people=2, max_interp_gap=10, max_gap=30)
    result = track_people(frames, opts, FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches, majority) == (1.0, 0, [0, 1])
    assert result.interpolated[10:13, 0].all() and result.interpolated.sum() == 3
    assert result.long_gap[40:60, 1].all() and result.long_gap.sum() == 20
    assert np.isnan(result.keypoints[40:60, 1]).all() and np.isnan(result.boxes[40:60, 1]).all()
    assert np.isfinite(result.keypoints[~result.long_gap]).all()
    assert np.abs(result.keypoints[10:13, 0, :, :2] - people[0][10:13]).max() < 8
    rep = result.report
    assert (rep["gaps"], rep["gaps_interpolated"], rep["gaps_long"]) == (2, 1, 1)
    assert rep["people"][0]["gap_lengths"] == [3] and rep["people"][1]["gap_lengths"] == [20]
    assert rep["reidentified"] == 2 and sorted(rep["reidentified_gap_lengths"]) == [3, 20]
    assert rep["frames_interpolated"] == 3 and rep["frames_long_gap"] == 20 and rep["max_gap_length"] == 20
    assert summary_row(rep)["gaps_long"] == 1
    json.dumps(rep)  # the report is plain JSON


def test_absence_longer_than_max_gap_rejoins_its_slot():
    """Gone for 45 frames (> max_gap): a new tracklet, stitched back into the dancer's slot."""
    frames_n = 100
    a = np.stack([np.full(frames_n, 200.0), np.full(frames_n, 300.0)], axis=1)
    b = np.stack([np.full(frames_n, 600.0), np.full(frames_n, 300.0)], axis=1)
    people = {0: dancer(a), 1: dancer(b, ARMS_UP)}
    frames, truth = detections(people, frames_n, missing={0: range(30, 75)})
    result = track_people(frames, TrackOptions(max_people=2, max_gap=30), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches, majority) == (1.0, 0, [0, 1])
    rep = result.report
    assert rep["stitches"] == 1 and rep["track_switches"] == 0 and rep["reidentified"] == 0
    assert len(rep["people"][0]["tracklets"]) == 2 and result.long_gap[30:75, 0].all()


def test_new_person_far_away_counts_as_a_track_switch():
    """A slot handed to someone who appears far from where its dancer left is reported, not hidden."""
    frames_n = 100
    a = dancer(np.tile([200.0, 300.0], (frames_n, 1)))
    c = dancer(np.tile([900.0, 300.0], (frames_n, 1)), ARMS_UP)
    people = {
        0: np.where(np.arange(frames_n)[:, None, None] < 40, a, np.nan),
        2: np.where(np.arange(frames_n)[:, None, None] >= 60, c, np.nan),
    }
    frames, truth = detections(people, frames_n)
    result = track_people(frames, TrackOptions(max_people=1), FPS)
    assert result.report["track_switches"] == 1 and result.report["stitches"] == 0


def test_spurious_detections_dropped():
    frames_n = 40
    people = crossing(frames_n)
    ghost = np.full((frames_n, 17, 2), np.nan)
    ghost[[8, 20, 21]] = dancer(np.tile([400.0, 100.0], (3, 1)), ARMS_UP, height=150)
    people[9] = ghost
    frames, truth = detections(people, frames_n, seed=3)
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches, majority) == (1.0, 0, [0, 1])
    rep = result.report
    assert rep["spurious_detections"] == 3 and rep["spurious_tracklets"] == 2 and rep["extra_detections"] == 0
    assert rep["detections"] == 2 * frames_n + 3 and rep["detections_kept"] == 2 * frames_n


def test_three_people_keep_the_two_persistent_ones():
    frames_n = 60
    people = crossing(frames_n)
    third = np.full((frames_n, 17, 2), np.nan)
    third[20:35] = dancer(np.stack([np.linspace(300, 500, 15), np.full(15, 250.0)], axis=1), height=250)
    people[2] = third
    frames, truth = detections(people, frames_n, seed=1)
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches, majority) == (1.0, 0, [0, 1])
    assert result.report["extra_tracklets"] == 1 and result.report["extra_detections"] == 15
    # With a third slot the bystander is kept, in their own slot.
    result3 = track_people(frames, TrackOptions(max_people=3), FPS)
    assert identities(result3, truth)[:3] == (1.0, 0, [0, 1, 2])
    assert result3.observed[:, 2].sum() == 15 and not result3.present[:20, 2].any()


def test_low_scores_invalid_boxes_and_nan_keypoints():
    frames_n = 30
    people = crossing(frames_n)
    frames, truth = detections(people, frames_n)
    # A NaN box and a low-scoring detection are ignored; NaN keypoints take no part in matching.
    frames[5].append(Detection(np.full(4, np.nan), 0.9, np.zeros((17, 2)), np.ones(17)))
    frames[6].append(Detection(np.array([0, 0, 50, 50.0]), 0.1, np.full((17, 2), 25.0), np.ones(17)))
    truth[5].append(None)
    truth[6].append(None)
    d = frames[10][0]
    kp = d.keypoints.copy()
    kp[:5] = np.nan
    frames[10][0] = Detection(d.box, d.score, kp, d.keypoint_scores)
    frames[12] = []  # nobody found at all in one frame
    truth[12] = []
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, _ = identities(result, truth)
    assert (accuracy, switches) == (1.0, 0)
    rep = result.report
    assert rep["detections_invalid"] == 1 and rep["detections_low_score"] == 1
    assert result.interpolated[12].all() and np.isfinite(result.keypoints).all()  # NaN keypoints filled in time


def test_empty_and_degenerate_input():
    empty = track_people([[] for _ in range(5)], TrackOptions(max_people=2), FPS)
    assert empty.keypoints.shape == (5, 2, 0, 3) and not empty.present.any()
    assert empty.report["people_found"] == 0
    assert track_people([], TrackOptions(), FPS).keypoints.shape == (0, 2, 0, 3)
    with pytest.raises(ValueError, match="keypoints"):
        track_people(
            [
                [
                    Detection(np.zeros(4), 1.0, np.zeros((17, 2)), np.ones(17)),
                    Detection(np.zeros(4), 1.0, np.zeros((5, 2)), np.ones(5)),
                ]
            ]
        )
    with pytest.raises(ValueError, match="order"):
        TrackOptions(order="size")


def test_three_d_wholebody_people():
    """133 keypoints with depth (the landmarks stage's people): z is carried, not used for matching."""
    frames_n = 30
    rng = np.random.default_rng(0)
    base = {
        pid: np.concatenate([p, np.repeat(p[:, :1], 116, axis=1) + rng.normal(0, 5, (frames_n, 116, 2))], axis=1)
        for pid, p in crossing(frames_n).items()
    }
    frames, truth = detections(base, frames_n)
    frames = [
        [
            Detection(
                d.box, d.score, np.concatenate([d.keypoints, np.full((133, 1), 2.0 + i)], axis=1), d.keypoint_scores
            )
            for i, d in enumerate(f)
        ]
        for f in frames
    ]
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    assert result.keypoints.shape == (frames_n, 2, 133, 4)
    assert identities(result, truth)[:2] == (1.0, 0)
    assert np.isfinite(result.keypoints[..., 2]).all()


def test_deterministic_and_independent_of_detection_order():
    people = crossing(same_pose=True)
    frames, truth = detections(people, 60, noise=3.0, missing={1: [5, 6, 30]})
    opts = TrackOptions(max_people=2)
    first, second = track_people(frames, opts, FPS), track_people(frames, opts, FPS)
    np.testing.assert_array_equal(first.keypoints, second.keypoints)
    assert first.report == second.report
    rng = np.random.default_rng(7)
    reordered = [[f[i] for i in rng.permutation(len(f))] for f in frames]
    third = track_people(reordered, opts, FPS)
    np.testing.assert_array_equal(first.keypoints, third.keypoints)
    assert first.report == third.report  # tracklet ids too: new tracks are numbered left to right
    assert identities(first, truth)[2] == [0, 1]


def test_slot_order_by_mean_x():
    frames_n = 40
    left = dancer(np.tile([200.0, 300.0], (frames_n, 1)))
    right = dancer(np.tile([700.0, 300.0], (frames_n, 1)), ARMS_UP)
    right[:10] = np.nan  # the right dancer enters later
    frames, truth = detections({5: right, 6: left}, frames_n)
    assert identities(track_people(frames, TrackOptions(order="x"), FPS), truth)[2] == [6, 5]
    assert identities(track_people(frames, TrackOptions(order="first_seen"), FPS), truth)[2] == [6, 5]
    swapped = {5: left.copy(), 6: right}
    swapped[5][:15] = np.nan  # now the left dancer enters last
    frames, truth = detections(swapped, frames_n)
    assert identities(track_people(frames, TrackOptions(order="x"), FPS), truth)[2] == [5, 6]
    assert identities(track_people(frames, TrackOptions(order="first_seen"), FPS), truth)[2] == [6, 5]


def test_box_iou_and_similarity():
    a = np.array([[0, 0, 10, 10.0]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [np.nan] * 4])
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 1 / 3, 0.0, 0.0]])
    kp = TEMPLATE[None] * 100
    ok = np.ones((1, 17), dtype=bool)
    boxes = np.array([[-30, -50, 30, 50.0]])
    same = similarity(boxes, kp, ok, [50.0], boxes, kp, ok, iou_weight=0.5, sigma=0.15)
    moved = similarity(boxes, kp, ok, [50.0], boxes, kp + [7.5, 0], ok, iou_weight=0.5, sigma=0.15)
    blind = similarity(boxes, kp, ok, [50.0], boxes, kp + [7.5, 0], ~ok, iou_weight=0.5, sigma=0.15)
    np.testing.assert_allclose([same[0, 0], moved[0, 0], blind[0, 0]], [1.0, 0.5 + 0.5 * np.exp(-0.5), 1.0])


# ---------------------------------------------------------------------------------------------
# Real PoseTrack18 poses


def posetrack_people(shared, video: str) -> tuple[dict, dict, str]:
    """{track_id: (17, 3) keypoints with visibility}, {track_id: xyxy box}, image path of ``video``'s frame."""
    root = shared / "posetrack"
    data = json.loads((root / "annotations" / "test_posetrack18_val.json").read_text())
    image = next(im for im in data["images"] if im["vid_id"] == video)
    kps, boxes = {}, {}
    for ann in data["annotations"]:
        if ann["image_id"] == image["id"]:
            kps[ann["track_id"]] = np.array(ann["keypoints"], dtype=np.float64).reshape(17, 3)
            x, y, w, h = ann["bbox"]
            boxes[ann["track_id"]] = np.array([x, y, x + w, y + h])
    return kps, boxes, str(root / image["file_name"])


def moving(kps: dict, boxes: dict, offsets: dict) -> tuple[dict, dict]:
    """Each person's keypoints (visibility as the score) and box moved by their offsets (T, 2)."""
    people, moved = {}, {}
    for pid, kp in kps.items():
        xy = kp[None, :, :2] + offsets[pid][:, None, :]
        vis = np.repeat(kp[None, :, 2:], len(offsets[pid]), axis=0)
        people[pid] = np.concatenate([np.where(vis > 0, xy, 0.0), vis], axis=2)
        moved[pid] = boxes[pid][None] + np.tile(offsets[pid], 2)
    return people, moved


@pytest.mark.parametrize("noise", [2.0, 6.0])
def test_posetrack_crowd_identities_match_track_ids(shared, noise):
    """11 annotated people of a real crowd, drifting with random velocities, 10% of detections lost."""
    kps, boxes, _ = posetrack_people(shared, "012834")
    rng = np.random.default_rng(11)
    frames_n = 40
    offsets = {
        pid: np.cumsum(np.tile(rng.normal(0, 4, 2), (frames_n, 1)) + rng.normal(0, 1, (frames_n, 2)), axis=0)
        for pid in kps
    }
    people, moved = moving(kps, boxes, offsets)
    missing = {pid: np.flatnonzero(rng.random(frames_n) < 0.1) for pid in kps}
    frames, truth = detections(people, frames_n, noise=noise, seed=2, missing=missing, boxes=moved)
    result = track_people(frames, TrackOptions(max_people=len(kps)), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches) == (1.0, 0)
    assert sorted(majority) == sorted(kps)
    assert result.report["track_switches"] == 0 and result.report["people_found"] == 11


def test_posetrack_ballroom_couple_turning(shared):
    """The real couple (boxes overlapping at IoU 0.7) turns half a circle: they swap sides, passing through each other.

    Half-way round their centres coincide, so only their poses (and their motion) tell them apart.
    """
    kps, boxes, _ = posetrack_people(shared, "009473")
    assert box_iou(boxes[0][None], boxes[1][None])[0, 0] > 0.7
    centre = {pid: kp[kp[:, 2] > 0, :2].mean(axis=0) for pid, kp in kps.items()}
    middle = (centre[0] + centre[1]) / 2
    frames_n = 40
    angle = np.linspace(0, np.pi, frames_n)
    drift = np.stack([np.linspace(0, 200, frames_n), np.zeros(frames_n)], axis=1)
    offsets = {}
    for pid in kps:
        rel = centre[pid] - middle
        target = middle + np.stack([rel[0] * np.cos(angle), rel[1] * np.ones(frames_n)], axis=1) + drift
        offsets[pid] = target - centre[pid]
    people, moved = moving(kps, boxes, offsets)
    frames, truth = detections(people, frames_n, noise=4.0, seed=5, boxes=moved)
    result = track_people(frames, TrackOptions(max_people=2), FPS)
    accuracy, switches, majority = identities(result, truth)
    assert (accuracy, switches) == (1.0, 0)
    assert majority == [0, 1]  # track 0 starts on the left
    x0 = result.keypoints[:, 0, :, 0]
    x1 = result.keypoints[:, 1, :, 0]
    vis = result.keypoints[..., -1] > 0
    side = [np.mean(x0[t][vis[t, 0]]) - np.mean(x1[t][vis[t, 1]]) for t in (0, frames_n - 1)]
    assert side[0] < 0 < side[1]  # they did swap sides, and each index followed its dancer


def test_draw_tracked_people_colours_each_person_consistently(shared):
    import cv2

    from rhythm.video.overlays import TRACK_COLOURS, draw_skeleton, draw_tracked_people, track_colour

    kps, boxes, image = posetrack_people(shared, "012834")
    rng = np.random.default_rng(0)
    offsets = {pid: np.array([[0.0, 0.0], rng.normal(0, 15, 2)]) for pid in kps}
    people, moved = moving(kps, boxes, offsets)
    frames, truth = detections(people, 2, noise=0.0, seed=4, boxes=moved)
    result = track_people(
        frames, TrackOptions(max_people=len(kps), min_hits=1, smoothing="none", min_keypoint_score=0.5), FPS
    )
    assert identities(result, truth)[:2] == (1.0, 0)
    img = cv2.imread(image)
    assert img is not None
    shoulder_hip = (5, 11)  # a long limb: its midpoint is the limb's colour unless someone overlaps
    seen = {}
    for t in range(2):
        frame = img.copy()
        draw_tracked_people(frame, result.keypoints[t], min_confidence=0.5)
        for n in range(len(kps)):
            kp = result.keypoints[t, n]
            if (kp[list(shoulder_hip), -1] > 0).all():
                mid = np.round(kp[list(shoulder_hip), :2].mean(axis=0)).astype(int)
                seen.setdefault(n, []).append(tuple(int(c) for c in frame[mid[1], mid[0]]))
    same = [n for n, colours in seen.items() if len(colours) == 2 and colours[0] == colours[1] == track_colour(n)]
    assert len(seen) >= 8 and len(same) >= len(seen) - 1, (seen, same)
    assert len(set(TRACK_COLOURS)) == len(TRACK_COLOURS)
    # The plain drawing still colours limbs by body side.
    plain = draw_skeleton(
        np.zeros((100, 100, 3), np.uint8),
        np.array([[50, 10, 1.0]] * 5 + [[40, 30, 1], [60, 30, 1]] + [[np.nan, np.nan, 0]] * 10),
    )
    assert tuple(plain[30, 50]) == (80, 220, 80)  # shoulder to shoulder: the middle colour


# ---------------------------------------------------------------------------------------------
# Gap filling


def test_fill_gaps_linear_cubic_and_ends():
    t = np.arange(20, dtype=float)
    line = np.stack([2 * t + 1, -t], axis=1)
    holed = line.copy()
    holed[[0, 1, 5, 6, 7, 12, 19]] = np.nan
    for method in ("linear", "cubic"):
        filled, mask = fill_gaps(holed, max_gap=3, method=method)
        np.testing.assert_allclose(filled[2:19], line[2:19])  # a straight motion is filled exactly
        assert np.isnan(filled[[0, 1, 19]]).all()  # never extrapolated
        assert mask[[5, 6, 7, 12]].all() and mask.sum() == 8
    long, mask = fill_gaps(holed, max_gap=2)
    assert np.isnan(long[5:8]).all() and mask[12].all() and mask.sum() == 2
    # On a curved motion the cubic curve, matching the speed on both sides, is closer than a chord.
    wave = np.sin(t / 3)[:, None]
    gap = wave.copy()
    gap[8:12] = np.nan
    err = {m: np.abs(fill_gaps(gap, 5, m)[0][8:12] - wave[8:12]).max() for m in ("linear", "cubic")}
    assert err["cubic"] < err["linear"] / 4, err
    # Only one sample on a side: linear.
    short = np.array([0.0, np.nan, np.nan, 3.0, 4.0, 5.0])[:, None]
    np.testing.assert_allclose(fill_gaps(short, 5, "cubic")[0][:, 0], [0, 1, 2, 3, 4, 5])
    with pytest.raises(ValueError):
        fill_gaps(short, 5, "spline")


# ---------------------------------------------------------------------------------------------
# Smoothing


def _sine_lag(filtered: np.ndarray, t: np.ndarray, freq: float) -> tuple[float, float]:
    """(lag in frames, gain) of a filtered sine, by a least-squares fit of its phase."""
    design = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    (s, c), *_ = np.linalg.lstsq(design, filtered, rcond=None)
    return float(np.arctan2(-c, s) / (2 * np.pi * freq) * FPS), float(np.hypot(s, c))


@pytest.mark.parametrize("zero_phase", [False, True])
def test_one_euro_removes_jitter_without_lagging_fast_moves(zero_phase):
    size = 120.0  # person size in pixels: beta is per size per second
    opts = TrackOptions()
    kw = dict(min_cutoff=opts.min_cutoff, beta=opts.beta, d_cutoff=opts.d_cutoff, scale=size, zero_phase=zero_phase)
    rng = np.random.default_rng(0)
    still = rng.normal(0, 0.01 * size, (600, 40))  # jitter of 1% of the body on a still pose
    reduction = still[30:-30].std() / one_euro(still, FPS, **kw)[30:-30].std()
    assert reduction > (3.0 if zero_phase else 2.4), reduction  # measured: 3.1x (zero phase), 2.5x (causal)

    t = np.arange(300) / FPS
    wave = 0.3 * size * np.sin(2 * np.pi * 2.0 * t)  # a 2 Hz arm swing, 0.3 body sizes
    lag, gain = _sine_lag(one_euro(wave, FPS, **kw)[60:-60] / (0.3 * size), t[60:-60], 2.0)
    assert abs(lag) < (0.05 if zero_phase else 0.6) and 0.95 < gain < 1.05, (lag, gain)  # measured: 0.46 causal

    step = np.r_[np.zeros(30), np.full(30, 0.5 * size)]  # a sudden move of half a body at frame 30
    out = one_euro(step, FPS, **kw) / step[-1]
    if zero_phase:  # centred on the step: under a quarter before it, over three quarters from it on
        assert out[29] < 0.25 and out[30] > 0.75 and out[31] > 0.95, out[27:34]
    else:  # half-way at once, 90% one frame later
        assert out[30] >= 0.5 and out[31] >= 0.9, out[27:34]
    # The same settings in normalised units (a size of 0.12 of the frame) behave the same.
    kw["scale"] = size / 1000
    np.testing.assert_allclose(one_euro(step / 1000, FPS, **kw), out * step[-1] / 1000)


def test_one_euro_restarts_after_nan():
    x = np.r_[np.zeros(5), np.nan, np.full(5, 10.0)]
    out = one_euro(x, FPS)
    assert np.isnan(out[5]) and out[6] == 10.0 and (out[:5] == 0).all()


def test_savgol_is_zero_lag_and_nan_aware():
    t = np.arange(300) / FPS
    wave = np.sin(2 * np.pi * 1.0 * t)
    lag, gain = _sine_lag(savgol(wave, 9, 3), t, 1.0)
    assert abs(lag) < 0.05 and abs(gain - 1) < 0.02
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, (500, 20))
    assert noise.std() / savgol(noise, 9, 3).std() > 1.8  # measured: 1.96x
    x = np.r_[rng.normal(0, 1, 20), [np.nan] * 3, rng.normal(0, 1, 4), np.nan, [1.0, 2.0]]
    out = savgol(x, 9, 3)
    assert np.isnan(out[[20, 21, 22, 27]]).all() and np.isfinite(out[:20]).all()
    np.testing.assert_array_equal(out[28:], [1.0, 2.0])  # too short for the order: left as it is


def test_tracking_smooths_each_person():
    frames_n = 120
    people = {
        0: dancer(np.tile([200.0, 300.0], (frames_n, 1))),
        1: dancer(np.tile([600.0, 300.0], (frames_n, 1)), ARMS_UP),
    }
    frames, truth = detections(people, frames_n, noise=3.0)
    errors = {}
    for method in ("none", "one_euro", "savgol"):
        result = track_people(frames, TrackOptions(smoothing=method), FPS)
        assert identities(result, truth)[:2] == (1.0, 0)
        errors[method] = float(
            np.sqrt(np.mean((result.keypoints[10:-10, :, :, :2] - np.stack([people[0], people[1]], 1)[10:-10]) ** 2))
        )
    assert errors["one_euro"] < errors["none"] / 1.5 and errors["savgol"] < errors["none"] / 1.5, errors
    assert smooth(np.ones((3, 2)), FPS, TrackOptions(smoothing="none")).shape == (3, 2)


# ---------------------------------------------------------------------------------------------
# Config and files


def test_options_from_config():
    assert TrackOptions.from_config(None) == TrackOptions()
    opts = TrackOptions.from_config({"max_people": 3, "smoothing": "savgol"})
    assert opts.max_people == 3 and opts.smoothing == "savgol"
    with pytest.raises(ValueError, match="unknown tracking option"):
        TrackOptions.from_config({"max_persons": 3})
    with pytest.raises(ValueError, match="smoothing"):
        TrackOptions.from_config({"smoothing": "kalman"})


def test_track_cli_json_and_npy(tmp_path):
    from rhythm import cli

    people = crossing(30)
    frames, truth = detections(people, 30, missing={1: [10, 11]})
    frames[5].append(
        Detection.from_keypoints(dancer(np.tile([400.0, 80.0], (1, 1)), height=100)[0], np.full(17, 0.8))
    )  # a one-frame ghost
    doc = {
        "fps": 25,
        "frames": [
            [
                {
                    "box": d.box.tolist(),
                    "score": d.score,
                    "keypoints": d.keypoints.tolist(),
                    "keypoint_scores": d.keypoint_scores.tolist(),
                }
                for d in f
            ]
            for f in frames
        ],
    }
    src = tmp_path / "detections.json"
    src.write_text(json.dumps(doc))
    out, report, details = tmp_path / "tracked.npy", tmp_path / "tracked.json", tmp_path / "tracked.npz"
    assert (
        cli.main(
            [
                "track",
                str(src),
                "--out",
                str(out),
                "--report",
                str(report),
                "--details",
                str(details),
                "--smoothing",
                "savgol",
                "--zero-phase",
                "false",
            ]
        )
        == 0
    )
    arr = np.load(out)
    assert arr.shape == (30, 2, 17, 3) and arr.dtype == np.float32
    rep = json.loads(report.read_text())
    assert rep["fps"] == 25 and rep["spurious_detections"] == 1 and rep["gaps_interpolated"] == 1
    assert rep["options"]["smoothing"] == "savgol" and rep["options"]["zero_phase"] is False
    with np.load(details) as d:
        assert d["interpolated"].sum() == 2 and d["boxes"].shape == (30, 2, 4)
    api = track_people(frames, TrackOptions(smoothing="savgol", zero_phase=False), 25)
    np.testing.assert_array_equal(arr, api.keypoints)

    # A padded (T, M, K, C) array, scores last, NaN rows for nobody; keypoints without a box.
    padded = np.full((30, 3, 17, 3), np.nan)
    for t, f in enumerate(frames):
        for m, d in enumerate(f):
            padded[t, m] = np.concatenate([d.keypoints, d.keypoint_scores[:, None]], axis=1)
    np.save(tmp_path / "padded.npy", padded)
    assert (
        cli.main(["track", str(tmp_path / "padded.npy"), "--out", str(out), "--fps", "25", "--smoothing", "savgol"])
        == 0
    )
    np.testing.assert_allclose(np.load(out), arr, atol=1e-4)  # the same boxes, from the same keypoints

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"frames": [[{"box": [0, 0, 1, 1]}]]}))
    assert cli.main(["track", str(bad), "--out", str(out)]) == 2
