"""2D keypoints from other tools (AlphaPose, OpenPose, MMPose) as AIST++ keypoints2d pickles, and back.

Each reader takes the files exactly as the tool writes them and returns :class:`Detections`: per
frame (0-based), the people found, each with its 17 COCO keypoints ``(17, 3)`` (x, y, score), the
tool's person score, its box and its own track id when it has one. :func:`to_keypoints2d` gives
every person (``people="all"``) or the best one (``"best"``) an identity through time and returns
AIST++ keypoints2d dicts; :func:`write_keypoints2d` writes them atomically.

Formats read (checked against the tools' writers and real output files, noted per format in the
docstring of the module that reads and writes it):

* **AlphaPose** ``alphapose-results.json``: :mod:`rhythm.people.formats.alphapose`.
* **OpenPose** ``--write_json`` folder: :mod:`rhythm.people.formats.openpose`.
* **MMPose** 1.x predictions: :mod:`rhythm.people.formats.mmpose`.

The frames run up to the last one the input lists: OpenPose (a file per frame) and MMPose videos list
frames with nobody, AlphaPose does not, so frames with nobody at the end need ``frames`` (``--frames``).
Frames are numbered by the tool (``frame_id``) or by the last number in the file or image name
(``0.jpg``, ``00001.png``, ``frame_000123.jpg``, ``<video>_000000000123_keypoints.json``); frame
index = that number - ``first_frame_number`` (0 unless said otherwise; 1 for MMPose's demo files).

In every format a keypoint written as exactly ``0, 0`` with score 0 is OpenPose's "not found" (the
other tools never write it for a real point): it becomes NaN x, y with score 0. A frame without a
person has NaN keypoints, score 0 and ``det_scores`` 0, which every user of keypoints2d skips.

Output: AIST++ keypoints2d, ``keypoints2d`` float32 ``(1, T, 17, 3)`` (one camera per import),
``det_scores`` float32 ``(1, T)``, ``timestamps`` int64 ``(T,)`` microseconds at ``fps``
(``round(i * 1e6 / fps)``, as AIST++'s own). :func:`stack_cameras` stacks several cameras' imports
into ``(V, T, 17, 3)`` in camera order c01..c09 (or all nine, the missing ones NaN, which is what
:func:`rhythm.core.aist.load_keypoints2d` reads).

Identities (:func:`find_people`):

1. At most one person in every frame: nothing to match; that person is the dancer, each frame's
   detection taken whatever its score (so a file round-trips unchanged).
2. Otherwise, when the tool tracked (every person has a tool id, AlphaPose ``idx`` or OpenPose
   ``person_id`` >= 0, and no id is used twice in one frame), the tool's ids are kept: one person
   per id (the ``max_people`` with the highest total scores). A tool that tracked saw the images;
   its ids are not second-guessed.
3. Otherwise :func:`rhythm.people.tracking.track_people` matches the detections (``TrackOptions``: up to
   ``max_people``, ``min_box_score`` ...), and each person's own detections are copied verbatim:
   no gap is filled and nothing is smoothed here (``rhythm track`` does that).

People are ordered by first appearance, leftmost first (as the tracker's ``first_seen``); ``best``
is the person with the highest total score (the sum of their scores: frames seen x mean score, so
length and confidence both count).

The writers (:func:`write_alphapose`, :func:`write_openpose`, :func:`write_mmpose`) export one
camera of a keypoints2d in each tool's own layout and number format, for other tools and for
round-trip tests: AlphaPose and MMPose keep float32 values exactly, OpenPose keeps 6 significant
digits and no person score.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rhythm.core.aist import CAMERAS
from rhythm.core.errors import RhythmInputError
from rhythm.core.io import write_json, write_pickle
from rhythm.people.formats.alphapose import ALPHAPOSE_LAYOUTS, read_alphapose, write_alphapose
from rhythm.people.formats.common import NUM_KEYPOINTS, Detections, Person, frame_number
from rhythm.people.formats.mmpose import MMPOSE_LAYOUTS, read_mmpose, write_mmpose
from rhythm.people.formats.openpose import (
    OPENPOSE_DEFAULT_MODEL,
    OPENPOSE_MODELS,
    OPENPOSE_VERSION,
    openpose_file_name,
    read_openpose,
    write_openpose,
)
from rhythm.people.tracking import TrackOptions, track_people

FORMATS = ("alphapose", "openpose", "mmpose")
PEOPLE = ("best", "all")
FPS = 60.0


# ----------------------------------------------------------------------------- dispatch


def read_detections(
    source: str | Path | Sequence[str | Path],
    fmt: str,
    *,
    first_frame_number: int | None = None,
    openpose_model: str | None = None,
) -> Detections:
    """Read ``source`` in ``fmt`` (alphapose, openpose or mmpose)."""
    if fmt == "alphapose":
        return read_alphapose(_single(source), first_frame_number or 0)
    if fmt == "openpose":
        return read_openpose(source, openpose_model, first_frame_number or 0)
    if fmt == "mmpose":
        return read_mmpose(_single(source), first_frame_number)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def _single(source: str | Path | Sequence[str | Path]) -> Path:
    if isinstance(source, (str, Path)):
        return Path(source)
    if len(source) != 1:
        raise ValueError("this format is one file (or folder) per camera")
    return Path(source[0])


# ----------------------------------------------------------------------------- identities


@dataclass
class People:
    """Who is who: ``index[n][t]`` is person ``n``'s entry in ``frames[t]``, -1 where absent."""

    index: list[np.ndarray]
    method: str  # "single", "tool ids" or "tracked"
    report: dict = field(default_factory=dict)

    def total_scores(self, detections: Detections) -> list[float]:
        return [sum(detections.frames[t][i].score for t, i in enumerate(idx) if i >= 0) for idx in self.index]

    def best(self, detections: Detections) -> int:
        """The person with the highest total score (frames seen x mean score)."""
        totals = self.total_scores(detections)
        return int(np.argmax(totals))


