"""Talk to the nakawari engine (`nakawari serve`) from a host application: Krita, Blender, a script.

Standard library only (Python ≥ 3.10): `nakawari package` copies this file into the add-on zips, with the
rest of the host kit (`host_kit.py`: protocol version, method names, log folder; `engine_job.py`: calls on
a thread), where neither numpy nor the engine is importable. The engine runs in its own process, so a crash or an
out-of-memory there leaves the host and the artist's document alone; the next call starts a fresh one.

    client = EngineClient(engine_setting)              # path from the add-on's settings, or ""
    info = client.initialize()                         # {"version", "capabilities", "devices", ...}
    result = client.call("inbetween", {...}, progress=lambda done, total, message: ...)
    client.cancel()                                    # from another thread: stops the running call
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .host_kit import CANCEL, INITIALIZE, PROGRESS, SHUTDOWN, log_folder, protocol_problem

ENV_VAR = "NAKAWARI_ENGINE"
EXECUTABLE = "nakawari"
CANCELLED = -32800  # the engine's error code for a cancelled request (see core/server.py)

ProgressCallback = Callable[[int, int, str], None]


class EngineError(Exception):
    """Something an artist should read: no engine, engine crashed, or the engine refused the job."""

    def __init__(self, message: str, *, code: int | None = None, data: dict[str, Any] | None = None,
                 log: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.data, self.log = message, code, data or {}, log


class EngineCancelled(EngineError):
    """The call was cancelled; the engine wrote nothing."""


def find_engine(setting: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The `nakawari` executable: the host's setting, then $NAKAWARI_ENGINE, then PATH.

    A setting or variable may name the executable or a folder holding it (a virtual environment, its bin/).
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    for origin, value in (("the add-on setting", setting), (ENV_VAR, env.get(ENV_VAR))):
        if value and value.strip():
            found = _executable_in(Path(value.strip()).expanduser())
            if found is None:
                raise EngineError(f"The nakawari engine set in {origin} was not found: {value.strip()}. "
                                  "Point it at the `nakawari` program (or the folder holding it).")
            return found
    found = shutil.which(EXECUTABLE, path=env.get("PATH"))
    if found is None:
        raise EngineError("The nakawari engine was not found. Install it (pip install nakawari) and set the "
                          f"path to the `nakawari` program in the add-on's settings, or in {ENV_VAR}, "
                          "or put it on PATH.")
    return found


def _executable_in(path: Path) -> str | None:
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    if path.is_dir():
        for folder in (path, path / "bin", path / "Scripts"):
            for name in (EXECUTABLE, EXECUTABLE + ".exe"):
                candidate = folder / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
    return None


class _Call:
    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.done = threading.Event()
        self.response: dict[str, Any] | None = None


class EngineClient:
    """One engine process, started on first use and restarted after a crash. Thread-safe: a worker thread
    makes the call while the UI thread may `cancel()`."""

    def __init__(self, engine: str | None = None, *, log_dir: str | os.PathLike[str] | None = None,
                 environ: dict[str, str] | None = None, start_timeout: float = 120.0,
                 command: list[str] | None = None) -> None:
        self.engine_setting = engine
        # The whole command that serves the protocol, instead of finding `nakawari` (a host's own Python
        # running an engine it carries: the Blender extension's bundled wheels).
        self.command = list(command) if command else None
        self.environ = dict(os.environ if environ is None else environ)
        # The engine is its own Python: the host's module paths (Krita's pykrita, holding a package also named
        # `nakawari`; Blender's bundled Python) would shadow the engine's modules.
        for variable in ("PYTHONPATH", "PYTHONHOME"):
            self.environ.pop(variable, None)
        self.log_dir = Path(log_dir) if log_dir else log_folder()
        self.start_timeout = start_timeout
        self.log_path: Path | None = None
        self.info: dict[str, Any] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._eof = threading.Event()  # set by the reader thread when the current engine's stdout ends

    # --- process ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self.running:
                assert self._process is not None
                return self._process
            self._discard_process()
            argv = self.command or [find_engine(self.engine_setting, self.environ), "serve"]
            executable = argv[0]
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = self.log_dir / f"nakawari-engine-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
            log = open(self.log_path, "ab")
            try:
                # stdin/stdout carry the protocol; the engine's own messages go to the log file.
                self._process = subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    env=self.environ, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
            except OSError as error:
                raise EngineError(f"The nakawari engine could not be started ({executable}): {error.strerror}",
                                  log=str(self.log_path)) from None
            finally:
                log.close()
            self._eof = threading.Event()
            threading.Thread(target=self._read, args=(self._process, self._eof), name="nakawari-client-reader",
                             daemon=True).start()
            self.info = None
            return self._process

    def _discard_process(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            try:  # stdout belongs to the reader thread, which ends at its end of file
                if self._process.stdin:
                    self._process.stdin.close()
            except OSError:
                pass
            self._process.wait()
            self._process = None

    def _read(self, process: subprocess.Popen[bytes], eof: threading.Event) -> None:
        """Reader thread: route responses to their waiting call and progress to its callback."""
        assert process.stdout is not None
        for raw in process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # not protocol; the engine keeps stdout clean, so this is noise from a wrapper
            if message.get("method") == PROGRESS:
                params: dict[str, Any] = message.get("params") or {}
                call_id = params.get("id")
                call = self._calls.get(call_id) if call_id is not None else None
                if call is not None and call.progress is not None:
                    try:
                        call.progress(int(params.get("done", 0)), int(params.get("total", 0)),
                                      str(params.get("message", "")))
                    except Exception:  # noqa: BLE001 - a host callback must not kill the reader
                        pass
                continue
            call = self._calls.get(message.get("id"))
            if call is not None:
                call.response = message
                call.done.set()
        # End of stdout: the engine exited; calls still waiting see `eof` and report the crash.
        process.wait()
        eof.set()

    def _crash_error(self, returncode: int | None) -> EngineError:
        tail = ""
        if self.log_path and self.log_path.exists():
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            tail = "\n".join(lines[-5:])
        message = (f"The nakawari engine stopped unexpectedly (exit status {returncode}). Your document is "
                   f"unchanged; the next try starts a fresh engine. Details in {self.log_path}")
        return EngineError(message + (f"\n{tail}" if tail else ""), log=str(self.log_path))

    # --- calls -------------------------------------------------------------------------------------
    def _send(self, process: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
        assert process.stdin is not None
        data = (json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode("utf-8")
        with self._lock:
            try:
                process.stdin.write(data)
                process.stdin.flush()
            except OSError:
                raise self._crash_error(_exit_status(process)) from None

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             progress: ProgressCallback | None = None, timeout: float | None = None) -> Any:
        """Send one request and wait for its result; raises EngineError (EngineCancelled when cancelled)."""
        process = self._ensure_started()
        eof = self._eof
        request_id = next(self._ids)
        call = _Call(progress)
        self._calls[request_id] = call
        try:
            self._send(process, {"id": request_id, "method": method, "params": params or {}})
            self._wait(call, eof, method, request_id, timeout)
        finally:
            self._calls.pop(request_id, None)
        response = call.response or {}
        if "crashed" in response:
            with self._lock:
                if self._process is process:
                    self._discard_process()
            raise self._crash_error(response["crashed"])
        if "error" in response:
            error = response["error"] or {}
            data = error.get("data") or {}
            kind = EngineCancelled if error.get("code") == CANCELLED else EngineError
            raise kind(str(error.get("message", "the engine refused the request")), code=error.get("code"),
                       data=data, log=data.get("log") or (str(self.log_path) if self.log_path else None))
        return response.get("result")

    def _wait(self, call: _Call, eof: threading.Event, method: str, request_id: int, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not call.done.wait(0.1):
            if eof.is_set() and not call.done.is_set():
                assert self._process is not None
                call.response = {"crashed": self._process.returncode}
                return
            if deadline is not None and time.monotonic() > deadline:
                self._cancel_ids([request_id])
                raise EngineError(f"The nakawari engine did not finish '{method}' within {timeout:g} s; "
                                  "it was asked to stop.", log=str(self.log_path))

    def initialize(self) -> dict[str, Any]:
        """The engine's version, capabilities (job methods it has) and devices; cached per engine process."""
        if self.info is None or not self.running:
            self._ensure_started()
            info = self.call(INITIALIZE, {"client": "nakawari.client", "python": sys.version.split()[0]},
                             timeout=self.start_timeout)
            problem = protocol_problem(info)
            if problem is not None:  # an engine from another release: say so, use nothing
                raise EngineError(problem, log=str(self.log_path))
            self.info = info
        return self.info

    def start(self) -> threading.Thread:
        """Start the engine and ask `initialize` on a thread of its own, returning at once: a host calls this
        when it loads, so that the engine is ready, and has warmed up what the first job needs, by the time
        the artist asks for one. A failure here is not reported: the first real call starts and reports."""
        def begin() -> None:
            try:
                self.initialize()
            except EngineError:
                pass

        thread = threading.Thread(target=begin, name="nakawari-client-start", daemon=True)
        thread.start()
        return thread

    def has(self, capability: str) -> bool:
        return capability in self.initialize().get("capabilities", [])

    def cancel(self) -> None:
        """Cancel every call in flight (safe from any thread; returns at once)."""
        self._cancel_ids(list(self._calls))

    def _cancel_ids(self, ids: list[int]) -> None:
        with self._lock:
            process = self._process if self.running else None
        if process is None:
            return
        for request_id in ids:
            try:  # a notification: the answer that matters is the cancelled call's own error
                self._send(process, {"method": CANCEL, "params": {"id": request_id}})
            except EngineError:
                return

    def close(self, timeout: float = 5.0) -> None:
        """Ask the engine to shut down; kill it if it does not."""
        with self._lock:
            process = self._process if self.running else None
        if process is not None:
            try:
                self._send(process, {"id": next(self._ids), "method": SHUTDOWN, "params": {}})
                process.wait(timeout)
            except (EngineError, subprocess.TimeoutExpired):
                pass
        with self._lock:
            self._discard_process()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exit_status(process: subprocess.Popen[bytes]) -> int | None:
    """The exit status of an engine whose pipe just broke: it closes its pipes a moment before the system
    reports it exited, so wait that moment (None if it is somehow still running)."""
    try:
        return process.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        return None


def frames_to_check(placed: Sequence[tuple[int | str, Mapping[str, Any]]]) -> str:
    """One line for the artist naming the generated frames whose self-check asks for a look, from
    (frame number or file name, the engine's frame entry) pairs; "" when every frame passed. Entries carry `check`
    (bool), `confidence` and an optional `note` (the engine's manifest and responses)."""
    flagged = [(number, entry) for number, entry in placed if entry.get("check")]
    if not flagged:
        return ""
    numbers = ", ".join(str(number) for number, _ in flagged)
    worst_number, worst = min(flagged, key=lambda item: item[1].get("confidence", 0.0))
    why = f" ({worst['note']})" if worst.get("note") else ""
    return (f"check frame{'s' if len(flagged) > 1 else ''} {numbers}: the least sure is {worst_number}, "
            f"confidence {worst.get('confidence', 0.0):.2f}{why}")
