"""Every `rhythm` subcommand against broken input: one line naming the file, a non-zero exit, no
traceback, and nothing at the output path.

The matrix: missing, zero-byte, text renamed to the expected extension, a truncated video, a
corrupt pickle, wrong shapes, a silent and a 0.1 s WAV, and an output folder nobody can write
(``/sys`` refuses even root). Subcommands run in this process through ``rhythm.cli.main``, as the
console script does.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rhythm import cli
from rhythm.core.errors import RhythmInputError
from rhythm.sources import demo

SEQ = "gBR_sBM_cAll_d01_mBR0_ch01"
VIDEO = "gBR_sBM_c01_d01_mBR0_ch01"
UNWRITABLE = Path("/sys/rhythm-unwritable")  # EPERM for everyone, root included


@pytest.fixture(scope="module")
def bad(tmp_path_factory, demo_source):
    """Good inputs and the broken variants of each kind of file."""
    root = tmp_path_factory.mktemp("bad")
    files = {}

    def put(name, data: bytes):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    video = (demo_source / "videos" / f"{VIDEO}.mp4").read_bytes()
    kp3d = (demo_source / "annotations" / "keypoints3d" / f"{SEQ}.pkl").read_bytes()
    for ext in (".mp4", ".wav", ".pkl", ".json", ".npy", ".pt", ".yaml"):
        files[f"zero{ext}"] = put(f"zero/{VIDEO}{ext}", b"")
        files[f"text{ext}"] = put(f"text/{VIDEO}{ext}", b"hello, this is not what you think it is\n")
        files[f"missing{ext}"] = root / "missing" / f"{VIDEO}{ext}"
    files["truncated.mp4"] = put(f"truncated/{VIDEO}.mp4", video[:40_000])
    files["corrupt.pkl"] = put(f"corrupt/{SEQ}.pkl", kp3d[: len(kp3d) // 2])
    files["shape.pkl"] = put(
        f"shape/{SEQ}.pkl",
        pickle.dumps(
            {
                "keypoints3d": np.zeros((10, 5, 3)),
                "keypoints3d_optim": np.zeros((10, 5, 3)),
                "keypoints2d": np.zeros((9, 10, 5, 3)),
                "smpl_poses": np.zeros((10, 7)),
                "smpl_trans": np.zeros((10, 3)),
            }
        ),
    )
    files["shape.npy"] = root / "shape" / "x.npy"
    np.save(files["shape.npy"], np.zeros((4, 5)))
    files["shape.json"] = put("shape/x.json", json.dumps({"unexpected": [1, 2, 3]}).encode())
    sr = 16000
    files["silent.wav"] = root / "silent" / "mBR0.wav"
    files["silent.wav"].parent.mkdir()
    sf.write(str(files["silent.wav"]), np.zeros(5 * sr, np.float32), sr)
    files["short.wav"] = root / "short" / "mBR0.wav"
    files["short.wav"].parent.mkdir()
    sf.write(str(files["short.wav"]), demo.synth_song("mBR0", 1.0, sr)[4000:5600], sr)
    # an annotations tree and results folder to vary one file of
    files["anno"] = demo_source / "annotations"
    return files


NAMED: list[Path] = []  # the file an error must name, when a builder puts the bad input somewhere else


def anno_with(bad, tmp_path, src: Path, folder: str) -> Path:
    """A copy of the demo annotations with ``folder``'s file of SEQ replaced by ``src`` (or removed)."""
    anno = tmp_path / "anno"
    shutil.copytree(bad["anno"], anno)
    target = anno / folder / f"{SEQ}.pkl"
    target.unlink()
    if src.exists():
        shutil.copy(src, target)
    NAMED.append(target)
    return anno


def frames_with(bad, tmp_path, src: Path) -> Path:
    """A frames folder whose frame_mapping.json is ``src`` (or missing)."""
    folder = tmp_path / "frames" / VIDEO
    folder.mkdir(parents=True)
    if src.exists():
        shutil.copy(src, folder / "frame_mapping.json")
    NAMED.append(folder)
    return folder


