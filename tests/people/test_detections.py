"""Importing AlphaPose, OpenPose and MMPose 2D keypoints as AIST++ keypoints2d, and exporting them back.

tests/data/detections holds small files shaped exactly as each tool writes them (field names,
nesting, frame naming, number formats; see its README): AlphaPose Halpe-26 / Halpe-136 / tracked
COCO-17, an OpenPose BODY_25 video folder with a missing frame and 0,0,0 points, COCO-18 and
tracked ids, MMPose inferencer video / per-image / WholeBody files and a demo script's file. The
round trips use the real AIST++ annotations (9 cameras, 720 frames) from ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.people import detections as D
from rhythm.people.cli import register_import_keypoints
from rhythm.people.tracking import TrackOptions

from conftest import STANDING_PERSON

DATA = Path(__file__).parents[1] / "data" / "detections"
REAL = "aistpp/keypoints2d/gBR_sBM_cAll_d04_mBR0_ch01.pkl"
B25_FROM_COCO = [0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11]  # OpenPose doc/02_output.md


@pytest.fixture(scope="module")
def real(shared) -> dict:
    with open(shared / REAL, "rb") as fh:
        return pickle.load(fh)


def run_import(argv: list[str]) -> None:
    """``rhythm import-keypoints ...`` through the parser that register() adds."""
    parser = argparse.ArgumentParser(prog="rhythm")
    sub = parser.add_subparsers(dest="command", required=True)
    register_import_keypoints(sub)
    args = parser.parse_args(["import-keypoints", *argv])
    args.func(args)


def coco_rows(flat: list[float], count: int, index: list[int]) -> np.ndarray:
    """The COCO-17 rows of a flat x, y, score list of ``count`` keypoints."""
    return np.asarray(flat, dtype=np.float64).reshape(count, 3)[index]


# ----------------------------------------------------------------------------- frame numbers


@pytest.mark.parametrize(
    "name,number",
    [
        ("0.jpg", 0),
        ("00001.png", 1),
        ("frame_000123.jpg", 123),
        ("out-002.jpg", 2),
        ("gBR_sBM_c01_d04_mBR0_ch01_000123.jpg", 123),
        ("dance_000000000017_keypoints.json", 17),
        ("abc.jpg", None),
    ],
)
def test_frames_are_numbered_by_the_last_number_in_the_name(name, number):
    assert D.frame_number(name) == number


# ----------------------------------------------------------------------------- AlphaPose


def test_alphapose_halpe26_keeps_the_coco17_and_leaves_empty_frames_empty():
    raw = json.loads((DATA / "alphapose" / "halpe26-results.json").read_text())
    det = D.read_alphapose(DATA / "alphapose" / "halpe26-results.json")
    assert det.layout == "Halpe-26"
    assert [len(f) for f in det.frames] == [1, 2, 0, 1]  # 0.jpg, 1.jpg (two people), nobody in 2, 3.jpg
    first = det.frames[0][0]
    np.testing.assert_array_equal(first.keypoints, coco_rows(raw[0]["keypoints"], 26, list(range(17))))
    assert first.score == raw[0]["score"] and first.score > 2  # AlphaPose's proposal score, not 0-1
    x, y, w, h = raw[0]["box"]
    np.testing.assert_allclose(first.box, [x, y, x + w, y + h])  # [x, y, w, h] -> x1, y1, x2, y2
    assert first.track_id == 0 and det.frames[1][1].track_id == 0  # [0.0] and [[0.0], [0.0]]: no tracking

    (kp2d,) = D.to_keypoints2d(det)
    assert kp2d["keypoints2d"].shape == (1, 4, 17, 3) and kp2d["keypoints2d"].dtype == np.float32
    for t, entry in ((0, raw[0]), (1, raw[1]), (3, raw[3])):  # the dancer, not the small person in frame 1
        np.testing.assert_array_equal(
            kp2d["keypoints2d"][0, t], np.float32(coco_rows(entry["keypoints"], 26, list(range(17))))
        )
        assert kp2d["det_scores"][0, t] == np.float32(entry["score"])
    assert np.isnan(kp2d["keypoints2d"][0, 2, :, :2]).all() and (kp2d["keypoints2d"][0, 2, :, 2] == 0).all()
    assert kp2d["det_scores"][0, 2] == 0
    np.testing.assert_array_equal(kp2d["timestamps"], [0, 16667, 33333, 50000])


def test_alphapose_halpe136_counted_from_one():
    path = DATA / "alphapose" / "halpe136-results.json"
    raw = json.loads(path.read_text())
    assert len(raw[0]["keypoints"]) == 136 * 3
    det = D.read_alphapose(path, first_frame_number=1)  # 00001.png is frame 0
    assert det.layout == "Halpe-136" and det.num_frames == 2
    np.testing.assert_array_equal(det.frames[1][0].keypoints, coco_rows(raw[1]["keypoints"], 136, list(range(17))))
    assert D.read_alphapose(path).num_frames == 3  # counted from 0, frame 0 is empty


def test_alphapose_tracked_ids_are_kept():
    det = D.read_alphapose(DATA / "alphapose" / "coco17-tracked-results.json")  # --eval int image ids
    assert det.layout == "COCO-17" and det.num_frames == 3
    people = D.find_people(det)
    assert people.method == "tool ids" and people.report["tool_ids"] == [1, 2]  # id 1 starts on the left
    out = D.to_keypoints2d(det, "all")
    assert len(out) == 2
    assert out[0]["keypoints2d"][0, :, 0, 0].max() < 400 < out[1]["keypoints2d"][0, :, 0, 0].min()


def test_alphapose_format_open_is_read_as_coco18(tmp_path):
    """--format open: per image {"people": [{"pose_keypoints_2d"}]}, COCO-18 built by AlphaPose's write_json
    from the COCO-17 list with the neck appended (flat index 51) in the order of its indexarr."""
    pose = np.float32(np.random.default_rng(5).uniform(10, 500, (17, 3)))
    pose[:, 2] = np.linspace(0.3, 0.95, 17)
    flat = [float(v) for v in pose.ravel()] + [float((pose[5, c] + pose[6, c]) / 2) for c in range(3)]
    indexarr = [0, 51, 18, 24, 30, 15, 21, 27, 36, 42, 48, 33, 39, 45, 6, 3, 12, 9]
    coco18 = [v for i in indexarr for v in flat[i : i + 3]]
    path = tmp_path / "alphapose-results.json"
    path.write_text(json.dumps({"7.jpg": {"version": "AlphaPose v0.3", "people": [{"pose_keypoints_2d": coco18}]}}))
    det = D.read_alphapose(path)
    assert det.num_frames == 8 and det.layout.startswith("AlphaPose COCO-18")
    np.testing.assert_array_equal(det.frames[7][0].keypoints, pose)


# ----------------------------------------------------------------------------- OpenPose


def test_openpose_body25_folder_zeros_and_missing_frames():
    folder = DATA / "openpose" / "dance"
    det = D.read_openpose(folder)
    assert det.layout == "BODY_25" and det.fmt == "openpose"
    assert [len(f) for f in det.frames] == [1, 2, 0, 0, 1]  # "people":[] in 2, no file for 3
    raw = json.loads((folder / "dance_000000000000_keypoints.json").read_text())["people"][0]["pose_keypoints_2d"]
    kp = det.frames[0][0].keypoints
    expected = coco_rows(raw, 25, B25_FROM_COCO)
    found = [j for j in range(17) if j not in (3, 10)]  # LEar (BODY_25 18) and RWrist (4) are 0,0,0 in the file
    np.testing.assert_array_equal(kp[found], expected[found])
    assert np.isnan(kp[[3, 10], :2]).all() and (kp[[3, 10], 2] == 0).all()
    assert det.frames[0][0].score == pytest.approx(expected[found, 2].mean())  # no person score in OpenPose
    assert det.frames[0][0].track_id is None  # person_id [-1]

    with pytest.raises(RhythmInputError, match="tracker kept nobody.*min_hits 3"):
        D.to_keypoints2d(det)  # two people in frame 1, so the tracker: 5 frames are too few for its defaults
    (kp2d,) = D.to_keypoints2d(det, frames=6, options=TrackOptions(min_hits=1))
    assert kp2d["keypoints2d"].shape == (1, 6, 17, 3)
    assert np.isnan(kp2d["keypoints2d"][0, [2, 3, 5], :, :2]).all() and not kp2d["det_scores"][0, [2, 3, 5]].any()
    assert kp2d["keypoints2d"][0, 1, 0, 0] > 600  # the dancer on the right, not the newcomer at x 260
    with pytest.raises(RhythmInputError, match="frames up to 4"):
        D.to_keypoints2d(det, frames=4, options=TrackOptions(min_hits=1))


def test_openpose_coco18_model():
    det = D.read_openpose(DATA / "openpose" / "coco18")
    raw = json.loads((DATA / "openpose" / "coco18" / "000000000042_keypoints.json").read_text())
    coco18 = [0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10]  # OpenPose poseParameters.cpp
    rows = coco_rows(raw["people"][0]["pose_keypoints_2d"], 18, coco18)
    assert det.layout == "COCO" and det.num_frames == 43  # the image's number names its frame
    kp = det.frames[42][0].keypoints
    np.testing.assert_array_equal(kp[[0, 1, 2, 3, 5, 16]], rows[[0, 1, 2, 3, 5, 16]])
    assert np.isnan(kp[4, :2]).all()  # right ear: 0,0,0


def test_openpose_tracked_person_ids_are_kept():
    det = D.read_openpose(DATA / "openpose" / "tracked")
    assert [p.track_id for p in det.frames[0]] == [1, 0]
    people = D.find_people(det)
    assert people.method == "tool ids" and people.report["tool_ids"] == [0, 1]  # id 0 is on the left


def test_openpose_files_of_two_videos_in_one_folder_are_refused(tmp_path):
    for name in ("a_000000000000_keypoints.json", "b_000000000000_keypoints.json"):
        (tmp_path / name).write_text('{"version":1.3,"people":[]}')
    with pytest.raises(RhythmInputError, match="2 videos"):
        D.read_openpose(tmp_path)


# ----------------------------------------------------------------------------- MMPose


def test_mmpose_inferencer_video():
    path = DATA / "mmpose" / "dance.json"
    raw = json.loads(path.read_text())
    det = D.read_mmpose(path)
    assert [len(f) for f in det.frames] == [1, 2, 0, 1]
    inst = raw[1]["instances"][1]
    person = det.frames[1][1]
    np.testing.assert_array_equal(person.keypoints[:, :2], inst["keypoints"])
    np.testing.assert_array_equal(person.keypoints[:, 2], inst["keypoint_scores"])
    np.testing.assert_array_equal(person.box, inst["bbox"][0])  # [[x1, y1, x2, y2]] as split_instances writes
    assert person.score == inst["bbox_score"]
    (kp2d,) = D.to_keypoints2d(det)
    assert kp2d["det_scores"][0, 1] == np.float32(inst["bbox_score"])  # the dancer, not the bystander (0.41)


def test_mmpose_per_image_folder_and_wholebody():
    det = D.read_mmpose(DATA / "mmpose" / "images")
    assert [len(f) for f in det.frames] == [1, 0, 1]  # no 000001.json: nobody
    whole = D.read_mmpose(DATA / "mmpose" / "wholebody.json")
    raw = json.loads((DATA / "mmpose" / "wholebody.json").read_text())
    assert len(raw[0]["keypoints"]) == 133 and whole.num_frames == 1
    np.testing.assert_array_equal(whole.frames[0][0].keypoints[:, :2], raw[0]["keypoints"][:17])


def test_mmpose_demo_file_counts_frames_from_one():
    path = DATA / "mmpose" / "results_dance.json"
    raw = json.loads(path.read_text())
    det = D.read_mmpose(path)
    assert det.num_frames == 2  # frame_id 1 and 2 -> frames 0 and 1
    first = raw["instance_info"][0]["instances"][0]
    np.testing.assert_array_equal(det.frames[0][0].keypoints[:, :2], first["keypoints"])
    assert D.read_mmpose(path, first_frame_number=0).num_frames == 3  # counted from 0 if asked: frame 0 empty


def test_mmpose_demo_file_of_another_layout_is_refused(tmp_path):
    raw = json.loads((DATA / "mmpose" / "results_dance.json").read_text())
    raw["meta_info"]["keypoint_id2name"]["1"] = "neck"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(RhythmInputError, match="COCO-17"):
        D.read_mmpose(path)


# ----------------------------------------------------------------------------- round trips


def exported(fmt: str, folder: Path, view: np.ndarray, det: np.ndarray, name: str) -> Path:
    if fmt == "alphapose":
        path = folder / f"{name}-alphapose-results.json"
        D.write_alphapose(path, view, det)
    elif fmt == "openpose":
        path = folder / f"{name}-openpose"
        D.write_openpose(path, view, video=name)
    else:
        path = folder / f"{name}-mmpose.json"
        D.write_mmpose(path, view, det)
    return path


def six_digits(a: np.ndarray) -> np.ndarray:
    """What OpenPose keeps of a float: 6 significant digits."""
    values, inverse = np.unique(np.asarray(a, np.float32), return_inverse=True)
    kept = np.array([float(f"{float(v):.6g}") for v in values], dtype=np.float32)
    return kept[inverse].reshape(np.shape(a))


@pytest.mark.parametrize("fmt", D.FORMATS)
def test_round_trip_of_the_real_annotations(real, tmp_path, fmt):
    """All nine cameras of a real AIST++ file out to the tool's format and back (c01 alone included)."""
    kp, det = real["keypoints2d"], real["det_scores"]
    views = {}
    for v, camera in enumerate(aist.CAMERAS):
        name = f"gBR_sBM_{camera}_d04_mBR0_ch01"
        back = D.to_keypoints2d(D.read_detections(exported(fmt, tmp_path, kp[v], det[v], name), fmt))
        assert len(back) == 1 and back[0]["keypoints2d"].shape == (1, 720, 17, 3)
        views[camera] = back[0]
    one = views["c01"]
    stacked = D.stack_cameras(views)
    assert stacked["keypoints2d"].shape == (9, 720, 17, 3) and stacked["keypoints2d"].dtype == np.float32
    np.testing.assert_array_equal(stacked["timestamps"], real["timestamps"])
    np.testing.assert_array_equal(one["timestamps"], real["timestamps"])
    if fmt == "openpose":  # 6 significant digits, and no person score: the mean keypoint score stands in
        np.testing.assert_array_equal(stacked["keypoints2d"], six_digits(kp))
        np.testing.assert_array_equal(one["keypoints2d"][0], six_digits(kp[0]))
        # AIST++'s det_scores are the mean of the 17 keypoint scores, so they come back to 6 digits
        np.testing.assert_allclose(stacked["det_scores"], det, rtol=1e-5, atol=0)
    else:  # float32 exactly
        np.testing.assert_array_equal(stacked["keypoints2d"], kp)
        np.testing.assert_array_equal(stacked["det_scores"], det)
        np.testing.assert_array_equal(one["keypoints2d"][0], kp[0])


