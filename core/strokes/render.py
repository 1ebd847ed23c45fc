"""Rasterise a drawing: anti-aliased polylines (OpenCV LINE_AA, sub-pixel coordinates) at each stroke's
width, each stroke at its opacity (overlapping strokes take the darker coverage, as one ink layer)."""
from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np

from .model import Drawing

SHIFT = 4                  # sub-pixel bits for cv2 drawing
OPACITY_LEVELS = 32        # strokes are drawn in groups of equal (quantised) opacity


def render_coverage(drawing: Drawing, size: tuple[int, int], axes: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Ink coverage (H, W) float32 in [0, 1]; size = (width, height)."""
    w, h = size
    # (opacity level, thickness, closed) → polylines; (opacity level) → dots (x, y, radius)
    lines: dict[tuple[int, int, bool], list[np.ndarray]] = defaultdict(list)
    dots: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    scale = float(1 << SHIFT)
    for stroke in drawing.strokes:
        pts = np.round(stroke.points[:, list(axes)] * scale).astype(np.int32)
        level = np.clip(np.rint(stroke.opacity * OPACITY_LEVELS), 0, OPACITY_LEVELS).astype(int)
        thick = np.maximum(np.rint(stroke.width), 1).astype(int)
        if stroke.n == 1 or (pts == pts[0]).all():
            if level[0] > 0:
                radius = max(int(round(stroke.width[0] * scale / 2)), 1)
                dots[int(level[0])].append((int(pts[0, 0]), int(pts[0, 1]), radius))
            continue
        if (level == level[0]).all() and (thick == thick[0]).all():
            if level[0] > 0:
                lines[(int(level[0]), int(thick[0]), stroke.closed)].append(pts.reshape(-1, 1, 2))
            continue
        # Width or opacity varies along the stroke: one segment at a time, each at its mean.
        loop = np.r_[np.arange(stroke.n), 0] if stroke.closed else np.arange(stroke.n)
        ends = pts[loop]
        seg_level = np.rint((level[loop][:-1] + level[loop][1:]) / 2).astype(int)
        seg_thick = np.maximum(np.rint((stroke.width[loop][:-1] + stroke.width[loop][1:]) / 2), 1).astype(int)
        for i in np.flatnonzero(seg_level > 0):
            lines[(int(seg_level[i]), int(seg_thick[i]), False)].append(ends[i:i + 2].reshape(-1, 1, 2))
    coverage = np.zeros((h, w), np.float32)
    levels = sorted({key[0] for key in lines} | set(dots))
    canvas = np.zeros((h, w), np.uint8)
    for level in levels:
        canvas[:] = 0
        for (lv, thick, closed), polys in lines.items():
            if lv == level:
                cv2.polylines(canvas, polys, closed, 255, thick, cv2.LINE_AA, SHIFT)
        for x, y, radius in dots.get(level, []):
            cv2.circle(canvas, (x, y), radius, 255, -1, cv2.LINE_AA, SHIFT)
        np.maximum(coverage, canvas.astype(np.float32) * (level / (255.0 * OPACITY_LEVELS)), out=coverage)
    return coverage


def render_drawing(drawing: Drawing, size: tuple[int, int], *, axes: tuple[int, int] = (0, 1),
                   ink: tuple[float, float, float] = (0.0, 0.0, 0.0), transparent: bool = False) -> np.ndarray:
    """RGBA float32 (H, W, 4): ink on white paper, or on a transparent layer (alpha = coverage)."""
    coverage = render_coverage(drawing, size, axes)
    colour = np.asarray(ink, np.float32)
    out = np.empty(coverage.shape + (4,), np.float32)
    if transparent:
        out[..., :3] = colour
        out[..., 3] = coverage
    else:
        out[..., :3] = 1.0 - coverage[..., None] * (1.0 - colour)
        out[..., 3] = 1.0
    return out
