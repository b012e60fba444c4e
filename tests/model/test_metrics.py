"""Dance metrics against the reference definitions, on small synthetic motions.

The kinetic and geometric features are checked against slow, loop-based implementations written
here from the AIST++ API's definitions (features/kinetic.py, manual.py, utils.py), frame by frame
and joint by joint, the way the reference computes them; the vectorised module must agree with
them, precedence slip included. The other metrics are checked against values worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhythm.core.skeleton import SMPL_OFFSETS, SMPL_PARENTS, SMPL_PELVIS_REST
from rhythm.model import metrics, motion_features

DT = 1.0 / 60


# ----------------------------------------------------------------------------- motions


def rest_pose() -> np.ndarray:
    """The SMPL rest pose (24, 3), y-up, pelvis at 0.9 m."""
    pos = np.zeros((24, 3))
    for j, parent in enumerate(SMPL_PARENTS):
        pos[j] = (pos[parent] if parent >= 0 else np.array([0.0, 0.9, 0.0])) + SMPL_OFFSETS[j]
    return pos


def random_motion(frames: int, seed: int = 0, offset=(0.3, 0.0, -0.2)) -> np.ndarray:
    """A jittering body that drifts: rest pose + smooth random walk per joint + root drift."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=0.02, size=(frames, 24, 3)), axis=0)
    drift = np.linspace(0, 1, frames)[:, None, None] * rng.normal(scale=0.5, size=(1, 1, 3))
    return rest_pose()[None] + walk + drift + np.asarray(offset)


def still_motion(frames: int) -> np.ndarray:
    return np.repeat(rest_pose()[None], frames, axis=0) + np.array([0.4, 0.0, 1.5])


# ----------------------------------------------------------------------------- loop reference


def ref_kinetic(positions: np.ndarray, frame_time: float = DT, precedence_slip: bool = True) -> np.ndarray:
    """AIST++ kinetic features, one frame and one joint at a time (window 2, y up)."""
    t, joints = positions.shape[:2]

    def mean_velocity(i, j):  # summed displacements over the window, and how many
        total, count = np.zeros(3), 0
        for k in range(i - 2, i + 3):
            if k - 1 < 0 or k >= t:
                continue
            total = total + (positions[k][j] - positions[k - 1][j])
            count += 1
        return total, count

    def mean_acceleration(i, j):
        total, count = np.zeros(3), 0
        for k in range(i - 2, i + 3):
            if k - 1 < 0 or k + 1 >= t:
                continue
            after = (positions[k + 1][j] - positions[k][j]) / frame_time
            if precedence_slip:
                before = positions[k][j] - positions[k - 1][j] / frame_time
            else:
                before = (positions[k][j] - positions[k - 1][j]) / frame_time
            total = total + (after - before) / frame_time
            count += 1
        return np.linalg.norm(total / count)

    out = []
    for j in range(joints):
        horizontal = vertical = expenditure = 0.0
        for i in range(1, t):
            total, count = mean_velocity(i, j)
            horizontal += np.linalg.norm(np.array([total[0], total[2]]) / (count * frame_time)) ** 2
            vertical += np.linalg.norm(np.array([total[1]]) / (count * frame_time)) ** 2
            expenditure += mean_acceleration(i, j)
        out += [horizontal / (t - 1.0), vertical / (t - 1.0), expenditure / (t - 1.0)]
    return np.array(out, dtype=np.float32)


NAMES = list(motion_features._MANUAL_JOINTS)
HL = np.linalg.norm(
    np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
    - np.array([4.54445392e-01, 2.21158922e-01, -4.10167128e-02])
)
SW = np.linalg.norm(
    np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
    - np.array([-1.91692337e-01, 2.36928746e-01, -1.23055102e-02])
)
HW = np.linalg.norm(
    np.array([5.64076714e-02, -3.23069185e-01, 1.09197125e-02])
    - np.array([-6.24834076e-02, -3.31302464e-01, 1.50412619e-02])
)


