"""The AIST++ data layer: names, music tempo, and loaders for every annotation file.

Plain functions whose names say what they load, in the spirit of the official AIST++ API. Every
loader validates what it reads and raises :class:`~rhythm.core.errors.RhythmInputError` naming the file.

Layout of an annotation directory::

    <anno_dir>/keypoints2d/<seq>.pkl   keypoints2d (9, N, 17, 3), det_scores (9, N), timestamps (N,)
    <anno_dir>/keypoints3d/<seq>.pkl   keypoints3d, keypoints3d_optim (N, 17, 3), centimetres
    <anno_dir>/motions/<seq>.pkl       smpl_poses (N, 72), smpl_trans (N, 3), smpl_scaling (1,)
    <anno_dir>/cameras/setting<k>.json + mapping.txt
    <anno_dir>/splits/{pose,crossmodal}_{train,val,test}.txt
    <anno_dir>/ignore_list.txt
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import read_json, read_pickle

FPS = 60
GENRES = {
    "gBR": "Break",
    "gPO": "Pop",
    "gLO": "Lock",
    "gMH": "Middle Hip-hop",
    "gLH": "LA-style Hip-hop",
    "gHO": "House",
    "gWA": "Waack",
    "gKR": "Krump",
    "gJS": "Street Jazz",
    "gJB": "Ballet Jazz",
}
SITUATIONS = {"sBM": "basic", "sFM": "advanced"}
CAMERAS = tuple(f"c{i:02d}" for i in range(1, 10))
SPLITS = tuple(f"{kind}_{part}" for kind in ("pose", "crossmodal") for part in ("train", "val", "test"))

_NAME_RE = re.compile(
    r"^(?P<genre>g[A-Z]{2})_(?P<situation>s[A-Z]{2})_(?P<camera>c(?:\d{2}|All))_"
    r"(?P<dancer>d\d{2})_(?P<music>m[A-Z]{2}\d)_(?P<choreo>ch\d{2})$"
)


@dataclass(frozen=True)
class AistName:
    """A parsed AIST++ video name (``c01``-``c09``) or sequence name (``cAll``)."""

    genre: str
    situation: str
    camera: str
    dancer: str
    music: str
    choreo: str

    @property
    def is_sequence(self) -> bool:
        return self.camera == "cAll"

    @property
    def sequence(self) -> str:
        """The annotation name: the camera field becomes ``cAll``."""
        return str(self.with_camera("cAll"))

    @property
    def genre_name(self) -> str:
        return GENRES[self.genre]

    @property
    def bpm(self) -> int:
        return music_bpm(self.music)

    def with_camera(self, camera: str) -> AistName:
        return AistName(self.genre, self.situation, camera, self.dancer, self.music, self.choreo)

    def __str__(self) -> str:
        return "_".join((self.genre, self.situation, self.camera, self.dancer, self.music, self.choreo))


@functools.lru_cache(maxsize=65536)  # a full-size DAG asks for each of 12,670 names many times
def parse_name(name: str) -> AistName:
    """Parse ``gBR_sBM_c01_d04_mBR0_ch01`` (or its ``cAll`` sequence form); ``.pkl``/``.mp4`` allowed."""
    stem = Path(name.strip()).name
    for ext in (".pkl", ".mp4", ".json"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    m = _NAME_RE.match(stem)
    if m is None:
        raise ValueError(f"not an AIST++ name: {name!r} (expected like gBR_sBM_c01_d04_mBR0_ch01)")
    parts = m.groupdict()
    if parts["genre"] not in GENRES:
        raise ValueError(f"{name!r}: unknown genre {parts['genre']} (known: {', '.join(GENRES)})")
    if parts["situation"] not in SITUATIONS:
        raise ValueError(f"{name!r}: unknown situation {parts['situation']} (sBM or sFM)")
    if parts["camera"] != "cAll" and parts["camera"] not in CAMERAS:
        raise ValueError(f"{name!r}: camera must be c01-c09 or cAll")
    if parts["music"][1:3] != parts["genre"][1:3]:
        raise ValueError(f"{name!r}: music {parts['music']} does not belong to genre {parts['genre']}")
    return AistName(**parts)


def sequence_name(video: str) -> str:
    """``gBR_sBM_c01_d04_mBR0_ch01`` -> ``gBR_sBM_cAll_d04_mBR0_ch01``."""
    return parse_name(video).sequence


def video_names(sequence: str, cameras: tuple[str, ...] | list[str] = CAMERAS) -> list[str]:
    """The video names of a sequence for the given cameras."""
    name = parse_name(sequence)
    return [str(name.with_camera(c)) for c in cameras]


def music_bpm(music: str) -> int:
    """Tempo of an AIST music id: ``m<G><k>`` is 80 + 10k BPM, except House (mHO) 110 + 5k."""
    m = re.fullmatch(r"m([A-Z]{2})(\d)", music)
    if m is None or f"g{m.group(1)}" not in GENRES:
        raise ValueError(f"not an AIST music id: {music!r} (expected like mBR0)")
    k = int(m.group(2))
    if not 0 <= k <= 5:
        raise ValueError(f"{music!r}: AIST music index must be 0-5")
    return 110 + 5 * k if m.group(1) == "HO" else 80 + 10 * k


# ----------------------------------------------------------------------------- text lists


def read_name_list(path: str | Path) -> list[str]:
    """Names from a split or ignore list, tolerating blank lines, trailing spaces and ``.json``/``.pkl``."""
    path = Path(path)
    if not path.is_file():
        raise RhythmInputError(path, "list file not found")
    names = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        for ext in (".json", ".pkl", ".mp4"):
            if text.endswith(ext):
                text = text[: -len(ext)]
        try:
            parse_name(text)
        except ValueError as exc:
            raise RhythmInputError(path, f"line {lineno}: {exc}") from None
        names.append(text)
    return names


def load_split(anno_dir: str | Path, split: str) -> list[str]:
    """Sequence names of a split (``pose_train``, ``crossmodal_test``, ...)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    return read_name_list(Path(anno_dir) / "splits" / f"{split}.txt")


