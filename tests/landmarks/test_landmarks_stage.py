"""The landmarks stage's own logic: sampling, person policies, normalisation, NaN rows, manifests, validation.

The backend here is scripted (a test double that answers with known boxes and keypoints) so that
every number the stage writes can be checked; the real backends run in test_landmark_models.py
and in the workflow test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import probe_video, run_ffmpeg
from rhythm.landmarks.keypoints import DANCE_85, WHOLEBODY_KEYPOINTS, resolve_selection
from rhythm.landmarks.sampling import SamplingOptions, SkipSegment, sample_frames
from rhythm.landmarks.stage import LandmarkOptions, choose_person, landmarks_for_video, read_manifest, run_landmarks
from rhythm.landmarks.validate import check_array, validate_dir


@dataclass
class Person:
    box: np.ndarray
    box_score: float
    keypoints: np.ndarray
    scores: np.ndarray


class ScriptedBackend:
    """Answers with the people of a script: frame brightness (the testsrc frame number) -> boxes."""

    name, device = "scripted", "cpu"

    def __init__(self, people_per_frame):
        self.people_per_frame = people_per_frame  # callable: frame number -> list of (box, score)
        self.calls = []
        self.frame_numbers = []

    def _number(self, frame):  # frames are solid greys: luma 16 + 2n (video range) encodes frame n
        luma = float(frame[..., 0].mean()) * 219 / 255 + 16
        return int(round((luma - 16) / 2))

    def detect(self, frames):
        self.calls.append(("detect", len(frames)))
        out = []
        for f in frames:
            n = self._number(f)
            self.frame_numbers.append(n)
            people = self.people_per_frame(n)
            out.append((np.array([b for b, _ in people], float).reshape(-1, 4), np.array([s for _, s in people])))
        return out

    def estimate(self, frames, boxes):
        self.calls.append(("estimate", sum(len(b) for b in boxes)))
        result = []
        for _f, bs in zip(frames, boxes):
            persons = []
            for b in bs:
                kp = np.zeros((133, 3))
                kp[:, 0] = np.linspace(b[0], b[2], 133)  # spread across the box
                kp[:, 1] = (b[1] + b[3]) / 2
                kp[:, 2] = np.arange(133) / 100.0
                persons.append(Person(b, 0.9, kp, np.linspace(-0.5, 1.5, 133)))
            result.append(persons)
        return result


@pytest.fixture(scope="module")
def grey_video(tmp_path_factory):
    """1.8 s at 60 fps (108 frames), 64x48, frame n a solid grey of luma 16 + 2n (so a backend tells frames apart)."""
    path = tmp_path_factory.mktemp("lm") / "grey.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=64x48:r=60:d=1.8",
            "-vf",
            "geq=lum='16+2*N':cb=128:cr=128",
            "-c:v",
            "libx264",
            "-qp",
            "0",
            "-pix_fmt",
            "yuv444p",
            str(path),
        ]
    )
    return path


def test_default_selection_is_85_wholebody_keypoints_with_legs_and_hands():
    assert len(DANCE_85) == 85 and resolve_selection("dance85") == DANCE_85
    names = [WHOLEBODY_KEYPOINTS[i] for i in DANCE_85]
    assert {"left_ankle", "right_heel", "left_hand_wrist", "right_hand_little4", "nose"} <= set(names)
    assert resolve_selection([0, 5, 132]) == (0, 5, 132)
    with pytest.raises(ValueError):
        resolve_selection([133])


def test_sampling_reduces_fps_skips_and_rejects(grey_video):
    info = probe_video(grey_video)
    s = sample_frames(info, SamplingOptions(reduce_fps_to=30))
    assert list(s.source_index[:4]) == [0, 2, 4, 6] and len(s.source_index) == 54 and s.fps == 30
    s = sample_frames(info, SamplingOptions(reduce_fps_to=24, frame_skip=2))
    assert len(s.source_index) == 22 and s.fps == 12  # 1.8 s at 24 fps (44 ticks), every second one
    assert list(s.source_index[:3]) == [0, 5, 10]  # ticks at 0, 1/12, 2/12 s: the nearest frames
    s = sample_frames(info, SamplingOptions(reduce_fps_to=None), start_s=0.5, end_s=1.0)
    assert s.source_index[0] == 30 and s.source_index[-1] == 59 and s.fps == 60
    with pytest.raises(SkipSegment, match="outside the accepted 24-30 fps"):
        sample_frames(info, SamplingOptions(accept_fps_within=(24, 30)))
    with pytest.raises(SkipSegment, match="empty segment"):
        sample_frames(info, SamplingOptions(), start_s=3.0, end_s=4.0)


def test_person_policies():
    boxes = np.array([[0, 0, 10, 10], [50, 50, 60, 60]], float)
    scores = np.array([0.4, 0.9])
    assert choose_person(boxes, scores, "best", None) == 1
    assert choose_person(boxes, scores, "track", np.array([1, 1, 11, 11.0])) == 0  # follows, not the best
    assert choose_person(boxes, scores, "track", np.array([100, 100, 110, 110.0])) == 1  # lost: best
    assert choose_person(np.zeros((0, 4)), np.zeros(0), "best", None) is None
    with pytest.raises(SkipSegment, match="2 people"):
        choose_person(boxes, scores, "skip", None)
    assert choose_person(boxes[:1], scores[:1], "skip", None) == 0


def _script(n):
    """Frames 10-14: nobody; frames 20-29: a bystander scoring higher on the right; else one dancer."""
    dancer = ([8, 6, 24, 40], 0.8)
    if 10 <= n < 15:
        return []
    if 20 <= n < 30:
        return [dancer, ([40, 6, 60, 40], 0.95)]
    return [dancer]


def test_stage_rows_normalised_nan_for_nobody_and_tracked(grey_video, tmp_path):
    backend = ScriptedBackend(_script)
    opts = LandmarkOptions(
        sampling=SamplingOptions(reduce_fps_to=None), kpt_threshold=0.0, policy="track", batch_frames=7
    )
    report = landmarks_for_video(grey_video, tmp_path / "g.npy", backend, opts)
    rows = np.load(tmp_path / "g.npy")
    assert rows.shape == (108, 85, 4) and rows.dtype == np.float32
    assert backend.frame_numbers == list(range(108))  # every frame, in order, decoded once
    assert np.isnan(rows[10:15]).all() and np.isfinite(rows[:10]).all()
    # x / width, y / height, z and a score clipped to [0, 1]
    sel = np.array(DANCE_85)
    np.testing.assert_allclose(rows[0, :, 0], np.linspace(8, 24, 133)[sel] / 64, rtol=1e-6)
    np.testing.assert_allclose(rows[0, :, 1], 23 / 48, rtol=1e-6)
    np.testing.assert_allclose(rows[0, :, 2], sel / 100.0, rtol=1e-6)
    assert rows[..., 3][np.isfinite(rows[..., 3])].min() == 0.0 and np.nanmax(rows[..., 3]) == 1.0
    assert rows[25, 0, 0] == pytest.approx(8 / 64)  # tracked: the dancer, not the higher-scoring bystander
    assert report["frames_without_person"] == 5 and report["frames_with_several_people"] == 10
    assert report["max_people"] == 2 and report["status"] == "ok"
    best = run_landmarks(
        grey_video,
        ScriptedBackend(_script),
        LandmarkOptions(sampling=SamplingOptions(reduce_fps_to=None), kpt_threshold=0.0, policy="best"),
    )[0]
    assert best[25, 0, 0] == pytest.approx(40 / 64)
    assert ("estimate", 7) in backend.calls  # crops of a batch of frames in one call


def test_skip_policy_skips_the_whole_segment(grey_video, tmp_path):
    import json

    report = landmarks_for_video(
        grey_video, tmp_path / "s.npy", ScriptedBackend(_script), LandmarkOptions(policy="skip"), segment="grey-000"
    )
    assert np.load(tmp_path / "s.npy").shape == (0, 85, 4)
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["status"] == "skipped" and "2 people" in saved["reason"] and saved["segment"] == "grey-000"
    assert report["status"] == "skipped"


def test_manifest_reads_ours_and_the_seeds_columns(tmp_path):
    ours = tmp_path / "m.csv"
    ours.write_text("video,start,end\nclip.mp4,0.0,1.5\nclip.mp4,2,3\nother,0,1\n")
    segs = read_manifest(ours)
    assert [(s.name, s.video, s.start_s, s.end_s) for s in segs] == [
        ("clip-000", "clip", 0.0, 1.5),
        ("clip-001", "clip", 2.0, 3.0),
        ("other-000", "other", 0.0, 1.0),
    ]
    seed = tmp_path / "seed.csv"
    seed.write_text("VIDEO_NAME,SENTENCE_NAME,START_REALIGNED,END_REALIGNED\nabc123,abc123-007,1.2,3.4\n")
    assert read_manifest(seed)[0] == type(segs[0])("abc123-007", "abc123", 1.2, 3.4)
    tabs = tmp_path / "how2sign.csv"  # tab-separated, with a free-text column full of commas and quotes
    tabs.write_text(
        "VIDEO_ID\tVIDEO_NAME\tSENTENCE_ID\tSENTENCE_NAME\tSTART_REALIGNED\tEND_REALIGNED\tSENTENCE\n"
        "--7E2sU6zP4\t--7E2sU6zP4-5-rgb_front\t--7E2sU6zP4_10\t--7E2sU6zP4_10-5-rgb_front\t129.06\t142.48\t"
        'And so, "hi", I said, 007\n'
    )
    (seg,) = read_manifest(tabs)
    assert (seg.name, seg.video, seg.start_s, seg.end_s) == (
        "--7E2sU6zP4_10-5-rgb_front",
        "--7E2sU6zP4-5-rgb_front",
        129.06,
        142.48,
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("video,start\nx,1\n")
    with pytest.raises(RhythmInputError, match="missing end"):
        read_manifest(bad)
    bad.write_text("video,start,end\nx,2,1\n")
    with pytest.raises(RhythmInputError, match="line 2: end"):
        read_manifest(bad)


def test_validation_finds_what_the_seed_checked_and_more(tmp_path):
    good = np.full((5, 85, 4), 0.5, np.float32)
    good[2] = np.nan
    assert check_array(good)[0] == []
    partial = good.copy()
    partial[0, 3] = np.nan
    assert "partly NaN" in check_array(partial)[0][0]
    assert "dtype float64" in check_array(good.astype(np.float64))[0][0]
    assert "shape" in check_array(good[:, :84])[0][0]
    scores = good.copy()
    scores[0, :, 3] = 1.2
    assert "scores outside" in check_array(scores)[0][0]
    pixels = good.copy()
    pixels[1, :, 0] = 640.0  # not normalised
    assert "far outside" in check_array(pixels)[0][0]
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "bad.npy", partial)
    summary = validate_dir(tmp_path)
    assert summary["files"] == 2 and summary["invalid"] == ["bad.npy"] and summary["frames"] == 10


def test_people_policy_tracks_a_duet_with_stable_slots(grey_video, tmp_path):
    """Up to N people: slot 0 is the dancer throughout (her 5-frame absence interpolated), slot 1 the visitor."""
    from rhythm.people.tracking import TrackOptions

    opts = LandmarkOptions(
        sampling=SamplingOptions(reduce_fps_to=None),
        kpt_threshold=0.0,
        policy="people",
        tracking=TrackOptions(max_people=2, smoothing="none"),
    )
    report = landmarks_for_video(grey_video, tmp_path / "duet.npy", ScriptedBackend(_script), opts)
    rows = np.load(tmp_path / "duet.npy")
    assert rows.shape == (108, 2, 85, 4)
    dancer, visitor = rows[:, 0], rows[:, 1]
    assert np.isfinite(dancer).all()  # frames 10-14 filled by interpolation, no NaN
    np.testing.assert_allclose(dancer[12, :, 0], dancer[0, :, 0], atol=1e-6)  # she stood still
    assert np.isfinite(visitor[20:30]).all() and np.isnan(visitor[:20]).all() and np.isnan(visitor[30:]).all()
    assert visitor[25, 0, 0] == pytest.approx(40 / 64)
    assert report["tracking"]["gaps_interpolated"] == 1 and report["tracking"]["people"] == 2
    assert check_array(rows)[0] == []


def test_people_policy_takes_the_detector_scores_when_estimate_has_none(grey_video, tmp_path):
    """Real backends' estimate() gets boxes only and leaves Person.box_score NaN; the tracker ignores
    people without a finite score, so the stage fills in the detector's."""
    from rhythm.people.tracking import TrackOptions

    class Unscored(ScriptedBackend):
        def estimate(self, frames, boxes):
            result = super().estimate(frames, boxes)
            for persons in result:
                for p in persons:
                    p.box_score = float("nan")
            return result

    opts = LandmarkOptions(
        sampling=SamplingOptions(reduce_fps_to=None),
        kpt_threshold=0.0,
        policy="people",
        tracking=TrackOptions(max_people=2, smoothing="none"),
    )
    rows, report = run_landmarks(grey_video, Unscored(_script), opts)
    assert np.isfinite(rows[:, 0]).all() and np.isfinite(rows[20:30, 1]).all()
    assert report["tracking"]["people_found"] == 2


