"""Baselines: identities, dtypes, and that the flow baseline really moves content."""

import numpy as np
import pytest

from nakawari.baselines import blend_rgba, crossfade, dis_warp_average
from nakawari.inbetween.warp import warp_field
from nakawari.synth import articulated_motion


def _blob(cx: float, h: int = 64, w: int = 96) -> np.ndarray:
    """Soft dark disc on white paper (textured enough for optical flow)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.exp(-((xx - cx) ** 2 + (yy - h / 2) ** 2) / (2 * 6.0**2))
    img = np.ones((h, w, 4), np.float32)
    img[..., :3] = (1.0 - 0.9 * d)[..., None]
    return img


def _dark_centroid_x(img: np.ndarray) -> float:
    dark = 1.0 - img[..., 0]
    xs = np.arange(img.shape[1])
    return float((dark.sum(0) * xs).sum() / dark.sum())


def test_crossfade_endpoints_and_mid() -> None:
    a, b = _blob(30), _blob(60)
    assert np.allclose(crossfade(a, b, 0.0), a, atol=1e-6)
    assert np.allclose(crossfade(a, b, 1.0), b, atol=1e-6)
    mid = crossfade(a, b, 0.5)
    assert mid.dtype == np.float32 and mid.shape == a.shape
    assert np.allclose(mid, 0.5 * (a + b), atol=1e-6)  # opaque: plain linear blend


def test_crossfade_transparent_uses_premultiplied() -> None:
    ink = np.zeros((1, 1, 4), np.float32)
    ink[..., 3] = 1.0  # opaque black
    clear = np.ones((1, 1, 4), np.float32)
    clear[..., 3] = 0.0  # transparent (colour white but meaningless)
    out = crossfade(ink, clear, 0.5)
    assert out[0, 0, 3] == pytest.approx(0.5)
    assert np.allclose(out[0, 0, :3], 0.0)  # still black ink, just half covered


def test_crossfade_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        crossfade(np.ones((4, 4, 4), np.float32), np.ones((4, 5, 4), np.float32), 0.5)
    with pytest.raises(ValueError):
        crossfade(np.ones((4, 4, 3), np.float32), np.ones((4, 4, 3), np.float32), 0.5)


def test_backward_warp_zero_flow_is_identity() -> None:
    a = _blob(40)
    assert np.array_equal(warp_field(a, np.zeros(a.shape[:2] + (2,), np.float32)), a)


def test_backward_warp_integer_shift() -> None:
    a = _blob(40)
    flow = np.zeros(a.shape[:2] + (2,), np.float32)
    flow[..., 0] = -5.0  # sample 5 px to the left -> content moves right
    out = warp_field(a, flow)
    assert np.allclose(out[:, 5:], a[:, :-5])


def test_dis_identical_keys_give_key_back() -> None:
    key = articulated_motion(0, 0, line_width=2).render(0.0, (320, 180))
    for t in (0.25, 0.5):
        out = dis_warp_average(key, key.copy(), t)
        assert out.dtype == np.float32 and out.shape == key.shape
        assert np.abs(out - key).max() < 1e-3


def test_dis_moves_blob_halfway() -> None:
    a, b = _blob(36), _blob(48)
    out = dis_warp_average(a, b, 0.5)
    cx = _dark_centroid_x(out)
    assert cx == pytest.approx(42.0, abs=1.5)
    # A crossfade keeps the centroid at the middle too but as two ghosts: the
    # flow result must be one blob, i.e. much darker at its centre.
    assert out[32, 42, 0] < crossfade(a, b, 0.5)[32, 42, 0] - 0.2
    assert np.all((out >= 0) & (out <= 1))


def test_dis_endpoints() -> None:
    a, b = _blob(36), _blob(44)
    assert np.abs(dis_warp_average(a, b, 0.0) - a).max() < 1e-5
    assert np.abs(dis_warp_average(a, b, 1.0) - b).max() < 1e-5


def test_blend_rgba_is_deterministic() -> None:
    a, b = _blob(30), _blob(50)
    assert np.array_equal(blend_rgba(a, b, 0.3), blend_rgba(a, b, 0.3))
