"""Dance-generation metrics as published on AIST++: FID_k, FID_g, Div_k, Div_g, BAS and PFC.

The numbers that FACT (AI Choreographer), Bailando, EDGE and later papers compare come from a few
small pieces of reference code. This module reproduces them, quirks included, so that our numbers
can sit in the same table. The references read (public repositories):

* AIST++ API, ``aist_plusplus/features/kinetic.py``, ``manual.py`` and ``utils.py`` (the kinetic
  and "manual" (geometric) features, themselves adapted from fairmotion's clustering features);
  Bailando ships copies as ``utils/features/{kinetic,manual_new,utils}.py``.
* Bailando, ``utils/metrics_new.py`` (``quantized_metrics``, ``normalize``, ``calc_fid``,
  ``calculate_avg_distance``, ``calc_diversity``, ``calc_and_save_feats``) and
  ``utils/beat_align_score.py`` (``calc_db``, ``BA``, ``calc_ba_score``); ``_prepro_aistpp.py``
  for the joint positions the features read.
* EDGE, ``eval/eval_pfc.py`` (``calc_physical_score``), and ``dataset/dance_dataset.py`` /
  ``data/slice.py`` for its z-up convention, units and 30 fps.

Input conventions (what the published numbers assume):

* Joint positions ``(T, 24, 3)`` of the SMPL joints, y-up, in SMPL units (metres): forward
  kinematics of ``smpl_poses`` with ``smpl_trans / smpl_scaling`` as Bailando's
  ``_prepro_aistpp.py`` and EDGE's ``slice.py`` do (:func:`joints_for_metrics`). Note that
  :func:`rhythm.motion.poses.smpl_joints` multiplies back by ``smpl_scaling`` (AIST++ centimetres): do not
  feed those here. Our joints come from the public rest offsets, not the licensed SMPL model's
  joint regressor, so absolute values differ slightly from papers' even where the code agrees.
* 60 fps (``frame_time = 1/60``) for the features and BAS; PFC resamples to EDGE's 30 fps.

Deliberate differences from the reference code are listed in each function's docstring; none
changes a value the reference defines, they only replace crashes or NaNs with clear answers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import linalg
from scipy.ndimage import gaussian_filter
from scipy.signal import argrelextrema

FPS = 60
FRAME_TIME = 1.0 / FPS
EDGE_FPS = 30  # EDGE trains, generates and scores PFC at 30 fps
NORMALIZE_EPS = 1e-10  # Bailando's ``normalize``: (x - mean) / (std + 1e-10)
FID_EPS = 1e-5  # Bailando's ``calc_fid``: diagonal offset when sqrtm of the product is not finite
BAS_SMOOTH_SIGMA = 5.0  # gaussian_filter(speed, 5) in Bailando's calc_db
BAS_TOLERANCE_SIGMA = 3.0  # exp(-d^2 / 2 / 9) in Bailando's BA
PFC_SCALE = 10000.0  # EDGE prints mean(scores) * 10000
PFC_FOOT_JOINTS = (7, 10, 8, 11)  # left ankle, left foot, right ankle, right foot
KINETIC_SLIDING_WINDOW = 2

# The joint names of the AIST++ API's manual.py, in SMPL order (index = SMPL joint index).
_MANUAL_JOINTS = (
    "root", "lhip", "rhip", "belly", "lknee", "rknee", "spine", "lankle", "rankle", "chest",
    "ltoes", "rtoes", "neck", "linshoulder", "rinshoulder", "head", "lshoulder", "rshoulder",
    "lelbow", "relbow", "lwrist", "rwrist", "lhand", "rhand",
)
_J = {name: i for i, name in enumerate(_MANUAL_JOINTS)}
# manual.py's body measures: distances between fixed SMPL rest-pose points (metres), written there
# as literal coordinates. Bailando's older utils/features/manual.py uses other points; its
# metrics_new.py imports manual_new.py, which has these.
_HUMERUS = float(np.linalg.norm(np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
                                - np.array([4.54445392e-01, 2.21158922e-01, -4.10167128e-02])))
_SHOULDER_WIDTH = float(np.linalg.norm(np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
                                       - np.array([-1.91692337e-01, 2.36928746e-01, -1.23055102e-02])))
_HIP_WIDTH = float(np.linalg.norm(np.array([5.64076714e-02, -3.23069185e-01, 1.09197125e-02])
                                  - np.array([-6.24834076e-02, -3.31302464e-01, 1.50412619e-02])))
# The manual features' velocities divide by a fixed 1/120 s (fairmotion's mocap rate), whatever the
# motion's frame rate: at 60 fps their speed thresholds are in effect doubled. Reproduced as is.
_MANUAL_TIME_PER_FRAME = 1 / 120


# ----------------------------------------------------------------------------- inputs


def joints_for_metrics(motion) -> np.ndarray:
    """SMPL joints ``(T, 24, 3)`` float64, y-up, metres, of an :class:`rhythm.core.aist.Motion`.

    Forward kinematics with ``smpl_trans / smpl_scaling`` and no scaling afterwards, the positions
    Bailando's ``_prepro_aistpp.py`` and EDGE's ``slice.py`` evaluate on.
    """
    from rhythm.core.skeleton import smpl_joints

    return smpl_joints(motion.poses, motion.trans / motion.scaling)


def _as_motion(joints: np.ndarray, min_frames: int, what: str) -> np.ndarray:
    arr = np.asarray(joints, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{what}: joints must be (T, J, 3), got shape {arr.shape}")
    if arr.shape[0] < min_frames:
        raise ValueError(f"{what}: needs at least {min_frames} frames, got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what}: joints contain NaN or inf")
    return arr


def zero_start(joints: np.ndarray) -> np.ndarray:
    """Subtract the frame-0 root position from every joint of every frame.

    Bailando's ``calc_and_save_feats`` does this before extracting features; it matters for the
    reference kinetic features (see :func:`kinetic_features`), not for the geometric ones.
    """
    arr = np.asarray(joints, dtype=np.float64)
    return arr - arr[:1, :1, :]


# ----------------------------------------------------------------------------- kinetic features


def kinetic_features(
    joints: np.ndarray,
    *,
    reference: bool = True,
    frame_time: float = FRAME_TIME,
    subtract_start_root: bool = True,
) -> np.ndarray:
    """The 72 kinetic features of a motion: per joint, horizontal and vertical kinetic energy and
    energy expenditure (average acceleration magnitude), ``float32``.

    Reproduces the AIST++ API's ``extract_kinetic_features`` (``features/kinetic.py`` with
    ``calc_average_velocity_horizontal``, ``calc_average_velocity_vertical`` and
    ``calc_average_acceleration`` from ``features/utils.py``; up axis y, sliding window 2), vectorised.
    For frame ``i`` in ``1..T-1`` the velocity averages the displacements ``p[k] - p[k-1]`` for
    ``k`` in ``[i-2, i+2] ∩ [1, T-1]`` and divides by ``count * frame_time``; the energies are the
    mean over those frames of the squared horizontal (x, z) and vertical (y) speed. The acceleration
    averages second differences for ``k`` in ``[i-2, i+2] ∩ [1, T-2]``; its norm is averaged over
    the same ``T-1`` frames.

    ``reference=True`` (default) keeps the reference's operator-precedence slip in that
    acceleration, ``v1 = p[k] - p[k-1] / frame_time`` (only the second position is divided), which
    the published FID_k numbers include: it makes the energy-expenditure dimensions depend on
    absolute position, hence the frame-0 root subtraction (``subtract_start_root``, Bailando's
    ``calc_and_save_feats``). ``reference=False`` computes the true second difference
    ``(p[k+1] - 2 p[k] + p[k-1]) / frame_time**2`` (the fix proposed in fairmotion PR #87 and
    reported as Bailando issue #46 and mint issue #62; some later copies of the code carry it).

    Arithmetic is float64 whatever the input dtype; the reference returns float32. Needs at least
    3 frames (with 2 the reference divides 0 by 0 and returns NaN energies; this raises).
    """
    pos = _as_motion(joints, 3, "kinetic_features")
    if subtract_start_root:
        pos = zero_start(pos)
    t = pos.shape[0]
    w = KINETIC_SLIDING_WINDOW
    frames = np.arange(1, t)  # i = 1..T-1

    # Windowed sums of displacements d[k] = p[k] - p[k-1], k in [i-w, i+w] ∩ [1, T-1].
    disp = np.zeros_like(pos)
    disp[1:] = pos[1:] - pos[:-1]
    vel_sum = np.zeros((t - 1,) + pos.shape[1:])
    vel_count = np.zeros(t - 1)
    for j in range(-w, w + 1):
        k = frames + j
        valid = (k - 1 >= 0) & (k < t)
        vel_sum += np.where(valid[:, None, None], disp[np.clip(k, 0, t - 1)], 0.0)
        vel_count += valid
    velocity = vel_sum / (vel_count * frame_time)[:, None, None]
    horizontal = np.sqrt(velocity[..., 0] ** 2 + velocity[..., 2] ** 2)
    vertical = np.abs(velocity[..., 1])
    energy_horizontal = np.sum(horizontal**2, axis=0) / (t - 1.0)
    energy_vertical = np.sum(vertical**2, axis=0) / (t - 1.0)

    # Second differences at k in [1, T-2]: v2 = (p[k+1] - p[k]) / dt, v1 as above, (v2 - v1) / dt.
    accel = np.zeros_like(pos)
    v2 = (pos[2:] - pos[1:-1]) / frame_time
    if reference:
        v1 = pos[1:-1] - pos[:-2] / frame_time
    else:
        v1 = (pos[1:-1] - pos[:-2]) / frame_time
    accel[1:-1] = (v2 - v1) / frame_time
    acc_sum = np.zeros((t - 1,) + pos.shape[1:])
    acc_count = np.zeros(t - 1)
    for j in range(-w, w + 1):
        k = frames + j
        valid = (k - 1 >= 0) & (k + 1 < t)
        acc_sum += np.where(valid[:, None, None], accel[np.clip(k, 0, t - 1)], 0.0)
        acc_count += valid
    acceleration = np.linalg.norm(acc_sum / acc_count[:, None, None], axis=-1)
    energy_expenditure = np.sum(acceleration, axis=0) / (t - 1.0)

    # Per joint: [horizontal, vertical, expenditure], joints in order -> (72,).
    return np.stack([energy_horizontal, energy_vertical, energy_expenditure], axis=1).reshape(-1).astype(
        np.float32
    )


# ----------------------------------------------------------------------------- geometric features


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def _norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(a * a, axis=-1))


def _velocity_along(rel_now, rel_prev, direction, threshold):
    # utils.velocity_direction_above_threshold[_normal]: the change of (p - j1) between frames,
    # projected on ``direction``, divided by the fixed 1/120 s frame time.
    velocity = rel_now - rel_prev
    along = _dot(velocity, direction) / _norm(direction)
    return along / _MANUAL_TIME_PER_FRAME > threshold


def geometric_features(joints: np.ndarray, *, subtract_start_root: bool = True) -> np.ndarray:
    """The 32 geometric ("manual") features of a motion: for each of 32 boolean pose/motion
    predicates, the fraction of frames ``1..T-1`` where it holds, ``float32``.

    Reproduces the AIST++ API's ``extract_manual_features`` (``features/manual.py``, the file
    Bailando ships as ``manual_new.py`` and its ``metrics_new.py`` imports) with the predicates of
    ``features/utils.py``, vectorised over frames, including these reference details:

    * ``f_move(j1, j2, j3, j4)`` measures the velocity of ``j3`` relative to ``j1`` along
      ``j2 - j1``; its fourth joint is unused.
    * velocities divide by a fixed 1/120 s, not the motion's frame time;
    * ``y_min`` is ``(0, min over joints of y, 0)`` in the current frame; angles are strict
      (``lo < angle < hi``) and an undefined angle (NaN) counts as false.
    * the body measures (humerus length, shoulder and hip width) are manual.py's constants.

    Arithmetic is float64; the mean over frames is taken in float32 as the reference does. Needs
    at least 2 frames (the reference would average an empty list).
    """
    pos = _as_motion(joints, 2, "geometric_features")
    if pos.shape[1] < 24:
        raise ValueError(f"geometric_features: needs the 24 SMPL joints, got {pos.shape[1]}")
    if subtract_start_root:
        pos = zero_start(pos)
    cur, prev = pos[1:], pos[:-1]
    n = cur.shape[0]
    hl, sw, hw = _HUMERUS, _SHOULDER_WIDTH, _HIP_WIDTH
    zero = np.zeros((n, 3))
    y_unit = np.broadcast_to(np.array([0.0, 1.0, 0.0]), (n, 3))
    minus_y_unit = -y_unit
    y_min = np.zeros((n, 3))
    y_min[:, 1] = cur[:, :, 1].min(axis=1)

    def at(name):  # position in the current frame
        return cur[:, _J[name]]

    def before(name):
        return prev[:, _J[name]]

    def move(j1, j2, j3, threshold):  # f_move(j1, j2, j3, j4): j4 unused by the reference
        direction = at(j2) - at(j1)
        return _velocity_along(at(j3) - at(j1), before(j3) - before(j1), direction, threshold)

    def nmove(j1, j2, j3, j4, threshold):  # f_nmove: along the normal of (j1, j2, j3)
        direction = np.cross(at(j3) - at(j1), at(j2) - at(j1))
        return _velocity_along(at(j4) - at(j1), before(j4) - before(j1), direction, threshold)

    def plane(a, b, c, p, threshold):  # f_plane: signed distance of p from the plane (a, b, c)
        a_, b_, c_, p_ = at(a), at(b), at(c), at(p)
        normal = np.cross(c_ - a_, b_ - a_)
        return _dot(normal, p_ - a_) / _norm(normal) > threshold

    def nplane(n1, n2, a, p, threshold):  # f_nplane: distance along n2 - n1 from the plane through a
        normal = n2 - n1
        return _dot(normal, p - a) / _norm(normal) > threshold

    def angle(j1, j2, k1, k2, lo, hi):  # f_angle: angle between j2 - j1 and k2 - k1, in degrees
        u, v = j2 - j1, k2 - k1
        degrees = np.degrees(np.arccos(_dot(u, v) / (_norm(u) * _norm(v))))
        return (degrees > lo) & (degrees < hi)

    def fast(name, threshold):  # f_fast
        return _norm(at(name) - before(name)) / _MANUAL_TIME_PER_FRAME > threshold

    # The 32 predicates in manual.py's order; degenerate geometry gives NaN, which compares false.
    with np.errstate(invalid="ignore", divide="ignore"):
        features = [
            nmove("neck", "rhip", "lhip", "rwrist", 1.8 * hl),
            nmove("neck", "lhip", "rhip", "lwrist", 1.8 * hl),
            nplane(at("chest"), at("neck"), at("neck"), at("rwrist"), 0.2 * hl),
            nplane(at("chest"), at("neck"), at("neck"), at("lwrist"), 0.2 * hl),
            move("belly", "chest", "chest", 1.8 * hl),
            move("belly", "chest", "chest", 1.8 * hl),
            angle(at("relbow"), at("rshoulder"), at("relbow"), at("rwrist"), 0, 110),
            angle(at("lelbow"), at("lshoulder"), at("lelbow"), at("lwrist"), 0, 110),
            nplane(at("lshoulder"), at("rshoulder"), at("lwrist"), at("rwrist"), 2.5 * sw),
            move("lwrist", "rwrist", "rwrist", 1.4 * hl),
            move("rwrist", "root", "lwrist", 1.4 * hl),
            move("lwrist", "root", "rwrist", 1.4 * hl),
            fast("rwrist", 2.5 * hl),
            fast("lwrist", 2.5 * hl),
            plane("root", "lhip", "ltoes", "rankle", 0.38 * hl),
            plane("root", "rhip", "rtoes", "lankle", 0.38 * hl),
            nplane(zero, y_unit, y_min, at("rankle"), 1.2 * hl),
            nplane(zero, y_unit, y_min, at("lankle"), 1.2 * hl),
            nplane(at("lhip"), at("rhip"), at("lankle"), at("rankle"), 2.1 * hw),
            angle(at("rknee"), at("rhip"), at("rknee"), at("rankle"), 0, 110),
            angle(at("lknee"), at("lhip"), at("lknee"), at("lankle"), 0, 110),
            fast("rankle", 2.5 * hl),
            fast("lankle", 2.5 * hl),
            angle(at("neck"), at("root"), at("rshoulder"), at("relbow"), 25, 180),
            angle(at("neck"), at("root"), at("lshoulder"), at("lelbow"), 25, 180),
            angle(at("neck"), at("root"), at("rhip"), at("rknee"), 50, 180),
            angle(at("neck"), at("root"), at("lhip"), at("lknee"), 50, 180),
            plane("rankle", "neck", "lankle", "root", 0.5 * hl),
            angle(at("neck"), at("root"), zero, y_unit, 70, 110),
            nplane(zero, minus_y_unit, y_min, at("rwrist"), -1.2 * hl),
            nplane(zero, minus_y_unit, y_min, at("lwrist"), -1.2 * hl),
            fast("root", 2.3 * hl),
        ]
    return np.stack(features, axis=1).astype(np.float32).mean(axis=0)


# ----------------------------------------------------------------------------- FID and diversity


def normalize_features(predicted: np.ndarray, ground_truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets scaled by the ground truth's mean and population std (ddof 0) plus 1e-10.

    Bailando's ``normalize(gt, pred)`` in ``metrics_new.py``. Returns ``(predicted, ground_truth)``.
    """
    pred = np.asarray(predicted, dtype=np.float64)
    gt = np.asarray(ground_truth, dtype=np.float64)
    if pred.ndim != 2 or gt.ndim != 2 or pred.shape[1] != gt.shape[1]:
        raise ValueError(f"feature sets must be (N, D) with the same D, got {pred.shape} and {gt.shape}")
    mean = gt.mean(axis=0)
    std = gt.std(axis=0)
    return (pred - mean) / (std + NORMALIZE_EPS), (gt - mean) / (std + NORMALIZE_EPS)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between two Gaussians: ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrt(S1 S2))``.

    As Bailando's ``calc_fid`` (from pytorch-fid): ``scipy.linalg.sqrtm`` of the product; if that
    is not finite, 1e-5 is added to both diagonals and it is taken again; the real part of the
    square root is used (Bailando keeps a complex value when the imaginary part is small and
    reports its real part: the same number). Singular covariances (fewer samples than dimensions)
    are common here; like the reference (``disp=False``) this does not warn about them.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    diff = mu1 - mu2
    with warnings.catch_warnings():  # the reference calls sqrtm(..., disp=False): no warning
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * FID_EPS
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def fid(predicted: np.ndarray, ground_truth: np.ndarray) -> float:
    """FID between two feature sets ``(N, D)``, without normalisation (see :func:`feature_scores`).

    Gaussian fits as Bailando's ``calc_fid``: ``np.mean(axis=0)`` and ``np.cov(rowvar=False)``,
    the *sample* covariance (ddof 1), unlike the normalisation's population std.
    """
    pred = np.asarray(predicted, dtype=np.float64)
    gt = np.asarray(ground_truth, dtype=np.float64)
    if len(pred) < 2 or len(gt) < 2:
        raise ValueError(f"FID needs at least 2 samples per set, got {len(pred)} and {len(gt)}")
    return frechet_distance(pred.mean(axis=0), np.cov(pred, rowvar=False), gt.mean(axis=0), np.cov(gt, rowvar=False))


