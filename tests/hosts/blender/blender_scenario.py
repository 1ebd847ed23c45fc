"""Runs INSIDE Blender (Debian's blender -b … -P, or a bpy module's python): draws the test scene with the
add-on's `gp_data`, enables the add-on, runs Generate Inbetweens like an artist would, and writes what it
finds to a JSON file for tests/addons/test_blender_host.py to judge (the judging needs numpy and the engine's
metrics; Blender here needs only the standard library).

    … blender_scenario.py -- SCENE.json OUT.json ADDON_SOURCE_FOLDER ENGINE WORK_FOLDER
"""
import json
import os
import sys
import time

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scene_steps  # beside this script, which Blender runs by its path

ARGS = sys.argv[sys.argv.index("--") + 1:]
SCENE_PATH, OUT_PATH, ADDON_SOURCE, ENGINE, WORK = ARGS[:5]
LAYER = "Figure"
OBJECT = "Figure"
out = {"blender": bpy.app.version_string, "steps": []}


def step(name):
    out["steps"].append(name)
    print(f"[nakawari test] {name}", flush=True)


def gp():
    return scene_steps.adapter(OBJECT)


def dump(frames=None):
    data = gp()
    types = data.frame_types(LAYER)
    wanted = sorted(types) if frames is None else frames
    return {"types": {str(k): v for k, v in types.items()},
            "strokes": {str(k): data.read_strokes(LAYER, k) for k in wanted if k in types}}


def build(scene):
    out["model_expected"] = "GPv3" if bpy.app.version >= (4, 3, 0) else "legacy"
    data, slots = scene_steps.draw_keys(scene_steps.new_object(OBJECT), LAYER, scene, 17)
    out["model"] = data.model
    assert slots == list(range(len(slots))), slots


def enable_addon():
    scene_steps.enable_addon(ADDON_SOURCE, ENGINE)  # the engine found through the add-on preference
    out["panel"] = hasattr(bpy.types, "NAKAWARI_PT_sidebar")
    out["menus"] = [name for name in ("VIEW3D_MT_gpencil_animation", "VIEW3D_MT_edit_greasepencil_animation")
                    if getattr(bpy.types, name, None) is not None
                    and any(getattr(f, "__module__", "").startswith("nakawari_gp")
                            for f in getattr(bpy.types, name)._dyn_ui_initialize())]


def refused(**options):
    """The operator's error for options it must refuse: (message, frames before, frames after)."""
    before = sorted(gp().frame_types(LAYER))
    try:
        bpy.ops.nakawari.generate_inbetweens(**options)
        message = None
    except RuntimeError as error:
        message = str(error).strip()
    return {"message": message, "before": before, "after": sorted(gp().frame_types(LAYER))}


def generate():
    from nakawari_gp import engine

    started = time.perf_counter()
    engine.get_client(ENGINE).initialize()  # start the engine before timing the generation (warm engine)
    out["engine_start_s"] = time.perf_counter() - started
    from nakawari_gp import op_generate

    started = time.perf_counter()
    # As a click does it: invoke (which in background mode runs synchronously), with an undo push.
    result = bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", True, scope="RANGE", layers="ACTIVE",
                                                  fill="ONES", ease="linear", arcs=True)
    out["generate_s"] = time.perf_counter() - started
    out["generate_result"] = sorted(result)
    out["timing"] = dict(op_generate.LAST_TIMING)


def second_generation():
    """An artist's own breakdown at frame 5 and a hidden layer: the gap around frame 3 on all layers, on twos,
    eased, fills 3 and 7 of the visible layer, keeps 5 and the hidden layer as they are; writing over any frame
    is refused by the adapter itself. Then undone, with the artist's frame and layer."""
    from nakawari_gp.gp_data import FrameExists

    artist = [{"points": [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]], "width": 4.0, "material": 2}]
    gp().write_frame(LAYER, 5, artist, "BREAKDOWN")
    hidden = gp().new_layer("Hidden")  # keys to fill, but hidden: All layers leaves it alone
    for frame in (1, 9):
        gp().write_frame(hidden, frame, artist, "KEYFRAME")
    gp()._layer(hidden).hide = True
    bpy.ops.ed.undo_push(message="artist's frame")
    bpy.context.scene.frame_current = 3
    result = bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", True, scope="GAP", layers="ALL",
                                                  fill="TWOS", ease="ease-in", arcs=True)
    second = {"result": sorted(result), **dump([3, 5, 7]), "hidden": sorted(gp().frame_types(hidden))}
    try:
        gp().write_frame(LAYER, 7, artist, "BREAKDOWN")
        second["overwrite"] = "written"
    except FrameExists as error:
        second["overwrite"] = str(error)
    second["artist"] = artist
    out["second"] = second
    bpy.ops.ed.undo()
    bpy.ops.ed.undo()
    out["after_second_undo"] = sorted(gp().frame_types(LAYER))
    out["layers_after_second_undo"] = gp().layer_names()


def blender_interpolate():
    """Blender's own Interpolate Sequence (GPv3) on the same keys: each gap around the current frame."""
    bpy.ops.object.mode_set(mode="EDIT")
    started = time.perf_counter()
    for frame in (5, 13):
        bpy.context.scene.frame_current = frame
        bpy.ops.grease_pencil.interpolate_sequence(step=1, layers="ACTIVE", type="LINEAR")
    out["blender_interpolate_s"] = time.perf_counter() - started
    bpy.ops.object.mode_set(mode="OBJECT")
    return dump()


def main():
    with open(SCENE_PATH) as handle:
        scene = json.load(handle)
    step("enable add-on")
    enable_addon()
    step("build scene")
    build(scene)
    bpy.ops.ed.undo_push(message="scene built")
    out["keys_before"] = dump([1, 9, 17])
    step("refusals")
    bpy.context.scene.frame_current = 20
    out["refused_gap"] = refused(scope="GAP")
    bpy.context.scene.frame_current = 1
    addon = bpy.context.preferences.addons["nakawari_gp"]
    addon.preferences.engine_path = os.path.join(WORK, "no-engine-here")
    out["refused_engine"] = refused(scope="RANGE")
    addon.preferences.engine_path = ENGINE
    # A marker, its own undo step: the generation's undo must take the generation away and leave this.
    bpy.context.scene.timeline_markers.new("before generation", frame=1)
    bpy.ops.ed.undo_push(message="marker")
    step("generate")
    generate()
    out["after"] = dump()
    blend = os.path.join(WORK, "generated.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend, copy=True)
    step("undo")
    bpy.ops.ed.undo()
    out["after_undo"] = dump()
    out["markers_after_undo"] = [m.name for m in bpy.context.scene.timeline_markers]
    step("second generation around an artist's frame")
    second_generation()
    if out["model"] == "GPv3":
        step("blender interpolate_sequence")
        out["interpolate_sequence"] = blender_interpolate()
    step("reload")
    bpy.ops.wm.open_mainfile(filepath=blend)
    out["reloaded"] = dump()
    step("done")


scene_steps.run(main, out, OUT_PATH)
