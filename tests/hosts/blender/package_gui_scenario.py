"""Runs INSIDE Blender with a window (Debian's blender under Xvfb, `--enable-event-simulate`): the zip from
`nakawari package` installed as a legacy add-on, then Douga to Strokes invoked in the 3D View as a click does:
it goes modal (the engine on its thread, a window timer polling it) while this script's own timer keeps
running (Blender is not frozen); the strokes arrive; one undo removes them; a second run on a slower image is
cancelled with a simulated Esc and adds nothing. Results go to a JSON file for tests/addons/test_blender_package.py.

    blender --factory-startup --enable-event-simulate -P package_gui_scenario.py -- ZIP OUT.json ENGINE DOUGA FRAME
"""
import os
import sys
import time

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import window_steps  # beside this script, which Blender runs by its path

ZIP, OUT_PATH, ENGINE, DOUGA_IMAGE, SLOW_FRAME = sys.argv[sys.argv.index("--") + 1:][:5]
out = {"blender": bpy.app.version_string, "ticks_while_running": 0}
OBJECT = "Drawing"


def layers():
    return sorted(bpy.data.objects[OBJECT].data.layers.keys())


def running():
    return sys.modules["nakawari_gp.op_douga"].NAKAWARI_OT_douga_to_strokes._running


def setup():
    out["install"] = sorted(bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True))
    out["enable"] = sorted(bpy.ops.preferences.addon_enable(module="nakawari_gp"))
    bpy.context.preferences.addons["nakawari_gp"].preferences.engine_path = ENGINE
    obj = bpy.data.objects.new(OBJECT, bpy.data.grease_pencils.new(OBJECT))
    bpy.context.scene.collection.objects.link(obj)
    obj.data.layers.new("Ink")
    window_steps.make_active(obj, "drawing object")


def invoke(image, source):
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        return sorted(bpy.ops.nakawari.douga_to_strokes("INVOKE_DEFAULT", filepath=image, source=source,
                                                        line_width=3.0, height=2.7))


def installing():
    return sys.modules["nakawari_gp.op_install"].NAKAWARI_OT_install_engine._running


def install_cancelled():
    """Steps: Install Engine clicked in the 3D View goes modal (the installer on its thread); Esc while pip
    works stops it and leaves no engine, half-installed or not."""
    op_install = sys.modules["nakawari_gp.op_install"]
    out["install_status_before"] = op_install.status().state
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        out["install_invoked"] = sorted(bpy.ops.nakawari.install_engine("INVOKE_DEFAULT"))
    deadline = time.perf_counter() + 60
    while installing() and "download" not in op_install.PROGRESS.get("message", "").lower() \
            and time.perf_counter() < deadline:
        yield 0.2
    out["install_progress"] = dict(op_install.PROGRESS)
    out["installing_before_esc"] = installing()
    yield from window_steps.escape(installing, timeout=120)
    out["installing_after_esc"] = installing()
    out["install_message"] = op_install.LAST.get("message")
    out["install_status_after"] = op_install.status().state
    engines = sys.modules["nakawari_gp.locate"].engine_root() / "engines"
    out["engines_left"] = sorted(os.listdir(engines)) if engines.is_dir() else []


def script():
    """The steps, each a generator step resumed by the timer (Blender runs its event loop in between)."""
    setup()
    yield from install_cancelled()
    yield from window_steps.settle()
    out["before"] = layers()
    started = time.perf_counter()
    out["invoked"] = invoke(DOUGA_IMAGE, "DOUGA")
    while running():
        out["ticks_while_running"] += 1
        yield 0.1
    out["modal_s"] = time.perf_counter() - started
    out["after"] = layers()
    frames = bpy.data.objects[OBJECT].data.layers[-1].frames
    out["after_frames"] = len(frames)
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        bpy.ops.ed.undo()
    yield 0.2
    out["after_undo"] = layers()
    out["invoked_again"] = invoke(SLOW_FRAME, "FRAME")
    # Esc at once: a window's timer steps can take a second under load, as long as the whole cancelled run.
    out["running_before_esc"] = running()
    yield from window_steps.escape(running)
    out["running_after_esc"] = running()
    yield 0.3
    out["after_esc"] = layers()


window_steps.run_steps(script, out, OUT_PATH, lambda: bpy.ops.preferences.addon_disable(module="nakawari_gp"))
