"""COCO-WholeBody's 133 keypoints and the 85 that Rhythm keeps by default.

Layout (MMPose's ``coco_wholebody`` and RTMW3D's): 0-16 body (COCO-17), 17-22 feet, 23-90 face
(the 68-point iBUG layout), 91-111 left hand, 112-132 right hand (21 each: wrist, then thumb,
index, middle, ring and little finger, four joints each from the palm out).

The original Stage 3b kept 85 of them for sign language (upper body, face, hands). Dance needs the
legs and feet too, so Rhythm's default 85 are: the 17 body keypoints, the 6 foot keypoints, 20
face landmarks (chin, brows, nose, eye corners, mouth corners and lips) and both hands (42). Any
other selection is a list of indices in the config (``landmarks.keypoints``).
"""

from __future__ import annotations

from rhythm.core.skeleton import COCO_KEYPOINTS

NUM_WHOLEBODY = 133
FEET = ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")
_FINGERS = ("thumb", "index", "middle", "ring", "little")
HAND = ("wrist",) + tuple(f"{finger}{j}" for finger in _FINGERS for j in range(1, 5))
WHOLEBODY_KEYPOINTS = (
    COCO_KEYPOINTS
    + FEET
    + tuple(f"face_{i}" for i in range(68))
    + tuple(f"left_hand_{name}" for name in HAND)
    + tuple(f"right_hand_{name}" for name in HAND)
)
assert len(WHOLEBODY_KEYPOINTS) == NUM_WHOLEBODY

# iBUG-68 face points: chin; brows (outer, middle, inner of each); nose bridge top, tip, wings and
# base; outer and inner eye corners; mouth corners, upper and lower lip centres.
_FACE_20 = (8, 17, 19, 21, 22, 24, 26, 27, 30, 31, 33, 35, 36, 39, 42, 45, 48, 51, 54, 57)
DANCE_85 = tuple(range(0, 23)) + tuple(23 + i for i in _FACE_20) + tuple(range(91, 133))
assert len(DANCE_85) == 85 and len(set(DANCE_85)) == 85

SELECTIONS = {"dance85": DANCE_85, "wholebody133": tuple(range(NUM_WHOLEBODY)), "body17": tuple(range(17))}


def resolve_selection(selection: str | list[int] | tuple[int, ...]) -> tuple[int, ...]:
    """A named selection (``dance85``, ``wholebody133``, ``body17``) or an explicit list of indices."""
    if isinstance(selection, str):
        if selection not in SELECTIONS:
            raise ValueError(f"unknown keypoint selection {selection!r}; known: {', '.join(SELECTIONS)}")
        return SELECTIONS[selection]
    indices = tuple(int(i) for i in selection)
    bad = [i for i in indices if not 0 <= i < NUM_WHOLEBODY]
    if bad or not indices:
        raise ValueError(f"keypoint indices must be 0-{NUM_WHOLEBODY - 1}, got {bad or 'none'}")
    return indices