def test_landmark_overlay_colours_each_tracked_person(grey_video, tmp_path):
    import subprocess

    from rhythm.core.ffmpeg import ffmpeg_exe
    from rhythm.people.tracking import TrackOptions
    from rhythm.video.overlays import render_landmark_overlay, track_colour

    opts = LandmarkOptions(
        sampling=SamplingOptions(reduce_fps_to=None),
        kpt_threshold=0.0,
        policy="people",
        tracking=TrackOptions(max_people=2, smoothing="none"),
    )
    landmarks_for_video(grey_video, tmp_path / "duet.npy", ScriptedBackend(_script), opts)
    # (the scripted body keypoints score 0 after clipping: draw them all)
    result = render_landmark_overlay(grey_video, tmp_path / "duet.npy", tmp_path / "duet.mp4", min_confidence=0.0)
    assert result == {"video": "grey", "frames": 108, "people": 2}
    assert probe_video(tmp_path / "duet.mp4").num_frames == 108
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "duet.mp4"), "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(108, 48, 64, 3).astype(int)

    def distance(frame, colour, x0, x1):  # closest pixel over the person's box (a small, chroma-subsampled video)
        band = frames[frame, :, x0:x1].reshape(-1, 3)
        return np.abs(band - np.array(colour)).sum(axis=1).min()

    dancer, visitor = (9, 23), (41, 59)
    for frame in (5, 25):
        assert distance(frame, track_colour(0), *dancer) < 150 < distance(frame, track_colour(1), *dancer)
    assert distance(25, track_colour(1), *visitor) < 150 < distance(25, track_colour(0), *visitor)
    assert distance(5, track_colour(1), *visitor) > 250  # nobody there in frame 5
