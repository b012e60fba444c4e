"""MMPose's registries without its visualisation package.

``mmpose.utils.register_all_modules`` and ``mmpose.apis`` import ``mmpose.visualization``, which
imports torchvision, and PyPI's torchvision does not load beside the CPU torch Rhythm pins (its
compiled ops are built against the CUDA torch; envs/install-openmmlab.sh leaves it out). Training
and testing need none of it: the registries of codecs, datasets, hooks, metrics and models are
enough, and MMEngine's own ``Visualizer`` and ``LogProcessor`` write the scalar log. MMPose's three
registries that would import the visualisation package on first use (visualizers, their backends,
log processors) are marked as imported; they then hand out MMEngine's classes, as they would
anyway for those names.

MMEngine saves ``numpy`` arrays in a checkpoint's ``meta`` and loads checkpoints with a bare
``torch.load``, which torch >= 2.6 restricts to tensors; the rtmpose commands load only their own
checkpoints and the released ones (SHA-256 checked), so they let torch unpickle them in full
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``), as torch < 2.6 did.
"""

from __future__ import annotations

import importlib
import os


def register_mmpose() -> None:
    """Register MMPose's modules (all but visualisation) and make ``mmpose`` the default scope."""
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # see the module docstring
    for name in ("codecs", "datasets", "engine", "evaluation", "models"):
        importlib.import_module(f"mmpose.{name}")
    from mmpose.registry import LOG_PROCESSORS, VISBACKENDS, VISUALIZERS

    for registry in (VISUALIZERS, VISBACKENDS, LOG_PROCESSORS):
        registry._imported = True  # its location is mmpose.visualization: see the module docstring
    from mmengine import DefaultScope

    if DefaultScope.get_current_instance() is None or not DefaultScope.check_instance_created("mmpose"):
        DefaultScope.get_instance("mmpose", scope_name="mmpose")


def without_pose_visualizer(cfg) -> None:
    """Log scalars with MMEngine's visualizer instead of ``PoseLocalVisualizer`` (see the module docstring)."""
    # named after the run: MMEngine keeps one visualizer per name in a process, writing where it was made
    name = f"visualizer:{cfg.work_dir}"
    cfg.visualizer = dict(type="Visualizer", name=name, vis_backends=[dict(type="LocalVisBackend")])
    cfg.default_hooks.pop("visualization", None)
