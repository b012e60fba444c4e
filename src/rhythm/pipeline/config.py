"""The workflow config: checked against ``workflow/schemas/config.schema.yaml``, gaps filled from it.

A config file given with ``--configfile`` stands alone: what it leaves out takes the schema's
default, never the demo config's (``config/config.yaml`` is read only when no file is given).
Mistakes are reported in a few lines: the key, its section, what was expected, and the closest
valid key for a misspelling, instead of the validator's dump of the whole config.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"
MAX_ERRORS = 3  # one line each, plus a header and an "and N more" line: at most 5 lines


class ConfigError(Exception):
    """An invalid workflow config; ``str()`` is the whole message, a few lines long."""


def load_schema(path: str | Path = SCHEMA) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def fill_defaults(config: dict, schema: dict) -> dict:
    """Set every missing key that has a default in ``schema``, recursively, in place; returns ``config``."""
    for key, sub in (schema.get("properties") or {}).items():
        if key not in config and "default" in sub:
            config[key] = copy.deepcopy(sub["default"])
        if isinstance(config.get(key), dict) and sub.get("type") == "object":
            fill_defaults(config[key], sub)
    return config


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "the top level"


def _short(value, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def describe(error) -> str:
    """One line for one jsonschema error."""
    where = _where(error.absolute_path)
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties") or {})
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else "?"
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed[:12])}"
        section = "at the top level" if not error.absolute_path else f"in section '{where}'"
        return f"unknown key '{key}' {section}; {hint}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    expected = schema.get("description")
    if error.validator == "enum" and isinstance(error.instance, str):
        close = difflib.get_close_matches(error.instance, [str(v) for v in schema["enum"]], n=1, cutoff=0.5)
        if close:
            return (
                f"{where}: {_short(error.instance)} is not valid: did you mean '{close[0]}'? (one of {schema['enum']})"
            )
    what = {
        "type": f"expected {schema.get('type')}",
        "enum": f"expected one of {schema.get('enum')}",
        "minimum": f"expected at least {schema.get('minimum')}",
        "maximum": f"expected at most {schema.get('maximum')}",
        "exclusiveMinimum": f"expected more than {schema.get('exclusiveMinimum')}",
        "pattern": f"expected a value matching {schema.get('pattern')}",
    }.get(error.validator, error.message)
    line = f"{where}: {_short(error.instance)} is not valid: {what}"
    if expected and error.validator not in ("enum",):
        line += f" ({expected[:80]})"
    return line


def check_config(config: dict, schema: dict | None = None, source: str = "config") -> dict:
    """Fill defaults, then validate; raise :class:`ConfigError` with at most 5 lines. Returns ``config``."""
    import jsonschema

    schema = schema or load_schema()
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: expected a mapping of settings, found {type(config).__name__}")
    fill_defaults(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if not errors:
        return config
    lines = [f"{source}: {len(errors)} problem(s) (every key is described in workflow/schemas/config.schema.yaml)"]
    lines += [f"  {describe(e)}" for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append(f"  ... and {len(errors) - MAX_ERRORS} more")
    raise ConfigError("\n".join(lines))


def load_config(path: str | Path, schema: dict | None = None) -> dict:
    """A config file on its own, with the schema's defaults (as the workflow reads ``--configfile``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file ({exc})") from None
    return check_config(data, schema, source=str(path))
