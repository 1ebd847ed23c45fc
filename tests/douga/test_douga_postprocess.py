"""Fixed-width post-processor (width measured on its output, class votes, determinism) and the douga scores."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.douga import schema as S
from nakawari.douga.extract import extract
from nakawari.douga.postprocess import postprocess
from nakawari.douga.score import DougaScore, score
from nakawari.lines import measure_line_width
from nakawari.synth.douga import douga_case


@pytest.fixture(scope="module")
def case_and_raw():
    case = douga_case(7, 0, backdrop="paper")
    return case, extract(case.rgba(), case.book)


def _line_mask(classes: np.ndarray) -> np.ndarray:
    return S.IS_LINE[classes].astype(np.float32)


@pytest.mark.parametrize("width", [3.0, 5.0])
def test_lines_come_out_at_the_asked_width(case_and_raw, width):
    _, raw = case_and_raw
    out = postprocess(raw, width)
    assert abs(measure_line_width(_line_mask(out)) - width) <= 0.6


def test_uneven_raw_lines_become_one_width():
    raw = np.zeros((120, 160), np.uint8)
    cv2.line(raw, (10, 20), (150, 30), S.VISIBLE_LINE, 7)
    cv2.line(raw, (10, 60), (150, 100), S.SHADING_LINE, 2)
    cv2.circle(raw, (80, 80), 20, S.COLOR_EDGE, 4)
    out = postprocess(raw, 3.0)
    assert abs(measure_line_width(_line_mask(out)) - 3.0) <= 0.5
    assert abs(measure_line_width((out == S.VISIBLE_LINE).astype(np.float32)) - 3.0) <= 0.5
    # Each line keeps its class from the raw prediction around it.
    assert S.VISIBLE_LINE in out[22:29, 80]  # the 7 px line, y = 25 at x = 80
    assert S.COLOR_EDGE in out[58:63, 80] or S.COLOR_EDGE in out[55:65, 100]
    assert S.SHADING_LINE in out[78:86, 80]


def test_one_class_per_connected_fill_area(case_and_raw):
    _, raw = case_and_raw
    out = postprocess(raw)
    fills = ~S.IS_LINE[out]
    count, labels = cv2.connectedComponents(fills.astype(np.uint8), connectivity=4)
    for label in range(1, count):
        assert np.unique(out[labels == label]).size == 1


def test_deterministic_and_solid_ink_kept():
    raw = np.zeros((80, 80), np.uint8)
    cv2.circle(raw, (40, 40), 30, S.VISIBLE_LINE, 2)
    cv2.circle(raw, (40, 40), 8, S.VISIBLE_LINE, -1)  # a pupil: solid ink, not a line to thin
    a, b = postprocess(raw), postprocess(raw.copy())
    assert np.array_equal(a, b)
    assert (a[35:46, 35:46] == S.VISIBLE_LINE).all()


def test_post_processed_suite_case_scores_close_to_raw(case_and_raw):
    case, raw = case_and_raw
    before, after = score(raw, case.classes), score(postprocess(raw), case.classes)
    assert after.accuracy >= before.accuracy - 0.02
    assert after.line_recall >= 0.9 and after.line_precision >= 0.95


def test_scores_of_perfect_shifted_and_empty_predictions():
    truth = np.zeros((60, 60), np.uint8)
    truth[20:40, 20:40] = S.SHADING_FILL
    truth[30, 5:55] = S.VISIBLE_LINE
    perfect = score(truth, truth)
    assert perfect.accuracy == 1.0 and perfect.mean_iou == 1.0
    assert perfect.line_recall == 1.0 and perfect.line_precision == 1.0
    shifted = np.roll(truth, 1, axis=0)
    s = score(shifted, truth)
    assert s.edges_vs_areas()["edge_recall"] == 0.0           # strict: a one-pixel shift misses every line pixel
    assert s.line_recall == 1.0 and s.line_precision == 1.0    # within 2 px it is found
    flat = score(np.zeros_like(truth), truth)
    assert flat.line_recall == 0.0 and flat.iou()[S.SHADING_FILL] == 0.0
    e = flat.edges_vs_areas()
    assert e["edge_area"] == 50 and e["edge_edge"] == 0 and e["area_area"] == 60 * 60 - 50
    total = DougaScore().add(truth, truth).add(np.zeros_like(truth), truth)
    assert total.accuracy == pytest.approx((2 * 3600 - (50 + 400 - 20)) / 7200)
