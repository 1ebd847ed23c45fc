"""Runs INSIDE Blender (Debian's blender -b … -P, or a bpy module's python): Grease Pencil FILLS through
Generate Inbetweens. A figure drawn as an artist colours it in Grease Pencil — outlines in a line material,
and closed fill strokes (the fill tool's kind: a fill material, no stroke) for the body, its shadow and the
head — on keys 1 and 5, the second key moved, its strokes in another order and some drawn the other way.
Writes the keys, the generated frames and the object's materials to a JSON file for
tests/test_blender_host.py to judge.

    … fill_scenario.py -- SCENE.json OUT.json ADDON_SOURCE_FOLDER ENGINE
"""
import json
import sys
import traceback

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
SCENE_PATH, OUT_PATH, ADDON_SOURCE, ENGINE = ARGS[:4]
OBJECT = LAYER = "Colour"
out = {"blender": bpy.app.version_string}


def gp():
    from nakawari_gp.gp_data import adapter_for

    return adapter_for(bpy.data.objects[OBJECT])


def build(scene: dict) -> None:
    collection = bpy.data.grease_pencils_v3 if hasattr(bpy.data, "grease_pencils_v3") else bpy.data.grease_pencils
    obj = bpy.data.objects.new(OBJECT, collection.new(OBJECT))
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    data = gp()
    out["model"] = data.model
    layer = data.new_layer(LAYER)
    data.data.layers.active = data.data.layers[0]
    for name, rgba, fill in scene["materials"]:
        slot = data.ensure_material(name, rgba)
        style = data.data.materials[slot].grease_pencil
        # a fill material as the fill tool uses it (the area's colour, no line), else a line material
        style.show_fill, style.show_stroke = fill, not fill
        if fill:
            style.fill_color = tuple(rgba)
    for frame, strokes in scene["keys"].items():
        data.write_frame(layer, int(frame), strokes, "KEYFRAME")
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = 1, 5
    bpy.context.scene.frame_current = 1


def main() -> None:
    with open(SCENE_PATH) as handle:
        scene = json.load(handle)
    import addon_utils

    sys.path.insert(0, ADDON_SOURCE)
    addon_utils.enable("nakawari_gp", default_set=True, handle_error=None)
    bpy.context.preferences.addons["nakawari_gp"].preferences.engine_path = ENGINE
    build(scene)
    bpy.ops.ed.undo_push(message="scene built")
    result = bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", True, scope="RANGE", layers="ACTIVE",
                                                  fill="ONES", ease="linear", arcs=True)
    out["result"] = sorted(result)
    data = gp()
    out["types"] = {str(k): v for k, v in data.frame_types(LAYER).items()}
    out["strokes"] = {str(k): data.read_strokes(LAYER, k) for k in sorted(data.frame_types(LAYER))}
    out["materials"] = [{"name": m.name, "show_fill": m.grease_pencil.show_fill,
                         "show_stroke": m.grease_pencil.show_stroke} for m in data.data.materials]


try:
    main()
except Exception:  # noqa: BLE001 - written to the result file for the test to show
    out["crash"] = traceback.format_exc()
finally:
    with open(OUT_PATH, "w") as handle:
        json.dump(out, handle)
    import addon_utils

    try:  # hand-registered classes left registered crash or hang Blender on exit
        addon_utils.disable("nakawari_gp", default_set=True)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
