"""RTMPose fine-tuning settings: ``rhythm rtmpose-train``'s flags and the config's ``rtmpose:`` keys.

One dataclass (:mod:`rhythm.core.options`). The recipe is MMPose's own RTMPose COCO config of the
chosen size (``mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-<size>_8xb256-420e_coco-<input>.py``);
these settings replace its schedule, batch and data. The workflow-only keys (``enabled``, ``run``)
are described in the config schema beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhythm.core.options import option

SIZES = ("t", "s", "m")
INPUT_SIZES = ("256x192", "384x288")


@dataclass(frozen=True)
class RtmposeOptions:
    size: str = option("s", "RTMPose size: t (tiny), s or m", choices=SIZES)
    input_size: str = option("256x192", "network input height x width (384x288: the m model only)", choices=INPUT_SIZES)
    epochs: int = option(30, "training epochs over the train set", minimum=1)
    batch_size: int = option(32, "images per training batch on a CPU", minimum=1)
    gpu_batch_size: int = option(256, "images per training batch on a GPU (MMPose's recipe per GPU)", minimum=1)
    lr: float = option(
        4e-4, "AdamW learning rate (the recipe's 4e-3 is for training from scratch)", exclusive_minimum=0
    )
    warmup_iters: int = option(100, "linear warm-up iterations", minimum=0)
    val_interval: int = option(5, "validate (COCO AP on the val set) every this many epochs", minimum=1)
    max_images: int | None = option(
        None, "use at most this many images of each split, evenly spaced over it (null: all)", minimum=1
    )
    pretrained: bool = option(
        True, "start from the COCO-pretrained RTMPose when its weights are in models_dir (else from scratch)"
    )
    models_dir: str = option("resources/models", "where `rhythm models fetch --only rtmpose-<size>` puts the weights")
    seed: int = option(0, "random seed (MMEngine's randomness.seed)")
    amp: bool = option(True, "mixed precision on a GPU (CPU runs stay float32)")
    workers: int = option(2, "data loader worker processes (0: load in the training process)", minimum=0)

    @property
    def model_name(self) -> str:
        """The name of the COCO-pretrained checkpoint in resources/landmarks/models.json."""
        return f"rtmpose-{self.size}" + ("" if self.input_size == "256x192" else f"-{self.input_size}")

    @property
    def base_config(self) -> str:
        """MMPose's own RTMPose COCO recipe of this size, in the installed mmpose package."""
        if self.input_size == "384x288":
            if self.size != "m":
                raise ValueError("input_size 384x288: MMPose publishes it for the m model only")
            return "mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-m_8xb256-420e_aic-coco-384x288.py"
        return f"mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-{self.size}_8xb256-420e_coco-256x192.py"
