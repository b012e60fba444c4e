"""The rhythm command: one subcommand per pipeline stage, usable with or without Snakemake.

Each subcommand parses its arguments and calls one library function; the Snakemake rules call
these subcommands. ``rhythm <stage> --help`` describes each.
"""

from __future__ import annotations

import argparse
import sys

from rhythm import __version__
from rhythm.core.errors import RhythmInputError

# The subcommands, stage by stage; each stage's cli module registers its own.
STAGES = (
    "rhythm.sources.cli",
    "rhythm.pipeline.cli",
    "rhythm.video.cli",
    "rhythm.audio.cli",
    "rhythm.motion.cli",
    "rhythm.reconstruction.cli",
    "rhythm.people.cli",
    "rhythm.landmarks.cli",
    "rhythm.rtmpose.cli",
    "rhythm.model.cli",
    "rhythm.browser.cli",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="rhythm", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rhythm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in STAGES:
        importlib.import_module(module).register(sub)
    return parser


# Optional stacks: the module a failed import names -> how to install it.
INSTALL_HINTS = {
    **dict.fromkeys(
        ("mmcv", "mmpose", "mmdet", "mmengine", "xtcocotools"),
        "the OpenMMLab stack: run `make setup-openmmlab` (envs/install-openmmlab.sh)",
    ),
    "torch": "PyTorch: pip install -e '.[model]' (the CPU build: pip install torch==2.13.0 first)",
    "onnxruntime": "onnxruntime: pip install -e '.[landmarks]'",
    "onnx": "onnx: pip install -e '.[landmarks]'",
    "smplx": "smplx: pip install smplx",
    "snakemake_executor_plugin_slurm": "the SLURM plugin: pip install -e '.[slurm]'",
    "selenium": "Selenium for the browser's screenshots: pip install -e '.[browser]' (and chromium, chromium-driver)",
}


def describe_error(exc: BaseException) -> str:
    """One line for an expected failure: ``<file>: <what is wrong>; <what to do>``."""
    from rhythm.pipeline.config import ConfigError

    if isinstance(exc, (RhythmInputError, ConfigError)):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        hint = INSTALL_HINTS.get(top, f"pip install {top}")
        return f"{top} is not installed; install {hint}"
    if isinstance(exc, OSError) and exc.filename:
        by_errno: dict[int | None, str] = {
            13: "permission denied; choose a writable location",
            28: "no space left on the device",
            2: "not found",
            20: "a file stands where a folder is needed",
            21: "is a folder, not a file",
            17: "already exists",
        }
        what = by_errno.get(exc.errno, exc.strerror or type(exc).__name__)
        return f"{exc.filename}: {what}"
    return f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


def _interrupt(signum, frame):  # SIGTERM (Snakemake, SLURM) unwinds like Ctrl-C: partial outputs are removed
    raise KeyboardInterrupt


def _add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on every subcommand (and nested action), as well as before the command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "--debug" not in sub._option_string_actions:
                    sub.add_argument(
                        "--debug",
                        action="store_true",
                        default=argparse.SUPPRESS,
                        help="show the full traceback of an error (also RHYTHM_DEBUG=1)",
                    )
                _add_debug_flag(sub)


def main(argv: list[str] | None = None) -> int:
    import os
    import signal

    parser = build_parser()
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an error (also RHYTHM_DEBUG=1)"
    )
    _add_debug_flag(parser)
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("RHYTHM_DEBUG", "") not in ("", "0")
    prog = " ".join(["rhythm", args.command] + ([args.models_command] if getattr(args, "models_command", None) else []))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted; partial outputs removed", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every expected failure becomes one line
        if debug:
            raise
        print(f"{prog}: error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse-style exits from handlers: keep their message
        if isinstance(exc.code, str):
            print(exc.code if exc.code.startswith("rhythm") else f"{prog}: error: {exc.code}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
