"""The dance model: music in, 3D dance out.

A music-conditioned diffusion transformer on the SMPL skeleton (see docs/model.md):

* :mod:`~rhythm.model.config`: the ``model:`` settings;
* :mod:`~rhythm.model.representation`: dance <-> vectors (root + 6D rotations + foot contacts);
* :mod:`~rhythm.model.data`: training windows with time-stretch augmentation;
* :mod:`~rhythm.model.network`: the denoising transformer;
* :mod:`~rhythm.model.diffusion`: noise schedule and the long-song sampler;
* :mod:`~rhythm.model.losses`: the training objective;
* :mod:`~rhythm.model.checkpoint`: checkpoints and the loaded model;
* :mod:`~rhythm.model.train`, :mod:`~rhythm.model.generate`, :mod:`~rhythm.model.evaluate`: the three stages.
"""
