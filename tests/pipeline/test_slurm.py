"""The demo pipeline on a real one-node SLURM cluster, through Snakemake's SLURM executor (slow).

The cluster (munged, MariaDB, slurmdbd, slurmctld, slurmd) is started by the project's own
tests/slurm/start-cluster.sh, which installs Debian's packages when they are missing, and stopped
afterwards. Jobs go through sbatch with the project's SLURM profile; sacct must list them, and
every output must equal the local run's.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from rhythm.pipeline.config import load_config

from conftest import ROOT, SNAKEMAKE, copy_workflow, output_hashes, run

pytestmark = [pytest.mark.slow, pytest.mark.workflow, pytest.mark.slurm]

# Outputs that depend on which videos a run has (the SLURM run takes camera c01 only, to be quick)
# or hold absolute paths; every other output of the SLURM run must equal the local run's.
# outputs that list the selected cameras or sequences (this run selects c01 only)
SELECTION_DEPENDENT = (
    "rtmpose_dataset/",
    "reports/data_report.",
    "reports/sequences.csv",
    "reports/splits.csv",
    "reconstruction/",
    "source/demo.json",
    "browser/",
    "reports/browser/",  # screenshots taken while the player plays
)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    state = tmp_path_factory.mktemp("slurm")
    proc = run(["bash", str(ROOT / "tests/slurm/start-cluster.sh"), str(state)])
    conf = proc.stdout.strip().splitlines()[-1]
    env = {**os.environ, "SLURM_CONF": conf}
    yield env
    subprocess.run(["bash", str(ROOT / "tests/slurm/stop-cluster.sh"), str(state)], check=False)


def test_demo_runs_through_sbatch_and_matches_the_local_run(slurm_cluster, demo_workflow, tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    config = load_config(wf / "config/config.yaml")
    config["demo"]["cameras"] = config["selection"]["cameras"] = config["overlays"]["cameras"] = ["c01"]
    config["reconstruction"]["enabled"] = False
    # Training asks SLURM for a GPU (gpu: 1), which this GPU-less node cannot grant; that request is
    # checked below with sbatch --test-only. The model itself is tested in the local runs.
    config["model"]["enabled"] = False
    config["rtmpose"]["enabled"] = False  # a GPU rule too (tests/rtmpose runs it locally)
    (wf / "config/c01.yaml").write_text(yaml.safe_dump(config))
    proc = run(
        [
            *SNAKEMAKE,
            "--configfile",
            "config/c01.yaml",
            "--executor",
            "slurm",
            "--workflow-profile",
            "workflow/profiles/slurm",
            "--default-resources",
            "slurm_partition=debug",
            # this test node has 2 cores: each group job may use that much (the profile says 32)
            "--cores",
            "2",
            "--resources",
            "mem_mb=8000",
            "--jobs",
            "4",
            "--seconds-between-status-checks",
            "2",
            "--slurm-init-seconds-before-status-checks",
            "1",
        ],
        cwd=wf,
        env=slurm_cluster,
        timeout=1500,
    )
    log = proc.stdout + proc.stderr
    submitted = log.count("has been submitted with SLURM jobid")
    # grouped: the video, sequence and music chains are one SLURM job each, not one per step
    assert "group_video_" in log and "group_sequence_" in log and "group_music_" in log
    assert 5 <= submitted <= 15, submitted

    run_id = next(line.split("SLURM run ID: ")[1].strip() for line in log.splitlines() if "SLURM run ID: " in line)
    acct = run(["sacct", "-X", "-n", "-P", "--name", run_id, "-o", "JobID,State"], env=slurm_cluster).stdout.split()
    assert len(acct) == submitted and all(row.endswith("|COMPLETED") for row in acct), acct

    local = json.loads((demo_workflow / "output_hashes.json").read_text())
    remote = output_hashes(wf / "results" / "demo")
    compared = [p for p in remote if not p.startswith(SELECTION_DEPENDENT)]
    assert len(compared) > 2000 and len(list((wf / "results/demo/frames").iterdir())) == 7
    assert [p for p in compared if remote[p] != local.get(p)] == []
