"""Twin strokes: the last step of matching, and the cost it minimises.

Twin parts (left and right forearm, shin, foot) look alike, so shape and position alone may pair each with
the other's partner. What tells them apart is where they join the rest: a joint stays a joint. The cost of
a pairing is each pair's own cost (shape, length) plus, for every two strokes that touch in either key, how
far apart their points of contact land in the other key and how far the point the two turn about lies from
that contact. Exchanging the partners of twins is tried wherever it might lower that cost: every
combination within a small group of touching twins, chains of exchanges along a limb in larger groups.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .descriptors import DESCRIPTOR, Features, mapped_index
from .settings import MatchSettings, TwinSettings

Touching = dict[int, list[tuple[int, int, int, float]]]   # stroke → (other stroke, point on it, on other, weight)


class PairingCost:
    """The cost of a pairing between two keys, kept up to date while partners are exchanged.

    pairs (P, 2): every candidate pair (first-key stroke, second-key stroke), sorted by a·nb + b; own (P,):
    their shape-and-length costs; orient (P, 2): (sign, start) point maps; turns (P,): turn-and-scale of
    each pair; edges_a / edges_b: contacts in each key as rows (i, j, point on i, point on j, weight);
    settings: the matching's, of which the twins' (`TwinSettings`: what a contact costs and how exchanges are
    searched; `untwist` reads them here) and the least turn that places a pivot."""

    def __init__(self, pairs: np.ndarray, own: np.ndarray, orient: np.ndarray, turns: np.ndarray,
                 edges_a: np.ndarray, edges_b: np.ndarray, fa: Features, fb: Features, scale: float,
                 chosen: Iterable[tuple[int, int]], settings: MatchSettings) -> None:
        self.settings: TwinSettings = settings.twins
        self.min_turn = settings.min_turn
        self.pairs, self.own, self.orient, self.turns, self.fb, self.scale = pairs, own, orient, turns, fb, scale
        # Read per stroke thousands of times while exchanges are tried: as lists (a numpy scalar costs more).
        self._own_of: list[float] = own.tolist()
        self._b_of: list[int] = pairs[:, 1].astype(np.int64).tolist()
        self.nb = len(fb.length)
        self.points_a = fa.shape + (fa.centroid[:, 0] + 1j * fa.centroid[:, 1])[:, None]
        self.points_b = fb.shape + (fb.centroid[:, 0] + 1j * fb.centroid[:, 1])[:, None]
        self.key_of = {k: n for n, k in enumerate((pairs[:, 0].astype(np.int64) * self.nb + pairs[:, 1]).tolist())}
        self.edges_a, self.edges_b = edges_a, edges_b
        self.touching_a, self.touching_b = edges_by_stroke(edges_a), edges_by_stroke(edges_b)
        self.slots = {a: self.key_of[a * self.nb + b] for a, b in chosen}   # first-key stroke → its pair
        self.owner = {b: a for a, b in chosen}                              # second-key stroke → its partner
        self._landed_b: dict[int, list[complex]] = {}  # pair → where each first-stroke descriptor point lands
        self._landed_a: dict[int, list[complex]] = {}  # pair → where each second-stroke point came from
        self._terms: dict[tuple[bool, int, int, int, int], float] = {}  # exchanges revisit the same contacts

    def lasting(self, first_key: bool, tolerance: float | None = None) -> np.ndarray:
        """The contact edges of the first key (else the second) whose two points land within `tolerance`
        (of the drawing's scale; by default the settings' `lasting`) of each other in the other key."""
        tolerance = self.settings.lasting if tolerance is None else tolerance
        edges = self.edges_a if first_key else self.edges_b
        keep = []
        for n, (i, j, p, q, _) in enumerate(edges.tolist()):
            slots = self._edge_slots(first_key, int(i), int(j))
            if slots is not None and self._apart(first_key, int(p), int(q), *slots) < tolerance * self.scale:
                keep.append(n)
        return edges[keep]

    def contacts(self, edges_a: np.ndarray, edges_b: np.ndarray) -> float:
        """The contact part of `total`, over these contacts of each key only (`lasting` ones, say)."""
        total = 0.0
        for forward, edges in ((True, edges_a), (False, edges_b)):
            for i, j, p, q, w in edges.tolist():
                slots = self._edge_slots(forward, int(i), int(j))
                if slots is not None:  # as in `of`: half from each stroke's side
                    one, other = slots
                    total += 0.5 * (self._contact(forward, int(p), int(q), w, one, other) +
                                    self._contact(forward, int(q), int(p), w, other, one))
        return total

    def _edge_slots(self, first_key: bool, i: int, j: int) -> tuple[int, int] | None:
        """The pairs of a contact's two strokes (of the first key, else the second), if both are paired."""
        if first_key:
            return (self.slots[i], self.slots[j]) if i in self.slots and j in self.slots else None
        if i in self.owner and j in self.owner:
            return self.slots[self.owner[i]], self.slots[self.owner[j]]
        return None

    def partner(self, a: int) -> int:
        return self._b_of[self.slots[a]]

    def _forward(self, p: int, slot: int) -> complex:
        if slot not in self._landed_b:
            sign, start = self.orient[slot]
            b = self._b_of[slot]
            index = mapped_index(np.arange(DESCRIPTOR), sign, start, self.fb.closed[b])
            self._landed_b[slot] = self.points_b[b, index].tolist()
        return self._landed_b[slot][p]

    def _backward(self, q: int, slot: int) -> complex:
        if slot not in self._landed_a:
            sign, start = self.orient[slot]
            k = np.arange(DESCRIPTOR)
            back = (np.rint(sign * (k - start * DESCRIPTOR)) % DESCRIPTOR if self.fb.closed[self._b_of[slot]]
                    else (k if sign > 0 else DESCRIPTOR - 1 - k))
            self._landed_a[slot] = self.points_a[int(self.pairs[slot, 0]), back.astype(np.int64)].tolist()
        return self._landed_a[slot][q]

    def _apart(self, forward: bool, p: int, q: int, one: int, other: int) -> float:
        """How far apart points p and q of the pairs in slots one and other (in the first key if `forward`,
        else in the second) land in the other key."""
        if forward:
            return abs(self._forward(p, one) - self._forward(q, other))
        return abs(self._backward(p, one) - self._backward(q, other))

    def _contact(self, forward: bool, p: int, q: int, weight: float, one: int, other: int) -> float:
        """A contact (points p and q of the pairs in slots one and other, in the first key if `forward`,
        else in the second) landing some distance apart in the other key: the distance itself and, divided
        by how much the two pairs turn relative to each other, the distance from the contact to the point
        they turn about."""
        key = (forward, p, q, one, other)
        if key not in self._terms:
            distance = self._apart(forward, p, q, one, other)
            turn_other = self.turns[other]
            relative = abs(self.turns[one] / turn_other - 1.0) if abs(turn_other) > 1e-9 else 1.0
            pivot = distance / max(relative, self.min_turn) / self.scale
            s = self.settings
            self._terms[key] = s.w_joint * weight * (min(distance / self.scale, s.joint_cap) +
                                                     s.w_pivot * min(pivot, s.pivot_cap))
        return self._terms[key]

    def of(self, strokes: set[int]) -> float:
        """The part of the cost that involves these first-key strokes."""
        total = 0.0
        slots, terms, own_of, b_of = self.slots, self._terms, self._own_of, self._b_of
        for a in strokes:
            slot = slots[a]
            total += own_of[slot]
            for j, p, q, w in self.touching_a.get(a, []):   # a contact within the set counts half on each side
                if j in slots:
                    value = terms.get((True, p, q, slot, slots[j]))
                    if value is None:
                        value = self._contact(True, p, q, w, slot, slots[j])
                    total += 0.5 * value if j in strokes else value
            for y, p, q, w in self.touching_b.get(b_of[slot], []):
                if y in self.owner:
                    j = self.owner[y]
                    value = terms.get((False, p, q, slot, slots[j]))
                    if value is None:
                        value = self._contact(False, p, q, w, slot, slots[j])
                    total += 0.5 * value if j in strokes else value
        return total

    def total(self) -> float:
        return self.of(set(self.slots))

    def swap(self, a: int, c: int) -> bool:
        """Exchange the partners of a and c, if both new pairs are candidates."""
        new_a = self.key_of.get(a * self.nb + self.partner(c))
        new_c = self.key_of.get(c * self.nb + self.partner(a))
        if new_a is None or new_c is None:
            return False
        self.slots[a], self.slots[c] = new_a, new_c
        self.owner[self.partner(a)], self.owner[self.partner(c)] = a, c
        return True

    def restore(self, start: dict[int, int]) -> None:
        self.slots.update(start)
        for a, slot in start.items():
            self.owner[self._b_of[slot]] = a


