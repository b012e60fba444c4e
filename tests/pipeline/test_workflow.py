"""The real Snakemake workflow on the demo dataset, end to end, in a temporary folder (slow)."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from rhythm.browser.screenshots import find_chromium
from rhythm.core import aist
from rhythm.pipeline.config import load_config
from rhythm.pipeline.rtmpose import openmmlab_missing

from conftest import SNAKEMAKE, run, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.workflow]


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


@pytest.fixture(scope="module")
def wf(demo_workflow) -> Path:
    return demo_workflow


def test_frames_match_annotations(wf):
    out = wf / "results" / "demo"
    mappings = sorted(out.glob("frames/*/frame_mapping.json"))
    assert len(mappings) == 21  # 7 sequences (one ignored) x 3 cameras
    for path in mappings:
        m = json.loads(path.read_text())
        kp = aist.load_keypoints2d(aist.keypoints2d_path(wf / "results/demo/source/annotations", m["sequence"]))
        assert m["num_frames"] == kp.num_frames == len(m["frames"])
        assert all((path.parent / f["file"]).is_file() for f in m["frames"])
    assert not list(out.glob("frames/gPO_sBM_c0?_d02_mPO1_ch02"))  # the ignored sequence


def test_coco_files_load_in_pycocotools(wf):
    from pycocotools.coco import COCO

    for split, n_videos in (("train", 9), ("val", 6), ("test", 6)):
        coco = COCO(str(wf / f"results/demo/rtmpose_dataset/{split}/annotations/{split}.json"))
        assert len(coco.getImgIds()) == n_videos * 300
        img = coco.loadImgs(coco.getImgIds()[0])[0]
        assert (wf / f"results/demo/rtmpose_dataset/{split}/images/{img['file_name']}").is_file()
        assert (wf / f"results/demo/rtmpose_dataset/rtmpose_{split}.py").is_file()


def test_audio_beats_poses_reports(wf):
    out = wf / "results" / "demo"
    wavs = sorted(out.glob("audio/*.wav"))
    assert [w.stem for w in wavs] == ["mBR0", "mBR3", "mPO1", "mPO4"]
    for wav in wavs:
        info = sf.info(str(wav))
        assert (info.samplerate, info.channels) == (16000, 1)
        beats = json.loads((out / "beats" / f"{wav.stem}.json").read_text())
        bpm = aist.music_bpm(wav.stem)
        assert abs(beats["tempo_bpm"] - bpm) / bpm < 0.03
        assert (out / "reports" / "beats" / f"{wav.stem}.png").is_file()
    for npy in sorted(out.glob("poses/*.npy")):
        with open(aist.keypoints3d_path(out / "source/annotations", npy.stem), "rb") as fh:
            expected = pickle.load(fh)["keypoints3d"]
        np.testing.assert_array_equal(np.load(npy), expected.astype(np.float32))
    assert len(list(out.glob("poses/*.npy"))) == 7
    assert len(list(out.glob("overlays/*/overlay.mp4"))) == 7
    assert len(list(out.glob("overlays/gBR_sBM_c01_d01_mBR0_ch01/*.png"))) == 20
    report = json.loads((out / "reports/data_report.json").read_text())
    assert report["frames"]["frames"] == 21 * 300
    assert report["splits"]["pose_train"]["ignored"] == ["gPO_sBM_cAll_d02_mPO1_ch02"]
    assert "pose_train" in (out / "reports/data_report.txt").read_text()
    assert len(report["reprojection"]) == 7
    for seq, r in report["reprojection"].items():  # the demo's cameras are exact: every view within 2 px
        assert r["outliers"] == [] and max(r["median_px"].values()) < 2.0, seq
    assert "reprojection of keypoints3d" in (out / "reports/data_report.txt").read_text()
    rec = report["reconstruction"]["summary"]
    assert rec["sequences"] == 2 and rec["vs_official_keypoints3d"]["median"] < 2.0  # cm; 320x180 views, 0.7 px noise
    text = (out / "reports/data_report.txt").read_text()
    assert "reconstruction: 2 sequences triangulated" in text and "vs official" in text
    # no landmark weights in the demo (landmarks.enabled: auto): no landmark jobs, and the report says why
    assert report["landmarks"]["status"] == "not run" and not (out / "landmarks").exists()
    assert "landmarks: not run (landmarks.enabled is auto" in text and "rhythm models fetch" in text
    html = (out / "reports/data_report.html").read_text()
    assert html.count("<img src='beats/") == 4
    # the QA table: one row per sequence, everything built for each
    table = pd.read_csv(out / "reports/sequences.csv").set_index("sequence")
    assert len(table) == 7 and (table["videos_with_frames"] == 3).all() and table["pose_npy"].all()
    assert (table["overlays"] == 1).all() and (table["reprojection_median_px"] < 2.0).all()
    assert (table["tempo_bpm"] - table["music_bpm"]).abs().max() < 2.0
    splits = pd.read_csv(out / "reports/splits.csv").set_index("split")
    assert splits.loc["pose_train", "ignored"] == 1 and splits["frames"].sum() == 4200


def test_audio2pose_outputs(wf):
    from rhythm.motion.audio2pose import load_single_sample

    out = wf / "results" / "demo"
    for fps, n in ((60, 300), (30, 150)):
        assert [np.load(p).shape for p in sorted(out.glob(f"features/{fps}fps/*.npy"))] == [(n, 35)] * 4
    assert np.load(out / "smpl/gBR_sBM_cAll_d01_mBR0_ch01.joints.npy").shape == (300, 24, 3)
    assert np.load(out / "smpl/gBR_sBM_cAll_d01_mBR0_ch01.params.npy").shape == (300, 75)
    index = json.loads((out / "audio2pose/index.json").read_text())
    assert len(index["samples"]) == 7
    pose, (wav, sr) = load_single_sample(index["samples"][0]["id"], out / "audio2pose")
    assert pose.shape == (300, 17, 3) and sr == 16000


def test_no_output_folder_keeps_a_temporary_file(wf):
    """Every output is written under a temporary name and renamed: after a run none is left anywhere
    (training's re-link of last.pt onto the file it already was used to leave one)."""
    leftovers = [p for p in (wf / "results").rglob("*") if ".part" in p.name]
    assert leftovers == []
    assert (wf / "results/models/demo/checkpoints/last.pt").is_file()


def test_second_run_has_nothing_to_do(wf):
    assert "Nothing to be done" in snakemake(wf, "-n").stdout


def test_changing_keypoints_reruns_only_what_depends_on_them(wf):
    # Snakemake records checksums of small inputs, so a bare `touch` of this 0.5 MB file would not
    # count as a change; an edit does.
    kp = wf / "results/demo/source/annotations/keypoints2d/gBR_sBM_cAll_d01_mBR0_ch01.pkl"
    data = pickle.loads(kp.read_bytes())
    data["det_scores"][0, 0] += 0.01
    kp.write_bytes(pickle.dumps(data))
    counts = job_counts(snakemake(wf, "-n").stdout)
    expected = {
        "extract_frames": 3,
        "coco_split": 1,
        "overlay": 1,
        "reprojection": 1,
        "triangulate": 1,
        "calibrate": 1,
        "fit_smpl": 1,
        "reconstruction_errors": 1,
        "data_report": 1,
        "browser": 1,
        "all": 1,
    }
    if find_chromium():  # browser.screenshots: auto
        expected["browser_screenshot"] = 2  # the index and a sequence page
    if not openmmlab_missing():  # rtmpose.enabled: auto runs where the stack is (make test): the train set changed
        expected.update(train_rtmpose=1, evaluate_rtmpose=1, rtmpose_infer=1)
    assert counts == expected
    snakemake(wf)
    assert "Nothing to be done" in snakemake(wf, "-n").stdout


def test_one_target_builds_just_that(wf):
    target = wf / "results/demo/beats/mBR0.json"
    target.unlink()
    counts = job_counts(snakemake(wf, "-n", "results/demo/beats/mBR0.json").stdout)
    assert counts == {"beats": 1}
    snakemake(wf, "results/demo/beats/mBR0.json")
    assert json.loads(target.read_text())["music"] == "mBR0"


def test_lint_is_clean(wf):
    proc = run([*SNAKEMAKE, "--lint"], cwd=wf)
    assert "Congratulations" in proc.stdout + proc.stderr


def test_invalid_config_gives_a_schema_error(wf):
    config = load_config(wf / "config/config.yaml")
    config["frames"]["quality"] = 101
    (wf / "config/bad.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(wf, "-n", "--configfile", "config/bad.yaml", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "frames.quality: 101 is not valid: expected at most 100" in text


def _broken_config(wf: Path, src: Path, name: str) -> Path:
    config = load_config(wf / "config/config.yaml")
    config["dataset"] = name
    config["demo"]["enabled"] = False
    config["model"]["enabled"] = False  # data failures only; the demo's model is tested on the demo
    config["rtmpose"]["enabled"] = False  # so is RTMPose
    config["reconstruction"]["enabled"] = False  # so is the reconstruction
    config["data"].update(anno_dir=str(src / "annotations"), video_dir=str(src / "videos"))
    path = wf / "config" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_bad_inputs_fail_clearly_and_the_rest_builds(wf):
    src = wf / "broken_source"
    shutil.copytree(wf / "results/demo/source", src, symlinks=True)
    anno = src / "annotations"
    truncated = src / "videos/gBR_sBM_c02_d01_mBR0_ch01.mp4"
    truncated.write_bytes(truncated.read_bytes()[:20000])
    corrupt = anno / "keypoints3d/gBR_sBM_cAll_d02_mBR0_ch02.pkl"
    corrupt.write_bytes(corrupt.read_bytes()[:300])
    short = anno / "keypoints2d/gPO_sBM_cAll_d01_mPO1_ch01.pkl"
    data = pickle.loads(short.read_bytes())
    data.update(
        keypoints2d=data["keypoints2d"][:, :290],
        det_scores=data["det_scores"][:, :290],
        timestamps=data["timestamps"][:290],
    )
    short.write_bytes(pickle.dumps(data))

    config = _broken_config(wf, src, "broken")
    proc = snakemake(wf, "--configfile", str(config), "--keep-going", check=False)
    assert proc.returncode != 0
    out = wf / "results/broken"
    # the other videos and sequences still built
    assert len(list(out.glob("frames/*/frame_mapping.json"))) == 21 - 1 - 3
    assert len(list(out.glob("poses/*.npy"))) == 6
    # nothing half-written for the bad ones
    assert not (out / "frames/gBR_sBM_c02_d01_mBR0_ch01").exists() or not any(
        (out / "frames/gBR_sBM_c02_d01_mBR0_ch01").iterdir()
    )
    assert not (out / "poses/gBR_sBM_cAll_d02_mBR0_ch02.npy").exists()
    assert not list(out.rglob("*.part*"))
    logs = wf / "logs"
    video_logs = [p.read_text() for p in logs.glob("*/broken/gBR_sBM_c02_d01_mBR0_ch01.log")]
    assert any("gBR_sBM_c02_d01_mBR0_ch01.mp4" in text for text in video_logs)
    assert (
        "gBR_sBM_cAll_d02_mBR0_ch02.pkl: not a readable pickle"
        in (logs / "poses/broken/gBR_sBM_cAll_d02_mBR0_ch02.log").read_text()
    )
    assert "keypoints have 290 frames" in (logs / "extract_frames/broken/gPO_sBM_c01_d01_mPO1_ch01.log").read_text()


def test_missing_split_file_names_it(wf):
    src = wf / "nosplit_source"
    shutil.copytree(wf / "results/demo/source/annotations", src / "annotations")
    (src / "annotations/splits/pose_val.txt").unlink()
    config = _broken_config(wf, src, "nosplit")
    proc = snakemake(wf, "-n", "--configfile", str(config), check=False)
    assert proc.returncode != 0
    assert "splits/pose_val.txt: list file not found" in proc.stderr + proc.stdout


def test_missing_videos_are_downloaded_and_a_404_fails_alone(wf, dance_db):
    src = wf / "dl_source"
    shutil.copytree(wf / "results/demo/source/annotations", src / "annotations")
    (src / "videos").mkdir()
    demo_videos = wf / "results/demo/source/videos"
    local, served, missing = (f"gBR_sBM_c0{c}_d01_mBR0_ch01" for c in (1, 2, 3))
    shutil.copy(demo_videos / f"{local}.mp4", src / "videos")
    dance_db.files[served] = (demo_videos / f"{served}.mp4").read_bytes()
    path = _broken_config(wf, src, "dl")
    config = yaml.safe_load(path.read_text())
    config["download"] = {
        "enabled": True,
        "accept_terms_of_use": True,
        "base_url": f"{dance_db.url}/good/",
        "retries": 0,
    }
    path.write_text(yaml.safe_dump(config))
    targets = [f"results/dl/frames/{v}/frame_mapping.json" for v in (local, served, missing)]
    proc = snakemake(wf, "--configfile", str(path), "--keep-going", *targets, check=False)
    assert proc.returncode != 0
    out = wf / "results/dl"
    assert not (out / f"videos/{local}.mp4").exists()  # present locally: read in place, not downloaded
    assert not (out / f"videos/{served}.mp4").is_symlink()
    assert (out / f"videos/{served}.mp4").read_bytes() == dance_db.files[served]
    assert (out / f"frames/{local}/frame_mapping.json").is_file() and (
        out / f"frames/{served}/frame_mapping.json"
    ).is_file()
    assert not (out / f"videos/{missing}.mp4").exists()
    log = (wf / f"logs/download_video/dl/{missing}.log").read_text()
    assert "HTTP 404" in log and str((src / "videos" / f"{missing}.mp4").resolve()) in log
    assert sorted(p for p, _ in dance_db.requests) == [f"/good/{served}.mp4", f"/good/{missing}.mp4"]


def test_dance_model_targets(wf):
    """The demo config's model: trained, generated for the test track with the music, evaluated; and the
    music matters (docs/model.md): its FID_k beats random training clips and its Beat Align Score is
    higher with its own song's beats than with the other songs' (as the ground truth's is)."""
    from rhythm.core.ffmpeg import probe_video

    model = wf / "results/models/demo"
    gen = wf / "results/generated/demo"
    for name in ("checkpoints/last.pt", "checkpoints/best.pt", "metrics.csv", "loss_curve.png", "summary.json"):
        assert (model / name).is_file(), name
    summary = json.loads((model / "summary.json").read_text())
    assert summary["steps"] == 1200 and summary["last_loss"] < summary["first_loss"] / 5
    joints = np.load(gen / "mPO4.npy")
    assert joints.shape == (300, 24, 3)  # the 5 s of mPO4 audio at 60 fps
    video = probe_video(gen / "mPO4.mp4")
    assert video.has_audio and video.num_frames == 300 and (video.width, video.height) == (480, 270)
    assert aist.load_motion(gen / "mPO4.pkl").poses.shape == (300, 72)
    metrics = json.loads((gen / "metrics.json").read_text())
    mm = metrics["music_matters"]
    print(
        f"demo model: FID_k {mm['fid_k_model']:.0f} vs {mm['fid_k_random_training_clips']:.0f} for random "
        f"training clips; BAS {mm['bas_own_music']:.3f} own music vs {mm['bas_other_tracks']:.3f} other tracks "
        f"(ground truth {mm['ground_truth_bas_own_music']:.3f} vs {mm['ground_truth_bas_other_tracks']:.3f}); "
        f"beat locking {mm['beat_locking_own_music']:.2f} vs {mm['beat_locking_other_tracks']:.2f}"
    )
    assert mm["fid_k_model"] < mm["fid_k_random_training_clips"]
    assert mm["ground_truth_bas_own_music"] > 2 * mm["ground_truth_bas_other_tracks"]
    assert mm["bas_own_music"] > mm["bas_other_tracks"] + 0.1 and mm["bas_own_beats_passes"]
    report = (gen / "report.md").read_text()
    assert "## Published numbers" in report and "random training clips" in report


def test_a_killed_run_restarts_where_it_stopped(demo_workflow, tmp_path):
    """kill -9 in the middle of the frames: the rerun redoes only unfinished jobs and ends equal to a clean run."""
    import os
    import signal
    import subprocess

    from conftest import copy_workflow, output_hashes

    wf = copy_workflow(tmp_path / "wf")
    config = load_config(wf / "config/config.yaml")
    config["model"]["enabled"] = False  # results/demo is compared; training the model again would only add minutes
    config["rtmpose"]["enabled"] = False  # so would fine-tuning RTMPose (tests/rtmpose has its own run)
    (wf / "config/config.yaml").write_text(yaml.safe_dump(config))
    proc = subprocess.Popen(
        [*SNAKEMAKE, "--cores", "2"],
        cwd=wf,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    frames = wf / "results/demo/frames"
    deadline = time.time() + 600
    while len(list(frames.glob("*/frame_mapping.json"))) < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and every job it started, mid-write
    proc.wait()
    # frames folders appear whole (written aside, then renamed): those present are finished jobs
    done = {p: p.stat().st_mtime_ns for p in frames.glob("*/frame_mapping.json")}
    finished_frames = len(done)
    assert 8 <= finished_frames < 21

    # One frames job runs at a time (2 threads of 2 cores): it may have renamed its folder into place
    # and been killed before Snakemake recorded it as done. Snakemake redoes that one (the default
    # profile's rerun-incomplete); every other finished video is kept.
    snakemake(wf, "--unlock")  # kill -9 leaves Snakemake's lock behind (a clean Ctrl-C or SIGTERM does not)
    counts = job_counts(snakemake(wf, "-n").stdout)
    assert counts["extract_frames"] in (21 - finished_frames, 22 - finished_frames)
    assert "demo_data" not in counts
    snakemake(wf)
    assert not [p for p in (wf / "results").rglob("*") if ".part" in p.name]  # leftovers of the kill cleaned up
    redone = [p for p, t in done.items() if p.stat().st_mtime_ns != t]
    assert len(redone) == counts["extract_frames"] - (21 - finished_frames)
    assert all(t >= max(done.values()) for p, t in done.items() if p in redone)  # only the newest
    reference = json.loads((demo_workflow / "output_hashes.json").read_text())
    hashes = output_hashes(wf / "results/demo")
    assert {
        p
        for p in reference
        if hashes.get(p) != reference[p]
        and not p.startswith(("rtmpose_dataset/rtmpose_", "reports/data_report.", "rtmpose/", "reports/browser/"))
    } == set()
