import sys

import numpy as np
import pytest

from rhythm.cli import build_parser
from rhythm.core.io import atomic_path, write_npy

from conftest import AISTPP, REAL_SEQ, run


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.npy"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_npy(target, np.zeros(3))
    assert list(tmp_path.iterdir()) == [target]
    assert target.stat().st_mode & 0o044  # readable by others, unlike mkstemp's default


def test_every_subcommand_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {
        "demo-data",
        "status",
        "frames",
        "coco",
        "overlay",
        "audio",
        "beats",
        "poses",
        "report",
        "inspect",
        "reprojection",
        "link-video",
    } <= set(commands)
    for name, sub in commands.items():  # in process: formatting every help text (a process each took 36 s)
        assert sub.format_help().startswith(f"usage: rhythm {name}"), name
        for action in sub._actions:
            assert action.help, f"rhythm {name}: {action.option_strings or action.dest} has no help"
    out = run([sys.executable, "-m", "rhythm.cli", "--help"])  # and the command itself, once
    assert "usage: rhythm" in out.stdout and all(name in out.stdout for name in commands)


def test_cli_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.pkl"
    bad.write_bytes(b"\x80\x04garbage")
    proc = run(["rhythm", "poses", str(bad), "--out", str(tmp_path / "x.npy")], check=False)
    assert proc.returncode == 2
    assert "broken.pkl: not a readable pickle" in proc.stderr
    assert not (tmp_path / "x.npy").exists()


def test_status_json_and_reprojection_cli():
    import json

    proc = run(["rhythm", "status", "--anno-dir", str(AISTPP), "--splits", "crossmodal_test", "--json"])
    assert json.loads(proc.stdout)["splits"]["crossmodal_test"]["listed"] == 20
    proc = run(["rhythm", "reprojection", "--anno-dir", str(AISTPP), "--sequence", REAL_SEQ, "--json"])
    result = json.loads(proc.stdout)
    assert result["median_px"]["c01"] < 10 and result["outliers"] == ["c05"]


def test_inspect_prints_shapes():
    proc = run(["rhythm", "inspect", str(AISTPP / "keypoints2d" / f"{REAL_SEQ}.pkl")])
    assert "(9, 720, 17, 3)" in proc.stdout and "float32" in proc.stdout and "det_scores" in proc.stdout


def test_a_killed_writers_leftovers_are_removed_by_the_next_write(tmp_path):
    from rhythm.core.io import atomic_dir

    target = tmp_path / "out.npy"
    (tmp_path / ".out.npy.part.abc123.npy").write_bytes(b"half")  # what kill -9 leaves
    (tmp_path / ".other.npy.part.x.npy").write_bytes(b"not ours")
    (tmp_path / ".frames.q1w2.part").mkdir()
    write_npy(target, np.zeros(3))
    with atomic_dir(tmp_path / "frames") as tmp:
        (tmp / "a.jpg").write_bytes(b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.npy.part.x.npy", "frames", "out.npy"]
