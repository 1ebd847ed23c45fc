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


def _rotation(angle: float, centre: complex) -> rigid.Similarity:
    a = complex(np.exp(1j * angle))
    return rigid.Similarity(a, centre - a * centre)


def test_two_segment_arm_follows_the_joint_angles_and_both_keys_meet():
    # Torso turning about its centre, upper arm about the shoulder, forearm about the
    # elbow (rest-pose positions); the truth interpolates the three angles linearly.
    torso_c, shoulder, elbow = 200 + 200j, 240 + 160j, 320 + 160j
    pose_a, pose_b = (0.1, -0.3, 0.2), (0.4, 1.1, 1.6)      # (torso, shoulder, elbow) angles

    def chain(pose: tuple[float, float, float]) -> list[rigid.Similarity]:
        torso = _rotation(pose[0], torso_c)
        upper = torso.compose(_rotation(pose[1], shoulder))
        return [torso, upper, upper.compose(_rotation(pose[2], elbow))]

    fa, fb = chain(pose_a), chain(pose_b)
    transforms = [b.compose(a.inverse()) for a, b in zip(fa, fb)]        # a → b per part
    parents = [-1, 0, 1]
    hand = np.array([400 + 160j, 380 + 175j])                            # forearm points, rest pose
    for t in (0.25, 0.5, 0.75):
        pose_t = tuple((1 - t) * x + t * y for x, y in zip(pose_a, pose_b))
        truth = chain(pose_t)[2].apply(hand)
        in_a = fa[2].apply(hand)
        ours = rigid.interpolated(transforms, parents, t)[2].apply(in_a)
        assert np.abs(ours - truth).max() < 1.0
        # A single rotation about the forearm's own fixed point misses by far.
        assert np.abs(transforms[2].power(t).apply(in_a) - truth).max() > 10.0
        # b's pixels, run back over the same tree by the inverse transforms for 1 − t, meet a's.
        back = rigid.interpolated([s.inverse() for s in transforms], parents, 1.0 - t)[2]
        assert np.abs(back.apply(transforms[2].apply(in_a)) - ours).max() < 1e-6
    # The path ends on the key transform.
    end = rigid.interpolated(transforms, parents, 1.0)[2]
    assert abs(end.a - transforms[2].a) < 1e-9 and abs(end.b - transforms[2].b) < 1e-6


def _catmull_rom(values: list[float], k: int, f: float) -> float:
    """The synthetic suite's smooth ground truth: Hermite in gap k with Catmull-Rom tangents
    (one-sided at the ends), keys at times 0, 1, 2, ..."""
    def tangent(i: int) -> float:
        lo, hi = max(i - 1, 0), min(i + 1, len(values) - 1)
        return (values[hi] - values[lo]) / (hi - lo)

    h00, h10, h01, h11 = 2 * f**3 - 3 * f**2 + 1, f**3 - 2 * f**2 + f, -2 * f**3 + 3 * f**2, f**3 - f**2
    return h00 * values[k] + h10 * tangent(k) + h01 * values[k + 1] + h11 * tangent(k + 1)


def test_limb_turning_through_three_keys_follows_the_smooth_arc_and_hits_the_keys():
    # A torso that travels and turns about its hip, a limb turning about the shoulder; three keys.
    hip, shoulder = 200 + 200j, 260 + 150j
    torso_angle, torso_x, limb_angle = [0.0, 0.5, 0.6], [0.0, 60.0, 70.0], [-0.6, 0.9, 1.1]

    def chain(k: int, f: float = 0.0) -> list[rigid.Similarity]:
        move = _rotation(_catmull_rom(torso_angle, k, f), hip)
        torso = rigid.Similarity(move.a, move.b + _catmull_rom(torso_x, k, f))
        return [torso, torso.compose(_rotation(_catmull_rom(limb_angle, k, f), shoulder))]

    keys = [chain(0), chain(1), chain(1, 1.0)]      # each part's placement at the keys
    gap = [[b.compose(a.inverse()) for a, b in zip(keys[k], keys[k + 1])] for k in range(2)]
    parents = [-1, 0]
    hand = np.array([340 + 150j, 330 + 160j])       # limb points, rest pose
    # Gap 1 sees gap 0 before it; the root's pivot is the hip as drawn in key 1.
    pivot = complex(keys[1][0].apply(np.array([hip]))[0])
    tangents = [rigid.Tangents(before=rigid.Neighbour(gap[0][p], 1.0), pivot=pivot) for p in range(2)]
    in_a = keys[1][1].apply(hand)
    straight_miss = 0.0
    for t in (0.25, 0.5, 0.75):
        truth = chain(1, t)[1].apply(hand)
        ours = rigid.interpolated(gap[1], parents, t, tangents)[1].apply(in_a)
        assert np.abs(ours - truth).max() < 1.0
        straight = rigid.interpolated(gap[1], parents, t)[1].apply(in_a)
        straight_miss = max(straight_miss, float(np.abs(straight - truth).max()))
    # The straight fraction of each turn (a kink at key 1) misses the arc.
    assert straight_miss > 3.0
    for t, key in ((0.0, 1), (1.0, 2)):
        ends = rigid.interpolated(gap[1], parents, t, tangents)[1].apply(in_a)
        assert np.abs(ends - keys[key][1].apply(hand)).max() < 1e-6
