"""The real Blenders the host tests run in, and how to start a script in one of them. A runtime's id names the
exact version it must be (the tests check it), so `pytest -rA` shows which Blenders ran.

- "blender-3.4.1": Debian 12's `blender` package (legacy Grease Pencil), `blender -b --factory-startup -P`;
- "bpy-4.2.23" / "bpy-4.5.15" / "bpy-5.0.1" (Python 3.11) and "bpy-5.3.0" (Python 3.13): Blender as a Python
  module (PyPI `bpy`), each in its own virtual environment under `.hosts/` (`.ci/run` makes them): 4.2 is the
  last legacy Grease Pencil; 4.5 LTS is GPv3 under its 4.3–4.5 name (`bpy.data.grease_pencils_v3`), 5.0 on
  under its new one;
- "blender-5.2.2": Debian sid's `blender` (Python 3.14) in the chroot `.hosts/debian-sid`
  (`.ci/debian_hosts.sh`), run through `.ci/debian_hosts.sh run sid` with the checkout and /tmp mounted at
  the same paths. Its engine (`chroot_engine`) is the checkout's engine on the chroot's Python 3.14 with the
  extension's locked cp314 wheels: the .venv's engine cannot run inside the chroot.
A runtime that is not installed is absent (its tests skip); `.ci/run` installs all of them. Debian's blenders
also run with a window under Xvfb (the modal path an artist's click takes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from nakawari.blender_extension import (  # tests run in the engine's .venv
    LOCK,
    fetch_wheels,
    read_lock,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ADDON_SOURCE = ROOT / "blender_addon"
VENVS = {"bpy-4.2.23": ROOT / ".hosts" / "bpy42", "bpy-4.5.15": ROOT / ".hosts" / "bpy45",
         "bpy-5.0.1": ROOT / ".hosts" / "bpy50", "bpy-5.3.0": ROOT / ".hosts" / "bpy53"}
SYSTEM = "blender-3.4.1"
CHROOT = "blender-5.2.2"
RUNTIMES = (SYSTEM, "bpy-4.2.23", "bpy-4.5.15", "bpy-5.0.1", "bpy-5.3.0", CHROOT)
WINDOWED = (SYSTEM, CHROOT)  # real windows under Xvfb
SID = ROOT / ".hosts" / "debian-sid"
DEBIAN_HOSTS = ROOT / ".ci" / "debian_hosts.sh"
CHROOT_ENGINE = ROOT / ".hosts" / "sid-engine"
BLENDER_ARGS = ["-b", "--factory-startup", "--python-exit-code", "1", "-P"]


def version(runtime: str) -> str:
    """The Blender version a runtime's id names ("5.3.0" for "bpy-5.3.0")."""
    return runtime.split("-", 1)[1]


def model(runtime: str) -> str:
    """The Grease Pencil data model of that Blender: legacy up to 4.2, GPv3 from 4.3."""
    return "legacy" if tuple(int(p) for p in version(runtime).split(".")[:2]) <= (4, 2) else "GPv3"


def chroot_ready() -> bool:
    return (SID / ".ready").is_file() and (SID / "usr" / "bin" / "blender").exists() and os.geteuid() == 0


def command(runtime: str) -> list[str] | None:
    """The command that runs a script in `runtime` (script and its arguments follow), or None if absent."""
    if runtime == SYSTEM:
        blender = shutil.which("blender")
        return [blender, *BLENDER_ARGS] if blender else None
    if runtime == CHROOT:
        return ["blender", *BLENDER_ARGS] if chroot_ready() else None
    python = VENVS[runtime] / "bin" / "python"
    if python.exists() and any((VENVS[runtime] / "lib").glob("python3*/site-packages/bpy")):
        return [str(python)]
    return None


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """Blender's user folders (preferences, add-ons, extensions) in a fresh folder, not the machine's. No
    NAKAWARI_ENGINE, and no engine on PATH (the .venv's bin): an engine is only what a test hands over."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BLENDER_", "PYTHON", "VIRTUAL_ENV", "NAKAWARI"))}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and p != venv_bin and not (Path(p) / "nakawari").exists())
    for name in ("resources", "scripts", "config", "tmp"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"), BLENDER_USER_RESOURCES=str(home / "resources"),
               BLENDER_USER_SCRIPTS=str(home / "scripts"), BLENDER_USER_CONFIG=str(home / "config"))
    env.update(extra)
    return env


def in_chroot(argv: list[str], env: dict[str, str]) -> list[str]:
    """`argv` inside the sid chroot: the checkout mounted at its own path, Blender's user folders and the
    test's variables passed on (the chroot starts from an empty environment)."""
    passed = [arg for key, value in env.items()
              if key in ("HOME", "TMPDIR", "DISPLAY", "XAUTHORITY") or key.startswith(("BLENDER_", "NAKAWARI"))
              for arg in ("-e", f"{key}={value}")]
    return [str(DEBIAN_HOSTS), "run", "sid", "-b", str(ROOT), *passed, "--", *argv]


