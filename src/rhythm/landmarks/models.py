"""The landmark models: the manifest of released checkpoints, their configs, and `rhythm models fetch`.

``resources/landmarks/models.json`` lists each checkpoint the stage can use (RTMW3D-L/-X pose
models, RTMDet-m/-nano detectors): its name, file name, URL, config and the first 8 hex digits of
its SHA-256, which OpenMMLab's release tool writes into the file name itself. ``fetch`` downloads
into ``resources/models/`` with the same machinery as the video downloader (resume after a
dropped connection, retries with backoff, atomic rename) and refuses a file whose checksum does
not match. When weights are missing, :func:`require_weights` fails at once and says how to get them.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from rhythm.core.errors import RhythmInputError
from rhythm.core.http import fetch_with_retries
from rhythm.core.io import atomic_path
from rhythm.sources.download import DownloadOptions

RESOURCES = Path(__file__).resolve().parents[3] / "resources" / "landmarks"
MANIFEST = RESOURCES / "models.json"
MODELS_DIR = Path("resources/models")
DEFAULT_MODELS = {"detector": "rtmdet-m-person", "pose": "rtmw3d-l"}
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8})(?:_\d{8})?\.pth$")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str  # "detector", "pose" (the landmarks) or "rtmpose" (COCO-pretrained, for fine-tuning)
    file: str
    url: str
    sha256: str  # first 8 hex digits
    config: Path


def sha256_prefix_of_name(file_name: str) -> str | None:
    """The 8-hex SHA-256 group of an OpenMMLab release file name (``...-<sha8>.pth`` or ``...-<sha8>_<date>.pth``)."""
    m = _HASH_IN_NAME.search(file_name)
    return m.group(1) if m else None


def load_manifest(path: str | Path = MANIFEST) -> dict[str, ModelInfo]:
    path = Path(path)
    try:
        entries = json.loads(path.read_text())["models"]
    except (OSError, ValueError, KeyError) as exc:
        raise RhythmInputError(path, f"not a readable models manifest ({exc})") from None
    models = {}
    for e in entries:
        models[e["name"]] = ModelInfo(
            name=e["name"],
            kind=e["kind"],
            file=e["file"],
            url=e["url"],
            sha256=e["sha256"].lower(),
            # mmpose::<path>: a config inside the mmpose package (the RTMPose recipes)
            config=Path(e["config"]) if "::" in e["config"] else path.parent / e["config"],
        )
    return models


def model_for_file(path: str | Path, manifest: dict[str, ModelInfo] | None = None) -> ModelInfo | None:
    """The manifest entry whose file name ``path`` has, if any."""
    name = Path(path).name
    for info in (manifest or load_manifest()).values():
        if info.file == name:
            return info
    return None


def resolve_config(config: str | Path | None, checkpoint: str | Path, kind: str) -> Path:
    """A config file for a checkpoint: the one given (file or manifest name), else the manifest's
    entry for the checkpoint's file name, else (random weights) the default model of ``kind``."""
    manifest = load_manifest()
    if config is not None:
        if str(config) in manifest:
            return manifest[str(config)].config
        if not Path(config).is_file():
            raise RhythmInputError(config, f"{kind} config not found (a file, or one of {', '.join(manifest)})")
        return Path(config)
    from rhythm.landmarks.backend import RANDOM_INIT

    if str(checkpoint) == RANDOM_INIT:
        return manifest[DEFAULT_MODELS[kind]].config
    info = model_for_file(checkpoint, manifest)
    if info is None:
        raise RhythmInputError(checkpoint, f"unknown {kind} checkpoint: pass its config too (det_config/pose_config)")
    return info.config


def weight_path(model: str | Path, backend: str, models_dir: str | Path = MODELS_DIR) -> Path:
    """Where a model's weights are: the workflow's and the CLI's one rule for ``detector``/``pose`` values.

    A model name of the manifest (``rtmw3d-l``) means ``models_dir/<released file>.pth`` for the
    ``mmpose`` backend and ``models_dir/<name>.onnx`` (what ``rhythm models export`` writes) for
    ``onnx``; a bare file name is looked up in ``models_dir``; a path is taken as it is.
    """
    if backend not in ("mmpose", "onnx"):
        raise ValueError(f"unknown landmark backend {backend!r} (choose mmpose or onnx)")
    text = str(model)
    manifest = load_manifest()
    if text in manifest:
        return Path(models_dir) / (manifest[text].file if backend == "mmpose" else f"{text}.onnx")
    if "/" in text:
        return Path(text)
    return Path(models_dir) / text


