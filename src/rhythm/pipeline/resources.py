"""GPUs on a local machine: how many there are, and one job per GPU.

Snakemake does not know how many GPUs a workstation has: under the local profile two ``gpu=1``
jobs could share one card. The workflow caps its ``gpu`` resource at :func:`visible_gpus` (unless
``--resources gpu=N`` is given, or jobs go to a cluster), and a GPU job that finds several cards
takes one nobody else holds (:func:`claim_gpu`), as the landmark tool's one worker per GPU did.
On SLURM the scheduler hands each job its own GPU and ``CUDA_VISIBLE_DEVICES`` names just that one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def visible_gpus() -> int:
    """GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` when set (``""`` or ``-1``: none), else the
    lines of ``nvidia-smi -L``, else 0."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [d for d in env.split(",") if d.strip()]
        return 0 if not ids or ids[0].strip() == "-1" else len(ids)
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def cap_local_gpus(workflow) -> int | None:
    """Register Snakemake's ``gpu`` resource as the number of local GPUs; returns it (None: left alone).

    Left alone when the user gave ``--resources gpu=N``, when jobs go to a cluster (``--jobs``), or
    when there is no GPU (GPU rules then run on the CPU).
    """
    if "gpu" in workflow.global_resources or workflow.resource_settings.nodes is not None:
        return None
    count = visible_gpus()
    if count:
        workflow.register_resource("gpu", count)
        return count
    return None


def _lock_dir() -> Path:
    folder = Path(os.environ.get("RHYTHM_GPU_LOCKS", Path(tempfile.gettempdir()) / f"rhythm-gpus-{os.getuid()}"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def claim_gpu(device: str = "auto") -> Iterator[str]:
    """The device a GPU job should use: with several GPUs visible and ``auto``/``cuda``, ``cuda:<k>``
    for the first card no other Rhythm job on this machine holds (a lock file each); otherwise
    ``device`` unchanged. The card is released when the block ends (or the process dies)."""
    count = visible_gpus()
    if device not in ("auto", "cuda") or count < 2:
        yield device
        return
    held = None
    try:
        for k in range(count):
            fh = open(_lock_dir() / f"gpu{k}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            held = fh
            yield f"cuda:{k}"
            return
        yield device  # every card is taken (more jobs than --resources allowed): share the default one
    finally:
        if held is not None:
            held.close()
