"""For scripts that run INSIDE Blender (background or with a window): enable the add-on from its source folder,
draw a test scene's keys on a new Grease Pencil object with the add-on's own `gp_data`, and write the script's
findings for the test however it ends. Standard library and bpy only; a script imports it from beside itself:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scene_steps
"""
import json
import sys
import traceback

import bpy

ADDON = "nakawari_gp"


def enable_addon(source: str, engine: str):
    """The add-on from `source` (the checkout's blender_addon/), enabled, its engine set in its preferences as
    an artist sets it; the add-on's entry."""
    import addon_utils

    sys.path.insert(0, source)
    addon_utils.enable(ADDON, default_set=True, handle_error=None)
    addon = bpy.context.preferences.addons.get(ADDON)
    assert addon is not None, "the add-on did not enable"
    addon.preferences.engine_path = engine
    return addon


def adapter(name: str):
    """The add-on's view of object `name`, fetched anew each time: after an undo or a reload old references are
    stale (and in 5.0 a drawing kept across an undo crashes Blender)."""
    from nakawari_gp.gp_data import adapter_for

    return adapter_for(bpy.data.objects[name])


def new_object(name: str, *, active: bool = True):
    """A new Grease Pencil object in the scene (legacy data up to 4.2, GPv3 from 4.3), active and selected
    unless told otherwise (a script with a window makes it active in its 3D View instead)."""
    # GPv3 data is `grease_pencils_v3` in 4.3–4.5 and `grease_pencils` from 5.0 (an empty one is falsy)
    collection = bpy.data.grease_pencils_v3 if hasattr(bpy.data, "grease_pencils_v3") else bpy.data.grease_pencils
    obj = bpy.data.objects.new(name, collection.new(name))
    bpy.context.scene.collection.objects.link(obj)
    if active:
        bpy.context.view_layer.objects.active = obj
        obj.select_set(True)
    return obj


def draw_keys(obj, layer: str, scene: dict, frame_end: int, style=None):
    """A layer `layer` on `obj` holding the scene's keys (frame → stroke dicts) with its materials ([name, rgba,
    …]; `style(material, entry)` may dress each one before the strokes are written), the scene's frame range
    1…frame_end, the current frame 1. Returns (the adapter, the material slots in the scene's order)."""
    from nakawari_gp.gp_data import adapter_for

    data = adapter_for(obj)
    name = data.new_layer(layer)
    data.data.layers.active = data.data.layers[0]
    slots = []
    for entry in scene["materials"]:
        slots.append(data.ensure_material(entry[0], entry[1]))
        if style is not None:
            style(data.data.materials[slots[-1]], entry)
    for frame, strokes in scene["keys"].items():
        data.write_frame(name, int(frame), strokes, "KEYFRAME")
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = 1, frame_end
    bpy.context.scene.frame_current = 1
    return data, slots


def run(main, out: dict, out_path: str) -> None:
    """`main()`, then `out` written to `out_path` (with the traceback when it failed) and the add-on disabled:
    hand-registered classes left registered crash or hang Blender on exit."""
    try:
        main()
    except Exception:  # noqa: BLE001 - written to the result file for the test to show
        out["crash"] = traceback.format_exc()
    finally:
        with open(out_path, "w") as handle:
            json.dump(out, handle)
        import addon_utils

        try:
            addon_utils.disable(ADDON, default_set=True)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