@pytest.mark.parametrize("fmt", D.FORMATS)
def test_round_trip_keeps_nobody_and_points_not_found(real, tmp_path, fmt):
    view = real["keypoints2d"][2, :40].copy()
    det = real["det_scores"][2, :40].copy()
    view[[5, 6, 37, 38, 39], :, :2] = np.nan  # nobody, including the last three frames
    view[[5, 6, 37, 38, 39], :, 2] = 0
    det[[5, 6, 37, 38, 39]] = 0
    view[10, [9, 15], :2] = np.nan  # two points not found
    view[10, [9, 15], 2] = 0
    path = exported(fmt, tmp_path, view, det, "gBR_sBM_c03_d04_mBR0_ch01")
    short = D.to_keypoints2d(D.read_detections(path, fmt))[0]
    # OpenPose and MMPose list frames with nobody; AlphaPose's file ends with the last person seen
    assert short["keypoints2d"].shape == (1, 37 if fmt == "alphapose" else 40, 17, 3)
    back = D.to_keypoints2d(D.read_detections(path, fmt), frames=40)[0]
    expected = six_digits(view) if fmt == "openpose" else view
    np.testing.assert_array_equal(back["keypoints2d"][0], expected)  # NaN where NaN, scores 0 there
    assert not back["det_scores"][0, [5, 6, 37, 38, 39]].any()


