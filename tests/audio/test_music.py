"""The music of a music id: the longest good video is its source, refused ones are named, and the
music must cover every dance it is paired with."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import soundfile as sf

from rhythm.audio.music import COVERAGE_TOLERANCE_S, check_coverage, extract_music
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.sources import demo

BASIC = ("gBR_sBM_cAll_d01_mBR0_ch01", "gBR_sBM_cAll_d02_mBR0_ch02")


@pytest.fixture(scope="module")
def mbr0(tmp_path_factory):
    """Two basic dances of mBR0 (5 s) and an advanced one (8 s), filmed by c01 and c02."""
    out = tmp_path_factory.mktemp("mbr0")
    recipe = demo.DemoRecipe(base_sequences=BASIC, advanced_s=8.0, cameras=("c01", "c02"))
    demo.generate(out, recipe, progress=False)
    return out


def videos(tree, *names):
    return [tree / "videos" / f"{n}.mp4" for n in names]


def test_the_longest_dance_is_the_source_wherever_it_is_listed(mbr0, tmp_path):
    basic = [str(aist.parse_name(s).with_camera("c01")) for s in BASIC]
    advanced = str(aist.parse_name(demo.DEMO_ADVANCED).with_camera("c02"))
    info = extract_music(
        videos(mbr0, *basic, advanced),
        tmp_path / "mBR0.wav",
        anno_dir=mbr0 / "annotations",
        sequences=[*BASIC, demo.DEMO_ADVANCED],
        report=tmp_path / "mBR0.json",
    )
    assert info["source"].endswith(f"{advanced}.mp4") and info["duration_s"] == 8.0
    assert info["too_short_for"] == {} and info["longest_dance_s"] == 8.0
    assert sf.info(str(tmp_path / "mBR0.wav")).frames == 8 * 16000
    assert json.loads((tmp_path / "mBR0.json").read_text())["source"] == info["source"]


def test_a_truncated_video_is_never_the_source(mbr0, tmp_path):
    """The longest dance's c01 video cut to 40 KB: its c02 view gives the same WAV, and the report names c01."""
    names = [str(aist.parse_name(demo.DEMO_ADVANCED).with_camera(c)) for c in ("c01", "c02")]
    good = extract_music(videos(mbr0, names[0]), tmp_path / "good.wav", anno_dir=mbr0 / "annotations")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / f"{names[0]}.mp4").write_bytes((mbr0 / "videos" / f"{names[0]}.mp4").read_bytes()[:40_000])
    lines = []
    info = extract_music(
        [damaged / f"{names[0]}.mp4", *videos(mbr0, names[1])],
        tmp_path / "mBR0.wav",
        anno_dir=mbr0 / "annotations",
        log=lines.append,
    )
    assert info["source"].endswith(f"{names[1]}.mp4")
    assert list(info["refused"]) == [str(damaged / f"{names[0]}.mp4")]
    assert re.match(r"truncated: \d+ of its 480 frames", next(iter(info["refused"].values())))
    assert lines and names[0] in lines[0]
    assert (tmp_path / "mBR0.wav").read_bytes() == (tmp_path / "good.wav").read_bytes()
    assert good["duration_s"] == 8.0


def test_a_video_whose_length_disagrees_with_its_annotations_is_refused(mbr0, tmp_path):
    """A basic 5 s video filed under the advanced dance's name (480 annotation frames) is not its music."""
    wrong = tmp_path / f"{aist.parse_name(demo.DEMO_ADVANCED).with_camera('c01')}.mp4"
    wrong.write_bytes((mbr0 / "videos" / "gBR_sBM_c01_d01_mBR0_ch01.mp4").read_bytes())
    with pytest.raises(RhythmInputError, match=r"has 300 frames at 60 fps but its annotations have 480"):
        extract_music([wrong], tmp_path / "x.wav", anno_dir=mbr0 / "annotations")
    info = extract_music(
        [wrong, *videos(mbr0, "gBR_sBM_c01_d01_mBR0_ch01")],
        tmp_path / "mBR0.wav",
        anno_dir=mbr0 / "annotations",
        sequences=[*BASIC, demo.DEMO_ADVANCED],
        log=lambda _: None,
    )
    assert info["duration_s"] == 5.0 and list(info["refused"]) == [str(wrong)]
    # the music is now too short for the advanced dance: the report says so, with both durations
    assert info["too_short_for"] == {demo.DEMO_ADVANCED: 8.0}


def test_every_source_refused_is_one_error_naming_them(mbr0, tmp_path):
    silent = tmp_path / "gBR_sBM_c01_d01_mBR0_ch01.mp4"
    from rhythm.video.render import encode_video

    sf.write(str(tmp_path / "quiet.wav"), np.zeros(16000 * 6, np.float32), 16000)
    encode_video(np.zeros((300, 64, 64, 3), np.uint8), tmp_path / "quiet.wav", silent)
    cut = tmp_path / "gBR_sBM_c02_d01_mBR0_ch01.mp4"
    cut.write_bytes((mbr0 / "videos" / cut.name).read_bytes()[:30_000])
    with pytest.raises(RhythmInputError, match=r"no usable source for music mBR0: all 2 refused"):
        extract_music([silent, cut], tmp_path / "mBR0.wav", anno_dir=mbr0 / "annotations", log=lambda _: None)
    assert not (tmp_path / "mBR0.wav").exists()


def test_music_must_cover_the_dance():
    check_coverage("s", "mBR0", 10.0, 10.0 + COVERAGE_TOLERANCE_S, "x.npy")  # one AAC frame short: fine
    with pytest.raises(RhythmInputError, match=r"x.npy: the music mBR0 lasts 10.00 s but s dances for 12.00 s"):
        check_coverage("s", "mBR0", 10.0, 12.0, "x.npy")


def test_loaders_refuse_music_shorter_than_the_dance(mbr0, tmp_path):
    """load_aligned_sequence, DanceWindows and load_single_sample never cut the dance to the music."""
    from rhythm.motion.audio2pose import load_single_sample
    from rhythm.motion.windows import DanceWindows, WindowSpec, load_aligned_sequence

    res = tmp_path / "results"
    for d in ("poses", "smpl", "features/30fps", "audio"):
        (res / d).mkdir(parents=True)
    seq = demo.DEMO_ADVANCED
    np.save(res / "poses" / f"{seq}.npy", np.zeros((480, 17, 3), np.float32))
    np.save(res / "smpl" / f"{seq}.params.npy", np.zeros((480, 75), np.float32))
    np.save(res / "features/30fps/mBR0.npy", np.zeros((150, 35), np.float32))  # 5 s of music
    sf.write(str(res / "audio/mBR0.wav"), np.zeros(5 * 16000, np.float32), 16000)
    short = r"the music mBR0 lasts 5.00 s but gBR_sFM_cAll_d01_mBR0_ch03 dances for 8.00 s"
    with pytest.raises(RhythmInputError, match=short):
        load_aligned_sequence(res, seq, "smpl_params", 30)
    with pytest.raises(RhythmInputError, match=short):
        DanceWindows(res, [seq], WindowSpec(length=30, stride=30, fps=30))
    with pytest.raises(RhythmInputError, match=short):
        load_single_sample(seq, res)
    sf.write(str(res / "audio/mBR0.wav"), np.zeros(9 * 16000, np.float32), 16000)
    pose, (wav, sr) = load_single_sample(seq, res)
    assert pose.shape == (480, 17, 3) and len(wav) == 8 * sr  # the music under the dance, no more
