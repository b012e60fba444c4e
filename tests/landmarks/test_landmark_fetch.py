"""`rhythm models fetch` against a real HTTP server on 127.0.0.1 (the conftest's stand-in server)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from rhythm.core.errors import RhythmInputError
from rhythm.landmarks import models
from rhythm.sources.download import DownloadOptions

from conftest import run

FAST = DownloadOptions(retries=2, backoff_s=0.01, timeout_s=10)


def fake_model(payload: bytes, name="toy") -> models.ModelInfo:
    sha = hashlib.sha256(payload).hexdigest()[:8]
    return models.ModelInfo(
        name=name,
        kind="pose",
        file=f"{name}-{sha}_20240626.pth",
        url="unused",
        sha256=sha,
        config=models.RESOURCES / "rtmw3d-l.py",
    )


def test_manifest_names_files_urls_and_hashes():
    manifest = models.load_manifest()
    from rhythm.rtmpose.options import RtmposeOptions

    rtmpose = {"rtmpose-t", "rtmpose-s", "rtmpose-m", "rtmpose-m-384x288"}
    assert set(manifest) == {"rtmw3d-l", "rtmw3d-x", "rtmdet-m", "rtmdet-m-person", "rtmdet-nano-person"} | rtmpose
    for info in manifest.values():
        assert info.url.endswith("/" + info.file) and info.url.startswith("https://download.openmmlab.com/")
        assert models.sha256_prefix_of_name(info.file) == info.sha256
        if info.kind == "rtmpose":  # MMPose's own recipe, the one rtmpose-train fine-tunes on
            options = {o.model_name: o for o in (RtmposeOptions(size=s) for s in "tsm")}
            options["rtmpose-m-384x288"] = RtmposeOptions(size="m", input_size="384x288")
            assert str(info.config) == options[info.name].base_config
        else:
            assert info.config.is_file()


def test_fetch_good_file_resumes_and_keeps_it(dance_db, tmp_path):
    payload = bytes(range(256)) * 4096  # 1 MiB
    info = fake_model(payload)
    dance_db.files[info.file] = payload
    # the first transfer drops halfway: the retry resumes with a Range request
    path = models.fetch_model(info, tmp_path, base_url=f"{dance_db.url}/flaky", options=FAST, log=lambda m: None)
    assert path == tmp_path / info.file and path.read_bytes() == payload
    assert [r for _, r in dance_db.requests] == [None, f"bytes={len(payload) // 2}-"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left
    # present with the right checksum: not downloaded again
    models.fetch_model(info, tmp_path, base_url=f"{dance_db.url}/good", options=FAST, log=lambda m: None)
    assert len(dance_db.requests) == 2


def test_fetch_wrong_checksum_writes_nothing(dance_db, tmp_path):
    info = fake_model(b"the released bytes")
    dance_db.files[info.file] = b"something else entirely"
    with pytest.raises(RhythmInputError, match=f"expected {info.sha256}"):
        models.fetch_model(info, tmp_path, base_url=f"{dance_db.url}/good", options=FAST, log=lambda m: None)
    assert list(tmp_path.iterdir()) == []


def test_fetch_cli_404_and_checksum_messages(dance_db, tmp_path):
    nano = models.load_manifest()["rtmdet-nano-person"]
    proc = run(
        [
            sys.executable,
            "-m",
            "rhythm.cli",
            "models",
            "fetch",
            "--only",
            "rtmdet-nano-person",
            "--dir",
            str(tmp_path),
            "--base-url",
            f"{dance_db.url}/missing",
            "--retries",
            "0",
        ],
        check=False,
    )
    assert proc.returncode == 2
    assert "HTTP 404" in proc.stderr and str((tmp_path / nano.file).resolve()) in proc.stderr
    dance_db.files[nano.file] = b"not the checkpoint"
    proc = run(
        [
            sys.executable,
            "-m",
            "rhythm.cli",
            "models",
            "fetch",
            "--only",
            "rtmdet-nano-person",
            "--dir",
            str(tmp_path),
            "--base-url",
            f"{dance_db.url}/good",
        ],
        check=False,
    )
    assert proc.returncode == 2 and f"expected {nano.sha256}" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_weights_say_how_to_get_them(tmp_path):
    x = models.load_manifest()["rtmw3d-x"]
    with pytest.raises(RhythmInputError) as err:
        models.require_weights(tmp_path / x.file)
    message = str(err.value)
    assert "rhythm models fetch --only rtmw3d-x" in message and x.url in message and str(tmp_path) in message
    with pytest.raises(RhythmInputError, match="rhythm models fetch"):
        models.require_weights(tmp_path / "my-own.pth")
    with pytest.raises(RhythmInputError, match="rhythm models export"):
        models.require_weights(tmp_path / "pose.onnx")
    with pytest.raises(RhythmInputError, match="rhythm models export --pose rtmw3d-l") as err:
        models.require_weights(tmp_path / "rtmw3d-l.onnx")
    assert "rhythm models fetch --only rtmw3d-l" in str(err.value)


def test_weight_paths_and_export_names(tmp_path):
    from rhythm.landmarks.backend import RANDOM_INIT

    manifest = models.load_manifest()
    released = manifest["rtmw3d-l"].file
    assert models.weight_path("rtmw3d-l", "mmpose", tmp_path) == tmp_path / released
    assert models.weight_path("rtmw3d-l", "onnx", tmp_path) == tmp_path / "rtmw3d-l.onnx"
    assert models.weight_path("mine.onnx", "onnx", tmp_path) == tmp_path / "mine.onnx"
    assert models.weight_path("/elsewhere/mine.pth", "mmpose", tmp_path) == Path("/elsewhere/mine.pth")
    with pytest.raises(ValueError, match="unknown landmark backend"):
        models.weight_path("rtmw3d-l", "tensorrt", tmp_path)
    assert models.model_name(tmp_path / released) == "rtmw3d-l"
    assert models.model_name(tmp_path / "finetuned.pth", "rtmw3d-l") == "finetuned"  # not the released model
    assert models.model_name(RANDOM_INIT, "rtmdet-nano-person") == "rtmdet-nano-person"
    assert models.model_name(RANDOM_INIT, models.RESOURCES / "rtmw3d-x.py") == "rtmw3d-x"
