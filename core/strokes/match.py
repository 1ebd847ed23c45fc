"""Stroke correspondence between two keys, whatever the drawing order and direction.

Every stroke is summarised by a descriptor (DESCRIPTOR points evenly spaced by arc length), its centroid
and its length. A pair costs its position mismatch (after the motion its neighbours predict), length ratio
and shape mismatch (Procrustes: up to a turn and a scale, both directions, every start point of a closed
stroke); a global assignment (scipy's linear_sum_assignment, or a sparse matching for very large keys)
pairs strokes or leaves them unmatched. Pass one predicts position by the drawings' overall shift; pass
two by the motion of each stroke's matched neighbours, so a hand that swung far still finds its hand.
Last, twins (left and right forearm) are told apart by where they join the rest (`twins.py`).

A match carries the point correspondence as a parameter map u_b = start + sign·u_a (mod 1 for closed
strokes; u is the arc-length fraction), refined at full resolution, and a confidence in [0, 1]: low for a
costly pair, for one with a nearly as cheap alternative, and for twins whose exchange would cost little more.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .descriptors import (
    DESCRIPTOR,
    Features,
    Neighbourhood,
    closed_alignments,
    contact_edges,
    drawing_scale,
    features,
    first_minima,
    mapped_index,
    nearest_strokes,
    pair_turns,
    plane_axes,
    shape_costs,
    shape_costs_and_turns,
)
from .geometry import alignment_scores, complex_points, resample_many
from .model import Drawing
from .settings import DEFAULT_MATCH, MatchSettings
from .twins import PairingCost, untwist

__all__ = ["Correspondence", "Match", "match_drawings", "own_costs", "pairing", "pairing_cost", "plane_axes",
           "repaired"]

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



def match_drawings(first: Drawing, second: Drawing, axes: tuple[int, int] = (0, 1), *,
                   order_hint: bool = False, settings: MatchSettings = DEFAULT_MATCH) -> Correspondence:
    """Pair the strokes of two keys. `order_hint`: the keys were drawn in the same order (as a host that
    keeps stroke order knows), so a pair far apart in drawing order costs more; it breaks ties between
    twin parts. Off by default: then the result does not depend on drawing order at all."""
    s = settings
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
    result: Correspondence | None = None
    near = None
    contacts = None
    cache = _ShapeCache(fa, fb, s.turn_penalty)
    points_b = fb.shape + (fb.centroid[:, 0] + 1j * fb.centroid[:, 1])[:, None]
    for _ in range(s.passes):
        pairs, unary, orient, own = _pair_costs(fa, fb, guesses, weights, scale, cache, s)
        if order_hint:
            order = s.w_order * np.abs(pairs[:, 0] / max(na - 1, 1) - pairs[:, 1] / max(nb - 1, 1))
            unary, own = unary + order, own + order
        cost = unary
        if contacts is not None:
            cost = unary + s.w_contact * _contact_costs(pairs, orient, contacts, points_b, fb.closed,
                                                        cache.turns(pairs, orient), scale, s)
        previous, result = result, _assign(pairs, cost, orient, na, nb, s)
        if not result.matches or (previous is not None and _same_pairs(previous, result)):
            break
        near = nearest_strokes(fa, max(s.neighbours, s.contacts)) if near is None else near
        guesses, weights = _neighbour_motion(fa, fb, result, scale, near.first(s.neighbours), s.length_power)
        contacts = _contact_predictions(fa, fb, result, scale, near)
    assert result is not None
    if near is not None and len(result.matches) > 1:
        touching = contact_edges(fa, near, scale)
        pairing = PairingCost(pairs, own, orient, cache.turns(pairs, orient), touching, _contacts(fb, scale, s), fa,
                              fb, scale, [(m.a, m.b) for m in result.matches], s)
        margins = untwist(pairing)
        result = _doubted(_exchanged(result, pairing), margins, s.doubt)
        result = _settle_alignments(fa, fb, result, touching, points_b, scale, s)
    _refine_starts(first, second, axes, result, s)
    return result


def _pair_costs(fa: Features, fb: Features, guesses: np.ndarray, weights: np.ndarray, scale: float,
                cache: _ShapeCache, settings: MatchSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs (P, 2), their costs (P,), point maps (P, 2) = (sign, start) and the part of the
    costs that does not depend on position (P,).

    guesses (N, G): where each first-key stroke's centroid may have gone (complex), with weights (N, G);
    the position cost is the weighted mean distance to them, not the distance to their mean, so a stroke
    that moves with one neighbour and not another is judged by the one it agrees with."""
    na, nb = len(fa.length), len(fb.length)
    mean_guess = (guesses * weights).sum(axis=1) / weights.sum(axis=1)
    predicted = np.stack([mean_guess.real, mean_guess.imag], axis=1)
    k_b, k_a = min(settings.candidates, nb), min(settings.candidates, na)
    _, near_b = cKDTree(fb.centroid).query(predicted, k=k_b)
    _, near_a = cKDTree(predicted).query(fb.centroid, k=k_a)
    keys = np.unique(np.concatenate([np.repeat(np.arange(na), k_b) * nb + np.asarray(near_b).reshape(-1),
                                     np.asarray(near_a).reshape(-1) * nb + np.repeat(np.arange(nb), k_a)]))
    ia, ib = keys // nb, keys % nb
    pairs = np.stack([ia, ib], axis=1)
    cb = fb.centroid[:, 0] + 1j * fb.centroid[:, 1]
    position = ((np.abs(guesses[ia] - cb[ib, None]) * weights[ia]).sum(axis=1) / weights[ia].sum(axis=1)) / scale
    shape, orient = cache.get(keys, ia, ib)
    own = _own_costs(fa, fb, ia, ib, shape, scale, settings)
    return pairs, settings.w_position * position + own, orient, own


