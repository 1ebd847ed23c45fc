"""Synthetic stroke suites (exact ground truth) and the `bench strokes` harness (no timing asserted)."""
from __future__ import annotations

import numpy as np

from nakawari.bench import SUITES
from nakawari.bench.strokes import blender_method, curve_error, flagged_share, nakawari_method, score
from nakawari.frame_check import DOUBTFUL_MATCH
from nakawari.strokes import Drawing, Stroke
from nakawari.synth.motion import articulated_motion
from nakawari.synth.strokes import EXTRA, pose_strokes, speed_keys, stroke_case


def test_stroke_cases_carry_exact_truth_through_shuffles_and_reversals() -> None:
    plain = stroke_case(5, 0)
    disguised = stroke_case(5, 0, shuffle=True, reverse=True, resample=True, extra=2, missing=2)
    assert plain.key_ids[0] == list(range(len(plain.keys[0])))
    assert sorted(disguised.key_ids[0]) == plain.key_ids[0]
    ids = disguised.key_ids[1]
    assert ids.count(EXTRA) == 2 and len(set(ids) - {EXTRA}) == len(plain.keys[0]) - 2
    # every disguised stroke is its rig stroke, up to direction, start and point count
    for stroke, c in zip(disguised.keys[1].strokes, ids):
        if c != EXTRA:
            original = plain.keys[1].strokes[c]
            assert curve_error(stroke.points, original.points, original.closed) < 0.5  # sampled differently
    # the truth at a key's time is that key
    at_key = {c: p for c, (p, _) in enumerate(pose_strokes(articulated_motion(5, 0, line_width=2.0), 0.0))}
    for c, stroke in enumerate(plain.keys[0].strokes):
        np.testing.assert_allclose(stroke.points, at_key[c])
    assert len(plain.truth) == len(plain.times) == 3


def test_nakawari_beats_index_pairing_on_shuffled_keys() -> None:
    cases = [stroke_case(9, 0, shuffle=True, reverse=True, resample=True)]
    ours, base = score(cases, nakawari_method), score(cases, blender_method)
    assert ours.accuracy >= 0.9 > base.accuracy
    assert np.mean(ours.point_error) < 0.3 * np.mean(base.point_error)
    assert len(ours.cd) == len(base.cd) == len(cases[0].times)


def test_index_pairing_is_exact_for_a_pure_slide() -> None:
    """The baseline as Blender does it: same order, straight lines — exact when strokes only slide."""
    a = Drawing([Stroke(np.array([[0.0, 0.0], [10.0, 0.0]])), Stroke(np.array([[0.0, 5.0], [4.0, 9.0], [8.0, 5.0]]))])
    b = Drawing([Stroke(s.points + [6.0, 2.0]) for s in a.strokes])
    frames, pairs, confidences = blender_method([a, b], [0.0, 1.0], [0.5])
    assert confidences is None
    assert pairs == [{0: 0, 1: 1}]
    for got, want in zip(frames[0].drawing.strokes, a.strokes):
        assert curve_error(got.points, want.points + [3.0, 1.0], False) < 1e-9


def test_speed_keys_and_registration() -> None:
    first, second = speed_keys(np.random.default_rng(0), n_strokes=20, n_points=30)
    assert len(first) == len(second) == 20 and all(s.n == 30 for s in first.strokes)
    assert SUITES["strokes"] == "strokes:bench_strokes"


def test_flagged_share_counts_pairs_below_the_doubtful_confidence() -> None:
    assert flagged_share([DOUBTFUL_MATCH / 2, DOUBTFUL_MATCH, 0.9, 0.0]) == 0.5
    assert flagged_share([]) == 0.0
