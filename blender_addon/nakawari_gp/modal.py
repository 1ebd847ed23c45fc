"""The modal half of an operator whose engine work runs on a thread: a window timer polls the work, the
progress shows in the status bar and the cursor, Esc cancels, and Blender stays usable meanwhile. The
operator (`class Op(EngineModal, bpy.types.Operator)`) starts its work, then returns `self.go_modal(context)`;
it provides `poll_work() -> (fraction, message, finished)`, `cancel_work()` and `finish(context)`."""
# No `from __future__ import annotations`: Blender registers the operators that mix this in.
from typing import Any

TIMER_S = 0.1


class EngineModal:
    _running = False  # one run at a time per operator (class-wide: Blender makes a new instance per call)

    def poll_work(self) -> tuple:
        raise NotImplementedError

    def cancel_work(self) -> None:
        raise NotImplementedError

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
            self.cancel_work()
            return {"RUNNING_MODAL"}  # the work stops soon; its end is handled like any other
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        fraction, message, finished = self.poll_work()
        context.window_manager.progress_update(int(100 * fraction))
        context.workspace.status_text_set(f"nakawari: {message} ({fraction:.0%}) — Esc cancels")
        if not finished:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        context.workspace.status_text_set(None)
        type(self)._running = False
        return self.finish(context)
