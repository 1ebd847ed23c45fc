"""Fixed-width line post-processing shared by the inbetween and douga modules.

Interpolated line art tends to come out soft, doubled or of varying weight.
The cure used throughout nakawari: thin the line evidence to a one-pixel
skeleton, then redraw every skeleton pixel as an anti-aliased stroke of one
fixed width (the width measured on the keys).

Everything here works on *ink* maps: HxW float arrays in [0, 1] where 1 is
full ink and 0 is paper, independent of colour or transparency.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from skimage import morphology

__all__ = ["measure_line_width", "redraw_fixed_width", "skeletonize", "ink_from_skeleton", "solid_areas"]

# A part of the ink this many half-widths deep is a filled area, not a stroke.
SOLID_FACTOR = 1.6
# ...and at least this deep (px): inside any stroke up to 3 px wide the depth is at most 2 (distance to paper),
# so thin real lines (about 1 px, pencil) that run close together are not taken for a filled area.
MIN_SOLID_DEPTH = 2.0
MIN_CORE_AREA = 4  # px
SOLID_EDGE_STEEPNESS = 4.0
# Ink above this counts as "on the line" for thresholding and skeletons.
INK_THRESHOLD = 0.5

def _bbox(mask: np.ndarray, pad: int) -> tuple[slice, slice] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (
        slice(max(rows[0] - pad, 0), min(rows[-1] + pad + 1, h)),
        slice(max(cols[0] - pad, 0), min(cols[-1] + pad + 1, w)),
    )


def skeletonize(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton of a boolean mask (scikit-image), computed on the mask's bounding box.

    Line art is sparse: cropping first makes this a few milliseconds at 1080p instead of ~25.
    """
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape, dtype=bool)
    box = _bbox(mask, pad=1)
    if box is not None:
        out[box] = morphology.skeletonize(mask[box])
    return out


