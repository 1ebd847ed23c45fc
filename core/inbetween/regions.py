"""Closed areas of the drawing as motion hypotheses, matched one-to-one between keys.

Line art for animation is made of closed areas (that is how cels get
coloured); a limb is a closed capsule. A capsule that turned a radian keeps
its area and elongation, so the areas of two keys can be matched as wholes,
where feature points on thin strokes fail and a per-pixel landing cost cannot
tell the left leg from the right. Each matched pair gives a similarity
transform (from second moments, refined by ICP of the two outlines), and
the ink around the area gets a prior for that transform (see rigid.assign).

Everything runs at working resolution; per-region statistics come from one
pass of ``np.bincount`` over the component labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from .rigid import AreaMotion, RigidSettings, Similarity


@dataclass(frozen=True)
class RegionSettings:
    """Which areas count and how they are matched (sizes in working px)."""

    ink_edge: float = 0.15   # working-resolution ink above this closes an area (area-averaged thin lines are faint)
    min_area: int = 20       # smaller areas are dots and gaps, not parts
    # Matching cost weights: area and elongation ratios are nearly invariant under a rigid move; the centroid
    # may travel far (a limb turning about a joint), so its distance (relative to the figure size, after the
    # global shift) weighs less.
    w_area: float = 2.5
    w_elong: float = 1.5
    w_centroid: float = 2.0
    w_colour: float = 4.0    # cels: per unit of mean colour difference (summed over channels)
    w_fit: float = 0.5       # per working px of mean outline misfit after ICP
    max_cost: float = 1.6    # pairs costlier than this stay unmatched (occlusions split and merge areas)
    # Neighbourhood consistency: adjacent areas that share a line should send that line to the same place.
    # Penalty per working px of disagreement, capped.
    w_joint: float = 0.08
    joint_cap: float = 1.5
    w_topology: float = 0.5  # adjacent in a but the partners not adjacent in b: the topology broke
    joint_rounds: int = 5    # at most, of matching again with the matched neighbours' joints
    icp_steps: int = 6
    icp_points: int = 60


DEFAULT_REGIONS = RegionSettings()


@dataclass
class Regions:
    labels: np.ndarray     # HxW int32, region index + 1 (0: ink, paper, background)
    area: np.ndarray       # (n,) pixels
    centroid: np.ndarray   # (n,) complex
    theta: np.ndarray      # (n,) orientation of the major axis (radians, mod π)
    elong: np.ndarray      # (n,) sqrt(λ1/λ2) ≥ 1
    colour: np.ndarray     # (n, 3) mean colour, zeros for line art
    outlines: list[np.ndarray]  # per region: complex points of its inner boundary

    @property
    def n(self) -> int:
        return int(self.area.size)

    @cached_property
    def neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """``adjacency`` of these areas, computed once: matching and the part tree both ask, and a
        key's areas serve the gaps on both of its sides."""
        return adjacency(self)