def ref_geometric(positions: np.ndarray) -> np.ndarray:
    """AIST++ manual features, one frame and one predicate at a time."""
    tpf = 1 / 120

    rows = []
    for f in range(1, positions.shape[0]):
        frame, last = positions[f], positions[f - 1]

        def p(name):
            if name == "zero":
                return np.zeros(3)
            if name == "y_unit":
                return np.array([0.0, 1.0, 0.0])
            if name == "minus_y_unit":
                return np.array([0.0, -1.0, 0.0])
            if name == "y_min":
                return np.array([0.0, min(y for (_, y, _) in frame), 0.0])
            return frame[NAMES.index(name)]

        def q(name):
            return last[NAMES.index(name)]

        def move(j1, j2, j3, j4, th):  # the reference passes j3 as the moving point
            v = (p(j3) - p(j1)) - (q(j3) - q(j1))
            d = p(j2) - p(j1)
            return np.dot(v, d) / np.linalg.norm(d) / tpf > th

        def nmove(j1, j2, j3, j4, th):
            v = (p(j4) - p(j1)) - (q(j4) - q(j1))
            d = np.cross(p(j3) - p(j1), p(j2) - p(j1))
            return np.dot(v, d) / np.linalg.norm(d) / tpf > th

        def plane(a, b, c, x, th):
            n = np.cross(p(c) - p(a), p(b) - p(a))
            return np.dot(n, p(x) - p(a)) / np.linalg.norm(n) > th

        def nplane(n1, n2, a, x, th):
            n = p(n2) - p(n1)
            return np.dot(n, p(x) - p(a)) / np.linalg.norm(n) > th

        def angle(j1, j2, k1, k2, rng):
            u, v = p(j2) - p(j1), p(k2) - p(k1)
            deg = np.degrees(np.arccos(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))))
            return bool(rng[0] < deg < rng[1])

        def fast(j, th):
            return np.linalg.norm(p(j) - q(j)) / tpf > th

        rows.append(
            [
                nmove("neck", "rhip", "lhip", "rwrist", 1.8 * HL),
                nmove("neck", "lhip", "rhip", "lwrist", 1.8 * HL),
                nplane("chest", "neck", "neck", "rwrist", 0.2 * HL),
                nplane("chest", "neck", "neck", "lwrist", 0.2 * HL),
                move("belly", "chest", "chest", "rwrist", 1.8 * HL),
                move("belly", "chest", "chest", "lwrist", 1.8 * HL),
                angle("relbow", "rshoulder", "relbow", "rwrist", [0, 110]),
                angle("lelbow", "lshoulder", "lelbow", "lwrist", [0, 110]),
                nplane("lshoulder", "rshoulder", "lwrist", "rwrist", 2.5 * SW),
                move("lwrist", "rwrist", "rwrist", "lwrist", 1.4 * HL),
                move("rwrist", "root", "lwrist", "root", 1.4 * HL),
                move("lwrist", "root", "rwrist", "root", 1.4 * HL),
                fast("rwrist", 2.5 * HL),
                fast("lwrist", 2.5 * HL),
                plane("root", "lhip", "ltoes", "rankle", 0.38 * HL),
                plane("root", "rhip", "rtoes", "lankle", 0.38 * HL),
                nplane("zero", "y_unit", "y_min", "rankle", 1.2 * HL),
                nplane("zero", "y_unit", "y_min", "lankle", 1.2 * HL),
                nplane("lhip", "rhip", "lankle", "rankle", 2.1 * HW),
                angle("rknee", "rhip", "rknee", "rankle", [0, 110]),
                angle("lknee", "lhip", "lknee", "lankle", [0, 110]),
                fast("rankle", 2.5 * HL),
                fast("lankle", 2.5 * HL),
                angle("neck", "root", "rshoulder", "relbow", [25, 180]),
                angle("neck", "root", "lshoulder", "lelbow", [25, 180]),
                angle("neck", "root", "rhip", "rknee", [50, 180]),
                angle("neck", "root", "lhip", "lknee", [50, 180]),
                plane("rankle", "neck", "lankle", "root", 0.5 * HL),
                angle("neck", "root", "zero", "y_unit", [70, 110]),
                nplane("zero", "minus_y_unit", "y_min", "rwrist", -1.2 * HL),
                nplane("zero", "minus_y_unit", "y_min", "lwrist", -1.2 * HL),
                fast("root", 2.3 * HL),
            ]
        )
    return np.array(rows, dtype=np.float32).mean(axis=0)


