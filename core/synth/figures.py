"""The articulated mannequin: rig definition and random key-pose sampling.

The figure is a 3/4-view character facing screen-right (so elbows and knees bend
in the picture plane, like a side-on animation pose): pelvis (root), torso, neck,
head with face details and a ponytail, two-part arms with hands, two-part legs
with feet. Parts on the far side are drawn behind the body and the near arm in
front of it, and every closed outline has an opaque fill, so limbs crossing the
body produce real occlusions.
"""

from __future__ import annotations

import numpy as np

from .rig import (
    P_ANGLE,
    P_BEND,
    P_STRETCH,
    P_WAVE,
    Part,
    Rig,
    Shape,
    arc,
    ellipse,
    limb,
    ribbon,
)

PI = float(np.pi)

# How much each joint moves between keys relative to ``max_rotation`` (main
# limbs swing fully, the spine only a little, as in real acting).
ACTIVITY: dict[str, float] = {
    "pelvis": 0.25, "torso": 0.35, "neck": 0.3, "head": 0.4, "ponytail": 0.9,
    "upper_arm_b": 1.0, "forearm_b": 1.0, "upper_arm_f": 1.0, "forearm_f": 1.0,
    "thigh_b": 0.7, "shin_b": 0.8, "foot_b": 0.4,
    "thigh_f": 0.7, "shin_f": 0.8, "foot_f": 0.4,
}
# Joints that may carry the "big" rotation of a gap.
MAIN_JOINTS = ("upper_arm_b", "forearm_b", "upper_arm_f", "forearm_f", "thigh_f", "shin_f", "thigh_b")
BENDY = ("upper_arm_b", "forearm_b", "upper_arm_f", "forearm_f", "thigh_b", "shin_b", "thigh_f", "shin_f", "torso")
STRETCHY = ("torso", "head", "upper_arm_f", "forearm_f", "upper_arm_b", "forearm_b")


def _head_shapes() -> tuple[Shape, ...]:
    # Head bone points up (rest angle pi), so local +y is screen-up and local -x
    # is screen-right, the direction the face looks.
    cx, cy, rx, ry = 0.0, 0.1, 0.078, 0.095
    ear = Shape(ellipse(0.045, 0.085, 0.02, 0.027, 24))
    skull = Shape(ellipse(cx, cy, rx, ry, 48), shade=True)
    # Hair cap: upper arc of a slightly larger ellipse, lower at the back, closed
    # by a zig-zag fringe across the forehead.
    cap = arc(cx + 0.002, cy + 0.004, rx + 0.006, ry + 0.007, -0.75, PI + 0.2, 30)
    fx = np.linspace(cap[-1, 0], cap[0, 0], 9)
    fy = 0.132 + np.where(np.arange(9) % 2 == 0, -0.018, 0.004)
    fy[0], fy[-1] = cap[-1, 1], cap[0, 1]
    hair = Shape(np.concatenate([cap, np.stack([fx[1:-1], fy[1:-1]], 1)]), shade=True, material="hair")
    eye_near = Shape(ellipse(-0.012, 0.092, 0.0095, 0.016, 16), fill="ink", stroke=False)
    eye_far = Shape(ellipse(-0.052, 0.092, 0.0075, 0.015, 16), fill="ink", stroke=False)
    brow_near = Shape(np.array([[0.002, 0.118], [-0.012, 0.123], [-0.026, 0.119]]), closed=False, fill=None)
    brow_far = Shape(np.array([[-0.044, 0.119], [-0.056, 0.122], [-0.064, 0.116]]), closed=False, fill=None)
    mouth = Shape(arc(-0.036, 0.056, 0.016, 0.008, PI + 0.3, 2 * PI - 0.3, 8), closed=False, fill=None)
    nose = Shape(np.array([[-0.066, 0.082], [-0.078, 0.07], [-0.066, 0.066]]), closed=False, fill=None)
    return (ear, skull, hair, eye_near, eye_far, brow_near, brow_far, mouth, nose)