# name: (the bad-input kinds that apply, argv builder (bad file, output path, tmp_path) -> argv, output suffix)
MATRIX = {
    "audio": (
        ["missing.mp4", "zero.mp4", "text.mp4", "truncated.mp4", "silent.wav", "short.wav", "text.wav"],
        lambda b, o, t, f: ["audio", str(b), "--out", str(o)],
        ".wav",
    ),
    "beats": (
        ["missing.wav", "zero.wav", "text.wav", "silent.wav", "short.wav"],
        lambda b, o, t, f: ["beats", str(b), "--out", str(o)],
        ".json",
    ),
    "features": (
        ["missing.wav", "zero.wav", "text.wav", "silent.wav", "short.wav"],
        lambda b, o, t, f: ["features", str(b), "--out", str(o)],
        ".npy",
    ),
    "frames": (
        ["missing.mp4", "zero.mp4", "text.mp4", "truncated.mp4"],
        lambda b, o, t, f: ["frames", str(b), "--out", str(o)],
        "",
    ),
    "frames-aist": (
        ["missing.mp4", "zero.mp4", "text.mp4", "truncated.mp4"],
        lambda b, o, t, f: ["frames", str(b), "--anno-dir", str(f["anno"]), "--out", str(o)],
        "",
    ),
    "link-video": (
        ["missing.mp4", "zero.mp4", "text.mp4", "truncated.mp4"],
        lambda b, o, t, f: ["link-video", str(b), str(o)],
        ".mp4",
    ),
    "poses": (
        ["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl", "shape.pkl"],
        lambda b, o, t, f: ["poses", str(b), "--out", str(o)],
        ".npy",
    ),
    "smpl": (
        ["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl", "shape.pkl"],
        lambda b, o, t, f: ["smpl", str(b), "--joints", str(o)],
        ".npy",
    ),
    "fit-smpl": (
        ["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl", "shape.pkl"],
        lambda b, o, t, f: ["fit-smpl", "--keypoints3d", str(b), "--out", str(o)],
        ".pkl",
    ),
    "inspect": (["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl"], lambda b, o, t, f: ["inspect", str(b)], None),
    "triangulate": (
        ["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl", "shape.pkl"],
        lambda b, o, t, f: [
            "triangulate",
            "--anno-dir",
            str(anno_with(f, t, b, "keypoints2d")),
            "--sequence",
            SEQ,
            "--out",
            str(o),
        ],
        ".pkl",
    ),
    "reprojection": (
        ["missing.pkl", "zero.pkl", "text.pkl", "corrupt.pkl", "shape.pkl"],
        lambda b, o, t, f: [
            "reprojection",
            "--anno-dir",
            str(anno_with(f, t, b, "keypoints3d")),
            "--sequence",
            SEQ,
            "--out",
            str(o),
        ],
        ".json",
    ),
    "calibrate": (
        ["missing.json", "zero.json", "text.json", "shape.json"],
        lambda b, o, t, f: [
            "calibrate",
            "--anno-dir",
            str(f["anno"]),
            "--setting",
            "setting1",
            "--initial",
            str(b),
            "--out",
            str(o),
        ],
        ".json",
    ),
    "coco": (
        ["missing.json", "zero.json", "text.json", "shape.json"],
        lambda b, o, t, f: [
            "coco",
            "--split",
            "train",
            "--anno-dir",
            str(f["anno"]),
            "--frames",
            str(frames_with(f, t, b)),
            "--out",
            str(o),
        ],
        "",
    ),
    "overlay": (
        ["missing.json", "zero.json", "text.json", "shape.json"],
        lambda b, o, t, f: ["overlay", str(frames_with(f, t, b)), "--anno-dir", str(f["anno"]), "--out", str(o)],
        "",
    ),
    "track": (
        ["missing.json", "zero.json", "text.json", "shape.json", "shape.npy", "text.npy"],
        lambda b, o, t, f: ["track", str(b), "--out", str(o)],
        ".npy",
    ),
    "landmarks": (
        ["missing.mp4", "zero.mp4", "text.mp4", "truncated.mp4"],
        lambda b, o, t, f: ["landmarks", str(b), "--out", str(o), "--backend", "onnx"],
        ".npy",
    ),
    "reconstruction-errors": (
        ["missing.json", "zero.json", "text.json"],
        lambda b, o, t, f: ["reconstruction-errors", "--triangulation", str(b), "--out", str(o)],
        ".json",
    ),
    "report": (
        ["missing.json", "zero.json", "text.json", "shape.json"],
        lambda b, o, t, f: [
            "report",
            "--anno-dir",
            str(f["anno"]),
            "--beats",
            str(b),
            "--out-json",
            str(o),
            "--out-text",
            str(o) + ".txt",
        ],
        ".json",
    ),
    "train": (
        ["missing.yaml", "zero.yaml", "text.yaml"],
        lambda b, o, t, f: ["train", "--config", str(b), "--out", str(o)],
        "",
    ),
    "generate": (
        ["missing.wav", "zero.wav", "text.wav", "silent.wav", "short.wav"],
        lambda b, o, t, f: ["generate", "--audio", str(b), "--checkpoint", str(f["text.pt"]), "--out", str(o)],
        "",
    ),
    "generate-checkpoint": (
        ["missing.pt", "zero.pt", "text.pt"],
        lambda b, o, t, f: [
            "generate",
            "--audio",
            str(f["anno"].parent / "music" / "mBR0.wav"),
            "--checkpoint",
            str(b),
            "--out",
            str(o),
        ],
        "",
    ),
    "evaluate": (
        ["missing.npy", "zero.npy", "text.npy", "shape.npy"],
        lambda b, o, t, f: [
            "evaluate",
            "--generated",
            str(b),
            "--ground-truth",
            str(b),
            "--train",
            str(b),
            "--beats-dir",
            str(t),
            "--out-json",
            str(o),
            "--out-report",
            str(o) + ".md",
        ],
        ".json",
    ),
    "landmarks-validate": (
        ["zero.npy", "text.npy", "shape.npy"],
        lambda b, o, t, f: ["landmarks-validate", str(b.parent)],
        None,
    ),
}

