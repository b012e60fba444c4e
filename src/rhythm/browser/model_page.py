"""A model run's page: each generated dance beside the test dances of its music, and the metrics.

Reads ``results/generated/<run>/`` (``<music>.npy`` joints in metres, ``<music>.json``,
``<music>.mp4``, ``metrics.json``, ``report.md``) and the dataset's music, beats and SMPL joints of
the ground truth named by ``metrics.json``'s protocol.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np

from rhythm.browser.dataset import Media, motion_beat_times, music_entry, skeleton_entry
from rhythm.core import aist
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json
from rhythm.core.skeleton import COCO_LIMBS, SMPL_BONES
from rhythm.model.evaluate import load_joints


def _bones(joints: np.ndarray):
    """The skeleton to draw: SMPL's 24 joints or COCO's 17 (a ``representation: keypoints3d`` model)."""
    return COCO_LIMBS if joints.shape[1] == 17 else SMPL_BONES


def model_page(generated: str | Path, results: str | Path, media: Media, units: str = "cm") -> dict:
    """The data of a model run's page; ``generated``: ``results/generated/<run>``, ``results``: the
    dataset's ``results/<dataset>`` (its music and beats); ``units``: of ``poses/<seq>.npy``
    (``poses.units``), the ground truth of a ``representation: keypoints3d`` model."""
    generated, results = Path(generated), Path(results)
    metrics_path = generated / "metrics.json"
    if not metrics_path.is_file():
        raise RhythmInputError(metrics_path, "not found: evaluate the run first (rule evaluate_model)")
    metrics = read_json(metrics_path)
    units_per_metre = 100.0 if units == "cm" else 1.0
    truth_by_music: dict[str, list[Path]] = {}
    for path in metrics.get("protocol", {}).get("ground_truth", []):  # smpl/<seq>.params.npy or poses/<seq>.npy
        seq = Path(path).name.split(".")[0]
        truth_by_music.setdefault(aist.parse_name(seq).music, []).append(Path(path))
    tracks = []
    for npy in sorted(p for p in generated.glob("*.npy") if p.name.count(".") == 1):
        music = npy.stem
        info_path = generated / f"{music}.json"
        info = read_json(info_path) if info_path.is_file() else {}
        joints = load_joints(npy) * 100.0  # metres -> cm
        fps = info.get("fps", 60)
        dances = [skeleton_entry("generated", joints, _bones(joints))]
        for path in truth_by_music.get(music, []):
            if path.is_file():  # as the evaluation read it: metres at 60 fps
                truth = load_joints(path, units_per_metre) * 100.0
                dances.append(skeleton_entry(f"ground truth {path.name.split('.')[0]}", truth, _bones(truth)))
        tracks.append(
            {
                "music": music_entry(results, music, media),
                "fps": fps,
                "frames": len(joints),
                "motion_beats": motion_beat_times(joints, fps),
                "video": media.href(generated / f"{music}.mp4"),
                "skeletons": dances,
            }
        )
    report_path = generated / "report.md"
    return {
        "run": metrics.get("run", generated.name),
        "tracks": tracks,
        "metrics": metrics.get("model", {}),
        "report_html": markdown_html(report_path.read_text()) if report_path.is_file() else "",
    }


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_html(text: str) -> str:
    """The subset of Markdown that ``report.md`` uses: headings, paragraphs, lists, bold and tables."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line:
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 1, 6)  # the page's own h1 is the title
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                i += 1
            head = "".join(f"<th>{_inline(c)}</th>" for c in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
            out.append(f"<table class='metrics'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        else:
            para = [line.strip()]  # this line always (a "- " stripped to "-" lands here too)
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ")):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return "\n".join(out)