def untwist(cost: PairingCost) -> dict[int, float]:
    """Exchange the partners of twins wherever that lowers the cost. Returns, per first-key stroke of a twin
    group, how much more the cheapest other choice for it would cost: near 0, its partner is a toss-up."""
    margins: dict[int, float] = {}
    for members in _twin_groups(cost):
        # Bounded: 2^n combinations; larger groups by chains of exchanges.
        if len(members) > cost.settings.max_joint_swaps:
            _descend(cost, members, margins)
            continue
        strokes = {a for pair in members for a in pair}
        start = {a: cost.slots[a] for a in strokes}
        best, best_cost = 0, cost.of(strokes) - 1e-6
        tried = [(start, best_cost + 1e-6)]
        for mask in range(1, 1 << len(members)):
            chosen = [pair for bit, pair in enumerate(members) if mask >> bit & 1]
            used = [a for pair in chosen for a in pair]
            if len(used) != len(set(used)):
                continue
            value = cost.of(strokes) if all([cost.swap(a, c) for a, c in chosen]) else np.inf
            tried.append(({a: cost.slots[a] for a in strokes}, value))
            cost.restore(start)
            if value < best_cost:
                best, best_cost = mask, value
        for bit, (a, c) in enumerate(members):
            if best >> bit & 1:
                cost.swap(a, c)
        final = {a: cost.slots[a] for a in strokes}
        least = min(value for _, value in tried)
        for slots, value in tried:
            for a in strokes:
                if slots[a] != final[a]:
                    margins[a] = min(margins.get(a, np.inf), value - least)
    return margins


