"""`nakawari serve`: the engine behind the Krita and Blender add-ons.

JSON-RPC 2.0, one JSON object per line on stdin/stdout. Jobs run one at a time on a worker thread, so
`cancel` and `initialize` are answered while a job runs. Pixels never travel inline: requests name image
files (PNG) in a folder the client owns, and results are written to an `out` folder the client names.
Nothing but protocol lines is written to stdout; logs go to stderr.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import __version__
from .errors import BadInput, Cancelled
from .gpu import torch_cuda_available  # not .inbetween.device: that package loads the whole engine
from .host_kit import PROTOCOL_VERSION
from .jobs import registry
from .jobs.params import BadParams
from .logs import write_failure_log
from .progress import Cancel, Progress
from .server_params import id_problem

# A request line this long is refused unread: requests name files (pixels never travel inline); the largest
# legitimate line is a strokes request at the stroke limits (2 keys of 2 million points ≈ 100 MB).
MAX_LINE_BYTES = 256 << 20

# JSON-RPC error codes: the standard ones, and ours in the implementation-defined range.
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
BAD_INPUT, NOT_AVAILABLE, CANCELLED = -32001, -32002, -32800


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data




# Job method → (params, progress, cancel) → result: the registry's jobs, each imported when first run (a table
# of callables, so a test or an embedding can put its own in).
JOBS: dict[str, Callable[[dict[str, Any], Progress, Cancel], Any]] = {
    name: registry.job(name).run_params for name in registry.SERVED}


@functools.cache
def available_jobs() -> tuple[str, ...]:
    """Job methods whose engine module is installed: found, not yet run, so `initialize` answers at once
    (importing them all took seconds); `warm_up` imports them next, in the background."""
    return tuple(name for name in registry.SERVED if registry.job(name).installed())


WARM_LINE = "nakawari serve: warmed up"  # in the log when done (`bench speed` waits for it)


def warm_up(log: IO[str], busy: Callable[[], bool] = lambda: False,
            engine: threading.Lock | None = None) -> None:
    """Import every job's module (a broken one is named in the log, as its job will fail) and inbetween two
    tiny keys in memory, so that the artist's first job pays for neither. Runs once, on its own thread;
    the tiny inbetween is left out when ``busy()`` says a job came first (it warms what it needs itself).
    ``engine``: held while warming, as jobs hold it while they run: two threads importing the same libraries
    at once can deadlock in Python's import locks (seen as "deadlock detected by _ModuleLock")."""
    with engine if engine is not None else contextlib.nullcontext():
        _warm_up(log, busy)


def _warm_up(log: IO[str], busy: Callable[[], bool]) -> None:
    started = time.perf_counter()
    for method in available_jobs():
        try:
            registry.job(method).load()
        except Exception as error:  # noqa: BLE001 - logged; the job reports it when asked for
            print(f"nakawari serve: '{method}' unavailable: {error}", file=log, flush=True)
    if busy():
        print(f"{WARM_LINE} (imports only: a job came first) in {time.perf_counter() - started:.2f} s",
              file=log, flush=True)
        return
    try:
        registry.warm_up()  # tiny keys inbetweened (`jobs.warm`)
    except Exception as error:  # noqa: BLE001 - warming is an optimisation: never a failure
        print(f"nakawari serve: warm-up skipped: {error}", file=log, flush=True)
        return
    print(f"{WARM_LINE} in {time.perf_counter() - started:.2f} s", file=log, flush=True)


def available_devices() -> list[str]:
    return ["cpu", "cuda"] if torch_cuda_available() else ["cpu"]


@dataclass
class _Job:
    id: Any
    method: str
    params: dict[str, Any]
    cancelled: threading.Event = field(default_factory=threading.Event)


