"""Stroke correspondence between two keys, whatever the drawing order and direction.

Every stroke is summarised by a descriptor (DESCRIPTOR points evenly spaced by arc length), its centroid
and its length. A pair costs its position mismatch (after the motion its neighbours predict), length ratio
and shape mismatch (Procrustes: up to a turn and a scale, both directions, every start point of a closed
stroke); a global assignment (scipy's linear_sum_assignment, or a sparse matching for very large keys)
pairs strokes or leaves them unmatched. Pass one predicts position by the drawings' overall shift; pass
two by the motion of each stroke's matched neighbours, so a hand that swung far still finds its hand.

A match carries the point correspondence as a parameter map u_b = start + sign·u_a (mod 1 for closed
strokes; u is the arc-length fraction), refined at full resolution, and a confidence in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .geometry import alignment_scores, arc_lengths, complex_points, resample_many
from .model import Drawing

DESCRIPTOR = 32           # points per stroke descriptor
REFINE = 128              # points for the closed strokes' start-point refinement
CANDIDATES = 24           # nearest strokes (by predicted position) considered per stroke
NEIGHBOURS = 4            # nearby matched strokes that predict a stroke's motion in later passes
CONTACTS = 8              # nearby strokes whose points of contact it must keep
PASSES = 8                # at most; matching stops as soon as an assignment repeats
W_CONTACT = 3.0           # later passes: where a stroke touches its neighbours must stay where they went
SWAP_SLACK = 0.15         # twins: swapping two pairs is tried when neither new pair is this much worse
MAX_JOINT_SWAPS = 10      # twin exchanges tried in every combination within one group of touching strokes
MIN_TURN = 0.25           # rad: below, a relative turn does not say where its centre is
CONTACT_CAP = 0.25        # (of the drawing's scale) one neighbour that moved elsewhere costs at most this
LENGTH_POWER = 1.0
W_POSITION, W_LENGTH, W_SHAPE = 2.0, 1.0, 1.5
W_ORDER = 4.0             # with order_hint: cost of pairing the first stroke with the last
MISMATCH_PENALTY = 0.6    # closed vs open, or another material
UNMATCHED_COST = 1.2      # a pair costlier than two unmatched halves (2 × this) is left unmatched
DENSE_LIMIT = 3000        # strokes in both keys together; above, the sparse matching keeps memory bounded
_NO_EDGE = 1e6


@dataclass(frozen=True)
class Match:
    a: int                # stroke index in the first key
    b: int                # stroke index in the second key
    cost: float
    confidence: float     # in [0, 1]: low for costly or ambiguous pairs
    sign: int             # +1: drawn the same way, -1: reversed
    start: float          # u_b = start + sign·u_a


@dataclass
class Correspondence:
    matches: list[Match] = field(default_factory=list)
    unmatched_a: list[int] = field(default_factory=list)
    unmatched_b: list[int] = field(default_factory=list)

    def partner_of_a(self) -> dict[int, Match]:
        return {m.a: m for m in self.matches}


@dataclass
class Features:
    centroid: np.ndarray     # (N, 2)
    length: np.ndarray       # (N,)
    shape: np.ndarray        # (N, K) complex, centred
    shape_rev: np.ndarray    # the same strokes drawn the other way (closed: same start)
    closed: np.ndarray       # (N,) bool
    material: np.ndarray     # (N,) int


@dataclass
class _Neighbourhood:
    near: np.ndarray         # (N, K) the K strokes nearest each stroke (itself: empty slot)
    gap: np.ndarray          # (N, K) their smallest distance (px)
    at_own: np.ndarray       # (N, K) descriptor index on the stroke where that distance is reached
    at_other: np.ndarray     # (N, K) and on the neighbour

    def first(self, k: int) -> "_Neighbourhood":
        return _Neighbourhood(self.near[:, :k], self.gap[:, :k], self.at_own[:, :k], self.at_other[:, :k])


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


def match_drawings(first: Drawing, second: Drawing, axes: tuple[int, int] = (0, 1), *,
                   order_hint: bool = False) -> Correspondence:
    """Pair the strokes of two keys. `order_hint`: the keys were drawn in the same order (as a host that
    keeps stroke order knows), so a pair far apart in drawing order costs more; it breaks ties between
    twin parts. Off by default: then the result does not depend on drawing order at all."""
    fa, fb = features(first, axes), features(second, axes)
    na, nb = len(first), len(second)
    if na == 0 or nb == 0:
        return Correspondence([], list(range(na)), list(range(nb)))
    scale = drawing_scale(fa, fb)
    weights_a, weights_b = fa.length + 1e-3 * scale, fb.length + 1e-3 * scale
    shift = (np.average(fb.centroid, axis=0, weights=weights_b) -
             np.average(fa.centroid, axis=0, weights=weights_a))
    ca = fa.centroid[:, 0] + 1j * fa.centroid[:, 1]
    guesses, weights = (ca + complex(*shift))[:, None], np.ones((na, 1))
    result = None
    near = None
    contacts = None
    cache = _ShapeCache(fa, fb)
    points_b = fb.shape + (fb.centroid[:, 0] + 1j * fb.centroid[:, 1])[:, None]
    for _ in range(PASSES):
        pairs, unary, orient, own = _pair_costs(fa, fb, guesses, weights, scale, cache)
        if order_hint:
            order = W_ORDER * np.abs(pairs[:, 0] / max(na - 1, 1) - pairs[:, 1] / max(nb - 1, 1))
            unary, own = unary + order, own + order
        cost = unary
        if contacts is not None:
            cost = unary + W_CONTACT * _contact_costs(pairs, orient, contacts, points_b, fb.closed,
                                                      cache.turns(pairs, orient), scale)
        previous, result = result, _assign(pairs, cost, orient, na, nb)
        if not result.matches or (previous is not None and _same_pairs(previous, result)):
            break
        near = _nearest_strokes(fa, max(NEIGHBOURS, CONTACTS)) if near is None else near
        guesses, weights = _neighbour_motion(fa, fb, result, scale, near.first(NEIGHBOURS))
        contacts = _contact_predictions(fa, fb, result, scale, near)
    assert result is not None
    if near is not None and len(result.matches) > 1:
        turns = cache.turns(pairs, orient)
        result = _untwist(result, pairs, own, orient, turns, _contact_edges(fa, near, scale), points_b, fb.closed,
                          scale)
    _refine_starts(first, second, axes, result)
    return result


def _pair_costs(fa: Features, fb: Features, guesses: np.ndarray, weights: np.ndarray, scale: float,
                cache: "_ShapeCache") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs (P, 2), their costs (P,), point maps (P, 2) = (sign, start) and the part of the
    costs that does not depend on position (P,).

    guesses (N, G): where each first-key stroke's centroid may have gone (complex), with weights (N, G);
    the position cost is the weighted mean distance to them, not the distance to their mean, so a stroke
    that moves with one neighbour and not another is judged by the one it agrees with."""
    na, nb = len(fa.length), len(fb.length)
    mean_guess = (guesses * weights).sum(axis=1) / weights.sum(axis=1)
    predicted = np.stack([mean_guess.real, mean_guess.imag], axis=1)
    k_b, k_a = min(CANDIDATES, nb), min(CANDIDATES, na)
    _, near_b = cKDTree(fb.centroid).query(predicted, k=k_b)
    _, near_a = cKDTree(predicted).query(fb.centroid, k=k_a)
    keys = np.unique(np.concatenate([np.repeat(np.arange(na), k_b) * nb + np.asarray(near_b).reshape(-1),
                                     np.asarray(near_a).reshape(-1) * nb + np.repeat(np.arange(nb), k_a)]))
    ia, ib = keys // nb, keys % nb
    pairs = np.stack([ia, ib], axis=1)
    cb = fb.centroid[:, 0] + 1j * fb.centroid[:, 1]
    position = ((np.abs(guesses[ia] - cb[ib, None]) * weights[ia]).sum(axis=1) / weights[ia].sum(axis=1)) / scale
    tiny = 0.02 * scale
    length = np.abs(np.log((fa.length[ia] + tiny) / (fb.length[ib] + tiny)))
    shape, orient = cache.get(keys, ia, ib)
    degenerate = (fa.length[ia] < tiny) | (fb.length[ib] < tiny)  # dots and specks have no shape to compare
    shape = np.where(degenerate, 0.3, shape)
    own = W_LENGTH * length + W_SHAPE * shape + MISMATCH_PENALTY * (
        (fa.closed[ia] != fb.closed[ib]).astype(float) + (fa.material[ia] != fb.material[ib]).astype(float))
    return pairs, W_POSITION * position + own, orient, own


