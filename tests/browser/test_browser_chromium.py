"""The browser's pages in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium): the demo workflow's pages load without console errors, the table sorts and filters, the
players play with the skeleton moving and a tick at every beat, the screenshots reach the Snakemake
report, and the index of a full-size stand-in tree (12,670 videos) opens in under a second."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rhythm.browser.build import build_dataset_browser
from rhythm.browser.screenshots import console_errors, start_chromium, wait_ready
from rhythm.core import aist
from rhythm.core.io import write_json
from rhythm.pipeline.selection import Selection, select_sequences
from rhythm.pipeline.tables import sequence_table, write_csv
from rhythm.sources.standins import write_standin_tree

from conftest import snakemake

pytestmark = [pytest.mark.slow, pytest.mark.workflow]

SEQ = "gBR_sBM_cAll_d01_mBR0_ch01"  # a demo sequence with every annotation and a reconstruction


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()


def open_page(driver, path: Path, query: str = "") -> float:
    driver.get(path.absolute().as_uri() + query)
    return wait_ready(driver)


def shown_sequences(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#sequences tbody tr')].map(r => r.dataset.sequence)"
    )


def column(driver, key: str) -> list[str]:
    index = driver.execute_script(f"return Table.data.columns.findIndex(c => c.key === '{key}')")
    return driver.execute_script(
        f"return [...document.querySelectorAll('#sequences tbody tr')].map(r => r.children[{index}].textContent)"
    )


def test_dataset_page_lists_every_sequence_and_sorts_and_filters(demo_workflow, chromium):
    browser = demo_workflow / "results/demo/browser"
    open_page(chromium, browser / "index.html")
    assert console_errors(chromium) == []
    table = pd.read_csv(demo_workflow / "results/demo/reports/sequences.csv")
    assert shown_sequences(chromium) == sorted(table["sequence"])  # sorted by name at first
    chromium.find_element("css selector", "th[data-key=sequence]").click()
    assert shown_sequences(chromium) == sorted(table["sequence"], reverse=True)

    chromium.find_element("css selector", "th[data-key=reprojection_px]").click()  # numbers as numbers
    values = [float(v) for v in column(chromium, "reprojection_px")]
    assert values == sorted(values) and len(values) == len(table)

    chromium.find_element("id", "filter").send_keys("gpo mPO4")  # every word, any case
    assert shown_sequences(chromium) == sorted(s for s in table["sequence"] if "gPO" in s and "mPO4" in s) != []
    assert chromium.find_element("id", "count").text.startswith("2 of ")
    chromium.find_element("id", "filter").clear()
    chromium.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    ignored = json.loads((demo_workflow / "results/demo/reports/data_report.json").read_text())["splits"]
    ignored = {s for e in ignored.values() for s in e.get("ignored", [])}
    assert ignored and not ignored & set(shown_sequences(chromium))
    chromium.find_element("id", "ignored").click()
    assert ignored <= set(shown_sequences(chromium))

    chromium.find_element("link text", SEQ).click()  # the table links each sequence to its page
    wait_ready(chromium)
    assert chromium.execute_script("return window.rhythmPlayer.seq.sequence") == SEQ
    assert console_errors(chromium) == []


def test_sequence_page_plays_skeletons_video_and_beats_on_one_clock(demo_workflow, chromium):
    browser = demo_workflow / "results/demo/browser"
    open_page(chromium, browser / "sequence.html", f"?seq={SEQ}")
    labels = chromium.execute_script("return window.rhythmPlayer.view.skeletons.map(s => s.label)")
    assert labels == ["keypoints3d (official)", "triangulated (Rhythm)", "SMPL joints"]
    before = chromium.execute_script("return window.rhythmPlayer.view.lastPoints")
    assert chromium.execute_script("return window.rhythmPlayer.clock.time") == 0

    chromium.execute_script("window.rhythmPlayer.clock.play()")
    time.sleep(1.0)
    chromium.execute_script("window.rhythmPlayer.clock.pause()")
    played = chromium.execute_script("return window.rhythmPlayer.clock.time")
    assert 0.8 < played < 3.0  # the clock follows wall time (audio or not)
    after = chromium.execute_script("return window.rhythmPlayer.view.lastPoints")
    moved = [np.nanmax(np.abs(np.array(a, float) - np.array(b, float))) for a, b in zip(before, after)]
    assert min(moved) > 2  # every skeleton moved on the canvas (pixels)
    readout = chromium.find_element("css selector", ".readout").text
    assert readout == f"{played:.2f} s · frame {int(played * 60 + 1e-6)}"

    # a tick at each beat of the music's beats JSON, placed at its time on the strip
    beats = json.loads((demo_workflow / "results/demo/beats/mBR0.json").read_text())["beat_times"]
    duration = chromium.execute_script("return window.rhythmPlayer.clock.duration")
    ticks = chromium.execute_script(
        """const strip = document.querySelector('.timeline').getBoundingClientRect();
        return [...document.querySelectorAll('.tick.music-beat')].map(t => {
          const r = t.getBoundingClientRect();
          return [Number(t.dataset.time), (r.left + r.width / 2 - strip.left) / strip.width];
        });"""
    )
    expected = [t for t in beats if t <= duration]
    assert [t for t, _ in ticks] == pytest.approx(expected, abs=1e-4) and len(expected) >= 5
    assert [x for _, x in ticks] == pytest.approx([t / duration for t in expected], abs=0.003)
    motion = chromium.execute_script("return window.rhythmPlayer.seq.motion_beats.length")
    assert len(chromium.find_elements("css selector", ".tick.motion-beat")) == motion > 0

    # another camera: its video plays in the page and its 2D keypoints are drawn over it
    chromium.find_element("css selector", "#cameras button[data-camera=c02]").click()
    deadline = time.time() + 20
    while chromium.execute_script("return document.getElementById('video').readyState") < 2 and time.time() < deadline:
        time.sleep(0.1)
    video = chromium.execute_script(
        "const v = document.getElementById('video'); return [decodeURIComponent(v.src), v.readyState, v.videoWidth]"
    )
    assert video[0].endswith("gBR_sBM_c02_d01_mBR0_ch01.mp4") and video[1] >= 2 and video[2] > 0
    chromium.execute_script("window.rhythmPlayer.clock.seek(1.0)")
    drawn = chromium.execute_script(
        """const c = document.getElementById('overlay2d');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"""
    )
    assert drawn > 200
    chromium.find_element("id", "show2d").click()  # off
    assert (
        chromium.execute_script(
            """const c = document.getElementById('overlay2d');
            return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)"""
        )
        is False
    )
    bars = chromium.find_elements("css selector", "#errors .error-row")
    assert len(bars) == len(chromium.execute_script("return window.rhythmPlayer.seq.cameras"))
    assert console_errors(chromium) == []


def test_model_page_plays_each_generated_dance_beside_its_ground_truth(demo_workflow, chromium):
    generated = demo_workflow / "results/generated/demo"
    open_page(chromium, generated / "browser/index.html")
    tracks = sorted(p.stem for p in generated.glob("*.npy") if p.name.count(".") == 1)
    assert chromium.execute_script("return window.rhythmPlayers.map(p => p.track.music.music)") == tracks
    labels = chromium.execute_script("return window.rhythmPlayer.view.skeletons.map(s => s.label)")
    metrics = json.loads((generated / "metrics.json").read_text())
    truth = [Path(p).name.split(".")[0] for p in metrics["protocol"]["ground_truth"]]
    assert labels == ["generated"] + [f"ground truth {s}" for s in truth if s.split("_")[4] == tracks[0]]
    beats = json.loads((demo_workflow / f"results/demo/beats/{tracks[0]}.json").read_text())["beat_times"]
    times = chromium.execute_script(
        "return [...document.querySelectorAll('.track .tick.music-beat')].map(t => Number(t.dataset.time))"
    )
    duration = chromium.execute_script("return window.rhythmPlayer.clock.duration")
    assert times == pytest.approx([t for t in beats if t <= duration], abs=1e-4)
    before = chromium.execute_script("return window.rhythmPlayer.view.lastPoints")
    chromium.execute_script("window.rhythmPlayer.clock.play()")
    time.sleep(0.8)
    after = chromium.execute_script("return window.rhythmPlayer.view.lastPoints")
    assert np.nanmax(np.abs(np.array(before[0], float) - np.array(after[0], float))) > 2
    # the metrics tables of report.md, with the published numbers
    headers = chromium.execute_script("return [...document.querySelectorAll('#report h3')].map(h => h.textContent)")
    assert "Results" in headers and any(h.startswith("Published numbers") for h in headers)
    cells = chromium.execute_script("return [...document.querySelectorAll('#report table td')].map(c => c.textContent)")
    assert "FID_k ↓" in cells and "BAS ↑" in cells
    assert console_errors(chromium) == []


def test_screenshots_of_every_page_reach_the_snakemake_report(demo_workflow, tmp_path):
    shots = [
        demo_workflow / "results/demo/reports/browser/index.png",
        demo_workflow / "results/demo/reports/browser/sequence.png",
        demo_workflow / "results/generated/demo/reports/browser/model.png",
    ]
    for shot in shots:
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, shot
    report = tmp_path / "report.zip"
    snakemake(demo_workflow, "--report", str(report))
    archive = zipfile.ZipFile(report)
    for shot in shots:  # the report keeps each file under data/raw/<hash>/<name>
        members = [n for n in archive.namelist() if n.endswith("/" + shot.name)]
        assert [archive.read(n) for n in members] == [shot.read_bytes()], shot


def test_a_browser_with_copied_media_works_after_it_is_moved(demo_workflow, tmp_path, chromium):
    """browser.copy_media: the folder alone, moved elsewhere (as a zip would be), still plays its
    videos and music."""
    res = demo_workflow / "results/demo"
    build_dataset_browser(
        res / "reports/data_report.json",
        res / "reports/sequences.csv",
        res,
        res / "source/annotations",
        res / "source/videos",
        tmp_path / "built/browser/index.html",
        copy_media=True,
        progress=False,
    )
    moved = tmp_path / "elsewhere"
    (tmp_path / "built/browser").rename(moved)
    assert not [p for p in moved.rglob("*.js") if "../" in p.read_text()]  # nothing points outside
    open_page(chromium, moved / "sequence.html", f"?seq={SEQ}")
    deadline = time.time() + 20
    state = "return ['video', 'audio'].map(id => document.getElementById(id).readyState)"
    while min(chromium.execute_script(state)) < 2 and time.time() < deadline:
        time.sleep(0.1)
    assert min(chromium.execute_script(state)) >= 2
    sources = chromium.execute_script("return ['video', 'audio'].map(id => document.getElementById(id).src)")
    assert all(src.startswith((moved / "media").as_uri()) for src in sources)
    assert console_errors(chromium) == []


def test_index_of_a_full_size_standin_tree_is_small_and_opens_in_under_a_second(tmp_path, chromium):
    """1,408 sequences, 12,670 videos (rhythm standins: empty files); every sequence gets the QA
    values a real run reports (reprojection per camera, beats per music id, here made up), so the
    table has its real size. The stand-ins' empty annotations get no page, each with its reason."""
    tree = tmp_path / "aist"
    write_standin_tree(tree, 12670)
    anno, videos = tree / "annotations", tree / "videos"
    selection = Selection()
    splits = select_sequences(anno, selection)
    rng = np.random.default_rng(0)
    reprojection = []
    for seq in sorted({s for seqs in splits.values() for s in seqs}):
        path = tmp_path / "reprojection" / f"{seq}.json"
        medians = {c: round(float(rng.uniform(0.6, 1.4)), 3) for c in aist.CAMERAS}
        write_json(path, {"sequence": seq, "median_px": medians, "outliers": []})
        reprojection.append(path)
    write_csv(sequence_table(anno, splits, selection, videos, reprojection=reprojection), tmp_path / "sequences.csv")
    ignored = sorted(aist.load_ignore_list(anno))
    report = {
        "cameras": list(aist.CAMERAS),
        "splits": {"pose_train": {"ignored": ignored}},
        "beats": {
            f"m{g[1:]}{k}": {"tempo_bpm": 100.0, "music_bpm": 100, "tempo_error_pct": 0.0}
            for g in aist.GENRES
            for k in range(6)
        },
    }
    write_json(tmp_path / "report.json", report)
    index = tmp_path / "results/browser/index.html"
    started = time.perf_counter()
    info = build_dataset_browser(
        tmp_path / "report.json", tmp_path / "sequences.csv", tmp_path / "results", anno, videos, index, progress=False
    )
    built_s = time.perf_counter() - started
    rows = info["sequences"]
    assert rows >= 1408 and info["pages"] == 0  # empty stand-in annotations: no page, and the reason in QA
    size = (index.parent / "data.js").stat().st_size
    open_page(chromium, index)
    ready_ms = chromium.execute_script("return window.rhythmReadyAt")
    shown = len(shown_sequences(chromium))
    started = time.perf_counter()
    chromium.find_element("css selector", "th[data-key=reprojection_px]").click()
    sort_ms = (time.perf_counter() - started) * 1000
    print(
        f"stand-in index: {rows} rows, data.js {size / 1e6:.2f} MB, built in {built_s:.1f} s,"
        f" ready in {ready_ms:.0f} ms, sort {sort_ms:.0f} ms"
    )
    assert shown == len(pd.read_csv(tmp_path / "sequences.csv")) and shown + len(ignored) == rows
    assert ready_ms < 1000 and size < 3_000_000 and sort_ms < 1000
    assert console_errors(chromium) == []