def test_exports_are_shaped_as_the_tools_write_them(real, tmp_path):
    view, det = real["keypoints2d"][0, :3], real["det_scores"][0, :3]
    D.write_openpose(tmp_path / "op", view, video="gBR_sBM_c01_d04_mBR0_ch01")
    names = sorted(p.name for p in (tmp_path / "op").iterdir())
    assert names[0] == "gBR_sBM_c01_d04_mBR0_ch01_000000000000_keypoints.json" and len(names) == 3
    text = (tmp_path / "op" / names[0]).read_text()
    assert text.startswith('{"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[961,481,0.965451,')
    assert text.endswith('"hand_left_keypoints_3d":[],"hand_right_keypoints_3d":[]}]}') and " " not in text
    body = np.asarray(json.loads(text)["people"][0]["pose_keypoints_2d"]).reshape(25, 3)
    assert (body[[1, 8, 19, 24]] == 0).all()  # Neck, MidHip, feet: not in COCO-17, written as not found

    D.write_alphapose(tmp_path / "ap.json", view, det)
    entry = json.loads((tmp_path / "ap.json").read_text())[0]
    assert list(entry) == ["image_id", "category_id", "keypoints", "score", "box", "idx"]
    assert entry["image_id"] == "0.jpg" and entry["idx"] == [0.0] and len(entry["keypoints"]) == 51
    assert (tmp_path / "ap.json").read_text().startswith('[{"image_id": "0.jpg", "category_id": 1, "keypoints": [961.0')

    D.write_mmpose(tmp_path / "mm.json", view, det)
    frame = json.loads((tmp_path / "mm.json").read_text())[0]
    bbox = frame["instances"][0]["bbox"]
    assert frame["frame_id"] == 0 and len(bbox) == 1 and len(bbox[0]) == 4  # [[x1, y1, x2, y2]]
    assert (tmp_path / "mm.json").read_text().startswith('[\n  {\n    "frame_id": 0,\n    "instances": [')
    D.write_mmpose(tmp_path / "mm-images", view, det, layout="images")
    assert sorted(p.name for p in (tmp_path / "mm-images").iterdir()) == ["000000.json", "000001.json", "000002.json"]
    assert D.read_mmpose(tmp_path / "mm-images").num_frames == 3


