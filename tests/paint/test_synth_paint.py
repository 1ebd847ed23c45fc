"""Painted backgrounds, distractors and degradations: shape, range, determinism, and that they do what they say."""
import numpy as np
import pytest

from nakawari.synth.paint import DEGRADATIONS, add_distractors, degrade, painted_background


def test_background_is_deterministic_float_rgb_without_flat_regions():
    a = painted_background(90, 160, np.random.default_rng(3))
    b = painted_background(90, 160, np.random.default_rng(3))
    c = painted_background(90, 160, np.random.default_rng(4))
    assert a.shape == (90, 160, 3) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.02
    # Painterly: no large patch of one colour, and soft (no strong step edges).
    u8 = np.round(a * 255).astype(np.uint8)
    _, counts = np.unique(u8.reshape(-1, 3), axis=0, return_counts=True)
    assert counts.max() < 0.01 * u8.shape[0] * u8.shape[1]
    assert np.abs(np.diff(a, axis=1)).max() < 0.25


def test_distractors_copy_and_add_a_flat_blob():
    bg = painted_background(120, 200, np.random.default_rng(0))
    before = bg.copy()
    out = add_distractors(bg, np.random.default_rng(1))
    np.testing.assert_array_equal(bg, before)  # the input is left alone
    assert out.shape == bg.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, add_distractors(bg, np.random.default_rng(1)))
    # The outline-less flat blob: one exact colour covering a region of the frame.
    _, counts = np.unique(out.reshape(-1, 3), axis=0, return_counts=True)
    assert counts.max() > 0.002 * 120 * 200


@pytest.mark.parametrize("kind", DEGRADATIONS)
def test_degrade_changes_little_and_keeps_shape(kind):
    image = np.round(add_distractors(painted_background(64, 96, np.random.default_rng(2)),
                                     np.random.default_rng(2)) * 255).astype(np.uint8)
    out = degrade(image, np.random.default_rng(0), kind)
    assert out.shape == image.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(int) - image).mean()
    assert 0 < diff < 8


def test_jpeg_quality_orders_error_and_keeps_channel_order():
    rng = np.random.default_rng(5)
    image = np.round(painted_background(64, 96, rng) * 255).astype(np.uint8)
    image[20:40, 30:60] = (230, 20, 20)  # a saturated red patch stays red, not blue
    errors = [np.abs(degrade(image, rng, f"jpeg{q}").astype(int) - image).mean() for q in (60, 75, 90)]
    assert errors[0] > errors[1] > errors[2]
    red = degrade(image, rng, "jpeg75")[25:35, 35:55].mean(axis=(0, 1))
    assert red[0] > 180 and red[2] < 80


def test_unknown_degradation_is_refused():
    with pytest.raises(ValueError):
        degrade(np.zeros((4, 4, 3), np.uint8), np.random.default_rng(0), "sepia")
