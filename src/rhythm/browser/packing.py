"""Arrays for the pages: int16 in base64 (about 2.7 characters a value against 5-8 for JSON text).

A page decodes them with ``atob`` into an ``Int16Array`` (``assets/common.js``: ``unpack``);
``MISSING`` stands for NaN (a joint not seen in that frame, or a value out of range).
"""

from __future__ import annotations

import base64

import numpy as np

MISSING = -32768


def pack(values: np.ndarray, scale: float) -> dict:
    """``values / scale`` rounded to int16 (little-endian); the page multiplies back.

    NaN, infinities and values beyond int16 (a triangulated point that flew off, a detection gone
    wild: over 32 m in millimetres) become ``MISSING``, counted in ``"dropped"``. ``scale`` is the
    value of one unit: 0.1 for millimetres when ``values`` are centimetres.
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        scaled = np.round(values / scale)
        keep = np.isfinite(scaled) & (np.abs(scaled) <= 32767)
    ints = np.where(keep, scaled, MISSING).astype("<i2")
    return {
        "shape": list(values.shape),
        "scale": scale,
        "dropped": int(np.count_nonzero(~keep & ~np.isnan(values))),
        "b64": base64.b64encode(ints.tobytes()).decode("ascii"),
    }


def unpack(packed: dict) -> np.ndarray:
    """The inverse of :func:`pack` (NaN where missing), as the page computes it."""
    ints = np.frombuffer(base64.b64decode(packed["b64"]), dtype="<i2").reshape(packed["shape"])
    return np.where(ints == MISSING, np.nan, ints * packed["scale"])