def find_people(detections: Detections, options: TrackOptions = TrackOptions(), fps: float = FPS) -> People:
    """Identities through time (see the module docstring: one at a time, the tool's ids, or the tracker)."""
    frames = detections.frames
    if detections.max_people <= 1:
        index = np.array([0 if people else -1 for people in frames], dtype=np.int64)
        return People([index] if (index >= 0).any() else [], "single")
    if _tool_ids_consistent(frames):
        return _people_by_tool_ids(frames, options)
    return _people_by_tracking(frames, options, fps)


def _tool_ids_consistent(frames: list[list[Person]]) -> bool:
    """Every person has a tool id and no id appears twice in a frame."""
    for people in frames:
        ids = [p.track_id for p in people]
        if any(i is None for i in ids) or len(set(ids)) != len(ids):
            return False
    return True


def _tool_id(person: Person) -> int:
    if person.track_id is None:  # callers check _tool_ids_consistent first
        raise ValueError("a person without a tool id")
    return person.track_id


def _people_by_tool_ids(frames: list[list[Person]], options: TrackOptions) -> People:
    ids = sorted({_tool_id(p) for people in frames for p in people})
    index = {tid: np.full(len(frames), -1, dtype=np.int64) for tid in ids}
    for t, people in enumerate(frames):
        for i, p in enumerate(people):
            index[_tool_id(p)][t] = i
    totals = {tid: sum(frames[t][i].score for t, i in enumerate(idx) if i >= 0) for tid, idx in index.items()}
    kept = sorted(ids, key=lambda tid: -totals[tid])[: options.max_people]
    ordered = sorted(kept, key=lambda tid: _order_key(frames, index[tid], options.order))
    return People(
        [index[tid] for tid in ordered],
        "tool ids",
        {"tool_ids": [int(tid) for tid in ordered], "tool_ids_dropped": len(ids) - len(kept)},
    )


def _order_key(frames: list[list[Person]], idx: np.ndarray, order: str) -> tuple[float, float]:
    """The tracker's slot order: first frame then leftmost box centre, or mean box centre (order="x")."""
    seen = np.flatnonzero(idx >= 0)
    centres = [float(np.mean(frames[t][idx[t]].detection().box[[0, 2]])) for t in seen]
    if order == "x":
        return float(np.mean(centres)), float(seen[0])
    return float(seen[0]), centres[0]


def _people_by_tracking(frames: list[list[Person]], options: TrackOptions, fps: float) -> People:
    result = track_people([[p.detection() for p in people] for people in frames], options, fps)
    index = [
        result.detection_index[:, n].copy()
        for n in range(result.detection_index.shape[1])
        if (result.detection_index[:, n] >= 0).any()
    ]
    return People(index, "tracked", {"tracking": result.report})


# ----------------------------------------------------------------------------- keypoints2d


