"""``rhythm landmarks-validate DIR``: check every landmark array as Stage 3b's validation did, and more.

Errors (the file is not what the format promises): not a float32 ``(T, K, C)`` or ``(T, N, K, C)``
array with the expected K and C; a frame that is partly NaN (a frame is a person or a NaN row);
scores outside [0, 1]; coordinates far outside the frame. Warnings: keypoints somewhat outside
[0, 1] (RTMW3D's crops extend past the frame's edge, so a hand raised out of the picture is
legitimate), all-NaN files, a report saying the segment was skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FAR_OUTSIDE = 0.5  # x or y below -0.5 or above 1.5: not a keypoint of anyone in the frame


def check_array(
    arr: np.ndarray,
    num_keypoints: int = 85,
    channels: int = 4,
    kpt_threshold: float = 0.3,
    has_score: bool | None = None,
) -> tuple[list[str], list[str], dict]:
    """(errors, warnings, stats) of one landmark array.

    A person row is a person or all NaN; inside a person, only keypoints scoring below
    ``kpt_threshold`` (KPT_THR) may have NaN coordinates. ``has_score``: the last channel is the
    score (default: with 4 channels, or 3 when z was removed).
    """
    has_score = channels == 4 if has_score is None else has_score
    errors: list[str] = []
    warnings: list[str] = []
    stats: dict[str, Any] = {"shape": list(arr.shape)}
    if arr.dtype != np.float32:
        errors.append(f"dtype {arr.dtype}, expected float32")
    if arr.ndim not in (3, 4) or arr.shape[-2:] != (num_keypoints, channels):
        errors.append(
            f"shape {arr.shape}, expected (T, {num_keypoints}, {channels}) or (T, N, {num_keypoints}, {channels})"
        )
        return errors, warnings, stats
    people = arr.reshape(-1, num_keypoints, channels)
    coords = people[..., : channels - 1] if has_score else people
    nan = np.isnan(coords).any(axis=2)  # per keypoint
    empty = np.isnan(people).all(axis=2).all(axis=1)
    masked = nan & ~empty[:, None]  # NaN coordinates inside a person
    if has_score:
        bad = masked & ~(people[..., -1] < kpt_threshold)
    else:
        bad = masked if kpt_threshold <= 0 else np.zeros_like(masked)
    stats.update(
        frames=int(arr.shape[0]),
        people_slots=int(people.shape[0]),
        empty_slots=int(empty.sum()),
        masked_keypoints=int(masked.sum()),
    )
    if bad.any():
        errors.append(
            f"{int(bad.any(axis=1).sum())} person row(s) partly NaN beyond KPT_THR {kpt_threshold:g}: a row "
            "is a whole person or all NaN, and only keypoints scoring below the threshold are masked"
        )
    valid = people[~empty]
    if len(valid):
        xy = valid[..., :2][np.isfinite(valid[..., :2]).all(axis=-1)]
        far = (xy < -FAR_OUTSIDE) | (xy > 1 + FAR_OUTSIDE)
        if far.any():
            errors.append(
                f"{int(far.any(axis=-1).sum())} keypoint(s) far outside the frame (x or y beyond "
                f"[{-FAR_OUTSIDE}, {1 + FAR_OUTSIDE}]): not normalised by width and height?"
            )
        outside = ((xy < 0) | (xy > 1)).any(axis=-1)
        stats["outside_frame_fraction"] = round(float(outside.mean()), 4)
        if outside.mean() > 0.05:
            warnings.append(f"{100 * outside.mean():.1f}% of keypoints outside the frame")
        if has_score:
            vis = valid[..., -1]
            if (vis < 0).any() or (vis > 1).any():
                errors.append(f"scores outside [0, 1]: min {vis.min():.3f}, max {vis.max():.3f}")
            stats["mean_score"] = round(float(vis.mean()), 4)
    elif arr.shape[0]:
        warnings.append("no person in any frame")
    return errors, warnings, stats


def validate_dir(
    folder: str | Path,
    num_keypoints: int = 85,
    channels: int = 4,
    kpt_threshold: float = 0.3,
    has_score: bool | None = None,
) -> dict:
    """Check every ``*.npy`` under ``folder`` (and read its report, if any): a summary and per-file results."""
    folder = Path(folder)
    files = sorted(folder.rglob("*.npy"))
    results, frames, skipped = {}, 0, []
    for path in files:
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:  # truncated, not numpy, pickled objects
            results[str(path.relative_to(folder))] = {"errors": [f"not a readable .npy ({exc})"], "warnings": []}
            continue
        errors, warnings, stats = check_array(arr, num_keypoints, channels, kpt_threshold, has_score)
        report_path = path.with_suffix(".json")
        if report_path.is_file():
            report = json.loads(report_path.read_text())
            if report.get("status") == "skipped":
                skipped.append(path.stem)
                warnings.append(f"skipped: {report.get('reason')}")
        frames += stats.get("frames", 0)
        results[str(path.relative_to(folder))] = {"errors": errors, "warnings": warnings, **stats}
    bad = [name for name, r in results.items() if r["errors"]]
    return {
        "folder": str(folder),
        "files": len(files),
        "valid": len(files) - len(bad),
        "invalid": bad,
        "frames": frames,
        "skipped": skipped,
        "results": results,
    }
