"""Evaluation: the published dance metrics of generated dances, a random-clip baseline, a music-swap
check, and a report that sets them beside FACT, Bailando and EDGE.

Protocol (written into every result): generated dances (the ``.npy`` joints of ``rhythm generate``,
60 fps, metres, y up) and the test split's ground truth (SMPL joints by forward kinematics of
``smpl/<seq>.params.npy``, the positions Bailando and EDGE evaluate) are cut into clips of
``clip_s`` seconds every ``clip_stride_s`` seconds; FID_k, FID_g, Div_k, Div_g, BAS and PFC are
:func:`rhythm.model.metrics.dance_metrics` of those clips (nothing is recomputed here), each clip scored
against the beats of its own music (``beats/<music>.json``) shifted to the clip.

Two checks that the music matters:

* BAS with the dance's own music against BAS of the same clips measured against every other
  track's beats (the dance cannot be aligned to a song it never heard, so the difference is what
  listening bought);
* FID_k against a baseline that ignores the music: as many random clips of the *training* motions
  (real dance, perfectly natural, but chosen without the music).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, read_npy, write_json, write_text
from rhythm.core.skeleton import smpl_joints
from rhythm.model import metrics

FPS = metrics.FPS  # everything is scored at 60 fps, the published protocol

# AIST++ test set, full scale, as published (transcribed from the papers' tables).
PUBLISHED = {
    "source_bailando": "Siyao et al., Bailando, CVPR 2022, Table 1 "
    "(FACT's FID/Div as reported by FACT, BAS recomputed by Bailando)",
    "source_edge": "Tseng et al., EDGE, CVPR 2023, Table 1 "
    "(PFC, BAS, Dist_k/Dist_g; FIDs reported with the caveat that they are unreliable)",
    "rows": [
        {
            "method": "Ground truth (Bailando)",
            "fid_k": 17.10,
            "fid_g": 10.60,
            "div_k": 8.19,
            "div_g": 7.45,
            "bas": 0.2374,
            "pfc": None,
        },
        {
            "method": "FACT (Bailando's table)",
            "fid_k": 35.35,
            "fid_g": 22.11,
            "div_k": 5.94,
            "div_g": 6.18,
            "bas": 0.2209,
            "pfc": None,
        },
        {"method": "Bailando", "fid_k": 28.16, "fid_g": 9.62, "div_k": 7.83, "div_g": 6.34, "bas": 0.2332, "pfc": None},
        {
            "method": "Ground truth (EDGE)",
            "fid_k": None,
            "fid_g": None,
            "div_k": 10.61,
            "div_g": 7.48,
            "bas": 0.24,
            "pfc": 1.332,
        },
        {
            "method": "FACT (EDGE's table)",
            "fid_k": 35.35,
            "fid_g": 22.11,
            "div_k": 10.85,
            "div_g": 6.14,
            "bas": 0.22,
            "pfc": 2.2543,
        },
        {
            "method": "Bailando (EDGE's table)",
            "fid_k": 28.16,
            "fid_g": 9.62,
            "div_k": 7.92,
            "div_g": 7.72,
            "bas": 0.23,
            "pfc": 1.754,
        },
        {"method": "EDGE", "fid_k": 42.16, "fid_g": 22.12, "div_k": 9.48, "div_g": 5.72, "bas": 0.26, "pfc": 1.5363},
    ],
}


@dataclass
class Clip:
    source: str  # sequence or music id
    start: int  # frame in the source
    joints: np.ndarray  # (F, J, 3) metres, 60 fps
    beats: np.ndarray  # music beat frames within the clip


def load_beats(path: str | Path) -> np.ndarray:
    """Music beat frames at 60 fps from ``beats/<music>.json``."""
    data = read_json(path)
    if "beat_frames" not in data:
        raise RhythmInputError(path, "no beat_frames")
    if float(data.get("fps", FPS)) == FPS:
        return np.asarray(data["beat_frames"], dtype=np.int64)
    return np.round(np.asarray(data["beat_times"], dtype=np.float64) * FPS).astype(np.int64)


def load_joints(path: str | Path, units_per_metre: float = 100.0) -> np.ndarray:
    """(T, J, 3) metres at 60 fps from a generated ``.npy`` (joints), ``smpl/<seq>.params.npy``
    (SMPL parameters: forward kinematics, as :func:`rhythm.model.metrics.joints_for_metrics`), an AIST++
    motions pickle, or ``poses/<seq>.npy`` keypoints in ``units_per_metre``."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "motion not found")
    if path.suffix == ".pkl":
        return metrics.joints_for_metrics(aist.load_motion(path))
    arr = read_npy(path, "motion")
    if path.name.endswith(".params.npy"):
        if arr.ndim != 2 or arr.shape[1] != 75:
            raise RhythmInputError(path, f"expected (T, 75) SMPL parameters, got {arr.shape}")
        return smpl_joints(arr[:, 3:], arr[:, :3])
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise RhythmInputError(path, f"expected (T, J, 3) joints, got {arr.shape}")
    if path.parent.name == "poses":  # keypoints3d in pose units
        return arr.astype(np.float64) / units_per_metre
    return arr.astype(np.float64)