def timestamps(num_frames: int, fps: float = FPS) -> np.ndarray:
    """AIST++ timestamps: microseconds of each frame, ``round(i * 1e6 / fps)``, int64."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    return np.round(np.arange(num_frames) * 1e6 / fps).astype(np.int64)


def empty_keypoints2d(num_views: int, num_frames: int, fps: float = FPS) -> dict:
    """A keypoints2d with nobody: NaN x, y, score 0, det_scores 0."""
    kp = np.zeros((num_views, num_frames, NUM_KEYPOINTS, 3), np.float32)
    kp[..., :2] = np.nan
    return {
        "keypoints2d": kp,
        "det_scores": np.zeros((num_views, num_frames), np.float32),
        "timestamps": timestamps(num_frames, fps),
    }


def person_keypoints2d(detections: Detections, index: np.ndarray, fps: float = FPS, frames: int | None = None) -> dict:
    """One person's keypoints2d ``(1, T, 17, 3)``: their detection in each frame, copied as read."""
    count = _frame_count(detections, frames)
    out = empty_keypoints2d(1, count, fps)
    for t, i in enumerate(index):
        if i >= 0:
            person = detections.frames[t][i]
            out["keypoints2d"][0, t] = person.keypoints
            out["det_scores"][0, t] = person.score
    return out


def _frame_count(detections: Detections, frames: int | None) -> int:
    if frames is None:
        return detections.num_frames
    if frames < detections.num_frames:
        raise RhythmInputError(
            detections.source,
            f"has frames up to {detections.num_frames - 1}, more than the {frames} frames asked for (--frames)",
        )
    return frames


def to_keypoints2d(
    detections: Detections,
    people: str = "best",
    fps: float = FPS,
    options: TrackOptions = TrackOptions(),
    frames: int | None = None,
) -> list[dict]:
    """AIST++ keypoints2d dicts ``(1, T, 17, 3)``: the best person (a list of one) or everyone, in order."""
    return _to_keypoints2d(detections, people, fps, options, frames)[0]


def _to_keypoints2d(
    detections: Detections, people: str, fps: float, options: TrackOptions, frames: int | None
) -> tuple[list[dict], dict]:
    if people not in PEOPLE:
        raise ValueError(f"people must be one of {PEOPLE}, not {people!r}")
    found = find_people(detections, options, fps)
    if not found.index:
        raise RhythmInputError(detections.source, _nobody(detections, options))
    chosen = [found.best(detections)] if people == "best" else list(range(len(found.index)))
    out = [person_keypoints2d(detections, found.index[n], fps, frames) for n in chosen]
    return out, _report(detections, found, chosen, out)


def _nobody(detections: Detections, options: TrackOptions) -> str:
    if not detections.num_detections:
        return "nobody in it: no person was detected in any frame"
    return (
        f"{detections.num_detections} detection(s), but the tracker kept nobody: a person must score at least "
        f"min_box_score {options.min_box_score:g} and be seen in min_hits {options.min_hits} frames, missing no "
        "two in a row (lower --min-hits or --min-box-score for short clips)"
    )


def _report(detections: Detections, found: People, chosen: list[int], out: list[dict]) -> dict:
    totals = found.total_scores(detections)
    persons = []
    for n, idx in enumerate(found.index):
        seen = np.flatnonzero(idx >= 0)
        persons.append(
            {
                "person": n,
                "written": n in chosen,
                "frames_seen": int(len(seen)),
                "first_frame": int(seen[0]),
                "last_frame": int(seen[-1]),
                "mean_score": round(totals[n] / len(seen), 4),
            }
        )
    return {
        "source": str(detections.source),
        "format": detections.fmt,
        "layout": detections.layout,
        "frames": int(out[0]["timestamps"].shape[0]),
        "frames_with_people": sum(1 for f in detections.frames if f),
        "detections": detections.num_detections,
        "max_people_per_frame": detections.max_people,
        "identities": found.method,
        "people_found": len(found.index),
        "people_written": len(chosen),
        "people": persons,
        **found.report,
    }


def stack_cameras(views: Mapping[str, dict], all_cameras: bool = False) -> dict:
    """Stack one-camera keypoints2d dicts {camera: (1, T_i, 17, 3)} into ``(V, T, 17, 3)``, cameras in
    order c01..c09, each padded to the longest T with NaN (score 0, det_scores 0).

    ``all_cameras``: nine views, the cameras not given NaN (what :func:`rhythm.core.aist.load_keypoints2d` reads).
    """
    unknown = sorted(set(views) - set(CAMERAS))
    if unknown:
        raise ValueError(f"unknown camera(s) {', '.join(unknown)}; AIST++ cameras are c01..c09")
    if not views:
        raise ValueError("no views to stack")
    longest = max(views.values(), key=lambda v: len(v["timestamps"]))
    count = len(longest["timestamps"])
    order = list(CAMERAS) if all_cameras else [c for c in CAMERAS if c in views]
    out = empty_keypoints2d(len(order), count)
    out["timestamps"] = np.asarray(longest["timestamps"], dtype=np.int64).copy()
    for v, camera in enumerate(order):
        if camera in views:
            _place_view(out, v, camera, views[camera])
    return out


