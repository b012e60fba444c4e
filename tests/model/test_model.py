"""The dance model: representation, training (overfit, reproducibility, resume after a kill), generation
of long songs without seams, rendering, evaluation on known inputs and the CLI.

One small model is trained once for the module (``trained``); the workflow test
(tests/test_workflow.py) trains the demo config's model and checks that the music matters.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from rhythm.audio.features import features_for_file
from rhythm.core import aist
from rhythm.model.config import ModelConfig, TrainingRun, load_training_run
from rhythm.motion.poses import pose_npy, smpl_npy
from rhythm.sources import demo

from conftest import SHARED, run

pytestmark = pytest.mark.model

TEST_SEQS = ["gPO_sBM_cAll_d03_mPO4_ch01", "gPO_sBM_cAll_d04_mPO4_ch02"]
TRAIN_SEQS = ["gBR_sBM_cAll_d01_mBR0_ch01", "gBR_sBM_cAll_d02_mBR0_ch02", "gPO_sBM_cAll_d01_mPO1_ch01"]
VAL_SEQS = ["gBR_sBM_cAll_d03_mBR3_ch01", "gBR_sBM_cAll_d04_mBR3_ch02"]

TINY = {
    "enabled": True,
    "fps": 30,
    "window_s": 1.0,
    "network": {"dim": 32, "layers": 2, "heads": 4},
    "diffusion": {"sampling_steps": 10, "guidance": 1.0},
    "training": {
        "steps": 40,
        "batch_size": 8,
        "lr": 2e-3,
        "warmup_steps": 10,
        "checkpoint_every": 20,
        "val_every": 20,
        "log_every": 10,
    },
}


def tiny_config(**overrides) -> ModelConfig:
    data = json.loads(json.dumps(TINY))
    for key, value in overrides.items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    return ModelConfig.from_dict(data)


@pytest.fixture(scope="module")
def results(demo_source, tmp_path_factory) -> Path:
    """results/<dataset> for the demo: SMPL parameters, 30 fps music features, 16 kHz audio, and beats
    written from the songs' known beat times (the demo puts a kick on every beat)."""
    from rhythm.audio.wav import extract_wav

    out = tmp_path_factory.mktemp("results") / "demo"
    anno = demo_source / "annotations"
    for seq in TEST_SEQS + TRAIN_SEQS + VAL_SEQS:
        smpl_npy(aist.motion_path(anno, seq), out / f"smpl/{seq}.joints.npy", out / f"smpl/{seq}.params.npy")
        pose_npy(aist.keypoints3d_path(anno, seq), out / f"poses/{seq}.npy")
    for music in ("mBR0", "mBR3", "mPO1", "mPO4"):
        wav = out / f"audio/{music}.wav"
        extract_wav(demo_source / f"music/{music}.wav", wav)
        features_for_file(wav, out / f"features/30fps/{music}.npy", 30)
        times = demo.MUSIC_OFFSET_S + np.arange(20) * 60.0 / aist.music_bpm(music)
        times = times[times < 6.0]
        (out / "beats").mkdir(exist_ok=True)
        (out / f"beats/{music}.json").write_text(
            json.dumps(
                {
                    "music": music,
                    "fps": 60,
                    "beat_times": times.tolist(),
                    "beat_frames": np.round(times * 60).astype(int).tolist(),
                }
            )
        )
    return out


def training_run(results: Path, config: ModelConfig, train=TRAIN_SEQS, val=VAL_SEQS, name="tiny") -> TrainingRun:
    return TrainingRun(
        model=config,
        results=results,
        run=name,
        splits={"train": list(train), "val": list(val), "test": list(TEST_SEQS)},
    )


def train_quietly(run_cfg: TrainingRun, out: Path, **kw) -> dict:
    from rhythm.model.train import train

    threads = torch.get_num_threads()
    try:
        return train(run_cfg, out, threads=1, progress=False, **kw)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(results, tmp_path_factory) -> Path:
    """A small model trained for 200 steps (about 15 s); its last checkpoint."""
    cfg = tiny_config(
        training={"steps": 200, "batch_size": 12, "checkpoint_every": 100, "val_every": 100, "log_every": 25}
    )
    out = tmp_path_factory.mktemp("trained")
    train_quietly(training_run(results, cfg), out)
    return out / "checkpoints" / "last.pt"


