"""Frame extraction speed: Rhythm against ffmpeg alone and against the seed's per-frame OpenCV loop.

Generates a 1920x1080 60 fps H.264 clip (600 frames), then, in one run and on the same clip:

* ``rhythm``: :func:`rhythm.video.frames.extract_frames` (decoded in process by PyAV, libjpeg-turbo encoders on
  every core), JPEG quality 95;
* ``ffmpeg``: ffmpeg alone decoding and writing the same JPEGs (``-q:v 2``, which matches quality
  95 in PSNR, printed below for both);
* ``opencv loop``: the seed's ``cv2.VideoCapture.read`` + ``cv2.imwrite`` per frame (quality 95).

Then how both scale with cores (``taskset`` to 1 and 2 cores) and with the stride (every frame,
every 5th, every 10th: the frames a COCO split needs). The last line is
``frames_per_s=... ratio_vs_ffmpeg=... ratio_vs_opencv_loop=...`` (ratios > 1: Rhythm is faster).

    python benchmarks/frames.py [--frames 600] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rhythm.core.ffmpeg import ffmpeg_exe, run_ffmpeg
from rhythm.video.frames import FrameOptions, extract_frames

QUALITY = 95
FFMPEG_QSCALE = 2


def make_clip(path: Path, frames: int) -> None:
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=60",
            "-frames:v",
            str(frames),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ]
    )


def cpu_seconds() -> float:
    """CPU time of this process and its finished children, user plus system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_of(repeat: int, fn, cpu: list | None = None) -> float:
    """The shortest wall time of ``repeat`` runs; ``cpu`` (if given) gets that run's CPU seconds."""
    runs = []
    for _ in range(repeat):
        c, t = cpu_seconds(), time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t, cpu_seconds() - c))
    best = min(runs)
    if cpu is not None:
        cpu.append(best[1])
    return best[0]


def rhythm_run(clip: Path, out: Path, stride: int = 1, workers: int = 0) -> None:
    shutil.rmtree(out, ignore_errors=True)
    extract_frames(clip, out, options=FrameOptions(quality=QUALITY, stride=stride, workers=workers))


def ffmpeg_run(clip: Path, out: Path, stride: int = 1, threads: int = 0) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    vf = ["-vf", f"select='not(mod(n\\,{stride}))'", "-fps_mode", "passthrough"] if stride > 1 else []
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-threads",
            str(threads),
            "-i",
            str(clip),
            *vf,
            "-q:v",
            str(FFMPEG_QSCALE),
            str(out / "%06d.jpg"),
        ],
        check=True,
    )


