"""Synthetic suites: structure, exact ground truth, framing, variants, speed."""


import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nakawari.metrics import chamfer_distance, ink_mask
from nakawari.synth import (
    Camera,
    Motion,
    Rig,
    articulated_motion,
    articulated_suite,
    cel_motion,
    cel_suite,
    inbetween_times,
    mannequin_rig,
    render_case_frame,
    render_pose,
)
from nakawari.synth.rig import P_ANGLE, Part, Shape, bbox, ellipse, joints, place

SMALL = (320, 180)


def _over_white(img: np.ndarray) -> np.ndarray:
    a = img[..., 3:4]
    return img[..., :3] * a + (1.0 - a)


def _ink_bbox(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(ink_mask(img))
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


@pytest.fixture(scope="module")
def suite():
    return articulated_suite(size=SMALL, n_cases=5, n_keys=3, inbetweens_per_gap=3, seed=0)


def test_suite_structure(suite) -> None:
    assert len(suite) == 5
    assert len({c.name for c in suite}) == 5
    for c in suite:
        assert c.name.startswith("articulated-") and c.name.endswith(f"-w{int(c.line_width)}")
        assert 1 <= c.line_width <= 5
        assert c.key_times == [0.0, 1.0, 2.0]
        assert c.gt_times == [0.25, 0.5, 0.75, 1.25, 1.5, 1.75]
        assert len(c.keys) == 3 and len(c.gt_frames) == 6
        for f in c.keys + c.gt_frames:
            assert f.dtype == np.float32 and f.shape == (180, 320, 4)
            assert f.min() >= 0.0 and f.max() <= 1.0
            assert np.all(f[..., 3] == 1.0)  # paper variant
    assert {c.line_width for c in suite} == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_inbetween_times() -> None:
    assert inbetween_times([0.0, 2.0], 1) == [1.0]
    assert inbetween_times([0.0, 1.0, 3.0], 1) == [0.5, 2.0]


def test_deterministic_and_seeded() -> None:
    a = articulated_suite(size=SMALL, n_cases=2, seed=3)
    b = articulated_suite(size=SMALL, n_cases=2, seed=3)
    c = articulated_suite(size=SMALL, n_cases=2, seed=4)
    for x, y in zip(a, b):
        assert all(np.array_equal(p, q) for p, q in zip(x.keys + x.gt_frames, y.keys + y.gt_frames))
    assert not np.array_equal(a[0].keys[1], c[0].keys[1])
    # A case does not depend on how many cases were requested.
    d = articulated_suite(size=SMALL, n_cases=1, seed=3)
    assert np.array_equal(d[0].keys[1], a[0].keys[1])


def test_ground_truth_is_joint_space_interpolation(suite) -> None:
    c = suite[0]
    m = c.motion
    assert isinstance(m, Motion)
    mid = m.pose_at(0.5)
    assert np.allclose(mid, 0.5 * (m.key_poses[0] + m.key_poses[1]))
    assert np.allclose(m.pose_at(1.25), 0.75 * m.key_poses[1] + 0.25 * m.key_poses[2])
    for t, f in zip(c.gt_times, c.gt_frames):
        assert np.array_equal(render_case_frame(c, t), f)
    assert np.array_equal(render_case_frame(c, 1.0), c.keys[1])
    # Ground truth differs from both keys and from a dissolve of them.
    assert chamfer_distance(c.gt_frames[1], c.keys[0]) > 1.0
    assert chamfer_distance(c.gt_frames[1], c.keys[1]) > 1.0


def test_gt_moves_on_arcs() -> None:
    """A limb rotated by ~1 rad: the true midpoint of the hand is off the straight chord."""
    rig = mannequin_rig()
    p0 = rig.rest_pose()
    p1 = p0.copy()
    p1[rig.param("upper_arm_f", P_ANGLE)] = -1.0
    m = Motion(rig, (p0, p1), (0.0, 1.0), 2.0)
    fore = rig.index["forearm_f"]
    hand = [s for s in place(rig, m.pose_at(0.0)) if s.part == fore and s.shape.material == "skin"]

    def hand_centre(t: float) -> np.ndarray:
        ps = [s for s in place(rig, m.pose_at(t)) if s.part == fore]
        return ps[-1].world.mean(0)

    assert hand  # the forearm carries a hand
    a, b, mid = hand_centre(0.0), hand_centre(1.0), hand_centre(0.5)
    chord_mid = 0.5 * (a + b)
    # The true midpoint is clearly off the straight chord between the key positions.
    assert np.linalg.norm(mid - chord_mid) > 0.08 * np.linalg.norm(b - a)
    shoulder = joints(rig, m.pose_at(0.5))["upper_arm_f"]
    assert np.allclose(shoulder, joints(rig, p0)["upper_arm_f"])  # the pivot does not move
    # ...and stays at arm's length from the shoulder (on the arc).
    r_a, r_mid = np.linalg.norm(a - shoulder), np.linalg.norm(mid - shoulder)
    assert r_mid == pytest.approx(r_a, rel=0.05)
    assert np.linalg.norm(chord_mid - shoulder) < 0.95 * r_a


@pytest.mark.parametrize("max_rotation", [0.4, 1.0])
def test_rotation_budget(max_rotation: float) -> None:
    m = articulated_motion(7, 2, n_keys=4, max_rotation=max_rotation)
    rig = m.rig
    idx = [rig.param(p.name, P_ANGLE) for p in rig.parts]
    for a, b in zip(m.key_poses, m.key_poses[1:]):
        d = np.abs(b[idx] - a[idx])
        assert d.max() <= max_rotation + 1e-9
        assert d.max() >= 0.8 * max_rotation  # every gap has one big rotation
        for p in rig.parts:
            lo, hi = p.angle_range
            assert lo - 1e-9 <= b[rig.param(p.name, P_ANGLE)] <= hi + 1e-9


def test_figure_inside_frame_and_size(suite) -> None:
    h, w = SMALL[1], SMALL[0]
    for c in suite:
        for f in c.keys + c.gt_frames:
            x0, y0, x1, y1 = _ink_bbox(f)
            assert x0 > 0 and y0 > 0 and x1 < w - 1 and y1 < h - 1
            assert 0.35 <= (y1 - y0 + 1) / h <= 0.75


def test_sizes_scale_geometry() -> None:
    m = articulated_motion(1, 0, line_width=1)
    small = m.render(0.5, (960, 540))
    big = m.render(0.5, (1920, 1080))
    bs, bb = np.array(_ink_bbox(small), float), np.array(_ink_bbox(big), float)
    assert np.allclose(bb, 2 * bs, atol=3.0)
    # Downscaled 1080p ink lies on the 540p ink.
    down = cv2.resize(big, (960, 540), interpolation=cv2.INTER_AREA)
    down[..., :3] = np.where(down[..., :3] < 0.85, 0.0, 1.0)
    assert chamfer_distance(down, small) < 1.0


def test_transparent_variant_matches_paper() -> None:
    m = articulated_motion(2, 1, line_width=3)
    paper = m.render(0.4, SMALL, transparent=False)
    layer = m.render(0.4, SMALL, transparent=True)
    assert layer.dtype == np.float32
    assert layer[0, 0, 3] == 0.0 and 0.02 < (layer[..., 3] > 0).mean() < 0.5
    # The figure is a cel: its interior is opaque white, not see-through.
    assert (layer[..., 3] == 1.0).sum() > 5 * (ink_mask(layer)).sum() * 0.2
    assert np.abs(_over_white(layer) - paper[..., :3]).max() <= 2.5 / 255
    suite_t = articulated_suite(size=SMALL, n_cases=1, transparent=True)
    assert suite_t[0].keys[0][..., 3].min() == 0.0
    assert np.array_equal(render_case_frame(suite_t[0], 0.5), suite_t[0].gt_frames[1])


def test_occlusion_front_fill_hides_back_lines() -> None:
    big = ellipse(0.0, 0.0, 0.3, 0.3, 64)
    small = ellipse(0.0, 0.0, 0.1, 0.1, 32)
    back = Part("back", None, (0.0, 0.0), 0.0, 0.1, (Shape(small),), depth=0)
    front = Part("front", "back", (0.0, 0.0), 0.0, 0.1, (Shape(big),), depth=1)
    rig = Rig((back, front))
    cam = Camera(1.0, (0.5, 0.5))
    img = render_pose(rig, rig.rest_pose(), cam, (100, 100), 1.0)
    assert img[50, 40:60, 0].min() > 0.99  # small circle hidden behind the big fill
    assert img[50, 20, 0] < 0.5  # big outline visible
    # Swap depths: the small circle is drawn on top and becomes visible.
    rig2 = Rig((Part("back", None, (0.0, 0.0), 0.0, 0.1, (Shape(small),), depth=2), front))
    img2 = render_pose(rig2, rig2.rest_pose(), cam, (100, 100), 1.0)
    assert img2[50, 40, 0] < 0.5


def test_line_width_changes_ink_amount() -> None:
    m = articulated_motion(0, 0)
    amounts = [ink_mask(m.render(0.0, SMALL, line_width=w)).sum() for w in (1, 3, 5)]
    assert amounts[0] < amounts[1] < amounts[2]


def test_antialiased() -> None:
    f = articulated_motion(0, 0, line_width=2).render(0.0, SMALL)
    g = f[..., 0]
    assert ((g > 0.1) & (g < 0.9)).sum() > 50  # partial-coverage edge pixels exist


def test_cel_suite() -> None:
    cases = cel_suite(size=SMALL, n_cases=2)
    assert [c.name[:6] for c in cases] == ["cel-00", "cel-01"]
    for c in cases:
        f = c.keys[0]
        assert np.all(f[..., 3] == 1.0)
        rgb = f[..., :3]
        sat = rgb.max(-1) - rgb.min(-1)
        assert (sat > 0.15).sum() > 200  # coloured fills
        q = np.round(rgb.reshape(-1, 3) * 20).astype(int)
        colours, counts = np.unique(q, axis=0, return_counts=True)
        assert (counts > 15).sum() >= 6  # several flat fills + shadow tones
        assert len(c.gt_frames) == 3
    # Hard-edged shading: a shadow tone exists that is a darker version of a fill.
    m = cel_motion(0, 0)
    pal = m.palette
    img = m.render(0.0, (640, 360))
    shade = np.array(pal.shade("shirt"))
    close = np.abs(img[..., :3] - shade).max(-1) < 2 / 255
    assert close.sum() > 30


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 50), n_keys=st.integers(2, 4),
       max_rotation=st.floats(0.1, 1.2))