def zero_started(positions):
    return positions - positions[:1, :1, :]


# ----------------------------------------------------------------------------- kinetic features


@pytest.mark.parametrize("frames", [3, 4, 7, 30])
def test_kinetic_features_equal_the_loop_reference_with_the_precedence_slip(frames):
    motion = random_motion(frames, seed=frames)
    got = metrics.kinetic_features(motion)
    want = ref_kinetic(zero_started(motion))
    assert got.dtype == np.float32 and got.shape == (72,)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=0)


def test_kinetic_features_corrected_equal_the_loop_reference_without_the_slip():
    motion = random_motion(25, seed=3)
    got = metrics.kinetic_features(motion, reference=False)
    np.testing.assert_allclose(got, ref_kinetic(zero_started(motion), precedence_slip=False), rtol=2e-6)
    # The slip changes exactly the energy-expenditure dimensions (every third), and by a lot.
    slipped = metrics.kinetic_features(motion)
    np.testing.assert_array_equal(slipped.reshape(24, 3)[:, :2], got.reshape(24, 3)[:, :2])
    assert np.all(np.abs(slipped.reshape(24, 3)[:, 2] - got.reshape(24, 3)[:, 2]) > 1.0)


def test_kinetic_reference_depends_on_position_so_the_start_root_is_subtracted():
    motion = random_motion(20, seed=4)
    moved = motion + np.array([2.0, 0.0, -3.0])
    # Subtracting the frame-0 root makes both the same motion ...
    np.testing.assert_allclose(metrics.kinetic_features(moved), metrics.kinetic_features(motion), rtol=1e-5)
    # ... without it the slipped expenditure follows the absolute position ...
    raw = metrics.kinetic_features(moved, subtract_start_root=False)
    np.testing.assert_allclose(raw, ref_kinetic(moved), rtol=2e-6)
    assert not np.allclose(raw, metrics.kinetic_features(motion, subtract_start_root=False), rtol=1e-3)
    # ... and the corrected acceleration does not care.
    np.testing.assert_allclose(
        metrics.kinetic_features(moved, reference=False, subtract_start_root=False),
        metrics.kinetic_features(motion, reference=False, subtract_start_root=False),
        rtol=1e-4,
        atol=1e-3,
    )


def test_kinetic_features_of_a_body_at_rest():
    motion = still_motion(10)
    corrected = metrics.kinetic_features(motion, reference=False).reshape(24, 3)
    np.testing.assert_array_equal(corrected, 0.0)
    slipped = metrics.kinetic_features(motion).reshape(24, 3)
    np.testing.assert_array_equal(slipped[:, :2], 0.0)  # no velocity, no kinetic energy
    # The slip turns position into "acceleration": at rest (after zero-start) it is
    # |p (1 - 1/dt) / dt| per frame, with p the joint's position relative to the root.
    rel = np.linalg.norm(rest_pose() - rest_pose()[0], axis=1)
    np.testing.assert_allclose(slipped[:, 2], rel * abs(1 - 60.0) * 60.0, rtol=1e-6)