def load_ignore_list(anno_dir: str | Path) -> set[str]:
    path = Path(anno_dir) / "ignore_list.txt"
    return set(read_name_list(path)) if path.is_file() else set()


# ----------------------------------------------------------------------------- keypoints


def _require(path: Path, data: object, keys: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise RhythmInputError(path, f"expected a dict, found {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise RhythmInputError(path, f"missing key(s) {', '.join(missing)}; has {', '.join(map(str, data))}")
    return data


def keypoints2d_path(anno_dir: str | Path, sequence: str) -> Path:
    return Path(anno_dir) / "keypoints2d" / f"{sequence}.pkl"


def keypoints3d_path(anno_dir: str | Path, sequence: str) -> Path:
    return Path(anno_dir) / "keypoints3d" / f"{sequence}.pkl"


def motion_path(anno_dir: str | Path, sequence: str) -> Path:
    return Path(anno_dir) / "motions" / f"{sequence}.pkl"


@dataclass
class Keypoints2D:
    keypoints: np.ndarray  # (9, N, 17, 3): x, y, confidence in pixels
    det_scores: np.ndarray  # (9, N)
    timestamps: np.ndarray  # (N,) microseconds

    @property
    def num_frames(self) -> int:
        return self.keypoints.shape[1]

    def view(self, camera: str) -> np.ndarray:
        """Keypoints (N, 17, 3) of one camera, ``c01``..``c09``."""
        return self.keypoints[CAMERAS.index(camera)]


def best_person(keypoints: np.ndarray, det_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the highest-scoring detection per view and frame: (V, N, P, 17, 3) -> (V, N, 17, 3).

    Raw detector output can hold several people per frame, most of them "ghosts" (reflections,
    half-detected bystanders); the dancer is the detection with the highest score, as the original
    prep scripts' overlay script chose. Frames where every score is NaN keep NaN keypoints.
    """
    scores = np.where(np.isfinite(det_scores), det_scores, -np.inf)
    best = scores.argmax(axis=2)  # (V, N)
    kp = np.take_along_axis(keypoints, best[:, :, None, None, None], axis=2)[:, :, 0]
    det = np.take_along_axis(det_scores, best[:, :, None], axis=2)[:, :, 0]
    none = ~np.isfinite(scores).any(axis=2)
    kp[none] = np.nan
    return kp, det


def load_keypoints2d(path: str | Path) -> Keypoints2D:
    """keypoints2d (9, N, 17, 3); a file with several detections per frame, (9, N, P, 17, 3) with
    det_scores (9, N, P), is reduced to the best-scoring one per view and frame."""
    path = Path(path)
    data = _require(path, read_pickle(path), ("keypoints2d",))
    kp = np.asarray(data["keypoints2d"])
    if kp.ndim not in (4, 5) or kp.shape[0] != 9 or kp.shape[-2:] != (17, 3):
        raise RhythmInputError(path, f"keypoints2d has shape {kp.shape}, expected (9, N, 17, 3) or (9, N, P, 17, 3)")
    n = kp.shape[1]
    det = np.asarray(data.get("det_scores", np.ones(kp.shape[:-2], np.float32)))
    ts = np.asarray(data.get("timestamps", np.round(np.arange(n) * 1e6 / FPS).astype(np.int64)))
    if det.shape != kp.shape[:-2]:
        raise RhythmInputError(path, f"det_scores has shape {det.shape}, expected {kp.shape[:-2]}")
    if ts.shape != (n,):
        raise RhythmInputError(path, f"timestamps has shape {ts.shape}, expected ({n},)")
    if kp.ndim == 5:
        kp, det = best_person(kp.astype(np.float32), det.astype(np.float32))
    return Keypoints2D(kp.astype(np.float32, copy=False), det.astype(np.float32, copy=False), ts)


def load_keypoints3d(path: str | Path, optim: bool = False) -> np.ndarray:
    """Keypoints (N, 17, 3) in centimetres; ``optim=True`` reads ``keypoints3d_optim``."""
    path = Path(path)
    key = "keypoints3d_optim" if optim else "keypoints3d"
    data = _require(path, read_pickle(path), (key,))
    kp = np.asarray(data[key])
    if kp.ndim != 3 or kp.shape[1:] != (17, 3):
        raise RhythmInputError(path, f"{key} has shape {kp.shape}, expected (N, 17, 3)")
    return kp


def annotation_frames(anno_dir: str | Path, sequence: str) -> int | None:
    """Frames of a sequence's annotations (keypoints3d, else motions, else keypoints2d); None without any."""
    for path, key in (
        (keypoints3d_path(anno_dir, sequence), "keypoints3d"),
        (motion_path(anno_dir, sequence), "smpl_poses"),
        (keypoints2d_path(anno_dir, sequence), "keypoints2d"),
    ):
        if path.is_file():
            data = _require(path, read_pickle(path), (key,))
            arr = np.asarray(data[key])
            return int(arr.shape[1] if key == "keypoints2d" else arr.shape[0])
    return None


@dataclass
class Motion:
    poses: np.ndarray  # (N, 72) axis-angle, 24 joints
    trans: np.ndarray  # (N, 3), in the same units as keypoints3d (cm) before dividing by scaling
    scaling: float
    loss: float | None = None


def load_motion(path: str | Path) -> Motion:
    path = Path(path)
    data = _require(path, read_pickle(path), ("smpl_poses", "smpl_trans"))
    poses = np.asarray(data["smpl_poses"], dtype=np.float64)
    trans = np.asarray(data["smpl_trans"], dtype=np.float64)
    if poses.ndim != 2 or poses.shape[1] != 72:
        raise RhythmInputError(path, f"smpl_poses has shape {poses.shape}, expected (N, 72)")
    if trans.shape != (poses.shape[0], 3):
        raise RhythmInputError(path, f"smpl_trans has shape {trans.shape}, expected ({poses.shape[0]}, 3)")
    scaling = float(np.asarray(data.get("smpl_scaling", [1.0])).reshape(-1)[0])
    loss = data.get("smpl_loss")
    return Motion(poses, trans, scaling, None if loss is None else float(np.asarray(loss).reshape(-1)[0]))


# ----------------------------------------------------------------------------- cameras


@dataclass
class Camera:
    name: str
    size: tuple[int, int]  # width, height
    matrix: np.ndarray  # (3, 3)
    rotation: np.ndarray  # (3,) Rodrigues
    translation: np.ndarray  # (3,) world units (cm)
    distortions: np.ndarray  # (5,) k1, k2, p1, p2, k3

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points (..., 3) to pixels (..., 2), with lens distortion (OpenCV model)."""
        import cv2

        pts = np.asarray(points, dtype=np.float64)
        flat = pts.reshape(-1, 3)
        finite = np.isfinite(flat).all(axis=1)
        out = np.full((flat.shape[0], 2), np.nan)
        if finite.any():
            img, _ = cv2.projectPoints(flat[finite], self.rotation, self.translation, self.matrix, self.distortions)
            out[finite] = img.reshape(-1, 2)
        return out.reshape(*pts.shape[:-1], 2)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "size": list(self.size),
            "matrix": self.matrix.tolist(),
            "distortions": self.distortions.tolist(),
            "rotation": self.rotation.tolist(),
            "translation": self.translation.tolist(),
        }


def load_camera_setting(path: str | Path) -> dict[str, Camera]:
    """Cameras of one ``setting<k>.json``, keyed by name (``c01``..``c09``)."""
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, list) or not data:
        raise RhythmInputError(path, "expected a non-empty list of cameras")
    cams = {}
    for i, entry in enumerate(data):
        try:
            cam = Camera(
                name=str(entry["name"]),
                size=(int(entry["size"][0]), int(entry["size"][1])),
                matrix=np.asarray(entry["matrix"], dtype=np.float64).reshape(3, 3),
                rotation=np.asarray(entry["rotation"], dtype=np.float64).reshape(3),
                translation=np.asarray(entry["translation"], dtype=np.float64).reshape(3),
                distortions=np.asarray(entry["distortions"], dtype=np.float64).reshape(-1),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise RhythmInputError(path, f"camera {i} is malformed ({type(exc).__name__}: {exc})") from None
        cams[cam.name] = cam
    return cams


def load_camera_mapping(anno_dir: str | Path) -> dict[str, str]:
    """``cameras/mapping.txt``: sequence name -> setting name."""
    path = Path(anno_dir) / "cameras" / "mapping.txt"
    if not path.is_file():
        raise RhythmInputError(path, "camera mapping not found")
    mapping = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise RhythmInputError(path, f"line {lineno}: expected '<sequence> <setting>', got {line!r}")
        mapping[parts[0]] = parts[1]
    return mapping


def load_cameras(anno_dir: str | Path, sequence: str) -> dict[str, Camera]:
    """The cameras that filmed ``sequence`` (through mapping.txt)."""
    mapping = load_camera_mapping(anno_dir)
    seq = sequence_name(sequence)
    if seq not in mapping:
        raise RhythmInputError(Path(anno_dir) / "cameras" / "mapping.txt", f"no entry for {seq}")
    return load_camera_setting(Path(anno_dir) / "cameras" / f"{mapping[seq]}.json")
