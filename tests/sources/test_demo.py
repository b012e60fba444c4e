import numpy as np

from rhythm.core import aist
from rhythm.core.ffmpeg import probe_video
from rhythm.core.skeleton import smpl_joints
from rhythm.sources import demo


def test_demo_tree_has_real_formats(demo_source):
    anno = demo_source / "annotations"
    recipe = demo.DemoRecipe()
    n = recipe.num_frames
    for seq in recipe.sequences:
        kp2d = aist.load_keypoints2d(aist.keypoints2d_path(anno, seq))
        assert kp2d.keypoints.shape == (9, n, 17, 3) and kp2d.keypoints.dtype == np.float32
        assert kp2d.det_scores.shape == (9, n)
        assert kp2d.timestamps[1] == 16667
        kp3d = aist.load_keypoints3d(aist.keypoints3d_path(anno, seq))
        assert kp3d.shape == (n, 17, 3)
        motion = aist.load_motion(aist.motion_path(anno, seq))
        assert motion.poses.shape == (n, 72) and motion.scaling == 100.0
    for split in aist.SPLITS:
        assert aist.load_split(anno, split), f"{split} is empty"
    assert aist.load_ignore_list(anno) == set(demo.DEMO_IGNORED)
    assert set(aist.load_camera_mapping(anno)) == set(recipe.sequences)


def test_motions_keypoints3d_and_keypoints2d_agree(demo_source):
    anno = demo_source / "annotations"
    seq = demo.DEMO_SEQUENCES[0]
    motion = aist.load_motion(aist.motion_path(anno, seq))
    joints = smpl_joints(motion.poses, motion.trans, motion.scaling)  # the SMPL convention: pelvis at trans + J0
    kp3d = aist.load_keypoints3d(aist.keypoints3d_path(anno, seq), optim=True)
    # COCO left/right hip, knee, ankle, shoulder are SMPL joints 1, 2, 4, 5, 7, 8, 16, 17 (float32 pickle)
    np.testing.assert_allclose(
        kp3d[:, [11, 12, 13, 14, 15, 16, 5, 6]], joints[:, [1, 2, 4, 5, 7, 8, 16, 17]], atol=0.05
    )
    cams = aist.load_cameras(anno, seq)
    kp2d = aist.load_keypoints2d(aist.keypoints2d_path(anno, seq))
    for cam in ("c01", "c05", "c09"):
        err = np.linalg.norm(cams[cam].project(kp3d) - kp2d.view(cam)[..., :2], axis=-1)
        assert np.median(err) < 2.0


def test_dancer_moves_on_the_beat(demo_source):
    """The pelvis is lowest on the beats of the music the sequence name implies."""
    anno = demo_source / "annotations"
    for seq in ("gBR_sBM_cAll_d01_mBR0_ch01", "gPO_sBM_cAll_d03_mPO4_ch01"):
        kp3d = aist.load_keypoints3d(aist.keypoints3d_path(anno, seq), optim=True)
        hip_y = kp3d[:, 11:13, 1].mean(axis=1)
        period = 60.0 * aist.FPS / aist.parse_name(seq).bpm
        beats = np.arange(demo.MUSIC_OFFSET_S * aist.FPS, len(hip_y) - 1, period).round().astype(int)
        off_beats = (beats[:-1] + period / 2).round().astype(int)
        assert hip_y[beats[1:]].mean() < hip_y[off_beats].mean() - 3  # centimetres


def test_dancer_is_stillest_on_its_own_beats(demo_source):
    """Bailando's BAS of every demo sequence is high with its own song's beats, low with the others'.

    The dance model's proof that music matters compares exactly these two scores, so the ground
    truth itself must separate them (a dancer fastest on the beat would score 0 with its own song).
    """
    from rhythm.model import metrics

    anno = demo_source / "annotations"
    recipe = demo.DemoRecipe()
    bpms = {m: aist.parse_name(s).bpm for s in recipe.sequences for m in [aist.parse_name(s).music]}

    def beats(bpm, n):
        frames = (demo.MUSIC_OFFSET_S + np.arange(30) * 60.0 / bpm) * aist.FPS
        return frames[frames < n]

    for seq in recipe.sequences:
        joints, _ = demo.motion_keypoints3d(aist.load_motion(aist.motion_path(anno, seq)))
        own_music = aist.parse_name(seq).music
        own = metrics.beat_align_score(joints, beats(bpms[own_music], len(joints)))
        others = [
            metrics.beat_align_score(joints, beats(bpm, len(joints)))
            for m, bpm in bpms.items()
            if m != own_music and bpm != bpms[own_music]
        ]
        assert own > 0.65 and own > 2 * np.mean(others), (seq, own, others)


def test_genres_dance_differently(demo_source):
    anno = demo_source / "annotations"
    br = aist.load_motion(aist.motion_path(anno, "gBR_sBM_cAll_d01_mBR0_ch01")).poses
    po = aist.load_motion(aist.motion_path(anno, "gPO_sBM_cAll_d01_mPO1_ch01")).poses
    assert np.abs(br[:, 4 * 3]).max() > 1.3 * np.abs(po[:, 4 * 3]).max()  # Break squats deeper


def test_demo_videos_are_60fps_h264_with_music(demo_source):
    recipe = demo.DemoRecipe()
    videos = sorted((demo_source / "videos").glob("*.mp4"))
    assert [v.stem for v in videos] == sorted(recipe.videos())
    info = probe_video(videos[0])
    assert (info.width, info.height, info.fps, info.num_frames) == (320, 180, 60.0, recipe.num_frames)
    assert info.has_audio


def test_generation_is_deterministic(tmp_path):
    small = demo.DemoRecipe(duration_s=1.0, base_sequences=demo.DEMO_SEQUENCES[:1], cameras=("c01",))
    a = demo.generate(tmp_path / "a", small, progress=False)
    b = demo.generate(tmp_path / "b", small, progress=False)
    assert a == b
    for sub in ("keypoints2d", "keypoints3d", "motions"):
        pa = tmp_path / "a" / "annotations" / sub / f"{small.sequences[0]}.pkl"
        pb = tmp_path / "b" / "annotations" / sub / f"{small.sequences[0]}.pkl"
        assert pa.read_bytes() == pb.read_bytes()


def test_demo_song_beats_at_its_bpm():
    song = demo.synth_song("mBR3", 4.0, 8000)
    beat = 60 / 110
    kicks = [int((demo.MUSIC_OFFSET_S + k * beat) * 8000) for k in range(3)]
    energy_on = np.mean([np.abs(song[i : i + 400]).mean() for i in kicks])
    energy_off = np.mean([np.abs(song[i + 1500 : i + 1900]).mean() for i in kicks])
    assert energy_on > 2 * energy_off
