"""Rigid-part motion hypotheses for large turns, chosen per pixel.

DIS, even coarse-to-fine on the distance field, cannot follow a limb that
turns by a radian or more: the patch no longer looks like itself. Drawn
figures move mostly as rigid parts, so we gather a handful of similarity
transforms (rotation, uniform scale, translation) that explain some part of
the drawing, and let every ink pixel pick the one under which its stretch of
stroke lands on the other key's ink. The chosen transform also gives the
*path*: a rotation interpolated about its fixed point, i.e. an arc, which is
how a limb turning about a joint really travels.

Everything runs at working resolution on the ink masks and distance fields.
Transforms are stored as complex pairs (a, b): z ↦ a·z + b with z = x + iy,
a = s·e^{iθ}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..curves import hermite_basis
from .flow import nearest_pixel


@dataclass(frozen=True)
class RigidSettings:
    """Rigid-part hypotheses: how they are gathered, chosen per pixel, moved on arcs, and how rigidly moved
    strokes meet the other key's drawing (lengths in working px)."""

    stroke: float = 0.15          # working-resolution ink (area-averaged) above this is a stroke pixel
    # Most hypotheses kept from each source; sequential RANSAC stops earlier when the remaining matches no
    # longer support a transform.
    max_ransac_models: int = 10
    ransac_threshold: float = 3.0  # matches this close to a transform's prediction are its inliers
    min_inliers: int = 4
    # Trimmed ICP: a's ink pixels landing within this reach of b's ink refine a transform.
    icp_reach: float = 3.0
    icp_iterations: int = 3
    scale_range: tuple[float, float] = (0.9, 1.1)  # a part's size change outside this is no drawn part moving
    # Landing cost (distance to the other key's ink) capped here so far misses don't dominate the average.
    cost_cap: float = 6.0
    vote_sigma: float = 6.0        # neighbourhood over which a stretch of stroke votes for one transform
    prior_bonus: float = 1.0       # cost bonus of a matched closed area's transform on the ink around that area
    flow_preference: float = 0.35  # the dense flow wins ties: a rigid transform must beat it by this much
    # A relative turn smaller than this (radians) locates its joint (the fixed point) too poorly for a curved
    # path: such a part keeps the plain fraction of its turn.
    min_arc_turn: float = 0.05
    # Two drawings of a part are never exactly rigid copies, and working-resolution flow is a pixel off:
    # a moved stroke that lands within this many working px of the other key's ink is pulled onto the
    # middle of that stroke by t = 1 (0: off), so both keys' copies meet half way instead of passing
    # each other as two dashed lines (tps-2's swung arm). Off by default: it pulls onto the wrong
    # stroke as often as the right one on the synthetic suites (flow vs warp-average: turns to 90°
    # 0.753 → 0.785, with snap_flow 0.883; smooth 3-key arcs 0.619 → 0.635); real triplets (JoSTC, 9)
    # 0.415 → 0.411.
    snap_px: float = 0.0
    snap_sigma: float = 2.0     # working px along the stroke over which the pull is smoothed
    snap_flow: bool = False     # pull the dense flow's landings onto the strokes too, not only rigid ones


@dataclass(frozen=True)
class Similarity:
    """z ↦ a·z + b on complex pixel coordinates."""

    a: complex
    b: complex

    def inverse(self) -> Similarity:
        return Similarity(1.0 / self.a, -self.b / self.a)

    def apply(self, z: np.ndarray) -> np.ndarray:
        return self.a * z + self.b

    def compose(self, inner: Similarity) -> Similarity:
        """self ∘ inner: apply ``inner`` first."""
        return Similarity(self.a * inner.a, self.a * inner.b + self.b)

    def power(self, t: float) -> Similarity:
        """T^t: z ↦ c + a^t (z − c) with c the fixed point, i.e. a rotation (and scaling) by the
        fraction t about c. The translation is written as b·(a^t − 1)/(a − 1) so it stays finite
        for a → 1 (pure translation, where the ratio → t)."""
        at = complex(np.exp(t * np.log(self.a)))
        ratio = t if abs(self.a - 1.0) < 1e-6 else (at - 1.0) / (self.a - 1.0)
        return Similarity(at, self.b * ratio)

    def displacement_coefficients(self, t: float) -> tuple[complex, complex]:
        """(p, q) such that a point z has moved by p·z + q at fraction t of the interpolated motion."""
        return _coefficients(self.power(t))

    def displacement(self, z: np.ndarray, t: float) -> np.ndarray:
        """Where z has moved by fraction t along the interpolated motion (complex displacement)."""
        p, q = self.displacement_coefficients(t)
        return p * z + q

    @staticmethod
    def from_matrix(m: np.ndarray) -> Similarity:
        return Similarity(complex(m[0, 0], m[1, 0]), complex(m[0, 2], m[1, 2]))

    def plausible(self, base: Similarity | None, scale_range: tuple[float, float]) -> bool:
        """A drawn part's motion: its size kept (within ``scale_range``, relative to ``base``, the whole
        drawing's motion, when the keys zoom) and no more than ~140° of turn on top of it."""
        rel = self.a if base is None else self.a / base.a
        s = abs(rel)
        return bool(scale_range[0] <= s <= scale_range[1] and abs(np.angle(rel)) < 2.5)