def test_framing_keeps_every_motion_inside(seed: int, index: int, n_keys: int, max_rotation: float) -> None:
    m = articulated_motion(seed, index, n_keys=n_keys, max_rotation=max_rotation)
    cam = m.camera(16 / 9)
    for t in np.linspace(0.0, n_keys - 1, 4 * (n_keys - 1) + 1):
        x0, y0, x1, y1 = bbox(m.rig, m.pose_at(float(t)))
        (fx0, fy0), (fx1, fy1) = cam.to_pixels(np.array([[x0, y0], [x1, y1]]), 1)
        assert 0.0 < fx0 < fx1 < 16 / 9 and 0.0 < fy0 < fy1 < 1.0
        assert 0.3 < fy1 - fy0 <= 0.75


def test_cel_fills_are_not_ink() -> None:
    """Flat fills and shadows stay lighter than the chamfer ink threshold."""
    from nakawari.synth import CEL_PALETTES

    luma = np.array([0.2989, 0.587, 0.114])
    for pal in CEL_PALETTES:
        for mat in pal.materials:
            assert float(np.dot(pal.fill(mat), luma)) * 255 > 135
            assert float(np.dot(pal.shade(mat), luma)) * 255 > 135
    img = cel_motion(0, 2).render(0.5, SMALL)
    ink = ink_mask(img).sum()
    line = ink_mask(articulated_motion(0, 2).render(0.5, SMALL)).sum()
    assert ink < 0.2 * (img.shape[0] * img.shape[1]) and ink > 0.3 * line


def test_smooth_motion_passes_through_keys_without_a_kink() -> None:
    from dataclasses import replace

    motion = replace(articulated_motion(4, 0, n_keys=3), smooth=True)
    for t, pose in zip(motion.key_times, motion.key_poses):
        assert np.allclose(motion.pose_at(t), pose)
    eps = 1e-4
    left = (motion.pose_at(1.0) - motion.pose_at(1.0 - eps)) / eps
    right = (motion.pose_at(1.0 + eps) - motion.pose_at(1.0)) / eps
    assert np.allclose(left, right, atol=1e-2)  # velocity is continuous through the middle key
    linear = articulated_motion(4, 0, n_keys=3)
    kink = ((linear.pose_at(1.0 + eps) - linear.pose_at(1.0)) / eps
            - (linear.pose_at(1.0) - linear.pose_at(1.0 - eps)) / eps)
    assert np.abs(kink).max() > 0.1  # while linear gaps turn a corner there
    two = articulated_motion(4, 0, n_keys=2)
    assert np.allclose(replace(two, smooth=True).pose_at(0.3), two.pose_at(0.3))
