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


def area_colour_counts(ref_labels: np.ndarray, ref_index: np.ndarray, interior: np.ndarray, n_k: int,
                       n_col: int) -> np.ndarray:
    """(n_k, n_col) int64: pixels of each colour (an index into the reference's table) in each reference area,
    counted where ``interior`` (off the lines)."""
    at = np.flatnonzero(interior)  # np.take of these: several times faster than masking each map
    code = np.take(ref_labels.reshape(-1), at).astype(np.int64) * n_col + np.take(ref_index.reshape(-1), at)
    return np.bincount(code, minlength=n_k * n_col).reshape(n_k, n_col)


def reference_colours(counts: np.ndarray, minor_share: float, patch: float) -> tuple[np.ndarray, np.ndarray]:
    """(n_k, n_col) bool: the colours each reference area holds (a real share of it, or a real patch), from
    `area_colour_counts`, and (n_k,) each area's main colour."""
    size = counts.sum(axis=1, keepdims=True)
    holds = (counts >= minor_share * np.maximum(size, 1)) | (counts >= max(patch, 1.0))
    main = counts.argmax(axis=1)
    holds[np.arange(len(counts)), main] |= size[:, 0] > 0  # every area holds at least its main colour
    return holds, main


# Pairs are counted in a dense table up to this many (target × reference) cells, else by sorting.
DENSE_PAIRS = 20_000_000


@dataclass
class Landings:
    """How many pixels of each target area landed in each reference area: the (target, reference) pairs
    that occur, in ascending order, with their counts (reference 0: on a line or outside)."""

    target: np.ndarray     # (P,) int64
    reference: np.ndarray  # (P,) int64
    count: np.ndarray      # (P,) int64
    n_t: int
    n_k: int

    @staticmethod
    def of(t_lab: np.ndarray, landed: np.ndarray, n_t: int, n_k: int) -> Landings:
        """From each voting pixel's target area and the reference area it landed in."""
        code = t_lab * n_k + landed
        if n_t * n_k <= DENSE_PAIRS:  # a table is several times faster than sorting 2 M codes
            table = np.bincount(code, minlength=n_t * n_k)
            pairs = np.flatnonzero(table)
            counts = table[pairs]
        else:
            pairs, counts = np.unique(code, return_counts=True)
        return Landings(pairs // n_k, pairs % n_k, counts.astype(np.int64), n_t, n_k)

    def most_landed(self) -> np.ndarray:
        """(n_t,) the reference area that received most of each target area's pixels (0: none; ties: the
        lowest label)."""
        order = np.lexsort((-self.count, self.target))  # stable: equal counts keep the labels' order
        first = order[np.r_[True, self.target[order][1:] != self.target[order][:-1]]] if len(order) else order
        best = np.zeros(self.n_t, np.int64)
        best[self.target[first]] = self.reference[first]
        return best

    def count_in(self, flagged: np.ndarray) -> np.ndarray:
        """(n_t,) pixels of each target area that landed in reference areas flagged True ((n_k,) bool)."""
        return np.bincount(self.target, weights=self.count * flagged[self.reference], minlength=self.n_t)


def match_regions(landings: Landings, ref_holds: np.ndarray, ref_main: np.ndarray, swallow: float,
                  min_coverage: float) -> RegionMatch:
    """Match target areas to reference areas from where their pixels land.

    Score of a pair: coverage × sqrt(claim) — coverage (share of the target's landings in it) says where the
    area went; claim (share of the reference area's landings that come from it) tells a real partner from a
    big neighbour that a few pixels strayed onto. Reference areas the target claims ``swallow`` of, with a
    real part (``min_coverage``) of its landings, add their colours (merges across a line gap)."""
    n_t, n_k = landings.n_t, landings.n_k
    keep = landings.reference > 0
    pt, pr, counts = landings.target[keep], landings.reference[keep], landings.count[keep].astype(np.float64)
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
