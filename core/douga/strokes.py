"""Douga → strokes: class indices (HxW) → vector strokes, one material per class (material = class index).

What each class becomes:
- **Line classes** (visible, shading, colour-edge, highlight, book line): the centre lines of that class's
  pixels (`strokes.vectorize`), open or closed polylines at the douga's line width. Solid ink (pupils,
  filled blacks) keeps its measured thickness per point, as the vectoriser reports it. A short mark the
  vectoriser drops whole (its skeleton is all spur) still gets one stroke.
- **Fill classes** (shading, colour, highlight, book fill): every connected area of the class becomes one
  closed stroke along its outer edge, grown by half a line width so it reaches under the lines that bound
  it (no paper showing between a fill and its line). A host draws it as a filled shape (Grease Pencil: a
  material with fill and without line); the stroke's width is 0, it has no line of its own.
- **Flat area** (class 0): the paper around the drawing (areas touching the frame's border) becomes
  nothing. Flat areas enclosed by lines become white filled shapes (class 0's colour) like the other
  fills: they are the base-colour areas of the character, and a hole in a fill area shows white, not the
  fill around it.

Drawing order: fills first, largest outer edge first (an area inside another's hole is smaller than the
enclosing one, so it lands on top of it), then the lines, class by class. Coordinates are image pixels,
x to the right and y down, (0, 0) at the centre of the top-left pixel, like `strokes.vectorize`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from ..lines import skeletonize
from ..strokes.io import FORMAT, VERSION, drawing_to_json
from ..strokes.model import Drawing, Stroke
from ..strokes.vectorize import vectorize
from . import schema as S
from .settings import DEFAULT_DOUGA, DougaSettings

FILL_CLASSES_DRAWN = (S.FLAT, S.SHADING_FILL, S.COLOR_FILL, S.HIGHLIGHT_FILL, S.BOOK_FILL)


def douga_strokes(classes: np.ndarray, line_width: float = 3.0, *, fills: bool = True,
                  cancel: Callable[[], bool] | None = None, settings: DougaSettings = DEFAULT_DOUGA) -> Drawing:
    """The strokes of a douga (class indices HxW uint8); each stroke's material is its class index."""
    classes = np.asarray(classes)
    if classes.ndim != 2 or classes.size == 0:
        raise ValueError(f"expected an HxW class map, got shape {classes.shape}")
    if classes.max() >= S.N_CLASSES:
        raise ValueError(f"class indices must be 0..{S.N_CLASSES - 1}")
    if line_width <= 0:
        raise ValueError(f"line width must be positive, got {line_width:g}")
    strokes = _fill_strokes(classes, line_width, settings) if fills else []
    for c in S.LINE_CLASSES:
        if cancel is not None and cancel():
            break
        mask = classes == c
        if not mask.any():
            continue
        drawing, _ = vectorize(mask.astype(np.float32), line_width)
        for stroke in [*drawing.strokes, *_missed_marks(mask, drawing, line_width)]:
            stroke.material = c
            strokes.append(stroke)
    return Drawing(strokes)


def _missed_marks(mask: np.ndarray, drawing: Drawing, line_width: float) -> list[Stroke]:
    """A stroke for each mark of the class that the vectoriser left without one: it drops branches shorter
    than a few line widths as thinning spurs, so a short thick mark (a tick of colour edge, a highlight dash)
    whose skeleton is only such branches would vanish. Each gets the longest path through its skeleton."""
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    drawn = np.zeros(count, bool)
    for stroke in drawing.strokes:
        cols = np.clip(np.rint(stroke.points[:, 0]).astype(int), 0, mask.shape[1] - 1)
        rows = np.clip(np.rint(stroke.points[:, 1]).astype(int), 0, mask.shape[0] - 1)
        drawn[labels[rows, cols]] = True
    missed = []
    skeleton = skeletonize(mask)
    for label in np.flatnonzero(~drawn[1:]) + 1:
        pixels = np.argwhere(skeleton & (labels == label))
        if len(pixels) == 0:
            pixels = np.argwhere(labels == label)[:1]
        path = _longest_path(pixels)[:, ::-1].astype(np.float64)  # (row, col) → (x, y)
        missed.append(Stroke(path, np.full(len(path), line_width), 1.0, False, 0))
    return missed


def _longest_path(pixels: np.ndarray) -> np.ndarray:
    """The longest of the shortest 8-connected paths through a small set of pixels (two breadth-first
    searches: the farthest pixel from any pixel is one end of it)."""
    index = {tuple(p): i for i, p in enumerate(pixels.tolist())}

    def farthest(start: int) -> tuple[int, list[int]]:
        previous = {start: -1}
        queue, head = [start], 0
        while head < len(queue):
            r, c = pixels[queue[head]]
            head += 1
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    j = index.get((int(r) + dr, int(c) + dc))
                    if j is not None and j not in previous:
                        previous[j] = queue[head - 1]
                        queue.append(j)
        end, chain = queue[-1], []
        while end != -1:
            chain.append(end)
            end = previous[end]
        return queue[-1], chain

    one_end, _ = farthest(0)
    _, chain = farthest(one_end)
    return pixels[chain]


def _fill_strokes(classes: np.ndarray, line_width: float, settings: DougaSettings) -> list[Stroke]:
    height, width = classes.shape
    grow = max(round(line_width / 2), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    found: list[tuple[float, Stroke]] = []
    for c in FILL_CLASSES_DRAWN:
        mask = (classes == c).astype(np.uint8)
        if not mask.any():
            continue
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if area < settings.min_fill_area:
                continue
            if c == S.FLAT and (x == 0 or y == 0 or x + w == width or y + h == height):
                continue  # the paper around the drawing
            # The area alone, in a window padded for the growth, grown under its lines.
            x0, y0 = max(x - grow - 1, 0), max(y - grow - 1, 0)
            x1, y1 = min(x + w + grow + 1, width), min(y + h + grow + 1, height)
            area_mask = (labels[y0:y1, x0:x1] == label).astype(np.uint8)
            area_mask = cv2.dilate(area_mask, kernel)
            contours, _ = cv2.findContours(area_mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            outer = max(contours, key=cv2.contourArea)
            outer = cv2.approxPolyDP(outer, settings.simplify, True).reshape(-1, 2).astype(np.float64)
            if len(outer) < 3:
                continue
            outer += (x0, y0)
            found.append((float(cv2.contourArea(outer.astype(np.float32))),
                          Stroke(outer, np.zeros(len(outer)), 1.0, True, c)))
    found.sort(key=lambda item: -item[0])  # stable: equal areas keep class order
    return [stroke for _, stroke in found]


def class_counts(drawing: Drawing) -> dict[str, int]:
    """Strokes per class name, for a result's summary."""
    counts = {c.name: 0 for c in S.CLASSES}
    for stroke in drawing.strokes:
        counts[S.CLASSES[stroke.material].name] += 1
    return {name: n for name, n in counts.items() if n}


def strokes_result(drawing: Drawing, size: tuple[int, int], line_width: float, source: str) -> dict[str, Any]:
    """The JSON result of `douga.strokes` (and `<stem>.strokes.json`): the stroke schema's strokes plus the
    class table, so a host can name and colour one material per class."""
    return {"format": FORMAT, "version": VERSION, "kind": "douga", "source": source,
            "width": size[0], "height": size[1], "line_width": line_width, "classes": S.class_table(),
            "counts": class_counts(drawing), "strokes": drawing_to_json(drawing)}