def test_kinetic_features_constant_velocity_closed_form():
    # Every joint moves at (0.6, 0.3, -0.8) m/s: horizontal energy |(0.6, -0.8)|^2 = 1, vertical 0.09.
    t = 12
    motion = still_motion(t) + np.arange(t)[:, None, None] * DT * np.array([0.6, 0.3, -0.8])
    feats = metrics.kinetic_features(motion, reference=False).reshape(24, 3)
    np.testing.assert_allclose(feats[:, 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(feats[:, 1], 0.09, rtol=1e-6)
    np.testing.assert_allclose(feats[:, 2], 0.0, atol=1e-6)


def test_kinetic_features_need_three_frames():
    with pytest.raises(ValueError, match="at least 3 frames"):
        metrics.kinetic_features(random_motion(2))


# ----------------------------------------------------------------------------- geometric features


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_geometric_features_equal_the_loop_reference(seed):
    motion = random_motion(40, seed=seed)
    got = metrics.geometric_features(motion)
    want = ref_geometric(zero_started(motion))
    assert got.dtype == np.float32 and got.shape == (32,)
    np.testing.assert_array_equal(got, want)
    assert 0 < np.count_nonzero(got) < 32  # a motion that exercises both outcomes


def test_geometric_features_of_fast_motion_equal_the_loop_reference():
    rng = np.random.default_rng(7)
    motion = random_motion(30, seed=7) + np.cumsum(rng.normal(scale=0.08, size=(30, 24, 3)), axis=0)
    np.testing.assert_array_equal(metrics.geometric_features(motion), ref_geometric(zero_started(motion)))


def test_geometric_features_of_a_body_at_rest():
    feats = metrics.geometric_features(still_motion(5))
    np.testing.assert_array_equal(feats, ref_geometric(zero_started(still_motion(5))))
    moving = [0, 1, 4, 5, 9, 10, 11, 12, 13, 21, 22, 31]  # velocity predicates: never above a threshold
    np.testing.assert_array_equal(feats[moving], 0.0)
    # The rest pose is upright: the spine is vertical (index 28 tests 70 < angle < 110 degrees).
    assert feats[28] == 0.0
    assert set(np.unique(feats)) <= {0.0, 1.0}


def test_geometric_features_are_translation_invariant_and_ignore_f_move_fourth_joint():
    motion = random_motion(25, seed=5)
    np.testing.assert_array_equal(
        metrics.geometric_features(motion), metrics.geometric_features(motion, subtract_start_root=False)
    )
    feats = metrics.geometric_features(motion)
    assert feats[4] == feats[5]  # f_move("belly", "chest", "chest", r/l wrist): the wrist is unused


# ----------------------------------------------------------------------------- FID and diversity


def test_normalize_uses_ground_truth_mean_and_population_std():
    gt = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    pred = np.array([[2.0, 3.0]])
    pred_n, gt_n = metrics.normalize_features(pred, gt)
    std = math.sqrt(8 / 3)  # ddof 0
    np.testing.assert_allclose(gt_n[:, 0], np.array([-2, 0, 2]) / (std + 1e-10))
    np.testing.assert_allclose(pred_n, [[0.0, 2.0 / 1e-10]])  # a constant column divides by 1e-10


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    want = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0
    assert metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-9)


def test_frechet_distance_closed_form_for_rotated_gaussians():
    # S2 = R S1 R^T with the same eigenvalues: tr sqrt(S1 S2) has no simple form unless they commute,
    # so take commuting S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T.
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 8.0, 3.0, 1.0])
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    want = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert metrics.frechet_distance(np.zeros(4), s1, np.zeros(4), s2) == pytest.approx(want, rel=1e-8)


def test_fid_of_a_set_with_itself_is_zero():
    feats = np.random.default_rng(1).normal(size=(50, 6))
    assert abs(metrics.fid(feats, feats)) < 1e-8
    assert abs(metrics.feature_scores(feats, feats)["fid"]) < 1e-8


def test_fid_of_an_affine_copy_equals_the_closed_form():
    # Y = c X + m: sample covariance c^2 S (ddof 1 in both), so FID = |mean diff|^2 + (1 - c)^2 tr S.
    x = np.random.default_rng(2).normal(size=(40, 5)) @ np.diag([1.0, 2.0, 0.5, 1.5, 3.0])
    c, m = 1.7, np.array([0.5, -1.0, 0.0, 2.0, 0.3])
    y = c * x + m
    s = np.cov(x, rowvar=False)
    mean_diff = (c - 1) * x.mean(axis=0) + m
    want = mean_diff @ mean_diff + (1 - c) ** 2 * np.trace(s)
    assert metrics.fid(y, x) == pytest.approx(want, rel=1e-8)
    # With the ground truth's normalisation: X' has zero mean and sample variance n/(n-1) per
    # dimension (population std 1), Y' = c X' + ((c-1) mean + m) / std.
    n, std = len(x), x.std(axis=0) + 1e-10
    shift = ((c - 1) * x.mean(axis=0) + m) / std
    want_normalised = shift @ shift + (1 - c) ** 2 * 5 * n / (n - 1)
    assert metrics.feature_scores(y, x)["fid"] == pytest.approx(want_normalised, rel=1e-7)


