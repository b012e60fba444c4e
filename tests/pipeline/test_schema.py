"""Each setting once: the config schema's settings are its stages' option dataclasses, field for field."""

from __future__ import annotations

import re

import yaml

from rhythm.core.options import schema_properties
from rhythm.pipeline import schema as schema_tool
from rhythm.pipeline.config import SCHEMA

# Keys written by hand in the schema: they steer the workflow (which data, which splits, switches)
# and belong to no stage's options. A new setting goes into its stage's dataclass instead.
WORKFLOW_KEYS = {
    "": {"dataset"},
    "demo": {"enabled"},
    "data": {
        "anno_dir",
        "video_dir",
        "music_dir",
        "on_missing_video",
        "keypoints2d_source",
        "detections_dir",
        "on_missing_annotations",
    },
    "selection": {"splits", "genres", "cameras", "exclude_videos", "limit"},
    "download": {"enabled", "accept_terms_of_use"},
    "frames": {"coco_frames_only"},
    "coco": {"splits"},
    "overlays": {"cameras", "max_videos"},
    "features": {"fps"},
    "audio2pose": {"enabled", "camera"},
    "poses": {"smpl"},
    "reconstruction": {"enabled", "sequences", "max_sequences"},
    "reconstruction.triangulation": {"cameras"},
    "reconstruction.calibration": {"enabled", "initial_dir", "max_sequences"},
    "reconstruction.fitting": {"enabled", "source", "optim", "smpl_model", "gender"},
    "landmarks": {"enabled", "placement", "keypoints", "cameras", "max_videos", "manifest"},
    "rtmpose": {"enabled", "run", "infer_max_videos"},
    "browser": {"enabled", "copy_media", "screenshots"},
}
_BLOCK = re.compile(r"(?m)^[ \t]*# BEGIN generated from (?P<cls>[\w.]+)")


def _sections(node: dict, path: str = ""):
    props = node.get("properties") or {}
    yield path, props
    for key, value in props.items():
        if isinstance(value, dict) and value.get("type") == "object" and "properties" in value:
            yield from _sections(value, f"{path}.{key}".lstrip("."))


def test_generated_blocks_are_up_to_date():
    assert schema_tool.main(["--check"]) == 0


def test_every_schema_setting_is_a_dataclass_field_or_a_declared_workflow_key():
    text = SCHEMA.read_text()
    schema = yaml.safe_load(text)
    classes = [schema_tool.options_class(m.group("cls")) for m in _BLOCK.finditer(text)]
    assert len(classes) >= 20
    generated = {cls: schema_properties(cls) for cls in classes}
    unplaced = set(classes)
    for path, props in _sections(schema):
        settings = {
            k for k, v in props.items() if not (isinstance(v, dict) and v.get("type") == "object" and "properties" in v)
        }
        from_classes = set()
        for cls, entries in generated.items():
            if entries and set(entries) <= settings and all(props[k] == v for k, v in entries.items()):
                from_classes |= set(entries)  # types, bounds, choices, defaults and descriptions equal
                unplaced.discard(cls)
        assert settings - from_classes == WORKFLOW_KEYS.get(path, set()), path
    assert not unplaced, f"dataclasses whose settings the schema does not hold: {unplaced}"


def test_a_default_changed_in_its_dataclass_changes_the_schema(monkeypatch):
    from rhythm.video.frames import FrameOptions

    text = SCHEMA.read_text()
    field = FrameOptions.__dataclass_fields__["quality"]
    monkeypatch.setattr(field, "default", 90)
    new = schema_tool.regenerate(text)
    assert new != text and '"default": 90' in new and '"default": 95' in text
