"""What matching knows of a stroke: an arc-length descriptor, its centroid and length, and where it
touches its neighbours. Shared by the assignment (`match.py`) and the twin exchanges (`twins.py`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geometry import alignment_scores, arc_lengths, complex_points, resample_many
from .model import Drawing

DESCRIPTOR = 32           # points per stroke descriptor
MIN_TURN = 0.25           # rad: below, a relative turn does not say where its centre is


@dataclass
class Features:
    centroid: np.ndarray     # (N, 2)
    length: np.ndarray       # (N,)
    shape: np.ndarray        # (N, K) complex, centred
    shape_rev: np.ndarray    # the same strokes drawn the other way (closed: same start)
    closed: np.ndarray       # (N,) bool
    material: np.ndarray     # (N,) int


@dataclass
class Neighbourhood:
    near: np.ndarray         # (N, K) the K strokes nearest each stroke (itself: empty slot)
    gap: np.ndarray          # (N, K) their smallest distance (px)
    at_own: np.ndarray       # (N, K) descriptor index on the stroke where that distance is reached
    at_other: np.ndarray     # (N, K) and on the neighbour

    def first(self, k: int) -> "Neighbourhood":
        return Neighbourhood(self.near[:, :k], self.gap[:, :k], self.at_own[:, :k], self.at_other[:, :k])


def plane_axes(drawings: list[Drawing]) -> tuple[int, int, int | None]:
    """The two axes strokes are drawn in, and the depth axis of 3-D strokes (the one that varies least)."""
    dims = next((d.dims for d in drawings if len(d)), 2)
    if dims == 2:
        return 0, 1, None
    points = np.concatenate([s.points for d in drawings for s in d.strokes])
    depth = int(np.argmin(points.var(axis=0)))
    x, y = (axis for axis in range(3) if axis != depth)
    return x, y, depth


def features(drawing: Drawing, axes: tuple[int, int]) -> Features:
    n = len(drawing)
    if n == 0:
        empty = np.zeros((0, DESCRIPTOR), complex)
        return Features(np.zeros((0, 2)), np.zeros(0), empty, empty, np.zeros(0, bool), np.zeros(0, int))
    planar = [s.points[:, list(axes)] for s in drawing.strokes]
    closed = np.array([s.closed for s in drawing.strokes])
    samples = np.stack(resample_many(planar, 2, closed, [DESCRIPTOR] * n))
    z = complex_points(samples)
    centroid = samples.mean(axis=1)
    shape = z - z.mean(axis=1, keepdims=True)
    reverse_open = shape[:, ::-1]
    reverse_closed = shape[:, (-np.arange(DESCRIPTOR)) % DESCRIPTOR]
    shape_rev = np.where(closed[:, None], reverse_closed, reverse_open)
    lengths = arc_lengths(planar, 2, closed)
    material = np.array([s.material for s in drawing.strokes])
    return Features(centroid, lengths, shape, shape_rev, closed, material)


def drawing_scale(fa: Features, fb: Features) -> float:
    """A length that stands for the drawing's size (positions are compared relative to it)."""
    points = np.concatenate([fa.centroid, fb.centroid])
    lengths = np.concatenate([fa.length, fb.length])
    spread = float(np.sqrt(points.var(axis=0).sum())) * 2.0 if len(points) > 1 else 0.0
    return max(spread, float(lengths.max(initial=0.0)) * 0.5, 1.0)


