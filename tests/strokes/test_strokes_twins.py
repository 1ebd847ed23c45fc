"""Twin parts (left and right limbs) told apart by their joints, over two keys and over three: cases from
the bench's mannequin suites that drawing-order-free matching used to get wrong."""
from __future__ import annotations

import numpy as np
import pytest

from nakawari.strokes import StrokeInbetweener, match_drawings
from nakawari.strokes.match import pairing, pairing_cost
from nakawari.synth.strokes import EXTRA, StrokeCase, stroke_case


def _truth_between(case: StrokeCase, g: int, h: int) -> dict[int, int]:
    where = {c: j for j, c in enumerate(case.key_ids[h]) if c != EXTRA}
    return {i: where[c] for i, c in enumerate(case.key_ids[g]) if c in where}


def _truth(case: StrokeCase, g: int) -> dict[int, int]:
    return _truth_between(case, g, g + 1)


@pytest.mark.parametrize("seed, index", [(21, 1), (21, 4), (21, 6)])
def test_a_lower_leg_or_forearm_chain_is_not_handed_to_its_twin(seed: int, index: int) -> None:
    """Shin, foot and their detail lines of one leg (or forearm, hand, thumb, cuff) all go to the same
    side: the knee (elbow) stays on its own thigh (upper arm) in both keys."""
    case = stroke_case(seed, index, line_width=float(2 + index % 2))
    pairs = {m.a: m.b for m in match_drawings(case.keys[0], case.keys[1]).matches}
    assert pairs == _truth(case, 0)


def test_the_true_pairing_costs_less_than_the_twins_swapped() -> None:
    case = stroke_case(21, 1, line_width=3.0)
    truth = _truth(case, 0)
    ids = case.key_ids[0]
    left, right = ids.index(8), ids.index(13)   # the two shins (rig order: shin_b, shin_f)
    swapped = {**truth, left: truth[right], right: truth[left]}
    assert pairing_cost(case.keys[0], case.keys[1], truth) < pairing_cost(case.keys[0], case.keys[1], swapped)


@pytest.mark.parametrize("seed, index, shuffled", [(25, 0, True), (25, 1, True), (24, 9, False),
                                                   # the fix is clear but not by 2:1 (a `clear` of 0.5 left these)
                                                   (25, 7, True), (48, 9, True), (60, 2, False)])
def test_three_keys_settle_which_gap_swapped_the_twins(seed: int, index: int, shuffled: bool) -> None:
    """One gap alone pairs the forearms crosswise; the direct match of the first key with the third says
    which gap is at odds, and only that gap is corrected."""
    case = stroke_case(seed, index, n_keys=3, smooth=True, shuffle=shuffled, reverse=shuffled, resample=shuffled,
                       line_width=float(2 + index % 2))
    engine = StrokeInbetweener(case.keys, case.key_times)
    for g, corr in enumerate(engine.correspondences):
        assert {m.a: m.b for m in corr.matches} == _truth(case, g)


def test_twins_crossing_in_the_middle_key_keep_their_elbows() -> None:
    """The forearms (with hands) cross in the middle key only: the first gap pairs them crosswise, and
    re-pairing the second gap the same way would be as cheap; the elbows, joints in the first and the last
    key, say that the first gap is the one to correct."""
    case = stroke_case(24, 2, n_keys=3, smooth=True, line_width=2.0)
    engine = StrokeInbetweener(case.keys, case.key_times)
    for g, corr in enumerate(engine.correspondences):
        assert {m.a: m.b for m in corr.matches} == _truth(case, g)


def test_twins_that_could_be_exchanged_at_little_cost_are_flagged_as_doubtful() -> None:
    """The legs of this side view are paired crosswise (both pairings cost nearly the same): the match
    cannot tell, but its confidence says so, for every stroke of the two legs, so a host can flag them."""
    case = stroke_case(30, 3, n_keys=3, smooth=True, shuffle=True, reverse=True, resample=True, line_width=3.0)
    first, second = case.keys[0], case.keys[1]
    truth = _truth(case, 0)
    matches = match_drawings(first, second).matches
    crossed = [m.confidence for m in matches if truth.get(m.a) != m.b]
    kept = [m.confidence for m in matches if truth.get(m.a) == m.b]
    assert all(0.0 <= c <= 1.0 for c in crossed + kept)
    assert len(crossed) == 8      # shin, foot and their details, both legs
    assert max(crossed) < 0.1
    assert np.median(kept) > 0.5


def test_a_joint_lasts_from_key_to_key_and_a_passing_overlap_does_not() -> None:
    case = stroke_case(24, 2, n_keys=3, smooth=True, line_width=2.0)
    first, last = case.keys[0], case.keys[2]
    joints = pairing(first, last, _truth_between(case, 0, 2)).lasting(True)
    lasting = {frozenset((case.key_ids[0][int(i)], case.key_ids[0][int(j)])) for i, j, *_ in joints.tolist()}
    upper_arm, forearm, pelvis = 2, 3, 18   # rig order; the forearm lies across the pelvis in the first key
    assert frozenset((upper_arm, forearm)) in lasting
    assert frozenset((forearm, pelvis)) not in lasting


def test_reconciling_three_keys_keeps_order_invariance() -> None:
    case = stroke_case(25, 0, n_keys=3, smooth=True, shuffle=True, reverse=True, resample=True, line_width=2.0)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(case.keys[1]))
    middle = type(case.keys[1])([case.keys[1].strokes[i] for i in order])
    plain = StrokeInbetweener(case.keys, case.key_times).frame(0.5 * (case.key_times[0] + case.key_times[1]))
    mixed = StrokeInbetweener([case.keys[0], middle, case.keys[2]], case.key_times).frame(
        0.5 * (case.key_times[0] + case.key_times[1]))
    assert len(plain.drawing) == len(mixed.drawing)
    for a, b in zip(plain.drawing.strokes, mixed.drawing.strokes):
        np.testing.assert_allclose(a.points, b.points, atol=1e-6)


def test_chain_links_are_every_linked_pair_of_exchanges() -> None:
    """The links found through touching strokes only are exactly those of comparing every two exchanges."""
    from nakawari.strokes.twins import chain_links
    rng = np.random.default_rng(4)
    for _ in range(20):
        n = int(rng.integers(4, 30))
        members = sorted({tuple(sorted(rng.choice(n, 2, replace=False).tolist())) for _ in range(n)})
        near = {s: set(rng.choice(n, int(rng.integers(0, 4)), replace=False).tolist()) - {s} for s in range(n)}

        def linked(one: tuple[int, int], other: tuple[int, int], near: dict[int, set[int]] = near) -> bool:
            (a, c), (x, y) = one, other
            return not {a, c} & {x, y} and ((x in near[a] and y in near[c]) or (y in near[a] and x in near[c]))
        assert chain_links(members, near) == [[k for k, other in enumerate(members) if linked(one, other)]
                                              for one in members]