# ----------------------------------------------------------------------------- representation


def test_smpl_representation_round_trip(results):
    from rhythm.core.skeleton import smpl_joints
    from rhythm.model.representation import SmplRepresentation, resample

    rep = SmplRepresentation()
    params = np.load(results / f"smpl/{TRAIN_SEQS[0]}.params.npy")
    feats = rep.window(rep.source(params), np.arange(150) * 2.0, 30)  # every other 60 fps frame
    assert feats.shape == (150, 151)
    poses, trans = rep.to_smpl(feats)  # smpl_trans back, in the SMPL convention
    np.testing.assert_allclose(trans, params[::2, :3], atol=1e-6)
    np.testing.assert_allclose(smpl_joints(poses, trans), smpl_joints(params[::2, 3:], params[::2, :3]), atol=1e-5)
    torch_joints = rep.joints(torch.from_numpy(feats).double()).numpy()  # the features' root is the pelvis
    np.testing.assert_allclose(torch_joints, smpl_joints(params[::2, 3:], params[::2, :3]), atol=1e-5)
    # contacts: 1 where the foot joint is slower than 0.3 m/s
    assert set(np.unique(feats[:, -4:])) <= {0.0, 1.0}
    up = resample(feats, 30, 60, rep)
    assert up.shape == (300, 151)
    np.testing.assert_allclose(up[::2, :3], feats[:, :3], atol=1e-6)


def test_demo_motions_keypoints3d_and_videos_agree(demo_source):
    """The demo's motions pickle (through FK) gives its keypoints3d, and its video shows the dancer where
    those keypoints project: coloured limb pixels at the projected limb midpoints of every 50th frame."""
    import cv2

    from rhythm.core.skeleton import COCO_LIMBS, smpl_joints, smpl_to_coco17

    anno = demo_source / "annotations"
    seq = TRAIN_SEQS[0]
    motion = aist.load_motion(aist.motion_path(anno, seq))
    joints, rots = smpl_joints(motion.poses, motion.trans / motion.scaling, return_rotations=True)
    coco = smpl_to_coco17(joints, rots) * motion.scaling
    np.testing.assert_allclose(coco, aist.load_keypoints3d(aist.keypoints3d_path(anno, seq), optim=True), atol=1e-3)
    video = aist.video_names(seq, ["c01"])[0]
    cam = aist.load_cameras(anno, seq)["c01"]
    capture = cv2.VideoCapture(str(demo_source / "videos" / f"{video}.mp4"))
    hits = total = 0
    for index in range(300):
        ok, frame = capture.read()
        assert ok, f"frame {index}"
        if index % 50:
            continue
        pix = cam.project(coco[index])
        for a, b in COCO_LIMBS[:12]:  # arms, legs, torso sides: long limbs
            x, y = np.round((pix[a] + pix[b]) / 2).astype(int)
            patch = frame[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].astype(int)
            hits += int((patch.max(axis=2) - patch.min(axis=2)).max() > 60)  # coloured, not the grey background
            total += 1
    assert hits / total > 0.9, (hits, total)


def test_time_stretch_moves_beats_with_the_motion():
    from rhythm.model.data import ONE_HOT_CHANNELS, stretch_music

    music = np.zeros((100, 35), np.float32)
    beat = ONE_HOT_CHANNELS[1]
    music[::10, beat] = 1  # a beat every 10 frames
    music[:, 0] = np.arange(100)  # a ramp
    fast = stretch_music(music, 0.0, 1.25, 40)  # window frame k reads source frame 1.25 k
    np.testing.assert_allclose(fast[:, 0], 1.25 * np.arange(40), atol=1e-5)
    assert np.flatnonzero(fast[:, beat]).tolist() == [0, 8, 16, 24, 32]  # every 8 frames: 1.25x the tempo
    slow = stretch_music(music, 0.0, 0.8, 40)
    assert np.flatnonzero(slow[:, beat]).tolist() == [0, 13, 25, 38]  # every 12.5 frames, to the nearest


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="unknown setting.*netwrk"):
        ModelConfig.from_dict({"netwrk": {}})
    with pytest.raises(ValueError, match="multiple of network.heads"):
        ModelConfig.from_dict({"network": {"dim": 30, "heads": 4}})
    cfg = ModelConfig.from_dict({"training": {"stretch": [0.9, 1.1]}})
    assert cfg.training.stretch == (0.9, 1.1) and cfg.window == 60


