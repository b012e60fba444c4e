#!/usr/bin/env bash
# Install the OpenMMLab stack the `mmpose` landmark backend needs into an existing virtualenv:
# MMEngine 0.10.7, MMCV 2.1.0 (compiled ops), MMDetection 3.3.0, MMPose 1.3.2, albumentations 1.4.24
# (the RTMPose training recipes' augmentation), on torch 2.13.0
# (the CPU build here) and numpy 2, without torchvision. Idempotent; needs no root.
#
#   usage: bash envs/install-openmmlab.sh VENV        (the venv folder, e.g. .venv, or its bin/python)
#   env:   MAX_JOBS=2              parallel compile jobs for the one-off mmcv build
#          MMCV_CFLAGS="-O1 -g0"   compiler flags for that build (appended after Python's "-g -O3");
#                                  set it empty for the upstream defaults
#          OPENMMLAB_LOG_DIR       where the mmcv build log goes (default: ${TMPDIR:-/tmp})
#          OPENMMLAB_KEEP_SETUPTOOLS=1   keep setuptools >= 82 (then configs with `pkg::` bases don't load)
#
# Why it is done this way (measured on torch 2.13.0+cpu, Python 3.11, numpy 2.4; docs/landmarks.md):
#  * Every pip call gets a constraints file that pins torch==2.13.0: nothing may pull a CUDA torch.
#  * mmengine/mmdet/mmpose are installed with --no-deps: their declared deps pull opencv-python (the
#    GUI build), chumpy (does not build, unused) and torchvision (PyPI's does not load beside this
#    torch). We install what they import instead.
#  * mmcv 2.1.0 has no wheel for torch 2.13, so it is compiled from its sdist (MMCV_WITH_OPS=1) in a
#    throw-away build venv: the build wants setuptools<70, which torch 2.13 (setuptools>=77) forbids
#    in the target venv. `pip wheel` puts the result in pip's wheel cache, so later runs on the same
#    machine take it from there in seconds. The compile dominates a cold run (about 30 min on two
#    busy cores with the default -O3 -g); MMCV_CFLAGS cuts it (see docs/landmarks.md for the numbers).
#    Only the detector's NMS (batched_nms) and a few CPU ops are used, so -O1 costs nothing measurable.
#  * xtcocotools (imported by mmpose.models through mmpose.datasets) is built from its sdist: the PyPI
#    binary wheel is compiled against numpy 1 and does not import under numpy 2.
#  * mmengine 0.10.7 resolves `pkg::` config bases with pkg_resources, gone from setuptools >= 82.
set -euo pipefail

TARGET=${1:?usage: $0 VENV (a virtualenv folder or its bin/python)}
if [[ -d $TARGET ]]; then PY=$TARGET/bin/python; else PY=$TARGET; fi
if [[ ! -x $PY ]]; then echo "install-openmmlab: no python at $PY" >&2; exit 2; fi
# absolute, without resolving the venv's symlink (that would point at the base interpreter)
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
"$PY" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' ||
  { echo "install-openmmlab: $PY is not inside a virtualenv" >&2; exit 2; }

TORCH_VERSION=2.13.0
MMENGINE_VERSION=0.10.7
MMCV_VERSION=2.1.0
MMDET_VERSION=3.3.0
MMPOSE_VERSION=1.3.2
XTCOCOTOOLS_VERSION=1.14.3
JOBS=${MAX_JOBS:-2}
MMCV_CFLAGS=${MMCV_CFLAGS--O1 -g0}
LOG_DIR=${OPENMMLAB_LOG_DIR:-${TMPDIR:-/tmp}}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/install-openmmlab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CONSTRAINTS=$WORK/constraints.txt
cat >"$CONSTRAINTS" <<EOF
torch==$TORCH_VERSION
numpy>=1.24,<3
mmengine==$MMENGINE_VERSION
mmcv==$MMCV_VERSION
mmdet==$MMDET_VERSION
mmpose==$MMPOSE_VERSION
xtcocotools==$XTCOCOTOOLS_VERSION
addict==2.4.0
yapf==0.43.0
termcolor==3.3.0
munkres==3.0.0
json_tricks==3.17.3
terminaltables==3.1.10
shapely==2.2.0
albumentations==1.4.24
EOF

