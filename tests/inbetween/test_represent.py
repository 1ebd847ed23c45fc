"""Style analysis: line art versus coloured or toned cels decides how frames are fused."""
from __future__ import annotations

import numpy as np

from nakawari.inbetween.represent import analyse_keys
from nakawari.synth import articulated_suite, cel_suite


def test_cels_on_paper_are_cels_even_when_the_figure_is_small() -> None:
    for case in cel_suite((960, 540), n_cases=3, seed=0):
        assert not analyse_keys(case.keys).lineart, case.name


def test_thin_line_art_is_line_art() -> None:
    for case in articulated_suite((960, 540), n_cases=4, seed=0):
        if case.line_width <= 4:
            assert analyse_keys(case.keys).lineart, case.name


def test_grey_tone_fill_is_not_dropped_as_line_art() -> None:
    key = np.ones((200, 300, 4), np.float32)
    key[50:150, 50:150, :3] = 0.75   # a grey tone area
    key[48:52, 48:152, :3] = 0.0     # and a line
    assert not analyse_keys([key, key]).lineart
