"""Lines drawn in one stroke in one key and in several pieces in the next: joined, so they move as one."""
from __future__ import annotations

import numpy as np
import pytest

from nakawari.bench.strokes import curve_error
from nakawari.jobs.strokes import run_strokes
from nakawari.strokes import Drawing, Stroke, StrokeInbetweener, inbetween_strokes
from nakawari.synth.strokes import stroke_suite

CENTRE = np.array([200.0, 300.0])


def _turned(points: np.ndarray, angle: float) -> np.ndarray:
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - CENTRE) @ rot.T + CENTRE


def _arc(n: int = 50) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return np.stack([200 + 150 * np.cos(np.pi * t), 300 - 150 * np.sin(np.pi * t)], axis=1)


def _length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def _keys(turn: float = 0.6) -> tuple[Drawing, Drawing]:
    """An arc and a line; in the second key the arc has turned and is drawn in two pieces (the pen lifted
    at its 20th point)."""
    arc = _arc()
    line = Stroke(np.array([[100.0, 450.0], [300.0, 450.0]]), 3.0)
    turned = _turned(arc, turn)
    second = Drawing([Stroke(turned[:20], 3.0), line.copy(), Stroke(turned[19:], 3.0)])
    return Drawing([Stroke(arc, 3.0), line]), second


def test_a_line_redrawn_in_two_pieces_turns_as_one_line() -> None:
    first, second = _keys()
    frames, engine = inbetween_strokes([first, second], [0.0, 1.0], [0.25, 0.5, 0.75])
    for frame, u in zip(frames, (0.25, 0.5, 0.75)):
        assert len(frame.drawing) == 2  # the arc and the line: no piece fading in beside a shrinking arc
        arc = next(s for s, src in zip(frame.drawing.strokes, frame.sources) if src["from"] == [0, 0])
        assert curve_error(arc.points, _turned(_arc(), 0.6 * u), False) < 1.0
        assert _length(arc.points) == pytest.approx(_length(_arc()), rel=0.01)
    source = next(src for src in frames[1].sources if src["from"] == [0, 0])
    assert source["state"] == "matched" and source["to"] == [1, 0] and source["to_pieces"] == [0, 2]
    assert "from_pieces" not in source
    (a, b, _), = [m for m in engine.matches(0) if m[0] == [0]]
    assert (a, b) == ([0], [0, 2])
    assert engine.unpaired(0) == ([], [])


def test_without_joining_the_arc_shrinks_onto_one_piece() -> None:
    """What joining mends (and what `join_pieces=False` keeps, for callers that name strokes as given)."""
    first, second = _keys()
    frames, _ = inbetween_strokes([first, second], [0.0, 1.0], [0.5], join_pieces=False)
    assert len(frames[0].drawing) == 3
    assert {src["state"] for src in frames[0].sources} == {"matched", "appearing"}


def test_a_piece_that_restarts_behind_where_the_pen_lifted_is_joined_without_the_retraced_part() -> None:
    """The second piece retraces the first one's last 14 px (as a pen put down a little behind where it
    left off): joined, the line neither doubles back there nor grows by the overlap."""
    arc = _arc(200)  # ~2.4 px between points
    turned = _turned(arc, 0.6)
    line = Stroke(np.array([[100.0, 450.0], [300.0, 450.0]]), 3.0)
    second = Drawing([Stroke(turned[:96], 3.0), line.copy(), Stroke(turned[90:], 3.0)])
    frames, engine = inbetween_strokes([Drawing([Stroke(arc, 3.0), line]), second], [0.0, 1.0], [0.5])
    assert sorted(engine.joined[1].originals(0)) == [0, 2]
    (joined,) = [s for s in engine.drawings[1].strokes if s.n > 2]
    assert _length(joined.points) == pytest.approx(_length(arc), abs=3.0)
    (arc_now,) = [s for s in frames[0].drawing.strokes if s.n > 2]
    assert curve_error(arc_now.points, _turned(arc, 0.3), False) < 1.0


