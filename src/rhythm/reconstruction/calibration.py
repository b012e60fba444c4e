"""Camera calibration by bundle adjustment of 2D keypoints, from a rough guess of the cameras.

(Just over 500 lines on purpose: the bundle adjustment's parameter layout, gauge and Jacobian are
one piece, read together; its solver is :mod:`rhythm.reconstruction.least_squares`.)

AIST++ started from manually estimated cameras and refined them, with the 3D keypoints, by
bundle adjustment. This module does the same:

* unknowns: per camera the rotation (Rodrigues vector), translation, focal length and radial
  distortion (k1, optionally k2), plus a 3D point per keypoint of every used frame;
* residuals: confidence-weighted pixel reprojection errors through OpenCV's camera model, under a
  Cauchy loss so that swapped or missed detections do not drag the cameras; weak priors hold the
  intrinsics near the guess where the data cannot tell focal length from distance;
* the gauge: reprojection is unchanged by moving, rotating or scaling the whole scene, so seven
  stiff residuals hold the cameras' mean centre, mean rotation and spread at the guess's. The
  result is in the guess's frame and scale (centimetres for AIST++);
* the solver: Levenberg-Marquardt on the sparse Jacobian (each observation touches one camera and
  one point; OpenCV gives the derivatives), each step solved through the reduced camera system
  (:mod:`rhythm.reconstruction.least_squares`).

A view that is out of sync or inconsistent in a sequence (the view check of
:mod:`rhythm.reconstruction.triangulation`, run after a first round) is left out of the second round. A camera
left with no observations is resected alone against the other views' points, at the frame offset
the view check found.

With a single sequence (one dancer in a small volume) focal length and camera distance trade off
almost freely: the reprojection error is then well determined, the focal lengths less so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import without_timings, write_json
from rhythm.core.options import option
from rhythm.reconstruction import triangulation as tri
from rhythm.reconstruction.least_squares import robust_levenberg_marquardt


@dataclass(frozen=True)
class CalibrationOptions:
    """``rhythm calibrate`` and the config's ``reconstruction.calibration:`` (:mod:`rhythm.core.options`)."""

    frame_stride: int = option(10, "every N-th frame of each sequence goes into the adjustment", minimum=1)
    min_confidence: float = option(0.3, "observations below this are not used", cli=False, config=False)
    distortion_terms: int = option(
        1, "radial terms refined: 0 (keep the guess's), 1 (k1, as AIST++ has) or 2 (k1, k2)", choices=(0, 1, 2)
    )
    loss_scale_px: float = option(
        10.0,
        "Cauchy loss scale: residuals beyond this many pixels count less and less",
        exclusive_minimum=0,
        flag="loss-scale",
    )
    max_iterations: int = option(100, "Levenberg-Marquardt steps per round", cli=False, config=False)
    tolerance: float = option(
        1e-5, "...or until a step lowers the cost by less than this fraction", cli=False, config=False
    )
    gauge_weight: float = option(1e4, "stiffness of the seven gauge residuals", cli=False, config=False)
    focal_prior: float = option(0.05, "relative uncertainty of the guess's focal lengths", exclusive_minimum=0)
    distortion_prior: float = option(0.05, "uncertainty of the guess's radial terms", cli=False, config=False)


@dataclass
class _Observations:
    """Flat arrays of the observations of one adjustment: which camera saw which point where."""

    camera: np.ndarray  # (K,) camera index
    point: np.ndarray  # (K,) point index
    pixels: np.ndarray  # (K, 2)
    weight: np.ndarray  # (K,) sqrt(confidence): residuals are weighted like the triangulation's