def extract(ink: np.ndarray, colour: np.ndarray | None = None, settings: RegionSettings = DEFAULT_REGIONS) -> Regions:
    """Closed non-ink areas not touching the image border (which is the background)."""
    h, w = ink.shape
    closed = cv2.morphologyEx((ink > settings.ink_edge).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    n, lab, st, _ = cv2.connectedComponentsWithStats(1 - closed, connectivity=4)
    x0, y0, bw, bh, area = st[:, 0], st[:, 1], st[:, 2], st[:, 3], st[:, 4]
    keep = (x0 > 0) & (y0 > 0) & (x0 + bw < w) & (y0 + bh < h) & (area >= settings.min_area)
    keep[0] = False
    remap = np.zeros(n, np.int32)
    idx = np.nonzero(keep)[0]
    remap[idx] = np.arange(1, idx.size + 1)
    labels = remap[lab]
    m = idx.size
    flat = labels.ravel()
    gy, gx = np.mgrid[0:h, 0:w]
    gx = gx.ravel().astype(np.float64)
    gy = gy.ravel().astype(np.float64)

    def s(v: np.ndarray | None) -> np.ndarray:
        return np.bincount(flat, weights=v, minlength=m + 1)[1:]

    a = s(None)
    a = np.maximum(a, 1.0)
    cx, cy = s(gx) / a, s(gy) / a
    mxx = s(gx * gx) / a - cx * cx
    myy = s(gy * gy) / a - cy * cy
    mxy = s(gx * gy) / a - cx * cy
    theta = 0.5 * np.arctan2(2 * mxy, mxx - myy)
    root = np.sqrt(((mxx - myy) / 2) ** 2 + mxy ** 2)
    l1 = (mxx + myy) / 2 + root
    l2 = np.maximum((mxx + myy) / 2 - root, 1e-3)
    elong = np.sqrt(l1 / l2)
    col = np.zeros((m, 3))
    if colour is not None and m:
        for c in range(3):
            col[:, c] = s(colour[..., c].ravel().astype(np.float64)) / a
    # Inner boundary: region pixels with a 4-neighbour outside the region.
    er = cv2.erode(labels.astype(np.float32), np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8))
    dl = cv2.dilate(labels.astype(np.float32), np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8))
    edge = (labels > 0) & ((er != labels) | (dl != labels))
    ys, xs = np.nonzero(edge)
    el = labels[ys, xs]
    order = np.argsort(el, kind="stable")
    ys, xs, el = ys[order], xs[order], el[order]
    cuts = np.searchsorted(el, np.arange(1, m + 2))
    outlines = [(xs[cuts[i]:cuts[i + 1]] + 1j * ys[cuts[i]:cuts[i + 1]]).astype(complex) for i in range(m)]
    return Regions(labels, a, cx + 1j * cy, theta, elong, col, outlines)