def test_keys_are_reproduced_as_drawn_and_piece_order_or_direction_does_not_matter() -> None:
    first, second = _keys()
    reordered = Drawing([second.strokes[2].reversed(), second.strokes[1], second.strokes[0].reversed()])
    engine = StrokeInbetweener([first, second], [0.0, 1.0])
    other = StrokeInbetweener([first, reordered], [0.0, 1.0])
    at_end = engine.frame(1.0)
    assert len(at_end.drawing) == 3  # the key as given, pieces and all
    for got, want in zip(at_end.drawing.strokes, second.strokes):
        np.testing.assert_array_equal(got.points, want.points)
    for u in (0.3, 0.7):
        one = next(s for s, src in zip(engine.frame(u).drawing.strokes, engine.frame(u).sources)
                   if src["from"] == [0, 0])
        two = next(s for s, src in zip(other.frame(u).drawing.strokes, other.frame(u).sources)
                   if src["from"] == [0, 0])
        np.testing.assert_allclose(one.points, two.points, atol=1e-6)


def test_an_outline_drawn_as_two_halves_joins_into_a_closed_line() -> None:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ellipse = np.stack([300 + 60 * np.cos(t), 200 + 25 * np.sin(t) + 6 * np.sin(2 * t)], axis=1)
    moved = _turned(ellipse, 0.4) + [15.0, -10.0]
    halves = [Stroke(moved[:21], 2.0), Stroke(np.vstack([moved[20:], moved[:1]]), 2.0)]
    frames, engine = inbetween_strokes([Drawing([Stroke(ellipse, 2.0, closed=True)]), Drawing(halves)],
                                       [0.0, 1.0], [0.5])
    assert len(frames[0].drawing) == 1 and sorted(frames[0].sources[0]["to_pieces"]) == [0, 1]
    assert engine.drawings[1].strokes[0].closed
    truth = _turned(ellipse, 0.2) + [7.5, -5.0]
    assert curve_error(frames[0].drawing.strokes[0].points, truth, True) < 1.5


def test_a_stroke_touching_a_line_end_is_not_joined_when_the_line_fits_alone() -> None:
    """A tick drawn at the end of a line (in the second key only) stays a stroke of its own and fades in."""
    first, _ = _keys(turn=0.0)
    arc = first.strokes[0].points
    tick = Stroke(np.array([arc[-1], arc[-1] + [0.0, 40.0]]), 3.0)
    second = Drawing([Stroke(arc + [5.0, 0.0], 3.0), first.strokes[1].copy(), Stroke(tick.points + [5.0, 0.0], 3.0)])
    engine = StrokeInbetweener([first, second], [0.0, 1.0])
    assert all(len(p) == 1 for p in engine.joined[1].pieces)
    assert engine.unpaired(0) == ([], [2])


def test_every_line_split_in_the_bench_suite_is_joined_and_nothing_else() -> None:
    for case in stroke_suite(3, seed=26, shuffle=True, reverse=True, split=4):
        engine = StrokeInbetweener(case.keys, case.key_times)
        ids = case.key_ids[1]
        lines = [sorted(ids[s] for s in engine.joined[1].originals(i)) for i in range(len(engine.drawings[1]))]
        split = {c for c in ids if ids.count(c) == 2}
        assert len(split) == 4 and all([c, c] in lines for c in split)
        assert all(len(set(line)) == 1 for line in lines)  # pieces of two different lines never


def test_the_json_response_names_every_piece() -> None:
    first, second = _keys()
    response = run_strokes({"keys": [{"strokes": [{"points": s.points.tolist()} for s in key.strokes]}
                                     for key in (first, second)], "count": 1})
    gap = response["matches"][0]
    pair = next(p for p in gap["pairs"] if p["from"] == 0)
    assert pair["to"] == 0 and pair["to_pieces"] == [0, 2] and "from_pieces" not in pair
    assert gap["unmatched_to"] == [] and gap["unmatched_from"] == []
    strokes = response["frames"][0]["strokes"]
    assert len(strokes) == 2
    assert next(s for s in strokes if s["source"]["from"] == [0, 0])["source"]["to_pieces"] == [0, 2]