def diversity(features: np.ndarray) -> float:
    """Mean Euclidean distance over all unordered pairs of a feature set ``(N, D)``.

    Bailando's ``calculate_avg_distance`` (what ``quantized_metrics`` reports as div_k / div_m):
    every pair ``i < j``, sum divided by ``N(N-1)/2``; no random subset. Its ``calc_diversity``
    (all ordered pairs over ``N(N-1)``) is the same number.
    """
    feats = np.asarray(features, dtype=np.float64)
    n = len(feats)
    if feats.ndim != 2 or n < 2:
        raise ValueError(f"diversity needs a (N, D) set with N >= 2, got shape {feats.shape}")
    i, j = np.triu_indices(n, k=1)
    return float(np.linalg.norm(feats[i] - feats[j], axis=1).sum() / ((n * n - n) / 2))


def feature_scores(predicted: np.ndarray, ground_truth: np.ndarray) -> dict[str, float]:
    """FID and diversity of one feature type, as Bailando's ``quantized_metrics``.

    Both sets are normalised with the ground truth's statistics (:func:`normalize_features`);
    ``fid`` compares them, ``div`` is the diversity of the normalised predicted set and ``div_gt``
    that of the normalised ground truth (Bailando's ``div_k_gt`` / ``div_m_gt``).
    """
    pred, gt = normalize_features(predicted, ground_truth)
    return {"fid": fid(pred, gt), "div": diversity(pred), "div_gt": diversity(gt)}


