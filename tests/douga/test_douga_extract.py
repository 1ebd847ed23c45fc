"""The extractor: a hand-painted cel whose every region is known, then suite cases with asserted minimum scores."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.douga import schema as S
from nakawari.douga.extract import extract
from nakawari.douga.postprocess import postprocess
from nakawari.douga.score import DougaScore
from nakawari.douga.settings import DEFAULT_DOUGA, DougaSettings
from nakawari.synth.douga import degraded, douga_case, douga_suite

BASE = np.array([0.9, 0.6, 0.5], np.float32)


def _painted_disc() -> np.ndarray:
    """A disc on paper: base colour, a hard shade on the left (base × 0.75), a highlight rim at the top right
    (base mixed 60 % towards white), a blue band across the bottom, and a 3 px ink outline."""
    h = w = 200
    img = np.ones((h, w, 3), np.float32)
    yy, xx = np.mgrid[:h, :w]
    disc = (yy - 100) ** 2 + (xx - 100) ** 2 <= 70 ** 2
    img[disc] = BASE
    img[disc & (xx < 80)] = BASE * 0.75
    rim = disc & ((yy - 112) ** 2 + (xx - 88) ** 2 > 70 ** 2) & (xx > 95)
    img[rim] = BASE + 0.6 * (1 - BASE)
    img[disc & (yy > 140) & (yy < 155)] = (0.3, 0.5, 0.95)
    u8 = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    cv2.circle(u8, (100, 100), 70, (20, 15, 20), 3, cv2.LINE_AA)
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :3] = u8.astype(np.float32) / 255.0
    return rgba


def test_each_region_and_boundary_of_a_painted_disc_gets_its_class():
    classes = extract(_painted_disc())
    assert classes[100, 100] == S.FLAT                          # base tone
    assert classes[100, 50] == S.SHADING_FILL
    assert classes[147, 100] == S.COLOR_FILL
    assert classes[10, 10] == S.FLAT                            # paper outside
    assert classes[100, 30] == S.VISIBLE_LINE                   # the outline (x = 100 − 70)
    assert S.SHADING_LINE in classes[100, 77:82]                # shade boundary at x = 80
    assert S.COLOR_EDGE in classes[137:142, 100]                # band top at y = 140
    rim_fill = classes[36:42, 125]
    assert S.HIGHLIGHT_FILL in rim_fill or S.HIGHLIGHT_LINE in rim_fill
    assert (classes == S.HIGHLIGHT_LINE).any()


def test_textured_background_is_flat_area_and_blank_frames_are_all_flat():
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.random((120, 160, 3)).astype(np.float32), (0, 0), 6)
    rgba = np.ones((120, 160, 4), np.float32)
    rgba[..., :3] = 0.3 + 0.6 * (noise - noise.min()) / np.ptp(noise)
    assert (extract(rgba) == S.FLAT).mean() > 0.97
    assert (extract(np.ones((50, 70, 4), np.float32)) == S.FLAT).all()


def _scores(cases, post: bool) -> DougaScore:
    total = DougaScore()
    for case in cases:
        raw = extract(case.rgba(), case.book)
        total.add(postprocess(raw) if post else raw, case.classes)
    return total


@pytest.fixture(scope="module")
def painted():
    return douga_suite((960, 540), n_cases=2, seed=5)


@pytest.mark.parametrize("post, accuracy, mean_iou, recall, precision", [
    (False, 0.99, 0.68, 0.94, 0.95),
    (True, 0.985, 0.58, 0.91, 0.95),
])
def test_painted_suite_scores(painted, post, accuracy, mean_iou, recall, precision):
    s = _scores(painted, post)
    assert s.accuracy >= accuracy
    assert s.mean_iou >= mean_iou
    assert s.line_recall >= recall
    assert s.line_precision >= precision


def test_degraded_frames_stay_close():
    cases = [degraded(case, kind) for case, kind in zip(douga_suite((960, 540), n_cases=2, seed=5),
                                                        ("jpeg75", "noise"))]
    s = _scores(cases, post=False)
    assert s.accuracy >= 0.985 and s.mean_iou >= 0.6
    assert s.line_recall >= 0.9 and s.line_precision >= 0.9


def test_transparent_layer_uses_its_alpha():
    case = douga_case(5, 0, backdrop="transparent")
    classes = extract(case.rgba())
    assert (classes[case.alpha <= 0] == S.FLAT).all()
    s = _scores([case], post=False)
    assert s.accuracy >= 0.99 and s.mean_iou >= 0.6


def test_books_only_with_a_foreground_layer():
    case = douga_case(5, 1)
    assert case.book is not None
    with_book = extract(case.rgba(), case.book)
    without = extract(case.rgba())
    assert not np.isin(without, (S.BOOK_LINE, S.BOOK_FILL)).any()
    iou = DougaScore().add(with_book, case.classes).iou()
    assert iou[S.BOOK_FILL] > 0.95 and iou[S.BOOK_LINE] > 0.8


def test_settings_reach_the_reader_and_its_post_processor():
    """The thresholds travel as DougaSettings (defaults: the module's old values), not module globals."""
    rgba = _painted_disc()
    default = extract(rgba)
    np.testing.assert_array_equal(default, extract(rgba, settings=DEFAULT_DOUGA))
    no_ink = extract(rgba, settings=DougaSettings(ink_contrast=2.0))  # nothing is that much darker
    assert (default == S.VISIBLE_LINE).sum() > 0 and (no_ink[98:103, 28:33] != S.VISIBLE_LINE).any()
    wide = DougaSettings(boundary_width=7)
    assert (S.IS_LINE[extract(rgba, settings=wide)]).sum() > S.IS_LINE[default].sum()
    assert not np.array_equal(postprocess(default, 3.0), postprocess(default, 3.0, DougaSettings(vote_radius=0)))
