"""A lock around librosa calls, so that parallel jobs do not corrupt numba's on-disk cache.

librosa compiles its beat tracker with ``numba.jit(cache=True)``. When two processes compile the
same function at once (two beat jobs of one Snakemake run, on a fresh install), they write the
cache's index and data files over each other, and every later process that loads the mixed-up
cache crashes with a segmentation fault. Compiling costs about 25 s, loading the cache a fraction
of a second, so the cache is worth keeping: callers hold this lock while they call into librosa.

Compilation also happens at import time: librosa's ``guvectorize`` functions with explicit
signatures (``librosa.core.audio._zc_wrapper``, ``librosa.core.pitch._pi_wrapper``, ...) compile,
or write their cache, when their module is first imported, and librosa imports its submodules
lazily, at the first ``librosa.resample`` or ``librosa.beat`` access. So the lock's first holder
in a process imports every librosa submodule Rhythm uses before it lets go.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _lock_path() -> Path:
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        import librosa

        base = str(Path(librosa.__file__).parent / "__pycache__")  # where numba caches librosa's code
    path = Path(base) / ".rhythm-numba.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return path
    except OSError:  # a read-only install: numba cannot write its cache there either
        return Path(tempfile.gettempdir()) / "rhythm-numba.lock"


LIBROSA_MODULES = ("core", "util", "filters", "sequence", "decompose", "effects", "onset", "beat", "feature")
_imported = False


def _import_librosa() -> None:
    """Import librosa's submodules now, under the lock (their import compiles numba code)."""
    global _imported
    if not _imported:
        import importlib

        for name in LIBROSA_MODULES:
            importlib.import_module(f"librosa.{name}")
        _imported = True


@contextlib.contextmanager
def numba_cache_lock() -> Iterator[None]:
    with open(_lock_path(), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            _import_librosa()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
