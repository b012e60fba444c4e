"""Skeletons: COCO-17 keypoints and the SMPL kinematic tree with forward kinematics.

The SMPL joint tree and the neutral rest offsets (metres, y-up) are the public values used by
EDGE and other dance models, so joint positions can be computed from ``smpl_poses`` and
``smpl_trans`` without the licensed SMPL model file.

**The SMPL convention** (the official AIST++ data, the AIST++ API, Bailando, EDGE, and every
``motions`` pickle Rhythm reads or writes)::

    joints = smpl_scaling * SMPL(smpl_poses, transl = smpl_trans / smpl_scaling)

SMPL adds ``transl`` to its own joints, and its pelvis does not rest at the origin but at
:data:`SMPL_PELVIS_REST` (J0, the neutral template's pelvis). So the pelvis sits at
``smpl_trans + J0 * smpl_scaling``, not at ``smpl_trans``: :func:`smpl_joints` is that, and it is
the one way Rhythm turns SMPL parameters into joints. On the genuine AIST++ motion
gBR_sBM_cAll_d06_mBR2_ch06 it lands 0.9 cm (median over hips, knees, ankles, shoulders, elbows and
wrists) from ``keypoints3d_optim``; without J0, 22 cm. (:func:`forward_kinematics` itself puts the
root at the translation it is given.)
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

COCO_KEYPOINTS = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
# The COCO skeleton as pycocotools and MMPose write it: 1-based keypoint indices.
COCO_SKELETON = (
    (16, 14),
    (14, 12),
    (17, 15),
    (15, 13),
    (12, 13),
    (6, 12),
    (7, 13),
    (6, 7),
    (6, 8),
    (7, 9),
    (8, 10),
    (9, 11),
    (2, 3),
    (1, 2),
    (1, 3),
    (2, 4),
    (3, 5),
    (4, 6),
    (5, 7),
)
# 0-based limbs for drawing, with a colour (BGR) per body part: left side warm, right side cool.
COCO_LIMBS = tuple((a - 1, b - 1) for a, b in COCO_SKELETON)
_LEFT, _RIGHT, _MID = (0, 140, 255), (255, 160, 0), (80, 220, 80)
COCO_LIMB_COLORS = tuple(
    _LEFT if {a, b} <= {1, 3, 5, 7, 9, 11, 13, 15} else _RIGHT if {a, b} <= {2, 4, 6, 8, 10, 12, 14, 16} else _MID
    for a, b in COCO_LIMBS
)

SMPL_JOINTS = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
SMPL_PARENTS = np.array([-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21])
SMPL_OFFSETS = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.05858135, -0.08228004, -0.01766408],
        [-0.06030973, -0.09051332, -0.01354254],
        [0.00443945, 0.12440352, -0.03838522],
        [0.04345142, -0.38646945, 0.008037],
        [-0.04325663, -0.38368791, -0.00484304],
        [0.00448844, 0.1379564, 0.02682033],
        [-0.01479032, -0.42687458, -0.037428],
        [0.01905555, -0.4200455, -0.03456167],
        [-0.00226458, 0.05603239, 0.00285505],
        [0.04105436, -0.06028581, 0.12204243],
        [-0.03483987, -0.06210566, 0.13032329],
        [-0.0133902, 0.21163553, -0.03346758],
        [0.07170245, 0.11399969, -0.01889817],
        [-0.08295366, 0.11247234, -0.02370739],
        [0.01011321, 0.08893734, 0.05040987],
        [0.12292141, 0.04520509, -0.019046],
        [-0.11322832, 0.04685326, -0.00847207],
        [0.2553319, -0.01564902, -0.02294649],
        [-0.26012748, -0.01436928, -0.03126873],
        [0.26570925, 0.01269811, -0.00737473],
        [-0.26910836, 0.00679372, -0.00602676],
        [0.08669055, -0.01063603, -0.01559429],
        [-0.0887537, -0.00865157, -0.01010708],
    ]
)
SMPL_BONES = tuple((int(p), j) for j, p in enumerate(SMPL_PARENTS) if p >= 0)
# J0: the pelvis's rest position in SMPL's neutral template (metres, y up), where SMPL's root joint is
# before ``transl`` is added (measured on the genuine AIST++ motion and keypoints of
# gBR_sBM_cAll_d06_mBR2_ch06: a least-squares fit of the body joints gives (-0.0021, -0.2417, 0.0284)).
SMPL_PELVIS_REST = np.array([-0.0022, -0.2404, 0.0287])

# COCO-17 body joints that exist in SMPL; the face points hang off the head (see smpl_to_coco17).
_COCO_FROM_SMPL = {5: 16, 6: 17, 7: 18, 8: 19, 9: 20, 10: 21, 11: 1, 12: 2, 13: 4, 14: 5, 15: 7, 16: 8}
# Face points in the head joint's frame (metres, y-up, z forward): nose, eyes, ears.
_FACE_OFFSETS = np.array(
    [
        [0.0, 0.02, 0.11],
        [0.035, 0.05, 0.085],
        [-0.035, 0.05, 0.085],
        [0.075, 0.02, 0.0],
        [-0.075, 0.02, 0.0],
    ]
)


def forward_kinematics(
    poses: np.ndarray, trans: np.ndarray, offsets: np.ndarray = SMPL_OFFSETS, return_rotations: bool = False
):
    """SMPL joint positions from axis-angle poses.

    Args:
        poses: (T, 72) or (T, 24, 3) axis-angle, or (T, 24, 3, 3) rotation matrices.
        trans: (T, 3) root translation, in the units of ``offsets``.
    Returns:
        positions (T, 24, 3); with ``return_rotations`` also the global rotations (T, 24, 3, 3).
    """
    poses = np.asarray(poses, dtype=np.float64)
    t = poses.shape[0]
    if poses.shape[-2:] == (3, 3):
        local = poses.reshape(t, 24, 3, 3)
    else:
        local = Rotation.from_rotvec(poses.reshape(-1, 3)).as_matrix().reshape(t, 24, 3, 3)
    glob = np.empty_like(local)
    pos = np.empty((t, 24, 3))
    for j, parent in enumerate(SMPL_PARENTS):
        if parent < 0:
            glob[:, j] = local[:, j]
            pos[:, j] = np.asarray(trans, dtype=np.float64)
        else:
            glob[:, j] = glob[:, parent] @ local[:, j]
            pos[:, j] = pos[:, parent] + glob[:, parent] @ offsets[j]
    return (pos, glob) if return_rotations else pos


def smpl_joints(
    poses: np.ndarray,
    trans: np.ndarray,
    scaling: float = 1.0,
    offsets: np.ndarray = SMPL_OFFSETS,
    pelvis_rest: np.ndarray = SMPL_PELVIS_REST,
    return_rotations: bool = False,
):
    """Joint positions (T, 24, 3) of SMPL parameters in the SMPL convention (module docstring).

    ``trans`` is ``smpl_trans`` (in the units ``scaling`` turns metres into: AIST++'s cm with
    ``smpl_scaling``; metres with 1). The pelvis lands at ``trans + pelvis_rest * scaling``.
    """
    root = np.asarray(trans, dtype=np.float64) / scaling + np.asarray(pelvis_rest)
    out = forward_kinematics(poses, root, offsets, return_rotations)
    if return_rotations:
        return out[0] * scaling, out[1]
    return out * scaling


def smpl_translation(
    pelvis: np.ndarray, scaling: float = 1.0, pelvis_rest: np.ndarray = SMPL_PELVIS_REST
) -> np.ndarray:
    """``smpl_trans`` that puts the pelvis at ``pelvis`` (the inverse of :func:`smpl_joints`'s root)."""
    return np.asarray(pelvis, dtype=np.float64) - np.asarray(pelvis_rest) * scaling


def smpl_to_coco17(joints: np.ndarray, rotations: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """COCO-17 keypoints (T, 17, 3) from SMPL joints (T, 24, 3) and global rotations (T, 24, 3, 3).

    Body keypoints are the matching SMPL joints; nose, eyes and ears are fixed points on the head,
    moved by the head's rotation. ``scale`` converts the face offsets to the joints' units.
    """
    out = np.empty((joints.shape[0], 17, 3))
    for coco, smpl in _COCO_FROM_SMPL.items():
        out[:, coco] = joints[:, smpl]
    head = joints[:, 15]
    out[:, :5] = head[:, None, :] + np.einsum("tij,kj->tki", rotations[:, 15], _FACE_OFFSETS * scale)
    return out
