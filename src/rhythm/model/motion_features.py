"""The kinetic and geometric ("manual") features of a motion, as the AIST++ API extracts them.

FID_k / Div_k and FID_g / Div_g (:mod:`rhythm.model.metrics`) compare these per-motion feature
vectors; the references, input conventions and deliberate differences are described there. This
module also holds the joint-array check and the frame-0 root subtraction that every metric shares.
"""

from __future__ import annotations

import numpy as np

FPS = 60
FRAME_TIME = 1.0 / FPS
KINETIC_SLIDING_WINDOW = 2

# The joint names of the AIST++ API's manual.py, in SMPL order (index = SMPL joint index).
_MANUAL_JOINTS = (
    "root",
    "lhip",
    "rhip",
    "belly",
    "lknee",
    "rknee",
    "spine",
    "lankle",
    "rankle",
    "chest",
    "ltoes",
    "rtoes",
    "neck",
    "linshoulder",
    "rinshoulder",
    "head",
    "lshoulder",
    "rshoulder",
    "lelbow",
    "relbow",
    "lwrist",
    "rwrist",
    "lhand",
    "rhand",
)
_J = {name: i for i, name in enumerate(_MANUAL_JOINTS)}
# manual.py's body measures: distances between fixed SMPL rest-pose points (metres), written there
# as literal coordinates. Bailando's older utils/features/manual.py uses other points; its
# metrics_new.py imports manual_new.py, which has these.
_HUMERUS = float(
    np.linalg.norm(
        np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
        - np.array([4.54445392e-01, 2.21158922e-01, -4.10167128e-02])
    )
)
_SHOULDER_WIDTH = float(
    np.linalg.norm(
        np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
        - np.array([-1.91692337e-01, 2.36928746e-01, -1.23055102e-02])
    )
)
_HIP_WIDTH = float(
    np.linalg.norm(
        np.array([5.64076714e-02, -3.23069185e-01, 1.09197125e-02])
        - np.array([-6.24834076e-02, -3.31302464e-01, 1.50412619e-02])
    )
)
# The manual features' velocities divide by a fixed 1/120 s (fairmotion's mocap rate), whatever the
# motion's frame rate: at 60 fps their speed thresholds are in effect doubled. Reproduced as is.
_MANUAL_TIME_PER_FRAME = 1 / 120


# ----------------------------------------------------------------------------- inputs


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
    return np.stack([energy_horizontal, energy_vertical, energy_expenditure], axis=1).reshape(-1).astype(np.float32)


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
