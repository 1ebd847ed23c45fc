"""Stroke model, matching and interpolation: invariance to drawing order and direction, keys reproduced,
arcs, unmatched strokes, confidences, bad input."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nakawari.bench.strokes import curve_error
from nakawari.errors import BadInput
from nakawari.strokes import (
    Drawing,
    MatchSettings,
    Stroke,
    StrokeInbetweener,
    StrokeSettings,
    inbetween_strokes,
    match_drawings,
)
from nakawari.strokes.geometry import resample_many
from nakawari.strokes.model import MAX_STROKES
from nakawari.synth.rig import limb


def _rot(a: float) -> np.ndarray:
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _curve(rng: np.random.Generator, n: int, closed: bool) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False) if closed else np.linspace(0, 1, n)
    if closed:
        rx, ry = rng.uniform(10, 30, 2)
        return np.stack([rx * np.cos(t), ry * np.sin(t) + rng.uniform(-5, 5) * np.sin(2 * t)], axis=1)
    length, bend = rng.uniform(30, 80), rng.uniform(-0.5, 0.5)
    return np.stack([(t - 0.5) * length, bend * length * np.sin(np.pi * t) + 8 * t ** 3], axis=1)


def _keys(seed: int, n: int = 5, motion: float = 0.3) -> tuple[Drawing, Drawing]:
    """Well separated strokes on a grid; in the second key each turns and moves a little and bends."""
    rng = np.random.default_rng(seed)
    first, second = [], []
    for i in range(n):
        closed = bool(i % 3 == 2)
        local = _curve(rng, int(rng.integers(8, 40)), closed)
        bent = local + np.stack([np.zeros(len(local)), 0.05 * local[:, 0] ** 2 / 40], axis=1)
        centre = np.array([150.0 * (i % 4) + 80, 150.0 * (i // 4) + 80])
        angle = rng.uniform(0, 2 * np.pi)
        width = rng.uniform(1, 4, len(local))
        first.append(Stroke(local @ _rot(angle).T + centre, width, 1.0, closed, i % 2))
        second.append(Stroke(bent @ _rot(angle + rng.uniform(-motion, motion)).T + centre + rng.normal(0, 8, 2),
                             width[::-1] * 1.5, 0.8, closed, i % 2))
    return Drawing(first), Drawing(second)


def _same_strokes(got: Drawing, want: Drawing, tolerance: float) -> None:
    """Equal as sets of curves: every stroke has a partner within `tolerance` px (any direction/start)."""
    assert len(got) == len(want)
    used = set()
    for stroke in got.strokes:
        errors = [np.inf if j in used or other.closed != stroke.closed else
                  curve_error(stroke.points, other.points, stroke.closed) for j, other in enumerate(want.strokes)]
        j = int(np.argmin(errors))
        assert errors[j] <= tolerance, f"no partner within {tolerance} px (best {errors[j]:.3g})"
        used.add(j)


def _permuted(drawing: Drawing, order: list[int], flip: list[bool]) -> Drawing:
    return Drawing([drawing.strokes[i].reversed() if f else drawing.strokes[i].copy() for i, f in zip(order, flip)])


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_shuffling_or_reversing_a_keys_strokes_does_not_change_the_result(seed: int, data: st.DataObject) -> None:
    first, second = _keys(seed)
    n = len(second)
    order = data.draw(st.permutations(range(n)))
    flip = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    which = data.draw(st.sampled_from(["first", "second"]))
    times = [0.25, 0.5, 0.8]
    plain, _ = inbetween_strokes([first, second], [0, 1], times)
    if which == "first":
        keys = [_permuted(first, order, flip), second]
    else:
        keys = [first, _permuted(second, order, flip)]
    changed, _ = inbetween_strokes(keys, [0, 1], times)
    for a, b in zip(plain, changed):
        _same_strokes(b.drawing, a.drawing, 1e-6)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n_keys=st.integers(2, 4))
def test_key_times_reproduce_the_keys_exactly(seed: int, n_keys: int) -> None:
    keys = list(_keys(seed))
    while len(keys) < n_keys:
        keys.append(_keys(seed + len(keys))[1])
    times = [0.0, 1.5, 2.0, 4.0][:n_keys]
    engine = StrokeInbetweener(keys, times)
    for key, t in zip(keys, times):
        frame = engine.frame(t)
        assert len(frame.drawing) == len(key)
        for got, want in zip(frame.drawing.strokes, key.strokes):
            np.testing.assert_array_equal(got.points, want.points)
            np.testing.assert_array_equal(got.width, want.width)
    # and just inside the gap the drawing is (nearly) the key: no jump at the key
    near = engine.frame(times[0] + 1e-6)
    _same_strokes(near.drawing, keys[0], 1.0)  # resampled to the pair's point count: coarse corners cut a little


def test_strokes_are_matched_in_any_order_and_direction_with_confidence() -> None:
    first, second = _keys(3, n=8)
    order = [5, 2, 7, 0, 1, 6, 3, 4]
    shuffled = _permuted(second, order, [i % 2 == 0 for i in range(8)])
    corr = match_drawings(first, shuffled)
    assert not corr.unmatched_a and not corr.unmatched_b
    assert {m.a: order[m.b] for m in corr.matches} == {i: i for i in range(8)}
    assert {m.b: m.sign for m in corr.matches} == {j: -1 if j % 2 == 0 else 1 for j in range(8)}
    assert all(0.0 <= m.confidence <= 1.0 for m in corr.matches)
    assert np.mean([m.confidence for m in corr.matches]) > 0.5


def test_settings_reach_the_matching() -> None:
    # StrokeSettings passed to the engine are the ones its matching reads: with leaving a stroke unmatched
    # cheaper than any pair, nothing is matched and every stroke fades out or in.
    first, second = _keys(3, n=8)
    loner = StrokeSettings(match=MatchSettings(unmatched_cost=1e-6))
    frames, engine = inbetween_strokes([first, second], [0, 1], [0.5], settings=loner)
    assert not engine.correspondences[0].matches and len(engine.correspondences[0].unmatched_a) == 8
    assert {source["state"] for source in frames[0].sources} == {"vanishing", "appearing"}
    _, default = inbetween_strokes([first, second], [0, 1], [0.5])
    assert len(default.correspondences[0].matches) == 8


def test_closed_strokes_align_their_start_points() -> None:
    ring = Stroke(np.stack([40 * np.cos(a := np.linspace(0, 2 * np.pi, 48, endpoint=False)) + 100,
                            25 * np.sin(a) + 100], axis=1), 2.0, 1.0, True)
    moved = Stroke(np.roll(ring.points, -17, axis=0)[::-1] + [30, 0], 2.0, 1.0, True)
    frames, engine = inbetween_strokes([Drawing([ring]), Drawing([moved])], [0, 1], [0.5])
    middle = frames[0].drawing.strokes[0].points
    # A ring that only slid sideways: every point (resampled evenly along the ring) moved by half the shift,
    # none travelled round the ring.
    even = resample_many([ring.points], 2, [True], [48])[0]
    np.testing.assert_allclose(middle - even, np.tile([15.0, 0.0], (48, 1)), atol=0.3)


def test_a_limb_turns_on_an_arc_instead_of_shrinking() -> None:
    """Three keys of a bar swinging about its end: the inbetweens keep its length, and its tip stays on the
    circle it swings on (a straight-line blend would cut the chord)."""
    bar = np.stack([np.linspace(0, 100, 20), np.zeros(20)], axis=1)
    angles = [0.0, 0.8, 1.6]
    keys = [Drawing([Stroke(bar @ _rot(a).T + [200, 200], 3.0)]) for a in angles]
    engine = StrokeInbetweener(keys, [0, 1, 2])
    for t in (0.25, 0.5, 1.5):
        points = engine.frame(t).drawing.strokes[0].points
        tip = np.linalg.norm(points[-1] - [200, 200])
        assert abs(tip - 100) < 1.5, tip
        assert abs(np.linalg.norm(points[-1] - points[0]) - 100) < 1.5
    two = StrokeInbetweener(keys[:2], [0, 1]).frame(0.5).drawing.strokes[0].points
    chord = np.linalg.norm((bar[-1] @ _rot(0).T + bar[-1] @ _rot(0.8).T) / 2)
    assert np.linalg.norm(two[-1] - [200, 200]) > chord + 2  # outside the chord: on (towards) the arc


def test_unmatched_strokes_fade_or_draw_and_the_rest_still_match() -> None:
    first, second = _keys(5, n=4)
    far = Stroke(np.array([[900.0, 900.0], [960.0, 930.0], [1000.0, 990.0]]), 3.0)
    dot = Stroke(np.array([[50.0, 600.0]]), 4.0)
    second = Drawing(second.strokes + [far, dot])
    for unmatched in ("fade", "draw"):
        frames, engine = inbetween_strokes([first, second], [0, 1], [0.25, 0.75], unmatched=unmatched)
        corr = engine.correspondences[0]
        assert sorted(corr.unmatched_b) == [4, 5] and len(corr.matches) == 4
        for frame, u in zip(frames, (0.25, 0.75)):
            states = [s["state"] for s in frame.sources]
            assert states.count("appearing") == 2 and states.count("matched") == 4
            appearing = [s for s, src in zip(frame.drawing.strokes, frame.sources) if src["state"] == "appearing"]
            line = next(s for s in appearing if s.n > 1)
            if unmatched == "fade":
                assert np.allclose(line.opacity, u)
            else:  # drawn on: a growing part of the stroke, fully opaque
                length = np.linalg.norm(np.diff(line.points, axis=0), axis=1).sum()
                full = np.linalg.norm(np.diff(far.points, axis=0), axis=1).sum()
                assert abs(length / full - u) < 0.05 and np.allclose(line.opacity, 1.0)


def test_empty_keys_and_wildly_different_counts_are_graceful() -> None:
    first, second = _keys(7, n=3)
    frames, engine = inbetween_strokes([Drawing([]), second], [0, 1], [0.5])
    assert [s["state"] for s in frames[0].sources] == ["appearing"] * 3
    many = Drawing([Stroke(np.array([[x, y], [x + 3, y + 1]]), 1.0)
                    for x in range(0, 600, 20) for y in range(0, 400, 40)])
    frames, engine = inbetween_strokes([first, many], [0, 1], [0.5])
    corr = engine.correspondences[0]
    assert len(corr.matches) + len(corr.unmatched_b) == len(many)
    assert len(frames[0].drawing) == len(corr.matches) + len(corr.unmatched_a) + len(corr.unmatched_b)


def test_three_d_points_keep_their_depth() -> None:
    first, second = _keys(11, n=3)
    def lift(drawing: Drawing, depth: float) -> Drawing:  # drawn in the x-z plane, as Grease Pencil's front view
        return Drawing([Stroke(np.column_stack([s.points[:, 0], np.full(s.n, depth), s.points[:, 1]]), s.width,
                               s.opacity, s.closed) for s in drawing.strokes])
    frames, _ = inbetween_strokes([lift(first, 2.0), lift(second, 4.0)], [0, 1], [0.5])
    flat, _ = inbetween_strokes([first, second], [0, 1], [0.5])
    for got, want in zip(frames[0].drawing.strokes, flat[0].drawing.strokes):
        assert got.points.shape[1] == 3
        np.testing.assert_allclose(got.points[:, 1], 3.0)
        np.testing.assert_allclose(got.points[:, [0, 2]], want.points, atol=1e-9)


@pytest.mark.parametrize("make, message", [
    (lambda: [Drawing([Stroke(np.array([[0.0, np.nan], [1, 1]]))]), Drawing([])], "NaN or infinity"),
    (lambda: [Drawing([Stroke(np.array([[0.0, np.inf], [1, 1]]))]), Drawing([])], "NaN or infinity"),
    (lambda: [Drawing([Stroke(np.zeros((0, 2)))]), Drawing([])], "at least one point"),
    (lambda: [Drawing([]), Drawing([])], "every key is empty"),
    (lambda: [Drawing([Stroke(np.zeros((3, 2)), width=[1, 2])]), Drawing([])], "width has 2 values"),
    (lambda: [Drawing([Stroke(np.zeros((2, 2)), opacity=1.5)]), Drawing([])], "opacity must lie in"),
    (lambda: [Drawing([Stroke(np.zeros((2, 2))), Stroke(np.zeros((2, 3)))]), Drawing([])], "mixes 2-D and 3-D"),
])
def test_bad_strokes_are_refused_with_a_clear_message(make, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        StrokeInbetweener(make(), [0, 1])


def test_too_many_strokes_are_refused_before_any_work() -> None:
    dot = Stroke(np.array([[1.0, 2.0]]))
    huge = Drawing([dot] * (MAX_STROKES + 1))
    with pytest.raises(BadInput, match=f"at most {MAX_STROKES}"):
        StrokeInbetweener([huge, Drawing([dot])], [0, 1])


def test_one_point_strokes_are_dots_that_move() -> None:
    a = Drawing([Stroke(np.array([[10.0, 10.0]]), 5.0), Stroke(np.array([[0.0, 100.0], [50, 100]]))])
    b = Drawing([Stroke(np.array([[0.0, 110.0], [50, 110]])), Stroke(np.array([[20.0, 10.0]]), 5.0)])
    frames, _ = inbetween_strokes([a, b], [0, 1], [0.5])
    dot = next(s for s in frames[0].drawing.strokes if np.ptp(s.points[:, 0]) < 1e-9)
    np.testing.assert_allclose(dot.points[0], [15.0, 10.0], atol=1e-6)


def test_order_hint_tells_twins_apart_when_the_keys_share_a_drawing_order() -> None:
    """Two identical legs; the back one swings past the front one. Geometry alone prefers the shorter
    motion (each leg takes the other's place); a host that keeps drawing order can say so."""
    leg = np.stack([np.zeros(12), np.linspace(0, 100, 12)], axis=1)
    hip = np.array([300.0, 200.0])
    def pose(back: float, front: float) -> Drawing:
        return Drawing([Stroke(leg @ _rot(back).T + hip, 3.0), Stroke(leg @ _rot(front).T + hip + [6, 0], 3.0)])
    first, second = pose(0.5, 0.1), pose(-0.05, 0.45)
    plain = match_drawings(first, second)
    hinted = match_drawings(first, second, order_hint=True)
    assert {m.a: m.b for m in plain.matches} == {0: 1, 1: 0}
    assert {m.a: m.b for m in hinted.matches} == {0: 0, 1: 1}


def test_sparse_matching_for_large_keys_agrees_with_the_dense_one() -> None:
    first, second = _keys(13, n=8)
    second = _permuted(second, [3, 1, 7, 5, 0, 2, 6, 4], [False] * 8)
    dense = match_drawings(first, Drawing(second.strokes[:6]))
    as_if_thousands = MatchSettings(dense_limit=4)  # as if the keys held thousands of strokes
    sparse = match_drawings(first, Drawing(second.strokes[:6]), settings=as_if_thousands)
    assert [(m.a, m.b) for m in sparse.matches] == [(m.a, m.b) for m in dense.matches]
    assert sparse.unmatched_a == dense.unmatched_a and len(sparse.matches) == 6


def _limb(length: float, radius: float) -> np.ndarray:
    """A closed, tapering limb outline hanging from (0, 0) along +y, its cap round the joint."""
    return limb(length, radius, 0.7 * radius, 0.1 * radius)


def _arm(shoulder: np.ndarray, upper: float, elbow: float) -> list[Stroke]:
    """Upper arm turned by `upper` about the shoulder, forearm by `elbow` more about the elbow."""
    elbow_at = shoulder + np.array([0.0, 80.0]) @ _rot(upper).T
    return [Stroke(_limb(80, 12) @ _rot(upper).T + shoulder, 3.0, closed=True),
            Stroke(_limb(70, 10) @ _rot(upper + elbow).T + elbow_at, 3.0, closed=True)]


def test_a_forearm_turns_about_its_elbow_while_the_elbow_rides_the_upper_arm() -> None:
    """Two keys of a two-part arm: the inbetween is the arm at the halfway joint angles (the forearm turns
    about the elbow, which travels on the shoulder's arc), whatever order and direction the strokes have."""
    shoulder = np.array([300.0, 150.0])
    body = Stroke(_limb(200, 40) + shoulder + [0, -30], 3.0, closed=True)
    first = Drawing([body] + _arm(shoulder, 0.2, 0.1))
    second = Drawing([body.copy()] + _arm(shoulder, 0.9, 0.6))
    truth = Drawing([body] + _arm(shoulder, 0.55, 0.35))
    for key in (second, _permuted(second, [2, 0, 1], [True, False, True])):
        frame = StrokeInbetweener([first, key], [0, 1]).frame(0.5)
        _same_strokes(frame.drawing, truth, tolerance=1.0)


def test_a_hand_swung_far_with_its_arm_does_not_spin_the_short_way_round() -> None:
    """An oval hand fits its next key as well from either end; by shape alone (the smaller turn) it would
    turn the short way round, the wrong way, and spin through the inbetweens. Where it meets the forearm
    decides: the arm's joints turn 0.9 and 1.2 rad, so the hand turns 2.1 rad, the long way."""
    shoulder = np.array([300.0, 150.0])
    body = Stroke(_limb(200, 40) + shoulder + [0, -30], 3.0, closed=True)

    def pose(upper: float, elbow: float) -> Drawing:
        arm = _arm(shoulder, upper, elbow)
        wrist = shoulder + np.array([0.0, 80.0]) @ _rot(upper).T + np.array([0.0, 70.0]) @ _rot(upper + elbow).T
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        hand = np.stack([9 * np.cos(t), 14 * np.sin(t) + 12], axis=1) @ _rot(upper + elbow).T + wrist
        return Drawing([body.copy()] + arm + [Stroke(hand, 3.0, closed=True)])

    frame = StrokeInbetweener([pose(0.1, 0.1), pose(1.0, 1.3)], [0, 1]).frame(0.5)
    _same_strokes(frame.drawing, pose(0.55, 0.7), tolerance=1.5)


def test_twin_limbs_are_told_apart_by_the_shoulders_they_hang_from() -> None:
    """Two identical arms from shoulders 40 px apart swing past each other: by their own positions each
    arm is nearer the other's new place, but where they join the body is not, and that decides."""
    left, right = np.array([280.0, 150.0]), np.array([320.0, 150.0])
    body = Stroke(_limb(220, 45) + [300, 110], 3.0, closed=True)
    first = Drawing([body] + _arm(left, 0.9, 0.2) + _arm(right, -0.1, 0.2))
    second = Drawing([body.copy()] + _arm(left, -0.1, 0.3) + _arm(right, 0.8, 0.1))
    order = [3, 0, 4, 2, 1]
    shuffled = _permuted(second, order, [True, False, False, True, True])
    for key, where in ((second, list(range(5))), (shuffled, [order.index(i) for i in range(5)])):
        pairs = {m.a: m.b for m in match_drawings(first, key).matches}
        assert pairs == {i: where[i] for i in range(5)}


def test_a_stroke_takes_scalar_list_or_no_width_and_opacity_and_replace_keeps_arrays() -> None:
    points = [[0, 0], [1, 0], [2, 1]]
    default = Stroke(points)
    assert default.width.tolist() == [3.0] * 3 and default.opacity.tolist() == [1.0] * 3
    scalar = Stroke(points, 2, 0.5, closed=True, material=4, id="arm")
    assert scalar.width.tolist() == [2.0] * 3 and scalar.opacity.tolist() == [0.5] * 3
    assert (scalar.closed, scalar.material, scalar.id) == (True, 4, "arm")
    replaced = dataclasses.replace(scalar, width=[1, 2, 3])
    assert replaced.width.dtype == np.float64 and replaced.width.tolist() == [1.0, 2.0, 3.0]
    assert replaced.opacity.tolist() == [0.5] * 3
    assert (replaced.closed, replaced.material, replaced.id) == (True, 4, "arm")
    assert np.array_equal(replaced.points, scalar.points)
