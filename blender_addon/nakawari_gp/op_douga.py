"""Douga to Strokes: an image (a file, or the image open in an Image Editor) → the engine's douga
(`douga.strokes`: ten line and fill classes as vector strokes) → Grease Pencil strokes on a new layer of the
active Grease Pencil object, at the current frame, with one material per class named after it.

Where the strokes land: the image stands upright in the object's X-Z plane (Blender's front view, where
Grease Pencil draws by default), centred on the object's origin, `height` units tall. Line classes become
open or closed strokes `line_width` image pixels wide (the same width relative to the image as the douga's
lines); fill classes become closed strokes drawn as fills (their materials show fill, not line), below the
lines (see `core/douga/strokes.py`). The layer and the materials are written at the end, in one go, so the
operator's one undo step removes them. As in Generate, the engine works on a thread while a modal timer shows
progress and Esc cancels; in background mode (scripts, tests) `invoke` runs it synchronously.
"""
# No `from __future__ import annotations`: Blender reads the property annotations of these classes.
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import engine, locate
from .engine_job import EngineCall, EngineJob
from .gp_data import NotGreasePencil, adapter_for
from .host_kit import DOUGA_STROKES, DougaClass, DougaStrokesParams, DougaStrokesResult
from .modal import EngineModal

WIDTH_PER_UNIT = 1000.0  # a stroke width of 1000 is one unit wide (GPv3 radius = width / 2000: gp_data)


class DougaError(Exception):
    """A problem the artist can fix (no image, no Grease Pencil object, an engine without douga strokes)."""


def image_from_editors(context: Any) -> Any:
    """The image of the Image Editor the operator runs in, else of the first Image Editor showing one."""
    space = getattr(context, "space_data", None)
    if space is not None and space.type == "IMAGE_EDITOR" and space.image is not None:
        return space.image
    screen = getattr(context, "screen", None)
    for area in screen.areas if screen is not None else ():
        if area.type == "IMAGE_EDITOR" and area.spaces.active.image is not None:
            return area.spaces.active.image
    return None


def image_file(image: Any, folder: str) -> str:
    """A PNG (or the image's own file) the engine can read: the file on disk when the image is an unchanged
    file, else its pixels as they are in `folder` (Blender's own image writers would apply the scene's view
    transform; douga colours must stay exact)."""
    if image.source == "FILE" and image.packed_file is None and not image.is_dirty:
        path = bpy.path.abspath(image.filepath, library=image.library)
        if os.path.isfile(path):
            return path
    width, height = image.size
    if width == 0 or height == 0:
        raise DougaError(f"The image '{image.name}' has no pixels")
    pixels = np.empty(width * height * 4, np.float32)
    image.pixels.foreach_get(pixels)
    if image.is_float and image.colorspace_settings.name.startswith("Linear"):
        # Float images hold scene-linear values; the engine reads colours as an image file shows them (sRGB).
        rgb = pixels.reshape(-1, 4)[:, :3]
        rgb[:] = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(np.maximum(rgb, 0), 1 / 2.4) - 0.055)
    path = os.path.join(folder, f"{bpy.path.clean_name(image.name)}.png")
    Path(path).write_bytes(png_bytes(pixels.reshape(height, width, 4)))
    return path


def png_bytes(pixels: Any) -> bytes:
    """RGBA float pixels (H, W, 4), bottom row first as Blender keeps them → an 8-bit RGBA PNG."""
    height, width = pixels.shape[:2]
    values = np.clip(np.rint(pixels[::-1] * 255.0), 0, 255).astype(np.uint8)  # PNG rows run top to bottom
    rows = np.concatenate([np.zeros((height, 1), np.uint8), values.reshape(height, 4 * width)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes()))
            + chunk(b"IEND", b""))


def host_strokes(result: DougaStrokesResult, height: float, line_width: float) -> list[dict[str, Any]]:
    """The engine's strokes (image pixels, y down) → stroke dicts in object space (X right, Z up, image
    centred on the origin, `height` units tall); material = class index, mapped to slots by `write_douga`."""
    scale = height / float(result["height"])
    cx, cy = float(result["width"]) / 2.0, float(result["height"]) / 2.0
    width_factor = scale * WIDTH_PER_UNIT  # image px → stroke width, so lines keep their width on the image
    engine_width = float(result.get("line_width") or line_width)
    strokes = []
    for stroke in result["strokes"]:
        width = stroke.get("width", engine_width)
        widths = [w * width_factor for w in width] if isinstance(width, list) else width * width_factor
        strokes.append({"points": [[(x - cx) * scale, 0.0, (cy - y) * scale] for x, y in stroke["points"]],
                        "width": widths, "opacity": stroke.get("opacity", 1.0),
                        "closed": bool(stroke.get("closed", False)), "material": int(stroke["material"])})
    return strokes


def linear(srgb_byte: int) -> float:
    """An sRGB value (0..255) as Blender's scene-linear colour properties hold it (material colours are
    linear: the class colours, given in sRGB, then look as they are named)."""
    c = srgb_byte / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def class_material(gp: Any, douga_class: DougaClass) -> int:
    """The slot of the class's material (made if missing): its name and colour; fill classes fill, lines
    draw lines."""
    rgba = [linear(c) for c in douga_class["rgb"]] + [1.0]
    index = gp.ensure_material(douga_class["name"], rgba)
    style = gp.data.materials[index].grease_pencil
    if douga_class["line"]:
        style.show_stroke, style.show_fill = True, False
    else:
        style.show_stroke, style.show_fill = False, True
        style.fill_color = rgba
    return index


