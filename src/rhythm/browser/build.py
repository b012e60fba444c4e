"""Write a browser folder: the pages (``assets/``), their data as ``.js`` files, links to the media.

A dataset browser (``results/<dataset>/browser/``)::

    index.html  sequence.html  browser.css  common.js  table.js  player.js  sequence.js
    data.js                      the table (window.RHYTHM_INDEX)
    seq/<sequence>.js            a sequence page's data, loaded when it is opened
    seq/<sequence>/<camera>.js   one camera's 2D keypoints, loaded when the camera is picked
    media/                       copies of the videos and music (browser.copy_media: true)

A model run's browser (``results/generated/<run>/browser/``): ``index.html`` (the model page) and
``data.js``. The folder is written beside its place and renamed into it at the end, so a failed
build leaves the previous browser (or none), never half of one.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from rhythm.browser.dataset import COLUMNS, Media, sequence_page, table_rows
from rhythm.browser.model_page import model_page
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_dir, read_json

DATASET_ASSETS = ("index.html", "sequence.html", "browser.css", "common.js", "table.js", "player.js", "sequence.js")
MODEL_ASSETS = ("model.html", "browser.css", "common.js", "player.js", "model.js")


def script(call: str, data: object) -> str:
    """``data`` as a script that hands it to the page: ``<call>(<json>);`` (safe inside any page)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f"{call}({text});\n"


def _copy_assets(names, dest: Path, rename: dict[str, str] | None = None) -> None:
    folder = resources.files("rhythm.browser") / "assets"
    for name in names:
        (dest / (rename or {}).get(name, name)).write_bytes((folder / name).read_bytes())


def _browser_dir(index: str | Path) -> Path:
    index = Path(index)
    if index.name != "index.html":
        raise RhythmInputError(index, "the browser's target is its index.html")
    return index.parent


def build_dataset_browser(
    report: str | Path,
    sequences_csv: str | Path,
    results: str | Path,
    anno_dir: str | Path,
    video_dir: str | Path | None,
    index: str | Path,
    copy_media: bool = False,
    dataset: str | None = None,
    progress: bool = True,
) -> dict:
    """Build ``<browser>/index.html`` and everything beside it; returns what was written."""
    started = time.perf_counter()
    browser, results = _browser_dir(index), Path(results)
    report_data = read_json(report)
    try:
        table = pd.read_csv(sequences_csv)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RhythmInputError(sequences_csv, f"cannot read the sequence table ({exc})") from None
    if "sequence" not in table.columns and not table.empty:
        raise RhythmInputError(sequences_csv, "no 'sequence' column: not a data report's sequences.csv")
    rows = table_rows(report_data, table)
    with atomic_dir(browser) as staging:
        media = Media(browser, staging, results, copy=copy_media)
        _copy_assets(DATASET_ASSETS, staging)
        (staging / "seq").mkdir()
        for row in tqdm(
            [r for r in rows if r["page"]], desc="browser: sequence pages", unit="seq", disable=not progress
        ):
            seq = row["sequence"]
            try:
                page, keypoints2d = sequence_page(seq, report_data, anno_dir, video_dir, results, media)
            except (RhythmInputError, ValueError, KeyError) as exc:  # a bad file costs its page, not the browser
                row["page"] = False
                row["flags"] = "; ".join(filter(None, [row["flags"], f"no page: {exc}"]))
                continue
            row["frames"] = page["frames"]
            (staging / "seq" / f"{seq}.js").write_text(script("rhythmSequence", page))
            if keypoints2d:
                (staging / "seq" / seq).mkdir()
                for camera, points in keypoints2d.items():
                    (staging / "seq" / seq / f"{camera}.js").write_text(script("rhythmKeypoints2d", points))
        index_data = {
            "dataset": dataset or results.name,
            "columns": [{"key": k, "label": label, "kind": kind} for k, label, kind in COLUMNS],
            "rows": rows,
            "summary": _summary(report_data, rows),
            "notes": report_data.get("notes", []),
        }
        (staging / "data.js").write_text(script("rhythmIndex", index_data))
    return {
        "browser": str(browser),
        "sequences": len(rows),
        "pages": sum(bool(r["page"]) for r in rows),
        "data_js_bytes": (browser / "data.js").stat().st_size,
        "bytes": sum(p.stat().st_size for p in browser.rglob("*") if p.is_file()),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _summary(report: dict, rows: list[dict]) -> dict:
    flagged = sum(bool(r["flags"]) and not r["ignored"] for r in rows)
    recon = (report.get("reconstruction") or {}).get("summary", {})
    return {
        "sequences": sum(not r["ignored"] for r in rows),
        "ignored": sum(r["ignored"] for r in rows),
        "flagged": flagged,
        "videos_frames": report.get("frames", {}).get("videos"),
        "music": len(report.get("music", {}).get("built", {})),
        "triangulation_median_px": recon.get("triangulation_median_px"),
        "cameras": report.get("cameras", []),
    }


def build_model_browser(
    generated: str | Path, results: str | Path, index: str | Path, copy_media: bool = False, units: str = "cm"
) -> dict:
    """Build a model run's page at ``index`` (``results/generated/<run>/browser/index.html``)."""
    browser = _browser_dir(index)
    with atomic_dir(browser) as staging:
        media = Media(browser, staging, Path(results), copy=copy_media)
        data = model_page(generated, results, media, units=units)
        _copy_assets(MODEL_ASSETS, staging, rename={"model.html": "index.html"})
        (staging / "data.js").write_text(script("rhythmModel", data))
    return {"browser": str(browser), "tracks": len(data["tracks"])}
