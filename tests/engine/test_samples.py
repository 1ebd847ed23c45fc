"""The bundled demo keys are the project's own generator output, not hand-placed files."""
from __future__ import annotations

import numpy as np

from nakawari.image import read_image
from nakawari.synth.samples import SAMPLES_DIR, sample_keys


def test_committed_samples_match_the_generator() -> None:
    for name, rgba in sample_keys().items():
        committed = read_image(SAMPLES_DIR / name)
        assert committed.rgba.shape == rgba.shape, name
        assert np.abs(committed.rgba - rgba).max() <= 1.0 / 255 + 1e-6, name