def test_fid_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        metrics.fid(np.zeros((1, 3)), np.zeros((5, 3)))


def test_diversity_of_known_points():
    assert metrics.diversity([[0.0, 0.0], [3.0, 4.0]]) == pytest.approx(5.0)
    # Three points: distances 5, 5 and 6 -> mean 16/3 (all pairs, no sampling).
    assert metrics.diversity([[0.0, 0.0], [3.0, 4.0], [-3.0, 4.0]]) == pytest.approx(16 / 3)


def test_diversity_is_reported_on_ground_truth_normalised_predictions():
    gt = np.array([[0.0], [2.0], [4.0], [6.0]])  # mean 3, population std sqrt(5)
    pred = np.array([[0.0], [10.0]])
    scores = metrics.feature_scores(pred, gt)
    assert scores["div"] == pytest.approx(10.0 / (math.sqrt(5) + 1e-10))
    assert scores["div_gt"] == pytest.approx((2 + 4 + 6 + 2 + 4 + 2) / 6 / math.sqrt(5))


# ----------------------------------------------------------------------------- BAS


def wave_motion(frames: int, period: int) -> np.ndarray:
    """Every joint moves along x by 1 + cos(2 pi (i + 1/2 - period/2) / period) cm per frame:
    speed minima (and smoothed-speed minima, by symmetry) at i = period * k."""
    i = np.arange(frames - 1)
    step = 0.01 * (1 + np.cos(2 * np.pi * (i - period / 2) / period))
    x = np.concatenate([[0.0], np.cumsum(step)])
    return still_motion(frames) + x[:, None, None] * np.array([1.0, 0.0, 0.0])


def test_motion_beats_sit_at_the_speed_minima():
    beats = metrics.motion_beats(wave_motion(161, 20))
    np.testing.assert_array_equal(beats, [20, 40, 60, 80, 100, 120, 140])


def test_bas_is_one_when_music_beats_sit_on_motion_beats():
    motion = wave_motion(161, 20)
    assert metrics.beat_align_score(motion, [20, 40, 60, 80, 100, 120, 140]) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_bas_of_beats_offset_by_k_frames(k):
    motion = wave_motion(161, 20)
    beats = np.array([20, 40, 60, 80, 100, 120, 140]) + k
    assert metrics.beat_align_score(motion, beats) == pytest.approx(math.exp(-(k**2) / 18))


def test_bas_drops_music_beats_at_or_after_the_last_speed_index():
    motion = wave_motion(161, 20)  # 160 speeds, indices 0..159
    score = metrics.beat_align_score(motion, [20, 40, 60, 160, 175])
    assert score == pytest.approx(1.0)
    kept = metrics.beat_align_score(motion, [20, 40, 60, 159])  # 159 is kept: 19 frames from 140
    assert kept == pytest.approx((3 + math.exp(-(19**2) / 18)) / 4)


def test_bas_of_a_body_at_rest_is_undefined():
    assert metrics.motion_beats(still_motion(100)).size == 0
    assert metrics.beat_align_score(still_motion(100), [10, 20, 30]) is None


def test_bas_without_music_beats_in_range_is_undefined():
    assert metrics.beat_align_score(wave_motion(161, 20), [160, 200]) is None


def naive_motion_beats(motion: np.ndarray, sigma: float = 5.0) -> list[int]:
    """Gaussian smoothing by hand (reflect padding, radius int(4 sigma + 0.5)) and strict minima."""
    speed = [np.mean(np.linalg.norm(motion[i + 1] - motion[i], axis=1)) for i in range(len(motion) - 1)]
    n, radius = len(speed), int(4 * sigma + 0.5)
    weights = [math.exp(-(x * x) / (2 * sigma * sigma)) for x in range(-radius, radius + 1)]
    total = sum(weights)

    def reflect(i):  # scipy's "reflect": (d c b a | a b c d | d c b a)
        while i < 0 or i >= n:
            i = -i - 1 if i < 0 else 2 * n - i - 1
        return i

    smooth = [
        sum(w * speed[reflect(i + o)] for w, o in zip(weights, range(-radius, radius + 1))) / total for i in range(n)
    ]
    return [i for i in range(1, n - 1) if smooth[i] < smooth[i - 1] and smooth[i] < smooth[i + 1]]