def _icp(tr: Similarity, src: np.ndarray, dst: np.ndarray, size: float, settings: RegionSettings
         ) -> tuple[Similarity, float]:
    """A few ICP steps of one outline onto another (brute-force nearest points:
    outlines are subsampled to a few dozen points); symmetric mean misfit. ``size``:
    the whole drawing's scale change (a zoom), which every part shares."""
    src = src[:: max(1, src.size // settings.icp_points)]
    dst = dst[:: max(1, dst.size // settings.icp_points)]
    ms = src.mean()
    s0 = src - ms
    den = float(np.vdot(s0, s0).real)
    a, b = tr.a, tr.b
    for _ in range(settings.icp_steps):
        d = np.abs((a * src + b)[:, None] - dst[None, :])
        nn = dst[d.argmin(axis=1)]
        md = nn.mean()
        # Least-squares similarity (complex Umeyama), inlined: this loop runs hundreds of times.
        na = complex(np.vdot(s0, nn - md)) / max(den, 1e-6)
        # A part keeps its size; a fit that shrinks onto one side is wrong.
        if not 0.85 <= abs(na) / size <= 1.18:
            na *= size / abs(na)
        nb = md - na * ms
        done = abs(na - a) * np.sqrt(den / src.size) + abs(nb - b) < 0.05
        a, b = na, nb
        if done:
            break
    d = np.abs((a * src + b)[:, None] - dst[None, :])
    return Similarity(complex(a), complex(b)), float(0.5 * (d.min(axis=1).mean() + d.min(axis=0).mean()))


def region_transform(ra: Regions, i: int, rb: Regions, j: int, size: float = 1.0,
                     settings: RegionSettings = DEFAULT_REGIONS) -> tuple[Similarity, float]:
    """Best similarity taking area i of a onto area j of b: orientations from the
    moments (both senses of the axis; several angles for round shapes), each ICP-refined.
    ``size``: the whole drawing's scale change b over a."""
    src, dst = ra.outlines[i], rb.outlines[j]
    dth = rb.theta[j] - ra.theta[i]
    if min(ra.elong[i], rb.elong[j]) < 1.3:
        angles = dth + np.arange(6) * (np.pi / 3)
    else:
        angles = [dth, dth + np.pi]
    s = float(np.sqrt(rb.area[j] / ra.area[i]))
    s = float(np.clip(s, 0.9 * size, 1.1 * size))
    best: tuple[Similarity, float] | None = None
    for ang in angles:
        a = s * np.exp(1j * ang)
        tr = Similarity(complex(a), complex(rb.centroid[j] - a * ra.centroid[i]))
        tr, err = _icp(tr, src, dst, size, settings)
        if best is None or err < best[1]:
            best = (tr, err)
    assert best is not None
    return best


def adjacency(r: Regions, reach: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of areas separated by a single line, and a point on that line (complex)."""
    n = r.n
    k = np.ones((reach, reach), np.uint8)
    lab = r.labels.astype(np.float32)
    mx = cv2.dilate(lab, k)
    # Smallest non-zero label nearby: dilate the negated labels with 0 → big.
    inv = np.where(r.labels > 0, (n + 1 - r.labels).astype(np.float32), 0)
    mn = (n + 1) - cv2.dilate(inv, k)
    both = (r.labels == 0) & (mx > 0) & (mn > 0) & (mx != mn)
    ys, xs = np.nonzero(both)
    a, b = mn[ys, xs].astype(int) - 1, mx[ys, xs].astype(int) - 1
    adj = np.zeros((n, n), bool)
    pt = np.zeros((n, n), complex)
    if ys.size:
        key = a * n + b
        cnt = np.bincount(key, minlength=n * n)
        sx = np.bincount(key, weights=xs, minlength=n * n)
        sy = np.bincount(key, weights=ys, minlength=n * n)
        ok = cnt >= 3
        adj = ok.reshape(n, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = (sx + 1j * sy) / np.maximum(cnt, 1)
        pt = p.reshape(n, n)
        adj = adj | adj.T
        pt = pt + pt.T * (~ok.reshape(n, n))
    return adj, pt


@dataclass
class Match:
    i: int                 # area in a
    j: int                 # area in b
    transform: Similarity  # a → b
    cost: float


def match(ra: Regions, rb: Regions, figure_size: float, carrier: Similarity | None = None,
          settings: RegionSettings = DEFAULT_REGIONS,
          scale_range: tuple[float, float] = RigidSettings.scale_range) -> list[Match]:
    """One-to-one matching of a's areas to b's: unary shape cost plus outline fit,
    then a few rounds adding a joint-consistency term with the matched neighbours.
    ``carrier``: the whole drawing's motion (align.py) when the keys zoom or turn: areas are
    compared at its scale and where it takes them. ``scale_range``: a part's plausible size change
    (``rigid.RigidSettings.scale_range``)."""
    if ra.n == 0 or rb.n == 0:
        return []
    size = 1.0 if carrier is None else abs(carrier.a)
    la, lb = np.log(ra.area) + 2.0 * np.log(size), np.log(rb.area)
    cost = settings.w_area * np.abs(la[:, None] - lb[None, :])
    cost += settings.w_elong * np.abs(np.log(ra.elong)[:, None] - np.log(rb.elong)[None, :])
    if ra.colour.any() or rb.colour.any():
        cost += settings.w_colour * np.abs(ra.colour[:, None, :] - rb.colour[None, :, :]).sum(-1)
    # The whole figure may have moved: compare centroids after the area-weighted shift (or the zoom).
    if carrier is None:
        shift = (np.sum(rb.centroid * rb.area) / rb.area.sum()) - (np.sum(ra.centroid * ra.area) / ra.area.sum())
        moved = ra.centroid + shift
    else:
        moved = carrier.apply(ra.centroid)
    cd = np.abs(moved[:, None] - rb.centroid[None, :]) / max(figure_size * size, 1.0)
    cost += settings.w_centroid * cd
    big = cost > settings.max_cost
    trs: dict[tuple[int, int], Similarity] = {}
    for i, j in zip(*np.nonzero(~big)):
        tr, err = region_transform(ra, int(i), rb, int(j), size, settings)
        trs[(int(i), int(j))] = tr
        cost[i, j] += settings.w_fit * err / size
        if not tr.plausible(carrier, scale_range):
            cost[i, j] = np.inf
    adj_a, pt_a = ra.neighbours
    adj_b, _ = rb.neighbours
    base = cost.copy()
    pairs = _solve(cost, settings.max_cost)
    for _ in range(settings.joint_rounds):
        cur = {i: j for i, j in pairs}
        cost = base.copy()
        for (i, j), tr in trs.items():
            pen, cnt = 0.0, 0
            for k in np.nonzero(adj_a[i])[0]:
                m = cur.get(int(k))
                if m is None or (int(k), m) not in trs:
                    continue
                p = pt_a[i, k]
                gap = abs(tr.apply(np.array([p]))[0] - trs[(int(k), m)].apply(np.array([p]))[0])
                pen += min(settings.w_joint * gap, settings.joint_cap) + (0.0 if adj_b[j, m] else settings.w_topology)
                cnt += 1
            # Averaged, so a hub (the torso, many neighbours) is not priced out of matching.
            cost[i, j] += pen / max(cnt, 1)
        new = _solve(cost, settings.max_cost)
        if new == pairs:
            break
        pairs = new
    return [Match(i, j, trs[(i, j)], float(cost[i, j])) for i, j in pairs if (i, j) in trs]


def _solve(cost: np.ndarray, max_cost: float) -> list[tuple[int, int]]:
    c = np.where(np.isfinite(cost), cost, 1e6)
    # Padding with a "stay unmatched" option at max_cost-ish price.
    n, m = c.shape
    pad = np.full((n, n), max_cost + 0.5)
    big = np.concatenate([c, np.where(np.eye(n, dtype=bool), pad, 1e6)], axis=1)
    rows, cols = linear_sum_assignment(big)
    return sorted((int(r), int(k)) for r, k in zip(rows, cols) if k < m and big[r, k] < max_cost + 0.5)


def match_keys(ra: Regions, rb: Regions, ink_a: np.ndarray, carrier: Similarity | None = None,
               settings: RegionSettings = DEFAULT_REGIONS, scale_range: tuple[float, float] = RigidSettings.scale_range
               ) -> list[Match]:
    """``match`` with the figure size measured on key a (its areas and ink)."""
    ys, xs = np.nonzero((ra.labels > 0) | (ink_a > settings.ink_edge))
    if ys.size == 0:
        return []
    return match(ra, rb, float(max(np.ptp(ys), np.ptp(xs))), carrier, settings, scale_range)


def area_motions(ra: Regions, rb: Regions, matches: list[Match], line_width: float) -> list[AreaMotion]:
    """Matched areas as candidate motions for rigid.pair_assignments.

    The prior covers the area and the lines around it (out to about a line
    width and a bit), where the area's own motion is the likely one; a line
    shared by two areas gets both priors and the better-landing one wins.
    Each motion's parent comes from ``part_tree``."""
    r = int(np.ceil(line_width)) + 2
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    parents = part_tree(matches, ra, rb)
    out = []
    for m, parent in zip(matches, parents):
        pa = cv2.dilate((ra.labels == m.i + 1).astype(np.uint8), k).astype(np.float32)
        pb = cv2.dilate((rb.labels == m.j + 1).astype(np.uint8), k).astype(np.float32)
        out.append(AreaMotion(m.transform, pa, pb, parent))
    return out


def part_tree(matches: list[Match], ra: Regions, rb: Regions) -> list[int]:
    """Parent (index into ``matches``, −1 for a root) of every matched area.

    Matched areas that share a line in both keys are attached parts (a limb on
    the torso, a forearm on the upper arm). A breadth-first tree from the
    largest area of each connected group — the torso — makes every part a
    child of the neighbour nearer the body, whose motion it rides on."""
    adj_a, _ = ra.neighbours
    adj_b, _ = rb.neighbours
    n = len(matches)
    parents = [-1] * n
    seen = [False] * n
    for root in sorted(range(n), key=lambda k: -ra.area[matches[k].i]):
        if seen[root]:
            continue
        seen[root] = True
        queue = [root]
        while queue:
            p = queue.pop(0)
            for c in range(n):
                if not seen[c] and adj_a[matches[p].i, matches[c].i] and adj_b[matches[p].j, matches[c].j]:
                    seen[c] = True
                    parents[c] = p
                    queue.append(c)
    return parents
