"""Rigid-part hypotheses: similarity algebra, arcs, and the per-pixel choice."""
import cv2
import numpy as np

from nakawari.inbetween import rigid


def test_similarity_power_is_an_arc_and_inverse_agrees():
    c = 100 + 50j
    a = np.exp(1j * 1.0)
    tr = rigid.Similarity(a, c - a * c)          # rotation by 1 rad about c
    z = np.array([150 + 50j])
    end = z + tr.displacement(z, 1.0)
    assert abs(end[0] - tr.apply(z)[0]) < 1e-9
    mid = z + tr.displacement(z, 0.5)
    # Halfway along the arc: same radius about c, half the angle.
    assert abs(abs(mid[0] - c) - 50) < 1e-9
    assert abs(np.angle((mid[0] - c) / (z[0] - c)) - 0.5) < 1e-9
    # b's pixel moved back by the inverse for (1 − t) meets a's pixel at t.
    inv = tr.inverse()
    zb = tr.apply(z)
    assert abs((zb + inv.displacement(zb, 0.5))[0] - mid[0]) < 1e-9


def test_pure_translation_is_straight():
    tr = rigid.Similarity(1.0 + 0j, 10 + 4j)
    z = np.array([3 + 3j])
    assert abs(tr.displacement(z, 0.25)[0] - (2.5 + 1j)) < 1e-9


def test_fit_similarity_recovers_transform():
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 100, 20) + 1j * rng.uniform(0, 100, 20)
    a, b = 1.02 * np.exp(0.7j), 5 - 3j
    fit = rigid.fit_similarity(z, a * z + b)
    assert abs(fit.a - a) < 1e-9 and abs(fit.b - b) < 1e-9


def test_assignment_picks_the_rotation_that_lands_on_ink():
    h, w = 120, 160
    ink_a = np.zeros((h, w), np.float32)
    cv2.line(ink_a, (80, 60), (130, 60), 1.0, 2)
    c = 80 + 60j
    a = np.exp(1j * 1.2)
    tr = rigid.Similarity(a, c - a * c)
    end = tr.apply(np.array([130 + 60j]))[0]
    ink_b = np.zeros((h, w), np.float32)
    cv2.line(ink_b, (80, 60), (int(round(end.real)), int(round(end.imag))), 1.0, 2)
    dist_b = cv2.distanceTransform((ink_b < 0.15).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    flow = np.zeros((h, w, 2), np.float32)   # a dense flow that did not follow the turn
    valid = np.ones((h, w), np.float32)
    out = rigid.assign([rigid.Similarity(1.0 + 0j, 0j), tr], flow, valid, ink_a, dist_b)
    assert np.mean(out.label[ink_a > 0.5] == 1) > 0.8
    d = out.displacement(0.5)
    # The stroke's tip travels on the arc: still 50 px from the joint at t = 0.5.
    tip = 130 + d[60, 130, 0] + 1j * (60 + d[60, 130, 1])
    assert abs(abs(tip - c) - 50) < 1.0
