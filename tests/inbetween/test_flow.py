"""Flow-mode inbetweening on small synthetic drawings (quality thresholds are loose on purpose)."""
import cv2
import numpy as np
import pytest

from nakawari.image import ink
from nakawari.inbetween import Cancelled, PairInbetweener, inbetween
from nakawari.inbetween.flow import DEFAULT_DENSE_FLOW, consistency, reverse_flow
from nakawari.inbetween.settings import InbetweenSettings, PartSettings

H, W = 180, 320


def _arm(angle: float, shift: float = 0.0, transparent: bool = False, width: int = 3) -> np.ndarray:
    """A two-segment arm plus a head circle, rotating about the shoulder."""
    ink = np.zeros((H, W), np.uint8)
    sh = np.array([110.0 + shift, 90.0])
    elbow = sh + 60 * np.array([np.cos(angle), np.sin(angle)])
    hand = elbow + 50 * np.array([np.cos(angle + 0.3), np.sin(angle + 0.3)])
    pts = (np.array([sh, elbow, hand]) * 16).astype(np.int32)
    cv2.polylines(ink, [pts], False, 255, width, cv2.LINE_AA, shift=4)
    cv2.circle(ink, (int((sh[0] - 40) * 16), int(sh[1] * 16)), 20 * 16, 255, width, cv2.LINE_AA, shift=4)
    k = ink.astype(np.float32) / 255.0
    rgba = np.ones((H, W, 4), np.float32)
    if transparent:
        rgba[..., :3] = 0.0
        rgba[..., 3] = k
    else:
        rgba[..., :3] = 1.0 - k[..., None]
    return rgba


def _ink(rgba):
    """Alpha on a transparent layer, darkness on paper."""
    if rgba[..., 3].min() < 0.999:
        return rgba[..., 3]
    return 1.0 - rgba[..., :3].mean(-1)


def _chamfer(a, b):
    ma, mb = _ink(a) > 0.5, _ink(b) > 0.5
    da = cv2.distanceTransform((~ma).astype(np.uint8), cv2.DIST_L2, 5)
    db = cv2.distanceTransform((~mb).astype(np.uint8), cv2.DIST_L2, 5)
    return 0.5 * (db[ma].mean() + da[mb].mean())


def test_shapes_dtype_and_key_times():
    k0, k1 = _arm(0.2), _arm(0.6, shift=20)
    res = inbetween([k0, k1], [0.0, 1.0], [0.0, 0.5, 1.0, 0.25], device="cpu")
    assert res.mode == "flow" and res.device == "cpu"
    assert len(res.frames) == 4
    for f in res.frames:
        assert f.shape == (H, W, 4) and f.dtype == np.float32
        assert 0.0 <= f.min() and f.max() <= 1.0
    assert np.array_equal(res.frames[0], k0) and np.array_equal(res.frames[2], k1)
    assert res.frames[0] is not k0
    # Paper stays paper.
    assert res.frames[1][..., 3].min() == 1.0


def test_identical_keys_give_copies():
    k = _arm(0.4)
    res = inbetween([k, k.copy()], [0, 1], [0.3, 0.7], device="cpu")
    for f in res.frames:
        assert np.array_equal(f, k)


def test_blank_keys_do_not_crash():
    blank = np.ones((H, W, 4), np.float32)
    res = inbetween([blank, blank.copy()], [0, 1], [0.5], device="cpu")
    assert np.array_equal(res.frames[0], blank)
    # One blank, one drawn: still a frame of the right form.
    res = inbetween([blank, _arm(0.3)], [0, 1], [0.5], device="cpu")
    assert res.frames[0].shape == (H, W, 4)


def test_moving_shape_lands_near_true_position_and_beats_crossfade():
    k0, k1 = _arm(0.1), _arm(0.7, shift=30)
    gt = _arm(0.4, shift=15)
    mid = inbetween([k0, k1], [0, 1], [0.5], device="cpu").frames[0]
    crossfade = 0.5 * k0 + 0.5 * k1
    ours = _chamfer(mid, gt)
    assert ours < 4.0
    assert ours < 0.6 * _chamfer(crossfade, gt)


def test_output_lines_are_crisp_and_keep_width():
    from nakawari.lines import measure_line_width

    k0, k1 = _arm(0.1, width=4), _arm(0.5, shift=20, width=4)
    mid = inbetween([k0, k1], [0, 1], [0.5], device="cpu").frames[0]
    ink = 1.0 - mid[..., :3].mean(-1)
    w_key = measure_line_width(1.0 - k0[..., :3].mean(-1))
    assert measure_line_width(ink) == pytest.approx(w_key, rel=0.25)
    # Crisp: hardly any grey ghost pixels (ink neither paper nor line core).
    drawn = ink > 0.02
    grey = (ink > 0.1) & (ink < 0.9)
    assert grey.sum() < 0.5 * drawn.sum()


def test_explicit_line_width():
    from nakawari.lines import measure_line_width

    k0, k1 = _arm(0.1), _arm(0.5, shift=20)
    mid = inbetween([k0, k1], [0, 1], [0.5], device="cpu", line_width=6.0).frames[0]
    assert measure_line_width(1.0 - mid[..., :3].mean(-1)) == pytest.approx(6.0, rel=0.2)


def test_transparent_form_kept():
    k0, k1 = _arm(0.1, transparent=True), _arm(0.5, shift=20, transparent=True)
    mid = inbetween([k0, k1], [0, 1], [0.5], device="cpu").frames[0]
    assert mid[..., 3].min() == 0.0 and mid[..., 3].max() > 0.9
    assert _chamfer(mid, _arm(0.3, shift=10, transparent=True)) < 4.0


