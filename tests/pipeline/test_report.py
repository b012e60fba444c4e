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