class _ShapeCache:
    """Shape costs of pairs already scored in an earlier pass (candidates overlap from pass to pass)."""

    def __init__(self, fa: Features, fb: Features) -> None:
        self.fa, self.fb = fa, fb
        self.keys = np.zeros(0, np.int64)
        self.cost = np.zeros(0)
        self.orient = np.zeros((0, 2))
        self.turn_keys = np.zeros(0, np.int64)
        self.turn = np.zeros(0, complex)

    def turns(self, pairs: np.ndarray, orient: np.ndarray) -> np.ndarray:
        """The turn-and-scale of each candidate pair (computed once per pair, as the shape costs)."""
        keys = pairs[:, 0].astype(np.int64) * len(self.fb.length) + pairs[:, 1]
        slot = np.minimum(np.searchsorted(self.turn_keys, keys), max(len(self.turn_keys) - 1, 0))
        known = (self.turn_keys[slot] == keys) if len(self.turn_keys) else np.zeros(len(keys), bool)
        turn = np.empty(len(keys), complex)
        turn[known] = self.turn[slot[known]]
        new = ~known
        if new.any():
            turn[new] = _pair_turns(self.fa, self.fb, pairs[new, 0], pairs[new, 1], orient[new])
            merged = np.concatenate([self.turn_keys, keys[new]])
            order = np.argsort(merged, kind="stable")
            self.turn_keys = merged[order]
            self.turn = np.concatenate([self.turn, turn[new]])[order]
        return turn

    def get(self, keys: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slot = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        known = (self.keys[slot] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        cost, orient = np.empty(len(keys)), np.empty((len(keys), 2))
        cost[known], orient[known] = self.cost[slot[known]], self.orient[slot[known]]
        new = ~known
        if new.any():
            cost[new], orient[new] = _shape_costs(self.fa, self.fb, ia[new], ib[new])
            merged = np.concatenate([self.keys, keys[new]])
            order = np.argsort(merged, kind="stable")
            self.keys = merged[order]
            self.cost = np.concatenate([self.cost, cost[new]])[order]
            self.orient = np.concatenate([self.orient, orient[new]])[order]
        return cost, orient


def _shape_costs(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _assign(pairs: np.ndarray, cost: np.ndarray, orient: np.ndarray, na: int, nb: int) -> Correspondence:
    """Global minimum-cost assignment in which any stroke may stay unmatched at UNMATCHED_COST."""
    ia, ib = pairs[:, 0], pairs[:, 1]
    # A pair dearer than leaving both strokes unmatched is never part of the optimum: drop it (keeps the
    # sparse problem small); the confidences below still see every candidate.
    useful = cost < 2 * UNMATCHED_COST
    ia_u, ib_u, cost_u = ia[useful], ib[useful], cost[useful]
    if na + nb <= DENSE_LIMIT:
        full = np.full((na + nb, nb + na), _NO_EDGE)
        full[ia_u, ib_u] = cost_u
        full[np.arange(na), nb + np.arange(na)] = UNMATCHED_COST
        full[na + np.arange(nb), np.arange(nb)] = UNMATCHED_COST
        full[na:, nb:] = 0.0
        rows, cols = linear_sum_assignment(full)
    else:  # the same problem on a sparse graph: every weight +1 (a full matching has na + nb edges)
        r = np.concatenate([ia_u, np.arange(na), na + np.arange(nb), na + ib_u])
        c = np.concatenate([ib_u, nb + np.arange(na), np.arange(nb), nb + ia_u])
        w = np.concatenate([cost_u, np.full(na + nb, UNMATCHED_COST), np.zeros(len(ia_u))]) + 1.0
        graph = csr_matrix((w, (r, c)), shape=(na + nb, nb + na))
        rows, cols = min_weight_full_bipartite_matching(graph)
    chosen = (rows < na) & (cols < nb)
    rows, cols = rows[chosen], cols[chosen]
    pair_keys = ia.astype(np.int64) * nb + ib
    index = np.searchsorted(pair_keys, rows.astype(np.int64) * nb + cols)  # pairs arrive sorted by key
    # Confidence: low when the pair is costly, or when another option for either stroke is nearly as cheap.
    second_a = _cheapest_other(ia, cost, na, index, rows)
    second_b = _cheapest_other(ib, cost, nb, index, cols)
    alternative = np.minimum(np.minimum(second_a, second_b), UNMATCHED_COST * 2)
    margin = np.maximum(alternative - cost[index], 0.0)
    confidence = np.exp(-cost[index] / UNMATCHED_COST) * (1.0 - np.exp(-3.0 * margin / UNMATCHED_COST))
    result = Correspondence()
    for r, c, i, conf in zip(rows.tolist(), cols.tolist(), index.tolist(), confidence.tolist()):
        sign, start = orient[i]
        result.matches.append(Match(r, c, float(cost[i]), conf, int(sign), float(start)))
    matched_a, matched_b = set(rows.tolist()), set(cols.tolist())
    result.matches.sort(key=lambda m: m.a)
    result.unmatched_a = [i for i in range(na) if i not in matched_a]
    result.unmatched_b = [j for j in range(nb) if j not in matched_b]
    return result


def _cheapest_other(owner: np.ndarray, cost: np.ndarray, n: int, chosen: np.ndarray, who: np.ndarray) -> np.ndarray:
    """For each chosen pair, the cheapest other candidate pair of the same stroke (inf if none)."""
    order = np.lexsort((cost, owner))
    sorted_owner = owner[order]
    first = np.searchsorted(sorted_owner, np.arange(n))
    count = np.bincount(owner, minlength=n)
    best = np.where(count > 0, order[np.minimum(first, len(order) - 1)], -1)
    second = np.where(count > 1, order[np.minimum(first + 1, len(order) - 1)], -1)
    other = np.where(best[who] == chosen, second[who], best[who])
    return np.where(other >= 0, cost[np.maximum(other, 0)], np.inf)


def _neighbour_motion(fa: Features, fb: Features, result: Correspondence, scale: float,
                      nearest: _Neighbourhood) -> tuple[np.ndarray, np.ndarray]:
    """Where each first-key stroke should land if it moved with the strokes it touches or lies nearest to:
    their matched turn-scale-shifts applied to its centroid (so a shin follows its swinging thigh), weighted
    by confidence and length over distance. A stroke's own match is left out, so a wrong match does not
    confirm itself. Returns guesses (N, K) complex and weights (N, K)."""
    a_idx, b_idx, turn, slot, valid, confidence = _neighbour_matches(fa, fb, result, nearest)
    near, gap = nearest.near, nearest.gap
    ca = fa.centroid[:, 0] + 1j * fa.centroid[:, 1]
    cb = fb.centroid[:, 0] + 1j * fb.centroid[:, 1]
    weight = valid * confidence[slot] * ((fa.length[near] + 0.02 * scale) / scale) ** LENGTH_POWER / (gap + 0.01 * scale)
    # Neighbour k moved by z → a_k (z − c_a,k) + c_b,k.
    moved = turn[slot] * (ca[:, None] - ca[a_idx[slot]]) + cb[b_idx[slot]]
    lonely = weight.sum(axis=1) <= 0  # nothing matched nearby: the overall shift
    moved[lonely, 0] = ca[lonely] + np.average(cb[b_idx] - ca[a_idx], weights=confidence)
    weight[lonely, 0] = 1.0
    return moved, weight


def _neighbour_matches(fa: Features, fb: Features, result: Correspondence, nearest: _Neighbourhood
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The matches as arrays (first-key strokes, partners, turn-and-scales) and, for every stroke's
    neighbours, the index of their match (N, K), whether they have one other than the stroke itself, and
    the confidences of the matches (+ a little, so none weighs nothing)."""
    na = len(fa.centroid)
    a_idx = np.array([m.a for m in result.matches])
    b_idx = np.array([m.b for m in result.matches])
    partner = np.full(na, -1)
    partner[a_idx] = np.arange(len(a_idx))
    slot = partner[nearest.near]                                      # (N, K) match index or −1
    valid = (slot >= 0) & (nearest.near != np.arange(na)[:, None])
    confidence = np.array([m.confidence for m in result.matches]) + 1e-3
    return a_idx, b_idx, _match_similarity(fa, fb, result.matches), np.where(valid, slot, 0), valid, confidence


def _same_pairs(one: Correspondence, other: Correspondence) -> bool:
    return [(m.a, m.b) for m in one.matches] == [(m.a, m.b) for m in other.matches]


def _contact_predictions(fa: Features, fb: Features, result: Correspondence, scale: float,
                         nearest: _Neighbourhood) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each first-key stroke's points of contact with its neighbours should be in the second key:
    the contact point carried by the neighbour's matched turn-scale-shift. A joint stays where the parts
    it joins went, however far the limb swung about it, so this tells apart twin parts that the motion of
    their centroids cannot (left and right arms hang from different shoulders). Returns (N, K) predicted
    points (complex), weights (0 for no matched neighbour), the descriptor index of the contact and the
    neighbour's turn-and-scale."""
    na = len(fa.centroid)
    a_idx, b_idx, turn, slot, valid, confidence = _neighbour_matches(fa, fb, result, nearest)
    near, gap = nearest.near, nearest.gap
    ca = fa.centroid[:, 0] + 1j * fa.centroid[:, 1]
    cb = fb.centroid[:, 0] + 1j * fb.centroid[:, 1]
    touching = np.exp(-gap / (0.02 * scale))  # a neighbour across a gap is not a joint
    weight = valid * confidence[slot] ** 2 * ((fa.length[near] + 0.02 * scale) / scale) * touching
    contact = fa.shape[np.arange(na)[:, None], nearest.at_own] + ca[:, None]
    predicted = turn[slot] * (contact - ca[a_idx[slot]]) + cb[b_idx[slot]]
    return predicted, weight, nearest.at_own, turn[slot]


def _contact_costs(pairs: np.ndarray, orient: np.ndarray, contacts: tuple, points_b: np.ndarray,
                   closed_b: np.ndarray, turn: np.ndarray, scale: float) -> np.ndarray:
    """Per candidate pair: how far from its points of contact with its neighbours the first stroke would
    turn relative to them. Two parts joined at a joint turn relative to each other about that joint, so
    the candidate's point at the contact lands where the neighbour carries it; the miss, divided by the
    relative turn, is the distance from the contact to the point the pair would really turn about (a
    twin hanging from the other shoulder turns about a point far off). Weighted mean over neighbours."""
    predicted, weight, at_own, turn_near = contacts
    ia, ib = pairs[:, 0], pairs[:, 1]
    sign, start = orient[:, :1], orient[:, 1:]
    own = at_own[ia]
    there = points_b[ib[:, None], _mapped_index(own, sign, start, closed_b[ib, None])]
    relative = np.abs(turn[:, None] / np.where(np.abs(turn_near[ia]) > 1e-9, turn_near[ia], 1.0) - 1.0)
    miss = np.abs(there - predicted[ia]) / np.maximum(relative, MIN_TURN) / scale
    miss = np.minimum(miss, CONTACT_CAP)
    w = weight[ia]
    total = w.sum(axis=1)
    return np.where(total > 0, (w * miss).sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)


def _pair_turns(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, orient: np.ndarray) -> np.ndarray:
    """The turn-and-scale taking each first-key descriptor onto its candidate's, read in correspondence."""
    sign, start = orient[:, 0], orient[:, 1]
    x = fa.shape[ia]
    y = np.where((sign > 0)[:, None], fb.shape[ib], fb.shape_rev[ib])
    shift = np.where(fb.closed[ib], np.rint(start * sign * DESCRIPTOR), 0).astype(int)
    y = np.take_along_axis(y, (np.arange(DESCRIPTOR)[None, :] + shift[:, None]) % DESCRIPTOR, axis=1)
    denom = np.sum(np.abs(x) ** 2, axis=1)
    return np.where(denom > 1e-12, np.sum(np.conj(x) * y, axis=1) / np.where(denom > 1e-12, denom, 1.0), 1.0)


def _contact_edges(fa: Features, nearest: _Neighbourhood, scale: float) -> np.ndarray:
    """Pairs of first-key strokes that touch, as rows (i, j, point on i, point on j, weight): the weight
    falls off with the gap and grows with both strokes' lengths (a joint between big parts counts most)."""
    na, k = nearest.near.shape
    i = np.repeat(np.arange(na), k)
    j, gap = nearest.near.reshape(-1), nearest.gap.reshape(-1)
    keep = (j != i) & (gap < 0.05 * scale)
    i, j, gap = i[keep], j[keep], gap[keep]
    weight = np.exp(-gap / (0.02 * scale)) * np.sqrt(fa.length[i] * fa.length[j]) / scale
    return np.stack([i, j, nearest.at_own.reshape(-1)[keep], nearest.at_other.reshape(-1)[keep], weight], axis=1)


def _untwist(result: Correspondence, pairs: np.ndarray, own: np.ndarray, orient: np.ndarray, turns: np.ndarray,
             edges: np.ndarray, points_b: np.ndarray, closed_b: np.ndarray, scale: float) -> Correspondence:
    """Exchange the partners of twin strokes wherever that lowers the drawing's cost: each pair's own cost
    (shape, length: not position, which favours the current pairs) plus, for every two strokes that touch
    in the first key, how far their contact lands from the point they turn about relative to each other.
    Twin parts (left and right shin and foot) can be swapped as a chain that agrees with itself, which no
    single exchange undoes: every combination of the exchanges in a group of touching twins is tried."""
    nb = len(points_b)
    key_of = {k: n for n, k in enumerate((pairs[:, 0].astype(np.int64) * nb + pairs[:, 1]).tolist())}
    by_stroke: dict[int, list[tuple[int, int, int, float]]] = {}
    for i, j, p, q, w in edges.tolist():
        by_stroke.setdefault(int(i), []).append((int(j), int(p), int(q), w))
        by_stroke.setdefault(int(j), []).append((int(i), int(q), int(p), w))
    slots = {m.a: key_of[m.a * nb + m.b] for m in result.matches}

    seen: dict[tuple[int, int], complex] = {}

    def point(p: int, slot: int) -> complex:
        """The second-key point in correspondence with descriptor point p of a pair's first stroke."""
        if (p, slot) not in seen:
            sign, start = orient[slot]
            b = int(pairs[slot, 1])
            seen[p, slot] = complex(points_b[b, int(_mapped_index(np.asarray(p), sign, start, closed_b[b]))])
        return seen[p, slot]

    def energy(strokes: set[int]) -> float:
        total = 0.0
        for a in strokes:
            total += float(own[slots[a]])
            for j, p, q, w in by_stroke.get(a, []):
                if j in slots:
                    ta, tj = turns[slots[a]], turns[slots[j]]
                    relative = abs(ta / tj - 1.0) if abs(tj) > 1e-9 else 1.0
                    miss = abs(point(p, slots[a]) - point(q, slots[j])) / max(relative, MIN_TURN) / scale
                    total += (0.5 if j in strokes else 1.0) * W_CONTACT * w * min(miss, CONTACT_CAP)
        return total

    def swap(a: int, c: int) -> bool:
        """Exchange the partners of a and c, if both new pairs were scored."""
        new_a, new_c = a * nb + int(pairs[slots[c], 1]), c * nb + int(pairs[slots[a], 1])
        if new_a not in key_of or new_c not in key_of:
            return False
        slots[a], slots[c] = key_of[new_a], key_of[new_c]
        return True

    # Exchanges a→x, c→y ⇒ a→y, c→x between strokes whose new pairs are scored and nearly as good.
    keys = pairs[:, 0].astype(np.int64) * nb + pairs[:, 1]           # sorted (pairs arrive by key)
    partner_b = np.full(int(pairs[:, 0].max(initial=0)) + 1, -1)
    owner_b = np.full(nb, -1)
    for m in result.matches:
        partner_b[m.a], owner_b[m.b] = m.b, m.a
    a_all, y_all = pairs[:, 0], pairs[:, 1]
    c_all, x_all = owner_b[y_all], partner_b[a_all]
    maybe = (c_all >= 0) & (x_all >= 0) & (c_all != a_all)
    wanted = np.where(maybe, c_all.astype(np.int64) * nb + x_all, -1)
    found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    maybe &= keys[found] == wanted
    current_a = np.array([slots.get(int(a), 0) for a in a_all]) if maybe.any() else np.zeros(len(a_all), int)
    swaps = set()
    for y in np.flatnonzero(maybe).tolist():
        a, c = int(a_all[y]), int(c_all[y])
        if own[y] - own[current_a[y]] < SWAP_SLACK and own[found[y]] - own[slots[c]] < SWAP_SLACK:
            swaps.add((min(a, c), max(a, c)))
    # Groups: exchanges whose strokes touch (or share a stroke).
    swaps_list = sorted(swaps)
    if not swaps_list:
        return result
    group = list(range(len(swaps_list)))

    def find(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k
    in_swaps: dict[int, list[int]] = {}
    for k, pair in enumerate(swaps_list):
        for a in pair:
            in_swaps.setdefault(a, []).append(k)
    for k, (a, c) in enumerate(swaps_list):
        for j in {a, c} | {j for s in (a, c) for j, *_ in by_stroke.get(s, [])}:
            for other in in_swaps.get(j, []):
                group[find(other)] = find(k)
    groups: dict[int, list[tuple[int, int]]] = {}
    for k, pair in enumerate(swaps_list):
        groups.setdefault(find(k), []).append(pair)
    changed = False
    for members in groups.values():
        if len(members) > MAX_JOINT_SWAPS:  # bounded: 2^n combinations; larger groups one exchange at a time
            changed |= _exchange_one_by_one(members, slots, energy, swap)
            continue
        strokes = {a for pair in members for a in pair}
        start = {a: slots[a] for a in strokes}
        best, best_energy = 0, energy(strokes) - 1e-6
        for mask in range(1, 1 << len(members)):
            chosen = [pair for bit, pair in enumerate(members) if mask >> bit & 1]
            used = [a for pair in chosen for a in pair]
            if len(used) != len(set(used)):
                continue
            valid = all([swap(a, c) for a, c in chosen])
            value = energy(strokes) if valid else np.inf
            slots.update(start)
            if value < best_energy:
                best, best_energy = mask, value
        if best:
            for bit, (a, c) in enumerate(members):
                if best >> bit & 1:
                    swap(a, c)
            changed = True
    if not changed:
        return result
    matches = []
    for m in result.matches:  # exchanged pairs keep the (low) confidence of the pair they replace
        slot = slots[m.a]
        sign, start_u = orient[slot]
        b = int(pairs[slot, 1])
        matches.append(m if b == m.b else Match(m.a, b, float(own[slot]), m.confidence, int(sign), float(start_u)))
    return Correspondence(matches, result.unmatched_a, result.unmatched_b)


def _exchange_one_by_one(members: list[tuple[int, int]], slots: dict[int, int],
                         energy: Callable[[set[int]], float], swap: Callable[[int, int], bool]) -> bool:
    changed = False
    for a, c in members:
        before = energy({a, c})
        start = slots[a], slots[c]
        if swap(a, c) and energy({a, c}) < before - 1e-6:
            changed = True
        else:
            slots[a], slots[c] = start
    return changed


def _match_similarity(fa: Features, fb: Features, matches: list[Match]) -> np.ndarray:
    """The turn-and-scale taking each matched first-key descriptor onto its partner's, read in
    correspondence."""
    orient = np.array([(m.sign, m.start) for m in matches], dtype=np.float64).reshape(-1, 2)
    return _pair_turns(fa, fb, np.array([m.a for m in matches]), np.array([m.b for m in matches]), orient)


def _mapped_index(p: np.ndarray, sign: np.ndarray, start: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Descriptor index on the second stroke of a pair that corresponds to index p on the first."""
    return np.where(closed, np.rint(sign * p + start * DESCRIPTOR) % DESCRIPTOR,
                    np.where(sign > 0, p, DESCRIPTOR - 1 - p)).astype(np.int64)


def _nearest_strokes(f: Features, k: int) -> "_Neighbourhood":
    """For every stroke, the k other strokes that come closest to it (descriptor points), that gap, and
    where on each of the two strokes it is closest (descriptor indices)."""
    n = len(f.centroid)
    points = np.stack([f.shape.real, f.shape.imag], axis=2) + f.centroid[:, None, :]
    owner = np.repeat(np.arange(n), DESCRIPTOR)
    flat = points.reshape(-1, 2)
    reach = min(len(flat), (k + 1) * 2)
    distance, index = cKDTree(flat).query(flat, k=reach)
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
        return _Neighbourhood(near, gap, at_own, at_other)
    here, there = here[keep], there[keep]
    order = np.lexsort((there, here, d[keep], key))    # ties broken by geometry, never by stroke order
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
    return _Neighbourhood(near, gap, at_own, at_other)


def _refine_starts(first: Drawing, second: Drawing, axes: tuple[int, int], result: Correspondence) -> None:
    """Closed pairs: find the start point to a fraction of a sample at REFINE points (the descriptor
    found it to 1/DESCRIPTOR of the perimeter)."""
    closed = [i for i, m in enumerate(result.matches)
              if first.strokes[m.a].closed and second.strokes[m.b].closed and first.strokes[m.a].n > 2]
    if not closed:
        return
    ax = list(axes)
    matches = [result.matches[i] for i in closed]
    a_pts = resample_many([first.strokes[m.a].points[:, ax] for m in matches], 2, [True] * len(matches),
                          [REFINE] * len(matches))
    b_pts = resample_many([second.strokes[m.b].points[:, ax] for m in matches], 2, [True] * len(matches),
                          [REFINE] * len(matches), [(m.sign, m.start) for m in matches])
    x = complex_points(np.stack(a_pts))
    y = complex_points(np.stack(b_pts))
    x -= x.mean(axis=1, keepdims=True)
    y -= y.mean(axis=1, keepdims=True)
    score = alignment_scores(x, y, closed=True)
    best = np.argmin(score, axis=1)
    for row, (index, m) in enumerate(zip(closed, matches)):
        s = int(best[row])
        left, mid, right = score[row, (s - 1) % REFINE], score[row, s], score[row, (s + 1) % REFINE]
        curve = left - 2 * mid + right
        offset = 0.5 * (left - right) / curve if curve > 1e-12 else 0.0
        shift = ((s + float(np.clip(offset, -0.5, 0.5)) + REFINE / 2) % REFINE - REFINE / 2) / REFINE
        result.matches[index] = Match(m.a, m.b, m.cost, m.confidence, m.sign, (m.start + m.sign * shift) % 1.0)
