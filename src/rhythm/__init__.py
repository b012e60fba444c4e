"""Rhythm: AIST++ and music-to-dance data preparation as one Snakemake workflow."""

__version__ = "0.1.0"