def load_generated(path: str | Path) -> list[np.ndarray]:
    """The dances of a generated file: ``<music>.npy`` (T, J, 3) is one, ``<music>.samples.npy``
    (S, T, J, 3) is S of them."""
    path = Path(path)
    if path.name.endswith(".samples.npy"):
        arr = read_npy(path, "generated samples")
        if arr.ndim != 4 or arr.shape[3] != 3:
            raise RhythmInputError(path, f"expected (S, T, J, 3) joints, got {arr.shape}")
        return [a.astype(np.float64) for a in arr]
    return [load_joints(path)]


def cut_clips(source: str, joints: np.ndarray, beats: np.ndarray | None, clip: int, stride: int) -> list[Clip]:
    """Clips of ``clip`` frames every ``stride`` frames (a shorter motion gives one clip of its length)."""
    starts = list(range(0, len(joints) - clip + 1, stride)) or [0]
    out = []
    for s in starts:
        j = joints[s : s + clip]
        b = np.zeros(0, np.int64) if beats is None else beats[(beats >= s) & (beats < s + len(j))] - s
        out.append(Clip(source, s, j, b))
    return out


def random_clips(motions: dict[str, np.ndarray], n: int, clip: int, seed: int) -> list[Clip]:
    """``n`` clips drawn uniformly (sequence by usable length, then start) from ``motions``."""
    rng = np.random.default_rng(seed)
    names = [k for k, v in motions.items() if len(v) >= clip]
    if not names:
        raise ValueError(f"no training motion has {clip} frames")
    weights = np.array([len(motions[k]) - clip + 1 for k in names], dtype=np.float64)
    out = []
    for k in rng.choice(len(names), size=n, p=weights / weights.sum()):
        name = names[k]
        s = int(rng.integers(0, len(motions[name]) - clip + 1))
        out.append(Clip(name, s, motions[name][s : s + clip], np.zeros(0, np.int64)))
    return out


def clip_scores(
    pred: list[Clip], gt: list[Clip], smpl: bool, reference: bool = True, pred_beats: list[np.ndarray] | None = None
) -> dict:
    """The published metrics of clip sets. SMPL joints: :func:`rhythm.model.metrics.dance_metrics`;
    keypoints3d: the metrics that do not need the SMPL skeleton (FID_k, Div_k, BAS)."""
    pj = [c.joints for c in pred]
    gj = [c.joints for c in gt]
    pb = pred_beats if pred_beats is not None else [c.beats for c in pred]
    gb = [c.beats for c in gt]
    if smpl:
        return metrics.dance_metrics(pj, gj, pb, ground_truth_beats=gb, fps=FPS, reference=reference)
    kin = metrics.feature_scores(
        np.stack([metrics.kinetic_features(m, reference=reference) for m in pj]),
        np.stack([metrics.kinetic_features(m, reference=reference) for m in gj]),
    )
    out = {
        "fid_k": kin["fid"],
        "fid_g": None,
        "div_k": kin["div"],
        "div_g": None,
        "div_k_gt": kin["div_gt"],
        "div_g_gt": None,
        "pfc": None,
        "pfc_gt": None,
        "num_predicted": len(pj),
        "num_ground_truth": len(gj),
        "fps": FPS,
        "kinetic_acceleration": "reference" if reference else "corrected",
        "note": "keypoints3d: FID_g, Div_g and PFC need the SMPL skeleton",
    }
    for key, motions, beats in (("bas", pj, pb), ("bas_gt", gj, gb)):
        scores = [metrics.beat_align_score(j, bb) for j, bb in zip(motions, beats)]
        scored = [x for x in scores if x is not None]
        out[key] = float(np.mean(scored)) if scored else None
        out[f"{key}_scored"], out[f"{key}_unscored"] = len(scored), len(scores) - len(scored)
    return out


