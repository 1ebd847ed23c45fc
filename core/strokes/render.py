"""Rasterise a drawing: anti-aliased polylines (OpenCV LINE_AA, sub-pixel coordinates) at each stroke's
width, each stroke at its opacity (overlapping strokes take the darker coverage, as one ink layer).

OpenCV's anti-aliased lines come only in a few widths (thickness 1 lays down about 1.4 px, 2 about 3.4 px,
3 and 4 about 5.4 px: steps of 2 px), so a key drawn 2.3 px wide came back 40 % lighter or heavier. Strokes
are drawn at SUPERSAMPLE × the size and averaged down: widths in steps of 2 / SUPERSAMPLE px."""
from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np

from .model import Drawing

SHIFT = 4                  # sub-pixel bits for cv2 drawing
OPACITY_LEVELS = 32        # strokes are drawn in groups of equal (quantised) opacity
SUPERSAMPLE = 4            # strokes drawn this many times larger, then averaged down: half-pixel widths
AA_WIDTH_GAIN = 1.4        # OpenCV's anti-aliased line of thickness t ≥ 2 covers 2·ceil(t/2) + this px


def line_thickness(width: float, supersample: int = SUPERSAMPLE) -> int:
    """The OpenCV thickness (at ``supersample`` × the size) whose anti-aliased line covers nearest ``width``
    output pixels across: thickness 1 covers AA_WIDTH_GAIN, an even thickness t covers t + AA_WIDTH_GAIN."""
    wanted = width * supersample
    even = 2 * max(int(np.rint((wanted - AA_WIDTH_GAIN) / 2.0)), 1)
    return 1 if abs(AA_WIDTH_GAIN - wanted) <= abs(even + AA_WIDTH_GAIN - wanted) else even


def render_coverage(drawing: Drawing, size: tuple[int, int], axes: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Ink coverage (H, W) float32 in [0, 1]; size = (width, height)."""
    return _coverage_and_box(drawing, size, axes)[0]


def _coverage_and_box(drawing: Drawing, size: tuple[int, int], axes: tuple[int, int]
                      ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """`render_coverage` and the box (x0, y0, x1, y1) outside which it is 0 (None: nothing drawn)."""
    w, h = size
    coverage = np.zeros((h, w), np.float32)
    box = _stroke_box(drawing, size, axes)
    if box is None:
        return coverage, None
    x0, y0, x1, y1 = box
    ss = SUPERSAMPLE
    # (opacity level, thickness, closed) → polylines; (opacity level) → dots (x, y, radius)
    lines: dict[tuple[int, int, bool], list[np.ndarray]] = defaultdict(list)
    dots: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    scale = float(ss << SHIFT)
    origin = np.array([x0, y0], np.float64)
    for stroke in drawing.strokes:
        pts = np.round((stroke.points[:, list(axes)] - origin) * scale).astype(np.int32)
        level = np.clip(np.rint(stroke.opacity * OPACITY_LEVELS), 0, OPACITY_LEVELS).astype(int)
        thick = _thicknesses(stroke.width)
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
        seg_thick = _thicknesses((stroke.width[loop][:-1] + stroke.width[loop][1:]) / 2)
        for i in np.flatnonzero(seg_level > 0):
            lines[(int(seg_level[i]), int(seg_thick[i]), False)].append(ends[i:i + 2].reshape(-1, 1, 2))
    levels = sorted({key[0] for key in lines} | set(dots))
    canvas = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
    for level in levels:
        canvas[:] = 0
        for (lv, thickness, closed), polys in lines.items():
            if lv == level:
                cv2.polylines(canvas, polys, closed, 255, thickness, cv2.LINE_AA, SHIFT)
        for x, y, radius in dots.get(level, []):
            cv2.circle(canvas, (x, y), radius, 255, -1, cv2.LINE_AA, SHIFT)
        down = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        np.maximum(coverage[y0:y1, x0:x1], down.astype(np.float32) * (level / (255.0 * OPACITY_LEVELS)),
                   out=coverage[y0:y1, x0:x1])
    return coverage, box


def _thicknesses(widths: np.ndarray) -> np.ndarray:
    """`line_thickness` of many widths (strokes keep few distinct widths: each computed once)."""
    distinct, inverse = np.unique(np.asarray(widths, np.float64), return_inverse=True)
    return np.array([line_thickness(float(width)) for width in distinct], int)[inverse.reshape(-1)]


def _stroke_box(drawing: Drawing, size: tuple[int, int], axes: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1): the frame's pixels the strokes can touch (their points grown by the widest line)."""
    strokes = [s for s in drawing.strokes if s.n]
    if not strokes:
        return None
    points = np.concatenate([s.points[:, list(axes)] for s in strokes])
    reach = max(float(s.width.max()) for s in strokes) / 2.0 + 2.0
    lo = np.floor(points.min(axis=0) - reach).astype(int)
    hi = np.ceil(points.max(axis=0) + reach).astype(int) + 1
    x0, y0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    x1, y1 = min(int(hi[0]), size[0]), min(int(hi[1]), size[1])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def render_drawing(drawing: Drawing, size: tuple[int, int], *, axes: tuple[int, int] = (0, 1),
                   ink: tuple[float, float, float] = (0.0, 0.0, 0.0), transparent: bool = False) -> np.ndarray:
    """RGBA float32 (H, W, 4): ink on white paper, or on a transparent layer (alpha = coverage)."""
    coverage, box = _coverage_and_box(drawing, size, axes)
    colour = np.asarray(ink, np.float32)
    out = np.empty(coverage.shape + (4,), np.float32)
    out[...] = (*colour, 0.0) if transparent else 1.0   # where no stroke reaches: the empty layer, or paper
    if box is None:
        return out
    x0, y0, x1, y1 = box   # ink is composed only where strokes reach (a 1080p frame is mostly paper)
    inside, drawn = out[y0:y1, x0:x1], coverage[y0:y1, x0:x1]
    if transparent:
        inside[..., 3] = drawn
    else:
        inside[..., :3] = 1.0 - drawn[..., None] * (1.0 - colour)
    return out