def test_stacking_pads_to_the_longest_in_camera_order(real):
    c05 = {
        k: v[:, :10] if k != "timestamps" else v[:10]
        for k, v in {
            "keypoints2d": real["keypoints2d"][4:5],
            "det_scores": real["det_scores"][4:5],
            "timestamps": real["timestamps"],
        }.items()
    }
    c02 = {
        "keypoints2d": real["keypoints2d"][1:2, :12],
        "det_scores": real["det_scores"][1:2, :12],
        "timestamps": real["timestamps"][:12],
    }
    stacked = D.stack_cameras({"c05": c05, "c02": c02})
    assert stacked["keypoints2d"].shape == (2, 12, 17, 3)
    np.testing.assert_array_equal(stacked["keypoints2d"][0], real["keypoints2d"][1, :12])  # c02 first
    np.testing.assert_array_equal(stacked["keypoints2d"][1, :10], real["keypoints2d"][4, :10])
    assert np.isnan(stacked["keypoints2d"][1, 10:, :, :2]).all() and not stacked["det_scores"][1, 10:].any()
    nine = D.stack_cameras({"c05": c05, "c02": c02}, all_cameras=True)
    assert nine["keypoints2d"].shape == (9, 12, 17, 3) and np.isnan(nine["keypoints2d"][0, :, :, :2]).all()
    np.testing.assert_array_equal(nine["keypoints2d"][4, :10], real["keypoints2d"][4, :10])