def ink_from_skeleton(skeleton: np.ndarray, width: float) -> np.ndarray:
    """Redraw a skeleton as anti-aliased strokes of exactly ``width`` pixels.

    Ink falls off linearly over one pixel around distance width/2 from the
    centre line, so the ink integrated across a stroke equals ``width``.
    """
    skeleton = np.asarray(skeleton, dtype=bool)
    h, w = skeleton.shape
    ink = np.zeros((h, w), dtype=np.float32)
    reach = int(np.ceil(width / 2.0 + 1.0))
    box = _bbox(skeleton, pad=reach + 1)
    if box is None or width <= 0:
        return ink
    # distanceTransform measures distance to the nearest zero pixel, so the
    # skeleton must be the zeros.
    background = (~skeleton[box]).astype(np.uint8)
    dist = cv2.distanceTransform(background, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ink[box] = np.clip(np.float32(width / 2.0 + 0.5) - dist, 0.0, 1.0)
    return ink


def redraw_fixed_width(line_prob: np.ndarray, width: float) -> np.ndarray:
    """Thin a line probability / ink map and redraw it at a fixed stroke width.

    ``line_prob``: HxW in [0, 1]; pixels above 0.5 are line. Returns ink HxW
    float32 in [0, 1]. Deterministic.
    """
    line_prob = np.asarray(line_prob, dtype=np.float32)
    if line_prob.ndim != 2:
        raise ValueError(f"line_prob must be HxW, got shape {line_prob.shape}")
    return ink_from_skeleton(skeletonize(line_prob > INK_THRESHOLD), float(width))


def solid_areas(line_prob: np.ndarray, width: float, sources: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Ink of the filled areas (pupils, solid blacks): parts much thicker than a stroke of ``width``.

    Thinning would shrink a filled pupil to a point and redraw it as a dot of line width, or lose it
    where it touches a line; drawn over the redrawn lines, these keep their own shape instead. Only
    for evidence whose strokes already have about ``width`` (the keys' own width): thicker strokes
    would count as fills. ``sources``: inks the evidence was fused from; a fill must be a fill in one
    of them, so two copies of a stroke that merged in the fusion don't become a black blob.
    """
    line_prob = np.asarray(line_prob, dtype=np.float32)
    mask = line_prob > INK_THRESHOLD
    box = _bbox(mask, pad=1)
    out = np.zeros(mask.shape, dtype=np.float32)
    if box is None:
        return out
    radius = max(SOLID_FACTOR * width / 2.0, MIN_SOLID_DEPTH)
    cores = np.zeros(mask[box].shape, dtype=bool)
    for source in sources or (line_prob,):
        cores |= _fill_cores(np.asarray(source)[box] > INK_THRESHOLD, radius)
    cores &= mask[box]
    if not cores.any():
        return out
    # Grow the cores back by the depth they were found at: the filled shape, without the strokes.
    near = cv2.distanceTransform((~cores).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= radius + 1.0
    # A steep ramp around the 0.5 level: crisp edges, no grey halo from soft (fused) evidence.
    out[box] = np.clip((line_prob[box] - INK_THRESHOLD) * SOLID_EDGE_STEEPNESS + 0.5, 0.0, 1.0) * near
    return out


def _fill_cores(mask: np.ndarray, radius: float) -> np.ndarray:
    """Pixels deeper than ``radius`` inside the mask, in patches (sharp corners and shallow
    crossings of strokes leave only specks)."""
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    cores = (inside > radius).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cores, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= max(MIN_CORE_AREA, radius * radius)
    big[0] = False
    return big[labels]


def _skeleton_length(skel: np.ndarray) -> float:
    """Arc length of a one-pixel skeleton: orthogonal links count 1, diagonal √2.

    A diagonal link already bridged by two orthogonal links (an L corner) is
    not counted, so staircases are not over-measured.
    """
    s = skel.astype(np.uint8)
    right = s[:, :-1] & s[:, 1:]
    down = s[:-1, :] & s[1:, :]
    orth = int(right.sum()) + int(down.sum())
    # Diagonal a-b is redundant when either corner pixel joining them is set.
    d1 = s[:-1, :-1] & s[1:, 1:] & ~(s[:-1, 1:] | s[1:, :-1]) & 1
    d2 = s[:-1, 1:] & s[1:, :-1] & ~(s[:-1, :-1] | s[1:, 1:]) & 1
    diag = int(d1.sum()) + int(d2.sum())
    return orth + np.sqrt(2.0) * diag


def measure_line_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels of HxW ink in [0, 1].

    Primary estimate: total ink divided by skeleton length (exact for the
    anti-aliased strokes ``ink_from_skeleton`` draws, and sub-pixel for real
    scans). Filled areas inflate that ratio, so it is only trusted when it
    agrees with the robust median of the distance transform on the skeleton
    (2·median − 1, which is integer-quantised). Returns 0.0 for blank ink.
    """
    ink = np.asarray(ink, dtype=np.float32)
    mask = ink > INK_THRESHOLD
    box = _bbox(mask, pad=1)
    if box is None:
        return 0.0
    # Line art is sparse: both distance transforms read the ink's box, with a ring of paper (or the image's
    # edge) around it, which bounds every distance measured from inside: the same numbers as the whole image.
    skel = skeletonize(mask[box])
    dist = cv2.distanceTransform(mask[box].astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    on_skel = dist[skel]
    # The distance to the nearest paper pixel at the centre of a w-pixel-wide
    # run is (w + 1) / 2.
    robust = max(2.0 * float(np.median(on_skel)) - 1.0, 1.0)
    length = _skeleton_length(skel)
    if length < 4.0:
        return robust
    # Only ink near the skeleton belongs to strokes (ignore stray specks): within robust + 1.5 of it by the
    # 3×3 chamfer distance, whose straight step (0.955) is under a pixel, so the box grows by a bit more.
    reach = robust + 1.5
    wide = _bbox(mask, pad=int(np.ceil(reach / 0.955)) + 2)
    assert wide is not None
    skel_wide = np.zeros((wide[0].stop - wide[0].start, wide[1].stop - wide[1].start), dtype=bool)
    skel_wide[box[0].start - wide[0].start:box[0].stop - wide[0].start,
              box[1].start - wide[1].start:box[1].stop - wide[1].start] = skel
    near = cv2.distanceTransform((~skel_wide).astype(np.uint8), cv2.DIST_L2, 3) <= reach
    area = float(ink[wide][near].sum())
    ratio = area / length
    if 0.6 * robust <= ratio <= 1.6 * robust + 1.0:
        return ratio
    return robust
