"""The data report: what is there, what is missing, what was built, in JSON and readable text.

``data_status`` is what the original prep scripts' ``checkDataStatus.py`` and ``loadAistData.py --stats`` printed:
per split the sequences, ignored ones, annotations and videos present or missing, frames,
durations and genres. ``build_report`` adds what the pipeline produced from it.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, read_pickle
from rhythm.pipeline.selection import Selection, select_sequences, selected_videos
from rhythm.pipeline.tables import split_rows_text, split_table

MAX_LISTED = 20


def _num_frames(anno_dir: Path, seq: str) -> int | None:
    for path in (aist.keypoints3d_path(anno_dir, seq), aist.keypoints2d_path(anno_dir, seq)):
        if path.is_file():
            data = read_pickle(path)
            arr = data.get("keypoints3d") if "keypoints3d" in data else data["keypoints2d"][0]
            return int(len(arr))
    return None


def data_status(anno_dir: str | Path, video_dir: str | Path | None, selection: Selection = Selection()) -> dict:
    """Per split: sequences, ignored, annotations and videos present or missing, frames, genres."""
    anno_dir = Path(anno_dir)
    if not anno_dir.is_dir():
        raise RhythmInputError(
            anno_dir,
            "annotations folder not found; unpack the AIST++ annotations there "
            "(keypoints2d/ keypoints3d/ motions/ cameras/ splits/ ignore_list.txt)",
        )
    if not (anno_dir / "splits").is_dir():
        raise RhythmInputError(anno_dir, "no splits/ folder: not an AIST++ annotations folder")
    ignored = aist.load_ignore_list(anno_dir)
    splits: dict[str, dict[str, Any]] = {}
    for split in selection.splits:
        path = anno_dir / "splits" / f"{split}.txt"
        if not path.is_file():
            splits[split] = {"error": f"{path}: split file not found"}
            continue
        listed = aist.load_split(anno_dir, split)
        chosen = select_sequences(
            anno_dir, Selection([split], selection.genres, selection.cameras, selection.exclude_videos, selection.limit)
        )[split]
        kp2d = [s for s in chosen if aist.keypoints2d_path(anno_dir, s).is_file()]
        kp3d = [s for s in chosen if aist.keypoints3d_path(anno_dir, s).is_file()]
        motions = [s for s in chosen if aist.motion_path(anno_dir, s).is_file()]
        frames = {s: _num_frames(anno_dir, s) for s in chosen}
        n_frames = sum(f for f in frames.values() if f)
        entry = {
            "listed": len(listed),
            "ignored": sorted(set(listed) & ignored),
            "selected": len(chosen),
            "genres": dict(sorted(Counter(aist.parse_name(s).genre for s in chosen).items())),
            "keypoints2d": len(kp2d),
            "keypoints3d": len(kp3d),
            "motions": len(motions),
            "missing_annotations": sorted(set(chosen) - set(kp2d) - set(kp3d))[:MAX_LISTED],
            "annotated": sorted(set(kp2d) | set(kp3d) | set(motions))[:MAX_LISTED],
            "frames": n_frames,
            "duration_s": round(n_frames / aist.FPS, 2),
        }
        if video_dir is not None:
            videos = selected_videos(chosen, selection)
            missing = [v for v in videos if not (Path(video_dir) / f"{v}.mp4").is_file()]
            entry.update(
                videos_expected=len(videos),
                videos_present=len(videos) - len(missing),
                videos_missing=missing[:MAX_LISTED],
                videos_missing_count=len(missing),
            )
        splits[split] = entry
    return {
        "anno_dir": str(anno_dir),
        "video_dir": None if video_dir is None else str(video_dir),
        "cameras": list(selection.cameras),
        "genres": selection.genres or "all",
        "ignore_list": len(ignored),
        "splits": splits,
    }


def music_summary(status: dict, music_reports=(), sequences: list[str] | None = None) -> dict:
    """Per music id: its source, the candidates refused and why, the dances it is too short for; and
    the music ids of the selection that have no source at all (no video of them yet)."""
    built = {}
    for path in music_reports:
        m = read_json(path)
        built[m["music"]] = {
            "source": m["source"],
            "duration_s": m["duration_s"],
            "refused": m.get("refused", {}),
            "too_short_for": m.get("too_short_for", {}),
        }
    wanted = sorted({aist.parse_name(s).music for s in sequences or []})
    return {
        "built": built,
        "without_source": [m for m in wanted if m not in built],
        "refused_files": sum(len(m["refused"]) for m in built.values()),
    }


def build_report(
    status: dict,
    frame_mappings=(),
    beats=(),
    poses=(),
    coco=(),
    overlays=(),
    reprojection=(),
    reconstruction=None,
    landmarks=(),
    landmarks_skipped: str | None = None,
    music=(),
    sequences: list[str] | None = None,
    notes=(),
    rtmpose: str | Path | None = None,
    rtmpose_skipped: str | None = None,
) -> dict:
    """Add what the pipeline built to a status report; ``notes``: what planning left out and why."""
    report = dict(status)
    report["notes"] = list(notes)
    report["music"] = music_summary(status, music, sequences)
    mappings = [read_json(p) for p in frame_mappings]
    report["frames"] = {
        "videos": len(mappings),
        "frames": sum(m["num_frames"] for m in mappings),
        "mismatched": {m["video"]: m["notes"] for m in mappings if m.get("notes")},
        "duplicated_source_frames": sum(m.get("duplicated_source_frames", 0) for m in mappings),
        "skipped_source_frames": sum(m.get("skipped_source_frames", 0) for m in mappings),
        "annotation_frames_without_source": sum(m.get("annotation_frames_without_source", 0) for m in mappings),
    }
    report["reprojection"] = {}
    for path in reprojection:
        r = read_json(path)
        report["reprojection"][r["sequence"]] = {"median_px": r["median_px"], "outliers": r["outliers"]}
    if reconstruction:
        report["reconstruction"] = read_json(reconstruction)
    report["landmarks"] = landmark_summary([read_json(p) for p in landmarks], landmarks_skipped)
    report["beats"] = {}
    for path in beats:
        b = read_json(path)
        if not isinstance(b, dict) or any(k not in b for k in ("music", "tempo_bpm", "beat_times", "duration_s")):
            raise RhythmInputError(
                path, "not a beats file of rhythm beats (needs music, tempo_bpm, beat_times, duration_s)"
            )
        entry = {"tempo_bpm": b["tempo_bpm"], "beats": len(b["beat_times"]), "duration_s": b["duration_s"]}
        try:
            bpm = aist.music_bpm(b["music"])
            entry.update(music_bpm=bpm, tempo_error_pct=round(100 * (b["tempo_bpm"] - bpm) / bpm, 2))
        except ValueError:
            pass
        report["beats"][b["music"]] = entry
    report["poses"] = len(list(poses))
    report["coco"] = {}
    for path in coco:
        c = read_json(path)
        report["coco"][Path(path).stem] = {"images": len(c["images"]), "annotations": len(c["annotations"])}
    report["overlays"] = len(list(overlays))
    if rtmpose:
        report["rtmpose"] = read_json(rtmpose)
    elif rtmpose_skipped:
        report["rtmpose"] = {"status": "not run", "reason": rtmpose_skipped}
    return report


def landmark_summary(reports: list[dict], skipped_reason: str | None = None) -> dict:
    """Frames, people and skipped segments over the landmark reports (``landmarks/*.json``)."""
    if skipped_reason and not reports:
        return {"status": "not run", "reason": skipped_reason}
    done = [r for r in reports if r.get("status") == "ok"]
    return {
        "status": "ok",
        "outputs": len(reports),
        "frames": sum(r["frames"] for r in done),
        "frames_with_person": sum(r["frames_with_person"] for r in done),
        "frames_without_person": sum(r["frames_without_person"] for r in done),
        "frames_with_several_people": sum(r["frames_with_several_people"] for r in done),
        "max_people": max((r["max_people"] for r in done), default=0),
        "skipped": {r.get("segment") or r["video"]: r["reason"] for r in reports if r.get("status") == "skipped"},
        # per video or segment tracked with the `people` policy: identities, switches and gaps
        "tracking": {r.get("segment") or r["video"]: r["tracking"] for r in done if r.get("tracking")},
    }


def render_text(report: dict) -> str:
    """The report as a person reads it."""
    lines = ["Rhythm data report", f"annotations: {report['anno_dir']}"]
    if report.get("video_dir"):
        lines.append(f"videos:      {report['video_dir']}")
    lines.append(
        f"cameras: {', '.join(report['cameras'])}; genres: "
        f"{report['genres'] if isinstance(report['genres'], str) else ', '.join(report['genres'])}; "
        f"ignore list: {report['ignore_list']} sequences"
    )
    lines.append("")
    lines += split_rows_text(split_table(report))
    for note in report.get("notes", []):
        lines.append(f"note: {note}")
    for split, e in report["splits"].items():
        if "error" not in e and 0 < len(e.get("annotated", [])) < e["selected"]:
            n = max(e["keypoints2d"], e["keypoints3d"], e["motions"])
            lines.append(
                f"annotated in {split} ({n} of {e['selected']}): "
                + ", ".join(e["annotated"][:5])
                + (" ..." if n > 5 else "")
            )
        if e.get("videos_missing"):
            lines.append(
                f"missing videos in {split} ({e['videos_missing_count']}): "
                + ", ".join(e["videos_missing"][:5])
                + (" ..." if e["videos_missing_count"] > 5 else "")
            )
        if e.get("ignored"):
            lines.append(
                f"ignored in {split}: {', '.join(e['ignored'][:5])}" + (" ..." if len(e["ignored"]) > 5 else "")
            )
    if "frames" in report:
        f = report["frames"]
        lines += ["", f"frames: {f['frames']} JPEGs from {f['videos']} videos"]
        if f.get("duplicated_source_frames") or f.get("skipped_source_frames"):
            lines.append(
                f"  source frames shown twice: {f['duplicated_source_frames']}, skipped: "
                f"{f['skipped_source_frames']} (59.94 fps sources, dropped or extra frames)"
            )
        if f.get("annotation_frames_without_source"):
            lines.append(
                f"  annotation frames with no source frame within half a frame: {f['annotation_frames_without_source']}"
            )
        for video, notes in f["mismatched"].items():
            lines.append(f"  {video}: {'; '.join(notes)}")
    mus = report.get("music") or {}
    if mus.get("built") or mus.get("without_source"):
        lines += ["", f"music: {len(mus['built'])} tracks built, {mus['refused_files']} source file(s) refused"]
        for music, m in mus["built"].items():
            lines.append(f"  {music}: {m['duration_s']:.2f} s from {Path(m['source']).name}")
            for path, why in list(m["refused"].items())[:MAX_LISTED]:
                lines.append(f"    refused {Path(path).name}: {why}")
            for seq, seconds in m["too_short_for"].items():
                lines.append(f"    too short for {seq} ({seconds:.2f} s): its longest video is missing or refused")
        if mus["without_source"]:
            lines.append(f"  no source yet (no video or music file of them): {', '.join(mus['without_source'])}")
    if report.get("beats"):
        lines += ["", f"{'music':<8}{'tempo':>9}{'AIST BPM':>10}{'error %':>9}{'beats':>7}"]
        for music, b in report["beats"].items():
            lines.append(
                f"{music:<8}{b['tempo_bpm']:>9.2f}{b.get('music_bpm', '-'):>10}"
                f"{b.get('tempo_error_pct', '-'):>9}{b['beats']:>7}"
            )
    if report.get("reprojection"):
        lines += ["", "reprojection of keypoints3d onto keypoints2d (median px per camera; * = outlier view)"]
        for seq, r in report["reprojection"].items():
            cams = " ".join(
                f"{c}:{v:.1f}{'*' if c in r['outliers'] else ''}" for c, v in r["median_px"].items() if v is not None
            )
            lines.append(f"  {seq}  {cams}")
    lm = report.get("landmarks")
    if lm and lm.get("status") == "not run":
        lines += ["", f"landmarks: not run ({lm['reason']})"]
    elif lm and lm.get("outputs"):
        lines += [
            "",
            f"landmarks: {lm['outputs']} outputs, {lm['frames']} frames, {lm['frames_with_person']} with a "
            f"person, {lm['frames_without_person']} without (NaN rows), {lm['frames_with_several_people']} with "
            f"several people (most: {lm['max_people']})",
        ]
        for name, why in list(lm["skipped"].items())[:MAX_LISTED]:
            lines.append(f"  skipped {name}: {why}")
        for name, t in list(lm.get("tracking", {}).items())[:MAX_LISTED]:
            lines.append(
                f"  tracked {name}: {t['people_found']} people in {t['people']} slots, {t['track_switches']} "
                f"track switches, {t['gaps']} gaps ({t['gaps_interpolated']} interpolated, {t['gaps_long']} "
                f"long, longest {t['max_gap_length']} frames), {t['spurious_detections']} spurious detections"
            )
    if report.get("reconstruction"):
        rec = report["reconstruction"]
        summ = rec["summary"]
        lines += [
            "",
            f"reconstruction: {summ['sequences']} sequences triangulated, median reprojection "
            f"{summ['triangulation_median_px']} px, SMPL fit {summ['fit_mpjpe_body']} cm (body joints)",
        ]
        if "vs_official_keypoints3d" in summ:
            v = summ["vs_official_keypoints3d"]
            lines.append(f"  against the official keypoints3d: median {v['median']} cm, p95 {v['p95']} cm")
        for seq, entry in list(rec.get("sequences", {}).items())[:MAX_LISTED]:
            tri, fit = entry.get("triangulation", {}), entry.get("fitting", {})
            parts = []
            if tri:
                parts.append(f"reprojection {tri['reprojection_px']['median_px']:.2f} px")
                if "vs_official" in tri:
                    o = tri["vs_official"]["plain_vs_keypoints3d"]
                    parts.append(f"vs official {o['median']:.2f} cm (p95 {o['p95']:.2f})")
                if tri.get("dropped_views"):
                    parts.append(f"dropped {', '.join(tri['dropped_views'])}")
            if fit.get("mpjpe_body") is not None:
                parts.append(f"SMPL fit {fit['mpjpe_body']:.2f} cm")
            lines.append(f"  {seq}: " + "; ".join(parts))
        for setting, c in rec.get("settings", {}).items():
            med = ", ".join(f"{k} {v}" for k, v in c["reprojection_median_px"].items())
            lines.append(f"  cameras {setting}: bundle adjustment over {c['sequences']} sequences, median px: {med}")
    if "poses" in report:
        lines += ["", f"poses: {report['poses']} sequences; overlays: {report['overlays']} videos"]
    if report.get("tools"):
        t = report["tools"]
        lines.append(f"tools: rhythm {t['rhythm']}, {t['ffmpeg_version']} ({t['ffmpeg']}), PyAV {t['pyav']}")
    for split, c in report.get("coco", {}).items():
        lines.append(f"COCO {split}: {c['images']} images, {c['annotations']} person annotations")
    rt = report.get("rtmpose")
    if rt and rt.get("status") == "not run":
        lines.append(f"RTMPose: not run ({rt['reason']})")
    elif rt:
        f, p = rt["fine_tuned"], rt.get("pretrained")
        lines.append(
            f"RTMPose ({rt['model']}, from {rt.get('started_from') or '?'}): test AP {f['AP']:.3f}, AP50 "
            f"{f['AP .5']:.3f}, AR {f['AR']:.3f}, PCK@0.05 {f['PCK@0.05']:.3f} on {rt['test_images']} images"
            + (f"; COCO-pretrained AP {p['AP']:.3f}" if p else f"; {rt.get('pretrained_note') or ''}")
        )
    return "\n".join(lines) + "\n"


def render_html(report: dict, beat_plots=(), html_path: str | Path | None = None) -> str:
    """The text report plus, per music track, its onset-envelope-with-beats plot."""
    import html

    base = Path(html_path).parent if html_path else Path(".")
    parts = [
        "<!doctype html><meta charset='utf-8'><title>Rhythm data report</title>",
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}"
        "img{max-width:100%;border:1px solid #ddd}</style>",
        "<h1>Rhythm data report</h1>",
        f"<pre>{html.escape(render_text(report))}</pre>",
    ]
    if beat_plots:
        parts.append("<h2>Beats per music track</h2>")
    for plot in beat_plots:
        rel = os.path.relpath(Path(plot).resolve(), base.resolve())
        parts.append(f"<h3>{html.escape(Path(plot).stem)}</h3><img src='{html.escape(rel)}' alt='beats'>")
    return "\n".join(parts) + "\n"


def check_split_files(anno_dir: str | Path, splits: list[str]) -> None:
    for split in splits:
        path = Path(anno_dir) / "splits" / f"{split}.txt"
        if not path.is_file():
            raise RhythmInputError(path, f"split file for '{split}' not found")
