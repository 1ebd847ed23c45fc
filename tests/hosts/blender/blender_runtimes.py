"""The real Blenders the host tests run in, and how to start a script in one of them.

- "blender-3.4": Debian's `blender` package (legacy Grease Pencil), `blender -b --factory-startup -P`;
- "bpy-4.2" / "bpy-5.0": Blender as a Python module (PyPI `bpy`), each in its own virtual environment under
  `.hosts/` of the checkout (`.ci/run` makes them): 4.2 is the last legacy Grease Pencil, 5.0 is GPv3.
A runtime that is not installed is absent (its tests skip); `.ci/run` installs all three.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ADDON_SOURCE = ROOT / "blender_addon"
VENVS = {"bpy-4.2": ROOT / ".hosts" / "bpy42", "bpy-5.0": ROOT / ".hosts" / "bpy50"}
RUNTIMES = ("blender-3.4", "bpy-4.2", "bpy-5.0")


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
    for name in ("resources", "scripts", "config"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), BLENDER_USER_RESOURCES=str(home / "resources"),
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
