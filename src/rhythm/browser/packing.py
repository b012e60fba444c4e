"""Arrays for the pages: int16 in base64 (about 2.7 characters a value against 5-8 for JSON text).

A page decodes them with ``atob`` into an ``Int16Array`` (``assets/common.js``: ``unpack``);
``MISSING`` stands for NaN (a joint not seen in that frame).
"""

from __future__ import annotations

import base64

import numpy as np

MISSING = -32768


def pack(values: np.ndarray, scale: float) -> dict:
    """``values / scale`` rounded to int16 (little-endian), NaN as ``MISSING``; the page multiplies back.

    ``scale`` is the value of one unit: 0.1 for millimetres when ``values`` are centimetres.
    """
    values = np.asarray(values, dtype=np.float64)
    scaled = np.round(values / scale)
    if np.nanmax(np.abs(scaled), initial=0) > 32767:
        raise ValueError(f"values up to {np.nanmax(np.abs(values)):g} do not fit int16 at scale {scale:g}")
    ints = np.where(np.isfinite(scaled), scaled, MISSING).astype("<i2")
    return {"shape": list(values.shape), "scale": scale, "b64": base64.b64encode(ints.tobytes()).decode("ascii")}


def unpack(packed: dict) -> np.ndarray:
    """The inverse of :func:`pack` (NaN where missing), as the page computes it."""
    ints = np.frombuffer(base64.b64decode(packed["b64"]), dtype="<i2").reshape(packed["shape"])
    return np.where(ints == MISSING, np.nan, ints * packed["scale"])