def shape_costs(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best shape score over both directions (and start shifts when both strokes are closed)."""
    cost = np.full(len(ia), np.inf)
    orient = np.zeros((len(ia), 2))
    both_closed = fa.closed[ia] & fb.closed[ib]
    for closed in (False, True):
        sel = np.flatnonzero(both_closed == closed)
        if sel.size == 0:
            continue
        x = fa.shape[ia[sel]]
        for sign, y in ((1, fb.shape[ib[sel]]), (-1, fb.shape_rev[ib[sel]])):
            score = alignment_scores(x, y, closed)
            shift = np.argmin(score, axis=1)
            best = score[np.arange(sel.size), shift]
            better = best < cost[sel]
            cost[sel[better]] = best[better]
            if closed:  # A's point k sits at y[k + shift]; y reversed keeps the start: u_b = −(k + shift)/K
                start = shift / DESCRIPTOR * sign
            else:
                start = np.full(sel.size, 0.0 if sign > 0 else 1.0)
            orient[sel[better]] = np.stack([np.full(sel.size, sign), start], axis=1)[better]
    return cost, orient


def pair_turns(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, orient: np.ndarray) -> np.ndarray:
    """The turn-and-scale taking each first-key descriptor onto its candidate's, read in correspondence."""
    sign, start = orient[:, 0], orient[:, 1]
    x = fa.shape[ia]
    y = np.where((sign > 0)[:, None], fb.shape[ib], fb.shape_rev[ib])
    shift = np.where(fb.closed[ib], np.rint(start * sign * DESCRIPTOR), 0).astype(int)
    y = np.take_along_axis(y, (np.arange(DESCRIPTOR)[None, :] + shift[:, None]) % DESCRIPTOR, axis=1)
    denom = np.sum(np.abs(x) ** 2, axis=1)
    return np.where(denom > 1e-12, np.sum(np.conj(x) * y, axis=1) / np.where(denom > 1e-12, denom, 1.0), 1.0)


def mapped_index(p: np.ndarray, sign: np.ndarray, start: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Descriptor index on the second stroke of a pair that corresponds to index p on the first."""
    return np.where(closed, np.rint(sign * p + start * DESCRIPTOR) % DESCRIPTOR,
                    np.where(sign > 0, p, DESCRIPTOR - 1 - p)).astype(np.int64)


def nearest_strokes(f: Features, k: int) -> "Neighbourhood":
    """For every stroke, the k other strokes that come closest to it (descriptor points), that gap, and
    where on each of the two strokes it is closest (descriptor indices)."""
    n = len(f.centroid)
    points = np.stack([f.shape.real, f.shape.imag], axis=2) + f.centroid[:, None, :]
    owner = np.repeat(np.arange(n), DESCRIPTOR)
    flat = points.reshape(-1, 2)
    reach = min(len(flat), (k + 1) * 2)
    distance, index = cKDTree(flat).query(flat, k=reach, workers=-1)
    index = index.reshape(len(flat), reach)
    pair_owner = np.repeat(owner, reach)
    here = np.repeat(np.arange(len(flat)) % DESCRIPTOR, reach)
    there = index.reshape(-1) % DESCRIPTOR
    other = owner[index.reshape(-1)]
    d = distance.reshape(-1)
    keep = pair_owner != other
    key = pair_owner[keep].astype(np.int64) * n + other[keep]
    near = np.tile(np.arange(n)[:, None], (1, k))       # "itself" marks an empty slot
    gap = np.full((n, k), np.inf)
    at_own, at_other = np.zeros((n, k), np.int64), np.zeros((n, k), np.int64)
    if not keep.any():
        return Neighbourhood(near, gap, at_own, at_other)
    here, there = here[keep], there[keep]
    # Stable: equal gaps keep the points' order along each stroke (geometry, never drawing order).
    order = np.lexsort((d[keep], key))
    key, d, here, there = key[order], d[keep][order], here[order], there[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, d, here, there = key[first], d[first], here[first], there[first]  # each stroke pair at its smallest gap
    rows = key // n
    order = np.lexsort((d, rows))
    rows, cols, d, here, there = rows[order], (key % n)[order], d[order], here[order], there[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    use = rank < k
    near[rows[use], rank[use]] = cols[use]
    gap[rows[use], rank[use]] = d[use]
    at_own[rows[use], rank[use]] = here[use]
    at_other[rows[use], rank[use]] = there[use]
    return Neighbourhood(near, gap, at_own, at_other)


def contact_edges(fa: Features, nearest: Neighbourhood, scale: float) -> np.ndarray:
    """Pairs of first-key strokes that touch, as rows (i, j, point on i, point on j, weight): the weight
    falls off with the gap and grows with both strokes' lengths (a joint between big parts counts most)."""
    na, k = nearest.near.shape
    i = np.repeat(np.arange(na), k)
    j, gap = nearest.near.reshape(-1), nearest.gap.reshape(-1)
    keep = (j != i) & (gap < 0.05 * scale)
    i, j, gap = i[keep], j[keep], gap[keep]
    weight = np.exp(-gap / (0.02 * scale)) * np.sqrt(fa.length[i] * fa.length[j]) / scale
    return np.stack([i, j, nearest.at_own.reshape(-1)[keep], nearest.at_other.reshape(-1)[keep], weight], axis=1)
