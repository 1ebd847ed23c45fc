"""Paint boundaries the region reader misses: sharp colour steps, found as colour Canny edges, each
classed by the colours on its two sides.

The region reader (``extract``) only trusts boundaries between two flat regions; hand-painted
illustrations shade with soft brushes, so many of their paint boundaries lie between regions that are
not flat. A colour Canny edge of the denoised frame is a boundary when the colours a few px either side
differ (``EdgeSettings.step_delta`` ΔE). Its kind follows the colour relation: the darker side a multiple
of the lighter (same hue, darker) is a shading line, the lighter side the darker mixed towards white a
highlight line, the lighter side white paper the outline (a visible line), anything else a colour edge.
Edges flanking a drawn line are that line, not boundaries; ``joined_to`` keeps the pieces that run into
the drawing's lines (a painted background's blob touches none).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..image import LUMA
from . import schema as S


@dataclass(frozen=True)
class EdgeSettings:
    low: float = 30.0             # Canny hysteresis thresholds (L2 gradient of 8-bit RGB, Sobel 3)
    high: float = 70.0
    side: float = 2.0             # px at 1024 rows: where the colours either side of an edge are read
    step_delta: float = 0.5       # Lab ΔE between the two sides above which an edge is a paint boundary
    min_length: int = 4           # px: shorter edge pieces are noise
    ink_clearance: float = 2.5    # px: edges this close to a drawn line are that line's sides
    shade_misfit: float = 0.07    # RGB distance of the dark side from the nearest multiple of the light side
    highlight_misfit: float = 0.035  # the same for (1 − RGB): the light side a mix of the dark one towards white
    min_ratio: float = 0.35       # a shade keeps at least this share of its base's luma
    edge_blur: float = 0.7        # Gaussian sigma (px) of the frame edges are looked for in (the median filter of the
                                  # denoiser breaks faint one-pixel lines); 0: the denoised frame
    paper_mix: float = 0.85       # a "highlight" mixed this far towards white is the paper: an outline
    join_gap: float = 2.0         # px: a boundary belongs to the drawing when it comes this close to its lines


DEFAULT_EDGES = EdgeSettings()


def _misfit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """RGB distance of ``a`` from its best multiple of ``b`` (row-wise)."""
    k = (a * b).sum(-1) / np.maximum((b * b).sum(-1), 1e-9)
    return np.linalg.norm(a - k[:, None] * b, axis=-1)


def relation_classes(dark: np.ndarray, light: np.ndarray, settings: EdgeSettings) -> np.ndarray:
    """Line class of boundaries between ``dark`` and ``light`` RGB colours (Nx3 in [0, 1], dark ≤ light in luma)."""
    luma = LUMA.astype(np.float64)
    shade = _misfit(dark, light)
    highlight = _misfit(1.0 - light, 1.0 - dark)
    ratio = (dark @ luma) / np.maximum(light @ luma, 1e-6)
    is_shade = (shade < settings.shade_misfit) & (ratio > settings.min_ratio)
    is_highlight = highlight < settings.highlight_misfit
    both = is_shade & is_highlight
    pick_highlight = is_highlight & (~both | (highlight / settings.highlight_misfit < shade / settings.shade_misfit))
    # How far the light side is mixed towards white: near 1 it is white paper, and the boundary is the
    # figure's outline against it (every colour passes the highlight test against pure white).
    towards = 1.0 - light
    k = (towards * (1.0 - dark)).sum(-1) / np.maximum(((1.0 - dark) ** 2).sum(-1), 1e-9)
    paper = is_highlight & (1.0 - k > settings.paper_mix)
    out = np.full(len(dark), S.COLOR_EDGE, np.uint8)
    out[is_shade & ~pick_highlight] = S.SHADING_LINE
    out[pick_highlight] = S.HIGHLIGHT_LINE
    out[paper] = S.VISIBLE_LINE
    return out


def paint_edges(smooth: np.ndarray, lab: np.ndarray, ink: np.ndarray, allowed: np.ndarray,
                settings: EdgeSettings = DEFAULT_EDGES, seen: np.ndarray | None = None) -> np.ndarray:
    """HxW uint8: a line class on paint-boundary pixels (one px wide), 0 elsewhere.

    ``smooth``: the denoised RGB frame (float32 in [0, 1]); ``lab`` its Lab; ``ink``: drawn-line pixels;
    ``allowed``: where boundaries may be drawn; ``seen``: the frame before denoising, where edges are
    looked for when given and ``settings.edge_blur`` > 0."""
    h, w = ink.shape
    source = smooth
    if seen is not None and settings.edge_blur > 0:
        source = cv2.GaussianBlur(seen, (0, 0), settings.edge_blur)
    u8 = np.clip(source * 255.0 + 0.5, 0, 255).astype(np.uint8)
    edges = cv2.Canny(u8, settings.low, settings.high, L2gradient=True) > 0
    if ink.any():
        clear = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3) > settings.ink_clearance
        edges &= clear
    edges &= allowed
    ys, xs = np.nonzero(edges)
    out = np.zeros((h, w), np.uint8)
    if ys.size == 0:
        return out
    # Gradient direction of the luma-weighted colour (the side colours are read across it).
    gray = cv2.GaussianBlur(lab[..., 0], (0, 0), 1.0)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)[ys, xs]
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)[ys, xs]
    # Where luma is flat across a hue change, use the strongest colour channel's direction.
    ab = cv2.GaussianBlur(lab[..., 1:], (0, 0), 1.0)
    for c in range(2):
        cx = cv2.Sobel(ab[..., c], cv2.CV_32F, 1, 0, ksize=3)[ys, xs]
        cy = cv2.Sobel(ab[..., c], cv2.CV_32F, 0, 1, ksize=3)[ys, xs]
        stronger = cx * cx + cy * cy > gx * gx + gy * gy
        gx, gy = np.where(stronger, cx, gx), np.where(stronger, cy, gy)
    norm = np.maximum(np.hypot(gx, gy), 1e-6)
    nx, ny = gx / norm, gy / norm
    d = max(2.0, settings.side * h / 1024)
    ay = np.clip(np.rint(ys - d * ny).astype(int), 0, h - 1)
    ax = np.clip(np.rint(xs - d * nx).astype(int), 0, w - 1)
    by = np.clip(np.rint(ys + d * ny).astype(int), 0, h - 1)
    bx = np.clip(np.rint(xs + d * nx).astype(int), 0, w - 1)
    la, lb = lab[ay, ax], lab[by, bx]
    step = np.linalg.norm(la - lb, axis=1) > settings.step_delta
    ca, cb = smooth[ay, ax].astype(np.float64), smooth[by, bx].astype(np.float64)
    a_dark = la[:, 0] < lb[:, 0]
    dark = np.where(a_dark[:, None], ca, cb)
    light = np.where(a_dark[:, None], cb, ca)
    cls = relation_classes(dark, light, settings)
    # A side on a drawn line: the edge is that line's side, not a paint boundary.
    step &= ~ink[ay, ax] & ~ink[by, bx]
    out[ys[step], xs[step]] = cls[step]
    if settings.min_length > 1:
        _, pieces, stats, _ = cv2.connectedComponentsWithStats((out > 0).astype(np.uint8), connectivity=8)
        keep = stats[:, cv2.CC_STAT_AREA] >= settings.min_length
        keep[0] = False
        out[~keep[pieces]] = 0
    return out


def joined_to(edges: np.ndarray, anchors: np.ndarray, gap: float) -> np.ndarray:
    """The ``edges`` pixels whose piece reaches (through other edges, within ``gap`` px) an ``anchors`` pixel.

    A painted background's flat blob is outlined by colour steps that touch no drawn line; the paint
    boundaries of a figure run into its lines."""
    size = 2 * int(np.ceil(gap)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    net = cv2.dilate((edges | anchors).astype(np.uint8), kernel)
    count, pieces = cv2.connectedComponents(net, connectivity=8)
    good = np.zeros(count, bool)
    good[np.unique(pieces[anchors])] = True
    good[0] = False
    return edges & good[pieces]
