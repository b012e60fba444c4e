"""Multi-view triangulation of AIST++ keypoints2d into keypoints3d, robust to a bad view.

Every view's pixels are first undistorted with its camera's lens model into normalised image
coordinates, so the rest is pinhole geometry with closed-form Jacobians:

1. **Weighted DLT** gives each keypoint a start: the linear least-squares point whose projections
   best meet the views' rays, each view weighted by its detection confidence.
2. **Gauss-Newton** refines it on the confidence-weighted reprojection error in pixels (a few
   batched 3x3 solves for all frames and joints at once).
3. **View check**: a view that is out of sync or miscalibrated disagrees with all the others. Each
   view is judged by leave-one-view-out: triangulate from the other views, project into it, take
   its median pixel error. A view far above the typical one is dropped, and the check repeats on
   the views left. For a dropped view a temporal-offset search says whether it is merely out of
   sync (it fits at some frame shift) or inconsistent at every shift.
4. **Per-keypoint outliers** (a swapped left/right, a detection on another person) are observations
   whose residual from a robust (Cauchy-reweighted) estimate exceeds a multiple of the median
   residual; they are dropped and the points refined again, never leaving a point with fewer than
   two views.
5. **Optimised variant** (in the spirit of AIST++'s ``keypoints3d_optim``): one sparse least-squares
   problem over all frames at once minimises the reprojection error plus a temporal acceleration
   penalty plus the deviation of limb and face lengths from their per-sequence medians
   (:mod:`rhythm.reconstruction.keypoints3d_optim`).

Units follow the cameras: AIST++ translations are centimetres, so keypoints3d are centimetres.
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
from rhythm.reconstruction.multiview import (
    CameraArrays,
    camera_arrays,
    project_normalised,
    refine_points,
    reprojection_px,
    subset,
    triangulate,
    triangulate_dlt,
    undistort_keypoints,
)


@dataclass(frozen=True)
class TriangulationOptions:
    """``rhythm triangulate`` and the config's ``reconstruction.triangulation:`` (:mod:`rhythm.core.options`)."""

    min_confidence: float = option(
        0.05, "observations below this confidence are not used at all", cli=False, config=False
    )
    refine_iterations: int = option(5, "Gauss-Newton steps on the reprojection error", cli=False, config=False)
    view_factor: float = option(
        3.0, "drop a view whose leave-one-out error is this many times the typical one", exclusive_minimum=1
    )
    view_min_px: float = option(10.0, "...and above this many pixels", minimum=0)
    view_judge_confidence: float = option(0.3, "observations that count when judging a view", cli=False, config=False)
    min_views: int = option(3, "never drop views below this many", cli=False, config=False)
    max_offset_frames: int = option(600, "search range for the frame offset of a dropped view", cli=False, config=False)
    outlier_factor: float = option(
        8.0, "drop observations whose residual is this many times the median", exclusive_minimum=1
    )
    outlier_min_px: float = option(10.0, "...and above this many pixels", cli=False, config=False)
    optimise: bool = option(True, "also keypoints3d_optim: smooth, constant limb lengths")
    pixel_sigma: float = option(
        4.0, "optimised variant: pixels of reprojection error per unit of cost", exclusive_minimum=0
    )
    accel_sigma: float = option(
        0.5, "optimised variant: acceleration (units per frame^2) per unit of cost", exclusive_minimum=0
    )
    bone_sigma: float = option(
        0.5, "optimised variant: bone length change (units) per unit of cost", exclusive_minimum=0
    )
    optimise_iterations: int = option(5, "Gauss-Newton steps of the optimised variant", cli=False, config=False)


# ----------------------------------------------------------------------------- view check


def leave_one_out_errors(
    rays: np.ndarray, weights: np.ndarray, cams: CameraArrays, views: list[int], judge: np.ndarray, iterations: int = 2
) -> dict[int, float]:
    """Median pixel error of each view against the points triangulated from the other ``views``.

    ``judge`` (V, N, J) marks the observations confident enough to judge a view by.
    """
    errors = {}
    for v in views:
        others = [u for u in views if u != v]
        pts = triangulate(rays[others], weights[others], subset(cams, others), iterations)
        err = reprojection_px(pts, rays[v : v + 1], subset(cams, [v]))[0]
        ok = judge[v] & np.isfinite(err)
        errors[v] = float(np.median(err[ok])) if ok.any() else float("nan")
    return errors


