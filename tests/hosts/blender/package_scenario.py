"""Runs INSIDE Blender (Debian's blender -b … -P, or a bpy module's python): installs the add-on zip that
`nakawari package` wrote the way an artist does (as a 4.2+ extension, or as a legacy add-on), enables it,
runs Generate Inbetweens on a figure with three keys (tests/hosts/blender/scene.py, drawn through the
installed add-on's own adapter) and Douga to Strokes on an image, and writes what it finds (every frame's
strokes included, for the onion-skin picture) to a JSON file for tests/addons/test_blender_package.py to judge.
Blender here needs only the standard library.

    … package_scenario.py -- MODE ZIP OUT.json ENGINE IMAGE WORK_FOLDER SCENE.json   (MODE: extension | legacy)
"""
import importlib
import json
import os
import sys
import time
import traceback

import bpy

MODE, ZIP, OUT_PATH, ENGINE, IMAGE, WORK, SCENE = sys.argv[sys.argv.index("--") + 1:][:7]
LAYER = "Ink"
DOUGA_FRAME = 9
out = {"blender": bpy.app.version_string, "mode": MODE, "steps": []}


def step(name):
    out["steps"].append(name)
    print(f"[nakawari package test] {name}", flush=True)


def install():
    """The zip through Blender's own installer; returns the add-on's module name."""
    import addon_utils  # Blender's own module: importable once bpy is

    if MODE == "extension":
        result = bpy.ops.extensions.package_install_files(filepath=ZIP, repo="user_default",
                                                          enable_on_install=True)
        module = "bl_ext.user_default.nakawari_gp"
    else:
        result = bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True)  # legacy, legacy-install
        module = "nakawari_gp"
        out["enable"] = sorted(bpy.ops.preferences.addon_enable(module=module))
    out["install"] = sorted(result)
    default, loaded = addon_utils.check(module)
    out["enabled"] = bool(default and loaded)
    out["installed_in"] = os.path.dirname(sys.modules[module].__file__)
    out["installed_files"] = sorted(os.listdir(out["installed_in"]))
    return module


def figure_scene(module):
    """A GP object with one layer holding the scene's keys (frames 1, 9, 17), materials first."""
    with open(SCENE, encoding="utf-8") as handle:
        scene = json.load(handle)
    gp_data = importlib.import_module(module + ".gp_data")
    # GPv3 from 4.3: `grease_pencils_v3` until 4.5, `grease_pencils` from 5.0; legacy before.
    v3_in_43_to_45 = (4, 3, 0) <= bpy.app.version < (5, 0, 0)
    collection = bpy.data.grease_pencils_v3 if v3_in_43_to_45 else bpy.data.grease_pencils
    obj = bpy.data.objects.new("Figure", collection.new("Figure"))
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    gp = gp_data.adapter_for(obj)
    out["model"] = gp.model
    layer = gp.new_layer(LAYER)
    gp.data.layers.active = gp.data.layers[0] if gp.model == "GPv3" else gp.data.layers.get(layer)
    for name, rgba in scene["materials"]:
        gp.ensure_material(name, rgba)
    for frame, strokes in scene["keys"].items():
        gp.write_frame(layer, int(frame), strokes, "KEYFRAME")
    bpy.context.scene.frame_start, bpy.context.scene.frame_end, bpy.context.scene.frame_current = 1, 17, 1
    return obj, gp_data


def generate(obj, gp_data):
    with bpy.context.temp_override(active_object=obj, object=obj):
        out["generate"] = sorted(bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", scope="RANGE",
                                                                       layers="ACTIVE", fill="ONES"))
    gp = gp_data.adapter_for(obj)
    types = gp.frame_types(LAYER)
    out["frames"] = {str(k): v for k, v in types.items()}
    # Every frame as drawn (x, z in object space; width; material), for the onion-skin picture.
    out["drawn"] = {str(k): [{"points": [[p[0], p[2]] for p in s["points"]], "width": s["width"],
                              "material": s["material"]} for s in gp.read_strokes(LAYER, k)]
                    for k in sorted(types)}


def install_engine(module):
    op_install = sys.modules[module + ".op_install"]
    out["engine_missing_before"] = op_install.engine_missing(bpy.context)
    out["status_before"] = op_install.status().state
    started = time.perf_counter()
    out["install_engine"] = sorted(bpy.ops.nakawari.install_engine())
    out["install_s"] = time.perf_counter() - started
    out["status_after"] = op_install.status().state
    out["engine_missing_after"] = op_install.engine_missing(bpy.context)
    out["install_message"] = op_install.LAST.get("message")


def engine_used(module):
    """Which engine ran and where the add-on keeps its files (Blender's Python and its folders)."""
    engine = sys.modules[module + ".engine"]
    client = engine._client
    out["engine_command"] = client.command
    out["engine_info"] = client.info
    out["engine_log"] = str(client.log_path)
    out["python"] = sys.executable
    out["python_version"] = sys.version.split()[0]
    out["numpy"] = __import__("numpy").__version__  # Blender's own, which the extension must leave in place
    out["numpy_file"] = __import__("numpy").__file__
    locate = sys.modules[module + ".locate"]
    out["user_folder"] = str(locate.user_folder())
    out["addon_folder_files"] = sorted(os.listdir(os.path.dirname(sys.modules[module].__file__)))