def _coefficients(tr: Similarity) -> tuple[complex, complex]:
    """(p, q) with tr(z) − z = p·z + q."""
    return tr.a - 1.0, tr.b


@dataclass(frozen=True)
class Neighbour:
    """The same part's motion across a gap next to this one."""

    transform: Similarity  # before: key i−1 → key i; after: key i+1 → key i+2
    span: float            # that gap's duration over this gap's


@dataclass(frozen=True)
class Tangents:
    """What the neighbouring gaps say about one part, for Catmull-Rom tangents at the keys
    (None where there is no such gap or the part was not found there)."""

    before: Neighbour | None = None
    after: Neighbour | None = None
    pivot: complex = 0j    # a point on the part in key a: a root's path is this point's spline


def _hermite(before: complex | None, v0: complex, v1: complex, after: complex | None,
             span_before: float, span_after: float, t: float) -> complex:
    """Cubic Hermite from v0 (t = 0) to v1 (t = 1) with Catmull-Rom tangents from the values one
    key before and after (one-sided where None), as the smooth synthetic ground truth moves."""
    m0 = v1 - v0 if before is None else (v1 - before) / (1.0 + span_before)
    m1 = v1 - v0 if after is None else (after - v0) / (1.0 + span_after)
    h00, h10, h01, h11 = hermite_basis(t)
    return h00 * v0 + h10 * m0 + h01 * v1 + h11 * m1


def _root_arc(tr: Similarity, tan: Tangents, t: float) -> Similarity:
    """A root part at t: its pivot on a Hermite through the pivot's places in the four keys and its
    angle on a Hermite through the key angles; scale changes geometrically."""
    c = tan.pivot
    b, a = tan.before, tan.after
    sb = b.span if b is not None else 0.0
    sa = a.span if a is not None else 0.0
    turn = float(np.angle(tr.a))
    pos = _hermite(None if b is None else complex(b.transform.inverse().apply(np.array([c]))[0]), c,
                   complex(tr.apply(np.array([c]))[0]),
                   None if a is None else complex(a.transform.compose(tr).apply(np.array([c]))[0]), sb, sa, t)
    ang = _hermite(None if b is None else -float(np.angle(b.transform.a)), 0.0, turn,
                   None if a is None else turn + float(np.angle(a.transform.a)), sb, sa, t).real
    at = complex(abs(tr.a) ** t * np.exp(1j * ang))
    return Similarity(at, pos - at * c)


def _relative_arc(relative: Similarity, before: Neighbour | None, after: Neighbour | None,
                  t: float, min_arc_turn: float) -> Similarity:
    """A child's turn about its joint at t, the relative angle on a Hermite whose tangents come
    from the relative turns in the neighbouring gaps (``before``/``after`` carry those turns); a turn
    below ``min_arc_turn`` (its joint poorly placed) takes the plain fraction."""
    turn = float(np.angle(relative.a))
    if (before is None and after is None) or abs(turn) < min_arc_turn:
        return relative.power(t)
    joint = relative.b / (1.0 - relative.a)
    ang = _hermite(None if before is None else -float(np.angle(before.transform.a)), 0.0, turn,
                   None if after is None else turn + float(np.angle(after.transform.a)),
                   before.span if before is not None else 0.0, after.span if after is not None else 0.0, t).real
    at = complex(abs(relative.a) ** t * np.exp(1j * ang))
    return Similarity(at, joint - at * joint)