say() { printf '[install-openmmlab] %s\n' "$*" >&2; }
pip_in() { local py=$1; shift; "$py" -m pip --disable-pip-version-check install -c "$CONSTRAINTS" "$@"; }
has_version() {  # has_version DIST VERSION: installed at exactly that version?
  "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null
}

# --- torch: keep (or put) exactly 2.13.0 -------------------------------------------------------
if ! "$PY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  say "installing torch==$TORCH_VERSION"
  pip_in "$PY" -q "torch==$TORCH_VERSION"
fi

# --- plain runtime dependencies (wheels; their own deps allowed, torch stays pinned) ------------
deps=(numpy scipy matplotlib pillow pyyaml packaging tqdm pycocotools
      addict yapf termcolor rich six shapely terminaltables munkres json_tricks)
"$PY" -c 'import cv2' 2>/dev/null || deps+=(opencv-python-headless)  # any cv2 build will do
if ! "$PY" -c "import importlib; [importlib.import_module(m) for m in
    'numpy scipy matplotlib PIL yaml packaging tqdm pycocotools addict yapf termcolor rich six shapely terminaltables munkres json_tricks cv2'.split()]" 2>/dev/null; then
  say "runtime dependencies"
  pip_in "$PY" -q "${deps[@]}"
fi

# --- pkg_resources for mmengine's `pkg::` config bases (torch needs setuptools >= 77.0.3) -------
if [[ ${OPENMMLAB_KEEP_SETUPTOOLS:-0} != 1 ]] && ! "$PY" -c 'import pkg_resources' 2>/dev/null; then
  say "no pkg_resources in this venv: installing setuptools>=77.0.3,<82"
  pip_in "$PY" -q 'setuptools>=77.0.3,<82'
fi

# --- mmengine (pure Python) -----------------------------------------------------------------------
has_version mmengine "$MMENGINE_VERSION" || pip_in "$PY" -q --no-deps "mmengine==$MMENGINE_VERSION"

# --- xtcocotools from its sdist (numpy-2 build; ~20 s once, then cached) --------------------------
# Its setup.py imports numpy and cythonizes without declaring either as a build requirement, so
# it cannot build in pip's isolated build env: build it against this venv's numpy, with Cython.
if ! { has_version xtcocotools "$XTCOCOTOOLS_VERSION" && "$PY" -c 'import xtcocotools.coco' 2>/dev/null; }; then
  say "building xtcocotools==$XTCOCOTOOLS_VERSION from its sdist"
  "$PY" -c 'import Cython' 2>/dev/null || pip_in "$PY" -q cython
  pip_in "$PY" -q --no-deps --force-reinstall --no-build-isolation --no-binary xtcocotools \
    "xtcocotools==$XTCOCOTOOLS_VERSION"
fi