def run_script(runtime: str, script: Path, args: list[str], home: Path, log: Path, timeout: float = 600,
               **env: str) -> subprocess.CompletedProcess:
    base = command(runtime)
    assert base is not None, f"{runtime} is not installed"
    environ = isolated_env(home, **env)
    argv = [*base, str(script), "--", *args]
    if runtime == CHROOT:
        argv = in_chroot(argv, environ)
    with open(log, "w") as handle:
        return subprocess.run(argv, env=environ, cwd=home, check=False, stdout=handle, stderr=subprocess.STDOUT,
                              timeout=timeout)


XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"]


def window_available(runtime: str = SYSTEM) -> bool:
    """Debian's blender with a window: under Xvfb (Mesa's software OpenGL)."""
    if runtime == CHROOT:
        return chroot_ready() and (SID / "usr" / "bin" / "xvfb-run").exists()
    return command(SYSTEM) is not None and shutil.which("xvfb-run") is not None


def run_window_script(script: Path, args: list[str], home: Path, log: Path, timeout: float = 600,
                      runtime: str = SYSTEM) -> subprocess.CompletedProcess:
    """A script in Debian's Blender with a real window, events simulated (`--enable-event-simulate`)."""
    environ = isolated_env(home)
    blender = "blender" if runtime == CHROOT else shutil.which("blender")
    argv = [*XVFB, blender, "--factory-startup", "--enable-event-simulate", "-P", str(script), "--", *args]
    if runtime == CHROOT:
        argv = in_chroot(argv, environ)
    with open(log, "w") as handle:
        return subprocess.run(argv, env=environ, cwd=home, check=False, stdout=handle, stderr=subprocess.STDOUT,
                              timeout=timeout)


def engine_for(runtime: str, engine: str) -> str:
    """The engine a test hands to `runtime`: `engine` (the .venv's), or the chroot's own inside the chroot."""
    return chroot_engine() if runtime == CHROOT else engine


def chroot_engine() -> str:
    """The engine for the sid chroot's Blender (made once): a venv of the chroot's Python 3.14 (its numpy),
    the extension's locked cp314 wheels, and the checkout's engine (`core/`, linked as `nakawari`)."""
    executable = CHROOT_ENGINE / "bin" / "nakawari"
    stamp = CHROOT_ENGINE / ".lock"
    if executable.exists() and stamp.is_file() and stamp.read_text() == LOCK.read_text():
        return str(executable)
    shutil.rmtree(CHROOT_ENGINE, ignore_errors=True)
    cache = ROOT / ".hosts" / "wheels"
    fetch_wheels("linux-x64", cache)
    wheels = [str(cache / w.filename) for w in read_lock() if w.platform == "linux-x64" and w.python == "3.14"]
    python = CHROOT_ENGINE / "bin" / "python3"
    script = (f"python3 -m venv --system-site-packages {CHROOT_ENGINE} && "
              f"{python} -m pip install -q --no-index --no-deps {' '.join(wheels)}")
    done = subprocess.run(in_chroot(["sh", "-c", script], {}), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    site = next(CHROOT_ENGINE.glob("lib/python3*/site-packages"))
    (site / "nakawari").symlink_to(ROOT / "core")
    executable.write_text(f"#!{python}\nimport sys\nfrom nakawari.cli import main\nsys.exit(main())\n")
    executable.chmod(0o755)
    stamp.write_text(LOCK.read_text())
    return str(executable)
