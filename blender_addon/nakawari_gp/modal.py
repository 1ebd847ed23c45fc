"""The modal half of an operator whose engine work runs on a thread: a window timer polls the work, the
progress shows in the status bar and the cursor, Esc cancels, and Blender stays usable meanwhile. The
operator (`class Op(EngineModal, bpy.types.Operator)`) starts its `EngineJob` as `self._job`, then returns
`self.go_modal(context)`; it provides `finish(context)`, called once the job has ended."""
# No `from __future__ import annotations`: Blender registers the operators that mix this in.
from typing import TYPE_CHECKING, Any

from .engine_job import EngineJob

TIMER_S = 0.1


class EngineModal:
    _running = False  # one run at a time per operator (class-wide: Blender makes a new instance per call)
    if TYPE_CHECKING:  # for the type checker only: Blender would read a class annotation as an operator property
        _job: EngineJob

    def finish(self, context: Any) -> set:
        raise NotImplementedError

    def go_modal(self, context: Any) -> set:
        type(self)._running = True
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_S, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: Any, event: Any) -> set:
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            return {"RUNNING_MODAL"}  # the work stops soon; its end is handled like any other
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = self._job.state()
        context.window_manager.progress_update(int(100 * state.fraction))
        context.workspace.status_text_set(f"nakawari: {state.message} ({state.fraction:.0%}) — Esc cancels")
        if not state.finished:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        context.workspace.status_text_set(None)
        type(self)._running = False
        return self.finish(context)
