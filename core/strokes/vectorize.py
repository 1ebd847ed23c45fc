"""Clean raster line art → strokes: ink → one-pixel skeleton (`nakawari.lines`) → stroke graph → polylines
with the line width measured on the key.

The skeleton is read as a graph: pixels with two neighbours are the inside of a stroke, others are ends
and junctions (adjacent junction pixels are one junction). Every path between two of them is a stroke;
rings without any are closed strokes. A diagonal link is dropped where an orthogonal pair already joins
the two pixels, so staircases are simple chains. Spurs (short branches the thinning leaves at corners and
line ends) are removed; polylines are smoothed a little and resampled every SPACING pixels.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..lines import INK_THRESHOLD, measure_line_width, skeletonize
from .geometry import resample_many
from .model import Drawing, Stroke

SPACING = 2.0            # px between resampled points
SMOOTH = 2               # half-window (px) of the moving average along a stroke
SPUR = 2.0               # branches from an end to a junction shorter than this × line width are dropped
FILL_FACTOR = 1.6        # a stroke this many times thicker than the line width is a filled shape
_OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def vectorize(ink: np.ndarray, line_width: float | None = None) -> tuple[Drawing, float]:
    """Strokes of an HxW ink map in [0, 1] (1 = ink); returns them and the line width used (px)."""
    ink = np.asarray(ink, dtype=np.float32)
    width = float(line_width) if line_width else measure_line_width(ink)
    width = max(width, 1.0)
    mask = ink > INK_THRESHOLD
    if not mask.any():
        return Drawing([]), width
    skeleton = skeletonize(mask)
    # Local width: 2 × the distance from the centre line to paper, less the centre pixel.
    local = 2.0 * cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) - 1.0
    strokes = []
    for path, closed, spur in _trace(skeleton):
        pixels = np.array(path, dtype=np.float64)
        length = _length(pixels)
        if spur and length < SPUR * width:
            continue
        thickness = local[pixels[:, 0].astype(int), pixels[:, 1].astype(int)]
        points = _smooth(pixels[:, ::-1], closed)
        count = max(2, int(round(length / SPACING)) + 1) if len(points) > 1 else 1
        if closed:
            count = max(count - 1, 3)
        per_point = np.column_stack([points, thickness])
        sampled = resample_many([per_point], 2, [closed], [count])[0] if len(points) > 1 else per_point
        filled = float(np.median(sampled[:, 2])) > FILL_FACTOR * width
        widths = np.maximum(sampled[:, 2], width) if filled else np.full(len(sampled), width)
        strokes.append(Stroke(sampled[:, :2], widths, 1.0, closed and len(sampled) > 2, 0))
    return Drawing(strokes), width


def _length(pixels: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(pixels, axis=0), axis=1).sum()) if len(pixels) > 1 else 0.0


def _smooth(points: np.ndarray, closed: bool) -> np.ndarray:
    """Moving average along the path (ends kept in place on open strokes): pixel staircases → lines."""
    n = len(points)
    if n < 2 * SMOOTH + 1:
        return points
    kernel = np.ones(2 * SMOOTH + 1) / (2 * SMOOTH + 1)
    if closed:
        padded = np.vstack([points[-SMOOTH:], points, points[:SMOOTH]])
    else:
        padded = np.vstack([np.repeat(points[:1], SMOOTH, 0), points, np.repeat(points[-1:], SMOOTH, 0)])
    out = np.column_stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(2)])
    if not closed:
        out[0], out[-1] = points[0], points[-1]
    return out


def _neighbours(skeleton: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (N, 2) and each pixel's neighbour ids (N, 8), −1 for none."""
    ys, xs = np.nonzero(skeleton)
    h, w = skeleton.shape
    ids = np.full((h + 2, w + 2), -1, dtype=np.int64)
    ids[ys + 1, xs + 1] = np.arange(len(ys))
    neighbours = np.stack([ids[ys + 1 + dy, xs + 1 + dx] for dy, dx in _OFFSETS], axis=1)
    # Drop a diagonal link where one of the two pixels between its ends is set (an L corner).
    for k, (dy, dx) in enumerate(_OFFSETS[4:], start=4):
        bridged = (ids[ys + 1 + dy, xs + 1] >= 0) | (ids[ys + 1, xs + 1 + dx] >= 0)
        neighbours[bridged, k] = -1
    return np.stack([ys, xs], axis=1), neighbours


def _trace(skeleton: np.ndarray) -> list[tuple[list[tuple[int, int]], bool, bool]]:
    """Paths of the skeleton graph as (pixels (row, col), closed, spur)."""
    coords, neighbours = _neighbours(skeleton)
    links = [row[row >= 0].tolist() for row in neighbours]
    degree = np.array([len(link) for link in links])
    node = degree != 2
    # Adjacent junction pixels form one junction.
    junction = np.flatnonzero(degree >= 3)
    cluster = {int(j): int(j) for j in junction}

    def root(i: int) -> int:
        while cluster[i] != i:
            cluster[i] = cluster[cluster[i]]
            i = cluster[i]
        return i

    for j in junction:
        for k in links[j]:
            if degree[k] >= 3:
                cluster[root(int(j))] = root(k)
    visited_step: set[tuple[int, int]] = set()
    seen = np.zeros(len(coords), dtype=bool)
    paths = []
    for start in map(int, np.flatnonzero(node)):
        seen[start] = True
        for first in links[start]:
            if (start, first) in visited_step:
                continue
            if degree[first] >= 3 and degree[start] >= 3 and root(first) == root(start):
                continue  # inside one junction
            path = [start, first]
            prev, cur = start, first
            visited_step.add((start, first))
            while not node[cur]:
                seen[cur] = True
                step = [k for k in links[cur] if k != prev]
                if not step:
                    break
                prev, cur = cur, step[0]
                path.append(cur)
            seen[cur] = True
            visited_step.add((cur, prev))
            ends = (degree[path[0]], degree[path[-1]])
            spur = (1 in ends) and any(e >= 3 for e in ends)
            closed = len(path) > 3 and degree[path[0]] >= 3 and degree[path[-1]] >= 3 and \
                root(path[0]) == root(path[-1])
            paths.append(([tuple(coords[i]) for i in path], closed, spur))
    for start in map(int, np.flatnonzero(~seen & (degree == 2))):  # rings: no ends, no junctions
        if seen[start]:
            continue
        path, prev, cur = [start], -1, start
        seen[start] = True
        while True:
            step = [k for k in links[cur] if k != prev and (not seen[k] or k == start)]
            if not step or step[0] == start:
                break
            prev, cur = cur, step[0]
            seen[cur] = True
            path.append(cur)
        paths.append(([tuple(coords[i]) for i in path], len(path) > 2, False))
    for lone in np.flatnonzero(degree == 0):  # a single-pixel dot
        paths.append(([tuple(coords[lone])], False, False))
    return [p for p in paths if p[0]]