def test_cli_writes_a_file_aist_reads(real, tmp_path, capsys):
    ap = exported("alphapose", tmp_path, real["keypoints2d"][2], real["det_scores"][2], "c03")
    op = exported("openpose", tmp_path, real["keypoints2d"][6], real["det_scores"][6], "c07")
    out = tmp_path / "out" / "gBR_sBM_cAll_d04_mBR0_ch01.pkl"
    run_import(
        [
            str(ap),
            "--format",
            "alphapose",
            "--out",
            str(out),
            "--camera",
            "c03",
            "--report",
            str(tmp_path / "report.json"),
        ]
    )
    loaded = aist.load_keypoints2d(out)  # nine views, as AIST++ annotations are
    np.testing.assert_array_equal(loaded.view("c03"), real["keypoints2d"][2])
    assert np.isnan(loaded.view("c01")[..., :2]).all() and not loaded.det_scores[0].any()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["cameras"]["c03"]["identities"] == "single" and report["outputs"] == [str(out)]
    assert str(out) in capsys.readouterr().out

    run_import([str(op), "--format", "openpose", "--out", str(out), "--camera", "c07", "--frames", "800"])
    assert aist.load_keypoints2d(out).num_frames == 800

    one = tmp_path / "one.pkl"
    run_import([str(ap), "--format", "alphapose", "--out", str(one), "--fps", "30"])
    with open(one, "rb") as fh:
        data = pickle.load(fh)
    assert data["keypoints2d"].shape == (1, 720, 17, 3)
    np.testing.assert_array_equal(data["timestamps"], np.round(np.arange(720) * 1e6 / 30))
    assert not list(tmp_path.glob(".*part*"))


