"""Filling: every area gets its matched palette colour exactly; the frame's own lines go on top.

The fill runs under the whole area including its lines (every pixel has an area), and the line pixels are
composited over it with their own coverage and colour, so anti-aliased line edges blend into the right fill
and coloured lines stay as drawn. Pixels with no line at all take the palette colour as it is (paper grain
never tints a fill: no colour outside the palette away from the lines).
"""
from __future__ import annotations

import cv2
import numpy as np

from ..inbetween.represent import KeyStyle
from .areas import Areas
from .match import AreaMatches, colour_table
from .palette import UNKNOWN
from .settings import PaintSettings


def fill_layer(areas: Areas, matches: AreaMatches, settings: PaintSettings) -> np.ndarray:
    """HxWx4 float32: the matched colour of each pixel's area, the marker colour where unmatched."""
    colours = colour_table(np.append(matches.table, UNKNOWN), settings.unmatched)
    index = np.where(matches.matched[areas.labels], matches.pixel_index, len(matches.table))
    return colours[index]


def compose(line_rgba: np.ndarray, areas: Areas, fill: np.ndarray, style: KeyStyle,
            settings: PaintSettings) -> np.ndarray:
    """The frame's lines over the fill (straight alpha out)."""
    if settings.layer == "fill":
        return fill
    floor = settings.line_floor
    line_rgba = np.ascontiguousarray(line_rgba, dtype=np.float32)
    line = areas.strength > floor
    out = fill.copy()
    if not line.any():
        return out
    # Only pixels with some line need blending; everywhere else the palette colour is exact.
    rgba = line_rgba[line]
    rgb = rgba[:, :3]
    if style.transparent:
        coverage = rgba[:, 3:4]
        line_premult = rgb * coverage
    else:
        # On paper a pixel is paper*(1-a) + line*a. The line's own colour is unknown (black, pencil grey, a
        # blue shadow line), so a is read against the strongest mark nearby: a line's core keeps its colour
        # exactly and its anti-aliased rim blends into the fill; paper grain does not tint the fill.
        paper = np.float32(style.reading.paper)
        r, g, b, _ = cv2.split(line_rgba)
        drop = np.clip(paper - cv2.min(cv2.min(r, g), b), 0.0, 1.0)
        drop[~line] = 0.0
        darkest = cv2.dilate(drop, np.ones((5, 5), np.uint8))
        coverage = np.clip(drop[line] / np.maximum(darkest[line], 1e-3), 0.0, 1.0)[:, None]
        line_premult = np.clip(rgb - paper * (1.0 - coverage), 0.0, 1.0)
    under = fill[line]
    fill_alpha = under[:, 3:4]
    alpha = coverage + fill_alpha * (1.0 - coverage)
    premult = line_premult + under[:, :3] * fill_alpha * (1.0 - coverage)
    blended = np.empty_like(under)
    blended[:, :3] = np.clip(premult / np.maximum(alpha, 1e-6), 0.0, 1.0)
    blended[:, 3:4] = alpha
    out[line] = blended
    return out
