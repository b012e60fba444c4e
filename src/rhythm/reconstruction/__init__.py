"""Multi-view reconstruction: triangulation of keypoints2d into keypoints3d (bad views dropped),
bundle adjustment of the cameras, SMPL skeleton fitting, reprojection checks, and the errors file."""
