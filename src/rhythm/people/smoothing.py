"""Steps 4 and 5 of :func:`rhythm.people.tracking.track_people`, which also work alone on any ``(T, ...)``
array: interior gaps filled (:func:`fill_gaps`) and NaN-aware smoothing (:func:`one_euro`, :func:`savgol`,
:func:`smooth`). :mod:`rhythm.people.tracking` re-exports them.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter

from rhythm.people.track_types import INTERPOLATIONS, TrackOptions

_CUBIC_SIDE = 4  # samples on each side of a gap that its cubic is fitted to


# ---------------------------------------------------------------------------------------------
# Step 4: gaps


def _finite_runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a 1-D mask."""
    padded = np.concatenate([[False], finite, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _columns_by_pattern(values: np.ndarray):
    """Group the columns of (T, S) ``values`` by their pattern of finite frames: [(columns, finite)]."""
    finite = np.isfinite(values)
    packed = np.packbits(finite, axis=0)
    groups: dict[bytes, list[int]] = {}
    for c in range(finite.shape[1]):
        groups.setdefault(packed[:, c].tobytes(), []).append(c)
    return [(np.array(cols), finite[:, cols[0]]) for cols in groups.values()]


def fill_gaps(values: np.ndarray, max_gap: int, method: str = "cubic") -> tuple[np.ndarray, np.ndarray]:
    """Interpolate interior NaN gaps of at most ``max_gap`` frames along axis 0.

    ``values`` (T, ...); each series (one element over time) is filled on its own. ``cubic``
    fits a cubic to up to four samples on each side (:func:`_cubic_across`; linear where a side
    has only one), so a limb that was moving keeps moving, and curving, through a dropout
    instead of turning a corner at each end. Leading and trailing NaN stay NaN: nothing is
    extrapolated. Returns (filled copy, mask of the filled entries).
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, not {method!r}")
    values = np.asarray(values)
    out = np.array(values, dtype=np.result_type(values.dtype, np.float32), copy=True)
    flat = out.reshape(len(out), int(np.prod(out.shape[1:])))
    filled = np.zeros(flat.shape, dtype=bool)
    if max_gap <= 0 or flat.size == 0:
        return out, filled.reshape(out.shape)
    for cols, finite in _columns_by_pattern(flat):
        runs = _finite_runs(finite)
        for (s0, e0), (s1, e1) in zip(runs[:-1], runs[1:]):
            gap = s1 - e0
            if gap > max_gap:
                continue
            a, b = e0 - 1, s1  # last sample before, first after
            g = b - a
            u = (np.arange(e0, s1) - a)[:, None] / g
            p0, p1 = flat[a, cols].astype(np.float64), flat[b, cols].astype(np.float64)
            if method == "cubic" and e0 - s0 >= 2 and e1 - s1 >= 2:
                seg = _cubic_across(
                    flat,
                    cols,
                    range(max(s0, e0 - _CUBIC_SIDE), e0),
                    range(s1, min(e1, s1 + _CUBIC_SIDE)),
                    np.arange(e0, s1),
                )
            else:
                seg = (1 - u) * p0 + u * p1
            flat[e0:s1, cols] = seg
            filled[e0:s1, cols] = True
    return out, filled.reshape(out.shape)


def _cubic_across(flat: np.ndarray, cols: np.ndarray, before: range, after: range, gap: np.ndarray) -> np.ndarray:
    """Values in ``gap`` of a cubic fitted by least squares to the samples ``before`` and ``after`` it.

    The fit is then shifted by a straight line so that it meets the last sample before and the
    first after exactly: no jump at the gap's edges. Fitting 4 + 4 noisy samples, rather than
    taking speeds from differences at the ends, keeps detector jitter from bending the curve.
    """
    frames = np.array(list(before) + list(after))
    origin = before[-1]
    coef = np.polyfit(frames - origin, flat[frames][:, cols].astype(np.float64), 3)  # (4, S)
    powers = lambda t: np.stack([t**3, t**2, t, np.ones_like(t)], axis=1).astype(np.float64)  # noqa: E731
    ends = powers(np.array([0, after[0] - origin])) @ coef
    miss_a = flat[before[-1], cols] - ends[0]
    miss_b = flat[after[0], cols] - ends[1]
    u = ((gap - origin) / (after[0] - origin))[:, None]
    return powers(gap - origin) @ coef + (1 - u) * miss_a + u * miss_b


# ---------------------------------------------------------------------------------------------
# Step 5: smoothing


def one_euro(
    values: np.ndarray,
    fps: float,
    min_cutoff: float = 0.5,
    beta: float = 10.0,
    d_cutoff: float = 1.0,
    scale=1.0,
    zero_phase: bool = False,
) -> np.ndarray:
    """One Euro filter (Casiez et al. 2012) along axis 0, restarted after every NaN.

    A low-pass filter whose cutoff rises with the speed: ``min_cutoff + beta * |speed| / scale``
    (Hz; speed in units per second). Still poses get a low cutoff (jitter removed), fast moves a
    high one (little lag). ``scale`` (broadcast against ``values[0]``) divides the speed so that
    ``beta`` is per person size per second: the same settings fit pixels and normalised units.

    The filter is causal, made for live input: however high ``beta``, a moving limb trails by
    about ``scale / (2 pi beta)``, which on a dancer's limbs costs more than the jitter it removes.
    A whole recording is at hand here, so ``zero_phase`` averages the forward pass with a
    backward one: their lags are equal and opposite, and the noise is averaged once more.
    """
    if zero_phase:
        forward = one_euro(values, fps, min_cutoff, beta, d_cutoff, scale)
        backward = one_euro(np.asarray(values)[::-1], fps, min_cutoff, beta, d_cutoff, scale)[::-1]
        return (forward + backward) / 2
    x = np.asarray(values, dtype=np.float64)
    out = np.full_like(x, np.nan)
    if len(x) == 0:
        return out
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), x.shape[1:])
    te = 1.0 / fps

    def alpha(cutoff):
        return 1.0 / (1.0 + 1.0 / (2 * np.pi * cutoff * te))

    a_d = alpha(d_cutoff)
    rate = beta / scale
    prev = np.full(x.shape[1:], np.nan)
    dprev = np.zeros(x.shape[1:])
    for t in range(len(x)):
        cur = x[t]
        started = ~np.isnan(prev) & ~np.isnan(cur)  # prev is NaN after a NaN: the filter restarts
        dx = np.where(started, a_d * (cur - prev) / te + (1 - a_d) * dprev, 0.0)
        a = alpha(min_cutoff + rate * np.abs(dx))
        prev = np.where(started, prev + a * (cur - prev), cur)
        out[t] = prev
        dprev = dx
    return out


def savgol(values: np.ndarray, window: int = 9, order: int = 3) -> np.ndarray:
    """Savitzky-Golay smoothing along axis 0 within each run of finite values.

    Zero-phase (a centred window), so it never lags, but a step is spread over the window. A run
    shorter than ``window`` uses the longest odd window that fits; one too short for ``order`` is
    left as it is.
    """
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    flat = out.reshape(len(out), int(np.prod(out.shape[1:])))
    if flat.size == 0:
        return out
    src = x.reshape(len(x), int(np.prod(x.shape[1:])))
    for cols, finite in _columns_by_pattern(src):
        for s, e in _finite_runs(finite):
            w = min(window, (e - s) if (e - s) % 2 else (e - s - 1))
            if w <= order or w < 3:
                continue
            flat[s:e, cols] = savgol_filter(src[s:e, cols], w, order, axis=0, mode="interp")
    return out


def smooth(values: np.ndarray, fps: float, options: TrackOptions = TrackOptions(), scale=1.0) -> np.ndarray:
    """Smooth ``values`` (T, ...) along time by ``options.smoothing``; NaN stays NaN."""
    if options.smoothing == "one_euro":
        return one_euro(values, fps, options.min_cutoff, options.beta, options.d_cutoff, scale, options.zero_phase)
    if options.smoothing == "savgol":
        return savgol(values, options.savgol_window, options.savgol_order)
    return np.array(values, dtype=np.float64, copy=True)
