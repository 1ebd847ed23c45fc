"""Install, update, repair and remove a private nakawari engine for a host (Krita, Blender's legacy add-on).

Standard library only (Python ≥ 3.10), no Qt, no bpy, no engine: `nakawari package` copies this file into the
add-on zips beside `client.py`. The host's own UI drives it: a button starts an `Install` (a thread), a timer
polls `install.state()` for the progress bar, Cancel calls `install.cancel()`, and `engine_status(root, …)`
tells the UI which state to show. See docs/install.md.

Layout under `root` (Krita: `<resource folder>/nakawari-engine`):
    engines/<version>-<stamp>/     one virtual environment per install, never renamed (venvs do not move)
    engines/<…>/nakawari-install.json   written last: present = complete
    active                        the folder name of the engine in use, replaced atomically on success
    logs/install-<stamp>.log      pip's and venv's whole output, for the artist to open
An install builds a new folder aside and switches `active` only when the new engine answers; a failed or
cancelled install deletes its folder and leaves the previous engine in use.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

MIN_PYTHON = (3, 11)
ENGINE = "nakawari"
MARKER = "nakawari-install.json"
ACTIVE = "active"
GPU_PACKAGE = "onnxruntime-gpu"
CPU_PACKAGE = "onnxruntime"

NOT_INSTALLED, INSTALLING, INCOMPLETE, READY, UPDATE_NEEDED, NEWER = (
    "not installed", "installing", "incomplete", "ready", "update needed", "newer")


class InstallError(Exception):
    """One message an artist can act on (what failed, what to do); the log holds the details."""

    def __init__(self, message: str, log: str | None = None) -> None:
        super().__init__(message)
        self.message, self.log = message, log


@dataclass(frozen=True)
class InstallSettings:
    root: Path                    # the host's folder for engines (Krita's resource folder/nakawari-engine)
    wheel: Path                   # the engine wheel the add-on carries
    python: str = ""              # the artist's Python ≥ 3.11 (a program or its folder); empty: search
    gpu: bool = False             # onnxruntime-gpu (CUDA, +255 MB) instead of the CPU onnxruntime
    index_url: str = ""           # pip --index-url; empty: pip's own (PIP_INDEX_URL, pip.conf, PyPI)
    pip_timeout_s: float = 900.0  # the whole pip run


@dataclass(frozen=True)
class FoundPython:
    path: str
    version: tuple[int, int, int]


@dataclass(frozen=True)
class EngineStatus:
    state: str                    # one of NOT_INSTALLED, INCOMPLETE, READY, UPDATE_NEEDED, NEWER
    version: str = ""             # the installed engine's version
    executable: str = ""          # its `nakawari` program (READY, UPDATE_NEEDED, NEWER)
    folder: str = ""
    message: str = ""             # one line for the artist


@dataclass
class InstallState:
    step: str = "waiting"
    done: int = 0
    total: int = 100
    message: str = ""
    finished: bool = False
    cancelled: bool = False
    ok: bool = False
    error: str = ""
    log: str = ""
    executable: str = ""
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)  # pip's last lines, for a details box


# --- versions ---------------------------------------------------------------------------------------
def wheel_version(wheel: Path) -> str:
    """The version in a wheel's file name (name-version-python-abi-platform.whl)."""
    parts = Path(wheel).name.split("-")
    if len(parts) < 5 or not Path(wheel).name.endswith(".whl"):
        raise InstallError(f"{wheel} is not an engine wheel (name-version-…-.whl)")
    return parts[1]


def version_key(version: str) -> tuple[int, ...]:
    """Release numbers only ("0.1.0rc1+local" → (0, 1, 0)): enough to order our own releases."""
    numbers = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(n) for n in numbers.group(0).split(".")) if numbers else ()


def compare_versions(installed: str, wanted: str) -> int:
    a, b = version_key(installed), version_key(wanted)
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


