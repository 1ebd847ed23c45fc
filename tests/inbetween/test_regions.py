"""Closed-area matching: a limb capsule turning a radian, and look-alike legs not swapped."""
import cv2
import numpy as np

from nakawari.inbetween import regions

HIPS = (100 + 70j, 140 + 70j)
LEG = 30j          # hip → foot in the rest pose (image coordinates, y down)


def _figure(turn: float, shift: complex) -> np.ndarray:
    """Ink at working resolution: two identical leg capsules hanging from a torso;
    the right leg turned by ``turn`` radians about its hip, all moved by ``shift``."""
    ink = np.zeros((200, 260), np.uint8)
    for hip, ang in ((HIPS[0], 0.0), (HIPS[1], turn)):
        c = hip + np.exp(1j * ang) * LEG * 0.75 + shift
        box = ((c.real, c.imag), (16, 44), float(np.degrees(ang)))
        cv2.ellipse(ink, box, 0, -1)       # opaque fill: the torso occludes the legs' tops
        cv2.ellipse(ink, box, 255, 2)
    cv2.ellipse(ink, ((120 + shift.real, 45 + shift.imag), (90, 60), 0.0), 0, -1)
    cv2.ellipse(ink, ((120 + shift.real, 45 + shift.imag), (90, 60), 0.0), 255, 2)
    return ink.astype(np.float32) / 255.0


def _region_at(r: regions.Regions, z: complex) -> int:
    return int(r.labels[int(round(z.imag)), int(round(z.real))]) - 1


def test_turned_limb_gets_its_rotation_and_legs_are_not_swapped():
    shift = 12 + 6j
    ink_a, ink_b = _figure(0.0, 0j), _figure(-1.0, shift)
    ra, rb = regions.extract(ink_a), regions.extract(ink_b)
    assert ra.n == 3 and rb.n == 3          # torso and two legs
    found = {m.i: m for m in regions.match(ra, rb, figure_size=120.0)}
    for hip, turn in ((HIPS[0], 0.0), (HIPS[1], -1.0)):
        foot_a = hip + LEG * 1.1
        foot_b = hip + np.exp(1j * turn) * LEG * 1.1 + shift
        i, j = _region_at(ra, foot_a), _region_at(rb, foot_b)
        assert i >= 0 and j >= 0
        assert i in found and found[i].j == j, "leg matched to the wrong leg"
        tr = found[i].transform
        assert abs(np.angle(tr.a) - turn) < 0.1
        # The foot lands where the foot went.
        assert abs(tr.apply(np.array([foot_a]))[0] - foot_b) < 3.0


def _area_motions(ink_a: np.ndarray, ink_b: np.ndarray) -> list:
    ra, rb = regions.extract(ink_a), regions.extract(ink_b)
    return regions.area_motions(ra, rb, regions.match_keys(ra, rb, ink_a), line_width=2.0)


def test_area_motions_put_priors_on_the_limb_outline():
    ink_a, ink_b = _figure(0.0, 0j), _figure(-1.0, 8 + 0j)
    motions = _area_motions(ink_a, ink_b)
    assert len(motions) == 3
    foot_a = HIPS[1] + LEG * 1.5        # on the capsule's outline, just below its tip
    foot_b = HIPS[1] + np.exp(-1j) * LEG * 1.5 + 8
    covering = [m.transform for m in motions
                if m.prior_a[int(foot_a.imag), int(foot_a.real)] > 0
                and m.prior_b[int(round(foot_b.imag)), int(round(foot_b.real))] > 0]
    assert len(covering) == 1 and abs(np.angle(covering[0].a) + 1.0) < 0.1


def test_no_closed_areas_means_no_motions():
    ink = np.zeros((50, 60), np.float32)
    cv2.line(ink, (5, 5), (50, 40), 1.0, 2)
    assert regions.extract(ink).n == 0
    assert _area_motions(ink, ink) == []


def test_legs_ride_on_the_torso():
    ink_a, ink_b = _figure(0.0, 0j), _figure(-1.0, 8 + 0j)
    motions = _area_motions(ink_a, ink_b)
    roots = [k for k, m in enumerate(motions) if m.parent < 0]
    assert len(roots) == 1                       # the torso, the largest area
    assert all(m.parent == roots[0] for k, m in enumerate(motions) if k != roots[0])