def _own_costs(fa: Features, fb: Features, ia: np.ndarray, ib: np.ndarray, shape: np.ndarray,
               scale: float | np.ndarray, settings: MatchSettings) -> np.ndarray:
    """The part of a pair's cost that does not depend on where it is: length ratio, shape, kind."""
    tiny = 0.02 * scale
    length = np.abs(np.log((fa.length[ia] + tiny) / (fb.length[ib] + tiny)))
    degenerate = (fa.length[ia] < tiny) | (fb.length[ib] < tiny)  # dots and specks have no shape to compare
    shape = np.where(degenerate, 0.3, shape)
    return settings.w_length * length + settings.w_shape * shape + settings.mismatch_penalty * (
        (fa.closed[ia] != fb.closed[ib]).astype(float) + (fa.material[ia] != fb.material[ib]).astype(float))


def _pairs_of(first: Drawing, second: Drawing, chosen: dict[int, int], axes: tuple[int, int],
              settings: MatchSettings) -> tuple[Features, Features, float, np.ndarray, np.ndarray, np.ndarray]:
    """Features, scale, and the chosen pairs as sorted (P, 2) rows with their own costs and point maps."""
    fa, fb = features(first, axes), features(second, axes)
    scale = drawing_scale(fa, fb)
    ia = np.array(sorted(chosen), dtype=np.int64)
    ib = np.array([chosen[a] for a in ia.tolist()], dtype=np.int64)
    shape, orient = shape_costs(fa, fb, ia, ib, settings.turn_penalty)
    return fa, fb, scale, np.stack([ia, ib], axis=1), _own_costs(fa, fb, ia, ib, shape, scale, settings), orient


def own_costs(one: Drawing, others: Drawing, axes: tuple[int, int] = (0, 1), *, one_first: bool = True,
              settings: MatchSettings = DEFAULT_MATCH) -> np.ndarray:
    """What pairing the one stroke of `one` with each stroke of `others` costs apart from where they are
    (length ratio, shape, kind), `one` as the first key's stroke or (one_first=False) the second's. Each
    pair is judged at its own scale (`drawing_scale` of the two strokes), as if they were two keys."""
    f_one, f_others = features(one, axes), features(others, axes)
    fa, fb = (f_one, f_others) if one_first else (f_others, f_one)
    single, each = np.zeros(len(others), np.int64), np.arange(len(others))
    ia, ib = (single, each) if one_first else (each, single)
    shape, _ = shape_costs(fa, fb, ia, ib, settings.turn_penalty)
    # drawing_scale of two strokes: the distance of their centroids (twice their spread), half the longer.
    apart = np.linalg.norm(fa.centroid[ia] - fb.centroid[ib], axis=1)
    scale = np.maximum.reduce([apart, 0.5 * np.maximum(fa.length[ia], fb.length[ib]), np.ones(len(ia))])
    return _own_costs(fa, fb, ia, ib, shape, scale, settings)