def test_motion_beats_match_a_hand_written_smoothing_on_a_random_motion():
    motion = random_motion(90, seed=11)
    assert metrics.motion_beats(motion).tolist() == naive_motion_beats(motion)


# ----------------------------------------------------------------------------- PFC


def foot_motion_zup(frames: int) -> np.ndarray:
    return np.zeros((frames, 24, 3))


def test_pfc_zero_when_one_foot_is_planted():
    rng = np.random.default_rng(0)
    motion = np.cumsum(rng.normal(scale=0.05, size=(20, 24, 3)), axis=0)
    motion[:, 7] = motion[0, 7]  # left ankle planted: the left side's min speed is 0
    assert metrics.physical_foot_contact(motion, fps=30, up_axis="z") == 0.0


def test_pfc_zero_when_the_root_is_still():
    # EDGE divides 0 by 0 here (NaN); we return 0.
    rng = np.random.default_rng(1)
    motion = np.cumsum(rng.normal(scale=0.05, size=(20, 24, 3)), axis=0)
    motion[:, 0] = 0.0
    assert metrics.physical_foot_contact(motion, fps=30, up_axis="z") == 0.0


def test_pfc_hand_computed():
    # z-up, 30 fps, 4 frames. Root x: 0, 0, 1, 3 and z: 0, 0, 0, 2.
    # v = (0,0), (1,0), (2,2) per frame * 30; a = (1,0), (1,2) * 900 (z >= 0 kept);
    # |a| = 900, 900 sqrt(5) -> normalised 1/sqrt(5), 1.
    m = foot_motion_zup(4)
    m[:, 0, 0] = [0, 0, 1, 3]
    m[:, 0, 2] = [0, 0, 0, 2]
    # Horizontal steps (x, y) per frame for frames 1->2 and 2->3; the 0->1 step and z are ignored.
    steps = {
        7: [(0.1, 0.0), (0.0, 0.05)],
        10: [(0.0, 0.3), (0.2, 0.0)],
        8: [(0.2, 0.0), (0.0, 0.3)],
        11: [(0.0, 0.4), (0.1, 0.0)],
    }
    for joint, (s1, s2) in steps.items():
        m[1, joint, :2] = (5.0, 5.0)  # an irrelevant jump from frame 0
        m[2, joint, :2] = m[1, joint, :2] + s1
        m[3, joint, :2] = m[2, joint, :2] + s2
        m[:, joint, 2] = [0.0, 0.3, -0.2, 0.7]  # vertical foot motion does not count
    # left min: 0.1, 0.05; right min: 0.2, 0.1
    want = (0.1 * 0.2 / math.sqrt(5) + 0.05 * 0.1 * 1.0) / 2 * 10000
    assert metrics.physical_foot_contact(m, fps=30, up_axis="z") == pytest.approx(want, rel=1e-9)


def test_pfc_clamps_downward_root_acceleration():
    m = foot_motion_zup(4)
    m[:, 0, 2] = [0, 0, -1, -3]  # accelerating downwards: clamped to 0, then |a| = 0 everywhere ...
    m[:, 0, 0] = [0, 0, 0, 1]  # ... except the x part of the last frame
    for joint in (7, 10, 8, 11):
        m[:, joint, 0] = [0, 0, 0.1, 0.3]  # steps 0.1 then 0.2
    want = (0 + 0.2 * 0.2 * 1.0) / 2 * 10000
    assert metrics.physical_foot_contact(m, fps=30, up_axis="z") == pytest.approx(want)


