from rhythm.pipeline.report import data_status, render_text
from rhythm.pipeline.selection import Selection

from conftest import AISTPP


def test_status_on_real_aistpp_lists():
    status = data_status(AISTPP, None, Selection(splits=["crossmodal_train", "crossmodal_test", "pose_val"]))
    train = status["splits"]["crossmodal_train"]
    assert train["listed"] == 980 and len(train["ignored"]) == 28 and train["selected"] == 952
    # the one real sequence on disk is in no split list: nothing of the split is present
    assert train["keypoints3d"] == 0 and train["frames"] == 0 and len(train["missing_annotations"]) == 20
    assert "split file not found" in status["splits"]["pose_val"]["error"]
    assert status["ignore_list"] == 45
    text = render_text(status)
    assert "crossmodal_train" in text and "pose_val" in text


def test_status_on_demo_counts_videos(demo_source):
    status = data_status(
        demo_source / "annotations",
        demo_source / "videos",
        Selection(cameras=["c01", "c02", "c03", "c04"], genres=["gBR"]),
    )
    e = status["splits"]["pose_train"]
    assert e["selected"] == 2 and e["genres"] == {"gBR": 2}
    assert (e["videos_expected"], e["videos_present"], e["videos_missing_count"]) == (8, 6, 2)
    assert e["frames"] == 600 and e["duration_s"] == 10.0


def test_status_csv_of_the_real_tree_loads_back_with_pandas(tmp_path):
    import pandas as pd

    from conftest import run

    csv = tmp_path / "splits.csv"
    proc = run(["rhythm", "status", "--anno-dir", str(AISTPP), "--csv", str(csv)])
    table = pd.read_csv(csv).set_index("split")
    assert list(table.index) == [
        "pose_train",
        "pose_val",
        "pose_test",
        "crossmodal_train",
        "crossmodal_val",
        "crossmodal_test",
    ]
    assert table.loc["crossmodal_train", "seqs"] == 952 and table.loc["crossmodal_train", "ignored"] == 28
    assert table.loc["crossmodal_test", "seqs"] == 20 and table["genres"].str.contains("gLH").sum() == 2
    assert "split file not found" in table.loc["pose_val", "error"] and pd.isna(table.loc["pose_val", "seqs"])
    assert "crossmodal_train     952       28" in proc.stdout  # the printed table is the same table


def test_sequence_table_of_the_demo(demo_source):
    from rhythm.pipeline.selection import select_sequences
    from rhythm.pipeline.tables import sequence_table

    anno = demo_source / "annotations"
    selection = Selection(cameras=["c01", "c02", "c03", "c04"])
    by_split = select_sequences(anno, selection)
    table = sequence_table(anno, by_split, selection, demo_source / "videos").set_index("sequence")
    assert len(table) == 7 and "gPO_sBM_cAll_d02_mPO1_ch02" not in table.index  # on the ignore list
    row = table.loc["gBR_sBM_cAll_d01_mBR0_ch01"]
    assert row["splits"] == "pose_train crossmodal_train" and (row["genre"], row["music"]) == ("gBR", "mBR0")
    assert row["music_bpm"] == 80 and bool(row["keypoints3d"]) and bool(row["motions"])
    assert (row["videos_present"], row["videos_expected"]) == (3, 4)  # the demo renders c01-c03
    assert row["videos_with_frames"] == 0 and not row["pose_npy"]  # nothing built yet