def pairing_cost(first: Drawing, second: Drawing, chosen: dict[int, int], axes: tuple[int, int] = (0, 1),
                 settings: MatchSettings = DEFAULT_MATCH) -> float:
    """What twin exchanges minimise, for a given pairing {first-key stroke: second-key stroke}: each pair's
    shape and length, and whether strokes that touch in one key still touch in the other."""
    if len(chosen) < 1:
        return 0.0
    return pairing(first, second, chosen, axes, settings).total()


def pairing(first: Drawing, second: Drawing, chosen: dict[int, int], axes: tuple[int, int] = (0, 1),
            settings: MatchSettings = DEFAULT_MATCH) -> PairingCost:
    """The PairingCost of a given (non-empty) pairing, over all contacts of both keys."""
    fa, fb, scale, pairs, own, orient = _pairs_of(first, second, chosen, axes, settings)
    turns = pair_turns(fa, fb, pairs[:, 0], pairs[:, 1], orient)
    return PairingCost(pairs, own, orient, turns, _contacts(fa, scale, settings), _contacts(fb, scale, settings),
                       fa, fb, scale, [tuple(p) for p in pairs.tolist()], settings)


def _contacts(f: Features, scale: float, settings: MatchSettings) -> np.ndarray:
    """Where the strokes of one key touch (`contact_edges` among each stroke's `contacts` nearest)."""
    return contact_edges(f, nearest_strokes(f, settings.contacts), scale)


def repaired(first: Drawing, second: Drawing, result: Correspondence, chosen: dict[int, int],
             axes: tuple[int, int] = (0, 1), settings: MatchSettings = DEFAULT_MATCH) -> Correspondence:
    """`result` with some first-key strokes given other partners ({a: b}, within the strokes it pairs):
    their point maps found anew; a changed pair keeps the (low) confidence of the pair it replaces."""
    old = result.partner_of_a()
    _, _, _, pairs, own, orient = _pairs_of(first, second, chosen, axes, settings)
    fresh = {a: Match(a, b, float(c), old[a].confidence, int(o[0]), float(o[1]))
             for (a, b), c, o in zip(pairs.tolist(), own, orient)}
    changed = Correspondence(list(fresh.values()))
    _refine_starts(first, second, axes, changed, settings)
    fresh = {m.a: m for m in changed.matches}
    matches = [fresh.get(m.a, m) for m in result.matches]
    return Correspondence(matches, result.unmatched_a, result.unmatched_b)


