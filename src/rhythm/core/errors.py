"""The one exception type Rhythm raises for bad input: it always names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class RhythmInputError(Exception):
    """Bad or missing input. ``str(err)`` reads ``<path>: <problem>``."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")