def write_douga(obj: Any, result: DougaStrokesResult, frame: int, name: str, height: float,
                line_width: float) -> tuple[str, int]:
    """A new layer on `obj` holding the douga's strokes at `frame`; (layer name, strokes written)."""
    gp = adapter_for(obj)
    strokes = host_strokes(result, height, line_width)
    classes = {c["index"]: c for c in result["classes"]}
    slots = {index: class_material(gp, classes[index]) for index in sorted({s["material"] for s in strokes})}
    for stroke in strokes:
        stroke["material"] = slots[stroke["material"]]
    layer = gp.new_layer(name)
    gp.write_frame(layer, frame, strokes, "KEYFRAME")
    return layer, len(strokes)


class NAKAWARI_OT_douga_to_strokes(EngineModal, bpy.types.Operator):
    """Turn an image into douga strokes (ten line and fill classes) on a new layer of the active Grease Pencil
    object, one material per class"""

    bl_idname = "nakawari.douga_to_strokes"
    bl_label = "Douga to Strokes"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads this class attribute

    filepath: bpy.props.StringProperty(
        name="Image", subtype="FILE_PATH",
        description="A colour frame or douga image; empty: the image open in an Image Editor")
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    source: bpy.props.EnumProperty(
        name="Image is", default="FRAME",
        items=(("FRAME", "Colour frame", "A finished colour frame: the engine finds its lines and fill areas"),
               ("DOUGA", "Douga", ("A douga already in the ten class colours (drawn by an artist, or made by "
                                  "`nakawari douga`)"))))
    line_width: bpy.props.FloatProperty(
        name="Line width", default=3.0, min=0.5, max=50.0,
        description="Width of the douga lines in image pixels; the strokes keep that width on the image")
    height: bpy.props.FloatProperty(name="Height", default=5.0, min=0.001, soft_max=100.0, subtype="DISTANCE",
                                    description="Height of the image in the object's space")
    fills: bpy.props.BoolProperty(name="Fills", default=True,
                                  description="Fill areas as filled shapes below the lines (else lines only)")

    @classmethod
    def poll(cls, context: Any) -> bool:
        obj = context.active_object
        return obj is not None and obj.type in ("GPENCIL", "GREASEPENCIL") and not cls._running

    def invoke(self, context: Any, event: Any) -> set[str]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self.filepath and image_from_editors(context) is None:
            self._browsing = True  # no image open: ask for a file; Blender then calls `execute`
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        return self._run_modal(context)

    def _start(self, context: Any) -> bool:
        try:
            obj = context.active_object
            adapter_for(obj)
            self._object_name, self._frame = obj.name, context.scene.frame_current
            self._folder = tempfile.mkdtemp(prefix="douga-", dir=locate.work_folder())
            if self.filepath:
                path = bpy.path.abspath(self.filepath)
                if not os.path.isfile(path):
                    raise DougaError(f"{path}: no such image file")
                self._name = f"douga {Path(path).stem}"
            else:
                image = image_from_editors(context)
                if image is None:
                    raise DougaError("No image: choose an image file, or open one in an Image Editor")
                path = image_file(image, self._folder)
                self._name = f"douga {Path(image.name).stem}"
            client = locate.client(context)
        except (DougaError, NotGreasePencil, engine.EngineError) as error:
            self.report({"ERROR"}, str(error))
            return False
        params: DougaStrokesParams = {"frame": path, "line_width": self.line_width, "fills": self.fills,
                                      "input": self.source.lower()}
        self._job = EngineJob(client, [EngineCall(DOUGA_STROKES, params, "turn douga into strokes")]).start()
        return True

    def execute(self, context: Any) -> set[str]:
        """Synchronous (scripts, background, the Adjust Last Operation panel's redo, which must not go modal),
        except right after this instance's file browser, where the artist is waiting in the interface."""
        if getattr(self, "_browsing", False) and not bpy.app.background and context.window is not None:
            return self._run_modal(context)
        if not self._start(context):
            return {"CANCELLED"}
        self._job.wait()
        return self.finish(context)

    def _run_modal(self, context: Any) -> set[str]:
        """The engine on its thread; `EngineModal` polls it, Esc cancels, Blender stays usable meanwhile."""
        if not self._start(context):
            return {"CANCELLED"}
        return self.go_modal(context)

    def finish(self, context: Any) -> set[str]:
        state = self._job.state()
        shutil.rmtree(self._folder, ignore_errors=True)
        if state.cancelled:
            self.report({"WARNING"}, "Douga to strokes cancelled; nothing was changed")
            return {"CANCELLED"}
        if state.error is not None or not state.responses:
            self.report({"ERROR"}, state.error_line)
            return {"CANCELLED"}
        obj = bpy.data.objects.get(self._object_name)  # looked up again: the artist may have changed things
        if obj is None:
            self.report({"ERROR"}, f"The object '{self._object_name}' is gone; nothing was written")
            return {"CANCELLED"}
        try:
            layer, count = write_douga(obj, state.responses[0], self._frame, self._name, self.height, self.line_width)
        except (NotGreasePencil, RuntimeError, ValueError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{count} douga strokes on layer '{layer}', frame {self._frame}")
        if context.area is not None:
            context.area.tag_redraw()
        return {"FINISHED"}


CLASSES = (NAKAWARI_OT_douga_to_strokes,)
