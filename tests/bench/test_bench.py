"""The benchmark harness: gap selection, scoring, tables (timing itself is never asserted)."""
from __future__ import annotations

import numpy as np

from nakawari.baselines import crossfade
from nakawari.bench.inbetween import nakawari_flow, per_gap, score_suite
from nakawari.synth import articulated_suite
from nakawari.table import format_table


def test_per_gap_uses_the_keys_around_each_time() -> None:
    keys = [np.dstack([np.full((2, 2, 3), v, np.float32), np.ones((2, 2), np.float32)]) for v in (0.0, 0.5, 1.0)]
    frames = per_gap(crossfade)(keys, [0.0, 1.0, 3.0], [0.5, 2.0, 3.0])
    assert [float(f[0, 0, 0]) for f in frames] == [0.25, 0.75, 1.0]


def test_scores_rank_nakawari_above_cross_fade_on_a_small_suite() -> None:
    cases = articulated_suite((480, 270), n_cases=2, seed=3)
    fade = score_suite(cases, per_gap(crossfade))
    ours = score_suite(cases, nakawari_flow("cpu"))
    assert len(ours.cd) == len(fade.cd) == sum(len(c.gt_frames) for c in cases)
    assert np.mean(ours.cd) < 0.8 * np.mean(fade.cd)
    assert ours.row("ours", fade)[3] < 0.8  # the ratio column


def test_table_aligns_columns() -> None:
    text = format_table("title", ["method", "x"], [["a", 1.23456], ["longer name", 123.0]])
    lines = text.splitlines()
    assert lines[0] == "title" and lines[3].endswith("1.235") and lines[4].endswith("123.0")
    assert len({len(line) for line in lines[1:]}) == 1


def test_held_out_families_keep_exact_truth_for_pencil_and_zoom() -> None:
    from nakawari.baselines import hold_nearer
    from nakawari.bench.inbetween import held_out_suites

    suites = held_out_suites((320, 180), quick=True)
    assert len(suites) == 4 and all(len(cases) == 2 for cases in suites.values())
    pencil_case = suites["held out: pencil on grainy paper, 540p"][0]
    grey = pencil_case.keys[0][..., :3].min()
    assert 0.4 < grey < 0.7  # pencil strokes, no black
    for cases in suites.values():  # the truth sits between its keys: holding a key scores worse than the truth
        scores = score_suite(cases[:1], per_gap(hold_nearer))
        assert min(scores.cd) > 0.0
        assert all(v == v for v in scores.clean)


def test_a_not_applicable_figure_prints_as_such() -> None:
    assert "n/a" in format_table("t", ["a", "b"], [["x", float("nan")]])
