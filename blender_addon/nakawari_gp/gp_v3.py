"""Grease Pencil v3 (Blender 4.3+): layers of frames, each frame a drawing whose strokes are curves with
attributes (`position`, `radius`, `opacity`, `vertex_color` per point; `material_index`, `cyclic`,
`fill_color` per stroke). Attributes a drawing lacks hold Blender's defaults."""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from .gp_data import (
    DEFAULT_WIDTH,
    RADIUS_PER_WIDTH,
    GPData,
    Stroke,
    colours,
    grouped,
    per_point,
    points3,
)

# attribute → (domain, type, foreach field, values per element, default value)
ATTRIBUTES = {
    "position": ("POINT", "FLOAT_VECTOR", "vector", 3, 0.0),
    "radius": ("POINT", "FLOAT", "value", 1, 0.01),
    "opacity": ("POINT", "FLOAT", "value", 1, 1.0),
    "vertex_color": ("POINT", "FLOAT_COLOR", "color", 4, 0.0),
    "material_index": ("CURVE", "INT", "value", 1, 0),
    "cyclic": ("CURVE", "BOOLEAN", "value", 1, False),
    "fill_color": ("CURVE", "FLOAT_COLOR", "color", 4, 0.0),
}


def _read(drawing: Any, name: str, count: int) -> list:
    _, kind, field, size, default = ATTRIBUTES[name]
    attribute = drawing.attributes.get(name)
    if attribute is None:
        return [default] * (count * size)
    code = {"INT": "i", "BOOLEAN": "b"}.get(kind, "f")  # booleans read through a byte per value
    values = array(code, bytes(array(code).itemsize * count * size))
    attribute.data.foreach_get(field, values)
    return list(values)


def _write(drawing: Any, name: str, values: Sequence) -> None:
    domain, kind, field, _, _ = ATTRIBUTES[name]
    attribute = drawing.attributes.get(name)
    if attribute is None:
        attribute = drawing.attributes.new(name, kind, domain)
    attribute.data.foreach_set(field, values)


class GreasePencilV3(GPData):
    model = "GPv3"

    def read_strokes(self, layer: str, frame: int) -> list[Stroke]:
        drawing = self._frame(layer, frame).drawing
        if len(drawing.curve_offsets) <= 1:  # an empty drawing (it still lists one offset, but reads none)
            return []
        offsets = array("i", bytes(4 * len(drawing.curve_offsets)))
        drawing.curve_offsets.foreach_get("value", offsets)
        n_curves, n_points = len(offsets) - 1, offsets[-1]
        position = _read(drawing, "position", n_points)
        radius, opacity = _read(drawing, "radius", n_points), _read(drawing, "opacity", n_points)
        vertex = _read(drawing, "vertex_color", n_points)
        material, cyclic = _read(drawing, "material_index", n_curves), _read(drawing, "cyclic", n_curves)
        fill = _read(drawing, "fill_color", n_curves)
        out = []
        for c in range(n_curves):
            lo, hi = offsets[c], offsets[c + 1]
            out.append({"points": grouped(position[3 * lo:3 * hi], 3),
                        "width": [r / RADIUS_PER_WIDTH for r in radius[lo:hi]],
                        "opacity": [min(max(o, 0.0), 1.0) for o in opacity[lo:hi]], "closed": bool(cyclic[c]),
                        "material": int(material[c]), "line_width": None,
                        "vertex_color": grouped(vertex[4 * lo:4 * hi], 4), "fill_color": list(fill[4 * c:4 * c + 4])})
        return out

    def new_layer(self, name: str) -> str:
        return self.data.layers.new(name, set_active=False).name

    def _write(self, layer: str, number: int, strokes: Sequence[Stroke], keyframe_type: str) -> None:
        frame = self._layer(layer).frames.new(number)
        frame.keyframe_type = keyframe_type
        if not strokes:
            return
        drawing = frame.drawing
        sizes = [len(s["points"]) for s in strokes]
        drawing.add_strokes(sizes)
        position, radius, opacity, vertex = [], [], [], []
        for data, n in zip(strokes, sizes):
            position += points3(data["points"])
            radius += [w * RADIUS_PER_WIDTH for w in per_point(data.get("width"), n, DEFAULT_WIDTH)]
            opacity += per_point(data.get("opacity"), n, 1.0)
            vertex += colours(data.get("vertex_color"), n) or [0.0] * (4 * n)
        _write(drawing, "position", position)
        _write(drawing, "radius", radius)
        _write(drawing, "opacity", opacity)  # all points at once: a missing attribute would read 0
        _write(drawing, "vertex_color", vertex)
        _write(drawing, "material_index", [int(s.get("material", 0)) for s in strokes])
        _write(drawing, "cyclic", [bool(s.get("closed", False)) for s in strokes])
        _write(drawing, "fill_color", [float(c) for s in strokes for c in (s.get("fill_color") or (0, 0, 0, 0))])
        drawing.tag_positions_changed()
