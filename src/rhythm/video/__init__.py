"""Videos to pictures: frames aligned with the 60 fps annotations, COCO keypoint sets for RTMPose,
QA overlays, and the renderer the demo and generated dances are drawn with."""
