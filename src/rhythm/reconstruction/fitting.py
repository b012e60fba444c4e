"""Fit the SMPL skeleton to 3D keypoints: joint rotations, root translation and a per-sequence scale.

AIST++'s ``motions`` come from fitting SMPL to ``keypoints3d``. This module fits the SMPL
*skeleton* (the kinematic tree with rest offsets) to COCO-17 keypoints and writes a motions pickle
in the AIST++ format, in the SMPL convention (:func:`rhythm.core.skeleton.smpl_joints`: the pelvis at
``smpl_trans + J0 * smpl_scaling``), so that the official AIST++ API, SMPL itself and
:func:`rhythm.motion.poses.smpl_joints` give back the fitted joints.

* **Skeleton.** By default the public neutral rest offsets of :mod:`rhythm.core.skeleton`, which need no
  licensed file. Users who have the SMPL model files can pass them (through the optional ``smplx``
  package, ``pip install smplx``) to fit their model's own rest skeleton, for any body shape
  ``betas``: see :func:`skeleton_from_smpl_model`. Only the skeleton is used, never the mesh.
* **Scale.** ``smpl_scaling`` turns SMPL's metres into keypoint units. It starts from the ratio of
  limb lengths (keypoints over skeleton) and is refined once the poses are known: with the poses
  fixed, the joints are linear in the scale and the root positions, a closed-form least squares.
* **Poses.** Frame by frame, each frame warm-started from the previous one, Levenberg-Marquardt
  on the keypoint distances with analytic Jacobians of the forward kinematics. Two priors keep it
  well-posed: a smoothness term pulls every joint rotation towards its value in the previous frame,
  and a regulariser pulls rotations towards zero, strongly for the joints COCO-17 cannot see
  (spine distribution and twist, collars, wrists, hands, ankles, feet) and weakly for the rest
  (limb twist about a straight bone).
* **Face.** COCO's nose, eyes and ears hang off the SMPL head joint at fixed offsets (as in
  :func:`rhythm.core.skeleton.smpl_to_coco17`); they set the head's and neck's rotation, at a lower weight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import without_timings, write_json, write_pickle
from rhythm.core.options import option
from rhythm.core.skeleton import (
    _COCO_FROM_SMPL,
    _FACE_OFFSETS,
    COCO_KEYPOINTS,
    SMPL_OFFSETS,
    SMPL_PARENTS,
    SMPL_PELVIS_REST,
)
from rhythm.reconstruction.so3 import _exp, _log, _log_jacobian_inv

NUM_JOINTS = 24
BODY_COCO = tuple(sorted(_COCO_FROM_SMPL))  # COCO indices 5..16: the keypoints SMPL has as joints
BODY_SMPL = tuple(_COCO_FROM_SMPL[c] for c in BODY_COCO)
FACE_COCO = (0, 1, 2, 3, 4)
HEAD = 15
# Limbs whose lengths set the first guess of the scale: (COCO a, COCO b) and (SMPL a, SMPL b).
_SCALE_LIMBS = (
    ((11, 13), (1, 4)),
    ((12, 14), (2, 5)),
    ((13, 15), (4, 7)),
    ((14, 16), (5, 8)),
    ((5, 7), (16, 18)),
    ((6, 8), (17, 19)),
    ((7, 9), (18, 20)),
    ((8, 10), (19, 21)),
)


@dataclass(frozen=True)
class Skeleton:
    """The SMPL kinematic tree's rest pose, in SMPL units (metres)."""

    offsets: np.ndarray  # (24, 3): each joint's rest position relative to its parent
    root: np.ndarray = field(default_factory=lambda: np.zeros(3))  # the pelvis's rest position
    name: str = "public SMPL neutral offsets"


# SMPL's pelvis rests at J0, so the fitted smpl_trans is the pelvis minus J0 * scaling: the SMPL
# convention of every motions pickle (rhythm.core.skeleton), which the official AIST++ data follows.
PUBLIC_SKELETON = Skeleton(SMPL_OFFSETS, SMPL_PELVIS_REST.copy())