class _Rig:
    """The parameter vector of an adjustment: per camera rotation, translation, focal, radial terms."""

    def __init__(self, cameras: list[aist.Camera], distortion_terms: int):
        # OpenCV's five coefficients (k1, k2, p1, p2, k3), whatever the guess wrote
        self.cameras = [
            aist.Camera(
                c.name,
                c.size,
                c.matrix,
                c.rotation,
                c.translation,
                np.pad(c.distortions, (0, max(0, 5 - len(c.distortions))))[:5],
            )
            for c in cameras
        ]
        self.nd = distortion_terms
        self.per_camera = 7 + distortion_terms

    def pack(self) -> np.ndarray:
        return np.concatenate(
            [
                np.concatenate(
                    [c.rotation, c.translation, [(c.matrix[0, 0] + c.matrix[1, 1]) / 2], c.distortions[: self.nd]]
                )
                for c in self.cameras
            ]
        )

    def to_cameras(self, params: np.ndarray) -> list[aist.Camera]:
        block = params[: len(self.cameras) * self.per_camera].reshape(len(self.cameras), self.per_camera)
        out = []
        for c, b in zip(self.cameras, block):
            matrix = c.matrix.copy()
            matrix[0, 0] = matrix[1, 1] = b[6]
            dist = c.distortions.copy()
            dist[: self.nd] = b[7:]
            out.append(aist.Camera(c.name, c.size, matrix, b[:3].copy(), b[3:6].copy(), dist))
        return out


def _centres(rvecs: np.ndarray, tvecs: np.ndarray) -> np.ndarray:
    """Camera centres in the world: -R^T t."""
    return -np.einsum("kji,kj->ki", Rotation.from_rotvec(rvecs).as_matrix(), tvecs)


def _gauge(poses: np.ndarray, poses0: np.ndarray) -> np.ndarray:
    """Seven residuals that are zero when the rig (poses (..., C, 6): rvec, tvec) has the initial
    rig's mean centre, mean rotation and spread of centres; leading axes are a batch.

    A rotation Q of the world turns every camera's R into R Q^T, so R0^T R is the same Q^T for all
    cameras: the mean of their rotation vectors measures the rig's rotation.
    """
    batch = poses.shape[:-2]
    flat = poses.reshape(-1, 6)
    rot0 = np.broadcast_to(poses0[:, :3], poses.shape[:-1] + (3,)).reshape(-1, 3).copy()
    c = _centres(flat[:, :3], flat[:, 3:]).reshape(poses.shape[:-1] + (3,))
    c0 = _centres(poses0[:, :3], poses0[:, 3:])
    rel = (Rotation.from_rotvec(rot0).inv() * Rotation.from_rotvec(flat[:, :3])).as_rotvec()
    rel = rel.reshape(poses.shape[:-1] + (3,))
    spread = np.sqrt(((c - c.mean(-2, keepdims=True)) ** 2).sum(-1).mean(-1))
    spread0 = np.sqrt(((c0 - c0.mean(0)) ** 2).sum(-1).mean())
    return np.concatenate(
        [(c.mean(-2) - c0.mean(0)) / spread0, rel.mean(-2), (spread / spread0 - 1)[..., None]], axis=-1
    ).reshape(batch + (7,))