def _place_view(out: dict, v: int, camera: str, view: dict) -> None:
    kp = np.asarray(view["keypoints2d"], dtype=np.float32)
    if kp.ndim != 4 or kp.shape[0] != 1 or kp.shape[2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"{camera}: keypoints2d {kp.shape}, expected one view (1, T, 17, 3)")
    n = kp.shape[1]
    if not np.array_equal(np.asarray(view["timestamps"]), out["timestamps"][:n]):
        raise ValueError(f"{camera}: its timestamps differ from the longest view's (another fps?)")
    out["keypoints2d"][v, :n] = kp[0]
    out["det_scores"][v, :n] = np.asarray(view["det_scores"], dtype=np.float32)[0]


def person_paths(out: str | Path, count: int) -> list[Path]:
    """``<out stem>_p0.pkl``, ``_p1`` ... next to ``out``."""
    out = Path(out)
    return [out.with_name(f"{out.stem}_p{n}{out.suffix or '.pkl'}") for n in range(count)]


def write_keypoints2d(
    out: str | Path,
    detections: Detections | Sequence[Detections],
    people: str = "best",
    fps: float = FPS,
    options: TrackOptions = TrackOptions(),
    frames: int | None = None,
    cameras: Sequence[str] | None = None,
    report_out: str | Path | None = None,
) -> tuple[list[Path], dict]:
    """Write AIST++ keypoints2d pickles; (paths written, report).

    One ``Detections`` without ``cameras``: a one-view file ``(1, T, 17, 3)``. With ``cameras`` (one
    per ``Detections``): a nine-view file, each import at its camera's place and the other cameras
    NaN, padded to the longest. ``people="best"`` writes ``out``; ``"all"`` writes
    ``<out stem>_p0.pkl``, ``_p1`` ... (one camera only: identities are not matched across cameras)
    and removes higher-numbered ones a previous run left.
    """
    imports = [detections] if isinstance(detections, Detections) else list(detections)
    _check_cameras(imports, cameras, people)
    results = [_to_keypoints2d(d, people, fps, options, frames) for d in imports]
    if cameras is None:
        outputs = results[0][0]
    else:
        outputs = [
            stack_cameras({c: r[0][n] for c, r in zip(cameras, results)}, all_cameras=True)
            for n in range(len(results[0][0]))
        ]
    paths = [Path(out)] if people == "best" else person_paths(out, len(outputs))
    for path, data in zip(paths, outputs):
        write_pickle(path, data)
    if people == "all":
        _remove_stale_people(Path(out), len(outputs))
    report = results[0][1] if cameras is None else {"cameras": {c: r[1] for c, r in zip(cameras, results)}}
    report["outputs"] = [str(p) for p in paths]
    if report_out is not None:
        write_json(report_out, report)
    return paths, report


def _check_cameras(imports: list[Detections], cameras: Sequence[str] | None, people: str) -> None:
    if cameras is None:
        if len(imports) != 1:
            raise ValueError("several imports need their cameras (c01..c09), one each")
        return
    if len(cameras) != len(imports):
        raise ValueError(f"{len(imports)} import(s) but {len(cameras)} camera(s); give one camera per import")
    bad = [c for c in cameras if c not in CAMERAS]
    if bad or len(set(cameras)) != len(cameras):
        raise ValueError(f"cameras must be distinct names among c01..c09, got {', '.join(cameras)}")
    if people == "all" and len(imports) > 1:
        raise ValueError("people=all takes one camera at a time: identities are not matched across cameras")


def _remove_stale_people(out: Path, count: int) -> None:
    pattern = re.compile(re.escape(out.stem) + r"_p(\d+)" + re.escape(out.suffix or ".pkl") + "$")
    for path in out.parent.glob(glob.escape(out.stem) + "_p*"):
        m = pattern.match(path.name)
        if m and int(m.group(1)) >= count:
            path.unlink(missing_ok=True)


__all__ = [
    "Detections",
    "Person",
    "People",
    "FORMATS",
    "PEOPLE",
    "read_alphapose",
    "read_openpose",
    "read_mmpose",
    "read_detections",
    "find_people",
    "to_keypoints2d",
    "person_keypoints2d",
    "stack_cameras",
    "write_keypoints2d",
    "write_alphapose",
    "write_openpose",
    "write_mmpose",
    "timestamps",
    "frame_number",
    "openpose_file_name",
    "person_paths",
    "NUM_KEYPOINTS",
    "ALPHAPOSE_LAYOUTS",
    "MMPOSE_LAYOUTS",
    "OPENPOSE_MODELS",
    "OPENPOSE_DEFAULT_MODEL",
    "OPENPOSE_VERSION",
]
