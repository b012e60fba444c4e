"""Source videos: checked once, then linked into ``results/<dataset>/videos/``."""

from __future__ import annotations

import os
from pathlib import Path

from rhythm.core.errors import RhythmInputError
from rhythm.core.ffmpeg import VideoInfo, probe_video


def link_video(source: str | Path, dest: str | Path) -> VideoInfo:
    """Check that ``source`` is a readable video, then symlink ``dest`` to it (atomically)."""
    source, dest = Path(source), Path(dest)
    info = probe_video(source)
    if info.num_frames == 0:
        raise RhythmInputError(source, "the video has no frames")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.unlink(missing_ok=True)
    os.symlink(source.resolve(), tmp)
    os.replace(tmp, dest)
    return info
