"""Where the two keys' copies of a stretch disagree at time t, give it to one key consistently.

Each key is carried to time t by its own motion. Where the two copies land on
each other, fusion merges them into one line. Where they land a few pixels
apart (the two drawings of a part are not rigid copies, or the motion was found
on one side only) and carry about the same weight, as near t = 0.5, fusion
picks pixel by pixel whichever copy's motion is locally the more reliable, so
the choice flips along the stretch and it turns to dust. Here each such
stretch gets one choice: the copy whose motion is the more reliable over the
whole stretch (else the one in fewer pieces, else the nearer key) gets full
reliability there and the other none, so fusion keeps that copy along all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class HoldSettings:
    # Off by default: on the synthetic suites (exact middles) a whole copy at one key's place scores worse
    # than mixed copies (flow vs warp-average, 2 keys 0.629 → 0.636, 3 keys 0.692 → 0.712, smooth arcs
    # 0.629 → 0.646); on real triplets (JoSTC, 9) 0.406 → 0.392, and tps-1/2/3 at t = 0.5 lose dust
    # (ink pieces 20 → 9, 65 → 51, 178 → 160).
    use: bool = False
    stroke: float = 0.15        # working-resolution ink above this is a stroke
    partner_px: float = 1.5     # working px: copies this close agree (fusion merges them)
    spread_px: int = 3          # the disagreement grows by this much, to take in the whole stretch
    ink_ratio: float = 2.0      # a stretch's copies within this ratio of ink are two drawings of one thing
    trust_margin: float = 0.05  # mean reliabilities closer than this over a stretch are a tie


def one_side(valid_a: np.ndarray, valid_b: np.ndarray, ink_a_t: np.ndarray, ink_b_t: np.ndarray, t: float,
             settings: HoldSettings = HoldSettings()) -> tuple[np.ndarray, np.ndarray]:
    """Reliabilities at time t (working resolution, ``valid_*``) with every stretch where the warped inks
    ``ink_a_t``/``ink_b_t`` disagree given to one key: 1 there, 0 for the other."""
    if not settings.use:
        return valid_a, valid_b
    la, lb = ink_a_t > settings.stroke, ink_b_t > settings.stroke
    if not la.any() or not lb.any():
        return valid_a, valid_b
    near_a = _distance(la) <= settings.partner_px
    near_b = _distance(lb) <= settings.partner_px
    lone = (la & ~near_b) | (lb & ~near_a)
    k = 2 * settings.spread_px + 1
    region = cv2.dilate(lone.astype(np.uint8), np.ones((k, k), np.uint8))
    n, stretch = cv2.connectedComponents(region, connectivity=8)
    if n <= 1:
        return valid_a, valid_b
    pieces_a, ink_a = _pieces(la, stretch, n)
    pieces_b, ink_b = _pieces(lb, stretch, n)
    trust_a = _mean_over(valid_a, la, stretch, n)
    trust_b = _mean_over(valid_b, lb, stretch, n)
    take_a = np.where(np.abs(trust_a - trust_b) > settings.trust_margin, trust_a > trust_b,
                      np.where(pieces_a != pieces_b, pieces_a < pieces_b, t <= 0.5))
    # Only stretches drawn by both keys (comparable ink): a stroke one key lacks is fusion's to fade.
    both = (ink_a <= settings.ink_ratio * ink_b) & (ink_b <= settings.ink_ratio * ink_a)
    both[0] = False
    to_a = (both & take_a)[stretch]
    to_b = (both & ~take_a)[stretch]
    va = np.where(to_a, 1.0, np.where(to_b, 0.0, valid_a)).astype(np.float32)
    vb = np.where(to_b, 1.0, np.where(to_a, 0.0, valid_b)).astype(np.float32)
    return va, vb


def _mean_over(values: np.ndarray, mask: np.ndarray, stretch: np.ndarray, n: int) -> np.ndarray:
    """Per stretch, the mean of ``values`` over the pixels of ``mask`` in it."""
    where = mask & (stretch > 0)
    total = np.bincount(stretch[where], weights=values[where], minlength=n)
    count = np.bincount(stretch[where], minlength=n)
    return total / np.maximum(count, 1)


def _pieces(mask: np.ndarray, stretch: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per stretch, how many connected pieces of ``mask`` lie in it, and its ink pixels."""
    inside = (mask & (stretch > 0)).astype(np.uint8)
    m, lab = cv2.connectedComponents(inside, connectivity=8)
    owner = np.zeros(m, np.int64)
    owner[lab.ravel()] = stretch.ravel()   # a piece lies inside one stretch (stretches are dilated)
    pieces = np.bincount(owner[1:], minlength=n)
    ink = np.bincount(stretch.ravel(), weights=inside.ravel(), minlength=n)
    return pieces, ink


def _distance(mask: np.ndarray) -> np.ndarray:
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