def test_every_cli_argument_has_a_help_line():
    sub = argparse.ArgumentParser().add_subparsers()
    parser = register_import_keypoints(sub)
    for action in parser._actions:
        assert action.help, f"{action.option_strings or action.dest} has no help"
    assert parser.prog.endswith("import-keypoints")


# ----------------------------------------------------------------------------- several people


T = 90
TEMPLATE = STANDING_PERSON


def walker(x0: float, x1: float, y: float, height: float, phase: float) -> np.ndarray:
    """(T, 17, 2): a dancer crossing the image from x0 to x1, bobbing and swinging the wrists."""
    t = np.arange(T)
    path = np.stack([np.linspace(x0, x1, T), y + 5 * np.sin(t / 7 + phase)], axis=1)
    kp = path[:, None, :] + TEMPLATE[None] * height
    kp[:, 9:11, 1] += (20 * np.sin(t / 5 + phase))[:, None]
    return kp


DUET = {1: walker(200, 1000, 540, 400, 0.0), 2: walker(1000, 200, 560, 380, 1.0)}  # they cross at frame 45


def duet_file(path: Path, idx: str, seed: int = 3) -> Path:
    """A crossing duet as alphapose-results.json, people listed in a shuffled order in each frame."""
    rng = np.random.default_rng(seed)
    entries = []
    for t in range(T):
        frame = []
        for pid, pose in DUET.items():
            xy = pose[t] + rng.normal(0, 2.0, pose[t].shape)
            kp = np.concatenate([xy, rng.uniform(0.6, 0.95, (17, 1))], axis=1).astype(np.float32)
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            entry = {
                "image_id": f"{t}.jpg",
                "category_id": 1,
                "keypoints": [float(v) for v in kp.ravel()],
                "score": float(np.float32((2.9 if pid == 1 else 2.4) + rng.uniform(0, 0.1))),
                "box": [float(v) for v in np.float32([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])],
            }
            entry.update(
                {"ids": {"idx": pid}, "untracked": {"idx": [[0.0], [0.0]]}, "none": {}, "clashing": {"idx": 7}}[idx]
            )  # clashing: one id for both, as if not tracked
            frame.append(entry)
        rng.shuffle(frame)
        entries += frame
    path.write_text(json.dumps(entries))
    return path