def test_pfc_y_up_input_is_rotated_to_z_up():
    np.testing.assert_array_equal(metrics.y_up_to_z_up(np.array([1.0, 2.0, 3.0])), [1.0, -3.0, 2.0])
    rng = np.random.default_rng(2)
    yup = np.cumsum(rng.normal(scale=0.05, size=(16, 24, 3)), axis=0)
    zup = metrics.y_up_to_z_up(yup)
    assert metrics.physical_foot_contact(yup, fps=30) == pytest.approx(
        metrics.physical_foot_contact(zup, fps=30, up_axis="z")
    )
    # Up really is y: moving the root up and down in y changes the clamp, in z it would not.
    assert metrics.physical_foot_contact(yup, fps=30) != pytest.approx(
        metrics.physical_foot_contact(yup, fps=30, up_axis="z")
    )


def test_pfc_resamples_60_fps_to_edge_30():
    rng = np.random.default_rng(3)
    motion = np.cumsum(rng.normal(scale=0.02, size=(60, 24, 3)), axis=0)
    assert metrics.physical_foot_contact(motion, fps=60) == pytest.approx(
        metrics.physical_foot_contact(motion[::2], fps=30)
    )
    with pytest.raises(ValueError, match="multiple of 30"):
        metrics.physical_foot_contact(motion, fps=50)


# ----------------------------------------------------------------------------- all together


def test_dance_metrics_on_sets():
    gt = [random_motion(40, seed=s) for s in range(6)]
    pred = [random_motion(40, seed=100 + s) for s in range(4)]
    beats = [[10, 20, 30]] * 4
    out = metrics.dance_metrics(pred, gt, beats, ground_truth_beats=[[10, 20, 30]] * 6)
    assert set(out) >= {
        "fid_k",
        "fid_g",
        "div_k",
        "div_g",
        "div_k_gt",
        "div_g_gt",
        "bas",
        "bas_gt",
        "pfc",
        "pfc_gt",
        "num_predicted",
        "num_ground_truth",
    }
    kin_p = np.stack([metrics.kinetic_features(m) for m in pred])
    kin_g = np.stack([metrics.kinetic_features(m) for m in gt])
    assert out["fid_k"] == pytest.approx(metrics.feature_scores(kin_p, kin_g)["fid"])
    assert out["div_k"] == pytest.approx(metrics.feature_scores(kin_p, kin_g)["div"])
    scores = [metrics.beat_align_score(m, b) for m, b in zip(pred, beats)]
    scored = [s for s in scores if s is not None]
    assert out["bas"] == pytest.approx(np.mean(scored)) and out["bas_scored"] == len(scored)
    assert out["pfc"] == pytest.approx(np.mean([metrics.physical_foot_contact(m) for m in pred]))
    assert out["kinetic_acceleration"] == "reference"


def test_dance_metrics_report_unscored_motions_instead_of_zero():
    gt = [random_motion(40, seed=s) for s in range(3)]
    pred = [still_motion(40), random_motion(40, seed=9)]
    out = metrics.dance_metrics(pred, gt, [[10, 20], [10, 20]])
    assert out["bas_unscored"] == 1 and out["bas_scored"] == 1
    assert out["bas"] == pytest.approx(metrics.beat_align_score(pred[1], [10, 20]))
    out = metrics.dance_metrics([still_motion(40)] * 2, gt, [[10, 20]] * 2)
    assert out["bas"] is None and out["bas_unscored"] == 2
    assert metrics.dance_metrics(pred, gt)["bas"] is None  # no beats given


def test_joints_for_metrics_use_smpl_units():
    from rhythm.core.aist import Motion

    poses = np.zeros((3, 72))
    trans = np.array([[90.0, 85.0, 0.0]] * 3)
    joints = metrics.joints_for_metrics(Motion(poses, trans, scaling=100.0))
    np.testing.assert_allclose(joints[0, 0], np.array([0.9, 0.85, 0.0]) + SMPL_PELVIS_REST)  # pelvis: trans + J0
    np.testing.assert_allclose(joints[0, 7] - joints[0, 0], SMPL_OFFSETS[1] + SMPL_OFFSETS[4] + SMPL_OFFSETS[7])
