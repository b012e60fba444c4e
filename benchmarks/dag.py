"""How the workflow's dry run scales with AIST++'s size, and how many SLURM jobs a full run submits.

For 100, 1,000 and 12,670 videos (all of AIST++) it writes a stand-in tree (`rhythm standins`:
real names, empty files), points config/aistpp.yaml at it and times `snakemake -n` in a fresh
process, with its peak memory. Then it dry-runs the full size with the SLURM profile and counts
the jobs that would be submitted: grouped chains count once. Baseline, in the same run: the
smallest size, so `time_per_job_ratio` says how far per-job cost grows with the DAG.

    python benchmarks/dag.py            # all three sizes (about 2 minutes on 2 cores)
    python benchmarks/dag.py 100 1000   # chosen sizes
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100, 1000, 12670)

# Runs one command, its output into a file, and reports its wall time and peak resident memory.
_MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "w") as log:
    rc = subprocess.run(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT).returncode
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": rc, "wall_s": wall, "max_rss_mb": rss}))
"""


def measure(cmd: list[str], cwd: Path) -> dict:
    log = cwd / "measure.log"
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(log), *cmd], cwd=cwd, capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    result["out"] = log.read_text()
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result['out'][-3000:]}")
    return result


def prepare(tmp: Path, videos: int) -> tuple[Path, Path]:
    """A copy of the workflow and a config pointing at a stand-in tree of ``videos`` videos."""
    from rhythm.sources.standins import write_standin_tree

    tree = write_standin_tree(tmp / f"standins{videos}", videos)
    wf = tmp / f"wf{videos}"
    wf.mkdir()
    for item in ("Snakefile", "workflow", "config", "envs"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, wf / item)
    config = yaml.safe_load((ROOT / "config/aistpp.yaml").read_text())
    config["data"].update(anno_dir=tree["anno_dir"], video_dir=tree["video_dir"])
    path = wf / "config" / "standins.yaml"
    path.write_text(yaml.safe_dump(config))
    return wf, path


def count_jobs(dry_run_output: str) -> int:
    return int(re.search(r"^total\s+(\d+)\s*$", dry_run_output, re.M).group(1))


def count_submissions(dry_run_output: str) -> int:
    """SLURM jobs of a dry run with the SLURM profile: each group job once, each ungrouped job once."""
    groups = len(re.findall(r"Group job \w+ \(jobs in lexicogr", dry_run_output))
    single = len(re.findall(r"^rule (?!all:)\w+:", dry_run_output, re.M))
    return groups + single


def main(sizes=SIZES) -> None:
    snakemake = [sys.executable, "-m", "snakemake"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="rhythm-dag-") as tmp:
        for videos in sizes:
            wf, config = prepare(Path(tmp), videos)
            r = measure([*snakemake, "-n", "--configfile", str(config), "--quiet", "rules"], wf)
            jobs = count_jobs(r["out"])
            rows.append({"videos": videos, "jobs": jobs, "wall_s": r["wall_s"], "max_rss_mb": r["max_rss_mb"]})
            print(
                f"{videos:>6} videos: {jobs:>6} jobs, dry run {r['wall_s']:6.1f} s, "
                f"{r['max_rss_mb']:6.0f} MB, {1000 * r['wall_s'] / jobs:.2f} ms/job",
                flush=True,
            )
        # the largest size again, with the SLURM profile (reusing its tree and config)
        r = measure(
            [
                *snakemake,
                "-n",
                "--configfile",
                str(config),
                "--executor",
                "slurm",
                "--workflow-profile",
                "workflow/profiles/slurm",
                "--default-resources",
                "slurm_partition=x",
            ],
            wf,
        )
        submissions = count_submissions(r["out"])
    base, last = rows[0], rows[-1]
    ratio = (last["wall_s"] / last["jobs"]) / (base["wall_s"] / base["jobs"])
    print(f"SLURM profile at {last['videos']} videos: {submissions} submitted jobs for {last['jobs']} jobs")
    print(
        f"videos={last['videos']} jobs={last['jobs']} dry_run_s={last['wall_s']:.1f} "
        f"max_rss_mb={last['max_rss_mb']:.0f} "
        f"time_per_job_ratio={ratio:.2f} slurm_jobs={submissions} jobs_per_slurm_job={last['jobs'] / submissions:.0f}"
    )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