@pytest.mark.parametrize(
    "idx,method", [("ids", "tool ids"), ("none", "tracked"), ("untracked", "tracked"), ("clashing", "tracked")]
)
def test_duet_identities_through_a_crossing(tmp_path, idx, method):
    det = D.read_alphapose(duet_file(tmp_path / "alphapose-results.json", idx))
    assert D.find_people(det).method == method
    out = tmp_path / "duet.pkl"
    (tmp_path / "duet_p2.pkl").write_bytes(b"left by an earlier run")
    paths, report = D.write_keypoints2d(out, det, people="all")
    assert [p.name for p in paths] == ["duet_p0.pkl", "duet_p1.pkl"] and not out.exists()
    assert not (tmp_path / "duet_p2.pkl").exists()
    for path, pid in zip(paths, (1, 2)):  # p0 starts on the left: dancer 1
        with open(path, "rb") as fh:
            kp = pickle.load(fh)["keypoints2d"]
        assert kp.shape == (1, T, 17, 3)
        assert np.abs(kp[0, :, :, :2] - DUET[pid]).max() < 10  # noise is 2 px: never the other dancer
    assert report["people_found"] == 2 and report["identities"] == method

    paths, _ = D.write_keypoints2d(out, det, people="best")
    assert paths == [out]
    with open(out, "rb") as fh:
        best = pickle.load(fh)
    assert np.abs(best["keypoints2d"][0, :, :, :2] - DUET[1]).max() < 10  # the higher-scoring dancer
    assert (best["det_scores"][0] > 2.8).all()


def test_duet_best_through_the_cli_and_max_people(tmp_path):
    src = duet_file(tmp_path / "alphapose-results.json", "none")
    run_import(
        [str(src), "--format", "alphapose", "--out", str(tmp_path / "d.pkl"), "--people", "all", "--max-people", "1"]
    )
    assert sorted(p.name for p in tmp_path.glob("d*.pkl")) == ["d_p0.pkl"]
    with pytest.raises(SystemExit, match="one camera at a time"):
        run_import(
            [
                str(src),
                str(src),
                "--format",
                "alphapose",
                "--out",
                str(tmp_path / "e.pkl"),
                "--people",
                "all",
                "--camera",
                "c01",
                "c02",
            ]
        )


def test_track_options_reach_the_tracker(tmp_path):
    det = D.read_alphapose(duet_file(tmp_path / "alphapose-results.json", "none"))
    assert len(D.to_keypoints2d(det, "all", options=TrackOptions(max_people=1))) == 1
    assert len(D.to_keypoints2d(det, "all", options=TrackOptions(min_box_score=2.6))) == 1  # dancer 2 scores 2.4-2.5


# ----------------------------------------------------------------------------- bad input


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


