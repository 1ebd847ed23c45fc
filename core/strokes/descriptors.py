"""What matching knows of a stroke: an arc-length descriptor, its centroid and length, and where it
touches its neighbours. Shared by the assignment (`match.py`) and the twin exchanges (`twins.py`)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .geometry import complex_points, fit_scores, misfits, resample_walk, walk_rows
from .model import Drawing

DESCRIPTOR = 32           # points per stroke descriptor

# Set inside `reuse_descriptors`: features and neighbourhoods already computed, by the object they describe.
_reuse: ContextVar[dict[tuple, tuple[Any, Any]] | None] = ContextVar("nakawari_reuse_descriptors", default=None)


@contextmanager
def reuse_descriptors() -> Iterator[None]:
    """Within this block, `features` and `nearest_strokes` compute once per drawing: with three keys or
    more each key is matched with two or three others, and `reconcile` scores pairings again. Only for
    drawings that do not change inside the block (the engine's own keys, checked once)."""
    token = _reuse.set({})
    try:
        yield
    finally:
        _reuse.reset(token)


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

    def first(self, k: int) -> Neighbourhood:
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
    cache = _reuse.get()
    if cache is not None:
        key = ("features", id(drawing), tuple(axes))
        if key not in cache:
            cache[key] = (drawing, _features(drawing, axes))  # holding the drawing keeps its id unique
        return cache[key][1]
    return _features(drawing, axes)


def _features(drawing: Drawing, axes: tuple[int, int]) -> Features:
    n = len(drawing)
    if n == 0:
        empty = np.zeros((0, DESCRIPTOR), complex)
        return Features(np.zeros((0, 2)), np.zeros(0), empty, empty, np.zeros(0, bool), np.zeros(0, int))
    strokes = drawing.strokes
    points = np.concatenate([s.points for s in strokes])
    planar = points if points.shape[1] == 2 and tuple(axes) == (0, 1) else points[:, list(axes)]
    closed = np.array([s.closed for s in strokes])
    walk = walk_rows(planar, [len(s.points) for s in strokes], 2, closed)  # one walk: samples and lengths
    samples = resample_walk(walk, closed, np.full(n, DESCRIPTOR)).reshape(n, DESCRIPTOR, 2)
    z = complex_points(samples)
    centroid = samples.mean(axis=1)
    shape = z - z.mean(axis=1, keepdims=True)
    reverse_open = shape[:, ::-1]
    reverse_closed = shape[:, (-np.arange(DESCRIPTOR)) % DESCRIPTOR]
    shape_rev = np.where(closed[:, None], reverse_closed, reverse_open)
    material = np.array([s.material for s in strokes])
    return Features(centroid, walk.length, shape, shape_rev, closed, material)


def drawing_scale(fa: Features, fb: Features) -> float:
    """A length that stands for the drawing's size (positions are compared relative to it)."""
    points = np.concatenate([fa.centroid, fb.centroid])
    lengths = np.concatenate([fa.length, fb.length])
    spread = float(np.sqrt(points.var(axis=0).sum())) * 2.0 if len(points) > 1 else 0.0
    return max(spread, float(lengths.max(initial=0.0)) * 0.5, 1.0)


def shape_costs(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, turn_penalty: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Best shape score (`fit_scores`) over both directions (and start shifts when both strokes are closed)."""
    cost, orient, _ = shape_costs_and_turns(fa, fb, ia, ib, turn_penalty)
    return cost, orient


def shape_costs_and_turns(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, turn_penalty: float
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`shape_costs`, and `pair_turns` of the pairs that are not both closed (NaN for the others): for
    those the correlation that scores the best direction is the turn's numerator, the same sum."""
    cost = np.full(len(ia), np.inf)
    orient = np.zeros((len(ia), 2))
    turn = np.full(len(ia), np.nan, complex)
    both_closed = fa.closed[ia] & fb.closed[ib]
    # What `alignment_scores` computes per pair from each stroke alone (norms, spectra): once per stroke,
    # then gathered for the pairs (the same numbers: each row is reduced or transformed on its own).
    norm_a = np.sum(np.abs(fa.shape) ** 2, axis=-1, keepdims=True)
    norm_b = {1: np.sum(np.abs(fb.shape) ** 2, axis=-1, keepdims=True),
              -1: np.sum(np.abs(fb.shape_rev) ** 2, axis=-1, keepdims=True)}
    for closed in (False, True):
        sel = np.flatnonzero(both_closed == closed)
        if sel.size == 0:
            continue
        pa, pb = ia[sel], ib[sel]
        if closed:  # every start and both directions; the first best, as trying them in that order keeps it
            pair, direction, shift, score, _ = closed_alignments(fa, fb, pa, pb, turn_penalty)
            best = first_minima(score, np.arange(sel.size) * 2 * DESCRIPTOR, pair)
            cost[sel] = score[best]
            # A's point k sits at y[k + shift]; y reversed keeps the start: u_b = −(k + shift)/K
            orient[sel] = np.stack([direction[best], shift[best] / DESCRIPTOR * direction[best]], axis=1)
            continue
        x_conj = np.conj(fa.shape[pa])
        for sign, y in ((1, fb.shape), (-1, fb.shape_rev)):
            corr = np.sum(x_conj * y[pb], axis=-1, keepdims=True)
            best = fit_scores(corr, norm_a[pa], norm_b[sign][pb], turn_penalty)[:, 0]   # one alignment only
            better = best < cost[sel]
            chosen = sel[better]
            cost[chosen] = best[better]
            orient[chosen, 0] = sign
            orient[chosen, 1] = 0.0 if sign > 0 else 1.0
            turn[chosen] = corr[better, 0]
    open_pairs = ~np.isnan(turn)
    denom = norm_a[ia[open_pairs], 0]   # as pair_turns divides
    turn[open_pairs] = np.where(denom > 1e-12, turn[open_pairs] / np.where(denom > 1e-12, denom, 1.0), 1.0)
    return cost, orient, turn


def closed_alignments(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, turn_penalty: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every alignment of pairs of closed strokes (both directions, every start shift), as flat rows
    grouped by pair, each pair's direction +1 shifts first: pair index, sign, start shift (descriptor
    samples), score (`fit_scores`) and misfit (the score without its turn penalty)."""
    # Circular cross-correlation corr[s] = Σ_k conj(x_k) y_{k+s}; spectra and norms once per stroke, then
    # gathered for the pairs (the same numbers: each row is transformed or reduced on its own).
    row_a, row_b = np.cumsum(fa.closed) - 1, np.cumsum(fb.closed) - 1   # stroke → its row among closed ones
    spectrum_a = np.conj(np.fft.fft(fa.shape[fa.closed], axis=-1))[row_a[ia]]
    norm_a = np.sum(np.abs(fa.shape) ** 2, axis=-1, keepdims=True)[ia]
    corrs: list[np.ndarray] = []
    norms_b: list[np.ndarray] = []
    for y in (fb.shape, fb.shape_rev):
        corrs.append(np.fft.ifft(spectrum_a * np.fft.fft(y[fb.closed], axis=-1)[row_b[ib]], axis=-1))
        norms_b.append(np.sum(np.abs(y) ** 2, axis=-1, keepdims=True)[ib])
    corr, norm_b = np.stack(corrs, axis=1), np.stack(norms_b, axis=1)               # (P, 2, K), (P, 2, 1)
    pair, side, shift = np.indices(corr.shape).reshape(3, -1)
    return (pair, np.where(side == 0, 1, -1), shift,
            fit_scores(corr, norm_a[:, None], norm_b, turn_penalty).reshape(-1),
            misfits(corr, norm_a[:, None], norm_b).reshape(-1))


def pair_turns(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, orient: np.ndarray) -> np.ndarray:
    """The turn-and-scale taking each first-key descriptor onto its candidate's, read in correspondence."""
    sign, start = orient[:, 0], orient[:, 1]
    x = fa.shape[ia]
    shift = np.where(fb.closed[ib], np.rint(start * sign * DESCRIPTOR), 0).astype(int)
    # The partner's descriptor in the pair's direction, from its start: one gather from both directions.
    both = np.concatenate([fb.shape, fb.shape_rev]).reshape(-1)
    row = np.where(sign > 0, ib, ib + len(fb.shape))
    y = both[(row * DESCRIPTOR)[:, None] + (np.arange(DESCRIPTOR)[None, :] + shift[:, None]) % DESCRIPTOR]
    denom = np.sum(np.abs(fa.shape) ** 2, axis=1)[ia]   # per stroke, then gathered: the same sums
    return np.where(denom > 1e-12, np.sum(np.conj(x) * y, axis=1) / np.where(denom > 1e-12, denom, 1.0), 1.0)


def mapped_index(p: np.ndarray, sign: np.ndarray, start: np.ndarray, closed: np.ndarray | bool) -> np.ndarray:
    """Descriptor index on the second stroke of a pair that corresponds to index p on the first."""
    if np.ndim(sign) == 0 and np.ndim(start) == 0 and np.ndim(closed) == 0:
        # One pair (twin exchanges ask pair by pair): only the branch it takes, the same numbers.
        if closed:
            return (np.rint(sign * p + start * DESCRIPTOR) % DESCRIPTOR).astype(np.int64)
        return np.asarray(p if sign > 0 else DESCRIPTOR - 1 - p).astype(np.int64)
    return np.where(closed, np.rint(sign * p + start * DESCRIPTOR) % DESCRIPTOR,
                    np.where(sign > 0, p, DESCRIPTOR - 1 - p)).astype(np.int64)


def nearest_strokes(f: Features, k: int) -> Neighbourhood:
    """For every stroke, the k other strokes that come closest to it (descriptor points), that gap, and
    where on each of the two strokes it is closest (descriptor indices)."""
    cache = _reuse.get()
    if cache is not None:
        key = ("nearest", id(f), k)
        if key not in cache:
            cache[key] = (f, _nearest_strokes(f, k))  # holding the features keeps their id unique
        return cache[key][1]
    return _nearest_strokes(f, k)


def _nearest_strokes(f: Features, k: int) -> Neighbourhood:
    n = len(f.centroid)
    points = np.stack([f.shape.real, f.shape.imag], axis=2) + f.centroid[:, None, :]
    flat = points.reshape(-1, 2)
    reach = min(len(flat), (k + 1) * 2)
    # One thread: the engine shares its cores (batch workers, the host), and threads started per query
    # waited on each other there (a quarter of the matching time on two busy cores).
    distance, index = cKDTree(flat).query(flat, k=reach)
    index = index.reshape(len(flat), reach)
    near = np.tile(np.arange(n)[:, None], (1, k))       # "itself" marks an empty slot
    gap = np.full((n, k), np.inf)
    at_own, at_other = np.zeros((n, k), np.int64), np.zeros((n, k), np.int64)
    # Point pairs on two different strokes, in the order of the query points, then of distance.
    keep = index // DESCRIPTOR != (np.arange(len(flat)) // DESCRIPTOR)[:, None]
    point, rank = np.nonzero(keep)
    if not len(point):
        return Neighbourhood(near, gap, at_own, at_other)
    other_point, d = index[point, rank], distance[point, rank]
    key = (point // DESCRIPTOR) * n + other_point // DESCRIPTOR
    # Each stroke pair at its smallest gap; of equal gaps the first in that order (the points' order along
    # each stroke: geometry, never drawing order). Grouping by pair with a stable sort on the integer key,
    # then the minimum of each group, picks the same point pair as sorting by (pair, gap).
    order = np.argsort(key, kind="stable")
    key, d = key[order], d[order]
    new_pair = np.r_[True, key[1:] != key[:-1]]
    pick = first_minima(d, np.flatnonzero(new_pair), np.cumsum(new_pair) - 1)
    key, d = key[pick], d[pick]
    here, there = point[order[pick]] % DESCRIPTOR, other_point[order[pick]] % DESCRIPTOR
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


def first_minima(values: np.ndarray, starts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index of the first smallest value in each run of `values` (runs start at `starts`, `group` gives each
    value's run): what sorting by (run, value) with a stable sort would put first, without the float sort."""
    smallest = np.minimum.reduceat(values, starts)
    at_min = np.flatnonzero(values == smallest[group])
    return at_min[np.r_[True, group[at_min[1:]] != group[at_min[:-1]]]]


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
