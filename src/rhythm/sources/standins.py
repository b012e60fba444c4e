"""A stand-in AIST++ tree at full size: the real layout and naming, empty files, no data.

For dry runs and scheduling questions at the scale of the real dataset (1,408 sequences, 12,670
videos) on a machine without it: ``snakemake -n`` only needs the files to exist. The names follow
AIST++'s scheme (10 genres, dancers, basic and advanced choreographies, music ``m<G><0-5>``) and
include the two real sequences with known bad views, so that the exclusions of config/aistpp.yaml
apply; they are not the official list, which cannot be downloaded here.

    rhythm standins /tmp/aistpp-standin --videos 12670
"""

from __future__ import annotations

from pathlib import Path

from rhythm.core import aist
from rhythm.core.io import write_text

NUM_SEQUENCES = 1408
NUM_VIDEOS = 12670  # 1,408 x 9 views, less two views that do not exist
KNOWN_SEQUENCES = ("gBR_sBM_cAll_d04_mBR0_ch01", "gJB_sBM_cAll_d07_mJB3_ch05")  # the known bad views' sequences


def standin_sequences(count: int = NUM_SEQUENCES) -> list[str]:
    """``count`` distinct, valid AIST++ sequence names, spread over the ten genres like the real set."""
    names: list[str] = list(KNOWN_SEQUENCES)
    genres = list(aist.GENRES)
    k = 0
    while len(names) < count:
        genre = genres[k % len(genres)]
        i = k // len(genres)  # the i-th sequence of this genre
        dancer = 1 + (genres.index(genre) * 3 + i % 3) % 30  # three dancers per genre
        situation, choreo = ("sBM", 1 + (i // 3) % 20) if i < 120 else ("sFM", 21 + (i - 120))
        music = f"m{genre[1:]}{(i // 3) % 6}"
        name = f"{genre}_{situation}_cAll_d{dancer:02d}_{music}_ch{choreo:02d}"
        if name not in names:
            names.append(name)
        k += 1
    return names


def write_standin_tree(out: str | Path, num_videos: int = NUM_VIDEOS) -> dict:
    """Write ``<out>/annotations`` (empty pickles, real split, ignore and mapping files) and ``<out>/videos``.

    ``num_videos`` picks the size: whole sequences, nine views each, cut to that many videos.
    """
    out = Path(out)
    anno, videos_dir = out / "annotations", out / "videos"
    sequences = standin_sequences(min(NUM_SEQUENCES, -(-num_videos // 9)))
    videos = [v for s in sequences for v in aist.video_names(s)][:num_videos]
    for sub in ("keypoints2d", "keypoints3d", "motions", "splits", "cameras"):
        (anno / sub).mkdir(parents=True, exist_ok=True)
    for seq in sequences:
        for path in (aist.keypoints2d_path(anno, seq), aist.keypoints3d_path(anno, seq), aist.motion_path(anno, seq)):
            path.touch()
    videos_dir.mkdir(parents=True, exist_ok=True)
    for video in videos:
        (videos_dir / f"{video}.mp4").touch()
    # pose splits by dancer (train d01-d20, val d21-d25, test d26-d30); crossmodal by position, as sizes only
    by_dancer = {"pose_train": range(1, 21), "pose_val": range(21, 26), "pose_test": range(26, 31)}
    for split, dancers in by_dancer.items():
        members = [s for s in sequences if int(aist.parse_name(s).dancer[1:]) in dancers]
        write_text(anno / "splits" / f"{split}.txt", "".join(f"{s}\n" for s in members))
    n = len(sequences)
    cut = {
        "crossmodal_test": sequences[: max(1, n // 70)],
        "crossmodal_val": sequences[n // 70 : 2 * max(1, n // 70)],
        "crossmodal_train": sequences[2 * max(1, n // 70) :],
    }
    for split, members in cut.items():
        write_text(anno / "splits" / f"{split}.txt", "".join(f"{s}\n" for s in members))
    write_text(anno / "ignore_list.txt", "".join(f"{s}\n" for s in sequences[7::31]))
    write_text(anno / "cameras" / "mapping.txt", "".join(f"{s} setting{1 + i % 10}\n" for i, s in enumerate(sequences)))
    for k in range(1, 11):
        (anno / "cameras" / f"setting{k}.json").touch()
    return {"sequences": len(sequences), "videos": len(videos), "anno_dir": str(anno), "video_dir": str(videos_dir)}
