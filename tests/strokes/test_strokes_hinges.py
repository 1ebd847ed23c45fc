"""Hinges (strokes/hinges.py): the search for contacts between tracks, and hinge detection that does not
depend on the drawing's units (hosts send pixels, Blender world units, …)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial import cKDTree

from nakawari.strokes.hinges import pairs_within
from nakawari.strokes.interpolate import inbetween_strokes
from nakawari.strokes.model import Drawing
from nakawari.synth.strokes import stroke_case


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_close_points_on_different_tracks_are_all_found(seed: int) -> None:
    """The chunked search for hinge contacts finds exactly the cross-track pairs a k-d tree finds (ties at
    exactly the reach included: points on an integer grid)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 30, size=12)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    points = rng.integers(0, 40, size=(int(offsets[-1]), 2)).astype(float)
    track = np.repeat(np.arange(len(counts)), counts)
    expected = {tuple(p) for p in cKDTree(points).query_pairs(3.0, output_type="ndarray").tolist()
                if track[p[0]] != track[p[1]]}
    found = {tuple(sorted(p)) for p in pairs_within(points, offsets, 3.0).tolist()}
    assert found == expected


@pytest.mark.parametrize("scale", [0.01, 7.0])
def test_inbetweens_do_not_depend_on_the_drawings_units(scale: float) -> None:
    """The same keys in other units (Blender's world units are ~0.01 of a pixel) give the same inbetweens,
    scaled: a threshold in pixels (a 2-unit floor on touching) once changed the hinges below 1 unit."""
    case = stroke_case(24, 0, n_keys=3, shuffle=True, reverse=True, smooth=True)
    scaled = [Drawing([replace(s, points=s.points * scale) for s in key.strokes]) for key in case.keys]
    plain, _ = inbetween_strokes(case.keys, case.key_times, case.times)
    other, _ = inbetween_strokes(scaled, case.key_times, case.times)
    for a, b in zip(plain, other):
        ours = np.concatenate([s.points for s in b.drawing.strokes]) / scale
        np.testing.assert_allclose(ours, np.concatenate([s.points for s in a.drawing.strokes]), atol=1e-6)
