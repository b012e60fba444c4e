import json

import pytest

from rhythm import aist, demo
from rhythm.errors import RhythmInputError
from rhythm.ffmpeg import run_ffmpeg
from rhythm.frames import FrameOptions, extract_for_video, extract_frames, load_mapping

VIDEO = "gBR_sBM_c01_d01_mBR0_ch01"


def test_frames_align_with_annotations(demo_source, tmp_path):
    out = tmp_path / VIDEO
    mapping = extract_for_video(demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", out)
    n = demo.DemoRecipe().num_frames
    assert mapping["num_frames"] == n == len(list(out.glob("*.jpg")))
    assert mapping["frames"][7] == {"index": 7, "file": "000007.jpg", "timestamp_s": 0.116667, "annotation_index": 7}
    assert (mapping["fps"], mapping["source_fps"], mapping["width"], mapping["height"]) == (60, 60.0, 320, 180)
    assert json.loads((out / "frame_mapping.json").read_text()) == mapping
    assert load_mapping(out)["sequence"] == aist.sequence_name(VIDEO)


def test_stride_and_resize(demo_source, tmp_path):
    out = tmp_path / "s"
    opts = FrameOptions(stride=10, width=160)
    mapping = extract_for_video(demo_source / "videos" / f"{VIDEO}.mp4", demo_source / "annotations", out, opts)
    assert [f["index"] for f in mapping["frames"]][:3] == [0, 10, 20]
    assert sorted(p.name for p in out.glob("*.jpg"))[:2] == ["000000.jpg", "000010.jpg"]
    assert (mapping["width"], mapping["height"], mapping["source_width"]) == (160, 90, 320)


def test_frame_count_mismatch_is_an_error_that_leaves_nothing(demo_source, tmp_path):
    out = tmp_path / "frames" / VIDEO
    with pytest.raises(RhythmInputError, match=r"has 300 frames at 60 fps but its keypoints have 290 frames"):
        extract_frames(demo_source / "videos" / f"{VIDEO}.mp4", out, num_annotation_frames=290)
    assert not out.exists()
    assert not (tmp_path / "frames").exists() or list((tmp_path / "frames").iterdir()) == []  # no temp folder
    mapping = extract_frames(demo_source / "videos" / f"{VIDEO}.mp4", out, num_annotation_frames=298,
                             options=FrameOptions(max_mismatch=2))
    assert mapping["num_frames"] == 298 and mapping["notes"]


def test_5994_fps_source_is_resampled_and_reported(demo_source, tmp_path):
    src = tmp_path / "ntsc.mp4"
    run_ffmpeg(["-i", str(demo_source / "videos" / f"{VIDEO}.mp4"), "-vf", "fps=60000/1001", "-c:v", "libx264",
                "-preset", "ultrafast", str(src)])
    mapping = extract_frames(src, tmp_path / "out", num_annotation_frames=300, options=FrameOptions(max_mismatch=1))
    assert abs(mapping["num_frames"] - 300) <= 1
    assert any("59.94" in n for n in mapping["notes"])


def test_truncated_video_is_reported(demo_source, tmp_path):
    bad = tmp_path / f"{VIDEO}.mp4"
    data = (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(RhythmInputError, match=VIDEO):
        extract_for_video(bad, demo_source / "annotations", tmp_path / "out")
    assert not (tmp_path / "out").exists()
