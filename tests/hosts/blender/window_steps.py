"""For scripts that run INSIDE Blender with a window (Debian's blender under Xvfb): the 3D View to run
operators in, and a generator of steps driven by a Blender timer, so Blender's event loop (modal operators,
their timers, simulated events) runs between the steps. Standard library and bpy only."""
import json
import time
import traceback

import bpy


def view3d():
    """(window, area, region) of the first window's 3D View, for `bpy.context.temp_override`."""
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "VIEW_3D")
    region = next(r for r in area.regions if r.type == "WINDOW")
    return window, area, region


def make_active(obj, message):
    """Select `obj` alone, make it the active object (in the 3D View, where the operators run) and push an
    undo step named `message`, so a later undo stops there."""
    window, area, region = view3d()
    with bpy.context.temp_override(window=window, area=area, region=region):
        for other in list(bpy.context.scene.objects):
            other.select_set(other is obj)
        bpy.context.view_layer.objects.active = obj
        bpy.ops.ed.undo_push(message=message)


def settle(timeout=120.0, smooth_s=1.0):
    """Steps: wait until Blender's event loop runs smoothly (two timer steps of 0.2 s less than `smooth_s`
    apart): with software OpenGL, Blender 5's first draws compile its shaders for many seconds, during which
    no timer runs. Returns by StopIteration the seconds it waited."""
    started = last = time.perf_counter()
    while time.perf_counter() - started < timeout:
        yield 0.2
        now = time.perf_counter()
        if now - last < smooth_s:
            break
        last = now
    return time.perf_counter() - started


def escape(running, timeout=60.0):
    """Steps: press and release Esc in the first window, then wait (at most `timeout` s) until `running()`
    is false."""
    window = bpy.context.window_manager.windows[0]
    window.event_simulate(type="ESC", value="PRESS")
    window.event_simulate(type="ESC", value="RELEASE")
    deadline = time.perf_counter() + timeout
    while running() and time.perf_counter() < deadline:
        yield 0.1


def run_steps(script, out, out_path, before_quit):
    """Run the generator function `script` step by step (each `yield` gives the seconds until the next);
    when it ends or fails, write `out` (with "done" or "crash") to `out_path`, call `before_quit()` and quit."""
    steps = []

    def tick():
        try:
            if not steps:
                steps.append(script())
            return next(steps[0])
        except StopIteration:
            out["done"] = True
        except Exception:  # noqa: BLE001 - written to the result file for the test to show
            out["crash"] = traceback.format_exc()
        with open(out_path, "w") as handle:
            json.dump(out, handle)
        before_quit()
        bpy.ops.wm.quit_blender()
        return None

    bpy.app.timers.register(tick, first_interval=1.0)

