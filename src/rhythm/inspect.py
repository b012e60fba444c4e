"""``rhythm inspect``: what is inside any AIST++ pickle (keys, shapes, dtypes, ranges)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.io import read_pickle


def describe_pickle(path: str | Path) -> str:
    data = read_pickle(path)
    lines = [f"{path}"]
    items = data.items() if isinstance(data, dict) else [("(root)", data)]
    for key, value in items:
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf" and arr.size:
            finite = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr
            rng = f"min {finite.min():.4g}  max {finite.max():.4g}  mean {finite.mean():.4g}" if finite.size else "all NaN"
            nan = int(np.isnan(arr).sum()) if arr.dtype.kind == "f" else 0
            lines.append(f"  {key:<20} {str(arr.shape):<18} {str(arr.dtype):<8} {rng}" + (f"  NaN {nan}" if nan else ""))
        else:
            lines.append(f"  {key:<20} {type(value).__name__}: {str(value)[:60]}")
    return "\n".join(lines) + "\n"
