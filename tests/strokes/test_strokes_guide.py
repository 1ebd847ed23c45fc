"""Vector mode on raster line art: strokes that stroke matching cannot vouch for follow flow mode's motion
(core/strokes/guide.py), where the flow itself holds."""
from __future__ import annotations

import numpy as np

from nakawari.baselines import dis_warp_average
from nakawari.metrics import chamfer_distance
from nakawari.strokes.raster import inbetween_vector
from nakawari.synth import articulated_suite, ball_suite


def test_occluding_figure_fragments_follow_the_flow_and_land_near_the_truth() -> None:
    # A turning figure of filled, occluding outlines: its keys break into pieces that differ between keys,
    # so most stroke matches are uncertain. Unguided, vector mode did worse than the warp-average here.
    case = articulated_suite((960, 540), n_cases=1, seed=11)[0]
    truth = case.gt_frames[case.gt_times.index(0.5)]
    made = inbetween_vector(case.keys, case.key_times, [0.5])[0]
    baseline = dis_warp_average(case.keys[0], case.keys[1], 0.5)
    assert chamfer_distance(made, truth) < 0.7 * chamfer_distance(baseline, truth)


def test_far_jumps_the_flow_cannot_follow_keep_the_stroke_interpolation() -> None:
    # A thin-lined ball jumping far: the flow lands its pieces on ink, but pieces of one ball in different
    # places, and its confident matches off their partners. The gap must keep the stroke interpolation.
    case = ball_suite((960, 540), n_cases=3, seed=26)[2]
    times = case.gt_times[:2]
    guided = inbetween_vector(case.keys, case.key_times, times)
    plain = inbetween_vector(case.keys, case.key_times, times, flow_guide=False)
    assert all(np.array_equal(a, b) for a, b in zip(guided, plain))
