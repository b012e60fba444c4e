"""Atomic writes: every output appears whole or not at all.

Each writer writes into a temporary sibling and renames it into place, so a killed job never
leaves a half-written file that a later run would mistake for a finished one.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError

_UMASK = os.umask(0)
os.umask(_UMASK)


def remove_stale_parts(path: Path) -> None:
    """Remove what a killed writer of ``path`` left behind (``kill -9`` gives no chance to clean up).

    Only the temporary siblings of this one output: Snakemake never runs two jobs that write the
    same output at once, so whatever is there belongs to a writer that is gone.
    """
    name = glob.escape(path.name)
    for stale in (*path.parent.glob(f".{name}.part.*"), *path.parent.glob(f".{name}.*.part")):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def prepare_output(path: Path, *, folder: bool = False) -> None:
    """Make the parent folders of an output, or say in one line why it cannot be written there.

    Errors name the output the user asked for, never the hidden temporary sibling.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path.parent, *path.parent.parents) if p.exists() and not p.is_dir()), path.parent)
        raise RhythmInputError(
            path, f"cannot create its folder: {blocker} is a file; choose another output path"
        ) from None
    except PermissionError:
        raise RhythmInputError(
            path, "cannot create its folder: permission denied; choose a writable output path"
        ) from None
    except OSError as exc:
        raise RhythmInputError(path, f"cannot create its folder ({exc.strerror}); choose another output path") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise RhythmInputError(path, f"cannot write in {path.parent}: permission denied; choose a writable output path")
    if path.is_dir() and not path.is_symlink() and not folder:
        raise RhythmInputError(path, "is a folder; give the name of a file to write")


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
        # rename() of two hard links to one file does nothing and leaves ``tmp`` (POSIX): the
        # output already is that file, so the temporary name goes
        tmp.unlink(missing_ok=True)
    except IsADirectoryError:
        raise RhythmInputError(path, "is a folder; give the name of a file to write") from None
    except OSError as exc:
        raise RhythmInputError(path, f"cannot write it ({exc.strerror})") from None


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds.

    ``suffix`` defaults to the suffix of ``path`` so that tools that look at the extension
    (ffmpeg, numpy) still recognise the format.
    """
    path = Path(path)
    prepare_output(path)
    remove_stale_parts(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.part.", suffix=path.suffix if suffix is None else suffix, dir=path.parent
        )
    except OSError as exc:
        raise RhythmInputError(path, f"cannot write in {path.parent} ({exc.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; outputs are shared
        _replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; it replaces ``path`` when the block succeeds."""
    path = Path(path)
    prepare_output(path, folder=True)
    remove_stale_parts(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    except OSError as exc:
        raise RhythmInputError(path, f"cannot write in {path.parent} ({exc.strerror})") from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")


VOLATILE_KEYS = frozenset({"seconds", "timings"})


def without_timings(data: Any) -> Any:
    """``data`` without run times, so that an output depends only on its inputs (reruns compare equal).

    Reports keep their timings for the log; the file written is reproducible.
    """
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_npy(path: str | Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)


def write_pickle(path: str | Path, data: Any) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            pickle.dump(data, fh, protocol=4)


def read_pickle(path: str | Path) -> Any:
    """Load a pickle, turning every way it can fail into an error that names the file."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "file not found")
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception as exc:  # truncated, not a pickle, wrong protocol...
        raise RhythmInputError(path, f"not a readable pickle ({type(exc).__name__}: {exc})") from exc


def read_npy(path: str | Path, what: str = "array") -> np.ndarray:
    """Load a .npy file (no pickled objects), turning every way it can fail into an error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, f"{what} not found")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise RhythmInputError(path, f"not a readable .npy ({exc})") from None


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "file not found")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise RhythmInputError(path, f"not valid JSON ({exc})") from exc


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")
