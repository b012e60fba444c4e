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

The kinetic and geometric features live in :mod:`rhythm.model.motion_features`; this module re-exports them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import linalg
from scipy.ndimage import gaussian_filter
from scipy.signal import argrelextrema

from rhythm.model.motion_features import (
    FPS,
    FRAME_TIME,
    KINETIC_SLIDING_WINDOW,
    _as_motion,
    geometric_features,
    kinetic_features,
    zero_start,
)

EDGE_FPS = 30  # EDGE trains, generates and scores PFC at 30 fps
NORMALIZE_EPS = 1e-10  # Bailando's ``normalize``: (x - mean) / (std + 1e-10)
FID_EPS = 1e-5  # Bailando's ``calc_fid``: diagonal offset when sqrtm of the product is not finite
BAS_SMOOTH_SIGMA = 5.0  # gaussian_filter(speed, 5) in Bailando's calc_db
BAS_TOLERANCE_SIGMA = 3.0  # exp(-d^2 / 2 / 9) in Bailando's BA
PFC_SCALE = 10000.0  # EDGE prints mean(scores) * 10000
PFC_FOOT_JOINTS = (7, 10, 8, 11)  # left ankle, left foot, right ankle, right foot


# ----------------------------------------------------------------------------- inputs


def joints_for_metrics(motion) -> np.ndarray:
    """SMPL joints ``(T, 24, 3)`` float64, y-up, metres, of an :class:`rhythm.core.aist.Motion`.

    Forward kinematics with ``smpl_trans / smpl_scaling`` and no scaling afterwards, the positions
    Bailando's ``_prepro_aistpp.py`` and EDGE's ``slice.py`` evaluate on.
    """
    from rhythm.core.skeleton import smpl_joints

    return smpl_joints(motion.poses, motion.trans / motion.scaling)


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
    music_beats: Sequence[Sequence[float] | np.ndarray] | None = None,
    *,
    ground_truth_beats: Sequence[Sequence[float] | np.ndarray] | None = None,
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
    geo = feature_scores(np.stack([geometric_features(m) for m in pred]), np.stack([geometric_features(m) for m in gt]))
    out: dict[str, Any] = {
        "fid_k": kin["fid"],
        "fid_g": geo["fid"],
        "div_k": kin["div"],
        "div_g": geo["div"],
        "div_k_gt": kin["div_gt"],
        "div_g_gt": geo["div_gt"],
    }
    for key, motions, beats in (("bas", pred, music_beats), ("bas_gt", gt, ground_truth_beats)):
        out.update(_mean_bas(key, motions, beats))
    out["pfc"] = float(np.mean([physical_foot_contact(m, fps) for m in pred]))
    out["pfc_gt"] = float(np.mean([physical_foot_contact(m, fps) for m in gt]))
    out.update(
        num_predicted=len(pred),
        num_ground_truth=len(gt),
        fps=fps,
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


__all__ = [
    "FPS",
    "FRAME_TIME",
    "EDGE_FPS",
    "NORMALIZE_EPS",
    "FID_EPS",
    "BAS_SMOOTH_SIGMA",
    "BAS_TOLERANCE_SIGMA",
    "PFC_SCALE",
    "PFC_FOOT_JOINTS",
    "KINETIC_SLIDING_WINDOW",
    "joints_for_metrics",
    "zero_start",
    "kinetic_features",
    "geometric_features",
    "normalize_features",
    "frechet_distance",
    "fid",
    "diversity",
    "feature_scores",
    "motion_speed",
    "motion_beats",
    "beat_align_score",
    "y_up_to_z_up",
    "physical_foot_contact",
    "dance_metrics",
]
