"""One engine call on a Python thread, polled from the GUI thread (no Qt here: a QTimer polls `state()`)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .client import EngineCancelled, EngineClient, EngineError


@dataclass
class TaskState:
    done: int = 0
    total: int = 0
    message: str = ""
    finished: bool = False
    cancelled: bool = False
    result: Any = None
    error: EngineError | None = None


class EngineTask:
    def __init__(self, client: EngineClient, method: str, params: dict[str, Any]) -> None:
        self.client, self.method, self.params = client, method, params
        self._state = TaskState()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"nakawari-{method}", daemon=True)

    def start(self) -> EngineTask:
        self._thread.start()
        return self

    def cancel(self) -> None:
        with self._lock:
            self._state.cancelled = True
        self.client.cancel()

    def state(self) -> TaskState:
        with self._lock:
            return TaskState(**vars(self._state))

    def wait(self, timeout: float | None = None) -> TaskState:
        self._thread.join(timeout)
        return self.state()

    def _progress(self, done: int, total: int, message: str) -> None:
        with self._lock:
            self._state.done, self._state.total, self._state.message = done, total, message

    def _run(self) -> None:
        result, error = None, None
        try:
            result = self.client.call(self.method, self.params, progress=self._progress)
        except EngineError as failure:
            error = failure
        except Exception as failure:  # noqa: BLE001 - report, never leave the GUI waiting
            error = EngineError(f"unexpected error talking to the engine: {failure}")
        with self._lock:
            if isinstance(error, EngineCancelled):
                self._state.cancelled = True
            self._state.result, self._state.error, self._state.finished = result, error, True