class Server:
    """Reads requests from `source`, writes responses and notifications to `sink` (one JSON line each)."""

    def __init__(self, source: IO[str] | IO[bytes], sink: IO[str], log: IO[str] = sys.stderr) -> None:
        self.source, self.sink, self.log = source, sink, log
        self._write_lock = threading.Lock()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._pending: dict[Any, _Job] = {}  # queued or running, by request id
        self._pending_lock = threading.Lock()
        self._worker = threading.Thread(target=self._work, name="nakawari-worker", daemon=True)
        self._engine = threading.Lock()  # the warm-up and the jobs take turns (see `warm_up`)
        self._warm = threading.Thread(target=warm_up, args=(log, lambda: bool(self._pending), self._engine),
                                      name="nakawari-warm-up", daemon=True)

    # --- output ---------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        line = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False)
        if not _encodable(line):  # a request's lone surrogate echoed back: escape it rather than fail to write
            line = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=True)
        with self._write_lock:
            self.sink.write(line + "\n")
            self.sink.flush()

    def _reply(self, request_id: Any, result: Any) -> None:
        self._send({"id": request_id, "result": result})

    def _error(self, request_id: Any, error: RpcError) -> None:
        body: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.data:
            body["data"] = error.data
        self._send({"id": request_id, "error": body})

    def _progress(self, request_id: Any) -> Progress:
        def report(done: int, total: int, message: str = "") -> None:
            self._send({"method": "progress",
                        "params": {"id": request_id, "done": int(done), "total": int(total), "message": message}})
        return report

    # --- the loop -------------------------------------------------------------------------------
    def serve(self) -> int:
        self._worker.start()
        try:
            for line in self._lines():
                if line is None:
                    self._error(None, RpcError(PARSE_ERROR, f"line longer than {MAX_LINE_BYTES >> 20} MiB: not read"))
                elif line.strip() and self._handle_safely(line) == "shutdown":
                    break
        finally:
            self._cancel_all()
            self._jobs.put(None)
            self._worker.join(timeout=30)
        return 0

    def _lines(self) -> Iterator[str | bytes | None]:
        """The source's lines; None for a line past MAX_LINE_BYTES, whose rest is skipped unread into memory."""
        readline = getattr(self.source, "readline", None)
        if readline is None:  # an iterable of lines (tests, embedding): taken as they come
            yield from self.source
            return
        while line := readline(MAX_LINE_BYTES + 1):
            if len(line) <= MAX_LINE_BYTES or line[-1:] in ("\n", b"\n"):
                yield line
                continue
            while (rest := readline(MAX_LINE_BYTES)) and rest[-1:] not in ("\n", b"\n"):
                pass
            yield None

    def _handle_safely(self, line: str | bytes) -> str | None:
        """One line, whatever it holds: a malformed line gets an error object and the engine keeps serving."""
        try:
            return self._handle_line(line)
        except Exception as error:  # noqa: BLE001 - one bad line must never end the engine
            log = _log_failure()
            self._error(None, RpcError(INTERNAL_ERROR, f"unexpected error: {error} (details in {log})",
                                       {"log": str(log)}))
            return None

    def _handle_line(self, line: str | bytes) -> str | None:
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as error:
                self._error(None, RpcError(PARSE_ERROR, f"not a UTF-8 line: {error.reason} at byte {error.start}"))
                return None
        try:
            message = json.loads(line)
        except json.JSONDecodeError as error:
            self._error(None, RpcError(PARSE_ERROR, f"not a JSON line: {error}"))
            return None
        except RecursionError:
            self._error(None, RpcError(PARSE_ERROR, "not a JSON line this engine reads: nested too deeply"))
            return None
        if isinstance(message, dict) and "id" in message and id_problem(message["id"]) is not None:
            self._error(None, RpcError(INVALID_REQUEST, f"'id' {id_problem(message['id'])}"))
            return None
        request_id = message.get("id") if isinstance(message, dict) else None
        method = message.get("method") if isinstance(message, dict) else None
        params = message.get("params", {}) if isinstance(message, dict) else None
        if not isinstance(method, str) or message.get("jsonrpc") != "2.0" or not isinstance(params, dict):
            self._error(request_id, RpcError(INVALID_REQUEST, "expected a JSON-RPC 2.0 request with named params"))
            return None
        if "id" not in message and method != "cancel":
            request_id = None  # only `cancel` is useful as a notification; jobs need an id (refused below)
        try:
            if method == "cancel" and id_problem(params.get("id")) is not None:
                raise RpcError(INVALID_PARAMS, f"'id' {id_problem(params.get('id'))}", {"field": "id"})
            if method == "cancel" and "id" not in message:
                self._cancel(params.get("id"))  # a notification: no answer
            elif method == "initialize":
                self._reply(request_id, self.initialize())
                if self._warm.ident is None:  # after the answer, once
                    self._warm.start()
            elif method == "cancel":
                self._reply(request_id, {"cancelled": self._cancel(params.get("id"))})
            elif method == "shutdown":
                self._cancel_all()
                self._reply(request_id, None)
                return "shutdown"
            elif method in JOBS:
                self._queue(request_id, method, params)
            else:
                raise RpcError(METHOD_NOT_FOUND, f"unknown method '{method}'")
        except RpcError as error:
            self._error(request_id, error)
        return None

    def initialize(self) -> dict[str, Any]:
        return {"name": "nakawari", "version": __version__, "protocol": PROTOCOL_VERSION,
                "capabilities": list(available_jobs()), "devices": available_devices(), "pid": os.getpid()}

    def _queue(self, request_id: Any, method: str, params: dict[str, Any]) -> None:
        if request_id is None:
            raise RpcError(INVALID_REQUEST, f"'{method}' needs an id (it is a request, not a notification)")
        if method not in available_jobs():
            raise RpcError(NOT_AVAILABLE, f"'{method}' is not available in this engine (nakawari {__version__}); "
                                          "update the nakawari engine")
        job = _Job(request_id, method, params)
        with self._pending_lock:
            if request_id in self._pending:
                raise RpcError(INVALID_REQUEST, f"request id {request_id!r} is already in use")
            self._pending[request_id] = job
        self._jobs.put(job)

    def wait_idle(self, timeout: float) -> bool:
        """True once no job is queued or running (for tests and embedding)."""
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._pending

    def _cancel(self, request_id: Any) -> bool:
        """Cancel one request (or, without an id, every queued and running one)."""
        if request_id is None:
            return self._cancel_all()
        with self._pending_lock:
            job = self._pending.get(request_id)
        if job is None:
            return False
        job.cancelled.set()
        return True

    def _cancel_all(self) -> bool:
        with self._pending_lock:
            jobs = list(self._pending.values())
        for job in jobs:
            job.cancelled.set()
        return bool(jobs)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._run(job)
            finally:
                with self._pending_lock:
                    self._pending.pop(job.id, None)

    def _run(self, job: _Job) -> None:
        if job.cancelled.is_set():
            self._error(job.id, RpcError(CANCELLED, "cancelled; nothing was written"))
            return
        print(f"nakawari serve: {job.method} (id {job.id!r})", file=self.log, flush=True)
        try:
            with self._engine:  # a job that comes during the warm-up waits for it (at most a second or two)
                result = JOBS[job.method](job.params, self._progress(job.id), job.cancelled.is_set)
        except RpcError as error:
            self._error(job.id, error)
        except BadParams as error:  # the client's mistake: invalid params, naming the field to blame
            self._error(job.id, RpcError(INVALID_PARAMS, error.message,
                                         {"field": error.field} if error.field is not None else None))
        except Cancelled:
            self._error(job.id, RpcError(CANCELLED, "cancelled; nothing was written"))
        except BadInput as error:
            self._error(job.id, RpcError(BAD_INPUT, str(error),
                                         {"problem": error.problem, "path": error.path}))
        except MemoryError:
            log = _log_failure()
            self._error(job.id, RpcError(INTERNAL_ERROR, f"the engine ran out of memory; nothing was written "
                                                         f"(details in {log})", {"log": str(log)}))
        except Exception as error:  # noqa: BLE001 - report it to the artist, keep serving
            log = _log_failure()
            self._error(job.id, RpcError(INTERNAL_ERROR, f"unexpected error: {error} (details in {log})",
                                         {"log": str(log)}))
        else:
            self._reply(job.id, result)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _log_failure() -> Path:
    return write_failure_log("nakawari", f"nakawari {__version__} serve\n\n{traceback.format_exc()}")


def serve() -> int:
    """Run on this process's stdio. Stray prints (ours or a library's, C level included) go to stderr."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    source = open(sys.stdin.fileno(), "rb", closefd=False)  # bytes: a line that is not UTF-8 gets an error
    return Server(source, protocol_out).serve()
