"""The real Blenders the host tests run in, and how to start a script in one of them.

- "blender-3.4": Debian's `blender` package (legacy Grease Pencil), `blender -b --factory-startup -P`;
- "bpy-4.2" / "bpy-4.5" / "bpy-5.0": Blender as a Python module (PyPI `bpy`), each in its own virtual
  environment under `.hosts/` of the checkout (`.ci/run` makes them): 4.2 is the last legacy Grease Pencil;
  4.5 LTS is GPv3 under its 4.3–4.5 name (`bpy.data.grease_pencils_v3`), 5.0 under its new one.
A runtime that is not installed is absent (its tests skip); `.ci/run` installs all four. Debian's blender
also runs with a window under Xvfb (the modal path an artist's click takes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ADDON_SOURCE = ROOT / "blender_addon"
VENVS = {"bpy-4.2": ROOT / ".hosts" / "bpy42", "bpy-4.5": ROOT / ".hosts" / "bpy45",
         "bpy-5.0": ROOT / ".hosts" / "bpy50"}
RUNTIMES = ("blender-3.4", "bpy-4.2", "bpy-4.5", "bpy-5.0")


def command(runtime: str) -> list[str] | None:
    """The command that runs a script in `runtime` (script and its arguments follow), or None if absent."""
    if runtime == "blender-3.4":
        blender = shutil.which("blender")
        return [blender, "-b", "--factory-startup", "--python-exit-code", "1", "-P"] if blender else None
    python = VENVS[runtime] / "bin" / "python"
    if python.exists() and any((VENVS[runtime] / "lib").glob("python3*/site-packages/bpy")):
        return [str(python)]
    return None


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """Blender's user folders (preferences, add-ons, extensions) in a fresh folder, not the machine's."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BLENDER_", "PYTHON", "VIRTUAL_ENV"))}
    for name in ("resources", "scripts", "config", "tmp"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"), BLENDER_USER_RESOURCES=str(home / "resources"),
               BLENDER_USER_SCRIPTS=str(home / "scripts"), BLENDER_USER_CONFIG=str(home / "config"))
    env.update(extra)
    return env


def run_script(runtime: str, script: Path, args: list[str], home: Path, log: Path, timeout: float = 300,
               **env: str) -> subprocess.CompletedProcess:
    base = command(runtime)
    assert base is not None, f"{runtime} is not installed"
    with open(log, "w") as handle:
        return subprocess.run([*base, str(script), "--", *args], env=isolated_env(home, **env), cwd=home, check=False,
                              stdout=handle, stderr=subprocess.STDOUT, timeout=timeout)


XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"]


def window_available() -> bool:
    """Debian's blender with a window: under Xvfb (Mesa's software OpenGL is enough for Blender 3.4)."""
    return command("blender-3.4") is not None and shutil.which("xvfb-run") is not None


def run_window_script(script: Path, args: list[str], home: Path, log: Path, timeout: float = 300
                      ) -> subprocess.CompletedProcess:
    """A script in Blender 3.4 with a real window, events simulated (`--enable-event-simulate`)."""
    blender = shutil.which("blender")
    with open(log, "w") as handle:
        return subprocess.run([*XVFB, blender, "--factory-startup", "--enable-event-simulate", "-P", str(script),
                               "--", *args], env=isolated_env(home), cwd=home, check=False, stdout=handle,
                              stderr=subprocess.STDOUT, timeout=timeout)