AP_ENTRY = {"image_id": "0.jpg", "category_id": 1, "keypoints": [1.0, 2.0, 0.9] * 17, "score": 2.5}
MM_INSTANCE = {"keypoints": [[1.0, 2.0]] * 17, "keypoint_scores": [0.9] * 17, "bbox": [[0, 0, 5, 5]], "bbox_score": 0.9}
OP_PERSON = {"person_id": [-1], "pose_keypoints_2d": [1, 2, 0.9] * 25}
BAD = {
    "missing": ("alphapose", lambda d: d / "nowhere.json", "not found"),
    "empty": ("alphapose", lambda d: _write(d / "r.json", ""), "empty"),
    "not-json": ("mmpose", lambda d: _write(d / "r.json", "{not json"), "not valid JSON"),
    "binary": ("alphapose", lambda d: _write(d / "r.json", b"\x89PNG\r\n\x1a\n\x00\xff"), "JSON"),
    "ap-dict": ("alphapose", lambda d: _write(d / "r.json", json.dumps({"a": 1})), "expected"),
    "ap-not-entries": ("alphapose", lambda d: _write(d / "r.json", json.dumps([1, 2])), "entry 0"),
    "ap-50-values": (
        "alphapose",
        lambda d: _write(d / "r.json", json.dumps([{**AP_ENTRY, "keypoints": [1.0] * 50}])),
        "50 keypoint values",
    ),
    "ap-mpii-16": (
        "alphapose",
        lambda d: _write(d / "r.json", json.dumps([{**AP_ENTRY, "keypoints": [1.0] * 48}])),
        "48 keypoint values",
    ),
    "ap-strings": (
        "alphapose",
        lambda d: _write(d / "r.json", json.dumps([{**AP_ENTRY, "keypoints": ["a"] * 51}])),
        "not a list of numbers",
    ),
    "ap-no-number": (
        "alphapose",
        lambda d: _write(d / "r.json", json.dumps([{**AP_ENTRY, "image_id": "x.jpg"}])),
        "no frame number",
    ),
    "ap-bad-box": ("alphapose", lambda d: _write(d / "r.json", json.dumps([{**AP_ENTRY, "box": [1, 2]}])), "box"),
    "ap-nobody": ("alphapose", lambda d: _write(d / "r.json", "[]"), "nobody"),
    "op-empty-folder": ("openpose", lambda d: (d / "op").mkdir() or d / "op", "no OpenPose"),
    "op-24-points": (
        "openpose",
        lambda d: _write(
            d / "op" / "v_000000000000_keypoints.json",
            json.dumps({"version": 1.3, "people": [{**OP_PERSON, "pose_keypoints_2d": [1, 2, 0.9] * 24}]}),
        ),
        "72 values",
    ),
    "op-no-people": (
        "openpose",
        lambda d: _write(d / "op" / "v_000000000000_keypoints.json", json.dumps({"version": 1.3})),
        "people",
    ),
    "op-empty-file": ("openpose", lambda d: _write(d / "op" / "v_000000000000_keypoints.json", ""), "empty"),
    "mm-16-points": (
        "mmpose",
        lambda d: _write(
            d / "m.json",
            json.dumps(
                [
                    {
                        "frame_id": 0,
                        "instances": [{**MM_INSTANCE, "keypoints": [[1.0, 2.0]] * 16, "keypoint_scores": [0.9] * 16}],
                    }
                ]
            ),
        ),
        "(16, 2)",
    ),
    "mm-3d": (
        "mmpose",
        lambda d: _write(d / "m.json", json.dumps([{**MM_INSTANCE, "keypoints": [[1.0, 2.0, 3.0]] * 17}])),
        "3-D",
    ),
    "mm-no-scores": (
        "mmpose",
        lambda d: _write(d / "m.json", json.dumps([{"keypoints": [[1.0, 2.0]] * 17}])),
        "keypoint_scores",
    ),
    "mm-frame-id": (
        "mmpose",
        lambda d: _write(d / "m.json", json.dumps([{"frame_id": "a", "instances": []}])),
        "frame_id",
    ),
    "mm-twice": (
        "mmpose",
        lambda d: _write(d / "m.json", json.dumps([{"frame_id": 0, "instances": []}] * 2)),
        "both name frame 0",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_naming_the_file(tmp_path, case):
    fmt, build, words = BAD[case]
    path = build(tmp_path)
    with pytest.raises(RhythmInputError) as err:
        run_import([str(path), "--format", fmt, "--out", str(tmp_path / "out.pkl")])
    text = str(err.value)
    assert "\n" not in text, text
    assert str(err.value.path).startswith(str(path)), text  # the file itself, or one inside the folder given
    assert text.startswith(str(err.value.path) + ": ") and words in text, text
    assert not (tmp_path / "out.pkl").exists()