def _relative_neighbour(child: Neighbour | None, parent: Neighbour | None) -> Neighbour | None:
    """The child's motion relative to its parent across a neighbouring gap (only its angle is used)."""
    if child is None or parent is None:
        return None
    return Neighbour(parent.transform.inverse().compose(child.transform), child.span)


def interpolated(transforms: list[Similarity], parents: list[int], t: float,
                 tangents: list[Tangents] | None = None, min_arc_turn: float = RigidSettings.min_arc_turn
                 ) -> list[Similarity]:
    """Every transform at fraction t of its motion, children riding on their parents.

    An articulated limb's true path is its parent's interpolated motion
    composed with its own turn about the joint: T_c(t) = T_p(t) ∘ R^t with
    R = T_p⁻¹ ∘ T_c (the motion relative to the parent, a rotation about the
    joint), not one rotation T_c^t about a single fixed point. Roots
    (parent −1) move by T^t. At t = 1 every T_c(t) = T_c, and the same
    construction on the inverse transforms at 1 − t meets it (the two paths
    are conjugate powers of the same relative motions).

    ``tangents`` (per transform) bring in the neighbouring keys: the relative
    angle, and a root's angle and pivot, follow a cubic Hermite with
    Catmull-Rom tangents instead of the straight fraction, so arcs pass
    through the keys without a kink; t = 0 and t = 1 still land on the keys.
    """
    out: dict[int, Similarity] = {}
    tans = tangents if tangents is not None else [Tangents()] * len(transforms)

    def at(k: int) -> Similarity:
        if k not in out:
            p, tan = parents[k], tans[k]
            if p < 0:
                out[k] = transforms[k].power(t) if tan.before is None and tan.after is None \
                    else _root_arc(transforms[k], tan, t)
            else:
                relative = transforms[p].inverse().compose(transforms[k])
                out[k] = at(p).compose(_relative_arc(relative, _relative_neighbour(tan.before, tans[p].before),
                                                     _relative_neighbour(tan.after, tans[p].after), t,
                                                     min_arc_turn))
        return out[k]

    return [at(k) for k in range(len(transforms))]


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> Similarity | None:
    """Least-squares similarity src → dst (complex arrays), Umeyama in complex form."""
    if src.size < 2:
        return None
    ms, md = src.mean(), dst.mean()
    s0, d0 = src - ms, dst - md
    den = float(np.sum(np.abs(s0) ** 2))
    if den < 1e-6:
        return None
    a = complex(np.sum(np.conj(s0) * d0) / den)
    return Similarity(a, md - a * ms)