def test_a_line_in_pieces_in_the_middle_key_still_travels_on_its_arc_through_three_keys() -> None:
    """Joined in the middle key for both gaps, the line keeps one track through all three keys: its
    inbetweens are those of the line drawn whole there."""
    arc, line = _arc(), Stroke(np.array([[100.0, 450.0], [300.0, 450.0]]), 3.0)
    keys_whole = [Drawing([Stroke(_turned(arc, a) + [40.0 * a, 0.0], 3.0), line.copy()]) for a in (0.0, 0.5, 0.8)]
    middle = keys_whole[1].strokes[0].points
    in_pieces = Drawing([Stroke(middle[30:][::-1], 3.0), line.copy(), Stroke(middle[:31], 3.0)])
    keys_split = [keys_whole[0], in_pieces, keys_whole[2]]
    whole = StrokeInbetweener(keys_whole, [0.0, 1.0, 2.0])
    split = StrokeInbetweener(keys_split, [0.0, 1.0, 2.0])
    assert any(sorted(track.strokes) == [0, 1, 2] and len(split.joined[1].pieces[track.strokes[1][0]]) == 2
               for track in split.tracks)
    for t in (0.5, 1.25, 1.75):
        (want,) = [s for s in whole.frame(t).drawing.strokes if s.n > 2]   # the arc (the line has two points)
        (got,) = [s for s in split.frame(t).drawing.strokes if s.n > 2]
        assert curve_error(got.points, want.points, False) < 0.5


def test_grease_pencil_strokes_in_the_front_plane_are_joined_too() -> None:
    """3-D points drawn in x-z (Blender's front view, depth y): the pieces meet in that plane."""
    first, second = _keys()

    def front(drawing: Drawing) -> Drawing:
        return Drawing([Stroke(np.column_stack([s.points[:, 0], np.full(s.n, 0.01 * i), s.points[:, 1]]), 3.0)
                        for i, s in enumerate(drawing.strokes)])
    frames, engine = inbetween_strokes([front(first), front(second)], [0.0, 1.0], [0.5])
    assert engine.axes[2] == 1 and sorted(engine.joined[1].originals(0)) == [0, 2]
    (arc,) = [s for s in frames[0].drawing.strokes if s.n > 2]
    assert curve_error(arc.points[:, [0, 2]], _turned(_arc(), 0.3), False) < 1.0


def test_an_outline_drawn_as_two_overlapping_halves_closes_without_doubling() -> None:
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    ellipse = np.stack([300 + 60 * np.cos(t), 200 + 25 * np.sin(t)], axis=1)
    moved = _turned(ellipse, 0.4) + [15.0, -10.0]
    ring = np.vstack([moved, moved])
    halves = [Stroke(ring[0:45], 2.0), Stroke(ring[41:84], 2.0)]  # each restarts 4 points behind the other
    _, engine = inbetween_strokes([Drawing([Stroke(ellipse, 2.0, closed=True)]), Drawing(halves)], [0.0, 1.0], [0.5])
    (outline,) = engine.drawings[1].strokes
    assert outline.closed and outline.n == pytest.approx(80, abs=2)
    assert curve_error(outline.points, moved, True) < 0.5


def test_shuffling_and_reversing_the_pieces_key_does_not_change_the_inbetweens() -> None:
    case = stroke_suite(2, seed=27, shuffle=True, reverse=True, split=4)[1]
    first, second = case.keys
    rng = np.random.default_rng(0)
    order = rng.permutation(len(second))
    redrawn = Drawing([second.strokes[i].reversed() if rng.random() < 0.5 else second.strokes[i] for i in order])
    times = case.times
    frames, engine = inbetween_strokes([first, second], case.key_times, times)
    again, other = inbetween_strokes([first, redrawn], case.key_times, times)
    assert sum(len(p) > 1 for p in engine.joined[1].pieces) == sum(len(p) > 1 for p in other.joined[1].pieces) > 0
    for one, two in zip(frames, again):
        by_first = {src["from"][1]: s for s, src in zip(two.drawing.strokes, two.sources) if src["state"] == "matched"}
        for stroke, src in zip(one.drawing.strokes, one.sources):
            if src["state"] == "matched":
                assert curve_error(stroke.points, by_first[src["from"][1]].points, stroke.closed) < 1e-6