def model_name(checkpoint: str | Path, config: str | Path | None = None) -> str:
    """A model's name for its exported file: the manifest name of a released checkpoint, the file
    stem of any other checkpoint; for random weights, the manifest name (or stem) of the config."""
    from rhythm.landmarks.backend import RANDOM_INIT

    manifest = load_manifest()
    if str(checkpoint) != RANDOM_INIT:
        info = model_for_file(checkpoint, manifest)
        return info.name if info is not None else Path(checkpoint).stem
    if config is not None and str(config) in manifest:
        return str(config)
    if config is None:
        raise ValueError("random weights need a config to be named after")
    for info in manifest.values():
        if Path(config).resolve() == info.config.resolve():
            return info.name
    return Path(config).stem


def how_to_get(path: str | Path) -> str:
    """What to do about a missing weight file, naming the command or the URL and the destination."""
    info = model_for_file(path)
    dest = Path(path).resolve()
    if dest.suffix == ".onnx":
        manifest = load_manifest()
        name = dest.stem if dest.stem in manifest else None
        kind = manifest[name].kind if name else None
        flag = f"--{'detector' if kind == 'detector' else 'pose'} {name}" if name else "--detector NAME --pose NAME"
        fetch = f"--only {name} " if name else ""
        return (
            f"export it first (needs the mmpose stack, envs/install-openmmlab.sh): `rhythm models fetch {fetch}"
            f"--dir {dest.parent}` (the released .pth), then `rhythm models export {flag} --dir {dest.parent}`"
        )
    if info is None:
        return (
            f"put the checkpoint at {dest}, or use one of the released models: `rhythm models fetch` "
            f"downloads them into {MODELS_DIR}/"
        )
    return (
        f"run `rhythm models fetch --only {info.name} --dir {dest.parent}` (needs internet), or download "
        f"{info.url} by hand and put it at {dest}"
    )


def require_weights(path: str | Path) -> Path:
    """The weight file, or a :class:`RhythmInputError` saying how to get it."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "model weights not found: " + how_to_get(path))
    return path


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def fetch_model(
    info: ModelInfo,
    out_dir: str | Path = MODELS_DIR,
    base_url: str | None = None,
    options: DownloadOptions = DownloadOptions(),
    log=print,
) -> Path:
    """Download one checkpoint into ``out_dir`` (kept if present with the right checksum); returns its path.

    ``base_url`` replaces the URL's folder (a mirror: ``<base_url>/<file>``).
    """
    dest = Path(out_dir) / info.file
    url = info.url if base_url is None else base_url.rstrip("/") + "/" + info.file
    if dest.is_file():
        have = sha256_of(dest)
        if have.startswith(info.sha256):
            log(f"{info.name}: {dest} present, SHA-256 {have[:8]} ok")
            return dest
        log(f"{info.name}: {dest} has SHA-256 {have[:8]}, expected {info.sha256}: downloading again")
    with atomic_path(dest) as part:
        part.unlink()  # atomic_path made an empty file; missing means "nothing downloaded yet"
        by_hand = f"Download it by hand and put it at {dest.resolve()}"
        try:
            fetch_with_retries(
                url,
                part,
                retries=options.retries,
                backoff_s=options.backoff_s,
                timeout_s=options.timeout_s,
                name=info.name,
                log=log,
                by_hand=by_hand,
            )
        except urllib.error.HTTPError as exc:
            raise RhythmInputError(url, f"HTTP {exc.code} {exc.reason}: {by_hand[0].lower() + by_hand[1:]}") from None
        have = sha256_of(part)
        if not have.startswith(info.sha256):
            raise RhythmInputError(
                url,
                f"SHA-256 of the download starts with {have[:8]}, expected {info.sha256}: "
                "damaged or not the released file (nothing was written)",
            )
    log(f"{info.name}: {dest} (SHA-256 {info.sha256} ok)")
    return dest


def fetch_models(
    names: list[str] | None = None,
    out_dir: str | Path = MODELS_DIR,
    base_url: str | None = None,
    options: DownloadOptions = DownloadOptions(),
    log=print,
) -> list[Path]:
    """Fetch the named models (default: all of the manifest)."""
    manifest = load_manifest()
    unknown = [n for n in names or [] if n not in manifest]
    if unknown:
        raise RhythmInputError(MANIFEST, f"unknown model(s) {', '.join(unknown)}; known: {', '.join(manifest)}")
    return [fetch_model(manifest[n], out_dir, base_url, options, log) for n in (names or list(manifest))]