# ----------------------------------------------------------------------------- beat alignment


def motion_speed(joints: np.ndarray) -> np.ndarray:
    """``(T-1,)``: entry ``i`` is the mean over joints of the displacement from frame ``i`` to ``i+1``
    (per frame, not per second), as Bailando's ``calc_db``."""
    pos = _as_motion(joints, 2, "motion_speed")
    return np.mean(np.linalg.norm(pos[1:] - pos[:-1], axis=2), axis=1)


def motion_beats(joints: np.ndarray, smooth_sigma: float = BAS_SMOOTH_SIGMA) -> np.ndarray:
    """Kinematic beats: strict local minima of the smoothed speed (indices into the ``T-1`` speeds).

    Bailando's ``calc_db``: ``scipy.ndimage.gaussian_filter(speed, 5)`` (mode ``reflect``, truncate
    4) then ``argrelextrema(..., np.less)``: a value strictly below both neighbours; the first and
    last values never count, and flat stretches (a body at rest) have none.
    """
    smoothed = gaussian_filter(motion_speed(joints), smooth_sigma, mode="reflect")
    return argrelextrema(smoothed, np.less)[0]


def beat_align_score(
    joints: np.ndarray,
    music_beats: Sequence[float] | np.ndarray,
    *,
    smooth_sigma: float = BAS_SMOOTH_SIGMA,
    tolerance_sigma: float = BAS_TOLERANCE_SIGMA,
) -> float | None:
    """Bailando's Beat Align Score of one motion, or ``None`` when it has no score.

    Reproduces ``calc_ba_score`` / ``BA`` of Bailando's ``utils/beat_align_score.py``: motion beats
    from :func:`motion_beats` (speed smoothed with sigma 5 frames); music beats are frame indices at
    the motion's frame rate, and those at or beyond ``T-1`` are dropped (``get_mb(key, length)``
    keeps ``beats[:T-1]``); the score is the mean over music beats of
    ``exp(-d^2 / (2 * 3^2))``, ``d`` the distance in frames to the nearest motion beat. Two sigmas:
    5 frames smooths the speed, 3 frames is the tolerance inside the exponential (the issue's
    "sigma = 3 frames" is this one).

    Returns ``None`` (never 0) when the motion has no motion beat (a body at rest, or a speed that
    only rises or falls; the reference fails on ``np.min`` of an empty array) or when no music
    beat falls before ``T-1`` (the reference divides by zero).
    """
    pos = _as_motion(joints, 2, "beat_align_score")
    beats = np.asarray(music_beats, dtype=np.float64).reshape(-1)
    beats = beats[beats < pos.shape[0] - 1]
    dance = motion_beats(pos, smooth_sigma)
    if dance.size == 0 or beats.size == 0:
        return None
    nearest_sq = np.min((dance[None, :] - beats[:, None]) ** 2, axis=1)
    return float(np.mean(np.exp(-nearest_sq / (2.0 * tolerance_sigma**2))))


