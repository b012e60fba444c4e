"""Motion as training data: 3D pose and SMPL arrays from the annotations, the Audio2Pose layout and
loader, and aligned motion/music windows."""