def skeleton_from_smpl_model(
    model_path: str | Path, gender: str = "neutral", betas: np.ndarray | None = None
) -> Skeleton:
    """The rest skeleton of a licensed SMPL model, loaded with the optional ``smplx`` package.

    ``model_path`` is what ``smplx.create`` takes: a folder holding ``smpl/SMPL_NEUTRAL.pkl`` (or
    the file itself). The joints are the model's joint regressor applied to its rest mesh, shaped
    by ``betas``. The pelvis's rest position is kept in ``root``: the model rotates the body about
    it and adds ``smpl_trans`` to it, so the fitted ``smpl_trans`` is the pelvis minus ``root``.
    """
    path = Path(model_path)
    if not path.exists():
        raise RhythmInputError(path, "SMPL model not found")
    try:
        import smplx
    except ImportError:
        raise RhythmInputError(
            path,
            "fitting an SMPL model file needs the optional smplx package "
            "(pip install smplx); without it the public SMPL offsets are used",
        ) from None
    model = smplx.create(str(path), model_type="smpl", gender=gender)
    v_template = _numpy(model.v_template)
    if betas is not None:
        b = np.asarray(betas, np.float64).reshape(-1)
        shapedirs = _numpy(model.shapedirs)[..., : len(b)]
        v_template = v_template + shapedirs @ b
    joints = _numpy(model.J_regressor) @ v_template
    parents = _numpy(model.parents).astype(int)
    if joints.shape[0] < NUM_JOINTS or not np.array_equal(parents[1:NUM_JOINTS], SMPL_PARENTS[1:]):
        raise RhythmInputError(path, "not an SMPL body model (its joint tree differs from SMPL's 24 joints)")
    joints = joints[:NUM_JOINTS]
    offsets = np.zeros((NUM_JOINTS, 3))
    offsets[1:] = joints[1:] - joints[SMPL_PARENTS[1:]]
    return Skeleton(offsets, joints[0].copy(), f"SMPL model {path.name} ({gender})")


def _numpy(value) -> np.ndarray:
    """A torch tensor, a scipy sparse matrix or an array as a float64 numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if hasattr(value, "toarray"):
        value = value.toarray()
    return np.asarray(value, np.float64)


@dataclass(frozen=True)
class FitOptions:
    """``rhythm fit-smpl`` and the config's ``reconstruction.fitting:`` (:mod:`rhythm.core.options`)."""

    face_weight: float = option(0.5, "weight of the face keypoints against the body's", minimum=0)
    smooth_weight: float = option(5.0, "keypoint units per radian of change from the previous frame", minimum=0)
    root_smooth_weight: float = option(
        0.1, "per unit of root movement from the previous frame", cli=False, config=False
    )
    twist_weight: float = option(
        0.5, "per radian of rotation, for joints the keypoints do see", cli=False, config=False
    )
    spine_weight: float = option(
        3.0, "...for spine, neck and head (COCO sees their sum, not each)", cli=False, config=False
    )
    collar_weight: float = option(
        10.0, "...for the collars (the shoulders move with the spine too)", cli=False, config=False
    )
    first_iterations: int = option(
        40, "Levenberg-Marquardt steps for a frame fitted from a torso guess", cli=False, config=False
    )
    iterations: int = option(6, "...and for one warm-started from the previous frame", cli=False, config=False)
    scale_stride: int = option(10, "the scale is refined on a first fit of every N-th frame", cli=False, config=False)


# Joints whose rotation moves some COCO keypoint; the others (ankles, feet, wrists, hands) stay at
# zero rotation: nothing in COCO-17 could tell their rotation.
def _ancestors() -> np.ndarray:
    """(24, 24) mask: ancestors[j, k] when joint k is a strict ancestor of joint j."""
    out = np.zeros((NUM_JOINTS, NUM_JOINTS), bool)
    for j in range(1, NUM_JOINTS):
        out[j] = out[SMPL_PARENTS[j]]
        out[j, SMPL_PARENTS[j]] = True
    return out