@dataclass
class ViewCheck:
    kept: list[int]  # indices of the views used
    dropped: dict[int, dict]  # index -> why: the errors that decided it
    rounds: list[dict]  # per round, every view's leave-one-out error


def select_views(
    rays: np.ndarray,
    weights: np.ndarray,
    cams: CameraArrays,
    judge: np.ndarray,
    options: TriangulationOptions,
    min_observations: int = 10,
) -> ViewCheck:
    """Drop, one at a time, the view that disagrees most with the others, while one clearly does.

    A view is dropped when its leave-one-out median error is above ``view_factor`` times the
    median over the views (the typical view) and above ``view_min_px``; the check then repeats
    without it, because a bad view also inflates the others' leave-one-out errors.
    """
    kept: list[int] = []
    dropped: dict[int, dict[str, Any]] = {}
    rounds: list[dict[str, Any]] = []
    for v in range(len(cams.names)):
        count = int(judge[v].sum())
        if count >= min_observations:
            kept.append(v)
        else:
            dropped[v] = {"reason": f"{count} confident observations (fewer than {min_observations})"}
    while len(kept) > options.min_views:
        errors = leave_one_out_errors(rays, weights, cams, kept, judge)
        typical = float(np.nanmedian(list(errors.values())))
        limit = max(options.view_min_px, options.view_factor * typical)
        worst = max(kept, key=lambda v: -np.inf if np.isnan(errors[v]) else errors[v])
        rounds.append(
            {
                "leave_one_out_px": {cams.names[v]: round(e, 3) for v, e in errors.items()},
                "typical_px": round(typical, 3),
                "limit_px": round(limit, 3),
            }
        )
        if not errors[worst] > limit:
            break
        rounds[-1]["dropped"] = cams.names[worst]
        dropped[worst] = {
            "reason": "disagrees with the other views",
            "leave_one_out_px": round(errors[worst], 3),
            "typical_px": round(typical, 3),
            "limit_px": round(limit, 3),
        }
        kept.remove(worst)
    return ViewCheck(kept, dropped, rounds)


def frame_offset(
    points: np.ndarray,
    rays: np.ndarray,
    judge: np.ndarray,
    cam: CameraArrays,
    max_offset: int,
    min_overlap: float = 0.25,
) -> dict:
    """The frame shift at which one view's observations best fit the points of the other views.

    View frame ``t + offset`` is compared with point frame ``t``. A view that is merely out of
    sync fits well at its offset; a miscalibrated view fits badly at every offset.
    """
    proj, _ = project_normalised(points, cam)
    proj = proj[0] * cam.focals[0]
    obs = rays[0] * cam.focals[0]
    n = len(points)
    min_frames = max(1, int(min_overlap * n))
    best = {"offset_frames": 0, "median_px": float("inf")}
    at_zero = float("nan")
    for shift in range(-min(max_offset, n - min_frames), min(max_offset, n - min_frames) + 1):
        pts = proj[max(0, -shift) : n - max(0, shift)]
        seen = obs[max(0, shift) : n - max(0, -shift)]
        ok = judge[0, max(0, shift) : n - max(0, -shift)]
        err = np.linalg.norm(pts - seen, axis=-1)
        ok = ok & np.isfinite(err)
        if not ok.any():
            continue
        med = float(np.median(err[ok]))
        if shift == 0:
            at_zero = med
        if med < best["median_px"]:
            best = {"offset_frames": shift, "median_px": med}
    return {
        "offset_frames": best["offset_frames"],
        "median_px_at_offset": round(best["median_px"], 3),
        "median_px_in_sync": round(at_zero, 3),
    }


# ----------------------------------------------------------------------------- outliers


