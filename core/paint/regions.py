"""Region-to-region matching: which reference area each target area is, with the flow as a guide.

Pixel votes alone let a wrong motion paint a region in patches of whatever it lands on (a trouser leg cut
by the frame edge, half landing on the paper next to it). A painter's auto-paint matches closed regions:
a target area is the reference area that takes most of its pixels *and* gives most of its own landings to
it (mutual coverage, so the vast paper next to a leg is no match for the leg, while the trousers are).
The area may then only hold the colours of that reference area (an unlined shadow inside it included) and
of reference areas it swallows whole (two areas whose dividing line has a gap in this frame); a colour
found only where stray pixels landed is not allowed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RegionMatch:
    """Per target area (index 0 unused): the matched reference area and the colours allowed in it."""

    best: np.ndarray       # (n_t,) reference area label (0: none landed)
    coverage: np.ndarray   # (n_t,) share of the target area's landings in that reference area
    claim: np.ndarray      # (n_t,) share of that reference area's landings coming from the target area
    mutual: np.ndarray     # (n_t,) bool: the reference area's best claimant is this target area
    sure: np.ndarray       # (n_t,) confidence of a mutual match: 1 - (best rival of another colour / best score)
    allowed: np.ndarray    # (n_t, n_col) bool: colours the area may hold


def reference_colours(ref_labels: np.ndarray, ref_index: np.ndarray, interior: np.ndarray, n_k: int,
                      n_col: int, minor_share: float, patch: float) -> tuple[np.ndarray, np.ndarray]:
    """(n_k, n_col) bool: the colours each reference area holds (a real share of it, or a real patch),
    and (n_k,) each area's main colour."""
    lab = ref_labels[interior].astype(np.int64)
    counts = np.bincount(lab * n_col + ref_index[interior], minlength=n_k * n_col).reshape(n_k, n_col)
    size = counts.sum(axis=1, keepdims=True)
    holds = (counts >= minor_share * np.maximum(size, 1)) | (counts >= max(patch, 1.0))
    main = counts.argmax(axis=1)
    holds[np.arange(n_k), main] |= size[:, 0] > 0  # every area holds at least its main colour
    return holds, main


def match_regions(t_lab: np.ndarray, landed: np.ndarray, n_t: int, n_k: int, ref_holds: np.ndarray,
                  ref_main: np.ndarray, swallow: float, min_coverage: float) -> RegionMatch:
    """Match target areas to reference areas from where their pixels land (``t_lab`` → ``landed``).

    Score of a pair: coverage × sqrt(claim) — coverage (share of the target's landings in it) says where the
    area went; claim (share of the reference area's landings that come from it) tells a real partner from a
    big neighbour that a few pixels strayed onto. Reference areas the target claims ``swallow`` of, with a
    real part (``min_coverage``) of its landings, add their colours (merges across a line gap)."""
    pair = t_lab * n_k + landed
    pairs, counts = np.unique(pair, return_counts=True)
    pt, pr = pairs // n_k, pairs % n_k
    keep = pr > 0
    pt, pr, counts = pt[keep], pr[keep], counts[keep].astype(np.float64)
    t_total = np.bincount(pt, weights=counts, minlength=n_t)
    r_total = np.bincount(pr, weights=counts, minlength=n_k)
    coverage = counts / np.maximum(t_total[pt], 1.0)
    claim = counts / np.maximum(r_total[pr], 1.0)
    score = coverage * np.sqrt(claim)
    best = np.zeros(n_t, np.int64)
    best_cov = np.zeros(n_t)
    best_claim = np.zeros(n_t)
    # Per target, the highest-scoring pair: sort by (target, -score) and take each target's first.
    order = np.lexsort((-score, pt))
    first = order[np.r_[True, pt[order][1:] != pt[order][:-1]]] if len(order) else order
    best[pt[first]] = pr[first]
    best_cov[pt[first]] = coverage[first]
    best_claim[pt[first]] = claim[first]
    # Mutual: the reference area's own best claimant (by the same score) is this target.
    order_r = np.lexsort((-score, pr))
    first_r = order_r[np.r_[True, pr[order_r][1:] != pr[order_r][:-1]]] if len(order_r) else order_r
    claimant = np.zeros(n_k, np.int64)
    claimant[pr[first_r]] = pt[first_r]
    mutual = (best > 0) & (claimant[best] == np.arange(n_t))
    # A mutual match is sure when no reference area of another colour comes close in score.
    best_score = np.zeros(n_t)
    best_score[pt[first]] = score[first]
    rival = np.zeros(n_t)
    other = ref_main[pr] != ref_main[best[pt]]
    np.maximum.at(rival, pt[other], score[other])
    # ... and when most of the area landed in it (a piece that grew fourfold is another region).
    sure = np.where(mutual & (best_cov >= 0.5), 1.0 - rival / np.maximum(best_score, 1e-9), 0.0)
    allowed = ref_holds[best].copy()
    allowed[best == 0] = False
    merged = (claim >= swallow) & (coverage >= min_coverage)
    if merged.any():
        np.logical_or.at(allowed, pt[merged], ref_holds[pr[merged]])
    return RegionMatch(best=best, coverage=best_cov, claim=best_claim, mutual=mutual, sure=sure, allowed=allowed)


def key_mixes(labels: np.ndarray, line_distance: np.ndarray, pixel_codes: np.ndarray, count: int,
              minor_share: float, patch: float, least: int, margin: float) -> set[tuple[int, int]]:
    """Pairs of colour codes the painted key puts in one area without a line between them (an unlined
    shadow on a body): read away from the lines (``margin`` px, rims mix anything), each colour holding
    ``minor_share`` of the area's pixels there or a ``patch`` of real size, and at least ``least`` pixels.

    Along a chain no other pair may share an area: a collar's yellow creeping into a sleeve is drift."""
    far = line_distance >= margin
    lab = labels[far].astype(np.int64)
    colours, index = np.unique(pixel_codes[far], return_inverse=True)
    n_col = len(colours)
    counts = np.bincount(lab * n_col + index.ravel(), minlength=(count + 1) * n_col).reshape(count + 1, n_col)
    size = counts.sum(axis=1, keepdims=True)
    holds = ((counts >= minor_share * np.maximum(size, 1)) | (counts >= patch)) & (counts >= least)
    pairs: set[tuple[int, int]] = set()
    for row in holds[holds.sum(axis=1) > 1]:
        found = [int(c) for c in colours[row]]
        pairs.update((a, b) for a in found for b in found if a != b)
    return pairs


def mix_table(table: np.ndarray, mixes: set[tuple[int, int]]) -> np.ndarray:
    """(n, n) bool over a colour table: may these two colours share an area (themselves always)."""
    n = len(table)
    out = np.eye(n, dtype=bool)
    if mixes:
        position = {int(c): i for i, c in enumerate(table)}
        for a, b in mixes:
            if a in position and b in position:
                out[position[a], position[b]] = True
    return out
