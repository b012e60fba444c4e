"""Fine-tuning, evaluating and running RTMPose on the COCO sets Rhythm builds from AIST++ frames."""
