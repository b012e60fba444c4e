import json
import subprocess

import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import ffmpeg_exe, probe_video, run_ffmpeg
from rhythm.sources import demo
from rhythm.video.frames import FrameOptions, align_fps, extract_for_video, extract_frames, load_mapping

VIDEO = "gBR_sBM_c01_d01_mBR0_ch01"


def frame_md5s(video, vf=None) -> list[str]:
    """MD5 of every decoded frame, as ffmpeg's framemd5 muxer prints them (optionally through a filter)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(video), "-map", "0:v:0"]
    cmd += ["-vf", vf] if vf else ["-fps_mode", "passthrough"]
    out = subprocess.run(cmd + ["-f", "framemd5", "-"], capture_output=True, text=True, check=True).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def test_frames_align_with_annotations(demo_source, tmp_path):
    out = tmp_path / VIDEO
    mapping = extract_for_video(demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", out)
    n = demo.DemoRecipe().num_frames
    assert mapping["num_frames"] == n == len(list(out.glob("*.jpg")))
    assert mapping["frames"][7] == {
        "index": 7,
        "file": "000007.jpg",
        "timestamp_s": 0.116667,
        "annotation_index": 7,
        "source_index": 7,
        "source_time_s": 0.116667,
    }
    assert (mapping["fps"], mapping["source_fps"], mapping["width"], mapping["height"]) == (60, 60.0, 320, 180)
    assert mapping["duplicated_source_frames"] == mapping["skipped_source_frames"] == 0 and mapping["notes"] == []
    assert json.loads((out / "frame_mapping.json").read_text()) == mapping
    assert load_mapping(out)["sequence"] == aist.sequence_name(VIDEO)


def test_jpegs_are_the_decoded_frames(demo_source, tmp_path):
    """Frame i on disk is source frame i, in true colours (full-range YUV, not washed-out video range)."""
    import cv2

    video = demo_source / "videos" / f"{VIDEO}.mp4"
    extract_frames(video, tmp_path / "f", options=FrameOptions(quality=98))
    # accurate rounding: ffmpeg's fast default yuv->bgr conversion is 1.35 levels too dark on this video
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(video),
            "-sws_flags",
            "accurate_rnd+full_chroma_int",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 180, 320, 3).astype(float)
    for i in (0, 123, 299):
        jpg = cv2.imread(str(tmp_path / "f" / f"{i:06d}.jpg")).astype(float)
        errors = [np.abs(jpg - frames[j]).mean() for j in (i - 1, i, i + 1) if 0 <= j < len(frames)]
        assert np.abs(jpg - frames[i]).mean() == min(errors) and np.abs(jpg - frames[i]).mean() < 1.5
        assert abs((jpg - frames[i]).mean()) < 0.5  # no brightness shift: the video range was widened right


def test_fps_alignment_equals_ffmpegs_fps_filter_on_a_5994_source(tmp_path):
    """The AIST++ API decodes with ffmpeg's fps=60:round=down; our mapping picks the very same frames."""
    src = tmp_path / "ntsc.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=96x64:rate=60000/1001",
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "30",
            str(src),
        ]
    )
    info = probe_video(src)
    assert info.num_frames == 1199 and info.fps == pytest.approx(59.94)
    al = align_fps(info.frame_times, info.stream_duration_s, 60)
    source, reference = frame_md5s(src), frame_md5s(src, "fps=60:round=down")
    assert al.count == len(reference) == 1200
    assert [source[k] for k in al.source_index] == reference
    mapping = extract_frames(src, tmp_path / "out", num_annotation_frames=1200)
    assert mapping["duplicated_source_frames"] == 1 and mapping["skipped_source_frames"] == 0
    assert any("59.94" in n for n in mapping["notes"]) and any("shown twice" in n for n in mapping["notes"])


def test_missing_source_frame_in_timestamps_mode(tmp_path):
    """A frame dropped from the middle (a gap in the timestamps) is found and reported, not shifted."""
    src = tmp_path / "gap.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=96x64:rate=60",
            "-t",
            "2",
            "-vf",
            "select='not(eq(n\\,50))'",
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(src),
        ]
    )
    info = probe_video(src)
    assert info.num_frames == 119
    ts = np.round(np.arange(120) * 1e6 / 60).astype(np.int64)
    mapping = extract_frames(
        src, tmp_path / "t", num_annotation_frames=120, timestamps_us=ts, options=FrameOptions(align="timestamps")
    )
    src_of = {f["annotation_index"]: f["source_index"] for f in mapping["frames"]}
    assert src_of[49] == 49 and src_of[51] == 50 and src_of[119] == 118  # after the gap, one source frame back
    assert mapping["annotation_frames_without_source"] == 1 and mapping["duplicated_source_frames"] == 1
    fps = extract_frames(src, tmp_path / "f", num_annotation_frames=120)
    assert [f["source_index"] for f in fps["frames"]][49:52] == [49, 49, 50]  # ffmpeg's fps filter repeats 49


def test_extra_frames_are_reported_within_the_tolerance(demo_source, tmp_path):
    video = demo_source / "videos" / f"{VIDEO}.mp4"
    mapping = extract_frames(video, tmp_path / "a", num_annotation_frames=298, options=FrameOptions(max_mismatch=2))
    assert mapping["num_frames"] == 298 and mapping["unused_trailing_source_frames"] == 2
    assert "video has 300 frames, annotations 298; kept 298" in mapping["notes"]


def test_stride_resize_and_workers(demo_source, tmp_path):
    out = tmp_path / "s"
    opts = FrameOptions(stride=10, width=160, workers=1)
    mapping = extract_for_video(demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", out, opts)
    assert [f["index"] for f in mapping["frames"]][:3] == [0, 10, 20] and mapping["num_frames"] == 30
    assert sorted(p.name for p in out.glob("*.jpg"))[:2] == ["000000.jpg", "000010.jpg"]
    assert (mapping["width"], mapping["height"], mapping["source_width"]) == (160, 90, 320)
    full = tmp_path / "full"
    extract_for_video(
        demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", full, FrameOptions(width=160)
    )
    import cv2

    for i in (0, 10, 290):  # the strided frames are the same frames as in a full extraction
        a, b = cv2.imread(str(out / f"{i:06d}.jpg")), cv2.imread(str(full / f"{i:06d}.jpg"))
        assert np.array_equal(a, b)


def test_frame_count_mismatch_is_an_error_that_leaves_nothing(demo_source, tmp_path):
    out = tmp_path / "frames" / VIDEO
    with pytest.raises(RhythmInputError, match=r"has 300 frames at 60 fps but its keypoints have 290 frames"):
        extract_frames(demo_source / "videos" / f"{VIDEO}.mp4", out, num_annotation_frames=290)
    assert not out.exists()
    assert not (tmp_path / "frames").exists() or list((tmp_path / "frames").iterdir()) == []  # no temp folder


def test_truncated_video_is_reported(demo_source, tmp_path):
    bad = tmp_path / f"{VIDEO}.mp4"
    data = (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(RhythmInputError, match=VIDEO):
        extract_for_video(bad, demo_source / "annotations", tmp_path / "out")
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == [bad]
