"""Three keys or more: a third opinion on every pair of gaps.

Matching key k with k+1 and k+1 with k+2 chains each stroke through three keys; matching k with k+2
directly says where the chain should end. Where they disagree (twin forearms that cross in the middle key
only, say), one of the three pairings is wrong: the one that costs least to bring in line with the other
two (`pairing_cost`: shape, length and joints) is corrected. When that is the direct match, nothing
changes: it only ever served as the tiebreaker.

Of the two gaps, the middle key decides: a twin crossing there looks alike either way. Its contacts with
passing parts (a forearm lying over the belly) are no guide, but the joints that hold in the first and the
last key (an elbow) must hold in the middle too, so the fix that keeps more of them counts as cheaper.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .match import Correspondence, match_drawings, pairing, repaired
from .model import Drawing
from .settings import DEFAULT_MATCH, DEFAULT_TRIPLES, MatchSettings, TripleSettings


def reconcile(keys: Sequence[Drawing], correspondences: list[Correspondence], axes: tuple[int, int] = (0, 1),
              *, order_hint: bool = False, settings: TripleSettings = DEFAULT_TRIPLES,
              matching: MatchSettings = DEFAULT_MATCH) -> list[Correspondence]:
    """The correspondences of consecutive keys, corrected where three keys in a row disagree (`matching`: as
    the correspondences were matched)."""
    out = list(correspondences)
    for k in range(len(keys) - 2):
        first, middle, last = keys[k], keys[k + 1], keys[k + 2]
        ab = {m.a: m.b for m in out[k].matches}
        bc = {m.a: m.b for m in out[k + 1].matches}
        ac = {m.a: m.b for m in match_drawings(first, last, axes, order_hint=order_hint, settings=matching).matches}
        odd = [a for a in ab if ab[a] in bc and a in ac and bc[ab[a]] != ac[a]]
        from_c = {c: b for b, c in bc.items()}
        if not odd or any(ac[a] not in from_c for a in odd):
            continue
        # Each fix re-pairs the odd strokes among themselves only, so the others keep their partners.
        new_ab = {**ab, **{a: from_c[ac[a]] for a in odd}}
        new_bc = {**bc, **{ab[a]: ac[a] for a in odd}}
        new_ac = {**ac, **{a: bc[ab[a]] for a in odd}}
        if not (_one_to_one(new_ab) and _one_to_one(new_bc) and _one_to_one(new_ac)):
            continue
        # One cost per pairing, each read twice: in full, and over the joints lasting from first to last.
        pairs = {"ab": (first, middle, ab), "new_ab": (first, middle, new_ab), "bc": (middle, last, bc),
                 "new_bc": (middle, last, new_bc), "ac": (first, last, ac), "new_ac": (first, last, new_ac)}
        cost = {name: pairing(one, other, chosen, axes, matching) for name, (one, other, chosen) in pairs.items()}
        change = {
            "first gap": cost["new_ab"].total() - cost["ab"].total(),
            "second gap": cost["new_bc"].total() - cost["bc"].total(),
            "direct": cost["new_ac"].total() - cost["ac"].total(),
        }
        first_joints, last_joints = cost["ac"].lasting(True), cost["ac"].lasting(False)
        none = np.zeros((0, 5))
        broken = {
            "first gap": cost["new_ab"].contacts(first_joints, none) + cost["bc"].contacts(none, last_joints),
            "second gap": cost["ab"].contacts(first_joints, none) + cost["new_bc"].contacts(none, last_joints),
        }
        kept_most = min(broken.values())
        for gap, value in broken.items():
            change[gap] += settings.w_lasting * (value - kept_most)
        wrong, runner_up = sorted(change, key=change.__getitem__)[:2]
        if change[wrong] > settings.clear * change[runner_up]:  # no clear culprit: leave all as matched
            continue
        if wrong == "first gap":
            out[k] = repaired(first, middle, out[k], {a: new_ab[a] for a in odd}, axes, matching)
        elif wrong == "second gap":
            out[k + 1] = repaired(middle, last, out[k + 1], {ab[a]: new_bc[ab[a]] for a in odd}, axes, matching)
    return out


def _one_to_one(pairs: dict[int, int]) -> bool:
    return len(set(pairs.values())) == len(pairs)
