"""Whole-body 3D landmarks from video: RTMDet person boxes, RTMW3D (RTMPose3D) keypoints, per frame.

The stage (:mod:`rhythm.landmarks.stage`) samples frames, asks a backend for person boxes and
133 COCO-WholeBody keypoints with depth, keeps the people its policy wants, and writes
``(T, 85, 4)`` arrays. Backends (:mod:`rhythm.landmarks.backend`): ``mmpose`` (MMPose + MMDetection,
GPU or CPU) and ``onnx`` (onnxruntime, no torch or mmcv at run time).
"""
