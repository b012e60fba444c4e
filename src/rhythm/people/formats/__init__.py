"""Readers and writers of other tools' 2D keypoints, one module per tool (:mod:`alphapose`, :mod:`openpose`,
:mod:`mmpose`), and what they share (:mod:`common`). :mod:`rhythm.people.detections` turns what they read into
AIST++ keypoints2d and re-exports them."""