CASES = [(name, kind) for name, (kinds, _, _) in MATRIX.items() for kind in kinds]


def run_cli(argv, capsys) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name,kind", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_bad_input_is_one_line_naming_the_file(bad, tmp_path, capsys, name, kind):
    _, build, suffix = MATRIX[name]
    out = tmp_path / "out" / f"result{suffix or ''}"
    NAMED.clear()
    argv = build(bad[kind], out, tmp_path, bad)
    code, err = run_cli(argv, capsys)
    assert code not in (0, None), f"{argv} succeeded on {kind}"
    assert "Traceback" not in err, err
    named = NAMED[0] if NAMED else bad[kind]
    assert str(named) in err or (named.parent.name in err and named.name in err), f"{named} not named in: {err}"
    assert len(err.strip().splitlines()) <= 3, err
    if suffix is not None:
        assert not out.exists(), f"{out} left behind"
        leftovers = list(out.parent.glob(".*part*")) if out.parent.exists() else []
        assert not leftovers, leftovers


WRITERS = {  # subcommands that write, with good input and an output path to make unwritable
    "audio": lambda o, f: ["audio", str(f["anno"].parent / "videos" / f"{VIDEO}.mp4"), "--out", str(o / "x.wav")],
    "frames": lambda o, f: ["frames", str(f["anno"].parent / "videos" / f"{VIDEO}.mp4"), "--out", str(o / "frames")],
    "beats": lambda o, f: ["beats", str(f["anno"].parent / "music" / "mBR0.wav"), "--out", str(o / "b.json")],
    "features": lambda o, f: ["features", str(f["anno"].parent / "music" / "mBR0.wav"), "--out", str(o / "f.npy")],
    "poses": lambda o, f: ["poses", str(f["anno"] / "keypoints3d" / f"{SEQ}.pkl"), "--out", str(o / "p.npy")],
    "smpl": lambda o, f: ["smpl", str(f["anno"] / "motions" / f"{SEQ}.pkl"), "--joints", str(o / "j.npy")],
    "reprojection": lambda o, f: [
        "reprojection",
        "--anno-dir",
        str(f["anno"]),
        "--sequence",
        SEQ,
        "--out",
        str(o / "r.json"),
    ],
    "demo-data": lambda o, f: ["demo-data", str(o / "demo")],
    "standins": lambda o, f: ["standins", str(o / "tree"), "--videos", "9"],
    "status": None,
}


@pytest.mark.parametrize("name", [n for n, w in WRITERS.items() if w])
@pytest.mark.parametrize("where", ["unwritable", "under-a-file"])
def test_outputs_nobody_can_write_are_one_line(bad, tmp_path, capsys, name, where):
    if where == "unwritable":
        folder = UNWRITABLE
    else:
        (tmp_path / "a-file").write_text("x")
        folder = tmp_path / "a-file" / "sub"
    code, err = run_cli(WRITERS[name](folder, bad), capsys)
    assert code == 2 and "Traceback" not in err, err
    assert str(folder) in err and len(err.strip().splitlines()) <= 3, err
    assert ".part" not in err


def test_status_of_a_missing_annotations_folder_fails(tmp_path, capsys):
    code, err = run_cli(["status", "--anno-dir", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "nowhere: annotations folder not found" in err


def test_debug_shows_the_traceback(bad, capsys, monkeypatch):
    with pytest.raises(RhythmInputError) as info:
        cli.main(["poses", str(bad["text.pkl"]), "--out", "/tmp/x.npy", "--debug"])
    assert "not a readable pickle" in str(info.value)
    monkeypatch.setenv("RHYTHM_DEBUG", "1")
    with pytest.raises(RhythmInputError):
        cli.main(["poses", str(bad["text.pkl"]), "--out", "/tmp/x.npy"])


def test_ctrl_c_removes_partial_outputs_and_exits_130(demo_source, tmp_path):
    """A real Ctrl-C (SIGINT) in the middle of frame extraction: exit 130, 'interrupted', no frames folder."""
    import signal
    import subprocess
    import sys
    import time

    from rhythm.core.ffmpeg import ffmpeg_exe

    # the demo video looped 20 times (100 s, 6,000 frames): a 5 s one is done in a tenth of a second,
    # before the signal can arrive
    video = tmp_path / "long" / f"{VIDEO}.mp4"
    video.parent.mkdir()
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-stream_loop", "19", "-i", demo_source / "videos" / f"{VIDEO}.mp4"]
        + ["-c", "copy", video],
        check=True,
    )
    out = tmp_path / "frames"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rhythm.cli", "frames", str(video), "--out", str(out), "--workers", "1"],
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal's foreground job: a runner started in the background (`make test &`) hands its
        # children SIGINT ignored, and Python then never raises KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(tmp_path.glob(".frames.*.part/*.jpg")):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".frames*"))
