"""How the files here were made (python tests/data/detections/generate.py rewrites them): small files shaped
exactly as AlphaPose, OpenPose and MMPose write them, with made-up poses. Not run by the tests."""

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent
rng = np.random.default_rng(20240607)
# COCO-17 stick figure, height 1, y down
TEMPLATE = np.array(
    [
        [0, -0.45],
        [0.03, -0.47],
        [-0.03, -0.47],
        [0.06, -0.46],
        [-0.06, -0.46],
        [0.12, -0.30],
        [-0.12, -0.30],
        [0.20, -0.15],
        [-0.20, -0.15],
        [0.22, 0.0],
        [-0.22, 0.0],
        [0.08, 0.05],
        [-0.08, 0.05],
        [0.09, 0.27],
        [-0.09, 0.27],
        [0.09, 0.50],
        [-0.09, 0.50],
    ]
)
EXTRA = np.array(
    [
        [0, -0.55],
        [0, -0.36],
        [0, 0.05],
        [0.12, 0.53],
        [-0.12, 0.53],
        [0.14, 0.52],
        [-0.14, 0.52],
        [0.08, 0.52],
        [-0.08, 0.52],
    ]
)


def f32(a):
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def pose(cx, cy, h, k=17):
    base = np.concatenate([TEMPLATE, EXTRA])[: min(k, 26)]
    xy = np.array([cx, cy]) + base * h + rng.normal(0, 1.5, base.shape)
    if k > 26:  # face and hands: points around the head and wrists
        more = np.array([cx, cy - 0.4 * h]) + rng.normal(0, 0.05 * h, (k - 26, 2))
        xy = np.concatenate([xy, more])
    sc = rng.uniform(0.35, 0.98, k)
    return np.concatenate([xy, sc[:, None]], 1).astype(np.float32)


def ap_entry(image_id, kp, score, idx):
    lo, hi = kp[:17, :2].min(0), kp[:17, :2].max(0)
    box = np.float32([lo[0] - 8, lo[1] - 10, hi[0] - lo[0] + 16, hi[1] - lo[1] + 20])
    return {
        "image_id": image_id,
        "category_id": 1,
        "keypoints": f32(kp),
        "score": float(np.float32(score)),
        "box": f32(box),
        "idx": idx,
    }


# --- AlphaPose Halpe-26, video frame names, frame 2 empty, two people in frame 1
ap = []
ap.append(ap_entry("0.jpg", pose(640, 400, 420, 26), 2.9137, [0.0]))
ap.append(ap_entry("1.jpg", pose(644, 401, 420, 26), 2.8871, [0.0]))
ap.append(ap_entry("1.jpg", pose(1130, 330, 90, 26), 1.2376, [[0.0], [0.0]]))
ap.append(ap_entry("3.jpg", pose(650, 404, 421, 26), 2.9015, [0.0]))
(OUT / "alphapose").mkdir(parents=True, exist_ok=True)
(OUT / "alphapose" / "halpe26-results.json").write_text(json.dumps(ap))

# --- AlphaPose Halpe-136, image folder names counted from 1
ap = [
    ap_entry("00001.png", pose(500, 380, 400, 136), 3.0412, [0.0]),
    ap_entry("00002.png", pose(503, 381, 400, 136), 3.0107, [0.0]),
]
(OUT / "alphapose" / "halpe136-results.json").write_text(json.dumps(ap))

# --- AlphaPose COCO-17 with --eval: int image ids; --pose_track: int idx
ap = []
for t in range(3):
    ap.append(ap_entry(t, pose(300 + 4 * t, 420, 380), 2.7 + 0.01 * t, 1))
    ap.append(ap_entry(t, pose(900 - 4 * t, 410, 390), 2.6 + 0.01 * t, 2))
(OUT / "alphapose" / "coco17-tracked-results.json").write_text(json.dumps(ap))

# --- OpenPose BODY_25 --write_json of a video "dance": frame 2 nobody, frame 3 no file
B25_FROM_COCO = [0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11]


def body25(cx, cy, h, lost=()):
    coco = pose(cx, cy, h)
    b = np.zeros((25, 3), np.float32)
    b[B25_FROM_COCO] = coco
    b[1] = [(coco[5, 0] + coco[6, 0]) / 2, (coco[5, 1] + coco[6, 1]) / 2, 0.88]  # neck
    b[8] = [(coco[11, 0] + coco[12, 0]) / 2, (coco[11, 1] + coco[12, 1]) / 2, 0.81]  # mid hip
    for j, (dx, c) in enumerate(zip([0.12, 0.14, 0.08, -0.12, -0.14, -0.08], [0.7, 0.6, 0.75, 0.72, 0.58, 0.77])):
        foot = 11 if j >= 3 else 14
        b[19 + j] = [b[foot, 0] + dx * h * 0.3, b[foot, 1] + 0.03 * h, c]
    for j in lost:
        b[j] = 0
    return b


def num(v):
    t = f"{float(v):.6g}"
    return "0" if t == "-0" else t