# ----------------------------------------------------------------------------- training


@pytest.mark.slow
def test_tiny_model_overfits_one_clip(results, tmp_path):
    """One 5 s clip (the window is the whole sequence), no augmentation: the loss falls by 10x."""
    cfg = tiny_config(
        window_s=5.0,
        genre=False,
        diffusion={"music_dropout": 0.0, "genre_dropout": 0.0},
        training={
            "steps": 150,
            "batch_size": 8,
            "lr": 3e-3,
            "warmup_steps": 20,
            "stretch": [1.0, 1.0],
            "checkpoint_every": 150,
            "val_every": 150,
            "log_every": 15,
            "ema_decay": 0.9,
        },
    )
    summary = train_quietly(training_run(results, cfg, train=TRAIN_SEQS[:1], val=[]), tmp_path)
    print(f"overfit: loss {summary['first_loss']:.4f} -> {summary['last_loss']:.4f}")
    assert summary["first_loss"] / summary["last_loss"] > 10, summary


def test_same_seed_gives_identical_checkpoints(results, tmp_path):
    cfg = tiny_config()
    a = train_quietly(training_run(results, cfg), tmp_path / "a")
    b = train_quietly(training_run(results, cfg), tmp_path / "b")
    sa = torch.load(tmp_path / "a/checkpoints/last.pt", weights_only=False)
    sb = torch.load(tmp_path / "b/checkpoints/last.pt", weights_only=False)
    assert a["last_loss"] == b["last_loss"] and sa["step"] == sb["step"] == 40
    for key in ("model", "ema"):
        for name, tensor in sa[key].items():
            assert torch.equal(tensor, sb[key][name]), name
    assert [{k: v for k, v in r.items() if k != "elapsed_s"} for r in sa["history"]] == [
        {k: v for k, v in r.items() if k != "elapsed_s"} for r in sb["history"]
    ]
    other = train_quietly(training_run(results, tiny_config(training={"seed": 1})), tmp_path / "c")
    assert other["last_loss"] != a["last_loss"]