def opencv_loop(clip: Path, out: Path, stride: int = 1) -> None:
    """The seed's loop: read every frame through OpenCV, write the wanted ones one by one."""
    import cv2

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cap = cv2.VideoCapture(str(clip))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % stride == 0:
            cv2.imwrite(str(out / f"{i:06d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        i += 1
    cap.release()


def psnr_vs_source(clip: Path, folder: Path, count: int = 5) -> float:
    """Mean PSNR (dB) of the first JPEGs against the decoded source frames, in full-range YUV."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(clip),
            "-frames:v",
            str(count),
            "-vf",
            "scale=out_range=full",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "rawvideo",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    ref = np.frombuffer(raw, np.uint8).reshape(count, -1).astype(np.float64)
    files = sorted(folder.glob("*.jpg"))[:count]
    values = []
    for k, f in enumerate(files):
        dec = subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(f), "-pix_fmt", "yuvj420p", "-f", "rawvideo", "-"],
            capture_output=True,
            check=True,
        ).stdout
        img = np.frombuffer(dec, np.uint8).astype(np.float64)
        values.append(10 * np.log10(255**2 / np.mean((img - ref[k]) ** 2)))
    return float(np.mean(values))


def pinned(cores: int) -> list[str]:
    """A prefix running a command on the first ``cores`` cores (the whole process tree)."""
    return ["taskset", "-c", ",".join(str(c) for c in range(cores))] if shutil.which("taskset") else []


def timed_subprocess(args: list[str], repeat: int) -> float:
    return best_of(repeat, lambda: subprocess.run(args, check=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.frames
    with tempfile.TemporaryDirectory(prefix="rhythm-frames-") as tmp:
        tmp = Path(tmp)
        clip = tmp / "clip1080.mp4"
        make_clip(clip, n)
        cpu: list[float] = []  # CPU seconds of each best run: rhythm, ffmpeg, opencv loop
        t_rhythm = best_of(args.repeat, lambda: rhythm_run(clip, tmp / "r"), cpu)
        t_ffmpeg = best_of(args.repeat, lambda: ffmpeg_run(clip, tmp / "f"), cpu)
        t_opencv = best_of(max(1, args.repeat - 1), lambda: opencv_loop(clip, tmp / "o"), cpu)
        p_rhythm, p_ffmpeg = psnr_vs_source(clip, tmp / "r"), psnr_vs_source(clip, tmp / "f")
        size = lambda d: sum(f.stat().st_size for f in d.glob("*.jpg")) / len(list(d.glob("*.jpg"))) / 1e3  # noqa
        print(f"{n} frames of 1920x1080, {os.cpu_count()} cores, best of {args.repeat}")
        print(
            f"  rhythm (quality {QUALITY})      {t_rhythm:6.2f} s  {n / t_rhythm:6.1f} frames/s  "
            f"CPU {cpu[0]:5.2f} s  PSNR {p_rhythm:.2f} dB  {size(tmp / 'r'):.0f} kB/frame"
        )
        print(
            f"  ffmpeg (-q:v {FFMPEG_QSCALE})           {t_ffmpeg:6.2f} s  {n / t_ffmpeg:6.1f} frames/s  "
            f"CPU {cpu[1]:5.2f} s  PSNR {p_ffmpeg:.2f} dB  {size(tmp / 'f'):.0f} kB/frame"
        )
        print(f"  opencv loop (quality {QUALITY}) {t_opencv:6.2f} s  {n / t_opencv:6.1f} frames/s  CPU {cpu[2]:5.2f} s")

        print("\nscaling (frames/s; cores pinned with taskset, stride = every n-th frame written)")
        print(f"  {'cores':>5} {'stride':>6} {'rhythm':>8} {'ffmpeg':>8} {'ratio':>6}")
        code = (
            "import sys; from pathlib import Path; sys.path.insert(0, {root!r}); "
            "from benchmarks_frames import rhythm_run; rhythm_run(Path({clip!r}), Path({out!r}), {stride}, {cores})"
        )
        helper = tmp / "benchmarks_frames.py"
        shutil.copy(__file__, helper)
        for cores in (1, 2):
            for stride in (1, 5, 10):
                written = len(range(0, n, stride))
                t_r = timed_subprocess(
                    pinned(cores)
                    + [
                        sys.executable,
                        "-c",
                        code.format(root=str(tmp), clip=str(clip), out=str(tmp / "rs"), stride=stride, cores=cores),
                    ],
                    args.repeat,
                )
                t_f = timed_subprocess(
                    pinned(cores)
                    + [
                        sys.executable,
                        "-c",
                        f"import sys; sys.path.insert(0, {str(tmp)!r}); "
                        f"from pathlib import Path; from benchmarks_frames import "
                        f"ffmpeg_run; ffmpeg_run(Path({str(clip)!r}), "
                        f"Path({str(tmp / 'fs')!r}), {stride}, {cores})",
                    ],
                    args.repeat,
                )
                print(f"  {cores:>5} {stride:>6} {written / t_r:8.1f} {written / t_f:8.1f} {t_f / t_r:6.2f}")
    print(
        f"frames_per_s={n / t_rhythm:.1f} ratio_vs_ffmpeg={t_ffmpeg / t_rhythm:.2f} "
        f"ratio_vs_opencv_loop={t_opencv / t_rhythm:.2f}"
    )


if __name__ == "__main__":
    main()
