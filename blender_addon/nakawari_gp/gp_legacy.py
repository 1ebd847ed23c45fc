"""Legacy Grease Pencil (Blender ≤ 4.2): layers named by `info`, frames of strokes of points."""
from __future__ import annotations

from array import array
from collections.abc import Sequence

from .gp_data import DEFAULT_WIDTH, GPData, Stroke, colours, grouped, per_point, points3


def _floats(n: int) -> array:
    return array("f", bytes(4 * n))


class LegacyGP(GPData):
    model = "legacy"
    name_attribute = "info"

    def read_strokes(self, layer: str, frame: int) -> list[Stroke]:
        out = []
        for stroke in self._frame(layer, frame).strokes:
            n = len(stroke.points)
            co, pressure, strength, colour = _floats(3 * n), _floats(n), _floats(n), _floats(4 * n)
            stroke.points.foreach_get("co", co)
            stroke.points.foreach_get("pressure", pressure)
            stroke.points.foreach_get("strength", strength)
            stroke.points.foreach_get("vertex_color", colour)
            line_width = int(stroke.line_width)
            out.append({"points": grouped(co, 3), "width": [line_width * p for p in pressure],
                        "opacity": [min(max(s, 0.0), 1.0) for s in strength], "closed": bool(stroke.use_cyclic),
                        "material": int(stroke.material_index), "line_width": line_width,
                        "vertex_color": grouped(colour, 4), "fill_color": list(stroke.vertex_color_fill)})
        return out

    def new_layer(self, name: str) -> str:
        return self.data.layers.new(name, set_active=False).info

    def _write(self, layer: str, number: int, strokes: Sequence[Stroke], keyframe_type: str) -> None:
        frame = self._layer(layer).frames.new(number)
        frame.keyframe_type = keyframe_type
        for data in strokes:
            n = len(data["points"])
            width = per_point(data.get("width"), n, DEFAULT_WIDTH)
            # Thickness in whole pixels (legacy stores an int); the pressure carries the rest of the width.
            line_width = int(data.get("line_width") or max(1, round(max(width, default=DEFAULT_WIDTH))))
            stroke = frame.strokes.new()
            stroke.display_mode = "3DSPACE"
            stroke.line_width = line_width
            stroke.material_index = int(data.get("material", 0))
            stroke.use_cyclic = bool(data.get("closed", False))
            stroke.points.add(n)
            stroke.points.foreach_set("co", points3(data["points"]))
            stroke.points.foreach_set("pressure", [w / line_width for w in width])
            stroke.points.foreach_set("strength", per_point(data.get("opacity"), n, 1.0))
            vertex = colours(data.get("vertex_color"), n)
            if vertex is not None:
                stroke.points.foreach_set("vertex_color", vertex)
            if data.get("fill_color"):
                stroke.vertex_color_fill = tuple(data["fill_color"])
        self.data.update_tag()
