"""Foundations every stage stands on: the AIST++ formats and loaders (:mod:`aist`), skeletons and
rotations, ffmpeg and in-process decoding, atomic writes (:mod:`io`), the one error type
(:mod:`errors`) and the settings machinery (:mod:`options`). Nothing here knows about stages."""
