# Rhythm: AIST++ to everything a music-to-dance researcher needs, as one Snakemake DAG.
# Stages live in workflow/rules/*.smk; each rule calls one `rhythm` subcommand (src/rhythm/).
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


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
include: "workflow/rules/report.smk"
include: "workflow/rules/model.smk"


rule all:
    input:
        all_targets(),
    default_target: True