def bas_against(clips: list[Clip], beats: np.ndarray) -> float | None:
    """Mean BAS of ``clips`` measured against ``beats`` (a whole track's beat frames)."""
    scores = []
    for c in clips:
        b = beats[(beats >= c.start) & (beats < c.start + len(c.joints))] - c.start
        s = metrics.beat_align_score(c.joints, b)
        if s is not None:
            scores.append(s)
    return float(np.mean(scores)) if scores else None


def beat_locking(joints: np.ndarray, beats: np.ndarray) -> float | None:
    """How consistently the kinematic beats (:func:`rhythm.model.metrics.motion_beats`) of a motion sit at
    one place in a music's beat grid: ``|mean exp(4 pi i phase)|`` over the motion beats between the
    first and last music beat, ``phase`` the fraction of the way from the music beat before to the one
    after (0 on a beat, 0.5 halfway). Read on the half-beat grid (the factor 4 pi), so a dance whose
    speed dips on the beat *and* halfway scores 1, as does one that always dips on the off-beat, which
    BAS scores 0. About ``1/sqrt(n)`` for n motion beats that ignore the grid; None with fewer than 2."""
    beats = np.sort(np.asarray(beats, dtype=np.float64))
    motion = metrics.motion_beats(joints).astype(np.float64)
    if len(beats) < 2:
        return None
    motion = motion[(motion >= beats[0]) & (motion < beats[-1])]
    if len(motion) < 2:
        return None
    k = np.searchsorted(beats, motion, side="right") - 1
    phase = (motion - beats[k]) / (beats[k + 1] - beats[k])
    return float(np.abs(np.mean(np.exp(4j * np.pi * phase))))


