"""An operator's engine calls on a worker thread; Blender's main thread polls `state()` (from a modal timer)
and alone touches Blender data, as Blender requires. No bpy here."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import EngineCancelled, EngineError
from .plan import Request


@dataclass(frozen=True)
class EngineCall:
    method: str
    params: dict[str, Any]
    purpose: str       # what the method does, for the error when an older engine lacks it
    label: str = ""    # put before this call's progress messages ("layer 'Lines'")


def inbetween_calls(requests: Sequence[Request]) -> list[EngineCall]:
    """Generate Inbetweens' requests as engine calls, their progress named after the layer."""
    return [EngineCall("strokes.inbetween", r.params, "inbetween strokes", f"layer '{r.layer}'") for r in requests]


@dataclass
class JobState:
    fraction: float = 0.0          # of all calls together, 0..1
    message: str = "starting the engine"
    finished: bool = False
    cancelled: bool = False
    error: str | None = None
    log: str | None = None
    engine_s: float = 0.0          # time in engine calls (starting the engine included)
    responses: list[dict[str, Any]] = field(default_factory=list)  # one per call, in order

    @property
    def error_line(self) -> str:
        """The error as one line for `Operator.report`, naming the engine's log when there is one."""
        details = f" (details: {self.log})" if self.log else ""
        return (self.error or "the engine returned nothing").splitlines()[0] + details


class EngineJob:
    def __init__(self, client: Any, calls: Sequence[EngineCall]) -> None:
        self.client, self.calls = client, list(calls)
        self._state = JobState()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="nakawari-engine-job", daemon=True)

    def start(self) -> EngineJob:
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> JobState:
        self._thread.join(timeout)
        return self.state()

    def state(self) -> JobState:
        with self._lock:
            copy = JobState(**vars(self._state))
            copy.responses = list(self._state.responses)
            return copy

    def cancel(self) -> None:
        with self._lock:
            self._state.cancelled = True
        self.client.cancel()

    def _progress(self, index: int) -> Any:
        label = self.calls[index].label

        def report(done: int, total: int, message: str) -> None:
            with self._lock:
                self._state.fraction = (index + (done / total if total else 0.0)) / len(self.calls)
                self._state.message = f"{label}: {message}" if label else message
        return report

    def _run(self) -> None:
        error, log = None, None
        started = time.perf_counter()
        try:
            self.client.initialize()
            for index, call in enumerate(self.calls):
                if self.state().cancelled:
                    break
                if not self.client.has(call.method):
                    version = (self.client.info or {}).get("version", "?")
                    error = f"This nakawari engine ({version}) cannot {call.purpose}; update it"
                    break
                response = self.client.call(call.method, call.params, progress=self._progress(index))
                with self._lock:
                    self._state.responses.append(response)
        except EngineCancelled:
            with self._lock:
                self._state.cancelled = True
        except EngineError as failure:
            error, log = failure.message, failure.log
        except Exception as failure:  # noqa: BLE001 - report it; never leave Blender waiting
            error = f"unexpected error talking to the engine: {failure}"
        with self._lock:
            self._state.engine_s = time.perf_counter() - started
            self._state.error, self._state.log, self._state.finished = error, log, True
            if not self._state.cancelled and error is None:
                self._state.fraction = 1.0
