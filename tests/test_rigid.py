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
