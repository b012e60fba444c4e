#!/usr/bin/env bash
# Run by Snakemake once, inside the conda environment of envs/rhythm.yaml, right after creating it
# (`snakemake --sdm conda`; Snakemake's "post-deploy scripts"). It installs Rhythm into that
# environment: the project is the folder Snakemake runs in (the top-level Snakefile's), or
# RHYTHM_ROOT when that is set.
#   model: torch (on a GPU node install the CUDA build of torch 2.13 first, or let pip pick it)
#   landmarks: onnxruntime (on GPU nodes add onnxruntime-gpu); the mmpose backend's OpenMMLab
#   stack is separate: bash envs/install-openmmlab.sh (docs/landmarks.md)
set -euo pipefail
root="${RHYTHM_ROOT:-$PWD}"
if [[ ! -f "$root/pyproject.toml" || ! -d "$root/src/rhythm" ]]; then
    echo "rhythm.post-deploy.sh: $root is not the Rhythm project (no pyproject.toml and src/rhythm);" \
         "run snakemake from the project folder or set RHYTHM_ROOT" >&2
    exit 1
fi
python -m pip install --no-input --quiet -e "$root[model,landmarks,browser]"
rhythm --version
