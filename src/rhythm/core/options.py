"""Each setting once: a stage's options are one dataclass whose fields carry the default, the help
text and how the setting appears on the command line and in the workflow config.

* :func:`option` declares a field: ``quality: int = option(95, "JPEG quality ...", minimum=1, maximum=100)``.
* :func:`add_options` gives a subcommand one flag per field (``--quality``), with that help and default;
  :func:`from_args` builds the dataclass back from the parsed arguments.
* :func:`config_flags` turns the config's section into the same flags for a rule's shell line, so a
  rule passes every setting of its section and nothing is spelt twice.
* :func:`schema_properties` is what the config schema says of each field; ``workflow/schemas/``'s
  generated blocks are written from it (``python -m rhythm.pipeline.schema --write``) and a test
  checks they agree. Changing a default is a change of one line, in the dataclass.

Booleans take ``--flag`` (true), ``--flag true`` or ``--flag false``; ``None`` means "not set" and
is left out of the flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import types
import typing
from typing import Any


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    choices: tuple | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: float | None = None,
    flag: str | None = None,
    aliases: tuple[str, ...] = (),
    cli: bool = True,
    config: bool = True,
    default_factory: Any = dataclasses.MISSING,
    nargs: str | int | None = None,
    metavar: str | tuple | None = None,
    pattern: str | None = None,
    exclusive_maximum: float | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    unique_items: bool = False,
) -> Any:
    """A dataclass field that is also a command-line flag and a config key (see the module docstring).

    ``cli=False``: not a flag (set by code); ``config=False``: a flag only, not a config key (e.g. the
    number of threads a job has). ``flag``: the flag's name when it is not the field's. Bounds of a
    list field (``minimum`` ...) hold for each item; ``min_items``, ``max_items`` and ``unique_items``
    for the list.
    """
    meta = {
        "help": help,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "exclusive_minimum": exclusive_minimum,
        "flag": flag,
        "aliases": aliases,
        "cli": cli,
        "config": config,
        "nargs": nargs,
        "metavar": metavar,
        "pattern": pattern,
        "exclusive_maximum": exclusive_maximum,
        "min_items": min_items,
        "max_items": max_items,
        "unique_items": unique_items,
    }
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def boolean(text: str) -> bool:
    """argparse type: true/false, yes/no, on/off, 1/0."""
    if str(text).lower() in ("1", "true", "yes", "on"):
        return True
    if str(text).lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def _fields(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def _types(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _base(tp) -> tuple[Any, bool, bool]:
    """(the element type, is optional, is a sequence) of an annotation like ``int | None`` or ``tuple[str, ...]``."""
    optional = False
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0]
        origin = typing.get_origin(tp)
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return (args[0] if args else str), optional, True
    return tp, optional, False


def flag_name(f: dataclasses.Field) -> str:
    return "--" + (f.metadata.get("flag") or f.name.replace("_", "-"))


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def add_options(parser, cls, exclude: tuple[str, ...] = (), group: str | None = None) -> None:
    """One flag per command-line field of ``cls`` (``exclude``: fields the command sets itself)."""
    target = parser.add_argument_group(group) if group else parser
    hints = _types(cls)
    for f in _fields(cls):
        if not f.metadata["cli"] or f.name in exclude:
            continue
        tp, optional, many = _base(hints[f.name])
        default = _default(f)
        names = [flag_name(f), *f.metadata["aliases"]]
        help_text = f"{f.metadata['help']} (default: {_show(default)})"
        kwargs: dict[str, Any] = {"dest": f.name, "default": default, "help": help_text}
        if tp is bool:
            kwargs.update(type=boolean, nargs="?", const=True, metavar="BOOL")
        else:
            kwargs.update(type=tp)
            if f.metadata["choices"]:
                kwargs["choices"] = list(f.metadata["choices"])
                if many:  # a list of choices: one name for the lot in the usage line
                    kwargs["metavar"] = f.name.upper().rstrip("S")
            if many:
                kwargs["nargs"] = f.metadata["nargs"] or "+"
            if f.metadata["metavar"]:
                kwargs["metavar"] = f.metadata["metavar"]
        target.add_argument(*names, **kwargs)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def from_args(cls, args: argparse.Namespace, **overrides) -> Any:
    """``cls`` built from parsed arguments (fields without a flag keep their defaults) and ``overrides``."""
    hints = _types(cls)
    values = {}
    for f in _fields(cls):
        if f.name in overrides or not f.metadata["cli"] or not hasattr(args, f.name):
            continue
        value = getattr(args, f.name)
        _, _, many = _base(hints[f.name])
        values[f.name] = tuple(value) if many and value is not None else value
    return cls(**{**values, **overrides})


def from_config(cls, section: dict, **overrides) -> Any:
    """``cls`` built from a config section (its config keys; the others keep their defaults)."""
    hints = _types(cls)
    values = {}
    for f in _fields(cls):
        if f.metadata["config"] and f.name in section and f.name not in overrides:
            value = section[f.name]
            _, _, many = _base(hints[f.name])
            values[f.name] = tuple(value) if many and value is not None else value
    return cls(**{**values, **overrides})


def config_flags(cls, section: dict, exclude: tuple[str, ...] = ()) -> str:
    """The flags that pass a config section's settings of ``cls`` to its subcommand, shell-quoted."""
    parts = []
    for f in _fields(cls):
        if not (f.metadata["cli"] and f.metadata["config"]) or f.name in exclude or f.name not in section:
            continue
        value = section[f.name]
        if value is None:
            continue
        if isinstance(value, bool):
            parts.append(f"{flag_name(f)} {str(value).lower()}")
        elif isinstance(value, (list, tuple)):
            parts.append(f"{flag_name(f)} " + " ".join(shlex.quote(str(v)) for v in value))
        else:
            parts.append(f"{flag_name(f)} {shlex.quote(str(value))}")
    return " ".join(parts)


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def schema_properties(cls) -> dict[str, dict]:
    """What the config schema says of each config field of ``cls``: type, bounds, choices, default, description."""
    hints = _types(cls)
    out = {}
    for f in _fields(cls):
        if not f.metadata["config"]:
            continue
        tp, optional, many = _base(hints[f.name])
        entry: dict[str, Any] = {}
        json_type = _JSON_TYPES.get(tp, "string")
        item: dict[str, Any] = {"type": json_type}
        if many:
            entry["type"] = ["array", "null"] if optional else "array"
            entry["items"] = item
            if f.metadata["choices"]:
                item["enum"] = list(f.metadata["choices"])
            for key, name in (("min_items", "minItems"), ("max_items", "maxItems")):
                if f.metadata[key] is not None:
                    entry[name] = f.metadata[key]
            if f.metadata["unique_items"]:
                entry["uniqueItems"] = True
        else:
            entry["type"] = [json_type, "null"] if optional else json_type
            if f.metadata["choices"]:
                entry["enum"] = list(f.metadata["choices"]) + ([None] if optional else [])
        bounds = item if many else entry  # a list's bounds hold for each item
        for key, name in (
            ("minimum", "minimum"),
            ("maximum", "maximum"),
            ("exclusive_minimum", "exclusiveMinimum"),
            ("exclusive_maximum", "exclusiveMaximum"),
            ("pattern", "pattern"),
        ):
            if f.metadata[key] is not None:
                bounds[name] = f.metadata[key]
        default = _default(f)
        entry["default"] = list(default) if isinstance(default, tuple) else default
        if f.metadata["help"]:
            entry["description"] = f.metadata["help"]
        out[f.name] = entry
    return out