class _ShapeCache:
    """Shape costs of pairs already scored in an earlier pass (candidates overlap from pass to pass)."""

    def __init__(self, fa: Features, fb: Features, turn_penalty: float) -> None:
        self.fa, self.fb, self.turn_penalty = fa, fb, turn_penalty
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
            turn[new] = pair_turns(self.fa, self.fb, pairs[new, 0], pairs[new, 1], orient[new])
            self._add_turns(keys[new], turn[new])
        return turn

    def get(self, keys: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slot = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        known = (self.keys[slot] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        cost, orient = np.empty(len(keys)), np.empty((len(keys), 2))
        cost[known], orient[known] = self.cost[slot[known]], self.orient[slot[known]]
        new = ~known
        if new.any():
            cost[new], orient[new], turn = shape_costs_and_turns(self.fa, self.fb, ia[new], ib[new], self.turn_penalty)
            merged = np.concatenate([self.keys, keys[new]])
            order = np.argsort(merged, kind="stable")
            self.keys = merged[order]
            self.cost = np.concatenate([self.cost, cost[new]])[order]
            self.orient = np.concatenate([self.orient, orient[new]])[order]
            self._add_turns(keys[new][~np.isnan(turn)], turn[~np.isnan(turn)])  # found on the way
        return cost, orient

    def _add_turns(self, keys: np.ndarray, turn: np.ndarray) -> None:
        merged = np.concatenate([self.turn_keys, keys])
        order = np.argsort(merged, kind="stable")
        self.turn_keys = merged[order]
        self.turn = np.concatenate([self.turn, turn])[order]


def _assign(pairs: np.ndarray, cost: np.ndarray, orient: np.ndarray, na: int, nb: int, settings: MatchSettings
            ) -> Correspondence:
    """Global minimum-cost assignment in which any stroke may stay unmatched at `unmatched_cost`."""
    unmatched_cost = settings.unmatched_cost
    ia, ib = pairs[:, 0], pairs[:, 1]
    # A pair dearer than leaving both strokes unmatched is never part of the optimum: drop it (keeps the
    # sparse problem small); the confidences below still see every candidate.
    useful = cost < 2 * unmatched_cost
    ia_u, ib_u, cost_u = ia[useful], ib[useful], cost[useful]
    if na + nb <= settings.dense_limit:
        full = np.full((na + nb, nb + na), _NO_EDGE)
        full[ia_u, ib_u] = cost_u
        full[np.arange(na), nb + np.arange(na)] = unmatched_cost
        full[na + np.arange(nb), np.arange(nb)] = unmatched_cost
        full[na:, nb:] = 0.0
        rows, cols = linear_sum_assignment(full)
    else:  # the same problem on a sparse graph: every weight +1 (a full matching has na + nb edges)
        r = np.concatenate([ia_u, np.arange(na), na + np.arange(nb), na + ib_u])
        c = np.concatenate([ib_u, nb + np.arange(na), np.arange(nb), nb + ia_u])
        w = np.concatenate([cost_u, np.full(na + nb, unmatched_cost), np.zeros(len(ia_u))]) + 1.0
        graph = csr_matrix((w, (r, c)), shape=(na + nb, nb + na))
        rows, cols = min_weight_full_bipartite_matching(graph)
    chosen = (rows < na) & (cols < nb)
    rows, cols = rows[chosen], cols[chosen]
    pair_keys = ia.astype(np.int64) * nb + ib
    index = np.searchsorted(pair_keys, rows.astype(np.int64) * nb + cols)  # pairs arrive sorted by key
    # Confidence: low when the pair is costly, or when another option for either stroke is nearly as cheap.
    second_a = _cheapest_other(ia, cost, na, index, rows)
    second_b = _cheapest_other(ib, cost, nb, index, cols)
    alternative = np.minimum(np.minimum(second_a, second_b), unmatched_cost * 2)
    margin = np.maximum(alternative - cost[index], 0.0)
    confidence = np.exp(-cost[index] / unmatched_cost) * (1.0 - np.exp(-3.0 * margin / unmatched_cost))
    result = Correspondence()
    signs, starts = orient[index, 0].astype(int).tolist(), orient[index, 1].tolist()
    result.matches = [Match(r, c, pair_cost, conf, sign, start) for r, c, pair_cost, conf, sign, start in
                      zip(rows.tolist(), cols.tolist(), cost[index].tolist(), confidence.tolist(), signs, starts)]
    result.matches.sort(key=lambda m: m.a)
    matched_a, matched_b = np.zeros(na, bool), np.zeros(nb, bool)
    matched_a[rows], matched_b[cols] = True, True
    result.unmatched_a = np.flatnonzero(~matched_a).tolist()
    result.unmatched_b = np.flatnonzero(~matched_b).tolist()
    return result


def _cheapest_other(owner: np.ndarray, cost: np.ndarray, n: int, chosen: np.ndarray, who: np.ndarray) -> np.ndarray:
    """For each chosen pair, the cheapest other candidate pair of the same stroke (inf if none)."""
    # Per stroke, its cheapest and second cheapest pairs (of equal costs, the first pair), as sorting by
    # (stroke, cost) would give: group the pairs by stroke (a stable sort on integers), then take minima.
    order = np.argsort(owner, kind="stable")
    sorted_owner, sorted_cost = owner[order], cost[order]
    count = np.bincount(owner, minlength=n)
    present = np.flatnonzero(count)
    starts = np.searchsorted(sorted_owner, present)
    group = np.repeat(np.arange(len(present)), count[present])
    best, second = np.full(n, -1), np.full(n, -1)
    if len(order):
        cheapest = first_minima(sorted_cost, starts, group)
        best[present] = order[cheapest]
        rest = sorted_cost.copy()
        rest[cheapest] = np.inf
        runner_up = first_minima(rest, starts, group)
        two = count[present] > 1
        second[present[two]] = order[runner_up[two]]
    other = np.where(best[who] == chosen, second[who], best[who])
    return np.where(other >= 0, cost[np.maximum(other, 0)], np.inf)


def _neighbour_motion(fa: Features, fb: Features, result: Correspondence, scale: float,
                      nearest: Neighbourhood, length_power: float) -> tuple[np.ndarray, np.ndarray]:
    """Where each first-key stroke should land if it moved with the strokes it touches or lies nearest to:
    their matched turn-scale-shifts applied to its centroid (so a shin follows its swinging thigh), weighted
    by confidence and length over distance. A stroke's own match is left out, so a wrong match does not
    confirm itself. Returns guesses (N, K) complex and weights (N, K)."""
    a_idx, b_idx, turn, slot, valid, confidence = _neighbour_matches(fa, fb, result, nearest)
    near, gap = nearest.near, nearest.gap
    ca = fa.centroid[:, 0] + 1j * fa.centroid[:, 1]
    cb = fb.centroid[:, 0] + 1j * fb.centroid[:, 1]
    weight = (valid * confidence[slot] * ((fa.length[near] + 0.02 * scale) / scale) ** length_power
              / (gap + 0.01 * scale))
    # Neighbour k moved by z → a_k (z − c_a,k) + c_b,k.
    moved = turn[slot] * (ca[:, None] - ca[a_idx[slot]]) + cb[b_idx[slot]]
    lonely = weight.sum(axis=1) <= 0  # nothing matched nearby: the overall shift
    moved[lonely, 0] = ca[lonely] + np.average(cb[b_idx] - ca[a_idx], weights=confidence)
    weight[lonely, 0] = 1.0
    return moved, weight


def _neighbour_matches(fa: Features, fb: Features, result: Correspondence, nearest: Neighbourhood
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


def _exchanged(result: Correspondence, cost: PairingCost) -> Correspondence:
    """The matches after twin exchanges; an exchanged pair keeps the (low) confidence of the pair it replaces."""
    matches = []
    for m in result.matches:
        slot = cost.slots[m.a]
        sign, start = cost.orient[slot]
        b = cost.partner(m.a)
        matches.append(m if b == m.b else Match(m.a, b, float(cost.own[slot]), m.confidence, int(sign), float(start)))
    return Correspondence(matches, result.unmatched_a, result.unmatched_b)


def _doubted(result: Correspondence, margins: dict[int, float], doubt: float) -> Correspondence:
    """The matches of the first-key strokes in `margins` with their confidence lowered by how little more
    (in pairing cost) the other choice they had would cost: a toss-up between twins is not a sure pair."""
    if not margins:
        return result
    sure = {a: float(1.0 - np.exp(-max(margin, 0.0) / doubt)) for a, margin in margins.items()}  # ties: ±1e-6
    matches = [Match(m.a, m.b, m.cost, m.confidence * sure[m.a], m.sign, m.start) if m.a in sure else m
               for m in result.matches]
    return Correspondence(matches, result.unmatched_a, result.unmatched_b)


def _same_pairs(one: Correspondence, other: Correspondence) -> bool:
    return [(m.a, m.b) for m in one.matches] == [(m.a, m.b) for m in other.matches]


def _contact_predictions(fa: Features, fb: Features, result: Correspondence, scale: float,
                         nearest: Neighbourhood) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
                   closed_b: np.ndarray, turn: np.ndarray, scale: float, settings: MatchSettings) -> np.ndarray:
    """Per candidate pair: how far from its points of contact with its neighbours the first stroke would
    turn relative to them. Two parts joined at a joint turn relative to each other about that joint, so
    the candidate's point at the contact lands where the neighbour carries it; the miss, divided by the
    relative turn, is the distance from the contact to the point the pair would really turn about (a
    twin hanging from the other shoulder turns about a point far off). Weighted mean over neighbours."""
    predicted, weight, at_own, turn_near = contacts
    ia, ib = pairs[:, 0], pairs[:, 1]
    sign, start = orient[:, :1], orient[:, 1:]
    own = at_own[ia]
    there = points_b[ib[:, None], mapped_index(own, sign, start, closed_b[ib, None])]
    relative = np.abs(turn[:, None] / np.where(np.abs(turn_near[ia]) > 1e-9, turn_near[ia], 1.0) - 1.0)
    miss = np.abs(there - predicted[ia]) / np.maximum(relative, settings.min_turn) / scale
    miss = np.minimum(miss, settings.contact_cap)
    w = weight[ia]
    total = w.sum(axis=1)
    return np.where(total > 0, (w * miss).sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)


def _settle_alignments(fa: Features, fb: Features, result: Correspondence, edges: np.ndarray,
                       points_b: np.ndarray, scale: float, settings: MatchSettings) -> Correspondence:
    """The start (and direction) of each closed pair chosen again, by shape and joints. A near-symmetric
    outline (a capsule, an ellipse) fits its partner about as well from the start half-way round, and the
    shape's turn penalty then picks the smaller turn, which is wrong where the part really turned further (a
    forearm swung on with its upper arm): it would spin through the inbetweens. Of the starts that fit
    almost as well as the best (within `symmetry`), the one that keeps the most of the stroke's points of
    contact with its neighbours (`edges`, first key) together in the second key (within the twins' `lasting`)
    wins, and of those the best by shape and by how near its contacts land; a few rounds, as each choice moves its
    neighbours' points. Open strokes keep the shape's choice: on vectorised line art their contacts are
    junctions that move from key to key, too weak a sign to turn a stroke half round."""
    closed_pair = [r for r, m in enumerate(result.matches) if fa.closed[m.a] and fb.closed[m.b]]
    if not closed_pair or not len(edges):
        return result
    ia = np.array([m.a for m in result.matches])
    ib = np.array([m.b for m in result.matches])
    which, sign, shift, score, misfit = closed_alignments(fa, fb, ia[closed_pair], ib[closed_pair],
                                                          settings.turn_penalty)
    rows = np.asarray(closed_pair)[which]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    group = np.cumsum(np.r_[0, np.diff(rows) != 0])
    chosen_now = np.zeros(len(rows), bool)
    chosen_now[first_minima(score, starts, group)] = True       # the shape's choice, as `shape_costs` made it
    keep = chosen_now | (misfit <= np.minimum.reduceat(misfit, starts)[group] + settings.symmetry)
    if keep.sum() == len(closed_pair):  # one candidate each: nothing to choose
        return result
    rows, sign, shift, score = rows[keep], sign[keep], shift[keep], score[keep]
    start = shift / DESCRIPTOR * sign
    cand, own_p, other, other_p, weight = _candidate_contacts(ia, rows, edges)
    here = points_b[ib[rows[cand]], mapped_index(own_p, sign[cand], start[cand], True)]
    total_weight = np.maximum(np.bincount(cand, weight, len(rows)), 1e-12)
    current = np.array([(m.sign, m.start) for m in result.matches], dtype=np.float64)
    for _ in range(settings.rounds):
        there = points_b[ib[other], mapped_index(other_p, current[other, 0], current[other, 1],
                                                 fb.closed[ib[other]])]
        apart = np.abs(here - there)
        held = np.bincount(cand, weight * (apart < settings.twins.lasting * scale), len(rows))
        near = np.bincount(cand, weight * np.minimum(apart / scale, settings.contact_cap), len(rows)) / total_weight
        # Per pair: the candidate that keeps the most joints; of those, the best by shape and how near its
        # contacts land.
        order = np.lexsort((settings.w_shape * score + settings.w_contact * near, -np.round(held, 9), rows))
        pick = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
        settled = current.copy()
        settled[rows[pick], 0], settled[rows[pick], 1] = sign[pick], start[pick]
        if np.array_equal(settled, current):
            break
        current = settled
    matches = [m if (m.sign, m.start) == (int(c[0]), c[1]) else
               Match(m.a, m.b, m.cost, m.confidence, int(c[0]), c[1]) for m, c in zip(result.matches, current.tolist())]
    return Correspondence(matches, result.unmatched_a, result.unmatched_b)


def _candidate_contacts(ia: np.ndarray, rows: np.ndarray, edges: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The contacts (`edges`, first key) of each candidate's stroke (candidate k pairs ia[rows[k]]) with
    other matched strokes, one row per (candidate, contact): the candidate, the point on its stroke, the
    other stroke's match (index into ia), the point on that stroke and the contact's weight."""
    row_of = np.full(int(max(ia.max(), edges[:, :2].max(initial=0))) + 1, -1)
    row_of[ia] = np.arange(len(ia))
    edges = edges[(row_of[edges[:, 0].astype(int)] >= 0) & (row_of[edges[:, 1].astype(int)] >= 0)]
    edges = edges[np.argsort(edges[:, 0], kind="stable")]
    first = np.searchsorted(edges[:, 0], ia[rows], "left")
    count = np.searchsorted(edges[:, 0], ia[rows], "right") - first
    cand = np.repeat(np.arange(len(rows)), count)
    edge = np.repeat(first - np.cumsum(np.r_[0, count[:-1]]), count) + np.arange(count.sum())
    return (cand, edges[edge, 2].astype(int), row_of[edges[edge, 1].astype(int)], edges[edge, 3].astype(int),
            edges[edge, 4])


def _match_similarity(fa: Features, fb: Features, matches: list[Match]) -> np.ndarray:
    """The turn-and-scale taking each matched first-key descriptor onto its partner's, read in
    correspondence."""
    orient = np.array([(m.sign, m.start) for m in matches], dtype=np.float64).reshape(-1, 2)
    return pair_turns(fa, fb, np.array([m.a for m in matches]), np.array([m.b for m in matches]), orient)


def _refine_starts(first: Drawing, second: Drawing, axes: tuple[int, int], result: Correspondence,
                   settings: MatchSettings) -> None:
    """Closed pairs: find the start point to a fraction of a sample at `refine` points (the descriptor
    found it to 1/DESCRIPTOR of the perimeter)."""
    closed = [i for i, m in enumerate(result.matches)
              if first.strokes[m.a].closed and second.strokes[m.b].closed and first.strokes[m.a].n > 2]
    if not closed:
        return
    ax, refine = list(axes), settings.refine
    matches = [result.matches[i] for i in closed]
    a_pts = resample_many([first.strokes[m.a].points[:, ax] for m in matches], 2, [True] * len(matches),
                          [refine] * len(matches))
    b_pts = resample_many([second.strokes[m.b].points[:, ax] for m in matches], 2, [True] * len(matches),
                          [refine] * len(matches), [(m.sign, m.start) for m in matches])
    x = complex_points(np.stack(a_pts))
    y = complex_points(np.stack(b_pts))
    x -= x.mean(axis=1, keepdims=True)
    y -= y.mean(axis=1, keepdims=True)
    score = alignment_scores(x, y, closed=True, turn_penalty=settings.turn_penalty)
    # Only within a descriptor sample of the start found: the alignment itself was chosen there, by shape
    # and contacts (a near-symmetric stroke fits as well half a turn away).
    window = np.abs((np.arange(refine) + refine // 2) % refine - refine // 2) <= refine // DESCRIPTOR
    best = np.argmin(np.where(window, score, np.inf), axis=1)
    # The parabola through the best shift and its neighbours places the start between samples.
    rows = np.arange(len(matches))
    left, mid, right = score[rows, (best - 1) % refine], score[rows, best], score[rows, (best + 1) % refine]
    curve = left - 2 * mid + right
    offset = np.where(curve > 1e-12, 0.5 * (left - right) / np.where(curve > 1e-12, curve, 1.0), 0.0)
    shift = ((best + np.clip(offset, -0.5, 0.5) + refine / 2) % refine - refine / 2) / refine
    sign = np.array([m.sign for m in matches])
    start = (np.array([m.start for m in matches]) + sign * shift) % 1.0
    for index, m, refined in zip(closed, matches, start.tolist()):
        result.matches[index] = Match(m.a, m.b, m.cost, m.confidence, m.sign, refined)
