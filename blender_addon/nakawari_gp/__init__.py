"""nakawari for Blender Grease Pencil: Generate Inbetweens (arcs, any stroke order, one undo) and Douga to
strokes, with the nakawari engine running in its own process.

Modules: `plan` (what to generate, no bpy), `engine` (finding it), `gp_data` with `gp_legacy` / `gp_v3` (the
two Grease Pencil data models), and the Blender parts `op_generate`, `op_douga`, `op_install`, `modal`, `ui`,
`prefs`. The host kit shared with Krita (`host_kit`: protocol, message shapes, planner, log folder; `client`;
`engine_job`: engine calls on a thread; `engine_install`) is copied in by `nakawari package`; run from the
source tree, it is loaded from core/ here. Registration only here; submodules load on register so the
package imports outside Blender (unit tests).
"""
import importlib.util
import sys
from pathlib import Path

bl_info = {
    "name": "nakawari (Grease Pencil inbetweens)",
    "author": "nakawari",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "View3D > Sidebar > nakawari; Grease Pencil menus",
    "description": "Inbetweens on arcs that survive redrawn stroke order; douga as strokes",
    "category": "Animation",
}

HOST_KIT = ("host_kit", "client", "engine_job", "engine_install")  # in import order (package.HOST_KIT)


def _host_kit_from_source_tree() -> None:
    """Run from the source tree (tests, development) the package has no copy of the host kit: load core/'s
    modules under this package's name, so `from .client import …` works as in the zips. The extension carries
    no `engine_install`; where core/ is not beside the add-on, a missing one stays missing."""
    here, core = Path(__file__).resolve().parent, Path(__file__).resolve().parents[2] / "core"
    for name in HOST_KIT:
        full_name, source = f"{__name__}.{name}", core / f"{name}.py"
        if full_name in sys.modules or (here / f"{name}.py").is_file() or not source.is_file():
            continue
        spec = importlib.util.spec_from_file_location(full_name, source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[full_name] = module
        spec.loader.exec_module(module)


_host_kit_from_source_tree()


def _classes() -> tuple:
    from . import op_douga, op_generate, op_install, prefs, ui

    return (*op_generate.CLASSES, *op_douga.CLASSES, *op_install.CLASSES, *ui.CLASSES, prefs.NakawariPreferences)


def register() -> None:
    import bpy

    from . import ui

    for cls in _classes():
        bpy.utils.register_class(cls)
    bpy.types.Scene.nakawari_gp = bpy.props.PointerProperty(type=ui.NakawariSettings)
    ui.add_menus()
    bpy.app.timers.register(_start_engine, first_interval=1.0)  # once Blender is up, not during start-up


def _start_engine() -> None:
    """Start the engine in the background and let it warm up: the first Generate finds it ready."""
    import bpy

    from . import locate

    try:
        locate.client(bpy.context).start()
    except Exception:  # noqa: BLE001 - no engine yet (or none found): the first operator reports it
        pass
    return None  # run once


def unregister() -> None:
    import bpy

    from . import engine, ui

    if bpy.app.timers.is_registered(_start_engine):
        bpy.app.timers.unregister(_start_engine)
    ui.remove_menus()
    del bpy.types.Scene.nakawari_gp
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
    engine.shutdown()