def evaluate(
    generated: list[str | Path],
    ground_truth: list[str | Path],
    train: list[str | Path],
    beats_dir: str | Path,
    *,
    clip_s: float = 2.0,
    clip_stride_s: float = 1.0,
    seed: int = 0,
    reference: bool = True,
    units_per_metre: float = 100.0,
    run: str | None = None,
    seed_motion_s: float = 0.0,
    baseline_draws: int = 20,
) -> dict:
    """Score generated dances (``<music>.npy``, one per test track) against the ground truth.

    ``ground_truth`` and ``train``: ``smpl/<seq>.params.npy`` (or ``poses/<seq>.npy``) of the test
    and training sequences; ``beats_dir``: ``beats/<music>.json`` of every track (the other tracks'
    beats are the music-swap check)."""
    beats_dir = Path(beats_dir)
    clip = int(round(clip_s * FPS))
    stride = max(1, int(round(clip_stride_s * FPS)))
    all_beats = {p.stem: load_beats(p) for p in sorted(beats_dir.glob("*.json"))}

    def beats_of(music: str, where: Path) -> np.ndarray:
        if music not in all_beats:
            raise RhythmInputError(beats_dir / f"{music}.json", f"no beats for {music} (needed by {where.name})")
        return all_beats[music]

    pred_clips: list[Clip] = []
    full: dict[str, list[np.ndarray]] = {}
    for path in map(Path, generated):
        music = path.name.split(".")[0]
        for joints in load_generated(path):
            full.setdefault(music, []).append(joints)
            pred_clips += cut_clips(music, joints, beats_of(music, path), clip, stride)
    gt_clips = []
    for path in map(Path, ground_truth):
        seq = path.name.split(".")[0]
        gt_clips += cut_clips(
            seq, load_joints(path, units_per_metre), beats_of(aist.parse_name(seq).music, path), clip, stride
        )
    train_motions = {Path(p).name.split(".")[0]: load_joints(p, units_per_metre) for p in train}
    if len(pred_clips) < 2 or len(gt_clips) < 2:
        raise RhythmInputError(
            beats_dir,
            f"too few clips to score ({len(pred_clips)} generated, {len(gt_clips)} "
            f"ground truth of {clip} frames); use a shorter clip_s",
        )
    smpl = pred_clips[0].joints.shape[1] == 24
    model_scores = clip_scores(pred_clips, gt_clips, smpl, reference)
    # The baseline: as many random training clips as the model has clips, scored against the beats model
    # clip k has (the same test music); drawn `baseline_draws` times, since a few clips make a noisy FID.
    draws = []
    for k in range(max(1, baseline_draws)):
        baseline = random_clips(train_motions, len(pred_clips), clip, seed + k)
        draws.append(clip_scores(baseline, gt_clips, smpl, reference, pred_beats=[c.beats for c in pred_clips]))
    baseline_scores: dict[str, Any] = {}
    for key, value in draws[0].items():
        values = [d[key] for d in draws]
        numbers = [v for v in values if isinstance(v, float)]
        if numbers and all(isinstance(v, float) or v is None for v in values):
            baseline_scores[key] = float(np.mean(numbers))
            baseline_scores[f"{key}_draws"] = values
        else:
            baseline_scores[key] = value
    baseline_scores["draws"] = len(draws)

    own = [bas_against([c for c in pred_clips if c.source == m], all_beats[m]) for m in full]
    other_by_track = {}
    for m in full:
        mine = [c for c in pred_clips if c.source == m]
        other_by_track[m] = {o: bas_against(mine, b) for o, b in all_beats.items() if o != m}
    other = [v for d in other_by_track.values() for v in d.values() if v is not None]
    bas_own = model_scores["bas"]
    bas_other = float(np.mean(other)) if other else None
    fid_model, fid_base = model_scores["fid_k"], baseline_scores["fid_k"]
    fid_draws = baseline_scores["fid_k_draws"]
    music_matters = {
        "bas_own_music": bas_own,
        "bas_other_tracks": bas_other,
        "bas_other_by_track": other_by_track,
        "bas_margin": None if bas_own is None or bas_other is None else bas_own - bas_other,
        "bas_ratio": None if not bas_own or not bas_other else bas_own / bas_other,
        "bas_own_beats_passes": None if bas_own is None or bas_other is None else bas_own > bas_other,
        "fid_k_model": fid_model,
        "fid_k_random_training_clips": fid_base,
        "fid_k_random_training_clips_median": float(np.median(fid_draws)),
        "fid_k_ratio_baseline_over_model": fid_base / fid_model if fid_model else None,
        "fid_k_beats_baseline": fid_model < fid_base,
        "fid_k_beats_baseline_draws": float(np.mean([fid_model < f for f in fid_draws])),
        "bas_random_training_clips": baseline_scores["bas"],
    }
    full_bas = {
        m: float(
            np.mean([v for v in (metrics.beat_align_score(j, all_beats[m]) for j in js) if v is not None] or [np.nan])
        )
        for m, js in full.items()
    }
    # the same questions of the test ground truth: what a perfect imitation would score
    gt_other_all = [
        bas_against([c for c in gt_clips if aist.parse_name(c.source).music == m], b)
        for m in {aist.parse_name(c.source).music for c in gt_clips}
        for o, b in all_beats.items()
        if o != m
    ]
    gt_other = [v for v in gt_other_all if v is not None]
    music_matters["ground_truth_bas_own_music"] = model_scores["bas_gt"]
    music_matters["ground_truth_bas_other_tracks"] = float(np.mean(gt_other)) if gt_other else None

    def locking(joints_by_music: dict[str, list[np.ndarray]]) -> tuple[float | None, float | None]:
        own_all: list[float | None] = []
        other_all: list[float | None] = []
        for m, js in joints_by_music.items():
            for j in js:
                own_all.append(beat_locking(j, all_beats[m]))
                other_all += [beat_locking(j, b) for o, b in all_beats.items() if o != m]
        own = [v for v in own_all if v is not None]
        other = [v for v in other_all if v is not None]
        return (float(np.mean(own)) if own else None, float(np.mean(other)) if other else None)

    music_matters["beat_locking_own_music"], music_matters["beat_locking_other_tracks"] = locking(full)
    gt_full = {}
    for path in map(Path, ground_truth):
        seq = path.name.split(".")[0]
        gt_full[seq] = (aist.parse_name(seq).music, load_joints(path, units_per_metre))
    gt_lock = [locking({m: [j]}) for m, j in gt_full.values()]
    own_gt = [a for a, _ in gt_lock if a is not None]
    other_gt = [b for _, b in gt_lock if b is not None]
    music_matters["ground_truth_beat_locking_own_music"] = float(np.mean(own_gt)) if own_gt else None
    music_matters["ground_truth_beat_locking_other_tracks"] = float(np.mean(other_gt)) if other_gt else None
    return {
        "run": run,
        "protocol": {
            "split": "crossmodal test",
            "generated": [str(p) for p in generated],
            "generated_dances": sum(len(v) for v in full.values()),
            "ground_truth": [str(p) for p in ground_truth],
            "train_for_baseline": [str(p) for p in train],
            "clip_s": clip_s,
            "clip_stride_s": clip_stride_s,
            "clip_frames": clip,
            "fps": FPS,
            "seed_motion_s": seed_motion_s,
            "baseline_seed": seed,
            "baseline_draws": baseline_draws,
            "joints": "SMPL joints by FK of the public rest offsets, metres, y up"
            if smpl
            else "COCO-17 keypoints, metres, y up",
            "kinetic_acceleration": "reference" if reference else "corrected",
            "num_generated_clips": len(pred_clips),
            "num_ground_truth_clips": len(gt_clips),
        },
        "model": model_scores,
        "baseline_random_training_clips": baseline_scores,
        "music_matters": music_matters,
        "full_length_bas": full_bas,
        "own_bas_by_track": dict(zip(full, own)),
        "published": PUBLISHED,
    }


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(v)
    return f"{v:.{digits}f}"