def bundle_adjust(
    cameras: list[aist.Camera],
    points: np.ndarray,
    obs: _Observations,
    options: CalibrationOptions,
    fix_points: bool = False,
    prior: list[aist.Camera] | None = None,
) -> tuple[list[aist.Camera], np.ndarray, dict]:
    """Refine cameras and points (or the cameras alone against fixed points) on the observations.

    The intrinsics are held weakly (``focal_prior``, ``distortion_prior``) to those of ``prior``,
    the rough guess (default: ``cameras``). Cameras without observations are returned unchanged
    and kept out of the gauge, which they would otherwise absorb.

    Residuals and their Jacobian come from OpenCV's ``projectPoints`` (the model the cameras are
    used with), one call per camera; the Jacobian is returned sparse: each observation's two rows
    touch only its camera's columns and its point's. The gauge residuals apply only when the points
    move with the cameras: against fixed points the frame and scale are already set.
    """
    import cv2
    import scipy.sparse as sp

    active = np.unique(obs.camera)
    if len(active) < len(cameras):
        index = np.full(len(cameras), -1)
        index[active] = np.arange(len(active))
        refined, points, info = bundle_adjust(
            [cameras[i] for i in active],
            points,
            _Observations(index[obs.camera], obs.point, obs.pixels, obs.weight),
            options,
            fix_points,
            None if prior is None else [prior[i] for i in active],
        )
        out = list(cameras)
        for i, cam in zip(active, refined):
            out[i] = cam
        return out, points, info

    rig = _Rig(cameras, options.distortion_terms)
    per, nd = rig.per_camera, options.distortion_terms
    n_cam_params = len(cameras) * per
    n_obs = len(obs.camera)
    by_camera = [np.flatnonzero(obs.camera == c) for c in range(len(cameras))]
    pose_cols = (np.arange(len(cameras))[:, None] * per + np.arange(6)).ravel()
    x0 = rig.pack() if fix_points else np.concatenate([rig.pack(), points.ravel()])
    poses0 = x0[pose_cols].reshape(-1, 6)
    # weak priors on the intrinsics: with one dancer in a small volume, focal length, distance and
    # distortion trade off almost freely; where the data cannot tell them apart, the guess's stand
    prior_cols = (np.arange(len(cameras))[:, None] * per + 6 + np.arange(1 + nd)).ravel()
    prior_values = _Rig(prior or cameras, nd).pack()[prior_cols]
    prior_sigma = np.tile(np.r_[options.focal_prior, np.full(nd, options.distortion_prior)].astype(float), len(cameras))
    prior_sigma[:: 1 + nd] *= prior_values[:: 1 + nd]

    def project(x: np.ndarray, jacobian: bool):
        pts = points if fix_points else x[n_cam_params:].reshape(-1, 3)
        proj = np.empty((n_obs, 2))
        parts = []
        for cam, (c, sel) in zip(rig.to_cameras(x), enumerate(by_camera)):
            if not len(sel):
                continue
            img, jac = cv2.projectPoints(
                pts[obs.point[sel]], cam.rotation, cam.translation, cam.matrix, cam.distortions
            )
            proj[sel] = img.reshape(-1, 2)
            if jacobian:
                parts.append((c, sel, jac, cam))
        return proj, parts

    def residuals(x: np.ndarray) -> np.ndarray:
        proj, _ = project(x, jacobian=False)
        res = [((proj - obs.pixels) * obs.weight[:, None]).ravel(), (x[prior_cols] - prior_values) / prior_sigma]
        if not fix_points:
            res.append(options.gauge_weight * _gauge(x[pose_cols].reshape(-1, 6), poses0))
        return np.concatenate(res)

    def jacobian(x: np.ndarray):
        _, parts = project(x, jacobian=True)
        rows, cols, vals = [], [], []
        for c, sel, jac, cam in parts:
            w = np.repeat(obs.weight[sel], 2)[:, None]
            # OpenCV's columns: rvec (3), tvec (3), fx, fy, cx, cy, k1, k2, p1, p2, k3
            blocks = [jac[:, :6], jac[:, 6:7] + jac[:, 7:8], jac[:, 10 : 10 + nd]]
            cam_block = np.concatenate(blocks, axis=1) * w
            obs_rows = (2 * sel[:, None] + np.arange(2)).ravel()
            rows.append(np.repeat(obs_rows, per))
            cols.append(np.tile(c * per + np.arange(per), len(obs_rows)))
            vals.append(cam_block.ravel())
            if not fix_points:  # d/dX = d/dt . R, since the camera point is R X + t
                point_block = (jac[:, 3:6] @ cv2.Rodrigues(cam.rotation)[0]) * w
                point_cols = n_cam_params + obs.point[sel][:, None] * 3 + np.arange(3)
                rows.append(np.repeat(obs_rows, 3))
                cols.append(np.repeat(point_cols, 2, axis=0).ravel())
                vals.append(point_block.ravel())
        n_res = 2 * n_obs + len(prior_cols)
        rows.append(np.arange(2 * n_obs, n_res))
        cols.append(prior_cols)
        vals.append(1.0 / prior_sigma)
        if not fix_points:  # the gauge depends on every pose: a small dense block, by differences
            poses = x[pose_cols].reshape(-1, 6)
            step = 1e-6
            moved = poses.ravel() + step * np.eye(poses.size)  # one perturbed rig per pose parameter
            block = (_gauge(moved.reshape(-1, *poses.shape), poses0) - _gauge(poses, poses0)).T / step
            gauge_rows, gauge_cols = np.meshgrid(np.arange(n_res, n_res + 7), pose_cols, indexing="ij")
            rows.append(gauge_rows.ravel())
            cols.append(gauge_cols.ravel())
            vals.append(options.gauge_weight * block.ravel())
            n_res += 7
        return sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_res, len(x)))

    start = time.perf_counter()
    before = np.linalg.norm(residuals(x0)[: 2 * n_obs].reshape(-1, 2) / obs.weight[:, None], axis=1)
    # From a rough guess every residual is large; a loss scale below them would weigh all alike
    # and give no robustness, so the scale starts at the typical residual when that is larger.
    loss_scale = max(options.loss_scale_px, float(np.median(before)))
    x, iterations = robust_levenberg_marquardt(residuals, jacobian, x0, 2 * n_obs, n_cam_params, loss_scale, options)
    after = residuals(x)[: 2 * n_obs].reshape(-1, 2) / obs.weight[:, None]
    info = {
        "observations": int(n_obs),
        "points": 0 if fix_points else int(len(points)),
        "median_px_before": round(float(np.median(before)), 3),
        "median_px_after": round(float(np.median(np.linalg.norm(after, axis=1))), 3),
        "loss_scale_px": round(loss_scale, 2),
        "iterations": iterations,
        "seconds": round(time.perf_counter() - start, 2),
    }
    new_points = points if fix_points else x[n_cam_params:].reshape(-1, 3)
    return rig.to_cameras(x), new_points, info


