"""Runs INSIDE Blender (Debian's blender -b … -P, or a bpy module's python): Grease Pencil FILLS through
Generate Inbetweens. A figure drawn as an artist colours it in Grease Pencil — outlines in a line material,
and closed fill strokes (the fill tool's kind: a fill material, no stroke) for the body, its shadow and the
head — on keys 1 and 5, the second key moved, its strokes in another order and some drawn the other way.
Writes the keys, the generated frames and the object's materials to a JSON file for
tests/addons/test_blender_host.py to judge.

    … fill_scenario.py -- SCENE.json OUT.json ADDON_SOURCE_FOLDER ENGINE
"""
import json
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scene_steps  # beside this script, which Blender runs by its path

ARGS = sys.argv[sys.argv.index("--") + 1:]
SCENE_PATH, OUT_PATH, ADDON_SOURCE, ENGINE = ARGS[:4]
OBJECT = LAYER = "Colour"
out = {"blender": bpy.app.version_string}


def fill_or_line(material, entry) -> None:
    """A fill material as the fill tool uses it (the area's colour, no line), else a line material."""
    _name, rgba, fill = entry
    style = material.grease_pencil
    style.show_fill, style.show_stroke = fill, not fill
    if fill:
        style.fill_color = tuple(rgba)


def main() -> None:
    with open(SCENE_PATH) as handle:
        scene = json.load(handle)
    scene_steps.enable_addon(ADDON_SOURCE, ENGINE)
    data, _slots = scene_steps.draw_keys(scene_steps.new_object(OBJECT), LAYER, scene, 5, style=fill_or_line)
    out["model"] = data.model
    bpy.ops.ed.undo_push(message="scene built")
    result = bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", True, scope="RANGE", layers="ACTIVE",
                                                  fill="ONES", ease="linear", arcs=True)
    out["result"] = sorted(result)
    data = scene_steps.adapter(OBJECT)
    out["types"] = {str(k): v for k, v in data.frame_types(LAYER).items()}
    out["strokes"] = {str(k): data.read_strokes(LAYER, k) for k in sorted(data.frame_types(LAYER))}
    out["materials"] = [{"name": m.name, "show_fill": m.grease_pencil.show_fill,
                         "show_stroke": m.grease_pencil.show_stroke} for m in data.data.materials]


scene_steps.run(main, out, OUT_PATH)
