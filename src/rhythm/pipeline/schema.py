"""The config schema's settings, written from the stages' option dataclasses.

``workflow/schemas/config.schema.yaml`` is the one reference of every config key. The keys that are
a stage's settings live in that stage's options dataclass (:mod:`rhythm.core.options`): their type,
bounds, default and description are written into the schema between markers::

    # BEGIN generated from rhythm.video.frames.FrameOptions (python -m rhythm.pipeline.schema --write)
    ...
    # END generated

Keys that only steer the workflow (which cameras, which splits, on/off switches) are written by
hand beside them. ``python -m rhythm.pipeline.schema --check`` (a test runs it) fails when a block
is out of date, so a default is changed in one line, in its dataclass, and then written here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

from rhythm.core.options import schema_properties
from rhythm.pipeline.config import SCHEMA

_BLOCK = re.compile(
    r"(?m)^(?P<indent>[ \t]*)# BEGIN generated from (?P<cls>[\w.]+).*\n(?P<body>(?:.*\n)*?)"
    r"(?P=indent)# END generated\n"
)


def options_class(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def render(cls, indent: str) -> str:
    """One YAML flow mapping (JSON, which YAML reads) per config setting of ``cls``."""
    return "".join(
        f"{indent}{name}: {json.dumps(entry, ensure_ascii=False)}\n" for name, entry in schema_properties(cls).items()
    )


def regenerate(text: str) -> str:
    def block(m: re.Match) -> str:
        indent = m.group("indent")
        head = m.group(0).splitlines(keepends=True)[0]
        return head + render(options_class(m.group("cls")), indent) + f"{indent}# END generated\n"

    return _BLOCK.sub(block, text)


def generated_classes(text: str) -> list[str]:
    return [m.group("cls") for m in _BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", default=str(SCHEMA), help="the schema file")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="fail when a generated block is out of date")
    action.add_argument("--write", action="store_true", help="rewrite the generated blocks")
    args = parser.parse_args(argv)
    path = Path(args.schema)
    text = path.read_text()
    new = regenerate(text)
    if args.write:
        path.write_text(new)
        print(f"{path}: {len(generated_classes(new))} generated blocks written")
        return 0
    if new != text:
        print(
            f"{path}: generated blocks are out of date: run python -m rhythm.pipeline.schema --write", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
