"""Real input never becomes wrong data, end to end with the real Snakemake.

A demo tree with an advanced (8 s) dance of mBR0 beside its 5 s basic ones, data and results under
folders whose names have a space. Run once clean, once with the advanced dance's c01 video cut
to 40 KB: with --keep-going that video's own jobs fail, and the WAV, beats and features of mBR0
are the same bytes as the clean run's and cover the 8 s dance.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import soundfile as sf
import yaml

from rhythm.core import aist
from rhythm.sources import demo

from conftest import copy_workflow, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.workflow]

ADVANCED_C01 = str(aist.parse_name(demo.DEMO_ADVANCED).with_camera("c01"))


def config_for(data: Path) -> dict:
    """A user config from scratch: what it leaves out takes the schema's defaults."""
    return {
        "dataset": "spaced",
        "data": {"anno_dir": str(data / "annotations"), "video_dir": str(data / "videos")},
        "selection": {"splits": ["pose_train", "crossmodal_train"], "cameras": ["c01", "c02"]},
        "frames": {"coco_frames_only": True},
        "coco": {"splits": {"train": "pose_train"}, "stride": 60},
        "features": {"fps": [30]},
        "overlays": {"cameras": ["c02"], "limit": 2},
        "audio2pose": {"enabled": False},
    }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("with space") / "my data"
    recipe = demo.DemoRecipe(
        base_sequences=demo.DEMO_SEQUENCES[:2] + demo.DEMO_SEQUENCES[4:5], advanced_s=8.0, cameras=("c01", "c02")
    )
    demo.generate(root / "clean", recipe, progress=False)
    shutil.copytree(root / "clean", root / "damaged")
    video = root / "damaged" / "videos" / f"{ADVANCED_C01}.mp4"
    video.write_bytes(video.read_bytes()[:40_000])
    out = {}
    for name in ("clean", "damaged"):
        wf = copy_workflow(root.parent / f"work {name}")
        (wf / "user config.yaml").write_text(yaml.safe_dump(config_for(root / name)))
        proc = snakemake(wf, "--configfile", "user config.yaml", "--keep-going", check=False)
        out[name] = (wf, proc)
    return out


def test_the_clean_run_under_spaced_paths_completes(runs):
    wf, proc = runs["clean"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "is extended by additional config" not in proc.stderr  # the user's config stands alone
    res = wf / "results" / "spaced"
    assert (res / "reports" / "data_report.txt").is_file()
    assert not (res / "reconstruction").exists()  # schema default (off), not the demo config's (on)


def test_music_of_the_longest_dance_covers_it(runs):
    res = runs["clean"][0] / "results" / "spaced"
    wav = sf.info(str(res / "audio" / "mBR0.wav"))
    assert wav.frames == 8 * 16000  # the advanced dance's 8 s, not a basic video's 5 s
    report = yaml.safe_load((res / "audio" / "mBR0.json").read_text())
    assert report["source"].endswith(f"{ADVANCED_C01}.mp4") and report["too_short_for"] == {}


def test_a_truncated_video_fails_alone_and_changes_no_music(runs):
    (clean, _), (damaged, proc) = runs["clean"], runs["damaged"]
    assert proc.returncode != 0
    assert not (damaged / "results" / "spaced" / "frames" / ADVANCED_C01).exists()
    log = (damaged / "logs" / "extract_frames" / "spaced" / f"{ADVANCED_C01}.log").read_text()
    assert f"{ADVANCED_C01}.mp4: truncated" in log and "Traceback" not in log
    a, b = clean / "results" / "spaced", damaged / "results" / "spaced"
    for rel in ("audio/mBR0.wav", "beats/mBR0.json", "features/30fps/mBR0.npy", "audio/mPO1.wav"):
        assert digest(a / rel) == digest(b / rel), rel
    refused = yaml.safe_load((b / "audio" / "mBR0.json").read_text())["refused"]
    assert len(refused) == 1 and next(iter(refused)).endswith(f"my data/damaged/videos/{ADVANCED_C01}.mp4")
    assert "truncated" in next(iter(refused.values()))
    # the healthy c02 view of the same dance built its frames
    assert (b / "frames" / str(aist.parse_name(demo.DEMO_ADVANCED).with_camera("c02")) / "frame_mapping.json").is_file()
