# Rhythm: AIST++ to everything a music-to-dance researcher needs, as one Snakemake DAG.
# Stages live in workflow/rules/*.smk; each rule calls one `rhythm` subcommand (src/rhythm/).
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

from rhythm.pipeline.config import ConfigError, check_config, load_schema

min_version("9.0")


# The demo config only when no --configfile is given: a user's config stands alone, with the
# schema's defaults for what it leaves out (never the demo's values).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


try:
    check_config(
        config,
        load_schema(Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"),
        source=" ".join(map(str, workflow.config_settings.configfiles)) or "config/config.yaml",
    )
except ConfigError as exc:
    sys.exit(str(exc))
validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/video.smk"
include: "workflow/rules/coco.smk"
include: "workflow/rules/qa.smk"
include: "workflow/rules/audio.smk"
include: "workflow/rules/poses.smk"
include: "workflow/rules/reconstruct.smk"
include: "workflow/rules/landmarks.smk"
include: "workflow/rules/rtmpose.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/browser.smk"


rule all:
    default_target: True
    input:
        TARGETS.all(),
