"""The landmarks stage's settings: ``rhythm landmarks``'s flags and the config's ``landmarks:`` keys.

One dataclass (:mod:`rhythm.core.options`); the old Stage 3b tool's names are in the help texts
(BBOX_THR, KPT_THR, ADD_VISIBLE, REDUCE_FPS_TO, ACCEPT_VIDEO_FPS_WITHIN, FRAME_SKIP) and REMOVE_Z
of its Stage 4. The workflow-only keys (``enabled``, ``placement``, ``tracking``, ``keypoints``,
``cameras``, ``max_videos``, ``manifest``) are described in the config schema beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhythm.core.options import option


@dataclass(frozen=True)
class LandmarkSettings:
    backend: str = option(
        "mmpose",
        "mmpose: MMPose/MMDetection in torch (make setup-openmmlab); onnx: exported models "
        "in onnxruntime, no torch or mmcv",
        choices=("mmpose", "onnx"),
    )
    device: str = option(
        "auto", "auto: cuda when present, else the CPU; cpu; cuda; cuda:<n>", pattern="^(auto|cpu|cuda(:[0-9]+)?)$"
    )
    detector: str = option(
        "rtmdet-m-person",
        "a model of resources/landmarks/models.json (rtmdet-m-person, "
        "rtmdet-nano-person, rtmdet-m), a file name in models_dir or a path (.pth for mmpose, "
        ".onnx for onnx)",
    )
    pose: str = option("rtmw3d-l", "rtmw3d-l or rtmw3d-x, a file name in models_dir or a path")
    detector_config: str | None = option(
        None,
        "mmpose: config (file or model name) of a detector checkpoint of your own (default: the released model's)",
        flag="det-config",
    )
    pose_config: str | None = option(None, "mmpose: config of a pose checkpoint of your own", flag="pose-config")
    models_dir: str = option(
        "resources/models", "where `rhythm models fetch` puts the .pth files and `rhythm models export` the .onnx files"
    )
    batch_size: int = option(16, "person crops per forward pass (and frames per detector pass)", minimum=1)
    batch_frames: int = option(16, "frames decoded and sent to the backend at once", minimum=1)
    det_score_threshold: float = option(
        0.3, "BBOX_THR: person boxes scoring below this are ignored", minimum=0, maximum=1, flag="det-score-thr"
    )
    kpt_threshold: float = option(
        0.3,
        "KPT_THR: keypoints scoring below this get NaN coordinates (x, y, z); their "
        "score is kept, so a reader sees why (0: keep every keypoint)",
        minimum=0,
        maximum=1,
        flag="kpt-thr",
        aliases=("--kpt-threshold",),
    )
    add_visible: bool = option(True, "ADD_VISIBLE: keep the score channel, (T, K, 4); false: (T, K, 3) x, y, z")
    remove_z: bool = option(
        False,
        "REMOVE_Z (the old Stage 4): drop the depth channel for 2D-only consumers: "
        "(T, K, 3) x, y, score (or (T, K, 2) without ADD_VISIBLE)",
    )
    policy: str = option(
        "best",
        "several people in a frame: skip the segment (the old tool), keep the best-scoring "
        "box, follow one person from frame to frame, or track up to tracking.max_people (output "
        "(T, N, K, 4))",
        choices=("skip", "best", "track", "people"),
    )
    reduce_fps_to: float | None = option(
        30.0, "REDUCE_FPS_TO: sample down to this rate; null or 0: every source frame", minimum=0
    )
    accept_fps_within: tuple[float, ...] = option(
        (24.0, 60.0),
        "ACCEPT_VIDEO_FPS_WITHIN: sources outside [low, high] fps are skipped (and reported)",
        nargs=2,
        metavar=("LOW", "HIGH"),
    )
    frame_skip: int = option(1, "FRAME_SKIP: then keep every n-th sampled frame", minimum=1)
