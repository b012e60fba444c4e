"""The browser's data: size and encode/decode time of a sequence page's arrays, packed (int16 in
base64, rhythm.browser.packing) against the baseline of plain JSON numbers at the same precision
(millimetres), in the same process, on the genuine AIST++ keypoints3d of ../shared/data.

Decoding is timed in Python (numpy), a stand-in for the page's loop over ``atob``; the size is
what the browser downloads and parses. The last line is a ``key=value`` summary.

    python benchmarks/browser.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rhythm.browser.packing import pack, unpack  # noqa: E402
from rhythm.core import aist  # noqa: E402

ANNO = ROOT.parent / "shared" / "data" / "aistpp_smpl"
SEQ = "gBR_sBM_cAll_d06_mBR2_ch06"


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    joints = aist.load_keypoints3d(ANNO / "keypoints3d" / f"{SEQ}.pkl", optim=True)  # (T, 17, 3) cm
    kp2d = aist.load_keypoints2d(ANNO / "keypoints2d" / f"{SEQ}.pkl").keypoints[..., :2]  # (9, T, 17, 2) px
    rows = []
    for label, values, scale in (("keypoints3d (mm)", joints, 0.1), ("keypoints2d, 9 views (0.1 px)", kp2d, 0.1)):
        plain = lambda: json.dumps(np.round(values / scale).astype(int).tolist(), separators=(",", ":"))  # noqa: E731
        packed = lambda: json.dumps(pack(values, scale), separators=(",", ":"))  # noqa: E731
        text_plain, text_packed = plain(), packed()
        t_plain = best_of(plain)
        t_packed = best_of(packed)
        d_plain = best_of(lambda: np.asarray(json.loads(text_plain)) * scale)
        d_packed = best_of(lambda: unpack(json.loads(text_packed)))
        ratio = len(text_plain) / len(text_packed)
        rows.append((label, ratio, t_plain / t_packed, d_plain / d_packed))
        print(
            f"{label:<32} {values.size:>8} values: JSON {len(text_plain) / 1e3:8.1f} KB, packed "
            f"{len(text_packed) / 1e3:8.1f} KB ({ratio:.2f}x smaller); encode {t_plain / t_packed:.1f}x, "
            f"decode {d_plain / d_packed:.1f}x faster"
        )
    print(
        f"frames={len(joints)} size_ratio_3d={rows[0][1]:.2f} size_ratio_2d={rows[1][1]:.2f} "
        f"encode_speedup_3d={rows[0][2]:.1f} decode_speedup_3d={rows[0][3]:.1f}"
    )


if __name__ == "__main__":
    main()
