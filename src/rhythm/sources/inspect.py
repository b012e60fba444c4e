"""``rhythm inspect``: what is inside any AIST++ pickle (keys, shapes, dtypes, ranges)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rhythm.core.io import read_pickle


def describe_pickle(path: str | Path) -> str:
    data = read_pickle(path)
    lines = [f"{path}"]
    items = data.items() if isinstance(data, dict) else [("(root)", data)]
    for key, value in items:
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf" and arr.size:
            finite = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr
            rng = (
                f"min {finite.min():.4g}  max {finite.max():.4g}  mean {finite.mean():.4g}"
                if finite.size
                else "all NaN"
            )
            nan = int(np.isnan(arr).sum()) if arr.dtype.kind == "f" else 0
            lines.append(
                f"  {key:<20} {str(arr.shape):<18} {str(arr.dtype):<8} {rng}" + (f"  NaN {nan}" if nan else "")
            )
        else:
            lines.append(f"  {key:<20} {type(value).__name__}: {str(value)[:60]}")
    return "\n".join(lines) + "\n"


def plot_keypoints(path: str | Path, out: str | Path, frame: int = 0, size: tuple[int, int] = (1920, 1080)) -> dict:
    """A PNG of one frame of a keypoints pickle, as the old ``visualizeKeypoints.py`` showed it.

    ``keypoints2d`` (views, N, 17, 3): one panel per camera, the stick figure on a blank frame of
    ``size`` (AIST++'s 1920x1080); ``keypoints3d`` (N, 17, 3): the skeleton in 3D (y up), both the
    plain and the optimised one when the file has them. Returns what was drawn.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rhythm.core.errors import RhythmInputError
    from rhythm.core.io import atomic_path
    from rhythm.core.skeleton import COCO_LIMBS

    path = Path(path)
    data = read_pickle(path)
    if not isinstance(data, dict) or not ({"keypoints2d", "keypoints3d"} & set(data)):
        raise RhythmInputError(path, "not a keypoints pickle (no keypoints2d or keypoints3d to plot)")
    if "keypoints2d" in data:
        kp = np.asarray(data["keypoints2d"], dtype=np.float64)
        if kp.ndim == 3:  # one camera
            kp = kp[None]
        if kp.ndim != 4 or kp.shape[-2:] != (17, 3):
            raise RhythmInputError(path, f"keypoints2d has shape {kp.shape}, expected (views, N, 17, 3)")
        if not 0 <= frame < kp.shape[1]:
            raise RhythmInputError(path, f"frame {frame} is outside its {kp.shape[1]} frames")
        views = kp.shape[0]
        cols = min(3, views)
        rows = (views + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.4 * rows), squeeze=False)
        for v, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if v >= views:
                continue
            ax.add_patch(plt.Rectangle((0, 0), size[0], size[1], color="#f4f4f4"))
            pts = kp[v, frame]
            ok = np.isfinite(pts[:, :2]).all(axis=1) & (pts[:, 2] > 0)
            for a, b in COCO_LIMBS:
                if ok[a] and ok[b]:
                    ax.plot(pts[[a, b], 0], pts[[a, b], 1], "-", color="#2a7ab0", lw=1.5)
            ax.plot(pts[ok, 0], pts[ok, 1], "o", color="#e4572e", ms=2.5)
            ax.set(xlim=(0, size[0]), ylim=(size[1], 0), title=f"c{v + 1:02d}" if views == 9 else f"view {v}")
            ax.set_aspect("equal")
        kind, shape = "keypoints2d", kp.shape
    else:
        fig = plt.figure(figsize=(6, 6))
        ax = fig.add_subplot(projection="3d")
        for key, colour in (("keypoints3d", "#2a7ab0"), ("keypoints3d_optim", "#e4572e")):
            if key not in data:
                continue
            kp = np.asarray(data[key], dtype=np.float64)
            if kp.ndim != 3 or kp.shape[1:] != (17, 3):
                raise RhythmInputError(path, f"{key} has shape {kp.shape}, expected (N, 17, 3)")
            if not 0 <= frame < len(kp):
                raise RhythmInputError(path, f"frame {frame} is outside its {len(kp)} frames")
            pts = kp[frame]
            for i, (a, b) in enumerate(COCO_LIMBS):  # x, z on the floor, y up
                ax.plot(
                    pts[[a, b], 0],
                    pts[[a, b], 2],
                    pts[[a, b], 1],
                    "-",
                    color=colour,
                    lw=1.5,
                    label=key if i == 0 else None,
                )
        ax.set(xlabel="x", ylabel="z", zlabel="y (up)")
        lo, hi = np.array(ax.get_xlim3d()), np.array(ax.get_ylim3d())
        ax.set_box_aspect((np.ptp(lo), np.ptp(hi), np.ptp(ax.get_zlim3d())))  # equal scale on every axis
        ax.legend(loc="upper right", fontsize=8)
        kind, shape = (
            "keypoints3d",
            np.asarray(data["keypoints3d" if "keypoints3d" in data else "keypoints3d_optim"]).shape,
        )
    fig.suptitle(f"{path.stem}, frame {frame}", fontsize=9)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return {"kind": kind, "shape": list(shape), "frame": frame}