def reject_outliers(
    points: np.ndarray, rays: np.ndarray, weights: np.ndarray, cams: CameraArrays, options: TriangulationOptions
) -> np.ndarray:
    """Weights with the outlying observations set to zero.

    The limit is ``outlier_factor`` x the median residual, and at least ``outlier_min_px``. A
    least-squares point spreads one gross outlier over all its views, so residuals are judged
    against a robust estimate first (iteratively reweighted with a Cauchy loss at the limit), where
    the outlier keeps nearly all of its error. A point never drops below two observations: where it
    would, it keeps its original weights.
    """
    err = reprojection_px(points, rays, cams)
    used = (weights > 0) & np.isfinite(err)
    if not used.any():
        return weights
    limit = max(options.outlier_min_px, options.outlier_factor * float(np.median(err[used])))
    robust = points
    for _ in range(options.refine_iterations):
        cauchy = np.where(used, weights / (1 + (np.nan_to_num(err) / limit) ** 2), 0.0)
        robust = refine_points(robust, rays, cauchy, cams, iterations=1)
        err = reprojection_px(robust, rays, cams)
    keep = used & (err <= limit)
    out = np.where(keep, weights, 0.0)
    too_few = (keep.sum(axis=0) < 2) & (used.sum(axis=0) >= 2)
    out[:, too_few] = weights[:, too_few]
    return out


# ----------------------------------------------------------------------------- the sequence


@dataclass
class Triangulation:
    keypoints3d: np.ndarray  # (N, 17, 3)
    keypoints3d_optim: np.ndarray | None  # (N, 17, 3), or None when not optimised
    report: dict = field(default_factory=dict)


def triangulate_sequence(
    keypoints2d: aist.Keypoints2D,
    cameras: dict[str, aist.Camera],
    options: TriangulationOptions = TriangulationOptions(),
) -> Triangulation:
    """keypoints3d (and the optimised variant) of one sequence, with a report of what was dropped."""
    from rhythm.reconstruction.keypoints3d_optim import optimise_sequence  # here: that module imports this one

    start = time.perf_counter()
    names = [c for c in aist.CAMERAS if c in cameras]
    view_index = [aist.CAMERAS.index(c) for c in names]
    kp = np.asarray(keypoints2d.keypoints, np.float64)[view_index]
    cams = camera_arrays([cameras[c] for c in names])
    rays = undistort_keypoints(kp[..., :2], [cameras[c] for c in names])
    conf = np.nan_to_num(kp[..., 2])
    valid = np.isfinite(rays).all(axis=-1) & (conf >= options.min_confidence)
    weights = np.where(valid, conf, 0.0)
    judge = valid & (conf >= options.view_judge_confidence)

    check = select_views(rays, weights, cams, judge, options)
    views = check.kept
    kept = subset(cams, views)
    points = triangulate(rays[views], weights[views], kept, options.refine_iterations)
    inlier_weights = reject_outliers(points, rays[views], weights[views], kept, options)
    points = refine_points(points, rays[views], inlier_weights, kept, options.refine_iterations)
    timings = {"triangulate_s": round(time.perf_counter() - start, 3)}

    dropped = {}
    for v, why in check.dropped.items():
        dropped[names[v]] = why
        if "leave_one_out_px" in why:
            offset = frame_offset(
                points, rays[v : v + 1], judge[v : v + 1], subset(cams, [v]), options.max_offset_frames
            )
            in_sync = offset["median_px_at_offset"] <= why["limit_px"]
            why.update(
                offset,
                verdict=f"out of sync by {offset['offset_frames']:+d} frames"
                if in_sync
                else "inconsistent at every frame offset (calibration, resolution or another take)",
            )

    err_all = reprojection_px(points, rays, cams)
    rejected = (weights[views] > 0) & (inlier_weights == 0)
    per_view = {}
    for v, name in enumerate(names):
        per_view[name] = {**_error_summary(err_all[v], judge[v]), "used": v in views}
        if v in views:
            per_view[name]["outliers_rejected"] = int(rejected[views.index(v)].sum())
    report = {
        "frames": int(kp.shape[1]),
        "views": names,
        "used_views": [names[v] for v in views],
        "dropped_views": dropped,
        "view_check": check.rounds,
        "per_view": per_view,
        "reprojection": _error_summary(err_all[views], judge[views]),
        "outliers_rejected": int(rejected.sum()),
        "observations_used": int((inlier_weights > 0).sum()),
        "missing_points": int(np.isnan(points).any(axis=-1).sum()),
        "timings": timings,
    }

    optim = None
    if options.optimise:
        start = time.perf_counter()
        optim = optimise_sequence(points, rays[views], inlier_weights, kept, options)
        timings["optimise_s"] = round(time.perf_counter() - start, 3)
        report["optimised_reprojection"] = _error_summary(reprojection_px(optim, rays[views], kept), judge[views])
    return Triangulation(points, optim, report)