def test_three_keys_use_all_pairs_in_order():
    keys = [_arm(0.0), _arm(0.4, shift=15), _arm(0.8, shift=30)]
    res = inbetween(keys, [0, 2, 4], [3.0, 1.0, 2.0], device="cpu")
    assert np.array_equal(res.frames[2], keys[1])
    assert _chamfer(res.frames[1], _arm(0.2, shift=7.5)) < 4.0
    assert _chamfer(res.frames[0], _arm(0.6, shift=22.5)) < 4.0


def test_coloured_cels_keep_flat_fills():
    def cel(x):
        img = np.ones((H, W, 4), np.float32)
        cv2.circle(img, (int(x), 90), 40, (0.9, 0.3, 0.2, 1.0), -1, cv2.LINE_AA)
        cv2.circle(img, (int(x), 90), 40, (0.0, 0.0, 0.0, 1.0), 3, cv2.LINE_AA)
        return img
    mid = inbetween([cel(100), cel(160)], [0, 1], [0.5], device="cpu").frames[0]
    inner = mid[75:105, 115:145, :3]
    # The fill arrives whole and unblended with paper (no muddy pink).
    assert np.abs(inner - np.array([0.9, 0.3, 0.2])).max() < 0.05


def test_progress_and_cancel():
    k0, k1 = _arm(0.1), _arm(0.5, shift=20)
    calls = []
    inbetween([k0, k1], [0, 1], [0.25, 0.5, 0.75], device="cpu", progress=lambda d, n, m: calls.append((d, n)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(Cancelled):
        inbetween([k0, k1], [0, 1], [0.25, 0.5], device="cpu", cancel=lambda: True)
    seen = []

    def cancel_after_one():
        return len(seen) >= 1

    with pytest.raises(Cancelled):
        inbetween([k0, k1], [0, 1], [0.25, 0.5, 0.75], device="cpu", cancel=cancel_after_one,
                  progress=lambda d, n, m: seen.append(d))
    assert seen == [1]


def test_bad_arguments():
    k0, k1 = _arm(0.1), _arm(0.5)
    with pytest.raises(ValueError, match="mode"):
        inbetween([k0, k1], [0, 1], [0.5], mode="vector")
    with pytest.raises(ValueError, match="device"):
        inbetween([k0, k1], [0, 1], [0.5], device="tpu")
    with pytest.raises(ValueError):
        inbetween([k0, k1], [0, 1], [1.5], device="cpu")


def test_settings_reach_the_frames():
    # The settings passed to inbetween() are the ones its steps read: a coarser working resolution, or
    # no rigid parts, gives another frame; the defaults passed explicitly give the same one.
    k0, k1 = _arm(0.1), _arm(0.8, shift=20)
    plain = inbetween([k0, k1], [0, 1], [0.5], device="cpu").frames[0]
    same = inbetween([k0, k1], [0, 1], [0.5], device="cpu", settings=InbetweenSettings()).frames[0]
    coarse = inbetween([k0, k1], [0, 1], [0.5], device="cpu", settings=InbetweenSettings(work_long_side=60)).frames[0]
    flat = inbetween([k0, k1], [0, 1], [0.5], device="cpu",
                     settings=InbetweenSettings(parts=PartSettings(rigid_parts=False))).frames[0]
    assert np.array_equal(plain, same)
    assert not np.array_equal(plain, coarse) and not np.array_equal(plain, flat)


def test_pair_inbetweener_reuse_is_consistent():
    k0, k1 = _arm(0.1), _arm(0.5, shift=20)
    p = PairInbetweener(k0, k1, device="cpu")
    a = p.render(0.4)
    assert np.array_equal(p.render(0.4), a)
    assert np.array_equal(p.render(0.0), k0) and np.array_equal(p.render(1.0), k1)


def test_consistency_and_reverse_flow():
    h, w = 40, 50
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = 5.0
    back = -flow
    tolerance, share = DEFAULT_DENSE_FLOW.occlusion_tolerance, DEFAULT_DENSE_FLOW.occlusion_share
    assert consistency(flow, back, tolerance, share)[:, :40].min() == 1.0
    assert consistency(flow, np.zeros_like(flow), tolerance, share)[:, :40].max() == 0.0
    rev = reverse_flow(flow * 0.5, np.ones((h, w), np.float32), 2.0)
    # Pixels landing at x + 2.5 point back by −2.5.
    assert np.allclose(rev[:, 10:40, 0], -2.5, atol=1e-4)


def test_a_drawing_that_jumps_far_travels_instead_of_staying_at_the_keys():
    """A bouncing ball crossing half the frame between keys: the inbetween shows one ball, half-way."""
    from nakawari.metrics import chamfer_distance
    from nakawari.synth.ball import render_ball

    start, end = np.array([0.3, 0.3, 0.0, 0.0]), np.array([1.2, 0.7, 0.0, 0.0])
    keys = [render_ball(p, (960, 540), 3, False) for p in (start, end)]
    truth = render_ball((start + end) / 2, (960, 540), 3, False)
    frame = inbetween(keys, [0.0, 1.0], [0.5], device="cpu").frames[0]
    assert chamfer_distance(frame, truth) < 1.0
    # Nothing is left behind where the ball was at either key.
    for key in keys:
        assert ink(frame)[ink(key) > 0.5].max() < 0.5