# --- mmcv with compiled ops ----------------------------------------------------------------------
mmcv_ok() {
  "$PY" - <<EOF 2>/dev/null
import mmcv, torch
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
from mmcv.ops import batched_nms   # loads the compiled mmcv._ext
EOF
}
build_mmcv_wheel() {  # $1: extra pip args (e.g. --no-cache-dir)
  local bvenv=$WORK/mmcv-build-venv bpy
  "$PY" -m venv "$bvenv"
  bpy=$bvenv/bin/python
  pip_in "$bpy" -q "torch==$TORCH_VERSION"
  # a separate call: setuptools<70 conflicts with torch's declared setuptools>=77 (pip only warns)
  "$bpy" -m pip --disable-pip-version-check install -q 'setuptools<70' wheel ninja 2>&1 |
    grep -v "dependency resolver\|requires setuptools" >&2 || true
  mkdir -p "$WORK/wheels" "$LOG_DIR"
  local log=$LOG_DIR/install-openmmlab-mmcv-build.log
  say "mmcv==$MMCV_VERSION: pip wheel (pip's wheel cache if it has it, else a compile with MAX_JOBS=$JOBS CFLAGS='$MMCV_CFLAGS'; log: $log)"
  local t0=$SECONDS
  # --no-build-isolation: with isolation pip would put a plain (CUDA) torch into the build env.
  # CFLAGS land after Python's own "-g -O3" on the compiler line, so they win.
  if ! CFLAGS="$MMCV_CFLAGS" MMCV_WITH_OPS=1 MAX_JOBS=$JOBS "$bpy" -m pip --disable-pip-version-check wheel -v $1 \
        --no-deps --no-build-isolation -c "$CONSTRAINTS" -w "$WORK/wheels" "mmcv==$MMCV_VERSION" >"$log" 2>&1; then
    tail -n 40 "$log" >&2; say "mmcv build FAILED (full log: $log)"; return 1
  fi
  say "mmcv wheel ready after $((SECONDS - t0)) s"
}
install_mmcv_wheel() { pip_in "$PY" -q --no-deps --force-reinstall "$WORK"/wheels/mmcv-"$MMCV_VERSION"-*.whl; }
if mmcv_ok; then
  say "mmcv $MMCV_VERSION with ops already importable"
else
  build_mmcv_wheel ""
  install_mmcv_wheel
  if ! mmcv_ok; then
    # e.g. a cached wheel compiled against another torch: drop it from the cache and compile anew
    say "the cached mmcv wheel does not load with this torch; rebuilding"
    "$PY" -m pip cache remove "mmcv-$MMCV_VERSION-*" >/dev/null 2>&1 || true
    rm -rf "$WORK"/wheels "$WORK"/mmcv-build-venv
    build_mmcv_wheel "--no-cache-dir"
    install_mmcv_wheel
    mmcv_ok || { say "mmcv still does not import"; exit 1; }
  fi
fi

# --- mmdet / mmpose (pure Python, --no-deps) --------------------------------------------------
if ! { has_version mmdet "$MMDET_VERSION" && has_version mmpose "$MMPOSE_VERSION"; }; then
  pip_in "$PY" -q --no-deps "mmdet==$MMDET_VERSION" "mmpose==$MMPOSE_VERSION"
fi

# --- albumentations: the RTMPose recipes' Albumentation transform (rhythm rtmpose-train) --------
# 1.4.24: the last release that takes the recipes' CoarseDropout arguments (max_holes, ...); 2.x renamed them.
has_version albumentations 1.4.24 || pip_in "$PY" -q "albumentations==1.4.24"

# --- verify -------------------------------------------------------------------------------------
"$PY" - <<EOF
import sys, warnings, torch, numpy
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
assert torch.__version__.split('+')[0] == '$TORCH_VERSION', torch.__version__
import mmengine, mmcv, mmdet, mmpose
from mmcv.ops import batched_nms
import mmdet.models, mmdet.structures, mmpose.models, mmpose.codecs, mmpose.registry, albumentations
b = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [0., 0., 10., 10.]]); s = torch.tensor([.9, .8, .7])
_, keep = batched_nms(b, s, torch.tensor([0, 0, 1]), dict(type='nms', iou_threshold=0.5))
assert keep.tolist() == [0, 2], keep   # class-aware: the third box has another label
assert 'torchvision' not in sys.modules
print('[install-openmmlab] OK: torch %s, numpy %s, mmengine %s, mmcv %s, mmdet %s, mmpose %s' % (
    torch.__version__, numpy.__version__, mmengine.__version__, mmcv.__version__, mmdet.__version__,
    mmpose.__version__), file=sys.stderr)
EOF
