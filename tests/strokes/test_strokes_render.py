"""Vector mode draws lines as wide as the keys': the renderer's widths, and the fitted width of traced keys."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.strokes.model import Drawing, Stroke
from nakawari.strokes.raster import sketch_keys, vectorize_keys
from nakawari.strokes.render import render_coverage
from nakawari.synth import articulated_suite
from nakawari.synth.variants import pencil


def _line(width: float, length: float = 900.0) -> Drawing:
    points = np.stack([np.linspace(50.0, 50.0 + length, 60), np.linspace(100.0, 104.0, 60)], axis=1)
    return Drawing([Stroke(points, width=np.full(60, width))])


@pytest.mark.parametrize("width", [1.0, 1.5, 2.0, 2.3, 3.0, 4.2, 6.0])
def test_a_line_covers_its_width(width: float) -> None:
    """Ink per unit of length is the stroke's width, within the renderer's half-pixel steps (OpenCV alone
    draws anti-aliased lines only about 1.4, 3.4, 5.4 … px wide)."""
    coverage = render_coverage(_line(width), (1000, 200))
    across = float(coverage.sum()) / 900.0
    assert abs(across - width) <= 0.3, across


def test_rendering_stays_in_the_frame_and_keeps_sub_pixel_positions() -> None:
    """A stroke partly outside the frame is clipped, not shifted; a quarter-pixel move moves the ink."""
    half_out = Drawing([Stroke(np.array([[-50.0, 20.0], [60.0, 20.0]]), width=np.full(2, 2.0))])
    coverage = render_coverage(half_out, (100, 40))
    assert coverage[20, :55].min() > 0.9 and coverage[:17].max() == 0.0 and coverage[24:].max() == 0.0
    rows = np.arange(40, dtype=np.float64)
    centres = []
    for y in (20.0, 20.25):
        line = render_coverage(Drawing([Stroke(np.array([[10.0, y], [90.0, y]]), width=np.full(2, 2.0))]), (100, 40))
        centres.append(float((line[:, 50] * rows).sum() / line[:, 50].sum()))
    assert 0.15 < centres[1] - centres[0] < 0.35


@pytest.mark.parametrize(("thickness", "line_type"), [(2, cv2.LINE_8), (3, cv2.LINE_8), (2, cv2.LINE_AA)])
def test_traced_keys_are_redrawn_at_their_own_weight(thickness: int, line_type: int) -> None:
    """Keys drawn with lines of several weights, hard-edged (inked and scanned) or anti-aliased, come back
    from vectorising with the ink they had (not a whole OpenCV step lighter or heavier)."""
    canvas = np.full((240, 320), 255, np.uint8)
    cv2.ellipse(canvas, (160, 120), (90, 60), 0, 0, 300, 0, thickness, line_type)
    cv2.line(canvas, (40, 210), (280, 190), 0, thickness, line_type)
    key = np.dstack([np.repeat((canvas / 255.0)[..., None], 3, axis=2), np.ones(canvas.shape)]).astype(np.float32)
    prepared = vectorize_keys([key, key])
    redrawn = render_coverage(prepared.drawings[0], (320, 240))
    ink = 1.0 - canvas / 255.0
    assert abs(float(redrawn.sum()) / float(ink.sum()) - 1.0) < 0.15


def test_grain_read_as_ink_does_not_fatten_the_lines() -> None:
    """Pencil on grainy paper: the grain adds to the ink the widths are fitted to, and must not push the fitted
    width past the lines' measured one (it once took 5 px lines to 35 px)."""
    case = pencil(articulated_suite((480, 270), n_cases=1, seed=102)[0], seed=102)
    sketch = sketch_keys(case.keys)
    prepared = vectorize_keys(case.keys, sketch=sketch)
    for width, measured in zip(prepared.widths, sketch.measured):
        assert width <= np.ceil(measured) + 1.0