# ----------------------------------------------------------------------------- the calibration


@dataclass
class _Sequence:
    name: str
    keypoints: np.ndarray  # (V, N, 17, 3) of the rig's cameras, float64
    frames: np.ndarray  # the frames that go into the adjustment


def _observe(
    seqs: list[_Sequence], cameras: list[aist.Camera], use: dict[str, list[int]], options: CalibrationOptions
) -> tuple[np.ndarray, _Observations]:
    """Points triangulated through ``cameras`` from the used views, and the observations of them."""
    all_points, cam_idx, pt_idx, pixels, weight = [], [], [], [], []
    offset = 0
    for seq in seqs:
        views = use[seq.name]
        kp = seq.keypoints[:, seq.frames]
        rays = tri.undistort_keypoints(kp[..., :2], cameras)
        conf = np.where(np.isfinite(rays).all(-1) & (kp[..., 2] >= options.min_confidence), kp[..., 2], 0.0)
        arrays = tri.subset(tri.camera_arrays(cameras), views)
        pts = tri.triangulate(rays[views], conf[views], arrays, iterations=5)
        found = np.isfinite(pts).all(-1)
        index = np.full(found.shape, -1)
        index[found] = offset + np.arange(found.sum())
        offset += int(found.sum())
        all_points.append(pts[found])
        for v in views:
            ok = found & (conf[v] > 0)
            cam_idx.append(np.full(ok.sum(), v))
            pt_idx.append(index[ok])
            pixels.append(kp[v][ok][:, :2])
            weight.append(np.sqrt(conf[v][ok]))
    obs = _Observations(np.concatenate(cam_idx), np.concatenate(pt_idx), np.concatenate(pixels), np.concatenate(weight))
    return np.concatenate(all_points), obs


def _check_views(seq: _Sequence, cameras: list[aist.Camera]) -> tuple[tri.ViewCheck, tri.Triangulation]:
    """The triangulation's view check and points of one sequence through the given cameras."""
    kp2d = aist.Keypoints2D(seq.keypoints, np.ones(seq.keypoints.shape[:2]), np.arange(seq.keypoints.shape[1]))
    result = tri.triangulate_sequence(kp2d, {c.name: c for c in cameras}, tri.TriangulationOptions(optimise=False))
    names = [c.name for c in cameras]
    kept = [names.index(v) for v in result.report["used_views"]]
    dropped = {names.index(v): why for v, why in result.report["dropped_views"].items()}
    return tri.ViewCheck(kept, dropped, result.report["view_check"]), result


