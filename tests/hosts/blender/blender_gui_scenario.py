"""Runs INSIDE Blender with a window (Debian's blender 3.4.1 or sid's 5.2.2 under Xvfb,
`--enable-event-simulate`): the path an artist's click takes, which background mode cannot show. Generate
Inbetweens is invoked in the 3D View and goes modal (the engine on its thread, a window timer polling it);
this script's own timer keeps running meanwhile (Blender is not frozen); the frames arrive; one undo removes
them; a second run is cancelled with a simulated Esc and leaves the keys alone; the sidebar panel and a Grease
Pencil menu draw. Results go to a JSON file for tests/addons/test_blender_host.py.

    blender --factory-startup --enable-event-simulate -P blender_gui_scenario.py -- SCENE.json OUT.json ADDON ENGINE
"""
import json
import os
import sys
import time

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scene_steps  # beside this script, which Blender runs by its path
import window_steps

ARGS = sys.argv[sys.argv.index("--") + 1:]
SCENE_PATH, OUT_PATH, ADDON_SOURCE, ENGINE = ARGS[:4]
out = {"blender": bpy.app.version_string, "ticks_while_running": 0}
LAYER = OBJECT = "Figure"


def frames():
    return sorted(scene_steps.adapter(OBJECT).frame_types(LAYER))


def running():
    from nakawari_gp.op_generate import NAKAWARI_OT_generate_inbetweens

    return NAKAWARI_OT_generate_inbetweens._running


def setup():
    scene_steps.enable_addon(ADDON_SOURCE, ENGINE)
    with open(SCENE_PATH) as handle:
        scene = json.load(handle)
    obj = scene_steps.new_object(OBJECT, active=False)
    scene_steps.draw_keys(obj, LAYER, scene, 17)
    window_steps.make_active(obj, "scene built")


def invoke():
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        return sorted(bpy.ops.nakawari.generate_inbetweens("INVOKE_DEFAULT", scope="RANGE", layers="ACTIVE",
                                                            fill="ONES", ease="linear", arcs=True))


def screenshot():
    """Steps: the window as an artist sees it after a generation (front view, an inbetween, the sidebar's
    nakawari tab), saved beside the results for the documentation."""
    window, area, region = window_steps.view3d()
    window.event_simulate(type="ESC", value="PRESS")  # closes the splash screen (no modal operator runs now)
    window.event_simulate(type="ESC", value="RELEASE")
    bpy.context.scene.frame_set(5)
    with bpy.context.temp_override(window=window, area=area, region=region):
        bpy.ops.view3d.view_axis(type="FRONT")
        bpy.ops.view3d.view_selected()
    yield 0.5
    with bpy.context.temp_override(window=window, area=area, region=region):
        bpy.ops.wm.call_panel(name="NAKAWARI_PT_sidebar", keep_open=True)  # the sidebar's panel, at the mouse
    yield 1.0  # drawn
    path = os.path.join(os.path.dirname(OUT_PATH), "window.png")
    with bpy.context.temp_override(window=window):
        out["screenshot"] = sorted(bpy.ops.screen.screenshot(filepath=path, check_existing=False))
    out["screenshot_path"] = path
    window.event_simulate(type="ESC", value="PRESS")  # closes the panel
    window.event_simulate(type="ESC", value="RELEASE")
    bpy.context.scene.frame_set(1)
    yield 0.2


def script():
    """The steps, each a generator step resumed by the timer (Blender runs its event loop in between)."""
    setup()
    out["settle_s"] = yield from window_steps.settle()
    out["keys"] = frames()
    started = time.perf_counter()
    out["invoked"] = invoke()
    while running():
        out["ticks_while_running"] += 1
        yield 0.1
    out["modal_s"] = time.perf_counter() - started
    out["after"] = frames()
    yield from screenshot()
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        bpy.ops.ed.undo()
    yield 0.2
    out["after_undo"] = frames()
    out["invoked_again"] = invoke()
    # Esc at once: a window's timer steps can take a second under load, as long as the whole cancelled run.
    out["running_before_esc"] = running()
    yield from window_steps.escape(running)
    out["running_after_esc"] = running()
    out["after_esc"] = frames()
    # Last (a popup would take the Esc above): the sidebar panel and a Grease Pencil menu draw our entries.
    window, area, region = window_steps.view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        out["panel_popup"] = sorted(bpy.ops.wm.call_panel(name="NAKAWARI_PT_sidebar"))
        # The Grease Pencil menu of Edit mode (it polls the mode): legacy names up to 4.2, GPv3 ones after.
        v3 = bpy.app.version >= (4, 3, 0)
        bpy.ops.object.mode_set(mode="EDIT" if v3 else "EDIT_GPENCIL")
        out["menu_popup"] = sorted(bpy.ops.wm.call_menu(name="VIEW3D_MT_edit_greasepencil" if v3
                                                        else "VIEW3D_MT_edit_gpencil"))
    yield 0.5


def before_quit():
    import addon_utils

    addon_utils.disable("nakawari_gp", default_set=True)


window_steps.run_steps(script, out, OUT_PATH, before_quit)