_ANCESTORS = _ancestors()
_MOVES = np.zeros((17, NUM_JOINTS), bool)  # which joints' rotations move each COCO keypoint
for _coco, _smpl in _COCO_FROM_SMPL.items():
    _MOVES[_coco] = _ANCESTORS[_smpl]
_MOVES[list(FACE_COCO)] = _ANCESTORS[HEAD] | (np.arange(NUM_JOINTS) == HEAD)
ACTIVE = np.flatnonzero(_MOVES.any(axis=0))
_MOVES_ACTIVE = _MOVES[:, ACTIVE]


def _regularisation_weights(options: FitOptions) -> np.ndarray:
    """Per active joint, the pull towards zero rotation (keypoint units per radian)."""
    w = np.full(NUM_JOINTS, options.twist_weight)
    w[0] = 0.0  # the root's orientation is the dancer's facing: never pulled anywhere
    w[[3, 6, 9, 12, 15]] = options.spine_weight
    w[[13, 14]] = options.collar_weight
    return w[ACTIVE]


def _forward(rots: np.ndarray, root: np.ndarray, offsets: np.ndarray, face: np.ndarray):
    """Joint positions (..., 24, 3), global rotations (..., 24, 3, 3) and COCO keypoints (..., 17, 3)
    from local rotations (..., 24, 3, 3) and root positions (..., 3); leading axes are frames."""
    glob = np.empty(rots.shape)
    pos = np.empty(rots.shape[:-1])
    glob[..., 0, :, :], pos[..., 0, :] = rots[..., 0, :, :], root
    for j in range(1, NUM_JOINTS):
        p = SMPL_PARENTS[j]
        glob[..., j, :, :] = glob[..., p, :, :] @ rots[..., j, :, :]
        pos[..., j, :] = pos[..., p, :] + glob[..., p, :, :] @ offsets[j]
    coco = np.empty(rots.shape[:-3] + (17, 3))
    coco[..., BODY_COCO, :] = pos[..., BODY_SMPL, :]
    coco[..., FACE_COCO, :] = pos[..., HEAD, None, :] + face @ np.swapaxes(glob[..., HEAD, :, :], -1, -2)
    return pos, glob, coco


@dataclass
class _Frame:
    rots: np.ndarray  # (24, 3, 3) local rotations
    root: np.ndarray  # (3,) pelvis position, keypoint units


