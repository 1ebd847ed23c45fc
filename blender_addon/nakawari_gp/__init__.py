"""nakawari for Blender Grease Pencil: Generate Inbetweens (arcs, any stroke order, one undo) and Douga to
strokes, with the nakawari engine running in its own process.

Modules: `plan` (what to generate, no bpy), `task` (engine calls on a thread), `engine` (finding it; `client`
is the engine's copy), `gp_data` with `gp_legacy` / `gp_v3` (the two Grease Pencil data models), and the
Blender parts `op_generate`, `op_douga`, `ui`, `prefs`. Registration only here; submodules load on register
so the package imports outside Blender (unit tests).
"""
bl_info = {
    "name": "nakawari (Grease Pencil inbetweens)",
    "author": "nakawari",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "View3D > Sidebar > nakawari; Grease Pencil menus",
    "description": "Inbetweens on arcs that survive redrawn stroke order; douga as strokes",
    "category": "Animation",
}


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
