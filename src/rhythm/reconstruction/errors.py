"""The reconstruction's errors in one JSON: per sequence (triangulation, skeleton fit) and per camera
setting (bundle adjustment), gathered from the reports the stages write next to their outputs.

The data report reads this file; a person reads its ``summary`` first. Reports are keyed by their
file's stem, which the rules name after the sequence or the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.io import read_json, write_json


def _triangulation_entry(rep: dict) -> dict:
    entry = {
        "used_views": rep["used_views"],
        "dropped_views": {v: why.get("verdict", why.get("reason")) for v, why in rep["dropped_views"].items()},
        "reprojection_px": rep["reprojection"],
        "per_view_median_px": {v: e["median_px"] for v, e in rep["per_view"].items()},
        "outliers_rejected": rep["outliers_rejected"],
    }
    if "optimised_reprojection" in rep:
        entry["optimised_reprojection_px"] = rep["optimised_reprojection"]
    if "reference" in rep:
        entry["vs_official"] = {k: v for k, v in rep["reference"].items() if k != "file"}
    return entry


def _fitting_entry(rep: dict) -> dict:
    return {
        k: rep[k] for k in ("scaling", "mpjpe_body", "p95_body", "mpjpe_face", "skeleton", "source_key") if k in rep
    }


def _calibration_entry(rep: dict) -> dict:
    return {
        "sequences": len(rep["sequences"]),
        "reprojection_median_px": {k: v["median_px"] for k, v in rep["reprojection_px"].items()},
        "dropped_views": {
            seq: {v: why.get("verdict", why.get("reason")) for v, why in views.items()}
            for seq, views in rep["dropped_views"].items()
        },
        "resected": {c: r if isinstance(r, str) else f"{r['median_px_after']} px" for c, r in rep["resected"].items()},
    }


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.median(values)), 3) if values else None


def reconstruction_errors(
    triangulation: list[str | Path], fitting: list[str | Path], calibration: list[str | Path]
) -> dict:
    """Per sequence and per setting, the errors from the stages' JSON reports, with a summary."""
    sequences: dict[str, dict] = {}
    for path in triangulation:
        sequences.setdefault(Path(path).stem, {})["triangulation"] = _triangulation_entry(read_json(path))
    for path in fitting:
        sequences.setdefault(Path(path).stem, {})["fitting"] = _fitting_entry(read_json(path))
    settings = {Path(p).name.split(".")[0]: _calibration_entry(read_json(p)) for p in calibration}

    tri = [s["triangulation"] for s in sequences.values() if "triangulation" in s]
    fits = [s["fitting"] for s in sequences.values() if "fitting" in s]
    dropped = {
        name: list(s["triangulation"]["dropped_views"])
        for name, s in sequences.items()
        if s.get("triangulation", {}).get("dropped_views")
    }
    summary: dict[str, Any] = {
        "sequences": len(sequences),
        "triangulation_median_px": _median(t["reprojection_px"]["median_px"] for t in tri),
        "dropped_views": dropped,
        "fit_mpjpe_body": _median(f.get("mpjpe_body") for f in fits),
    }
    official = [t["vs_official"]["plain_vs_keypoints3d"] for t in tri if "vs_official" in t]
    if official:
        summary["vs_official_keypoints3d"] = {
            "median": _median(o["median"] for o in official),
            "p95": _median(o["p95"] for o in official),
        }
    return {"summary": summary, "sequences": dict(sorted(sequences.items())), "settings": settings}


def write_reconstruction_errors(out: str | Path, triangulation, fitting, calibration) -> dict:
    errors = reconstruction_errors(triangulation, fitting, calibration)
    write_json(out, errors)
    return errors
