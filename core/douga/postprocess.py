"""Fixed-width post-processor: douga lines of one width, one class per fill area.

Line pixels of every class are thinned to a skeleton and redrawn at a fixed width
(``lines.redraw_fixed_width``); solid ink (pupils) keeps its shape (``lines.solid_areas``). Each redrawn
line pixel takes the class most common among the raw line pixels around it; each connected area
between the lines takes the fill class most of its raw pixels had. Deterministic.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..lines import INK_THRESHOLD, measure_line_width, redraw_fixed_width, solid_areas
from . import schema as S
from .settings import DEFAULT_DOUGA, DougaSettings


def postprocess(raw: np.ndarray, line_width: float = 3.0, settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """Raw class indices HxW → class indices with every line ``line_width`` px wide."""
    raw = np.asarray(raw, dtype=np.uint8)
    if line_width <= 0:
        raise ValueError(f"line width must be positive, got {line_width:g}")
    is_line = S.IS_LINE[raw]
    # Lines continued past the frame edge (edge padding), so thinning does not pull them off the border
    # and open a gap between the areas on either side.
    pad = int(np.ceil(line_width)) + 2
    padded = np.pad(is_line, pad, mode="edge").astype(np.float32)
    line = redraw_fixed_width(padded, line_width)[pad:-pad, pad:-pad] >= INK_THRESHOLD
    visible = raw == S.VISIBLE_LINE
    if visible.any():
        # Filled ink (pupils, solid blacks) is judged against the drawn line width, not the output width.
        drawn = max(measure_line_width(visible.astype(np.float32)), 1.0)
        solid = solid_areas(visible.astype(np.float32), drawn) >= INK_THRESHOLD
    else:
        solid = np.zeros(raw.shape, bool)
    out = np.empty_like(raw)
    out[:] = _vote_lines(raw, line, settings.vote_radius)
    fills = ~(line | solid)
    out[fills] = _vote_areas(raw, fills)[fills]
    out[solid] = S.VISIBLE_LINE
    return out


def _vote_lines(raw: np.ndarray, line: np.ndarray, radius: int) -> np.ndarray:
    """Per pixel, the line class most frequent in the raw prediction within ``radius`` (ties: lower index)."""
    size = 2 * radius + 1
    best = np.zeros(raw.shape, np.float32)
    cls = np.full(raw.shape, S.VISIBLE_LINE, np.uint8)
    for c in S.LINE_CLASSES:
        count = cv2.boxFilter((raw == c).astype(np.float32), -1, (size, size), normalize=False)
        better = count > best
        cls[better] = c
        best[better] = count[better]
    return np.where(line, cls, 0).astype(np.uint8)


def _vote_areas(raw: np.ndarray, fills: np.ndarray) -> np.ndarray:
    """Per connected area between the lines, the fill class most of its raw pixels carry."""
    count, labels = cv2.connectedComponents(fills.astype(np.uint8), connectivity=4)
    voters = fills & ~S.IS_LINE[raw]
    votes = np.bincount(labels[voters].astype(np.int64) * S.N_CLASSES + raw[voters],
                        minlength=count * S.N_CLASSES).reshape(count, S.N_CLASSES)
    votes[:, list(S.LINE_CLASSES)] = 0
    winner = votes.argmax(axis=1).astype(np.uint8)  # an area with no votes: flat (index 0)
    return winner[labels]
