"""Fixed-width line post-processing shared by the inbetween and douga modules.

Interpolated line art tends to come out soft, doubled or of varying weight.
The cure used throughout nakawari: thin the line evidence to a one-pixel
skeleton, then redraw every skeleton pixel as an anti-aliased stroke of one
fixed width (the width measured on the keys).

Everything here works on *ink* maps: HxW float arrays in [0, 1] where 1 is
full ink and 0 is paper, independent of colour or transparency.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["measure_line_width", "redraw_fixed_width", "skeletonize", "ink_from_skeleton"]

# Ink above this counts as "on the line" for thresholding and skeletons.
INK_THRESHOLD = 0.5

# 8-neighbour weights: bit 0 = E, then counter-clockwise (NE, N, NW, W, SW, S, SE).
# cv2.filter2D correlates, so the kernel is laid out as the neighbourhood itself.
_NEIGHBOUR_CODE_KERNEL = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]], dtype=np.float32)


def _guo_hall_luts() -> tuple[np.ndarray, np.ndarray]:
    """Deletion tables for the two sub-iterations of Guo-Hall parallel thinning.

    Indexed by the 8-bit neighbour code; True means the centre pixel may be
    removed without breaking connectivity or shortening an end point.
    """

    def bits(n: int) -> list[bool]:
        return [bool(n >> i & 1) for i in range(8)]

    g12 = np.zeros(256, dtype=bool)
    g3 = np.zeros(256, dtype=bool)
    g3p = np.zeros(256, dtype=bool)
    for n in range(256):
        b = bits(n)
        # G1: exactly one 4-connected "crossing" around the pixel.
        crossings = sum(1 for i in (0, 2, 4, 6) if not b[i] and (b[i + 1] or b[(i + 2) % 8]))
        # G2: the pixel is neither an end point nor interior.
        n1 = sum(1 for k in (1, 3, 5, 7) if b[k] or b[k - 1])
        n2 = sum(1 for k in (1, 3, 5, 7) if b[k] or b[(k + 1) % 8])
        g12[n] = crossings == 1 and min(n1, n2) in (2, 3)
        # G3 / G3': alternate which side (north-east / south-west) is peeled.
        g3[n] = not ((b[1] or b[2] or not b[7]) and b[0])
        g3p[n] = not ((b[5] or b[6] or not b[3]) and b[4])
    return (g12 & g3).astype(np.uint8), (g12 & g3p).astype(np.uint8)


_LUT_A, _LUT_B = _guo_hall_luts()


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
    """One-pixel-wide 8-connected skeleton of a boolean mask (Guo-Hall thinning).

    Vectorised with cv2 (neighbour codes by filter2D, deletions by LUT) and
    restricted to the mask's bounding box, because line art is sparse and
    skimage's skeletonize is several times slower at 1080p.
    """
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape, dtype=bool)
    box = _bbox(mask, pad=1)
    if box is None:
        return out
    skel = mask[box].astype(np.uint8)
    lut_a = _LUT_A.reshape(256, 1)
    lut_b = _LUT_B.reshape(256, 1)
    h, w = skel.shape
    # Window still worth re-examining. A pixel whose 3x3 neighbourhood did not
    # change since the last pass with the same table keeps its verdict, so
    # after each full iteration only the bounding box of the changes (grown
    # by one pixel) can change again. Thick blobs thus cost little extra.
    y0, y1, x0, x1 = 0, h, 0, w
    while True:
        # Evaluate with one pixel of context around the window; deletions are
        # applied to the window only (context pixels see a false border).
        cy0, cy1, cx0, cx1 = max(y0 - 1, 0), min(y1 + 1, h), max(x0 - 1, 0), min(x1 + 1, w)
        changed = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        for lut in (lut_a, lut_b):
            ctx = skel[cy0:cy1, cx0:cx1]
            code = cv2.filter2D(ctx, cv2.CV_8U, _NEIGHBOUR_CODE_KERNEL, borderType=cv2.BORDER_CONSTANT)
            inner = (slice(y0 - cy0, y1 - cy0), slice(x0 - cx0, x1 - cx0))
            # Only set pixels can be deleted: delete = lut[code] & skel.
            delete = cv2.LUT(code[inner], lut) & ctx[inner]
            ctx[inner] ^= delete
            changed |= delete
        ys = np.flatnonzero(changed.any(axis=1))
        if ys.size == 0:
            break
        xs = np.flatnonzero(changed.any(axis=0))
        y0, y1 = max(y0 + ys[0] - 1, 0), min(y0 + ys[-1] + 2, h)
        x0, x1 = max(x0 + xs[0] - 1, 0), min(x0 + xs[-1] + 2, w)
    out[box] = skel.astype(bool)
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
    if not mask.any():
        return 0.0
    skel = skeletonize(mask)
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    on_skel = dist[skel]
    # The distance to the nearest paper pixel at the centre of a w-pixel-wide
    # run is (w + 1) / 2.
    robust = max(2.0 * float(np.median(on_skel)) - 1.0, 1.0)
    length = _skeleton_length(skel)
    if length < 4.0:
        return robust
    # Only ink near the skeleton belongs to strokes (ignore stray specks).
    near = cv2.distanceTransform((~skel).astype(np.uint8), cv2.DIST_L2, 3) <= robust + 1.5
    area = float(ink[near].sum())
    ratio = area / length
    if 0.6 * robust <= ratio <= 1.6 * robust + 1.0:
        return ratio
    return robust
