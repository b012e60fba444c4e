import json

import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_pickle, write_pickle
from rhythm.video.coco import CocoOptions, build_split, keypoint_instance, load_coco, write_coco, write_mmpose_config
from rhythm.video.frames import FrameOptions, extract_for_video


@pytest.fixture(scope="module")
def coco_split(demo_source, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("coco")
    frames = []
    for video in ("gBR_sBM_c01_d03_mBR3_ch01", "gBR_sBM_c02_d03_mBR3_ch01"):
        extract_for_video(demo_source / "videos" / f"{video}.mp4", demo_source / "annotations", tmp / "frames" / video)
        frames.append(tmp / "frames" / video)
    out = tmp / "rtmpose_dataset" / "val"
    build_split("val", frames, demo_source / "annotations", out, CocoOptions(stride=5))
    return out


def test_coco_layout_and_pycocotools(coco_split):
    from pycocotools.coco import COCO

    ann = coco_split / "annotations" / "val.json"
    coco = COCO(str(ann))
    assert len(coco.getImgIds()) == 2 * 60  # 300 frames, stride 5, two videos
    a = coco.loadAnns(coco.getAnnIds())[0]
    assert len(a["keypoints"]) == 51 and a["num_keypoints"] == 17 and a["iscrowd"] == 0
    x, y, w, h = a["bbox"]
    kp = np.array(a["keypoints"]).reshape(17, 3)
    assert (kp[:, 0] >= x).all() and (kp[:, 0] <= x + w).all() and (kp[:, 1] >= y).all() and (kp[:, 1] <= y + h).all()
    assert a["area"] == pytest.approx(w * h, rel=1e-3)
    img = coco.loadImgs(a["image_id"])[0]
    path = coco_split / "images" / img["file_name"]
    assert path.is_file() and path.stat().st_nlink == 2  # a hard link to the frame, not a copy
    assert coco.loadCats(1)[0]["skeleton"][0] == [16, 14]


def test_cocoeval_self_is_perfect_and_perturbed_is_not(coco_split, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = COCO(str(coco_split / "annotations" / "val.json"))

    def ap(dets):
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev.stats[0]

    anns = gt.loadAnns(gt.getAnnIds())
    same = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0} for a in anns]
    rng = np.random.default_rng(0)
    noisy = []
    for a in same:
        kp = np.array(a["keypoints"], dtype=float).reshape(17, 3)
        kp[:, :2] += rng.normal(0, 6, (17, 2))
        noisy.append({**a, "keypoints": kp.reshape(-1).tolist()})
    assert ap(same) == pytest.approx(1.0)
    assert ap(noisy) < 0.9


def test_real_coco_sample_round_trips(shared, tmp_path):
    from pycocotools.coco import COCO

    src = shared / "coco" / "test_coco.json"
    data = load_coco(src)
    write_coco(tmp_path / "copy.json", data)
    assert json.loads((tmp_path / "copy.json").read_text()) == json.loads(src.read_text())
    assert len(COCO(str(tmp_path / "copy.json")).getAnnIds()) == 14


def test_visibility_from_confidence_and_bbox_margin():
    kp = np.array([[10.0, 20.0, 0.9]] * 17)
    kp[1] = [30, 60, 0.2]  # labelled, not visible
    kp[2] = [500, 500, 0.01]  # below the labelled threshold
    kp[3] = [-5, 10, 0.9]  # outside the image
    inst = keypoint_instance(kp, 100, 100, CocoOptions(margin=0.1))
    v = np.array(inst["keypoints"]).reshape(17, 3)[:, 2]
    assert v[0] == 2 and v[1] == 1 and v[2] == 0 and v[3] == 0
    assert inst["num_keypoints"] == 15
    assert inst["bbox"] == [8.0, 16.0, 24.0, 48.0]


def test_mmpose_config_points_at_the_split(tmp_path):
    path = tmp_path / "rtmpose_val.py"
    write_mmpose_config(path, "val", tmp_path)
    ns = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)  # plain Python, as MMEngine reads it
    assert ns["val_dataloader"]["dataset"]["ann_file"] == "val/annotations/val.json"
    assert ns["train_dataloader"]["dataset"]["data_prefix"] == {"img": "train/images/"}
    assert "rtmpose-s_8xb256-420e_coco-256x192" in ns["_base_"][0]


def test_frames_extracted_with_the_coco_stride_give_the_same_dataset(demo_source, coco_split, tmp_path):
    frames = []
    for video in ("gBR_sBM_c01_d03_mBR3_ch01", "gBR_sBM_c02_d03_mBR3_ch01"):
        extract_for_video(
            demo_source / "videos" / f"{video}.mp4",
            demo_source / "annotations",
            tmp_path / "frames" / video,
            FrameOptions(stride=5),
        )
        frames.append(tmp_path / "frames" / video)
    coco = build_split("val", frames, demo_source / "annotations", tmp_path / "val", CocoOptions(stride=5))
    full = load_coco(coco_split / "annotations" / "val.json")
    assert [a["keypoints"] for a in coco["annotations"]] == [a["keypoints"] for a in full["annotations"]]
    assert [i["file_name"] for i in coco["images"]] == [i["file_name"] for i in full["images"]]


def test_ghost_detections_and_low_scores_are_filtered(demo_source, tmp_path):
    """Several detections per frame: the best-scoring one is the dancer; frames below min_det_score go."""
    seq, video = "gBR_sBM_cAll_d03_mBR3_ch01", "gBR_sBM_c01_d03_mBR3_ch01"
    anno = tmp_path / "anno"
    (anno / "keypoints2d").mkdir(parents=True)
    data = read_pickle(aist.keypoints2d_path(demo_source / "annotations", seq))
    real, det = data["keypoints2d"], data["det_scores"]
    ghost = real.copy()
    ghost[..., :2] = ghost[..., :2] * 0.5 + 7  # a smaller figure elsewhere in the frame
    ghost_det = det - 0.3
    ghost_det[0, 10] = det[0, 10] + 0.1  # in frame 10 of c01 the ghost scores higher
    write_pickle(
        aist.keypoints2d_path(anno, seq),
        {
            "keypoints2d": np.stack([ghost, real], axis=2),
            "det_scores": np.stack([ghost_det, det], axis=2),
            "timestamps": data["timestamps"],
        },
    )
    loaded = aist.load_keypoints2d(aist.keypoints2d_path(anno, seq))
    assert loaded.keypoints.shape == real.shape
    np.testing.assert_array_equal(loaded.view("c01")[11], real[0, 11])
    np.testing.assert_array_equal(loaded.view("c01")[10], ghost[0, 10])

    extract_for_video(
        demo_source / "videos" / f"{video}.mp4", anno, tmp_path / "frames" / video, FrameOptions(stride=5)
    )
    threshold = float(np.sort(det[0, ::5])[10])  # drops the 10 lowest-scoring of c01's 60 frames
    coco = build_split(
        "val", [tmp_path / "frames" / video], anno, tmp_path / "val", CocoOptions(min_det_score=threshold)
    )
    assert len(coco["images"]) == 50
    assert all(a["det_score"] >= threshold for a in coco["annotations"])


def test_coco_writer_refuses_a_broken_file(tmp_path):
    with pytest.raises(RhythmInputError, match="no 'annotations'"):
        write_coco(tmp_path / "x.json", {"images": [], "categories": []})
    with pytest.raises(RhythmInputError, match="refer to missing images"):
        write_coco(
            tmp_path / "x.json", {"images": [{"id": 1}], "categories": [], "annotations": [{"id": 1, "image_id": 2}]}
        )
    assert list(tmp_path.iterdir()) == []
