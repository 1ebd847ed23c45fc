"""Boxes around the pieces of a mask: where a frame's self-check tells the artist to look."""
from __future__ import annotations

import cv2
import numpy as np


def boxes_of(mask: np.ndarray, min_area: int = 1, limit: int = 32) -> tuple[tuple[int, int, int, int], ...]:
    """Bounding boxes (x, y, w, h) of a boolean mask's connected pieces, largest first, at most ``limit``."""
    pieces, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    found = [(int(stats[n, 0]), int(stats[n, 1]), int(stats[n, 2]), int(stats[n, 3]))
             for n in range(1, pieces) if stats[n, 4] >= min_area]
    found.sort(key=lambda box: -box[2] * box[3])
    return tuple(found[:limit])
