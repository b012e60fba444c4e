"""The browser's data: packing, the table's QA flags, media links, sequence pages from genuine AIST++
files, the model page's Markdown, and a folder written whole or not at all."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rhythm.browser.build import build_dataset_browser, script
from rhythm.browser.dataset import Media, motion_beat_times, sequence_page, table_rows
from rhythm.browser.model_page import markdown_html, model_page
from rhythm.browser.packing import MISSING, pack, unpack
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.skeleton import COCO_LIMBS
from rhythm.model.metrics import motion_beats
from rhythm.pipeline.selection import Selection, select_sequences
from rhythm.pipeline.tables import sequence_table, write_csv
from rhythm.video.overlays import OverlayOptions

from conftest import SHARED

SMPL_SEQ = "gBR_sBM_cAll_d06_mBR2_ch06"  # ../shared/data/aistpp_smpl: a genuine sequence with every annotation


def test_pack_round_trips_to_the_unit_and_keeps_gaps():
    values = np.array([[12.34, -150.06, np.nan], [0.0, 3276.7, -3276.7]])
    packed = pack(values, 0.1)
    assert packed["shape"] == [2, 3] and packed["scale"] == 0.1 and packed["dropped"] == 0
    back = unpack(packed)
    assert np.isnan(back[0, 2]) and np.abs(np.nan_to_num(back - values)).max() <= 0.05 + 1e-9
    ints = np.frombuffer(__import__("base64").b64decode(packed["b64"]), "<i2")
    assert ints[2] == MISSING and ints[0] == 123


def test_pack_turns_values_beyond_int16_into_gaps_and_counts_them():
    """A triangulated point that flew off (rays nearly parallel) must cost that point, not the page."""
    values = np.array([1.0, 4000.0, -1e9, np.inf, np.nan])
    packed = pack(values, 0.1)
    assert packed["dropped"] == 3  # NaN was already a gap
    assert np.isnan(unpack(packed)[1:]).all() and unpack(packed)[0] == pytest.approx(1.0)


def test_script_data_cannot_close_the_page_script():
    text = script("rhythmIndex", {"note": "</script><script>alert(1)</script>"})
    assert "</script>" not in text and text.startswith("rhythmIndex(") and text.endswith(");\n")
    assert json.loads(text[len("rhythmIndex(") : -3])["note"].startswith("</script>")


def _report(**extra) -> dict:
    report = {
        "cameras": ["c01", "c02"],
        "splits": {"pose_train": {"ignored": ["gBR_sBM_cAll_d09_mBR1_ch01"]}},
        "reprojection": {},
        "music": {"built": {}},
        "beats": {},
        "frames": {"mismatched": {}},
    }
    report.update(extra)
    return report


def _row(seq, **kw) -> dict:
    base = {
        "sequence": seq,
        "splits": "pose_train",
        "keypoints2d": True,
        "keypoints3d": True,
        "motions": True,
        "videos_present": 2,
        "videos_expected": 2,
        "reprojection_median_px": 0.9,
        "outlier_views": None,
    }
    return {**base, **kw}


def test_table_flags_name_each_problem_the_workflow_found(tmp_path):
    good, bad = "gBR_sBM_cAll_d01_mBR0_ch01", "gPO_sBM_cAll_d02_mPO1_ch02"
    table = pd.DataFrame(
        [_row(good), _row(bad, videos_present=1, motions=False, outlier_views="c02", reprojection_median_px=7.5)]
    )
    report = _report(
        frames={"mismatched": {"gPO_sBM_c01_d02_mPO1_ch02": "video 250 frames, annotations 300"}},
        music={
            "built": {
                "mPO1": {
                    "refused": {"/v/gPO_sBM_c02_d02_mPO1_ch02.mp4": "truncated"},
                    "too_short_for": {bad: 12.0},
                }
            }
        },
        beats={"mPO1": {"tempo_bpm": 45.0, "music_bpm": 90, "tempo_error_pct": -50.0}},
        reconstruction={"sequences": {bad: {"triangulation": {"reprojection_px": {"median_px": 4.2}}}}},
    )
    rows = {r["sequence"]: r for r in table_rows(report, table)}
    assert rows[good]["flags"] == "" and not rows[good]["ignored"]
    flags = rows[bad]["flags"]
    for expected in (
        "unsynced c02",
        "frame count c01: video 250 frames, annotations 300",
        "1 videos missing",
        "no motions",
        "refused c02",
        "music mPO1 too short",
        "triangulation 4.2 px",
        "tempo 45 vs 90 BPM",
    ):
        assert expected in flags
    assert rows[bad]["videos"] == "1/2" and rows[bad]["reprojection_px"] == 7.5 and rows[bad]["tempo_error_pct"] == -50
    ignored = rows["gBR_sBM_cAll_d09_mBR1_ch01"]
    assert ignored["ignored"] and not ignored["page"] and ignored["choreo"] == "ch01"


def test_media_links_are_relative_and_quoted_or_copied(tmp_path):
    results = tmp_path / "results" / "my data"
    video = tmp_path / "videos dir" / "a b.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"x" * 10)
    (tmp_path / "empty.mp4").write_bytes(b"")
    browser, staging = results / "browser", results / ".browser.staging"
    staging.mkdir(parents=True)
    media = Media(browser, staging, results)
    href = media.href(video)
    assert href == "../../../videos%20dir/a%20b.mp4"
    assert (browser / "../../../videos dir/a b.mp4").resolve() == video.resolve()
    assert media.href(tmp_path / "missing.mp4") is None and media.href(tmp_path / "empty.mp4") is None
    audio = results / "audio" / "mBR0.wav"
    audio.parent.mkdir(parents=True)
    audio.write_bytes(b"RIFF")
    copying = Media(browser, staging, results, copy=True)
    assert copying.href(audio) == "media/audio/mBR0.wav" and (staging / "media/audio/mBR0.wav").read_bytes() == b"RIFF"
    assert copying.href(video) == "media/external/a%20b.mp4"


def test_sequence_page_of_a_genuine_aistpp_sequence(tmp_path):
    anno = SHARED / "aistpp_smpl"
    results = tmp_path / "results"
    (results / "beats").mkdir(parents=True)
    beat_times = [0.5, 1.25, 2.0]
    (results / "beats" / "mBR2.json").write_text(json.dumps({"beat_times": beat_times, "tempo_bpm": 100.0}))
    report = _report(
        cameras=list(aist.CAMERAS),
        reprojection={SMPL_SEQ: {"median_px": {"c01": 0.8, "c04": 9.0}, "outliers": ["c04"]}},
    )
    media = Media(results / "browser", tmp_path / "staging", results)
    page, kp2d = sequence_page(SMPL_SEQ, report, anno, None, results, media)
    official = aist.load_keypoints3d(anno / "keypoints3d" / f"{SMPL_SEQ}.pkl", optim=True)
    assert page["frames"] == len(official) and page["duration_s"] == round(len(official) / 60, 3)
    [skeleton] = page["skeletons"]  # no triangulation or SMPL joints built here
    assert skeleton["label"] == "keypoints3d (official)" and skeleton["joints"]["shape"] == list(official.shape)
    assert np.nanmax(np.abs(unpack(skeleton["joints"]) - official)) <= 0.05 + 1e-6  # millimetres
    assert page["music"]["beat_times"] == beat_times and page["music"]["music_bpm"] == 100
    assert page["music"]["audio"] is None  # no WAV built: the page plays without sound
    # the motion beats are BAS's, on the same joints
    expected = motion_beats(unpack(skeleton["joints"])) / 60
    assert np.allclose(page["motion_beats"], expected, atol=1e-4) and len(expected) > 5
    cams = {c["camera"]: c for c in page["cameras"]}
    assert cams["c04"]["unsynced"] and not cams["c01"]["unsynced"] and cams["c01"]["reprojection_px"] == 0.8
    assert sorted(kp2d) == list(aist.CAMERAS) and cams["c03"]["keypoints2d"] == f"seq/{SMPL_SEQ}/c03.js"
    official2d = aist.load_keypoints2d(anno / "keypoints2d" / f"{SMPL_SEQ}.pkl").keypoints[2]
    shown = official2d[..., 2] >= OverlayOptions().min_confidence  # as the overlays draw them
    packed = unpack(kp2d["c03"]["points"])
    assert np.nanmax(np.abs(packed[shown] - official2d[shown][..., :2])) <= 0.05 + 1e-3
    assert np.isnan(packed[~shown]).all()


def test_motion_beats_fill_gaps_and_give_none_for_nothing():
    t = np.arange(240) / 60
    joints = np.zeros((240, 2, 3))
    joints[:, 0, 0] = np.sin(2 * np.pi * t)  # 1 Hz back and forth: speed dips twice a second
    beats = motion_beat_times(joints)
    assert len(beats) >= 6
    joints[10:12] = np.nan  # a joint not seen for two frames
    assert motion_beat_times(joints) == pytest.approx(beats, abs=0.05)
    assert motion_beat_times(np.full((50, 2, 3), np.nan)) == []


def test_dataset_browser_on_the_genuine_tree_is_written_whole(tmp_path):
    """The real annotation tree of ../shared/data/aistpp (the official split lists, one annotated
    sequence, listed here in a pose split): every listed sequence a row, a page for the annotated
    one; a broken annotation costs its own page, with the reason in its QA column, never the browser."""
    anno = tmp_path / "annotations"
    shutil.copytree(SHARED / "aistpp", anno)
    (anno / "splits" / "pose_val.txt").write_text("gBR_sBM_cAll_d04_mBR0_ch01\n")  # the annotated one
    selection = Selection(splits=["crossmodal_train", "crossmodal_test", "pose_val"], cameras=["c01"])
    splits = select_sequences(anno, selection)
    write_csv(sequence_table(anno, splits, selection), tmp_path / "sequences.csv")
    (tmp_path / "report.json").write_text(json.dumps(_report(cameras=["c01"])))
    index = tmp_path / "results" / "browser" / "index.html"

    def build():
        info = build_dataset_browser(
            tmp_path / "report.json",
            tmp_path / "sequences.csv",
            tmp_path / "results",
            anno,
            None,
            index,
            progress=False,
        )
        text = (index.parent / "data.js").read_text()
        return info, {
            r["sequence"]: r for r in json.loads(re.fullmatch(r"rhythmIndex\((.*)\);\n", text, re.S).group(1))["rows"]
        }

    info, rows = build()
    listed = {s for seqs in splits.values() for s in seqs}
    assert set(rows) >= listed and len(listed) > 100
    assert info["pages"] == 1 and rows["gBR_sBM_cAll_d04_mBR0_ch01"]["page"]
    page = index.parent / "seq" / "gBR_sBM_cAll_d04_mBR0_ch01.js"
    assert (
        page.read_text().startswith("rhythmSequence(")
        and (page.parent / "gBR_sBM_cAll_d04_mBR0_ch01" / "c01.js").is_file()
    )
    for name in ("index.html", "sequence.html", "table.js", "player.js", "sequence.js", "common.js", "browser.css"):
        assert (index.parent / name).is_file()

    aist.keypoints3d_path(anno, "gBR_sBM_cAll_d04_mBR0_ch01").write_bytes(b"not a pickle")
    info, rows = build()
    row = rows["gBR_sBM_cAll_d04_mBR0_ch01"]
    assert info["pages"] == 0 and not row["page"] and "not a readable pickle" in row["flags"]
    assert not page.exists() and [p.name for p in index.parent.parent.iterdir() if ".part" in p.name] == []

    # a failed rebuild leaves the previous browser as it was
    before = (index.parent / "data.js").read_bytes()
    (tmp_path / "bad.csv").write_text("")
    with pytest.raises(RhythmInputError, match="sequence table"):
        build_dataset_browser(tmp_path / "report.json", tmp_path / "bad.csv", tmp_path / "results", anno, None, index)
    assert (index.parent / "data.js").read_bytes() == before


def test_report_markdown_becomes_tables_lists_and_paragraphs():
    text = "# Title\n\nSome **bold** <b>text</b>.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n- \n"
    html = markdown_html(text)  # the last line, an empty item, once looped forever
    assert html.endswith("<p>-</p>")
    assert "<h2>Title</h2>" in html and "<strong>bold</strong>" in html and "&lt;b&gt;" in html
    assert "<ul><li>one</li><li>two</li></ul>" in html
    assert "<thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody>" in html


def test_model_page_of_a_keypoints3d_model_draws_coco_and_reads_the_poses_in_their_units(tmp_path):
    """A ``representation: keypoints3d`` run: its dances are 17 COCO joints (metres), its ground truth
    ``poses/<seq>.npy`` in the poses' units; both are drawn with the COCO bones, in centimetres."""
    seq = "gBR_sBM_cAll_d01_mBR0_ch01"
    results, generated = tmp_path / "results/demo", tmp_path / "results/generated/run"
    (results / "poses").mkdir(parents=True)
    generated.mkdir(parents=True)
    truth_m = np.random.default_rng(0).normal(size=(120, 17, 3))
    np.save(results / "poses" / f"{seq}.npy", (truth_m * 100).astype(np.float32))  # poses.units: cm
    np.save(generated / "mBR0.npy", truth_m[:60].astype(np.float32))  # generated: metres
    metrics = {"run": "run", "protocol": {"ground_truth": [str(results / "poses" / f"{seq}.npy")]}, "model": {}}
    (generated / "metrics.json").write_text(json.dumps(metrics))
    page = model_page(generated, results, Media(generated / "browser", tmp_path / "staging", results))
    [track] = page["tracks"]
    assert [s["label"] for s in track["skeletons"]] == ["generated", f"ground truth {seq}"]
    for skeleton, expected in zip(track["skeletons"], (truth_m[:60], truth_m)):
        assert skeleton["bones"] == [list(b) for b in COCO_LIMBS]
        assert np.abs(unpack(skeleton["joints"]) - expected * 100).max() <= 0.05 + 1e-4  # cm, to the millimetre
    assert track["frames"] == 60 and track["music"]["audio"] is None


def test_the_browser_target_must_be_an_index_html(tmp_path):
    with pytest.raises(RhythmInputError, match="index.html"):
        build_dataset_browser(tmp_path / "r.json", tmp_path / "s.csv", tmp_path, tmp_path, None, tmp_path / "b.html")


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path):
    yield
    assert not [p for p in Path(tmp_path).rglob("*.part")]