# --- finding a Python --------------------------------------------------------------------------------
def python_candidates(platform: str = sys.platform, environ: dict[str, str] | None = None) -> list[str]:
    """Where a Python usually is, per OS, most wanted first (3.12 and 3.13 have wheels for every dependency)."""
    environ = dict(os.environ if environ is None else environ)
    path = environ.get("PATH", "")
    minors = ("12", "13", "11", "14", "15")
    found: list[str] = []

    def add(candidate: str | None) -> None:
        if candidate and candidate not in found:
            found.append(candidate)

    if platform.startswith("win"):
        local = environ.get("LOCALAPPDATA", "")
        for minor in minors:
            for base in (Path(local) / "Programs" / "Python", Path(environ.get("ProgramFiles", r"C:\Program Files"))):
                add(str(base / f"Python3{minor}" / "python.exe"))
        for name in ("python.exe", "python3.exe"):
            which = shutil.which(name, path=path)
            if which and "WindowsApps" not in which:  # the Store's stub opens the Store instead of running
                add(which)
        return found
    for minor in minors:
        add(shutil.which(f"python3.{minor}", path=path))
    folders = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", str(Path.home() / ".pyenv" / "shims")]
    if platform == "darwin":
        folders += [f"/Library/Frameworks/Python.framework/Versions/3.{minor}/bin" for minor in minors]
    for folder in folders:
        for minor in minors:
            add(str(Path(folder) / f"python3.{minor}"))
    add(shutil.which("python3", path=path))
    return [candidate for candidate in found if Path(candidate).is_file()]


_PROBE = "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"


