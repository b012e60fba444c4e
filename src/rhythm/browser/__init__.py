"""The dataset browser: static web pages over a run's outputs, opened from disk (docs/browser.md).

- :mod:`rhythm.browser.packing`: arrays as compact base64 int16 for the pages;
- :mod:`rhythm.browser.dataset`: the dataset page's table (one row per sequence, QA flags) and
  the sequence pages' data (skeletons, beats, cameras, 2D keypoints);
- :mod:`rhythm.browser.model_page`: a model run's generated dances beside the ground truth;
- :mod:`rhythm.browser.build`: writes a browser folder (pages, data as ``.js``, media links);
- :mod:`rhythm.browser.screenshots`: headless Chromium screenshots (tests, the Snakemake report).

The pages are plain HTML, CSS and JavaScript (``assets/``), no build step and no network: data
comes as ``<script>`` files because browsers forbid ``fetch`` of ``file://`` URLs.
"""