def _twin_groups(cost: PairingCost) -> list[list[tuple[int, int]]]:
    """Exchanges a→x, c→y ⇒ a→y, c→x whose new pairs are candidates and nearly as good on their own,
    grouped: exchanges sharing a stroke, or twin chains (a touches a', c touches c')."""
    pairs, own, nb, slots = cost.pairs, cost.own, cost.nb, cost.slots
    keys = pairs[:, 0].astype(np.int64) * nb + pairs[:, 1]           # sorted (pairs arrive by key)
    partner_b = np.full(int(pairs[:, 0].max(initial=0)) + 1, -1)
    owner_b = np.full(nb, -1)
    for a in slots:
        b = cost.partner(a)
        partner_b[a], owner_b[b] = b, a
    a_all, y_all = pairs[:, 0], pairs[:, 1]
    c_all, x_all = owner_b[y_all], partner_b[a_all]
    maybe = (c_all >= 0) & (x_all >= 0) & (c_all != a_all)
    wanted = np.where(maybe, c_all.astype(np.int64) * nb + x_all, -1)
    found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    maybe &= keys[found] == wanted
    slot_of = np.zeros(len(partner_b), np.int64)     # first-key stroke → its pair (matched strokes only)
    slot_of[list(slots)] = list(slots.values())
    rows = np.flatnonzero(maybe)
    a_y, c_y = a_all[rows].astype(np.int64), c_all[rows].astype(np.int64)
    slack = cost.settings.swap_slack
    close = (own[rows] - own[slot_of[a_y]] < slack) & (own[found[rows]] - own[slot_of[c_y]] < slack)
    exchanges = np.unique(np.stack([np.minimum(a_y, c_y), np.maximum(a_y, c_y)], axis=1)[close], axis=0)
    swaps_list = [(int(a), int(c)) for a, c in exchanges.tolist()]
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
    near = _near(cost.touching_a, swaps_list)
    for k, (a, c) in enumerate(swaps_list):
        for j in {a, c} | near[a] | near[c]:
            for other in in_swaps.get(j, []):
                x, y = swaps_list[other]
                if {x, y} & {a, c} or (x in near[a] and y in near[c]) or (y in near[a] and x in near[c]):
                    group[find(other)] = find(k)
    groups: dict[int, list[tuple[int, int]]] = {}
    for k, pair in enumerate(swaps_list):
        groups.setdefault(find(k), []).append(pair)
    return list(groups.values())


