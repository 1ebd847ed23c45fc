"""Closed areas of a line frame: the units that get one colour each.

Lines are read relative to the drawing (the inbetweener's ink reading: pencil grey on white reads as full
ink) plus chroma, so coloured shadow and highlight lines bound areas too even when they are light.
Artists leave small gaps where lines should meet; the lines are thickened by half the gap for *finding*
areas only (areas are the components of what is left), then every pixel — the gap zone, the thin rims
and the lines themselves — joins its nearest area, so the fill also runs under the lines.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import find_objects

from ..inbetween.represent import KeyStyle
from .settings import PaintSettings


@dataclass
class Areas:
    """The areas of one line frame. Label 0 is never used: every pixel belongs to an area 1..count."""

    labels: np.ndarray       # HxW int32, every pixel (lines included: the fill runs under them)
    line: np.ndarray         # HxW bool: line pixels (not area interior)
    strength: np.ndarray     # HxW float32 in [0, 1]: how much of each pixel is line (its coverage)
    count: int
    sizes: np.ndarray        # (count+1,) int64 non-line pixels per area
    centroids: np.ndarray    # (count+1, 2) float64 x, y of the bounding box's centre
    bboxes: np.ndarray       # (count+1, 4) int x, y, w, h
    border: np.ndarray       # (count+1,) bool: touches the frame's edge (outside / background candidates)
    adjacency: list[set[int]]  # neighbours across one line
    _line_distance: np.ndarray | None = None

    @property
    def line_distance(self) -> np.ndarray:
        """HxW float32 distance of each pixel to the nearest line pixel (computed once)."""
        if self._line_distance is None:
            self._line_distance = cv2.distanceTransform((~self.line).astype(np.uint8), cv2.DIST_L2, 3)
        return self._line_distance

    @property
    def interior_labels(self) -> np.ndarray:
        """Labels with line pixels set to 0 (lines cast no vote and read no colour)."""
        out = self.labels.copy()
        out[self.line] = 0
        return out


def line_strength(rgba: np.ndarray, style: KeyStyle, settings: PaintSettings) -> np.ndarray:
    """HxW float32 in [0, 1]: ink read relative to the drawing, or chroma for coloured lines."""
    rgba = np.ascontiguousarray(rgba, dtype=np.float32)
    ink = style.ink(rgba)
    r, g, b, _ = cv2.split(rgba)  # no contiguous RGB copy needed
    chroma = cv2.max(cv2.max(r, g), b) - cv2.min(cv2.min(r, g), b)
    if style.transparent:
        chroma = chroma * rgba[..., 3]
    coloured = np.clip(chroma / max(settings.colour_line_chroma, 1e-3), 0.0, 1.0)
    return np.maximum(ink, coloured).astype(np.float32)


def _disc(radius: float) -> np.ndarray:
    size = 2 * int(np.ceil(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def find_areas(rgba: np.ndarray, style: KeyStyle, settings: PaintSettings) -> Areas:
    """Split a line frame into areas (see the module note)."""
    strength = line_strength(rgba, style, settings)
    line = strength > settings.line_threshold
    open_ = (~line).astype(np.uint8)
    # 4-connectivity: a one-pixel diagonal line still separates two areas.
    n_open, open_labels = cv2.connectedComponents(open_, connectivity=4)
    radius = settings.gap / 2.0
    if radius >= 0.5:
        seeds = cv2.erode(open_, _disc(radius), borderType=cv2.BORDER_REPLICATE)
    else:
        seeds = open_
    n_seed, seed_labels = cv2.connectedComponents(seeds, connectivity=4)
    labels = seed_labels.astype(np.int32)
    # Areas narrower than the gap vanish under the thickened lines (an eye's highlight, a thin strap):
    # an open component without any seed becomes an area of its own.
    has_seed = np.zeros(n_open, bool)
    has_seed[open_labels[seeds > 0]] = True
    sizes_open = np.bincount(open_labels.ravel(), minlength=n_open)
    orphan = ~has_seed & (sizes_open >= settings.min_area)
    orphan[0] = False
    if orphan.any():
        remap = np.zeros(n_open, np.int32)
        remap[orphan] = np.arange(n_seed, n_seed + int(orphan.sum()), dtype=np.int32)
        extra = remap[open_labels]
        labels = np.where(extra > 0, extra, labels)
    count = int(labels.max())
    if count == 0:  # a frame that is all line (or empty of areas): one area
        labels = np.ones_like(labels)
        count = 1
    else:
        labels = _grow(labels)
    return _describe(labels, line, strength, count)


def _grow(labels: np.ndarray) -> np.ndarray:
    """Give every unlabelled pixel (lines, gap zones) the label of its nearest labelled pixel."""
    unlabelled = (labels == 0).astype(np.uint8)
    if not unlabelled.any():
        return labels
    _, nearest = cv2.distanceTransformWithLabels(unlabelled, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    # DIST_LABEL_PIXEL numbers the zero (labelled) pixels 1.. in raster order.
    seeds_in_order = labels[labels > 0]
    lookup = np.concatenate([[0], seeds_in_order]).astype(np.int32)
    return lookup[nearest]


def _describe(labels: np.ndarray, line: np.ndarray, strength: np.ndarray, count: int) -> Areas:
    interior = np.where(line, 0, labels)
    sizes = np.bincount(interior.ravel(), minlength=count + 1).astype(np.int64)
    sizes[0] = 0
    bboxes = np.zeros((count + 1, 4), np.int64)
    for index, found in enumerate(find_objects(labels), start=1):
        if found is not None:
            rows, cols = found
            bboxes[index] = (cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
    centroids = bboxes[:, :2] + bboxes[:, 2:] / 2.0  # box centres: position is cue enough (motion does the rest)
    border = np.zeros(count + 1, bool)
    border[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = True
    border[0] = False
    return Areas(labels=labels, line=line, strength=strength, count=count, sizes=sizes,
                 centroids=centroids, bboxes=bboxes, border=border,
                 adjacency=_adjacency(labels, count))


def _adjacency(labels: np.ndarray, count: int) -> list[set[int]]:
    """Areas that meet (their grown labels touch, i.e. they share a line between them)."""
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        differ = a != b
        pairs.append(np.stack([a[differ], b[differ]], axis=1))
    both = np.concatenate(pairs)
    neighbours: list[set[int]] = [set() for _ in range(count + 1)]
    if len(both):
        code = np.unique(np.minimum(both[:, 0], both[:, 1]).astype(np.int64) * (count + 1)
                         + np.maximum(both[:, 0], both[:, 1]))
        for c in code.tolist():
            i, j = divmod(c, count + 1)
            neighbours[i].add(j)
            neighbours[j].add(i)
    return neighbours