def op_person(b, pid=-1):
    empty = "".join(
        f',"{n}":[]'
        for n in (
            "face_keypoints_2d",
            "hand_left_keypoints_2d",
            "hand_right_keypoints_2d",
            "pose_keypoints_3d",
            "face_keypoints_3d",
            "hand_left_keypoints_3d",
            "hand_right_keypoints_3d",
        )
    )
    return (
        '{"person_id":['
        + str(pid)
        + '],"pose_keypoints_2d":['
        + ",".join(num(v) for v in b.ravel())
        + "]"
        + empty
        + "}"
    )


def op_file(people):
    return '{"version":1.3,"people":[' + ",".join(people) + "]}"


d = OUT / "openpose" / "dance"
d.mkdir(parents=True, exist_ok=True)
(d / "dance_000000000000_keypoints.json").write_text(op_file([op_person(body25(700, 420, 400, lost=(4, 18)))]))
(d / "dance_000000000001_keypoints.json").write_text(
    op_file([op_person(body25(260, 400, 300)), op_person(body25(704, 421, 400, lost=(4,)))])
)
(d / "dance_000000000002_keypoints.json").write_text(op_file([]))
(d / "dance_000000000004_keypoints.json").write_text(op_file([op_person(body25(710, 423, 400))]))

# --- OpenPose COCO (18) model, one image
COCO18_FROM_COCO = [0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10]
coco = pose(500, 350, 380)
c18 = np.zeros((18, 3), np.float32)
c18[COCO18_FROM_COCO] = coco
c18[1] = [(coco[5, 0] + coco[6, 0]) / 2, (coco[5, 1] + coco[6, 1]) / 2, 0.9]
c18[16] = 0  # right ear not found
d = OUT / "openpose" / "coco18"
d.mkdir(parents=True, exist_ok=True)
(d / "000000000042_keypoints.json").write_text(op_file([op_person(c18)]))

# --- OpenPose with --tracking: person_id 0 and 1
d = OUT / "openpose" / "tracked"
d.mkdir(parents=True, exist_ok=True)
for t in range(3):
    (d / f"duo_{t:012d}_keypoints.json").write_text(
        op_file([op_person(body25(800 - 5 * t, 400, 380), 1), op_person(body25(300 + 5 * t, 410, 390), 0)])
    )


# --- MMPose inferencer, video: every frame listed, frame 2 empty, frame 1 two people
def mm_instance(kp, bbox_score):
    lo, hi = kp[:17, :2].min(0), kp[:17, :2].max(0)
    return {
        "keypoints": [f32(p) for p in kp[:, :2]],
        "keypoint_scores": f32(kp[:, 2]),
        "bbox": [f32([lo[0] - 9, lo[1] - 12, hi[0] + 9, hi[1] + 12])],
        "bbox_score": float(np.float32(bbox_score)),
    }


(OUT / "mmpose").mkdir(parents=True, exist_ok=True)
video = [
    {"frame_id": 0, "instances": [mm_instance(pose(600, 400, 410), 0.9132)]},
    {"frame_id": 1, "instances": [mm_instance(pose(220, 380, 200), 0.4127), mm_instance(pose(603, 401, 410), 0.9088)]},
    {"frame_id": 2, "instances": []},
    {"frame_id": 3, "instances": [mm_instance(pose(609, 402, 410), 0.8971)]},
]
(OUT / "mmpose" / "dance.json").write_text(json.dumps(video, indent="  "))

# --- MMPose inferencer, images: one file per image, image 000001 had no file (nobody)
d = OUT / "mmpose" / "images"
d.mkdir(parents=True, exist_ok=True)
(d / "000000.json").write_text(json.dumps([mm_instance(pose(600, 400, 410), 0.93)], indent="  "))
(d / "000002.json").write_text(json.dumps([mm_instance(pose(606, 402, 410), 0.92)], indent="  "))
# COCO-WholeBody (133 keypoints), one image
(OUT / "mmpose" / "wholebody.json").write_text(json.dumps([mm_instance(pose(640, 360, 420, 133), 0.95)], indent="  "))

# --- MMPose demo (topdown_demo_with_mmdet.py --save-predictions): frame_id from 1, meta_info
names = [
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
]
meta = {
    "dataset_name": "coco",
    "num_keypoints": 17,
    "keypoint_id2name": {str(i): n for i, n in enumerate(names)},
    "keypoint_name2id": {n: i for i, n in enumerate(names)},
}
demo = {
    "meta_info": meta,
    "instance_info": [
        {"frame_id": 1, "instances": [mm_instance(pose(500, 400, 400), 0.88)]},
        {"frame_id": 2, "instances": [mm_instance(pose(504, 400, 400), 0.87)]},
    ],
}
(OUT / "mmpose" / "results_dance.json").write_text(json.dumps(demo, indent="\t"))
print("written", sorted(str(p.relative_to(OUT)) for p in OUT.rglob("*") if p.is_file()))