def _resect(
    camera: aist.Camera,
    guess: aist.Camera,
    view: int,
    seqs: list[tuple[_Sequence, np.ndarray, int]],
    options: CalibrationOptions,
) -> tuple[aist.Camera, dict]:
    """Refine one camera alone against fixed points, given per sequence its points (N, 17, 3) and
    the frame offset of the camera's view (its frame ``t + offset`` shows point frame ``t``)."""
    points, pixels, weight = [], [], []
    for seq, pts, offset in seqs:
        frames = seq.frames[(seq.frames + offset >= 0) & (seq.frames + offset < len(pts))]
        kp = seq.keypoints[view, frames + offset]
        ok = np.isfinite(pts[frames]).all(-1) & (kp[..., 2] >= options.min_confidence)
        points.append(pts[frames][ok])
        pixels.append(kp[ok][:, :2])
        weight.append(np.sqrt(kp[ok][:, 2]))
    pts = np.concatenate(points)
    obs = _Observations(np.zeros(len(pts), int), np.arange(len(pts)), np.concatenate(pixels), np.concatenate(weight))
    cams, _, info = bundle_adjust([camera], pts, obs, options, fix_points=True, prior=[guess])
    return cams[0], info


@dataclass
class Calibration:
    cameras: list[aist.Camera]
    report: dict


def calibrate(
    keypoints: dict[str, aist.Keypoints2D],
    initial: dict[str, aist.Camera],
    options: CalibrationOptions = CalibrationOptions(),
) -> Calibration:
    """Refine the cameras of one setting from the keypoints2d of its sequences.

    Round 1 adjusts all views under the robust loss. The triangulation's view check then runs
    per sequence through the round-1 cameras; round 2 adjusts again without the dropped views.
    Cameras with no view left are resected at their frame offset, or keep the guess.
    """
    start = time.perf_counter()
    names = [c for c in aist.CAMERAS if c in initial]
    guess = [initial[c] for c in names]
    cameras = list(guess)
    view_index = [aist.CAMERAS.index(c) for c in names]
    seqs = [
        _Sequence(
            name, np.asarray(kp.keypoints, np.float64)[view_index], np.arange(0, kp.num_frames, options.frame_stride)
        )
        for name, kp in keypoints.items()
    ]
    all_views = {seq.name: list(range(len(names))) for seq in seqs}

    points, obs = _observe(seqs, cameras, all_views, options)
    cameras, _, round1 = bundle_adjust(cameras, points, obs, options, prior=guess)

    checks = {seq.name: _check_views(seq, cameras) for seq in seqs}
    use = {name: check.kept for name, (check, _) in checks.items()}
    points, obs = _observe(seqs, cameras, use, options)
    cameras, _, round2 = bundle_adjust(cameras, points, obs, options, prior=guess)

    resected: dict[str, dict | str] = {}
    for v, name in enumerate(names):
        if any(v in kept for kept in use.values()):
            continue
        synced = []
        for seq in seqs:
            why = checks[seq.name][0].dropped.get(v, {})
            if why.get("verdict", "").startswith("out of sync"):
                synced.append((seq, checks[seq.name][1].keypoints3d, why["offset_frames"]))
        if synced:
            cameras[v], resected[name] = _resect(cameras[v], guess[v], v, synced, options)
        else:
            resected[name] = "no usable view: the initial guess is kept"

    report = {
        "sequences": [seq.name for seq in seqs],
        "frame_stride": options.frame_stride,
        "round1": round1,
        "dropped_views": {
            seq: {names[v]: why for v, why in check.dropped.items()} for seq, (check, _) in checks.items()
        },
        "round2": round2,
        "resected": resected,
        "seconds": round(time.perf_counter() - start, 2),
    }
    return Calibration(cameras, report)


def reprojection_error(keypoints: dict[str, aist.Keypoints2D], cameras: dict[str, aist.Camera]) -> dict:
    """How well cameras explain keypoints: the median pixel error of the robust triangulation
    (with its view check) over the used views' confident observations, per sequence and overall."""
    per_seq, errors = {}, []
    for name, kp in keypoints.items():
        result = tri.triangulate_sequence(kp, cameras, tri.TriangulationOptions(optimise=False))
        per_seq[name] = {
            "median_px": result.report["reprojection"]["median_px"],
            "dropped_views": sorted(result.report["dropped_views"]),
        }
        errors.append(result.report["reprojection"]["median_px"])
    return {"median_px": float(np.median(errors)), "sequences": per_seq}