def python_version(program: str, timeout: float = 20.0) -> tuple[int, int, int] | None:
    """The version of a Python program that can make virtual environments; None if it is not one."""
    try:
        done = subprocess.run([program, "-c", _PROBE], capture_output=True, text=True, timeout=timeout,
                              env=_clean_env(), creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", done.stdout.strip()) if done.returncode == 0 else None
    return tuple(int(n) for n in match.groups()) if match else None  # type: ignore[return-value]


def _python_in(setting: str) -> str:
    path = Path(setting).expanduser()
    if path.is_dir():
        for candidate in (path / "bin" / "python3", path / "python.exe", path / "bin" / "python", path / "python3"):
            if candidate.is_file():
                return str(candidate)
    return str(path)


def find_python(setting: str = "", *, platform: str = sys.platform,
                environ: dict[str, str] | None = None) -> FoundPython:
    """The Python to build the engine's environment with: the artist's setting, else the usual places."""
    if setting.strip():
        program = _python_in(setting.strip())
        version = python_version(program)
        if version is None:
            raise InstallError(f"The Python set for the engine ({setting.strip()}) does not run, or cannot make "
                               "virtual environments (on Debian/Ubuntu: apt install python3-venv).")
        if version[:2] < MIN_PYTHON:
            raise InstallError(f"The Python set for the engine ({program}) is {_dotted(version)}; the engine "
                               f"needs Python {_dotted(MIN_PYTHON)} or newer.")
        return FoundPython(program, version)
    tried = []
    for program in python_candidates(platform, environ):
        version = python_version(program)
        tried.append(f"{program} ({_dotted(version) if version else 'no venv'})")
        if version is not None and version[:2] >= MIN_PYTHON:
            return FoundPython(program, version)
    where = ("from python.org (tick 'Add python.exe to PATH')" if platform.startswith("win") else
             "from python.org or Homebrew (brew install python@3.12)" if platform == "darwin" else
             "with your package manager (e.g. apt install python3 python3-venv)")
    seen = f" Found: {', '.join(tried)}." if tried else ""
    raise InstallError(f"No Python {_dotted(MIN_PYTHON)} or newer was found to install the engine with. "
                       f"Install Python 3.12 {where}, or set its path in the engine settings.{seen}")


def _dotted(version) -> str:
    return ".".join(str(n) for n in version)


# --- what is installed -------------------------------------------------------------------------------
def venv_program(folder: Path, name: str) -> Path:
    return folder / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


def _active_folder(root: Path) -> Path | None:
    try:
        name = (root / ACTIVE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return root / "engines" / name if name and "/" not in name and "\\" not in name else None


def engine_status(root: Path, wanted_version: str) -> EngineStatus:
    """What is installed under `root`, against the version the add-on carries."""
    root = Path(root)
    folder = _active_folder(root)
    if folder is None:
        leftovers = [p for p in (root / "engines").glob("*") if p.is_dir()] if (root / "engines").is_dir() else []
        if leftovers:
            return EngineStatus(INCOMPLETE, folder=str(leftovers[0]), message="An engine install did not finish. "
                                "Press Repair to install it again.")
        return EngineStatus(NOT_INSTALLED, message="No engine is installed. Press Install engine.")
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    executable = venv_program(folder, ENGINE)
    if not record or not executable.is_file() or not _base_python_present(folder):
        return EngineStatus(INCOMPLETE, folder=str(folder), message="The installed engine is damaged or its Python "
                            "was removed. Press Repair to install it again.")
    version = str(record.get("version", ""))
    order = compare_versions(version, wanted_version)
    common = dict(version=version, executable=str(executable), folder=str(folder))
    if order < 0:
        return EngineStatus(UPDATE_NEEDED, message=f"The engine is nakawari {version}; this add-on brings "
                            f"{wanted_version}. Press Update engine.", **common)
    if order > 0:
        return EngineStatus(NEWER, message=f"The engine is nakawari {version}, newer than this add-on "
                            f"({wanted_version}): update the add-on, or Repair to go back to {wanted_version}.",
                            **common)
    return EngineStatus(READY, message=f"nakawari {version} installed.", **common)


def _base_python_present(folder: Path) -> bool:
    """A venv runs only while the Python it was made from is there (pyvenv.cfg `home`)."""
    try:
        config = (folder / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return False
    home = re.search(r"^home\s*=\s*(.+)$", config, re.MULTILINE)
    return home is None or Path(home.group(1).strip()).is_dir()


def installed_executable(root: Path) -> str | None:
    """The `nakawari` program of the engine in use (any version), or None."""
    folder = _active_folder(Path(root))
    if folder is None or not (folder / MARKER).is_file():
        return None
    executable = venv_program(folder, ENGINE)
    return str(executable) if executable.is_file() else None


def remove_engine(root: Path) -> None:
    """Remove every engine and its logs' folder stays (the artist may want to read them)."""
    root = Path(root)
    try:
        (root / ACTIVE).unlink()
    except FileNotFoundError:
        pass
    _remove_tree(root / "engines")


def _remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():  # Windows: a file still open; one retry after the engine let go
            time.sleep(0.5)
            shutil.rmtree(path, ignore_errors=True)


def _clean_env() -> dict[str, str]:
    """The host's Python paths must not reach pip or the engine (Krita's pykrita has a `nakawari` too)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONNOUSERSITE")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def requirements_for(wheel: Path, gpu: bool) -> list[str]:
    """The wheel's own dependencies (Requires-Dist, markers kept for pip to judge), with onnxruntime's CPU
    build unless the GPU build was chosen: the engine's metadata names onnxruntime-gpu on Linux and Windows."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        if metadata is None:
            raise InstallError(f"{wheel.name} has no metadata; the add-on's engine wheel is damaged. "
                               "Reinstall the add-on.")
        text = archive.read(metadata).decode("utf-8")
    wanted: list[str] = []
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        requirement = line.split(":", 1)[1].strip()
        if "extra ==" in requirement:
            continue
        named = re.match(r"[A-Za-z0-9._-]+", requirement)
        if named is None:  # no package name: not a requirement (wheel metadata always names one)
            continue
        name = named.group(0).lower()
        if name in (GPU_PACKAGE, CPU_PACKAGE) and not gpu:  # one CPU build, on every platform
            version = re.search(r"(>=|==|~=)\s*[\w.]+", requirement)
            requirement = CPU_PACKAGE + (version.group(0) if version else "")
            if any(re.match(CPU_PACKAGE + r"\b(?!-)", w) for w in wanted):
                continue
        wanted.append(requirement)
    return wanted


# --- installing ------------------------------------------------------------------------------------
class Install:
    """One install (or update, or repair) on a thread. Poll `state()`; `cancel()` from any thread."""

    def __init__(self, settings: InstallSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.root = Path(settings.root)
        self.version = wheel_version(settings.wheel)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.folder = self.root / "engines" / f"{self.version}-{stamp}-{os.getpid()}"
        self.log_path = self.root / "logs" / f"install-{stamp}.log"
        self._clock = clock
        self._state = InstallState(log=str(self.log_path))
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nakawari-install", daemon=True)

    def start(self) -> Install:
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> InstallState:
        self._thread.join(timeout)
        return self.state()

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            _stop(process)

    def state(self) -> InstallState:
        with self._lock:
            return replace(self._state, lines=list(self._state.lines))

    def _set(self, **changes) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._state, key, value)

    def _log(self, text: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")

    def _run(self) -> None:
        began = self._clock()
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log(f"nakawari engine install {self.version} into {self.folder} ({time.ctime()})")
            self._install()
            self._set(ok=True, executable=str(venv_program(self.folder, ENGINE)), done=100, step="ready",
                      message=f"nakawari {self.version} is installed.")
            self._log("installed")
        except _Cancelled:
            self._discard()
            self._set(cancelled=True, step="cancelled", message="Install cancelled; nothing was changed.")
            self._log("cancelled")
        except InstallError as error:
            self._discard()
            self._set(error=error.message, step="failed", message=error.message)
            self._log(f"failed: {error.message}")
        except Exception as error:  # noqa: BLE001 - the artist sees one line; the log has the rest
            self._discard()
            message = f"The engine install failed unexpectedly: {error}. Details in {self.log_path}"
            self._set(error=message, step="failed", message=message)
            self._log(traceback.format_exc())
        finally:
            self._set(finished=True, seconds=self._clock() - began)

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise _Cancelled()

    def _install(self) -> None:
        settings = self.settings
        if not Path(settings.wheel).is_file():
            raise InstallError(f"The engine wheel {settings.wheel} is missing from the add-on; reinstall the add-on.")
        self._set(step="python", done=2, message="Looking for Python 3.11 or newer…")
        python = find_python(settings.python)
        self._log(f"python: {python.path} {_dotted(python.version)}")
        self._check_cancel()
        free = shutil.disk_usage(self.root).free if self.root.exists() else shutil.disk_usage(
            next(p for p in self.root.parents if p.exists())).free
        needed = 1.5e9 if settings.gpu else 0.8e9
        if free < needed:
            raise InstallError(f"Not enough disk space for the engine: {free / 1e9:.1f} GB free in {self.root}, "
                               f"about {needed / 1e9:.1f} GB needed. Free some space and press Install again.")
        self._set(step="venv", done=5, message=f"Creating the engine's environment (Python {_dotted(python.version)})…")
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self._command([python.path, "-m", "venv", str(self.folder)], "creating the virtual environment",
                      timeout=180)
        pip = [str(venv_program(self.folder, "python")), "-m", "pip"]
        index = ["--index-url", settings.index_url] if settings.index_url else []
        requirements = requirements_for(Path(settings.wheel), settings.gpu)
        self._log("requirements: " + ", ".join(requirements))
        self._set(step="download", done=10, message="Downloading the engine's libraries…")
        self._command([*pip, "install", "--no-input", "--progress-bar", "off", *index, *requirements],
                      "installing the engine's libraries", timeout=settings.pip_timeout_s, pip_progress=(10, 85))
        self._set(step="engine", done=86, message="Installing the engine…")
        self._command([*pip, "install", "--no-input", "--no-deps", "--progress-bar", "off", str(settings.wheel)],
                      "installing the engine", timeout=120)
        self._set(step="check", done=92, message="Starting the new engine once…")
        executable = venv_program(self.folder, ENGINE)
        self._command([str(executable), "--version"], "starting the new engine", timeout=120)
        self._check_cancel()
        record = {"version": self.version, "gpu": settings.gpu, "python": python.path,
                  "python_version": _dotted(python.version), "installed": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (self.folder / MARKER).write_text(json.dumps(record, indent=1), encoding="utf-8")
        previous = _active_folder(self.root)
        pointer = self.root / (ACTIVE + ".new")
        pointer.write_text(self.folder.name, encoding="utf-8")
        os.replace(pointer, self.root / ACTIVE)  # the switch: atomic, so the engine in use is always whole
        self._log(f"active: {self.folder.name}")
        for old in (self.root / "engines").glob("*"):
            if old != self.folder and old.is_dir():
                _remove_tree(old)  # the previous engine and any leftovers of interrupted installs
        if previous is not None:
            self._log(f"removed the previous engine {previous.name}")

    def _command(self, argv: list[str], what: str, *, timeout: float,
                 pip_progress: tuple[int, int] | None = None) -> None:
        self._check_cancel()
        self._log("$ " + " ".join(argv))
        try:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       encoding="utf-8", errors="replace", env=_clean_env(),
                                       start_new_session=os.name != "nt",
                                       creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as error:
            raise InstallError(f"The engine install failed {what}: {error.strerror} ({argv[0]}).",
                               str(self.log_path)) from None
        with self._lock:
            self._process = process
        timer = threading.Timer(timeout, lambda: _stop(process))
        timer.start()
        collected = 0
        tail: list[str] = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                self._log(line.rstrip("\n"))
                tail = (tail + [line.rstrip()])[-40:]
                if pip_progress and line.startswith("Collecting "):
                    collected += 1  # ~25 packages: the bar creeps toward its end of this step
                    low, high = pip_progress
                    self._set(done=min(high - 3, low + collected * (high - low) // 30),
                              message=f"Downloading {line.split()[1]}…")
                elif pip_progress and line.startswith("Installing collected packages"):
                    self._set(done=pip_progress[1] - 2, message="Unpacking the libraries…")
                with self._lock:
                    self._state.lines = tail[-12:]
            process.wait()
        finally:
            timer.cancel()
            with self._lock:
                self._process = None
        self._check_cancel()
        if process.returncode != 0:
            index = self.settings.index_url or os.environ.get("PIP_INDEX_URL", "") or DEFAULT_INDEX
            # pip says "no matching distribution" both when a package has no build for this Python and when
            # it reached no index at all (without retries it logs no connection error): ask the index once.
            reachable = _reachable(index) if pip_progress else True
            raise InstallError(_explain(what, process.returncode, tail, self.log_path, index_reachable=reachable),
                               str(self.log_path))

    def _discard(self) -> None:
        """A failed or cancelled install leaves nothing behind but its log; the active engine is untouched."""
        _remove_tree(self.folder)


class _Cancelled(Exception):
    pass


def _stop(process: subprocess.Popen) -> None:
    """Stop pip and whatever it started (a build, a download)."""
    try:
        if os.name != "nt":
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
    except (OSError, ProcessLookupError):
        pass


_NETWORK = re.compile(r"(Temporary failure in name resolution|Name or service not known|Failed to establish a new "
                      r"connection|Network is unreachable|Connection (refused|reset|timed out)|Could not fetch URL|"
                      r"ConnectTimeoutError|ReadTimeoutError|NewConnectionError|ProxyError|SSLError)", re.IGNORECASE)


DEFAULT_INDEX = "https://pypi.org/simple/"


def _reachable(url: str, timeout: float = 15.0) -> bool:
    """Does the package index answer at all (any HTTP answer counts; a file:// index counts if it exists)?"""
    if url.startswith("file:"):
        return Path(urllib.request.url2pathname(url[5:].lstrip("/") and "/" + url[5:].lstrip("/"))).exists()
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _explain(what: str, code: int, tail: list[str], log: Path, *, index_reachable: bool = True) -> str:
    """pip's failure as one line for the artist: network, disk, a package with no build for this Python."""
    text = "\n".join(tail)
    if _NETWORK.search(text) or not index_reachable:
        return ("The engine could not be downloaded: the package index (pypi.org) is not reachable. Check the "
                f"network connection (or proxy) and press Install again. Nothing was changed. Log: {log}")
    if "No space left on device" in text:
        return f"The disk is full; the engine needs about 1 GB. Free some space and press Install again. Log: {log}"
    missing = re.search(r"No matching distribution found for ([^\s]+)", text)
    if missing:
        return (f"No build of {missing.group(1)} for this Python was found on the package index; set a Python "
                f"3.12 or 3.13 for the engine and press Install again. Log: {log}")
    if "ensurepip" in text or "No module named venv" in text:
        return ("This Python cannot make virtual environments (on Debian/Ubuntu: apt install python3-venv); "
                f"install that or set another Python. Log: {log}")
    last = next((line for line in reversed(tail) if line.strip()), "")
    return f"The engine install failed {what} (exit status {code}): {last.strip()} Log: {log}"
