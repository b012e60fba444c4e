"""Several people: who is who from frame to frame (:mod:`tracking`), 2D detections from other tools
in (:mod:`detections`: AlphaPose, OpenPose, MMPose), and where each person stands (:mod:`grounding`)."""