def _arm(side: str, shoulder_x: float, rest: float, depth: int) -> tuple[Part, Part]:
    upper = Part(
        f"upper_arm_{side}", "torso", (shoulder_x, 0.25), rest, 0.15,
        (Shape(limb(0.15, 0.032, 0.026, 0.006), shade=True),),
        depth, (-2.6, 0.9), "shirt",
    )
    L = 0.14
    hand = Shape(ellipse(0.0, L + 0.03, 0.023, 0.032, 24), material="skin", shade=True)
    thumb = Shape(ellipse(-0.018, L + 0.018, 0.009, 0.016, 16), material="skin")
    cuff = Shape(np.array([[0.023, L - 0.012], [0.0, L - 0.007], [-0.023, L - 0.012]]), closed=False, fill=None)
    fore = Part(
        f"forearm_{side}", f"upper_arm_{side}", (0.0, 0.15), 0.0, L,
        (Shape(limb(L, 0.026, 0.022, 0.004), shade=True), cuff, thumb, hand),
        depth + 1, (-2.2, 0.05), "shirt",
    )
    return upper, fore


def _leg(side: str, hip_x: float, depth: int) -> tuple[Part, Part, Part]:
    thigh = Part(
        f"thigh_{side}", "pelvis", (hip_x, 0.02), PI, 0.23,
        (Shape(limb(0.23, 0.045, 0.034, 0.007), shade=True),),
        depth, (-1.4, 0.6), "pants",
    )
    shin = Part(
        f"shin_{side}", f"thigh_{side}", (0.0, 0.23), 0.0, 0.22,
        (Shape(limb(0.22, 0.034, 0.026, 0.006), shade=True),
         Shape(np.array([[0.03, 0.17], [0.0, 0.176], [-0.03, 0.17]]), closed=False, fill=None)),
        depth + 1, (-0.05, 2.0), "pants",
    )
    foot = Part(
        f"foot_{side}", f"shin_{side}", (0.0, 0.215), -PI / 2, 0.08,
        (Shape(limb(0.08, 0.026, 0.02, 0.0, cap0=0.8), shade=True),
         Shape(np.array([[0.02, 0.02], [0.012, 0.045], [0.02, 0.07]]), closed=False, fill=None)),
        depth + 2, (-0.4, 0.4), "shoe",
    )
    return thigh, shin, foot


def mannequin_rig() -> Rig:
    """Build the standing mannequin (about 1.08 figure units tall at rest)."""
    pelvis = Part("pelvis", None, (0.0, 0.0), PI, 0.08,
                  (Shape(limb(0.08, 0.07, 0.074, 0.004, cap0=0.7, cap1=0.5), shade=True),),
                  10, (-0.3, 0.3), "pants")
    torso_pts = limb(0.28, 0.066, 0.086, 0.008, cap0=0.5, cap1=0.55)
    collar = np.array([[0.032, 0.293], [0.006, 0.255], [-0.03, 0.292]])
    hem = arc(0.0, 0.06, 0.066, 0.012, PI + 0.15, 2 * PI - 0.15, 10)
    fold = np.array([[0.035, 0.2], [0.042, 0.16], [0.036, 0.12]])
    torso = Part("torso", "pelvis", (0.0, 0.06), 0.0, 0.28,
                 (Shape(torso_pts, shade=True), Shape(collar, closed=False, fill=None),
                  Shape(hem, closed=False, fill=None), Shape(fold, closed=False, fill=None)),
                 11, (-0.4, 0.4), "shirt")
    neck = Part("neck", "torso", (0.0, 0.27), 0.0, 0.05,
                (Shape(limb(0.06, 0.026, 0.024), shade=True),), 9, (-0.3, 0.3), "skin")
    head = Part("head", "neck", (0.0, 0.045), 0.0, 0.19, _head_shapes(), 12, (-0.4, 0.4), "skin")
    pony = Part("ponytail", "head", (0.05, 0.16), -2.62, 0.2,
                (Shape(ribbon(0.2, 0.026, 0.01), wave=True, shade=True),
                 Shape(ellipse(0.0, 0.0, 0.018, 0.014, 16), material="tie")),
                0, (-0.5, 0.5), "hair", wave_amp=0.02, wave_length=0.13)
    ub, fb = _arm("b", 0.06, PI + 0.12, 1)
    tb, sb, ftb = _leg("b", 0.035, 3)
    tf, sf, ftf = _leg("f", -0.035, 6)
    uf, ff = _arm("f", -0.08, PI - 0.15, 13)
    return Rig((pelvis, torso, neck, head, pony, ub, fb, uf, ff, tb, sb, ftb, tf, sf, ftf))


