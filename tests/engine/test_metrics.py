"""Metrics on hand-computable cases."""

import numpy as np
import pytest

from nakawari.metrics import animeinbet_cd, chamfer_distance, ink_mask, to_gray_u8


def _paper(h: int = 20, w: int = 30) -> np.ndarray:
    return np.ones((h, w, 4), np.float32)


def _dot(y: int, x: int, h: int = 20, w: int = 30) -> np.ndarray:
    img = _paper(h, w)
    img[y, x, :3] = 0.0
    return img


def test_to_gray_u8_variants() -> None:
    rgba = _paper(2, 2)
    rgba[0, 0] = (1.0, 0.0, 0.0, 1.0)  # pure red -> .2989
    rgba[0, 1] = (0.0, 0.0, 0.0, 0.0)  # transparent black -> white paper
    rgba[1, 0] = (0.0, 0.0, 0.0, 0.5)  # half-covered black -> mid gray
    g = to_gray_u8(rgba)
    assert g.dtype == np.uint8 and g.shape == (2, 2)
    assert g[0, 0] == round(0.2989 * 255)
    assert g[0, 1] == 255
    assert g[1, 0] in (127, 128)
    assert g[1, 1] == 255
    assert np.array_equal(to_gray_u8(np.array([[0.0, 1.0]])), np.array([[0, 255]], np.uint8))
    u8 = np.array([[3, 200]], np.uint8)
    assert to_gray_u8(u8) is u8 or np.array_equal(to_gray_u8(u8), u8)
    rgb_u8 = np.zeros((1, 1, 3), np.uint8)
    assert to_gray_u8(rgb_u8)[0, 0] == 0
    with pytest.raises(ValueError):
        to_gray_u8(np.zeros((2, 2, 5)))


def test_ink_threshold() -> None:
    g = np.array([[0, 127, 128, 255]], np.uint8)
    assert ink_mask(g).tolist() == [[True, True, False, False]]


def test_chamfer_identical_is_zero() -> None:
    img = _dot(5, 5)
    img[10:12, 3:20, :3] = 0.0
    assert chamfer_distance(img, img.copy()) == 0.0


def test_chamfer_dot_moved_three_pixels() -> None:
    assert chamfer_distance(_dot(5, 5), _dot(5, 8)) == pytest.approx(3.0, abs=1e-4)
    assert chamfer_distance(_dot(5, 5), _dot(8, 5)) == pytest.approx(3.0, abs=1e-4)
    # diagonal 3-4-5 move
    assert chamfer_distance(_dot(2, 2), _dot(5, 6)) == pytest.approx(5.0, abs=1e-3)


def test_chamfer_asymmetric_average() -> None:
    # pred has two dots: one on gt (0) and one 4 px away -> pred->gt mean = 2;
    # gt dot is matched exactly -> gt->pred = 0; CD = (2 + 0) / 2 = 1.
    pred = _dot(5, 5)
    pred[5, 9, :3] = 0.0
    assert chamfer_distance(pred, _dot(5, 5)) == pytest.approx(1.0, abs=1e-4)


def test_chamfer_empty_handling() -> None:
    h, w = 20, 30
    assert chamfer_distance(_paper(h, w), _paper(h, w)) == 0.0
    assert chamfer_distance(_paper(h, w), _dot(3, 3)) == pytest.approx(np.hypot(h, w))
    assert chamfer_distance(_dot(3, 3), _paper(h, w)) == pytest.approx(np.hypot(h, w))


def test_chamfer_accepts_gray_inputs() -> None:
    a = np.full((10, 10), 255, np.uint8)
    b = a.copy()
    a[2, 2] = 0
    b[2, 6] = 0
    assert chamfer_distance(a, b) == pytest.approx(4.0, abs=1e-4)
    assert chamfer_distance(a / 255.0, b / 255.0) == pytest.approx(4.0, abs=1e-4)
    with pytest.raises(ValueError):
        chamfer_distance(a, np.zeros((5, 5), np.uint8))


def test_chamfer_transparent_layer_composited() -> None:
    layer = np.zeros((10, 10, 4), np.float32)  # fully transparent: no ink
    layer[4, 4] = (0, 0, 0, 1)
    assert chamfer_distance(layer, _dot(4, 4, 10, 10)) == 0.0


def test_animeinbet_cd_units() -> None:
    # 3x4 image, diagonal 5. One line pixel each, 3 px apart:
    # each direction = (3 / 12 pixels) / 5 = 0.05 -> 0.05 * 1e5 = 5000.
    pred = np.full((3, 4), 255, np.uint8)
    gt = pred.copy()
    pred[0, 0] = 0
    gt[0, 3] = 0
    assert animeinbet_cd(pred, gt) == pytest.approx(5000.0, rel=1e-9)
    assert animeinbet_cd(pred, pred) == 0.0


def test_animeinbet_cd_threshold_and_empty() -> None:
    # Anything below 255*0.99 = 252.45 is line: a light 252 pixel counts.
    pred = np.full((3, 4), 255, np.uint8)
    gt = pred.copy()
    pred[0, 0] = 252
    gt[0, 3] = 0
    assert animeinbet_cd(pred, gt) == pytest.approx(5000.0)
    pred[0, 0] = 253  # no longer a line: pred empty -> its EDT is the diagonal
    # gt->pred: (1 * 5 / 12) / 5 ; pred->gt: 0 -> average /2 -> 1/24 * 1e5
    assert animeinbet_cd(pred, gt) == pytest.approx(1e5 / 24)
    empty = np.full((3, 4), 255, np.uint8)
    assert animeinbet_cd(empty, empty) == 0.0


def test_metrics_grow_with_shift() -> None:
    a = _paper(40, 40)
    a[10:30, 20, :3] = 0.0
    prev = -1.0
    prev_ai = -1.0
    for s in (0, 1, 2, 4, 8):
        b = _paper(40, 40)
        b[10:30, 20 + s, :3] = 0.0
        cd, ai = chamfer_distance(a, b), animeinbet_cd(a, b)
        assert cd == pytest.approx(s, abs=1e-4)
        assert ai > prev_ai and cd > prev
        prev, prev_ai = cd, ai
