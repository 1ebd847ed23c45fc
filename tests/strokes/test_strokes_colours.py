"""Per-point vertex colours and per-stroke fill colours travel with the strokes: blended between the keys at
corresponding points, kept by strokes without a partner, joined with pieces, read and written by the schema."""
from __future__ import annotations

import numpy as np
import pytest

from nakawari.errors import BadInput
from nakawari.strokes import Drawing, Stroke
from nakawari.strokes.interpolate import StrokeInbetweener
from nakawari.strokes.io import stroke_from_json, stroke_to_json

T = np.linspace(0.0, 1.0, 25)


def _line(x0: float, y0: float, colour_start: list[float], colour_end: list[float], *, backwards: bool = False,
          fill: list[float] | None = None) -> Stroke:
    points = np.c_[x0 + 120 * T, y0 + 10 * T]
    colour = np.outer(1 - T, colour_start) + np.outer(T, colour_end)
    if backwards:
        points, colour = points[::-1], colour[::-1]
    return Stroke(points, 3.0, 1.0, colour=colour, fill=fill)


def test_colours_blend_at_corresponding_points_whichever_way_a_key_is_drawn():
    red_to_green = _line(0, 0, [1, 0, 0, 1], [0, 1, 0, 1], fill=[1, 1, 1, 1])
    blue_to_white = _line(15, 5, [0, 0, 1, 1], [1, 1, 1, 1], backwards=True, fill=[0, 0, 0, 1])
    engine = StrokeInbetweener([Drawing([red_to_green]), Drawing([blue_to_white])], [0.0, 1.0])
    (stroke,) = engine.frame(0.25).drawing.strokes
    assert stroke.colour is not None and stroke.fill is not None
    start, end = stroke.colour[0], stroke.colour[-1]
    # The first key's red start corresponds to the second key's blue start (drawn at its far end).
    assert start == pytest.approx(0.75 * np.array([1, 0, 0, 1]) + 0.25 * np.array([0, 0, 1, 1]), abs=1e-6)
    assert end == pytest.approx(0.75 * np.array([0, 1, 0, 1]) + 0.25 * np.array([1, 1, 1, 1]), abs=1e-6)
    assert stroke.fill == pytest.approx([0.75, 0.75, 0.75, 1.0])


def test_strokes_without_colours_stay_without_and_a_lonely_stroke_keeps_its_own():
    plain = StrokeInbetweener([Drawing([Stroke(np.c_[120 * T, 0 * T])]), Drawing([Stroke(np.c_[120 * T + 9, 0 * T])])],
                              [0.0, 1.0])
    assert all(s.colour is None and s.fill is None for s in plain.frame(0.5).drawing.strokes)
    lonely = _line(0, 300, [0.2, 0.4, 0.6, 1], [0.2, 0.4, 0.6, 1], fill=[0.5, 0.5, 0.5, 1])
    keys = [Drawing([_line(0, 0, [1, 0, 0, 1], [1, 0, 0, 1]), lonely]), Drawing([_line(5, 0, [1, 0, 0, 1],
                                                                                       [1, 0, 0, 1])])]
    frame = StrokeInbetweener(keys, [0.0, 1.0], unmatched="draw").frame(0.5)
    vanishing = [s for s, src in zip(frame.drawing.strokes, frame.sources) if src["state"] == "vanishing"]
    assert len(vanishing) == 1 and vanishing[0].colour is not None
    assert vanishing[0].colour == pytest.approx(np.tile([0.2, 0.4, 0.6, 1], (len(vanishing[0].colour), 1)))
    assert vanishing[0].fill == pytest.approx([0.5, 0.5, 0.5, 1])


def test_the_schema_reads_and_writes_colours_and_names_a_bad_one():
    stroke = stroke_from_json({"points": [[0, 0], [1, 1], [2, 2]], "vertex_color": [0.5, 0.25, 0, 1],
                               "fill_color": [1, 1, 1, 0.5]}, "keys[0].strokes[0]")
    assert stroke.colour is not None and stroke.colour.shape == (3, 4)
    written = stroke_to_json(stroke)
    assert written["vertex_color"] == [[0.5, 0.25, 0.0, 1.0]] * 3 and written["fill_color"] == [1.0, 1.0, 1.0, 0.5]
    assert "vertex_color" not in stroke_to_json(Stroke([[0, 0], [1, 1]]))
    with pytest.raises(BadInput, match=r"keys\[0\].strokes\[0\].vertex_color: expected one colour or one per point"):
        stroke_from_json({"points": [[0, 0], [1, 1]], "vertex_color": [[1, 0, 0, 1]] * 3}, "keys[0].strokes[0]")
    with pytest.raises(BadInput, match="fill_color"):
        stroke_from_json({"points": [[0, 0]], "fill_color": "red"}, "keys[0].strokes[0]")