def _near(touching: Touching, members: list[tuple[int, int]]) -> dict[int, set[int]]:
    return {a: {j for j, *_ in touching.get(a, [])} for pair in members for a in pair}


def _descend(cost: PairingCost, members: list[tuple[int, int]], margins: dict[int, float]) -> None:
    """Large groups: keep any set of exchanges along a twin chain (a shin with its foot and their details)
    that lowers the cost, until none does (bounded rounds); `margins` as `untwist` gives them, from the
    last round (every move tried from where the descent ended)."""
    moves = _chain_moves(members, cost.touching_a, cost.settings)
    # A move's cost before it is tried changes only when some move is kept: until then the next round reads
    # the one it had (the same number, not summed again).
    kept = 0
    before_of: dict[int, tuple[int, float]] = {}   # move → (moves kept when it was summed, its cost)
    for _ in range(cost.settings.descent_rounds):
        improved = False
        rises: dict[int, float] = {}
        for n, move in enumerate(moves):
            strokes = {a for pair in move for a in pair}
            start = {a: cost.slots[a] for a in strokes}
            known = before_of.get(n)
            before = known[1] if known is not None and known[0] == kept else cost.of(strokes)
            after = cost.of(strokes) if all([cost.swap(a, c) for a, c in move]) else np.inf
            if after < before - 1e-6:
                improved = True
                kept += 1
            else:
                cost.restore(start)
                before_of[n] = (kept, before)
                for a in strokes:
                    rises[a] = min(rises.get(a, np.inf), after - before)
        if not improved:
            for a, rise in rises.items():
                margins[a] = min(margins.get(a, np.inf), rise)
            break


def _chain_moves(members: list[tuple[int, int]], touching: Touching, settings: TwinSettings
                 ) -> list[list[tuple[int, int]]]:
    """Sets of up to `chain_move` exchanges that form a twin chain (each one's strokes touch the next one's
    correspondingly) and share no stroke; at most `max_moves` of them, smallest first."""
    links = chain_links(members, _near(touching, members))
    level = {frozenset([k]) for k in range(len(members))}
    found = sorted(level, key=sorted)
    for _ in range(settings.chain_move - 1):
        grown = set()
        for move in level:
            strokes = {a for k in move for a in members[k]}
            for k in {n for m in move for n in links[m]} - move:
                if not set(members[k]) & strokes:
                    grown.add(move | {k})
        level = grown - set(found)
        found.extend(sorted(level, key=sorted))
        if len(found) >= settings.max_moves or not level:
            break
    return [[members[k] for k in sorted(move)] for move in found[:settings.max_moves]]


def chain_links(members: list[tuple[int, int]], near: dict[int, set[int]]) -> list[list[int]]:
    """For each exchange (a, c), the exchanges (x, y) sharing no stroke with it whose strokes touch a and c
    correspondingly (x touches a and y touches c, or the other way round): the next links of a chain."""
    def linked(one: tuple[int, int], other: tuple[int, int]) -> bool:
        (a, c), (x, y) = one, other
        return not {a, c} & {x, y} and ((x in near[a] and y in near[c]) or (y in near[a] and x in near[c]))
    # A linked exchange holds a stroke touching a: look only among those (a group of thousands of
    # look-alike strokes, hatching say, would otherwise compare every exchange with every other).
    holding: dict[int, list[int]] = {}
    for k, pair in enumerate(members):
        for stroke in set(pair):
            holding.setdefault(stroke, []).append(k)
    return [[k for k in sorted({k for x in near[one[0]] for k in holding.get(x, [])}) if linked(one, members[k])]
            for one in members]


def edges_by_stroke(edges: np.ndarray) -> Touching:
    """Contact edges (i, j, point on i, point on j, weight) listed under both of their strokes."""
    by_stroke: Touching = {}
    for i, j, p, q, w in edges.tolist():
        by_stroke.setdefault(int(i), []).append((int(j), int(p), int(q), w))
        by_stroke.setdefault(int(j), []).append((int(i), int(q), int(p), w))
    return by_stroke
