"""Install engine, for the legacy add-on (Blender 3.4–4.1, or "Install legacy Add-on" later): the engine
wheel its zip carries, installed with its libraries from the Python package index into a private environment
in the add-on's user folder, by the host kit's installer (`engine_install`, shared with Krita) on its own
thread. Progress in the status bar and the panels, Esc cancels; a failed or cancelled install leaves the
engine in use as it was. The 4.2+ extension carries its engine and has no such button (no downloads)."""
# No `from __future__ import annotations`: Blender registers the operators here.
import os
from types import ModuleType
from typing import Any

import bpy

from . import engine, locate

PROGRESS: dict = {}  # the running install for the panels: message, fraction (main thread only)
LAST: dict = {}      # the last install's end: message, log


def _installer() -> ModuleType:
    """The host kit's installer; reached only where `available()` says this add-on carries it."""
    assert engine.installer is not None
    return engine.installer


def available() -> bool:
    """This add-on carries an engine to install (the legacy zip), and is not the extension."""
    return engine.installer is not None and locate.engine_wheel() is not None and not locate.is_extension()


def status() -> Any:
    """The installer's view of the installed engine (state, version, message) against the carried wheel."""
    wheel = locate.engine_wheel()
    return _installer().engine_status(locate.engine_root(), _installer().wheel_version(wheel))


def refusal() -> str:
    """Why an install cannot start now ('' when it can)."""
    if not available():
        return "This add-on carries no engine to install: install the nakawari add-on zip made by `nakawari package`"
    if not getattr(bpy.app, "online_access", True):  # 4.2+: the artist chose to keep Blender offline
        return ("Blender is set to work offline (Preferences > System > Network): allow online access to download "
                "the engine's libraries")
    return ""


def python_setting(context: Any) -> str:
    addon = context.preferences.addons.get(__package__)
    return str(getattr(getattr(addon, "preferences", None), "python_path", "") or "")


def engine_missing(context: Any) -> bool:
    """No engine would run: nothing set, none carried or installed, none on PATH."""
    setting = engine.engine_setting(context)
    if engine.chosen_command(setting, locate.carried_engine(), os.environ):
        return False
    try:
        engine.client.find_engine(setting)
        return False
    except engine.EngineError:
        return True


class NAKAWARI_OT_install_engine(bpy.types.Operator):
    """Install the nakawari engine this add-on carries, with its libraries from the Python package index
    (about 400 MB), in the add-on's own folder"""

    bl_idname = "nakawari.install_engine"
    bl_label = "Install Engine"
    _running = False  # one install at a time (class-wide: Blender makes a new instance per call)

    @classmethod
    def poll(cls, context: Any) -> bool:
        return available() and not cls._running

    def _start(self, context: Any) -> bool:
        problem = refusal()
        if problem:
            self.report({"ERROR"}, problem)
            return False
        settings = _installer().InstallSettings(root=locate.engine_root(), wheel=locate.engine_wheel(),
                                                    python=python_setting(context))
        engine.shutdown()  # the next call starts whichever engine is in use once this ends
        self._job = _installer().Install(settings).start()
        return True

    def execute(self, context: Any) -> set:
        """Synchronous: scripts and background mode."""
        if not self._start(context):
            return {"CANCELLED"}
        return self._finish(self._job.wait())

    def invoke(self, context: Any, event: Any) -> set:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._start(context):
            return {"CANCELLED"}
        type(self)._running = True
        self._timer = context.window_manager.event_timer_add(0.2, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: Any, event: Any) -> set:
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            return {"RUNNING_MODAL"}  # the installer stops pip and removes its folder; its end comes as usual
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = self._job.state()
        PROGRESS.update(message=state.message, fraction=state.done / max(state.total, 1))
        context.workspace.status_text_set(f"nakawari: installing the engine: {state.message} "
                                          f"({PROGRESS['fraction']:.0%}), Esc cancels")
        for area in context.screen.areas:
            area.tag_redraw()  # the sidebar and the preferences show the progress
        if not state.finished:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        type(self)._running = False
        PROGRESS.clear()
        return self._finish(state)

    def _finish(self, state: Any) -> set:
        LAST.update(log=state.log or "")
        if state.cancelled:
            LAST["message"] = "Install cancelled; the engine in use is as it was"
            self.report({"WARNING"}, LAST["message"])
            return {"CANCELLED"}
        if not state.ok:
            LAST["message"] = state.error.splitlines()[0] if state.error else "The install failed"
            self.report({"ERROR"}, LAST["message"] + (f" (log: {state.log})" if state.log else ""))
            return {"CANCELLED"}
        LAST["message"] = f"nakawari engine installed in {state.seconds:.0f} s"
        self.report({"INFO"}, LAST["message"])
        return {"FINISHED"}


class NAKAWARI_OT_remove_engine(bpy.types.Operator):
    """Remove the engines Install Engine put in the add-on's folder (their logs stay)"""

    bl_idname = "nakawari.remove_engine"
    bl_label = "Remove Engine"

    @classmethod
    def poll(cls, context: Any) -> bool:
        return available() and not NAKAWARI_OT_install_engine._running

    def execute(self, context: Any) -> set:
        engine.shutdown()  # a running engine holds its folder (Windows)
        _installer().remove_engine(locate.engine_root())
        self.report({"INFO"}, "nakawari engine removed")
        return {"FINISHED"}


def draw_install(layout: Any) -> None:
    """The installed engine's state and what can be done about it (legacy add-on only)."""
    if not available():
        return
    box = layout.box()
    if PROGRESS:
        box.label(text=f"Installing: {PROGRESS.get('message', '')} ({PROGRESS.get('fraction', 0.0):.0%}), "
                       "Esc cancels", icon="TIME")
        return
    current = status()
    box.label(text=current.message, icon="CHECKMARK" if current.state == _installer().READY else "INFO")
    labels = {_installer().NOT_INSTALLED: "Install Engine", _installer().INCOMPLETE: "Repair Engine",
              _installer().UPDATE_NEEDED: "Update Engine", _installer().NEWER: "Repair Engine",
              _installer().READY: "Reinstall Engine"}
    row = box.row()
    row.operator(NAKAWARI_OT_install_engine.bl_idname, text=labels.get(current.state, "Install Engine"),
                 icon="IMPORT")
    if current.state != _installer().NOT_INSTALLED:
        row.operator(NAKAWARI_OT_remove_engine.bl_idname, icon="TRASH")
    if LAST.get("message"):
        box.label(text=LAST["message"])
    if LAST.get("log"):
        box.operator("wm.path_open", text="Open Install Log", icon="TEXT").filepath = LAST["log"]


CLASSES = (NAKAWARI_OT_install_engine, NAKAWARI_OT_remove_engine)
