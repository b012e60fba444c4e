"""In-process decoding (PyAV) gives ffmpeg's frames, in ffmpeg's order, and fails with the file named."""

import hashlib
import subprocess

import numpy as np
import pytest

from rhythm.core.decoding import decoded_frames, plane_array
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import ffmpeg_exe, run_ffmpeg
from rhythm.video.frames import FrameOptions, extract_frames


def planes_md5(frame) -> str:
    return hashlib.md5(b"".join(plane_array(frame, k).tobytes() for k in range(3))).hexdigest()


def ffmpeg_md5s(video) -> list[str]:
    out = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(video),
            "-map",
            "0:v:0",
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines() if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def bframes_clip(tmp_path_factory):
    """B-frames (decode order differs from presentation order); 100-pixel chroma rows are padded in memory."""
    path = tmp_path_factory.mktemp("dec") / "b.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=200x120:rate=60",
            "-frames:v",
            "90",
            "-c:v",
            "libx264",
            "-preset",
            "medium",
            "-bf",
            "3",
            "-g",
            "24",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ]
    )
    return path


def test_frames_are_ffmpegs_frames_in_presentation_order(bframes_clip):
    reference = ffmpeg_md5s(bframes_clip)
    assert len(reference) == 90
    got = [(i, planes_md5(f)) for i, f in decoded_frames(bframes_clip, list(range(90)))]
    assert got == list(enumerate(reference))
    picked = [(i, planes_md5(f)) for i, f in decoded_frames(bframes_clip, [3, 40, 41, 89])]
    assert picked == [(i, reference[i]) for i in (3, 40, 41, 89)]


def test_a_frame_past_the_end_names_the_file(bframes_clip):
    with pytest.raises(RhythmInputError, match=r"b\.mp4.*ended at source frame 90, before source frame 95"):
        list(decoded_frames(bframes_clip, [0, 95]))


def test_not_a_video_names_the_file(tmp_path):
    bad = tmp_path / "page.mp4"
    bad.write_text("<html>not found</html>")
    with pytest.raises(RhythmInputError, match=r"page\.mp4.*not a readable video"):
        list(decoded_frames(bad, [0]))


def decoded_bgr(video) -> np.ndarray:
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(video),
            "-sws_flags",
            "accurate_rnd+full_chroma_int",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8)


@pytest.mark.parametrize(
    "pix_fmt,tolerance", [("yuvj420p", 2.5), ("yuv420p", 2.5), ("yuv444p", 6.0)]
)  # 4:2:0 JPEGs halve 4:4:4 colour detail
def test_every_source_format_keeps_its_colours(tmp_path, pix_fmt, tolerance):
    """Full-range sources are copied, video-range widened, other formats scaled: never washed out or crushed."""
    import cv2

    src = tmp_path / f"{pix_fmt}.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x96:rate=60",
            "-frames:v",
            "3",
            "-c:v",
            "libx264",
            "-qp",
            "0",
            "-pix_fmt",
            pix_fmt,
            str(src),
        ]
    )
    extract_frames(src, tmp_path / "f", options=FrameOptions(quality=100))
    jpg = cv2.imread(str(tmp_path / "f" / "000000.jpg")).astype(float)
    ref = decoded_bgr(src).reshape(96, 160, 3).astype(float)
    assert abs((jpg - ref).mean()) < 0.5 and np.abs(jpg - ref).mean() < tolerance
    assert jpg.max() > 240 and jpg.min() < 15  # testsrc2 has black and white: the full range is used


def test_odd_output_size_goes_through_bgr(tmp_path, bframes_clip):
    import cv2

    mapping = extract_frames(bframes_clip, tmp_path / "o", options=FrameOptions(width=101, height=61, stride=30))
    assert mapping["num_frames"] == 3
    assert cv2.imread(str(tmp_path / "o" / "000030.jpg")).shape == (61, 101, 3)
