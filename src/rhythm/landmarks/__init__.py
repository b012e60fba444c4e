"""Whole-body 3D landmarks from video: RTMDet person boxes, RTMW3D (RTMPose3D) keypoints, per frame.

The stage (:mod:`rhythm.landmarks.stage`) samples frames, asks a backend for person boxes and
133 COCO-WholeBody keypoints with depth, keeps the people its policy wants, and writes
``(T, 85, 4)`` arrays. Backends (:mod:`rhythm.landmarks.backend`): ``mmpose`` (MMPose + MMDetection,
GPU or CPU) and ``onnx`` (onnxruntime, no torch or mmcv at run time).

Modules: ``sampling`` (frame times), ``keypoints`` (the 85-index selection), ``stage`` (the per-video
loop, policies, outputs), ``validate``; ``geometry`` (crops), ``codec`` (SimCC-3D), ``rtmdet`` (detector
pre/post-processing), ``backend`` (the API: ``load_backend``, ``Person``), ``mmpose_backend``/``onnx_backend``,
``rtmw3d`` (RTMW3D's model parts for MMPose's registries), ``export`` (ONNX), ``models`` (manifest,
fetch). This package imports neither torch nor the OpenMMLab stack; only the modules that need
them do.
"""