def _fit_frame(
    target: np.ndarray,
    weights: np.ndarray,
    start: _Frame,
    prev: _Frame | None,
    offsets: np.ndarray,
    face: np.ndarray,
    reg: np.ndarray,
    options: FitOptions,
    iterations: int,
) -> tuple[_Frame, float]:
    """Levenberg-Marquardt for one frame; returns the fitted frame and its data cost (sum of squares).

    Unknowns: a rotation increment per active joint (right-multiplied onto its local rotation) and
    the root translation. Costs: weighted squared keypoint distances, the smoothness towards
    ``prev`` and the regulariser towards zero rotation. The normal equations are assembled block by
    block: the priors only touch their own joint's 3x3 block.
    """
    n_act = len(ACTIVE)
    size = 3 * n_act + 3
    w = weights[:, None, None]

    def costs(frame: _Frame):
        pos, glob, coco = _forward(frame.rots, frame.root, offsets, face)
        phi = _log(frame.rots[ACTIVE])
        res = [np.sqrt(w[:, :, 0]) * (coco - target), reg[:, None] * phi]
        rel = None
        if prev is not None:
            rel = _log(np.swapaxes(prev.rots[ACTIVE], 1, 2) @ frame.rots[ACTIVE])
            res += [options.smooth_weight * rel, options.root_smooth_weight * (frame.root - prev.root)]
        return sum(float((r * r).sum()) for r in res), (pos, glob, coco, phi, rel)

    def normal_equations(frame: _Frame, state):
        pos, glob, coco, phi, rel = state
        # d keypoint / d increment of joint k = -[x - p_k]_x G_k: column c is G_k[:, c] x (x - p_k)
        diff = coco[:, None, :] - pos[None, ACTIVE, :]  # (17, K, 3)
        cols = np.cross(np.swapaxes(glob[ACTIVE], 1, 2)[None], diff[:, :, None, :])  # (17, K, c, xyz)
        jac: np.ndarray = np.zeros((17, 3, size))
        jac[:, :, : 3 * n_act] = (
            (np.swapaxes(cols, 2, 3) * _MOVES_ACTIVE[:, :, None, None]).transpose(0, 2, 1, 3).reshape(17, 3, 3 * n_act)
        )
        jac[:, :, 3 * n_act :] = np.eye(3)
        jac_w = (jac * w).reshape(51, size)
        jac = jac.reshape(51, size)
        hess = jac.T @ jac_w
        grad = jac_w.T @ (coco - target).ravel()
        blocks = [(reg[:, None, None] * _log_jacobian_inv(phi), reg[:, None] * phi)]
        if rel is not None:
            assert prev is not None  # rel is computed only against a previous frame
            blocks.append((options.smooth_weight * _log_jacobian_inv(rel), options.smooth_weight * rel))
            hess[3 * n_act :, 3 * n_act :] += options.root_smooth_weight**2 * np.eye(3)
            grad[3 * n_act :] += options.root_smooth_weight**2 * (frame.root - prev.root)
        idx = np.arange(3 * n_act).reshape(n_act, 3)
        for j_prior, r_prior in blocks:
            hess[idx[:, :, None], idx[:, None, :]] += np.swapaxes(j_prior, 1, 2) @ j_prior
            grad[: 3 * n_act] += (np.swapaxes(j_prior, 1, 2) @ r_prior[..., None]).ravel()
        return hess, grad

    def step(frame: _Frame, delta: np.ndarray) -> _Frame:
        rots = frame.rots.copy()
        rots[ACTIVE] = rots[ACTIVE] @ _exp(delta[: 3 * n_act].reshape(n_act, 3))
        return _Frame(rots, frame.root + delta[3 * n_act :])

    frame = start
    cost, state = costs(frame)
    damping = 1e-3
    for _ in range(iterations):
        hess, grad = normal_equations(frame, state)
        diag = np.diag(hess) + 1e-9
        while True:
            trial = step(frame, np.linalg.solve(hess + np.diag(damping * diag), -grad))
            trial_cost, trial_state = costs(trial)
            if trial_cost < cost or damping > 1e6:
                break
            damping *= 10
        if trial_cost >= cost:
            break
        frame, cost, state = trial, trial_cost, trial_state
        damping = max(damping / 10, 1e-7)
    coco = state[2]
    return frame, float((weights[:, None] * (coco - target) ** 2).sum())


def _torso_start(target: np.ndarray, offsets: np.ndarray, face: np.ndarray) -> _Frame:
    """A first guess for a frame from its torso: the rotation that best turns the rest pose's hips
    and shoulders onto the keypoints' (Kabsch), and the hips' midpoint as the root."""
    rots = np.tile(np.eye(3), (NUM_JOINTS, 1, 1))
    _, _, rest = _forward(rots, np.zeros(3), offsets, face)
    torso = [5, 6, 11, 12]
    seen = [i for i in torso if np.isfinite(target[i]).all()]
    if len(seen) < 3:
        raise ValueError("a frame to start from needs at least three of the shoulders and hips")
    a = rest[seen] - rest[seen].mean(0)
    b = target[seen] - target[seen].mean(0)
    u, _, vt = np.linalg.svd(b.T @ a)
    rot = u @ np.diag([1, 1, np.sign(np.linalg.det(u @ vt))]) @ vt
    rots[0] = rot
    return _Frame(rots, target[seen].mean(0) - rot @ rest[seen].mean(0))


