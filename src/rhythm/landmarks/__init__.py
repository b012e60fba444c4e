"""Whole-body 3D landmarks: RTMDet person boxes + RTMW3D keypoints, through MMPose or ONNX Runtime.

Modules: ``geometry`` (crops), ``codec`` (SimCC-3D), ``rtmdet`` (detector pre/post-processing),
``backend`` (the API: ``load_backend``, ``Person``), ``mmpose_backend``/``onnx_backend``,
``rtmw3d`` (RTMW3D's model parts for MMPose's registries), ``export`` (ONNX), ``models`` (manifest,
fetch). This package imports neither torch nor the OpenMMLab stack; only the modules that need
them do.
"""
