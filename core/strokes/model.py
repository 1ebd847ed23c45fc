"""Strokes and drawings: the vector data every part of `nakawari.strokes` works on.

A stroke is a polyline (N×2 or N×3 points) with a width in pixels and an opacity per point, a closed
flag and a material (colour) id, as Grease Pencil and most vector tools store them. A drawing is the
list of strokes of one key, in drawing order. `check_drawing` is the one place input is validated.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ..errors import BadInput

# Bounded cost: matching is about quadratic in the stroke count, interpolation linear in the points.
MAX_STROKES = 5_000           # per key (two keys of 5 000 scattered strokes match in about 7 s)
MAX_POINTS = 2_000_000        # per key, all strokes together
MAX_COORDINATE = 1e9          # |x|, |y|, |z| at most: squared distances of larger ones overflow (1e300 → inf)
DEFAULT_WIDTH = 3.0           # px, when a stroke gives none


@dataclass(init=False)
class Stroke:
    points: np.ndarray                      # (N, 2) or (N, 3) float64, N ≥ 1
    width: np.ndarray                       # (N,) px (line width × pressure); default DEFAULT_WIDTH
    opacity: np.ndarray                     # (N,) in [0, 1]; default 1
    closed: bool = False
    material: int = 0
    id: str | None = None                   # the host's own name for the stroke, passed through
    colour: np.ndarray | None = None        # (N, C) per point (a host's vertex colours), interpolated like width
    fill: np.ndarray | None = None          # (C,) the stroke's fill colour, mixed between the keys

    # Written out so that width and opacity are typed as the arrays they always become, while callers pass
    # scalars, lists or None (the default) as before.
    def __init__(self, points: ArrayLike, width: ArrayLike | None = None, opacity: ArrayLike | None = None,
                 closed: bool = False, material: int = 0, id: str | None = None, *,
                 colour: ArrayLike | None = None, fill: ArrayLike | None = None) -> None:
        self.points = np.asarray(points, dtype=np.float64)
        n = len(self.points) if self.points.ndim == 2 else 0
        self.width = _per_point(width, n, DEFAULT_WIDTH)
        self.opacity = _per_point(opacity, n, 1.0)
        self.closed, self.material, self.id = closed, material, id
        self.colour = None if colour is None else np.asarray(colour, dtype=np.float64).reshape(n, -1)
        self.fill = None if fill is None else np.asarray(fill, dtype=np.float64).reshape(-1)

    @classmethod
    def built(cls, points: np.ndarray, width: np.ndarray, opacity: np.ndarray, closed: bool, material: int,
              id: str | None, colour: np.ndarray | None = None, fill: np.ndarray | None = None) -> Stroke:
        """A stroke from arrays the engine made itself (float64 points, one width and opacity per point):
        skips the conversions of the constructor, which cost more than the interpolation itself when a
        frame holds thousands of strokes."""
        stroke = cls.__new__(cls)
        stroke.points, stroke.width, stroke.opacity = points, width, opacity
        stroke.closed, stroke.material, stroke.id = closed, material, id
        stroke.colour, stroke.fill = colour, fill
        return stroke

    @property
    def n(self) -> int:
        return len(self.points)

    def copy(self) -> Stroke:
        return Stroke(self.points.copy(), self.width.copy(), self.opacity.copy(), self.closed, self.material,
                      self.id, colour=None if self.colour is None else self.colour.copy(),
                      fill=None if self.fill is None else self.fill.copy())

    def reversed(self) -> Stroke:
        """The same stroke drawn the other way (a closed one keeps its start point)."""
        order = np.r_[0, np.arange(self.n - 1, 0, -1)] if self.closed and self.n > 1 else np.arange(self.n)[::-1]
        return Stroke(self.points[order], self.width[order], self.opacity[order], self.closed, self.material,
                      self.id, colour=None if self.colour is None else self.colour[order], fill=self.fill)


def _per_point(value: ArrayLike | None, n: int, default: float) -> np.ndarray:
    if value is None:
        return np.full(n, default, dtype=np.float64)
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n, float(array), dtype=np.float64)
    return array.reshape(-1)


@dataclass
class Drawing:
    strokes: list[Stroke] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.strokes)

    @property
    def dims(self) -> int:
        return self.strokes[0].points.shape[1] if self.strokes else 2


def check_stroke(stroke: Stroke, where: str) -> None:
    points = stroke.points
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise BadInput(f"{where}: points must be a list of [x, y] or [x, y, z], got shape {points.shape}")
    if len(points) == 0:
        raise BadInput(f"{where}: a stroke needs at least one point")
    if not np.isfinite(points).all():
        raise BadInput(f"{where}: points must be finite numbers (found NaN or infinity)")
    if (np.abs(points) > MAX_COORDINATE).any():
        raise BadInput(f"{where}: coordinates must lie within ±{MAX_COORDINATE:g} (found {np.abs(points).max():g})")
    for name, values in (("width", stroke.width), ("opacity", stroke.opacity)):
        if len(values) != len(points):
            raise BadInput(f"{where}: {name} has {len(values)} values for {len(points)} points")
        if not np.isfinite(values).all() or (values < 0).any():
            raise BadInput(f"{where}: {name} must be finite and not negative")
    if (stroke.opacity > 1).any():
        raise BadInput(f"{where}: opacity must lie in [0, 1]")


def check_drawing(drawing: Drawing, where: str) -> None:
    """Refuse what cannot be inbetweened, with a message naming the key and stroke. An empty key is allowed
    (its partner's strokes draw on or off); one-point strokes are allowed (dots)."""
    if len(drawing) > MAX_STROKES:
        raise BadInput(f"{where}: {len(drawing)} strokes; at most {MAX_STROKES} per key are supported")
    if not drawing.strokes:
        return
    shapes = [s.points.shape for s in drawing.strokes]
    total = sum(shape[0] if len(shape) == 2 else 0 for shape in shapes)
    if total > MAX_POINTS:
        raise BadInput(f"{where}: {total} points; at most {MAX_POINTS} per key are supported")
    dims = shapes[0][1] if len(shapes[0]) == 2 else None
    fine = all(len(shape) == 2 and shape[0] > 0 and shape[1] == dims for shape in shapes) and dims in (2, 3)
    if fine:  # the common case, checked at once: every value finite, widths and opacities in range
        widths = np.concatenate([s.width for s in drawing.strokes])
        opacities = np.concatenate([s.opacity for s in drawing.strokes])
        coordinates = np.concatenate([s.points.reshape(-1) for s in drawing.strokes])
        fine = bool(len(widths) == len(opacities) == total and np.isfinite(coordinates).all()
                    and (np.abs(coordinates) <= MAX_COORDINATE).all() and np.isfinite(widths).all()
                    and (widths >= 0).all() and np.isfinite(opacities).all() and (opacities >= 0).all()
                    and (opacities <= 1).all())
    if fine:
        return
    for index, stroke in enumerate(drawing.strokes):  # find the stroke to name
        check_stroke(stroke, f"{where} stroke {index}")
        if stroke.points.shape[1] != drawing.strokes[0].points.shape[1]:
            raise BadInput(f"{where} stroke {index}: mixes 2-D and 3-D points within one key")


def check_keys(drawings: Sequence[Drawing], names: Sequence[str]) -> None:
    for drawing, name in zip(drawings, names):
        check_drawing(drawing, name)
    dims = {d.dims for d in drawings if len(d)}
    if len(dims) > 1:
        raise BadInput("keys mix 2-D and 3-D points")
    if not any(len(d) for d in drawings):
        raise BadInput("every key is empty: nothing to inbetween")