def initial_scale(keypoints: np.ndarray, skeleton: Skeleton = PUBLIC_SKELETON) -> float:
    """Keypoint units per SMPL unit from limb lengths: the least-squares ratio of the median
    keypoint limb lengths to the skeleton's."""
    rest, _, _ = _forward(np.tile(np.eye(3), (NUM_JOINTS, 1, 1)), np.zeros(3), skeleton.offsets, _FACE_OFFSETS)
    observed: list[np.floating[Any]] = []
    template: list[np.floating[Any]] = []
    for (a, b), (sa, sb) in _SCALE_LIMBS:
        length = np.nanmedian(np.linalg.norm(keypoints[:, a] - keypoints[:, b], axis=-1))
        if np.isfinite(length):
            observed.append(length)
            template.append(np.linalg.norm(rest[sa] - rest[sb]))
    if not observed:
        raise ValueError("no limb is seen: cannot estimate the scale")
    obs, tpl = np.array(observed), np.array(template)
    return float(obs @ tpl / (tpl @ tpl))


def refine_scale(keypoints: np.ndarray, weights: np.ndarray, frames: list[_Frame], skeleton: Skeleton) -> float:
    """The scale that best fits the keypoints with the poses fixed (closed form).

    With the rotations fixed, every keypoint is ``root_t + scale * u_ti`` (u: the posed skeleton at
    unit scale, relative to the root), linear in the scale and each frame's root.
    """
    rots = np.stack([f.rots for f in frames])
    _, _, unit = _forward(rots, np.zeros((len(frames), 3)), skeleton.offsets, _FACE_OFFSETS)
    w = weights[..., None]
    total = np.maximum(w.sum(1, keepdims=True), 1e-12)
    u = unit - (w * unit).sum(1, keepdims=True) / total
    y = np.nan_to_num(keypoints) - (w * np.nan_to_num(keypoints)).sum(1, keepdims=True) / total
    return float((w * u * y).sum() / (w * u * u).sum())


def _fit_sequence(
    target: np.ndarray, weights: np.ndarray, scale: float, skeleton: Skeleton, options: FitOptions
) -> tuple[list[_Frame], np.ndarray]:
    """Fit the frames in order, each warm-started from and smoothed towards the previous one."""
    offsets, face = skeleton.offsets * scale, _FACE_OFFSETS * scale
    reg = _regularisation_weights(options)
    frames: list[_Frame] = []
    costs = np.zeros(len(target))
    for t in range(len(target)):
        prev = frames[-1] if frames else None
        if weights[t].sum() == 0:  # nothing seen: hold the previous pose
            frames.append(prev or _Frame(np.tile(np.eye(3), (NUM_JOINTS, 1, 1)), np.zeros(3)))
            continue
        if prev is None:
            start, iterations = (
                _torso_start(np.where(weights[t][:, None] > 0, target[t], np.nan), offsets, face),
                options.first_iterations,
            )
        else:
            start, iterations = prev, options.iterations
        frame, costs[t] = _fit_frame(target[t], weights[t], start, prev, offsets, face, reg, options, iterations)
        frames.append(frame)
    return frames, costs


@dataclass
class Fit:
    poses: np.ndarray  # (N, 72) axis-angle
    trans: np.ndarray  # (N, 3) smpl_trans, keypoint units (AIST++: already times the scaling)
    scaling: float
    joints: np.ndarray  # (N, 24, 3) fitted joint positions, keypoint units
    keypoints: np.ndarray  # (N, 17, 3) fitted COCO keypoints
    report: dict