# ----------------------------------------------------------------------------- physical foot contact


def y_up_to_z_up(joints: np.ndarray) -> np.ndarray:
    """AIST++'s y-up positions in EDGE's z-up frame: ``(x, y, z) -> (x, -z, y)``.

    EDGE's ``dance_dataset.py`` rotates AIST++ by +90 degrees about x (``RotateAxisAngle(90, "X")``
    on the root position, the same quaternion on the root rotation) before forward kinematics, so
    its positions are this rotation of ours. The horizontal plane stays the same plane.
    """
    arr = np.asarray(joints, dtype=np.float64)
    return np.stack([arr[..., 0], -arr[..., 2], arr[..., 1]], axis=-1)


def physical_foot_contact(joints: np.ndarray, fps: int = FPS, *, up_axis: str = "y") -> float:
    """EDGE's Physical Foot Contact score (PFC) of one motion, times 10000 as EDGE reports it.

    Reproduces ``calc_physical_score`` of EDGE's ``eval/eval_pfc.py`` on z-up positions in metres
    at 30 fps: root acceleration ``a`` by double finite difference (``dt = 1/30``), its vertical
    component clamped at ``max(a_z, 0)``, its norm divided by its maximum over the motion; foot
    speeds are the horizontal (x, y) displacements from frame ``t+1`` to ``t+2`` (per frame, not
    divided by ``dt``) of joints 7, 10, 8, 11; the score is the mean over ``t`` of
    ``min(left ankle, left foot) * min(right ankle, right foot) * a``, times 10000. EDGE averages
    this over motions (:func:`dance_metrics` does too; EDGE samples 1000 files when it has more).

    Frame rate: ``dt`` cancels in the max-normalisation, but the foot speeds are per frame, so the
    score depends on the sampling rate (halving it roughly quadruples the score). Motions at ``fps``
    (a multiple of 30) are resampled to EDGE's 30 fps by keeping every ``fps/30``-th frame, as
    EDGE's dataset does. Units: metres (squared in the score).

    ``up_axis="y"`` (default) takes AIST++ y-up joints and rotates them with :func:`y_up_to_z_up`;
    ``"z"`` takes positions already in EDGE's frame.

    Deliberate difference: when the root never accelerates (the maximum is 0) EDGE divides 0 by 0
    and returns NaN; this returns 0.0 (nothing to support, so nothing violated).
    """
    if up_axis not in ("y", "z"):
        raise ValueError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    if fps < EDGE_FPS or fps % EDGE_FPS:
        raise ValueError(f"fps must be a multiple of {EDGE_FPS} (EDGE scores 30 fps motions), got {fps}")
    pos = _as_motion(joints, 3, "physical_foot_contact")
    if pos.shape[1] < 12:
        raise ValueError(f"physical_foot_contact: needs the SMPL joints (feet 7, 10, 8, 11), got {pos.shape[1]}")
    pos = pos[:: fps // EDGE_FPS]
    if pos.shape[0] < 3:
        raise ValueError(f"physical_foot_contact: needs at least 3 frames at {EDGE_FPS} fps, got {pos.shape[0]}")
    if up_axis == "y":
        pos = y_up_to_z_up(pos)
    dt = 1.0 / EDGE_FPS
    up, flat = 2, [0, 1]

    root_v = (pos[1:, 0] - pos[:-1, 0]) / dt
    root_a = (root_v[1:] - root_v[:-1]) / dt
    root_a[:, up] = np.maximum(root_a[:, up], 0.0)
    root_a = np.linalg.norm(root_a, axis=-1)
    scaling = root_a.max()
    if scaling == 0.0:
        return 0.0
    root_a = root_a / scaling

    feet = pos[:, list(PFC_FOOT_JOINTS)]
    foot_v = np.linalg.norm(feet[2:][..., flat] - feet[1:-1][..., flat], axis=-1)  # (S-2, 4)
    left = np.minimum(foot_v[:, 0], foot_v[:, 1])
    right = np.minimum(foot_v[:, 2], foot_v[:, 3])
    return float(np.mean(left * right * root_a) * PFC_SCALE)


# ----------------------------------------------------------------------------- everything


def dance_metrics(
    predicted: Sequence[np.ndarray],
    ground_truth: Sequence[np.ndarray],
    music_beats: Sequence[Sequence[float]] | None = None,
    *,
    ground_truth_beats: Sequence[Sequence[float]] | None = None,
    fps: int = FPS,
    reference: bool = True,
    max_frames: int | None = None,
) -> dict:
    """All metrics for a set of generated motions against a set of real ones.

    ``predicted`` and ``ground_truth``: sequences of ``(T_i, 24, 3)`` SMPL joints, y-up, metres, at
    ``fps`` (60 for the published numbers). ``music_beats[i]``: the music beat frames of
    ``predicted[i]`` (``beat_frames`` of ``beats/<music>.json``), for BAS; ``ground_truth_beats``
    likewise gives the ground truth's BAS. ``reference`` selects the kinetic features' reference
    acceleration (see :func:`kinetic_features`). ``max_frames`` keeps only the first frames of every
    motion: Bailando's ``calc_and_save_feats`` keeps 1200 (20 s) of each prediction.

    Returns a JSON-ready dict:

    * ``fid_k``, ``fid_g``, ``div_k``, ``div_g``, ``div_k_gt``, ``div_g_gt``: :func:`feature_scores`
      of the kinetic and geometric features (Bailando's ``fid_k``, ``fid_m``, ...);
    * ``bas``: mean :func:`beat_align_score` over the predicted motions that have one (Bailando's
      ``calc_ba_score`` averages all, and fails on a motion without one), ``bas_scored`` and
      ``bas_unscored`` the counts; ``None`` without ``music_beats`` or when none has a score;
      ``bas_gt`` etc. likewise for the ground truth;
    * ``pfc`` and ``pfc_gt``: mean :func:`physical_foot_contact`;
    * ``num_predicted``, ``num_ground_truth``, ``fps``, ``kinetic_acceleration``.
    """
    pred = [_as_motion(m, 3, f"predicted[{i}]")[:max_frames] for i, m in enumerate(predicted)]
    gt = [_as_motion(m, 3, f"ground_truth[{i}]")[:max_frames] for i, m in enumerate(ground_truth)]
    if len(pred) < 2 or len(gt) < 2:
        raise ValueError(f"need at least 2 predicted and 2 ground-truth motions, got {len(pred)} and {len(gt)}")
    frame_time = 1.0 / fps

    def kinetic(m):
        return kinetic_features(m, reference=reference, frame_time=frame_time)

    kin = feature_scores(np.stack([kinetic(m) for m in pred]), np.stack([kinetic(m) for m in gt]))
    geo = feature_scores(
        np.stack([geometric_features(m) for m in pred]), np.stack([geometric_features(m) for m in gt])
    )
    out = {
        "fid_k": kin["fid"], "fid_g": geo["fid"],
        "div_k": kin["div"], "div_g": geo["div"],
        "div_k_gt": kin["div_gt"], "div_g_gt": geo["div_gt"],
    }
    for key, motions, beats in (("bas", pred, music_beats), ("bas_gt", gt, ground_truth_beats)):
        out.update(_mean_bas(key, motions, beats))
    out["pfc"] = float(np.mean([physical_foot_contact(m, fps) for m in pred]))
    out["pfc_gt"] = float(np.mean([physical_foot_contact(m, fps) for m in gt]))
    out.update(
        num_predicted=len(pred), num_ground_truth=len(gt), fps=fps,
        kinetic_acceleration="reference" if reference else "corrected",
    )
    return out


def _mean_bas(key: str, motions: list[np.ndarray], beats) -> dict:
    if beats is None:
        return {key: None, f"{key}_scored": 0, f"{key}_unscored": 0}
    if len(beats) != len(motions):
        raise ValueError(f"{key}: {len(beats)} beat lists for {len(motions)} motions")
    scores = [beat_align_score(m, b) for m, b in zip(motions, beats)]
    scored = [s for s in scores if s is not None]
    return {
        key: float(np.mean(scored)) if scored else None,
        f"{key}_scored": len(scored),
        f"{key}_unscored": len(scores) - len(scored),
    }
