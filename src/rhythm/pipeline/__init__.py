"""The workflow's plan, in tested Python: the config, what a run builds, and the selection of data.

The Snakefile and ``workflow/rules/common.smk`` call this package; nothing here needs Snakemake.
"""