def _reflect_into(x: float, lo: float, hi: float) -> float:
    """Fold a value back into [lo, hi] so a clipped step keeps its magnitude."""
    span = hi - lo
    if span <= 0:
        return lo
    y = (x - lo) % (2 * span)
    return lo + (y if y <= span else 2 * span - y)


def sample_key_poses(rig: Rig, rng: np.random.Generator, n_keys: int, max_rotation: float,
                     deform: float = 1.0) -> list[np.ndarray]:
    """Random key poses whose consecutive joint rotations stay within ``max_rotation``.

    Every gap gets one "main" joint (an arm or leg) turning by 85-100% of
    ``max_rotation`` so each case really contains a large rotation; the rest move
    by ``ACTIVITY``-scaled random amounts. Joint limits are respected by
    reflecting (not clipping) so the step size is preserved.
    """
    base = rig.rest_pose()
    for name in rig.index:
        lo, hi = rig.parts[rig.index[name]].angle_range
        base[rig.param(name, P_ANGLE)] = rng.uniform(lo, hi) * 0.45
    for name in BENDY:
        if name in rig.index:
            base[rig.param(name, P_BEND)] = rng.uniform(-0.12, 0.12) * deform
    for name in STRETCHY:
        if name in rig.index:
            base[rig.param(name, P_STRETCH)] = rng.uniform(-0.06, 0.06) * deform
    if "ponytail" in rig.index:
        base[rig.param("ponytail", P_WAVE)] = rng.uniform(0, 2 * PI)
    poses = [base]
    for _ in range(n_keys - 1):
        prev = poses[-1]
        nxt = prev.copy()
        main = MAIN_JOINTS[int(rng.integers(len(MAIN_JOINTS)))]
        for name, i in rig.index.items():
            lo, hi = rig.parts[i].angle_range
            k = rig.param(name, P_ANGLE)
            if name == main:
                step = max_rotation * rng.uniform(0.85, 1.0) * rng.choice([-1.0, 1.0])
            else:
                step = max_rotation * ACTIVITY.get(name, 0.5) * rng.uniform(-1.0, 1.0)
            if not lo <= prev[k] + step <= hi and lo <= prev[k] - step <= hi:
                step = -step  # turn the other way rather than shrink the step
            nxt[k] = _reflect_into(prev[k] + step, lo, hi)
            if name in BENDY:
                j = rig.param(name, P_BEND)
                nxt[j] = float(np.clip(prev[j] + rng.uniform(-0.1, 0.1) * deform, -0.18, 0.18))
            if name in STRETCHY:
                j = rig.param(name, P_STRETCH)
                nxt[j] = float(np.clip(prev[j] + rng.uniform(-0.06, 0.06) * deform, -0.1, 0.1))
        if "ponytail" in rig.index:
            j = rig.param("ponytail", P_WAVE)
            nxt[j] = prev[j] + rng.uniform(1.0, 2.5) * rng.choice([-1.0, 1.0])
        nxt[0] = prev[0] + rng.uniform(-0.18, 0.18)
        nxt[1] = prev[1] + rng.uniform(-0.04, 0.04)
        poses.append(nxt)
    return poses