@pytest.mark.slow
def test_outputs_of_a_run(results, trained):
    out = trained.parent.parent
    for name in ("checkpoints/last.pt", "checkpoints/best.pt", "metrics.csv", "loss_curve.png", "summary.json"):
        assert (out / name).is_file(), name
    rows = (out / "metrics.csv").read_text().splitlines()
    assert rows[0].split(",")[:3] == ["step", "loss", "x0"] and len(rows) == 1 + 200 // 25
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 200 and summary["best"]["val_loss"] is not None
    assert summary["last_loss"] < summary["first_loss"] / 2
    assert (out / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_resume_after_kill_matches_an_uninterrupted_run(results, tmp_path):
    """`rhythm train` killed with SIGKILL, last.pt deleted (as Snakemake does before rerunning an
    incomplete job), started again: the final weights equal an uninterrupted run's, bit for bit."""
    cfg = tiny_config(training={"steps": 160, "checkpoint_every": 20, "val_every": 40, "batch_size": 16})
    settings = training_run(results, cfg, name="resume").to_dict()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings))
    ref = train_quietly(load_training_run(config), tmp_path / "reference")

    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "rhythm.cli",
        "train",
        "--config",
        str(config),
        "--out",
        str(out),
        "--threads",
        "1",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if any(int(p.stem.split("-")[1]) >= 40 for p in (out / "checkpoints").glob("step-*.pt")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed: " + proc.stdout.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    steps = sorted(int(p.stem.split("-")[1]) for p in (out / "checkpoints").glob("step-*.pt"))
    assert steps and 40 <= steps[-1] < 160
    (out / "checkpoints/last.pt").unlink(missing_ok=True)
    resumed = run(cmd)
    assert f"resuming from {out / 'checkpoints'}" in resumed.stdout
    a = torch.load(tmp_path / "reference/checkpoints/last.pt", weights_only=False)
    b = torch.load(out / "checkpoints/last.pt", weights_only=False)
    assert a["step"] == b["step"] == 160
    for key in ("model", "ema"):
        for name, tensor in a[key].items():
            assert torch.equal(tensor, b[key][name]), f"{key}.{name}"
    assert [r["loss"] for r in a["history"]] == [r["loss"] for r in b["history"]]
    assert ref["best"] == json.loads((out / "summary.json").read_text())["best"]


# ----------------------------------------------------------------------------- generation


@pytest.mark.slow
def test_long_song_has_the_right_length_and_no_seams(trained, tmp_path):
    """30 s of music (many overlapping windows): 60 fps frames = floor(30 * 60), and the joint speed
    and acceleration at the window boundaries look like everywhere else. Pasting the windows
    end to end instead (the same windows, no blending) shows the jumps this test looks for."""
    from rhythm.model.checkpoint import DanceModel
    from rhythm.model.diffusion import window_starts
    from rhythm.model.generate import GenerateOptions, generate, generate_features

    song = tmp_path / "long_mPO4.wav"
    demo.write_wav(song, demo.synth_song("mPO4", 30.0, 16000), 16000)
    summary = generate(trained, song, tmp_path / "out", GenerateOptions(render=False))
    joints = np.load(tmp_path / "out/long_mPO4.npy")
    assert summary["frames"] == 1800 and joints.shape == (1800, 24, 3)
    assert summary["genre"] == "gPO"  # from the music id in the file name

    model = DanceModel.load(trained)
    window = model.config.window
    starts = window_starts(900, window, window // 2)
    assert len(starts) > 20
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(axis=1)  # (1799,) m per frame
    accel = np.linalg.norm(np.diff(joints, 2, axis=0), axis=-1).mean(axis=1)
    # boundaries where one window's weight starts or stops counting, in 60 fps frames
    seams = sorted({2 * s for s in starts[1:]} | {2 * (s + window) for s in starts[:-1]})
    near = np.zeros(len(speed), bool)
    for s in seams:
        near[max(0, s - 3) : s + 3] = True
    assert speed[near].max() < 1.5 * speed[~near].max()
    near_a = near[: len(accel)]
    seam_ratio = accel[near_a].mean() / accel[~near_a].mean()
    assert accel[near_a].max() < 1.5 * np.percentile(accel[~near_a], 99)
    assert seam_ratio < 1.3, seam_ratio

    # the same model with windows pasted end to end: a jump at every cut
    from rhythm.model.generate import music_features

    feats = music_features(song, 30)
    pieces = [
        generate_features(model, feats[s : s + window], genre="gPO", seed=k)
        for k, s in enumerate(range(0, len(feats) - window + 1, window))
    ]
    pasted = model.rep.joints(np.concatenate(pieces))
    pasted_accel = np.linalg.norm(np.diff(pasted, 2, axis=0), axis=-1).mean(axis=1)
    at_cut = np.zeros(len(pasted_accel), bool)
    at_cut[[window * k - 1 for k in range(1, len(pieces))]] = True
    pasted_ratio = pasted_accel[at_cut].mean() / pasted_accel[~at_cut].mean()
    print(f"mean acceleration at seams / elsewhere: blended {seam_ratio:.2f}, pasted {pasted_ratio:.2f}")
    assert pasted_ratio > 2 * seam_ratio
    music = np.load(tmp_path / "out/long_mPO4.npy")  # only for its length
    assert len(music) == 1800


@pytest.mark.slow
def test_generate_cli_renders_an_mp4_with_the_music(trained, tmp_path):
    """The CLI on an mp3 (10 s, 120 BPM kicks): frame counts, audio stream, AIST++ pickle."""
    from rhythm.core.ffmpeg import probe_video

    mp3 = SHARED / "audio" / "808kick120bpm.mp3"
    proc = run(
        [
            sys.executable,
            "-m",
            "rhythm.cli",
            "generate",
            "--audio",
            str(mp3),
            "--checkpoint",
            str(trained),
            "--out",
            str(tmp_path),
            "--genre",
            "gHO",
            "--width",
            "320",
            "--height",
            "180",
            "--video-fps",
            "30",
            "--quiet",
            "--threads",
            "1",
        ]
    )
    assert "808kick120bpm.mp4" in proc.stdout
    info = json.loads((tmp_path / "808kick120bpm.json").read_text())
    n60 = info["frames"]
    assert 595 <= n60 <= 601 and info["genre"] == "gHO"  # 10 s of mp3, less the decoder's priming
    video = probe_video(tmp_path / "808kick120bpm.mp4")
    assert video.has_audio and video.num_frames == int(np.floor(n60 / 2)) and video.fps == 30.0
    assert (video.width, video.height) == (320, 180)
    motion = aist.load_motion(tmp_path / "808kick120bpm.pkl")
    assert motion.poses.shape == (n60, 72) and motion.scaling == 100.0
    joints = np.load(tmp_path / "808kick120bpm.npy")
    from rhythm.model.metrics import joints_for_metrics

    np.testing.assert_allclose(joints_for_metrics(motion), joints, atol=1e-4)


@pytest.mark.slow
def test_seed_motion_is_kept_and_continued(trained, results, tmp_path):
    from rhythm.model.evaluate import load_joints
    from rhythm.model.generate import GenerateOptions, generate

    seed = results / f"smpl/{TEST_SEQS[0]}.params.npy"
    generate(
        trained,
        results / "audio/mPO4.wav",
        tmp_path,
        GenerateOptions(seed_motion=seed, seed_motion_s=1.0, render=False),
        features=results / "features/30fps/mPO4.npy",
    )
    gen = np.load(tmp_path / "mPO4.npy")
    gt = load_joints(seed)
    # the first second: the model's 30 fps frames are the seed's even 60 fps frames
    np.testing.assert_allclose(gen[:60:2], gt[:60:2], atol=1e-3)
    n = min(len(gen), len(gt))
    assert np.abs(gen[120:n] - gt[120:n]).max() > 0.01  # then its own dance


def test_bad_inputs_name_the_file(tmp_path, trained):
    from rhythm.core.errors import RhythmInputError
    from rhythm.model.checkpoint import read_checkpoint
    from rhythm.model.generate import GenerateOptions, generate

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RhythmInputError, match="bad.pt: not a readable checkpoint"):
        read_checkpoint(bad)
    with pytest.raises(RhythmInputError, match="missing.wav: audio source not found"):
        generate(trained, tmp_path / "missing.wav", tmp_path, GenerateOptions(render=False))


@pytest.mark.slow
def test_keypoints3d_representation_end_to_end(results, tmp_path):
    """For data without SMPL: train on poses/<seq>.npy, generate COCO-17 keypoints, score FID_k and BAS."""
    from rhythm.model.evaluate import evaluate
    from rhythm.model.generate import GenerateOptions, generate

    summary = train_quietly(
        training_run(results, tiny_config(representation="keypoints3d", training={"steps": 20})), tmp_path
    )
    assert summary["steps"] == 20
    generate(
        tmp_path / "checkpoints/best.pt",
        results / "audio/mPO4.wav",
        tmp_path / "gen",
        GenerateOptions(render=False),
        features=results / "features/30fps/mPO4.npy",
    )
    joints = np.load(tmp_path / "gen/mPO4.npy")
    assert joints.shape == (360, 17, 3)  # the 6 s song at 60 fps, metres
    assert 0.5 < np.median(joints[:, 0, 1]) < 2.5  # a nose above the floor, in metres
    with open(tmp_path / "gen/mPO4.pkl", "rb") as fh:
        import pickle

        assert pickle.load(fh)["keypoints3d"].shape == (360, 17, 3)
    res = evaluate(
        [tmp_path / "gen/mPO4.npy"],
        [results / f"poses/{s}.npy" for s in TEST_SEQS],
        [results / f"poses/{s}.npy" for s in TRAIN_SEQS],
        results / "beats",
        baseline_draws=2,
    )
    assert res["model"]["fid_k"] > 0 and res["model"]["fid_g"] is None and res["model"]["bas"] is not None


# ----------------------------------------------------------------------------- evaluation


def test_evaluate_on_known_inputs(results, tmp_path):
    """Ground truth scored as if generated: FID 0 against itself; its BAS with its own beats is what
    rhythm.model.metrics gives; a dance that bounces on the beat wins BAS against other tracks' beats; the
    random-clip baseline draws real training clips, seeded."""
    from rhythm.model import metrics
    from rhythm.model.evaluate import evaluate_to_files, load_joints

    gen_dir = tmp_path / "generated"
    gen_dir.mkdir()
    gt = load_joints(results / f"smpl/{TEST_SEQS[0]}.params.npy")
    np.save(gen_dir / "mPO4.npy", gt.astype(np.float32))
    kw = dict(
        generated=[gen_dir / "mPO4.npy"],
        ground_truth=[results / f"smpl/{TEST_SEQS[0]}.params.npy"],
        train=[results / f"smpl/{s}.params.npy" for s in TRAIN_SEQS],
        beats_dir=results / "beats",
        clip_s=2.0,
        clip_stride_s=1.0,
        seed=0,
        run="known",
    )
    res = evaluate_to_files(tmp_path / "m.json", tmp_path / "r.md", **kw)
    assert abs(res["model"]["fid_k"]) < 1e-3 and abs(res["model"]["fid_g"]) < 1e-3
    assert res["protocol"]["num_generated_clips"] == res["protocol"]["num_ground_truth_clips"] == 4
    beats = np.array(json.loads((results / "beats/mPO4.json").read_text())["beat_frames"])
    first = metrics.beat_align_score(gt[:120], beats[beats < 120])
    assert res["model"]["bas"] == pytest.approx(
        np.mean(
            [
                metrics.beat_align_score(gt[s : s + 120], beats[(beats >= s) & (beats < s + 120)] - s)
                for s in (0, 60, 120, 180)
            ]
        )
    )
    assert first is not None
    assert res["baseline_random_training_clips"]["fid_k"] > 1.0
    again = evaluate_to_files(tmp_path / "m2.json", tmp_path / "r2.md", **kw)
    assert again["baseline_random_training_clips"] == res["baseline_random_training_clips"]

    # a body that circles the floor, stopping on every mPO4 beat (speed 1 - cos(2 pi phase)): own beats win
    t = np.arange(len(gt))
    phase = (t - beats[0]) / (60 * 60 / 120)
    angle = 2 * np.pi * phase - np.sin(2 * np.pi * phase)
    circle = np.repeat(gt[:1], len(gt), axis=0)
    circle[:, :, 0] += 0.3 * np.cos(angle)[:, None]
    circle[:, :, 2] += 0.3 * np.sin(angle)[:, None]
    np.save(gen_dir / "mPO4.npy", circle.astype(np.float32))
    res = evaluate_to_files(tmp_path / "m.json", tmp_path / "r.md", **kw)
    mm = res["music_matters"]
    assert mm["bas_own_music"] > 0.9 and mm["bas_own_music"] > mm["bas_other_tracks"] + 0.3
    assert mm["beat_locking_own_music"] > 0.9 and mm["beat_locking_own_music"] > mm["beat_locking_other_tracks"] + 0.3
    report = (tmp_path / "r.md").read_text()
    for text in ("## Protocol", "Seed motion: none", "| FID_k ↓ |", "Bailando", "EDGE", "full scale", "28.16"):
        assert text in report, text
    assert json.loads((tmp_path / "m.json").read_text())["music_matters"]["bas_own_beats_passes"] is True