def sift_matches(img_a: np.ndarray, img_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mutual, ratio-tested SIFT matches (complex point arrays). SIFT is rotation invariant,
    so a limb that turned a radian still matches."""
    sift = cv2.SIFT.create()
    ka, da = sift.detectAndCompute(img_a, None)
    kb, db = sift.detectAndCompute(img_b, None)
    if da is None or db is None or len(ka) < 2 or len(kb) < 2:
        return np.zeros(0, complex), np.zeros(0, complex)
    bf = cv2.BFMatcher(cv2.NORM_L2)
    fwd = bf.knnMatch(da, db, k=2)
    back = {m.queryIdx: m.trainIdx for m in bf.match(db, da)}
    pa, pb = [], []
    for pair in fwd:
        if (len(pair) == 2 and pair[0].distance < 0.8 * pair[1].distance
                and back.get(pair[0].trainIdx) == pair[0].queryIdx):
            pa.append(ka[pair[0].queryIdx].pt)
            pb.append(kb[pair[0].trainIdx].pt)
    za = np.array([complex(*p) for p in pa])
    zb = np.array([complex(*p) for p in pb])
    return za, zb


def sequential_ransac(za: np.ndarray, zb: np.ndarray, settings: RigidSettings) -> list[Similarity]:
    """Largest consensus similarity, remove its inliers, repeat: one transform per moving part."""
    out: list[Similarity] = []
    cv2.setRNGSeed(0)  # RANSAC draws from cv2's RNG: same keys, same frames
    while za.size >= settings.min_inliers and len(out) < settings.max_ransac_models:
        src = np.stack([za.real, za.imag], 1).astype(np.float32)
        dst = np.stack([zb.real, zb.imag], 1).astype(np.float32)
        m, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                             ransacReprojThreshold=settings.ransac_threshold, maxIters=500,
                                             confidence=0.99)
        if m is None or inl is None or int(inl.sum()) < settings.min_inliers:
            break
        keep = inl.ravel().astype(bool)
        out.append(Similarity.from_matrix(m))
        za, zb = za[~keep], zb[~keep]
    return out


def flow_window_fits(flow: np.ndarray, weight: np.ndarray, cells: int = 6) -> list[Similarity]:
    """Similarity fits of the dense flow in a grid of windows over the weighted area:
    DIS is right about most parts, and a part's own rigid motion extends its
    correct flow to the stretches where DIS lost track."""
    h, w = weight.shape
    ys, xs = np.nonzero(weight > 0.3)
    if ys.size < 10:
        return []
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    out = []
    step = max(y1 - y0, x1 - x0) / cells + 1
    for cy in np.arange(y0, y1, step):
        for cx in np.arange(x0, x1, step):
            sel = (ys >= cy) & (ys < cy + step) & (xs >= cx) & (xs < cx + step)
            if sel.sum() < 20:
                continue
            py, px = ys[sel], xs[sel]
            z = px + 1j * py
            f = flow[py, px]
            s = fit_similarity(z, z + f[:, 0] + 1j * f[:, 1])
            if s is not None:
                out.append(s)
    return out


def ink_points(mask: np.ndarray, step: int = 1) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return (xs[::step] + 1j * ys[::step]).astype(complex)


def nearest_ink(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the ink and, per pixel, the complex position of the nearest ink pixel."""
    dist, index = nearest_pixel(mask)
    ys, xs = np.divmod(index, mask.shape[1])
    return dist, xs + 1j * ys


def refine_icp(t: Similarity, pts: np.ndarray, near: np.ndarray, dist_b: np.ndarray, settings: RigidSettings
               ) -> Similarity | None:
    """Trimmed ICP: re-fit on the points that land near b's ink, so the transform snaps onto its part."""
    h, w = dist_b.shape
    for _ in range(settings.icp_iterations):
        q = t.apply(pts)
        xi = np.clip(np.rint(q.real).astype(int), 0, w - 1)
        yi = np.clip(np.rint(q.imag).astype(int), 0, h - 1)
        inside = (q.real >= 0) & (q.real <= w - 1) & (q.imag >= 0) & (q.imag <= h - 1)
        close = inside & (dist_b[yi, xi] <= settings.icp_reach)
        if close.sum() < 10:
            return None
        nt = fit_similarity(pts[close], near[yi[close], xi[close]])
        if nt is None:
            return None
        t = nt
    return t


def gather(img_a: np.ndarray, img_b: np.ndarray, rep_a: np.ndarray, rep_b: np.ndarray,
           ink_a: np.ndarray, ink_b: np.ndarray, flow_ab: np.ndarray, valid_a: np.ndarray,
           flow_ba: np.ndarray, valid_b: np.ndarray, carrier: Similarity | None, settings: RigidSettings
           ) -> list[Similarity]:
    """Candidate a→b transforms from SIFT matches and from local fits of the dense flows, ICP-refined.
    ``carrier``: the whole drawing's motion (align.py) when the keys zoom or turn; parts are judged
    relative to it."""
    cands: list[Similarity] = [Similarity(1.0 + 0j, 0j)]
    for ia, ib in ((img_a, img_b), (rep_a, rep_b)):
        za, zb = sift_matches(ia, ib)
        cands += sequential_ransac(za, zb, settings)
    cands += flow_window_fits(flow_ab, ink_a * valid_a)
    cands += [s.inverse() for s in flow_window_fits(flow_ba, ink_b * valid_b)]
    return refined(cands, ink_a > 0.3, ink_b > 0.3, [], carrier, settings)


def refined(cands: list[Similarity], mask_a: np.ndarray, mask_b: np.ndarray,
            have: list[Similarity], carrier: Similarity | None, settings: RigidSettings) -> list[Similarity]:
    """ICP-refined, plausible candidates that are not already in ``have`` (which is extended)."""
    if not mask_a.any() or not mask_b.any():
        return have
    dist_b, near_b = nearest_ink(mask_b)
    pts = ink_points(mask_a, step=2)
    # Duplicates are judged by where they send the corners of a's ink.
    probe = np.array([pts.real.min() + 1j * pts.imag.min(), pts.real.max() + 1j * pts.imag.min(),
                      pts.real.min() + 1j * pts.imag.max(), pts.real.max() + 1j * pts.imag.max()])
    out = have
    for c in cands:
        if not c.plausible(carrier, settings.scale_range):
            continue
        r = refine_icp(c, pts, near_b, dist_b, settings)
        if r is None or not r.plausible(carrier, settings.scale_range):
            continue
        if any(np.abs(r.apply(probe) - o.apply(probe)).max() < 1.0 for o in out):
            continue  # the same motion found twice
        out.append(r)
    return out


# Every transform of an Assignment at a fraction of its motion (0: identity, 1: the transform).
Path = Callable[[float], list[Similarity]]


@dataclass
class Assignment:
    """Per-pixel motion of one key: a transform index, or −1 for the dense flow."""

    transforms: list[Similarity]
    label: np.ndarray      # HxW int, −1: dense flow
    flow: np.ndarray       # HxWx2 dense flow to the other key
    valid: np.ndarray      # HxW float32 in [0, 1]
    cost: np.ndarray       # HxW float32: neighbourhood landing cost of the chosen motion
    path: Path             # every transform at a fraction of its motion
    carrier: Similarity | None = None  # the whole drawing's motion, which the dense flow rides on
    snap: np.ndarray | None = None     # HxWx2: each pixel's pull onto the other key's strokes by t = 1

    def displacement(self, t: float) -> np.ndarray:
        """Displacement of every pixel by fraction t: arcs (``path``) for rigid labels; the flow straight,
        or, with a ``carrier``, its residual straight on top of the carrier's own arc (a zoom stays a zoom)."""
        out = self.flow * np.float32(t) if self.carrier is None else carried_flow(self.flow, self.carrier, t)
        ys, xs = np.nonzero(self.label >= 0)
        if ys.size:
            # One pass over every rigidly moving pixel: look up its transform's coefficients.
            coefficients = np.array([_coefficients(tr) for tr in self.path(t)])
            k = self.label[ys, xs]
            d = coefficients[k, 0] * (xs + 1j * ys) + coefficients[k, 1]
            out[ys, xs, 0] = d.real
            out[ys, xs, 1] = d.imag
        if self.snap is not None:
            out += np.float32(t) * self.snap
        return out


def carried_flow(flow: np.ndarray, carrier: Similarity, t: float) -> np.ndarray:
    """Displacement by fraction t of a flow that is ``carrier`` after a residual r: x ↦ C^t(x + t·r(x)),
    r(x) = C⁻¹(x + flow(x)) − x."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    z = gx + 1j * gy
    residual = carrier.inverse().apply(z + flow[..., 0] + 1j * flow[..., 1]) - z
    d = carrier.power(t).apply(z + t * residual) - z
    return np.stack([d.real, d.imag], axis=2).astype(np.float32)


def assign(transforms: list[Similarity], flow: np.ndarray, valid: np.ndarray, ink_src: np.ndarray,
           dist_dst: np.ndarray, priors: dict[int, np.ndarray] | None = None,
           path: Path | None = None, carrier: Similarity | None = None, near_dst: np.ndarray | None = None,
           settings: RigidSettings = RigidSettings()) -> Assignment:
    """Choose per pixel the motion under which the surrounding stroke lands on the other key's ink.

    The landing cost (distance to the other key's ink at the moved position)
    is averaged over a neighbourhood *along the source ink* (normalised
    filtering), so a whole stretch of limb votes together; the dense flow
    competes as one more candidate and wins ties. ``priors`` maps a transform
    index to a map in [0, 1] of where that transform is expected (the ink
    around a matched closed area, regions.py); there its cost drops by up to
    ``settings.prior_bonus``, which settles ties between look-alike parts (left vs right leg).
    ``path`` gives the transforms part way (see ``interpolated``); by default
    every transform moves alone by its own power. ``near_dst``: per pixel, the middle of the other
    key's nearest stroke (complex), for the pull that makes moved strokes meet it (RigidSettings.snap_px).
    """
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    cost_cap, sigma = settings.cost_cap, settings.vote_sigma
    capped = np.minimum(dist_dst, cost_cap).astype(np.float32)
    wgt = ink_src.astype(np.float32)
    den = cv2.GaussianBlur(wgt, (0, 0), sigma)

    def vote(mx: np.ndarray, my: np.ndarray) -> np.ndarray:
        cost = cv2.remap(capped, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=cost_cap)
        return cv2.GaussianBlur(cost * wgt, (0, 0), sigma) / np.maximum(den, 1e-6)

    best = vote(gx + flow[..., 0], gy + flow[..., 1]) - settings.flow_preference
    label = np.full((h, w), -1, np.int32)
    z = gx + 1j * gy
    for k, tr in enumerate(transforms):
        q = tr.apply(z)
        c = vote(q.real.astype(np.float32), q.imag.astype(np.float32))
        if priors is not None and k in priors:
            c = c - settings.prior_bonus * priors[k]
        better = c < best
        best = np.where(better, c, best)
        label[better] = k
    # Far from any ink there is nothing to vote with: keep the dense flow there.
    label[den < 0.02] = -1
    rigid_valid = np.clip(2.0 - best / 1.5, 0.0, 1.0).astype(np.float32)
    valid_out = np.where(label >= 0, rigid_valid, valid).astype(np.float32)
    if path is None:
        def path(t: float) -> list[Similarity]:
            return [tr.power(t) for tr in transforms]
    snap = None if near_dst is None or settings.snap_px <= 0 else \
        snap_field(transforms, label, flow, wgt, dist_dst, near_dst, settings)
    return Assignment(transforms, label, flow, valid_out, best.astype(np.float32), path, carrier, snap)


def stroke_centres(ink: np.ndarray, near: np.ndarray) -> np.ndarray:
    """``near`` (per pixel, the nearest ink pixel) moved to the ink-weighted centre of its 3×3
    neighbourhood: the middle of the stroke to sub-pixel precision, not its nearest rim pixel."""
    h, w = ink.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    wt = ink.astype(np.float32)
    den = np.maximum(cv2.boxFilter(wt, -1, (3, 3), normalize=False), 1e-6)
    cx = cv2.boxFilter(wt * gx, -1, (3, 3), normalize=False) / den
    cy = cv2.boxFilter(wt * gy, -1, (3, 3), normalize=False) / den
    xi, yi = near.real.astype(int), near.imag.astype(int)
    return cx[yi, xi] + 1j * cy[yi, xi]


def snap_field(transforms: list[Similarity], label: np.ndarray, flow: np.ndarray, weight: np.ndarray,
               dist_dst: np.ndarray, near_dst: np.ndarray, settings: RigidSettings) -> np.ndarray | None:
    """Per pixel, the offset from where its motion (its transform, or the dense flow where
    ``settings.snap_flow``) lands it to the middle of the other key's nearest stroke, when within
    ``snap_px``; smoothed along the stroke so a line bends as one."""
    h, w = label.shape
    ys, xs = np.nonzero((label >= 0) | settings.snap_flow)
    if ys.size == 0:
        return None
    k = label[ys, xs]
    z = xs + 1j * ys
    q = z + flow[ys, xs, 0] + 1j * flow[ys, xs, 1]
    if transforms:
        coefficients = np.array([(tr.a, tr.b) for tr in transforms])
        rigid_px = k >= 0
        q[rigid_px] = coefficients[k[rigid_px], 0] * z[rigid_px] + coefficients[k[rigid_px], 1]
    xi, yi = np.rint(q.real).astype(int), np.rint(q.imag).astype(int)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    ok[ok] = dist_dst[yi[ok], xi[ok]] <= settings.snap_px
    pull = near_dst[yi[ok], xi[ok]] - q[ok]
    num: np.ndarray = np.zeros((h, w, 2), np.float32)
    den: np.ndarray = np.zeros((h, w), np.float32)
    wk = weight[ys[ok], xs[ok]]
    num[ys[ok], xs[ok], 0] = pull.real * wk
    num[ys[ok], xs[ok], 1] = pull.imag * wk
    den[ys[ok], xs[ok]] = wk
    num = cv2.GaussianBlur(num, (0, 0), settings.snap_sigma)
    den = cv2.GaussianBlur(den, (0, 0), settings.snap_sigma)
    out = num / np.maximum(den, 1e-3)[..., None]
    out[den < 1e-3] = 0.0
    if not settings.snap_flow:
        out[label < 0] = 0.0
    return out.astype(np.float32)


@dataclass
class AreaMotion:
    """A matched closed area's motion (regions.py) as a candidate for ``pair_assignments``."""

    transform: Similarity  # a → b
    prior_a: np.ndarray    # HxW in [0, 1]: where in a this motion is expected
    prior_b: np.ndarray    # the same in b
    parent: int            # index of the area this one is attached to (its path rides on it), −1 for none
    tangents: Tangents = Tangents()  # the same area's motion in the neighbouring gaps


def pair_assignments(rep_a: np.ndarray, rep_b: np.ndarray, ink_a: np.ndarray, ink_b: np.ndarray,
                     flow_ab: np.ndarray, flow_ba: np.ndarray, valid_a: np.ndarray,
                     valid_b: np.ndarray, area_motions: list[AreaMotion] | None = None,
                     carrier: Similarity | None = None, settings: RigidSettings = RigidSettings(),
                     ) -> tuple[Assignment, Assignment] | None:
    """Per-pixel motions of both keys (a→b and b→a), or None when there is nothing to match.

    ``area_motions``: one per matched closed area; each becomes a candidate with
    its prior on both sides, and its path rides on its parent area's (curved
    through the keys by its ``tangents``). ``carrier``: the whole drawing's motion
    (align.py): a candidate itself and the parent of every part that has none, so
    parts travel on the drawing's zoom and turn plus their own arc on top."""
    mask_a, mask_b = ink_a > settings.stroke, ink_b > settings.stroke
    if mask_a.sum() < 10 or mask_b.sum() < 10:
        return None
    img_a = (np.clip(ink_a * 2.0, 0.0, 1.0) * 255).astype(np.uint8)
    img_b = (np.clip(ink_b * 2.0, 0.0, 1.0) * 255).astype(np.uint8)
    fwd = gather(img_a, img_b, rep_a, rep_b, mask_a.astype(np.float32), mask_b.astype(np.float32),
                 flow_ab, valid_a, flow_ba, valid_b, carrier, settings)
    pri_a: dict[int, np.ndarray] = {}
    pri_b: dict[int, np.ndarray] = {}
    root = -1
    if carrier is not None:
        root = len(fwd)
        fwd.append(carrier)
    first = len(fwd)
    parents = [-1 if k == root else root for k in range(first)]
    tangents = [Tangents()] * first
    for m in area_motions or []:
        pri_a[len(fwd)], pri_b[len(fwd)] = m.prior_a, m.prior_b
        parents.append(root if m.parent < 0 else first + m.parent)
        tangents.append(m.tangents)
        fwd.append(m.transform)
    dist_a = cv2.distanceTransform((~mask_a).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    dist_b = cv2.distanceTransform((~mask_b).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    near_a, near_b = stroke_centres(ink_a, nearest_ink(mask_a)[1]), stroke_centres(ink_b, nearest_ink(mask_b)[1])
    wa = np.minimum(ink_a * 2.0, 1.0)
    wb = np.minimum(ink_b * 2.0, 1.0)
    inverse = [s.inverse() for s in fwd]

    def path_a(t: float) -> list[Similarity]:
        return interpolated(fwd, parents, t, tangents, settings.min_arc_turn)

    def path_b(s: float) -> list[Similarity]:
        # b's pixels go back to a and on along a's path: at 1 − s they stand where a's pixels stand at s.
        return [p.compose(v) for p, v in zip(path_a(1.0 - s), inverse)]

    return (assign(fwd, flow_ab, valid_a, wa, dist_b, pri_a, path_a, carrier, near_b, settings),
            assign(inverse, flow_ba, valid_b, wb, dist_a, pri_b, path_b,
                   None if carrier is None else carrier.inverse(), near_a, settings))
