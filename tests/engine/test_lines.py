"""The fixed-width line post-processor."""
import cv2
import numpy as np
import pytest

from nakawari.lines import ink_from_skeleton, measure_line_width, redraw_fixed_width, skeletonize


def _strokes(shape=(240, 320), thickness=3, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros(shape, np.uint8)
    for _ in range(6):
        pts = rng.integers(20, min(shape) - 20, (4, 2)).astype(np.int32)
        pts[:, 0] = rng.integers(20, shape[1] - 20, 4)
        cv2.polylines(img, [pts], False, 255, thickness, cv2.LINE_AA)
    return img.astype(np.float32) / 255.0


def test_skeleton_is_thin_inside_and_keeps_strokes_connected():
    import cv2

    mask = _strokes(thickness=7) > 0.5
    skel = skeletonize(mask)
    assert skel.any() and not (skel & ~mask).any()
    # About one pixel wide: a 7 px stroke thins to well under a fifth of its area; 2x2 blocks are rare.
    assert skel.sum() < mask.sum() / 5
    assert (skel[:-1, :-1] & skel[1:, :-1] & skel[:-1, 1:] & skel[1:, 1:]).sum() <= 0.01 * skel.sum()
    assert cv2.connectedComponents(skel.astype(np.uint8))[0] == cv2.connectedComponents(mask.astype(np.uint8))[0]


@pytest.mark.parametrize("width", [1.5, 2.0, 3.0, 4.5, 6.0])
def test_redraw_gives_requested_width(width):
    ink = redraw_fixed_width(_strokes(thickness=5), width)
    assert ink.dtype == np.float32 and ink.shape == (240, 320)
    assert 0.0 <= ink.min() and ink.max() <= 1.0
    # Thin strokes measure up to ~15 % narrow (staircase skeletons); see measure_line_width.
    assert measure_line_width(ink) == pytest.approx(width, rel=0.2, abs=0.3)


def test_redraw_normalises_uneven_strokes():
    thick = _strokes(thickness=9, seed=1)
    thin_ = _strokes(thickness=2, seed=1)
    w_thick = measure_line_width(redraw_fixed_width(thick, 3.0))
    w_thin = measure_line_width(redraw_fixed_width(thin_, 3.0))
    assert abs(w_thick - w_thin) < 0.5


def test_measure_line_width_of_drawn_strokes():
    sk = np.zeros((200, 200), bool)
    sk[100, 20:180] = True
    sk[20:180, 50] = True
    for w in (2.0, 3.0, 5.0):
        assert measure_line_width(ink_from_skeleton(sk, w)) == pytest.approx(w, rel=0.1)


def test_blank_and_deterministic():
    blank = np.zeros((50, 60), np.float32)
    assert measure_line_width(blank) == 0.0
    assert not redraw_fixed_width(blank, 3.0).any()
    a = redraw_fixed_width(_strokes(), 3.0)
    assert np.array_equal(a, redraw_fixed_width(_strokes(), 3.0))


def test_filled_areas_keep_their_shape_and_strokes_give_none():
    from nakawari.lines import solid_areas

    img = np.zeros((120, 160), np.uint8)
    cv2.line(img, (10, 60), (150, 60), 255, 3, cv2.LINE_AA)
    width = measure_line_width(img.astype(np.float32) / 255.0)  # the keys' own width, as fusion uses it
    cv2.circle(img, (80, 75), 9, 255, -1, cv2.LINE_AA)  # a pupil touching the line
    ink = img.astype(np.float32) / 255.0
    solids = solid_areas(ink, width)
    assert solids[75, 80] > 0.9 and solids[68:83, 72:89].mean() > 0.7   # the disc survives whole
    assert solids[60, 10:40].max() == 0.0                                   # the stroke is left to the redraw
    plain = redraw_fixed_width(ink, width)
    assert plain[68:83, 72:89].mean() < solids[68:83, 72:89].mean()        # thinning alone shrinks it
    curves = np.zeros((200, 300), np.uint8)  # strokes that neither cross nor turn sharply: no fills
    for k in range(3):
        cv2.ellipse(curves, (150, 100), (40 + 30 * k, 25 + 20 * k), 10, 0, 300, 255, 3, cv2.LINE_AA)
    strokes_only = curves.astype(np.float32) / 255.0
    assert not solid_areas(strokes_only, measure_line_width(strokes_only)).any()