def render_report(result: dict, model_info: dict | None = None) -> str:
    """The evaluation as Markdown: protocol, metrics beside the baseline and the published numbers."""
    p, m, b, mm = result["protocol"], result["model"], result["baseline_random_training_clips"], result["music_matters"]
    lines = [f"# Dance model evaluation: {result.get('run') or 'model'}", ""]
    if model_info:
        lines += ["Model: " + ", ".join(f"{k} {v}" for k, v in model_info.items()), ""]
    lines += [
        "## Protocol",
        "",
        f"- Split: {p['split']}; {p['generated_dances']} generated dance(s) for {len(p['generated'])} track(s), "
        f"{len(p['ground_truth'])} ground-truth sequence(s).",
        f"- Clips: {p['clip_s']:g} s ({p['clip_frames']} frames at {p['fps']} fps) every {p['clip_stride_s']:g} s: "
        f"{p['num_generated_clips']} generated, {p['num_ground_truth_clips']} ground-truth clips.",
        (
            "- Seed motion: none; every dance is generated from the music alone."
            if not p["seed_motion_s"]
            else f"- Seed motion: the first {p['seed_motion_s']:g} s of the ground truth."
        ),
        f"- Joints: {p['joints']}; frame-0 root subtracted before the features, "
        f"kinetic acceleration as the {p['kinetic_acceleration']} code (rhythm.model.metrics).",
        "- FID/Div normalised with the ground-truth clips' statistics; BAS against each clip's own music beats "
        "(beats/<music>.json); PFC as EDGE (30 fps).",
        f"- Baseline: {p['num_generated_clips']} random clips of the training motions, scored against the same test "
        f"music; drawn {p['baseline_draws']} times (seeds {p['baseline_seed']}...) and averaged, "
        "as a few clips make a noisy FID.",
        "",
        "## Results",
        "",
        "| metric | model | random training clips (mean) | test ground truth |",
        "|---|---|---|---|",
        f"| FID_k ↓ | {_fmt(m['fid_k'])} | {_fmt(b['fid_k'])} | – |",
        f"| FID_g ↓ | {_fmt(m['fid_g'])} | {_fmt(b['fid_g'])} | – |",
        f"| Div_k | {_fmt(m['div_k'])} | {_fmt(b['div_k'])} | {_fmt(m['div_k_gt'])} |",
        f"| Div_g | {_fmt(m['div_g'])} | {_fmt(b['div_g'])} | {_fmt(m['div_g_gt'])} |",
        f"| BAS ↑ | {_fmt(m['bas'], 4)} | {_fmt(b['bas'], 4)} | {_fmt(m['bas_gt'], 4)} |",
        f"| PFC ↓ | {_fmt(m['pfc'])} | {_fmt(b['pfc'])} | {_fmt(m['pfc_gt'])} |",
        "",
        "## Does the music matter?",
        "",
        f"- BAS with its own music: **{_fmt(mm['bas_own_music'], 4)}**; the same clips against the other tracks' "
        f"beats: **{_fmt(mm['bas_other_tracks'], 4)}** (margin {_fmt(mm['bas_margin'], 4)}, "
        f"ratio {_fmt(mm['bas_ratio'], 2)}x): "
        f"{'own music wins' if mm['bas_own_beats_passes'] else 'own music does NOT win'}.",
        f"- FID_k: model **{_fmt(mm['fid_k_model'])}** against **{_fmt(mm['fid_k_random_training_clips'])}** for "
        f"random training clips (mean of {b['draws']} draws, median {_fmt(mm['fid_k_random_training_clips_median'])}; "
        f"baseline / model = {_fmt(mm['fid_k_ratio_baseline_over_model'], 2)}x): "
        f"{'the model is closer to the test dances' if mm['fid_k_beats_baseline'] else 'the baseline is closer'}, "
        f"and beats {100 * mm['fid_k_beats_baseline_draws']:.0f}% of the draws.",
        "",
        f"- For scale, the test ground truth itself: BAS {_fmt(mm['ground_truth_bas_own_music'], 4)} with its music, "
        f"{_fmt(mm['ground_truth_bas_other_tracks'], 4)} against the other tracks' beats. "
        "(BAS counts a dip in joint speed near a beat; a dancer whose arms move fastest on the beat dips between "
        "beats and scores low with its own music.)",
        f"- Beat locking (do the speed dips keep one place in the beat grid, on-beat or off-beat; 1 = always, "
        f"about 1/sqrt(n) at random): {_fmt(mm['beat_locking_own_music'])} with its own music, "
        f"{_fmt(mm['beat_locking_other_tracks'])} against the other tracks; ground truth "
        f"{_fmt(mm['ground_truth_beat_locking_own_music'])} and {_fmt(mm['ground_truth_beat_locking_other_tracks'])}.",
        "",
        "BAS against each other track: "
        + "; ".join(f"{own} vs {o}: {_fmt(v, 4)}" for own, d in mm["bas_other_by_track"].items() for o, v in d.items()),
        "",
        "## Published numbers (AIST++ test set, full scale)",
        "",
        "These are on the real AIST++ at full scale (the crossmodal test set, models trained on hours of "
        "motion capture), not on this run's data; they set the scale, they are not a like-for-like comparison. "
        "Sources: " + result["published"]["source_bailando"] + "; " + result["published"]["source_edge"] + ".",
        "",
        "| method | FID_k ↓ | FID_g ↓ | Div_k | Div_g | BAS ↑ | PFC ↓ |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["published"]["rows"]:
        lines.append(
            f"| {row['method']} | {_fmt(row['fid_k'], 2)} | {_fmt(row['fid_g'], 2)} | {_fmt(row['div_k'], 2)} | "
            f"{_fmt(row['div_g'], 2)} | {_fmt(row['bas'], 4)} | {_fmt(row['pfc'], 4)} |"
        )
    lines.append(
        f"| **this run** | {_fmt(m['fid_k'], 2)} | {_fmt(m['fid_g'], 2)} | {_fmt(m['div_k'], 2)} | "
        f"{_fmt(m['div_g'], 2)} | {_fmt(m['bas'], 4)} | {_fmt(m['pfc'], 4)} |"
    )
    lines += ["", "EDGE's Dist_k/Dist_g are its names for Div_k/Div_g (EDGE computes them on 5 s clips).", ""]
    return "\n".join(lines)


def evaluate_to_files(out_json: str | Path, out_report: str | Path, model_info: dict | None = None, **kwargs) -> dict:
    result = evaluate(**kwargs)
    write_json(out_json, result)
    write_text(out_report, render_report(result, model_info))
    return result