def _error_summary(err: np.ndarray, mask: np.ndarray) -> dict:
    """Median and 95th percentile of the pixel errors of the confident observations."""
    ok = mask & np.isfinite(err)
    if not ok.any():
        return {"median_px": None, "p95_px": None}
    return {"median_px": round(float(np.median(err[ok])), 3), "p95_px": round(float(np.percentile(err[ok], 95)), 3)}


def distance_stats(points: np.ndarray, reference: np.ndarray) -> dict:
    """Median, 95th percentile and mean of the per-keypoint distance to a reference (its units)."""
    n = min(len(points), len(reference))
    d = np.linalg.norm(points[:n] - reference[:n], axis=-1)
    d = d[np.isfinite(d)]
    return {
        "median": round(float(np.median(d)), 4),
        "p95": round(float(np.percentile(d, 95)), 4),
        "mean": round(float(d.mean()), 4),
    }


def compare_with_reference(result: Triangulation, reference_pkl: str | Path) -> dict:
    """Distances of the plain and optimised keypoints to an official keypoints3d pickle."""
    plain_ref = aist.load_keypoints3d(reference_pkl)
    out = {"plain_vs_keypoints3d": distance_stats(result.keypoints3d, plain_ref)}
    try:
        optim_ref = aist.load_keypoints3d(reference_pkl, optim=True)
    except RhythmInputError:
        optim_ref = None
    if optim_ref is not None:
        out["plain_vs_keypoints3d_optim"] = distance_stats(result.keypoints3d, optim_ref)
    if result.keypoints3d_optim is not None:
        out["optim_vs_keypoints3d"] = distance_stats(result.keypoints3d_optim, plain_ref)
        if optim_ref is not None:
            out["optim_vs_keypoints3d_optim"] = distance_stats(result.keypoints3d_optim, optim_ref)
    return out


def triangulate_file(
    anno_dir: str | Path,
    sequence: str,
    out: str | Path,
    options: TriangulationOptions = TriangulationOptions(),
    cameras_json: str | Path | None = None,
    reference: str | Path | None = None,
    report_out: str | Path | None = None,
) -> Triangulation:
    """Triangulate one sequence of an annotation tree and write the AIST++ keypoints3d pickle.

    The pickle has ``keypoints3d`` and ``keypoints3d_optim`` (the plain result again when not
    optimised) plus ``dropped_views``. The report (per-view errors, the view check, distances to
    ``reference`` when given) goes to ``report_out``, a JSON file for the data report.
    """
    seq = aist.sequence_name(sequence)
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(anno_dir, seq))
    cameras = aist.load_camera_setting(cameras_json) if cameras_json else aist.load_cameras(anno_dir, seq)
    if sum(c in cameras for c in aist.CAMERAS) < 2:
        raise RhythmInputError(
            cameras_json or Path(anno_dir) / "cameras", f"fewer than two of {', '.join(aist.CAMERAS)} for {seq}"
        )
    try:
        result = triangulate_sequence(kp2d, cameras, options)
    except ValueError as exc:  # a keypoint no two views ever see
        raise RhythmInputError(aist.keypoints2d_path(anno_dir, seq), str(exc)) from None
    result.report["sequence"] = seq
    if reference is not None:
        result.report["reference"] = {"file": str(reference), **compare_with_reference(result, reference)}
    optim = result.keypoints3d_optim if result.keypoints3d_optim is not None else result.keypoints3d
    write_pickle(
        out,
        {
            "keypoints3d": result.keypoints3d,
            "keypoints3d_optim": optim,
            "dropped_views": sorted(result.report["dropped_views"]),
        },
    )
    if report_out is not None:
        write_json(report_out, without_timings(result.report))
    return result


# the multi-view geometry's names, still importable from here
__all__ = [
    "CameraArrays",
    "camera_arrays",
    "undistort_keypoints",
    "project_normalised",
    "reprojection_px",
    "triangulate_dlt",
    "refine_points",
    "triangulate",
    "subset",
]
