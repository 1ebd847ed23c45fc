"""An add-on's engine calls on a worker thread, polled from the host's GUI thread (Krita's QTimer, Blender's
modal timer), which alone touches the document, as both hosts require. No Qt, no bpy here.

Part of the host kit (`package.HOST_KIT`): standard library only, Python ≥ 3.10, copied into the add-on zips
beside `client.py`.

    job = EngineJob(client, [EngineCall("inbetween", params, "inbetween frames")]).start()
    state = job.state()        # from a timer: fraction, message, finished, cancelled, error, log, responses
    job.cancel()               # from the GUI: stops the running call; nothing is written
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .client import EngineCancelled, EngineClient, EngineError


@dataclass(frozen=True)
class EngineCall:
    method: str
    params: Mapping[str, Any]
    purpose: str = ""  # what the method does, for the error when an older engine lacks it ("" : not checked)
    label: str = ""    # put before this call's progress messages ("layer 'Lines'")


@dataclass
class JobState:
    fraction: float = 0.0          # of all calls together, 0..1
    done: int = 0                  # the running call's own progress (`total` 0: not known yet)
    total: int = 0
    message: str = "starting the engine"
    finished: bool = False
    cancelled: bool = False
    error: str | None = None       # for the artist (the engine's message)
    log: str | None = None         # the log holding the details, when there is one
    engine_s: float = 0.0          # time in engine calls (starting the engine included)
    info: dict[str, Any] | None = None  # the engine's `initialize` answer
    responses: list[Any] = field(default_factory=list)  # one per call, in order

    @property
    def error_line(self) -> str:
        """The error as one line for a status bar, naming the engine's log when there is one."""
        details = f" (details: {self.log})" if self.log else ""
        return (self.error or "the engine returned nothing").splitlines()[0] + details


class EngineJob:
    """`initialize` (the protocol check, and what the engine can do), then each call in turn. With no calls it
    only starts the engine and asks what it can do (`state().info`)."""

    def __init__(self, client: EngineClient, calls: Sequence[EngineCall] = ()) -> None:
        self.client, self.calls = client, list(calls)
        self._state = JobState()
        self._lock = threading.Lock()
        name = f"nakawari-{self.calls[0].method}" if self.calls else "nakawari-initialize"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

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

    def _progress(self, index: int) -> Callable[[int, int, str], None]:
        label = self.calls[index].label

        def report(done: int, total: int, message: str) -> None:
            with self._lock:
                self._state.done, self._state.total = done, total
                self._state.fraction = (index + (done / total if total else 0.0)) / len(self.calls)
                self._state.message = f"{label}: {message}" if label else message
        return report

    def _run(self) -> None:
        error, log = None, None
        started = time.perf_counter()
        try:
            info = self.client.initialize()
            with self._lock:
                self._state.info = info
            for index, call in enumerate(self.calls):
                if self.state().cancelled:
                    break
                if call.purpose and not self.client.has(call.method):
                    error = f"This nakawari engine ({info.get('version', '?')}) cannot {call.purpose}; update it"
                    break
                response = self.client.call(call.method, dict(call.params), progress=self._progress(index))
                with self._lock:
                    self._state.responses.append(response)
        except EngineCancelled:
            with self._lock:
                self._state.cancelled = True
        except EngineError as failure:
            error, log = failure.message, failure.log
        except Exception as failure:  # noqa: BLE001 - report it; never leave the host waiting
            error = f"unexpected error talking to the engine: {failure}"
        with self._lock:
            self._state.engine_s = time.perf_counter() - started
            self._state.error, self._state.log, self._state.finished = error, log, True
            if not self._state.cancelled and error is None:
                self._state.fraction = 1.0
