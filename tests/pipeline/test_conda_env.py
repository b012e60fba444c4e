"""The conda route (`snakemake --sdm conda`): the environment file stands alone and its post-deploy
script installs the project. conda itself cannot be installed in CI (not on the package registries
it reaches), so Snakemake's environment creation is not run here; the script is, in this venv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

ENV = ROOT / "envs" / "rhythm.yaml"
POST_DEPLOY = ROOT / "envs" / "rhythm.post-deploy.sh"


def test_every_rule_uses_the_env_and_it_names_no_relative_path():
    env = yaml.safe_load(ENV.read_text())
    deps = env["dependencies"]
    assert "pip" in deps and any(str(d).startswith("ffmpeg") for d in deps)
    pip = [p for d in deps if isinstance(d, dict) for p in d.get("pip", [])]
    assert not any(".." in p or p.startswith(("-e", ".")) for p in pip)  # Snakemake copies the file elsewhere
    for rules in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = rules.read_text()
        assert len(re.findall(r"(?m)^rule |^checkpoint ", text)) == text.count("conda:\n        ENV"), rules.name


def test_post_deploy_refuses_a_folder_that_is_not_the_project(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RHYTHM_ROOT"}
    proc = subprocess.run(["bash", str(POST_DEPLOY)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "is not the Rhythm project" in proc.stderr


@pytest.mark.slow
def test_post_deploy_installs_the_project_into_the_active_environment(tmp_path):
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "RHYTHM_ROOT": str(ROOT), "PATH": bindir + os.pathsep + os.environ["PATH"]}
    proc = subprocess.run(["bash", str(POST_DEPLOY)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().startswith("rhythm ")