def fit_skeleton(
    keypoints: np.ndarray, skeleton: Skeleton = PUBLIC_SKELETON, options: FitOptions = FitOptions()
) -> Fit:
    """Fit SMPL rotations, root translations and one scale to COCO-17 keypoints (N, 17, 3).

    The scale starts from limb lengths and is refined on a first fit of every ``scale_stride``-th
    frame; then every frame is fitted at that scale. NaN keypoints are ignored; a frame with none
    left keeps the previous frame's pose.
    """
    start_time = time.perf_counter()
    kp = np.asarray(keypoints, np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (17, 3):
        raise ValueError(f"keypoints have shape {kp.shape}, expected (N, 17, 3)")
    n = len(kp)
    weights = np.ones((n, 17))
    weights[:, list(FACE_COCO)] = options.face_weight
    weights[~np.isfinite(kp).all(-1)] = 0.0
    target = np.nan_to_num(kp)

    first_scale = initial_scale(kp, skeleton)
    sample = np.arange(0, n, options.scale_stride)
    coarse = FitOptions(**{**options.__dict__, "iterations": options.first_iterations // 2})
    sampled, _ = _fit_sequence(target[sample], weights[sample], first_scale, skeleton, coarse)
    scale = refine_scale(target[sample], weights[sample], sampled, skeleton)
    frames, _ = _fit_sequence(target, weights, scale, skeleton, options)

    rots = np.stack([f.rots for f in frames])
    roots = np.stack([f.root for f in frames])
    joints, _, fitted = _forward(rots, roots, skeleton.offsets * scale, _FACE_OFFSETS * scale)
    report = {
        "frames": n,
        "skeleton": skeleton.name,
        "scaling": round(scale, 4),
        "scaling_from_limbs": round(first_scale, 4),
        **keypoint_errors(fitted, kp),
        "seconds": round(time.perf_counter() - start_time, 2),
    }
    return Fit(_log(rots).reshape(n, 72), roots - skeleton.root * scale, scale, joints, fitted, report)


def keypoint_errors(fitted: np.ndarray, keypoints: np.ndarray) -> dict:
    """Distances between fitted and target keypoints (keypoint units): the mean per-joint position
    error over the COCO joints SMPL has (body), over the face points, and per body joint."""
    d = np.linalg.norm(fitted - keypoints, axis=-1)
    body = d[:, list(BODY_COCO)]
    return {
        "mpjpe_body": round(float(np.nanmean(body)), 3),
        "p95_body": round(float(np.nanpercentile(body, 95)), 3),
        "mpjpe_face": round(float(np.nanmean(d[:, list(FACE_COCO)])), 3),
        "per_joint": {COCO_KEYPOINTS[c]: round(float(np.nanmean(body[:, i])), 3) for i, c in enumerate(BODY_COCO)},
    }


def fit_file(
    keypoints3d: str | Path,
    out: str | Path,
    optim: bool = False,
    skeleton: Skeleton = PUBLIC_SKELETON,
    options: FitOptions = FitOptions(),
    report_out: str | Path | None = None,
) -> Fit:
    """Fit one keypoints3d pickle (``keypoints3d``, or ``keypoints3d_optim`` with ``optim``) and write
    the AIST++ motions pickle; ``smpl_loss`` is the body joints' mean distance to the keypoints."""
    kp = aist.load_keypoints3d(keypoints3d, optim=optim)
    try:
        fit = fit_skeleton(kp, skeleton, options)
    except ValueError as exc:
        raise RhythmInputError(keypoints3d, str(exc)) from None
    fit.report["keypoints3d"] = str(keypoints3d)
    fit.report["source_key"] = "keypoints3d_optim" if optim else "keypoints3d"
    write_pickle(
        out,
        {
            "smpl_poses": fit.poses,
            "smpl_trans": fit.trans,
            "smpl_scaling": np.array([fit.scaling]),
            "smpl_loss": fit.report["mpjpe_body"],
        },
    )
    if report_out is not None:
        write_json(report_out, without_timings(fit.report))
    return fit
