"""The MMEngine config of a fine-tuning run: MMPose's own RTMPose COCO recipe on Rhythm's COCO sets.

The recipe file ships inside the mmpose package; everything the recipe says about the network,
the codec (SimCC) and the augmentation stays. Rhythm replaces what is about the run: the data
(``<coco_root>/<split>/annotations/<split>.json`` and ``images/``), the schedule (epochs, warm-up,
the cosine decay over the second half, the switch to the milder stage-2 augmentation near the end),
the batch, the seed, the checkpointing (every epoch, for resuming; the best by COCO AP), and the
start: the COCO-pretrained weights (``load_from``) or nothing. The recipe's backbone
initialisation downloads ImageNet weights at build time; it is switched off, so a run never needs
the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.rtmpose.openmmlab import without_pose_visualizer
from rhythm.rtmpose.options import RtmposeOptions

SPLITS = ("train", "val", "test")


def recipe_path(options: RtmposeOptions) -> Path:
    """The recipe's file in the installed mmpose package."""
    import mmpose

    scope, _, rel = options.base_config.partition("::")
    path = Path(mmpose.__file__).parent / ".mim" / "configs" / rel
    if not path.is_file():
        raise RhythmInputError(path, f"MMPose's {options.base_config} is not in the installed mmpose package")
    return path


def coco_files(coco_root: str | Path, split: str) -> tuple[Path, Path]:
    """(annotations JSON, images folder) of one of Rhythm's COCO splits."""
    root = Path(coco_root)
    ann, images = root / split / "annotations" / f"{split}.json", root / split / "images"
    if not ann.is_file():
        raise RhythmInputError(ann, f"the COCO {split} set is not built (rule coco_split)")
    return ann, images


def split_files(coco_root: str | Path, work_dir: str | Path, max_images: int | None) -> dict[str, tuple[Path, Path]]:
    """Per split, the annotations a run uses and the images folder: Rhythm's COCO files, or with
    ``max_images`` a copy of each holding only that many images, evenly spaced over the split (in
    ``<work_dir>/data/``), so that training, validation and COCO AP all see the same subset."""
    from rhythm.core.io import read_json, write_json

    files = {}
    for split in SPLITS:
        ann, images = coco_files(coco_root, split)
        if max_images:
            coco = read_json(ann)
            picks = np.unique(np.linspace(0, len(coco["images"]) - 1, max_images).round().astype(int))
            keep = [coco["images"][i] for i in picks] if coco["images"] else []
            ids = {im["id"] for im in keep}
            subset = dict(coco, images=keep, annotations=[a for a in coco["annotations"] if a["image_id"] in ids])
            ann = Path(work_dir) / "data" / f"{split}.json"
            write_json(ann, subset)
        files[split] = (ann.resolve(), images.resolve())
    return files


def build_config(
    coco_root: str | Path,
    work_dir: str | Path,
    options: RtmposeOptions,
    *,
    load_from: str | Path | None = None,
    on_gpu: bool = False,
    test_predictions: str | Path | None = None,
) -> Any:
    """The ``mmengine.Config`` of a run (see the module docstring); ``test_predictions``: the
    prefix under which the test evaluator writes its predictions (``<prefix>.keypoints.json``)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(recipe_path(options)))
    root = Path(coco_root).resolve()
    cfg.work_dir = str(Path(work_dir).resolve())
    cfg.randomness = dict(seed=options.seed, deterministic=False)
    epochs = options.epochs
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=min(options.val_interval, epochs))

    optim: dict[str, Any] = dict(cfg.optim_wrapper)
    optim["optimizer"] = dict(optim["optimizer"], lr=options.lr)
    if on_gpu and options.amp:
        optim["type"] = "AmpOptimWrapper"
    cfg.optim_wrapper = optim
    cfg.param_scheduler = [
        dict(type="LinearLR", start_factor=1.0e-3, by_epoch=False, begin=0, end=max(1, options.warmup_iters)),
        dict(
            type="CosineAnnealingLR",
            eta_min=options.lr * 0.05,
            begin=epochs // 2,
            end=epochs,
            T_max=max(1, epochs - epochs // 2),
            by_epoch=True,
            convert_to_iter_based=True,
        ),
    ]

    cfg.model.backbone.init_cfg = None  # the recipe's ImageNet download; load_from or scratch instead
    cfg.model.backbone.norm_cfg = dict(type="BN")  # one process: no SyncBN
    cfg.load_from = str(load_from) if load_from else None

    batch = options.gpu_batch_size if on_gpu else options.batch_size
    files = split_files(root, work_dir, options.max_images)
    cfg.test_dataloader = dict(cfg.test_dataloader)  # the recipe aliases val: test is its own now
    for split in SPLITS:
        ann, images = files[split]
        loader = cfg[f"{split}_dataloader"]
        loader.dataset.data_root = ""
        loader.dataset.ann_file = str(ann)
        loader.dataset.data_prefix = dict(img=str(images) + "/")
        loader.dataset.pop("bbox_file", None)  # ground-truth boxes: the frames have one dancer each
        loader.batch_size = batch if split == "train" else min(batch, 64)
        loader.num_workers = options.workers
        loader.persistent_workers = options.workers > 0
    cfg.val_evaluator = dict(type="CocoMetric", ann_file=str(files["val"][0]))
    cfg.test_evaluator = dict(type="CocoMetric", ann_file=str(files["test"][0]))
    if test_predictions:
        cfg.test_evaluator["outfile_prefix"] = str(test_predictions)

    stage2 = max(1, round(epochs * 30 / 420))  # the recipe's last 30 of 420 epochs, scaled
    for hook in cfg.custom_hooks:
        if hook.get("type") == "mmdet.PipelineSwitchHook":
            hook["switch_epoch"] = max(0, epochs - stage2)
    cfg.default_hooks.checkpoint = dict(
        type="CheckpointHook", interval=1, save_best="coco/AP", rule="greater", max_keep_ckpts=2, save_last=True
    )
    cfg.default_hooks.logger = dict(type="LoggerHook", interval=5)
    cfg.env_cfg = dict(cudnn_benchmark=on_gpu, mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0))
    cfg.auto_scale_lr = dict(enable=False, base_batch_size=1024)
    without_pose_visualizer(cfg)
    return cfg