def douga(obj, module):
    before = set(obj.data.layers.keys())
    bpy.context.scene.frame_current = DOUGA_FRAME
    with bpy.context.temp_override(active_object=obj, object=obj):
        out["douga"] = sorted(bpy.ops.nakawari.douga_to_strokes(filepath=IMAGE, source="DOUGA", line_width=3.0,
                                                                        height=2.7))
    gp = importlib.import_module(module + ".gp_data").adapter_for(obj)
    (layer,) = set(obj.data.layers.keys()) - before
    strokes = gp.read_strokes(layer, DOUGA_FRAME)
    out["douga_layer"] = {"name": layer, "frames": sorted(gp.frame_types(layer)), "strokes": len(strokes),
                          "materials": sorted({gp.data.materials[s["material"]].name for s in strokes}),
                          "z_range": [min(p[2] for s in strokes for p in s["points"]),
                                      max(p[2] for s in strokes for p in s["points"])],
                          "drawn": [{"points": [[p[0], p[2]] for p in s["points"]], "width": s["width"],
                                     "closed": s["closed"], "class": gp.data.materials[s["material"]].name}
                                    for s in strokes]}
    out["materials"] = {m.name: {"color": list(m.grease_pencil.color), "fill": m.grease_pencil.show_fill,
                                 "line": m.grease_pencil.show_stroke}
                        for m in gp.data.materials if m is not None}
    try:  # bad input: an ERROR report, which Blender raises as RuntimeError to a script
        with bpy.context.temp_override(active_object=obj, object=obj):
            bpy.ops.nakawari.douga_to_strokes(filepath=os.path.join(WORK, "missing.png"))
        out["missing_error"] = None
    except RuntimeError as error:
        out["missing_error"] = str(error)
    out["layers_after_error"] = sorted(obj.data.layers.keys())


def douga_from_image_editor(obj, module):
    """No file given: the image an Image Editor shows, here packed into the .blend (so its pixels, not a
    file, go to the engine); the operator looks through the screen's editors for it."""
    screen = next(s for s in bpy.data.screens if any(a.type == "IMAGE_EDITOR" for a in s.areas))
    area = next(a for a in screen.areas if a.type == "IMAGE_EDITOR")
    image = bpy.data.images.load(IMAGE)
    image.pack()
    area.spaces.active.image = image
    before = set(obj.data.layers.keys())
    bpy.ops.ed.undo_push(message="image in the editor")
    with bpy.context.temp_override(screen=screen, active_object=obj, object=obj):
        # As the panel's button calls it (invoke; in background it runs at once), with its undo step.
        out["douga_editor"] = sorted(bpy.ops.nakawari.douga_to_strokes("INVOKE_DEFAULT", True, source="DOUGA",
                                                                       line_width=3.0, height=2.7))
    gp = importlib.import_module(module + ".gp_data").adapter_for(obj)
    (layer,) = set(obj.data.layers.keys()) - before
    out["douga_editor_layer"] = {"name": layer, "strokes": len(gp.read_strokes(layer, DOUGA_FRAME))}
    bpy.ops.ed.undo()  # one undo takes the whole conversion away
    obj = bpy.data.objects["Figure"]  # fetched anew: references do not survive an undo
    out["after_undo"] = {"layers": sorted(obj.data.layers.keys()),
                         "materials": sorted(m.name for m in obj.data.materials if m is not None)}


def generated_image(module):
    """An image made in Blender (no file): the operator hands the engine its exact pixels."""
    op_douga = importlib.import_module(module + ".op_douga")
    image = bpy.data.images.new("made in blender", 3, 2, alpha=True)
    values = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 160 / 255, 96 / 255, 1.0,
              200 / 255, 170 / 255, 230 / 255, 1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0]
    image.pixels.foreach_set(values)
    path = op_douga.image_file(image, WORK)
    loaded = bpy.data.images.load(path)
    out["image_roundtrip"] = {"path": path, "size": list(loaded.size),
                              "written": [round(v * 255) for v in values],
                              "read": [round(v * 255) for v in loaded.pixels[:]]}
    # A float image holds linear values: the file the engine reads has the sRGB colours they show as.
    linear = bpy.data.images.new("float in blender", 3, 2, alpha=True, float_buffer=True)
    linear.pixels.foreach_set([v if i % 4 == 3 else to_linear(v) for i, v in enumerate(values)])
    loaded = bpy.data.images.load(op_douga.image_file(linear, WORK))
    out["float_roundtrip"] = [round(v * 255) for v in loaded.pixels[:]]


def to_linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def main():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    step("install")
    module = install()
    if ENGINE != "-":  # "-": a new user's path, no engine set up by hand (the extension's own)
        preferences = bpy.context.preferences.addons[module].preferences
        preferences.engine_path = ENGINE  # as an artist sets it
    if MODE == "legacy-install":  # the legacy add-on's Install Engine button, as a new user presses it
        install_engine(module)
    step("scene")
    obj, gp_data = figure_scene(module)
    step("generate")
    generate(obj, gp_data)
    engine_used(module)
    step("douga")
    douga(obj, module)
    step("image editor")
    douga_from_image_editor(obj, module)
    step("image")
    generated_image(module)
    step("disable")
    bpy.ops.preferences.addon_disable(module=module)
    import addon_utils

    out["disabled"] = not addon_utils.check(module)[1]
    step("done")


try:
    main()
except Exception:  # noqa: BLE001 - the test reads the traceback from the JSON
    out["error"] = traceback.format_exc()
    print(out["error"], file=sys.stderr, flush=True)
with open(OUT_PATH, "w", encoding="utf-8") as handle:
    json.dump(out, handle)
sys.exit(1 if "error" in out else 0)
