"""The synthetic douga suite: exact, deterministic ground truth whatever the backdrop; and the bench's rows."""
from __future__ import annotations

import numpy as np

from nakawari.bench.douga import METHODS, score_suite
from nakawari.douga import schema as S
from nakawari.synth.douga import GT_LINE_WIDTH, degraded, douga_case, douga_suite


def test_ground_truth_is_deterministic_and_independent_of_the_backdrop():
    painted = douga_case(2, 1, size=(480, 270))
    again = douga_case(2, 1, size=(480, 270))
    paper = douga_case(2, 1, size=(480, 270), backdrop="paper")
    assert np.array_equal(painted.rgb, again.rgb)
    assert np.array_equal(painted.classes, paper.classes)
    assert not np.array_equal(painted.rgb, paper.rgb)
    # Where the paper frame is blank, the painted one shows its background.
    blank = (paper.rgb == 255).all(axis=2)
    assert blank.mean() > 0.5
    assert (painted.rgb[blank] != 255).any(axis=1).mean() > 0.9


def test_suite_holds_every_class():
    found = set()
    for case in douga_suite((960, 540), n_cases=4, seed=0):
        found |= set(np.unique(case.classes).tolist())
    assert found == set(range(S.N_CLASSES))


def test_undrawn_boundaries_have_the_fixed_width():
    case = douga_case(0, 0, backdrop="paper")
    shading = case.classes == S.SHADING_LINE
    # Rows across a (mostly vertical) shading boundary: runs of GT_LINE_WIDTH pixels (or fewer where it ends).
    runs = [np.diff(np.flatnonzero(np.diff(np.r_[0, row, 0]))) [::2] for row in shading.astype(np.int8)]
    lengths = np.concatenate([r for r in runs if r.size])
    assert np.median(lengths) <= GT_LINE_WIDTH + 1


def test_transparent_and_degraded_variants():
    layer = douga_case(1, 0, size=(480, 270), backdrop="transparent")
    assert layer.alpha is not None and layer.book is None
    assert (layer.alpha[layer.classes == S.VISIBLE_LINE] > 0.4).all()
    assert (layer.alpha[layer.classes == S.FLAT] < 1).any()
    base = douga_case(1, 0, size=(480, 270))
    for kind in ("jpeg60", "blur", "noise"):
        worse = degraded(base, kind)
        assert np.array_equal(worse.classes, base.classes)
        assert not np.array_equal(worse.rgb, base.rgb) and worse.name.endswith(kind)


def test_bench_rows_rank_as_expected():
    cases = douga_suite((960, 540), n_cases=1, seed=3)
    scores = {name: score_suite(cases, method) for name, method in METHODS.items()}
    flat, canny = scores["all flat"], scores["Canny edges as visible lines"]
    raw, post = scores["nakawari raw"], scores["nakawari post-processed (3 px)"]
    assert flat.line_recall == 0.0 and flat.accuracy > 0.8   # accuracy alone says little
    assert raw.mean_iou > canny.mean_iou + 0.3 and post.mean_iou > canny.mean_iou + 0.3
    assert raw.accuracy > flat.accuracy
