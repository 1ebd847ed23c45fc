"""The add-on's one view of a Grease Pencil object, the same for legacy GP (Blender ≤ 4.2, `gp_legacy`) and
GPv3 (4.3+, `gp_v3`): layers by name, frames by number, strokes as plain dicts. Operators use only this.

A stroke dict is the engine's stroke JSON (`core/strokes/io.py`) plus what the engine does not carry:

    {"points": [[x, y, z], …],        object space
     "width": [w, …],                 legacy: line_width × pressure (px); GPv3: radius × 2000 (Blender's own
                                      legacy → GPv3 conversion), so widths compare across versions
     "opacity": [o, …],               legacy point strength; GPv3 point opacity
     "closed": bool, "material": slot index,
     "line_width": px | None,         legacy stroke thickness (width / line_width is the point pressure)
     "vertex_color": [[r, g, b, a], …], "fill_color": [r, g, b, a]}

Writers need only "points"; the rest has defaults. Existing frames are never written to: `write_frame`
refuses them (`FrameExists`), so the artist's drawings cannot be overwritten by any caller.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Stroke = dict[str, Any]
RADIUS_PER_WIDTH = 1.0 / 2000.0   # GPv3 radius of a legacy line_width × pressure of 1 (Blender's conversion)
DEFAULT_WIDTH = 3.0


class FrameExists(Exception):
    """The frame is already there: writing would overwrite the artist's drawing."""


class NotGreasePencil(Exception):
    """The object is not a Grease Pencil object (or one this Blender's adapters do not know)."""


class GPData:
    """One Grease Pencil object. Subclasses implement the data model; this class the rules shared by both."""

    model = "?"

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.data = obj.data

    # --- the same in both models: layers with hide/lock and frames with number and keyframe type --------
    name_attribute = "name"   # what a layer's name is called (legacy: "info")

    def _layer(self, name: str) -> Any:
        for layer in self.data.layers:
            if getattr(layer, self.name_attribute) == name:
                return layer
        raise KeyError(f"no layer '{name}'")

    def _frame(self, layer: str, number: int) -> Any:
        for frame in self._layer(layer).frames:
            if frame.frame_number == number:
                return frame
        raise KeyError(f"layer '{layer}' has no frame {number}")

    def layer_names(self) -> list[str]:
        return [getattr(layer, self.name_attribute) for layer in self.data.layers]

    def active_layer(self) -> str | None:
        layer = self.data.layers.active
        return getattr(layer, self.name_attribute) if layer is not None else None

    def layer_editable(self, layer: str) -> bool:
        """Visible and not locked: the only layers a generation writes to."""
        found = self._layer(layer)
        return not (found.hide or found.lock)

    def frame_types(self, layer: str) -> dict[int, str]:
        """Every frame of the layer: number → keyframe type (KEYFRAME, BREAKDOWN, …)."""
        return {frame.frame_number: frame.keyframe_type for frame in self._layer(layer).frames}

    # --- implemented per data model --------------------------------------------------------------------
    def read_strokes(self, layer: str, frame: int) -> list[Stroke]:
        raise NotImplementedError

    def new_layer(self, name: str) -> str:
        """A new layer (its name, which Blender may have made unique)."""
        raise NotImplementedError

    def _write(self, layer: str, number: int, strokes: Sequence[Stroke], keyframe_type: str) -> None:
        raise NotImplementedError

    # --- shared -----------------------------------------------------------------------------------------
    def write_frame(self, layer: str, number: int, strokes: Sequence[Stroke], keyframe_type: str = "BREAKDOWN"
                    ) -> None:
        """A new frame holding `strokes`; FrameExists if the layer has one at `number` already."""
        if number in self.frame_types(layer):
            raise FrameExists(f"Layer '{layer}' already has a frame at {number}; it was left as it is")
        self._write(layer, number, strokes, keyframe_type)

    def ensure_material(self, name: str, rgba: Sequence[float]) -> int:
        """The object's material slot of the Grease Pencil material `name`, made (with stroke colour `rgba`)
        and added to the object if missing. Materials are the same in both data models."""
        import bpy

        slots = self.data.materials
        for index, material in enumerate(slots):
            if material is not None and material.name == name:
                return index
        material = bpy.data.materials.get(name)
        if material is None or not material.is_grease_pencil:
            material = bpy.data.materials.new(name)
            bpy.data.materials.create_gpencil_data(material)
            material.grease_pencil.color = tuple(rgba)
        slots.append(material)
        return len(slots) - 1


def per_point(value: Any, n: int, default: float) -> list[float]:
    """A stroke dict's number-or-list field as one value per point."""
    if value is None:
        return [default] * n
    if isinstance(value, (int, float)):
        return [float(value)] * n
    values = [float(v) for v in value]
    if len(values) != n:
        raise ValueError(f"expected one value per point ({n}), got {len(values)}")
    return values


def points3(points: Sequence[Sequence[float]]) -> list[float]:
    """Flat x, y, z of a stroke's points ([x, y] points lie at z = 0)."""
    flat: list[float] = []
    for p in points:
        flat += [float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 0.0]
    return flat


def colours(value: Any, n: int) -> list[float] | None:
    """Flat RGBA per point, or None when the stroke has none."""
    if not value:
        return None
    if len(value) != n:
        raise ValueError(f"expected one vertex colour per point ({n}), got {len(value)}")
    return [float(c) for rgba in value for c in rgba]


def grouped(flat: Sequence[float], size: int) -> list[list[float]]:
    return [list(flat[i:i + size]) for i in range(0, len(flat), size)]


def adapter_for(obj: Any) -> GPData:
    """The adapter for this Blender's Grease Pencil object; NotGreasePencil for anything else."""
    if obj is None:
        raise NotGreasePencil("Select a Grease Pencil object first")
    if obj.type == "GPENCIL":
        from .gp_legacy import LegacyGP

        return LegacyGP(obj)
    if obj.type == "GREASEPENCIL":
        from .gp_v3 import GreasePencilV3

        return GreasePencilV3(obj)
    raise NotGreasePencil(f"'{obj.name}' is a {obj.type.lower()} object, not Grease Pencil")
