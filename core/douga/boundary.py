"""Region-boundary line recall and precision: do a douga's lines lie where the paint changes?

The truth is a region map (one label, or one colour, per painted region): its boundary is every pixel
whose right or lower neighbour lies in another region (a one-pixel curve). A predicted line is any
pixel of a line class. Recall is the share of boundary pixels within ``tolerance`` px of a predicted
line; precision the share of predicted line pixels within ``tolerance`` px of a boundary. The tolerance
scales with the image: TOLERANCE px at a 1024-pixel short side, never under MIN_TOLERANCE (the lines
are drawn several px wide and a region map's edge sits anywhere inside the drawn line). Scores add up
over a suite (sums of counts, so a large image weighs more).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import schema as S
from .score import distance_to

TOLERANCE = 2.5       # px at a 1024-pixel short side
MIN_TOLERANCE = 2.0   # px: never tighter (the douga draws lines 3 px wide)
REFERENCE_SIDE = 1024


def tolerance_for(shape: tuple[int, ...]) -> float:
    """The matching distance in px for an image of ``shape`` (rows, cols, ...)."""
    return max(MIN_TOLERANCE, TOLERANCE * min(shape[0], shape[1]) / REFERENCE_SIDE)


def labels_from_colours(region_map: np.ndarray) -> np.ndarray:
    """A region map painted one colour per region (HxWx3 or HxW) → int32 labels (one per colour)."""
    region_map = np.asarray(region_map)
    if region_map.ndim == 2:
        return region_map.astype(np.int32)
    flat = region_map[..., :3].astype(np.int64).reshape(-1, 3)
    keys = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    return np.unique(keys, return_inverse=True)[1].reshape(region_map.shape[:2]).astype(np.int32)


def region_boundaries(labels: np.ndarray) -> np.ndarray:
    """HxW bool: pixels whose right or lower neighbour has another label."""
    labels = np.asarray(labels)
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge


@dataclass
class BoundaryScore:
    true_hits: int = 0   # boundary pixels within tolerance of a predicted line
    true_total: int = 0
    pred_hits: int = 0   # predicted line pixels within tolerance of a boundary
    pred_total: int = 0

    def add(self, lines: np.ndarray, boundary: np.ndarray, tolerance: float | None = None) -> BoundaryScore:
        """Accumulate one image: ``lines`` and ``boundary`` are HxW bool of one size."""
        lines, boundary = np.asarray(lines, bool), np.asarray(boundary, bool)
        if lines.shape != boundary.shape:
            raise ValueError(f"lines {lines.shape} and boundaries {boundary.shape} differ in size")
        tol = tolerance_for(lines.shape) if tolerance is None else tolerance
        self.true_total += int(boundary.sum())
        self.pred_total += int(lines.sum())
        self.true_hits += int((distance_to(lines) <= tol)[boundary].sum())
        self.pred_hits += int((distance_to(boundary) <= tol)[lines].sum())
        return self

    @property
    def recall(self) -> float:
        return self.true_hits / max(self.true_total, 1)

    @property
    def precision(self) -> float:
        return self.pred_hits / max(self.pred_total, 1)

    @property
    def f1(self) -> float:
        r, p = self.recall, self.precision
        return 2 * r * p / max(r + p, 1e-12)


def line_mask(classes: np.ndarray) -> np.ndarray:
    """Pixels of any line class in a douga class map."""
    return S.IS_LINE[np.asarray(classes, np.intp)]


def boundary_score(classes: np.ndarray, labels: np.ndarray, tolerance: float | None = None) -> BoundaryScore:
    """One douga class map against one region label map."""
    return BoundaryScore().add(line_mask(classes), region_boundaries(labels), tolerance)