def compare_cameras(cameras: dict[str, aist.Camera], reference: dict[str, aist.Camera]) -> dict:
    """Per camera: rotation (degrees), centre (world units) and focal (%) differences from a reference.

    Cameras calibrated from images alone are known up to a similarity transform (the gauge), so
    the centres are first aligned to the reference's by the best rotation, translation and scale
    (Umeyama's closed form).
    """
    names = [n for n in aist.CAMERAS if n in cameras and n in reference]
    rvecs = np.stack([cameras[n].rotation for n in names])
    rvecs_ref = np.stack([reference[n].rotation for n in names])
    centres = _centres(rvecs, np.stack([cameras[n].translation for n in names]))
    centres_ref = _centres(rvecs_ref, np.stack([reference[n].translation for n in names]))
    a, b = centres - centres.mean(0), centres_ref - centres_ref.mean(0)
    u, sig, vt = np.linalg.svd(b.T @ a)
    sign = np.diag([1, 1, np.sign(np.linalg.det(u @ vt))])
    q = u @ sign @ vt  # world rotation taking the cameras' frame to the reference's
    scale = (sig * np.diag(sign)).sum() / (a**2).sum()
    aligned = scale * a @ q.T + centres_ref.mean(0)
    # a camera's rotation in the reference frame is R Q^T
    diff = Rotation.from_rotvec(rvecs_ref) * (Rotation.from_rotvec(rvecs) * Rotation.from_matrix(q).inv()).inv()
    out = {}
    for i, n in enumerate(names):
        f, f_ref = cameras[n].matrix[0, 0], reference[n].matrix[0, 0]
        out[n] = {
            "rotation_deg": round(float(np.degrees(diff[i].magnitude())), 3),
            "centre": round(float(np.linalg.norm(aligned[i] - centres_ref[i])), 2),
            "focal_pct": round(float(100 * (f - f_ref) / f_ref), 2),
        }
    return out


# ----------------------------------------------------------------------------- files


def setting_sequences(anno_dir: str | Path, setting: str) -> list[str]:
    """The sequences that mapping.txt assigns to a setting and that have keypoints2d."""
    mapping = aist.load_camera_mapping(anno_dir)
    return sorted(s for s, k in mapping.items() if k == setting and aist.keypoints2d_path(anno_dir, s).is_file())


def calibrate_files(
    anno_dir: str | Path,
    setting: str,
    out: str | Path,
    initial: str | Path | None = None,
    sequences: list[str] | None = None,
    max_sequences: int | None = None,
    options: CalibrationOptions = CalibrationOptions(),
    reference: str | Path | None = None,
    report_out: str | Path | None = None,
) -> Calibration:
    """Calibrate one camera setting of an annotation tree; write a setting JSON in the AIST++ format.

    ``initial`` is the rough guess (default: the tree's own ``cameras/<setting>.json``). The report
    gives the reprojection error through the guess and through the result, and with ``reference``
    (a setting JSON, e.g. the official one) its error and the cameras' differences from it.
    """
    initial_path = Path(initial) if initial else Path(anno_dir) / "cameras" / f"{setting}.json"
    guess = aist.load_camera_setting(initial_path)
    names = [aist.sequence_name(n) for n in sequences] if sequences else setting_sequences(anno_dir, setting)
    if max_sequences:
        names = names[:max_sequences]
    if not names:
        raise RhythmInputError(
            Path(anno_dir) / "cameras" / "mapping.txt", f"no sequence with keypoints2d is mapped to {setting}"
        )
    keypoints = {n: aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, n)) for n in names}
    result = calibrate(keypoints, guess, options)
    calibrated = {c.name: c for c in result.cameras}
    result.report["initial"] = str(initial_path)
    result.report["reprojection_px"] = {
        "initial": reprojection_error(keypoints, guess),
        "calibrated": reprojection_error(keypoints, calibrated),
    }
    if reference is not None:
        ref = aist.load_camera_setting(reference)
        result.report["reference"] = {
            "file": str(reference),
            "cameras": compare_cameras(calibrated, ref),
            "initial_cameras": compare_cameras(guess, ref),
        }
        result.report["reprojection_px"]["reference"] = reprojection_error(keypoints, ref)
    write_json(out, [c.to_json() for c in result.cameras])
    if report_out is not None:
        write_json(report_out, without_timings(result.report))
    return result
