"""Which engine the plugin uses and what the docker says about it. Plain Python (no Krita, no Qt): tested
without Krita. The installing itself is `engine_install` (shared with the Blender add-on)."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .client import ENV_VAR
from .engine_install import (
    INCOMPLETE,
    NEWER,
    NOT_INSTALLED,
    READY,
    UPDATE_NEEDED,
    compare_versions,
    engine_status,
    installed_executable,
    wheel_version,
)

ENGINE_FOLDER = Path(__file__).resolve().parent / "engine"   # the wheel the plugin zip carries
ROOT_NAME = "nakawari-engine"                                  # in Krita's resource folder


def carried_wheel(folder: Path = ENGINE_FOLDER) -> Path | None:
    """The engine wheel shipped in the plugin zip (None in a plugin copied from a checkout)."""
    wheels = sorted(folder.glob("nakawari-*.whl")) if folder.is_dir() else []
    return wheels[-1] if wheels else None


@dataclass(frozen=True)
class EngineChoice:
    engine: str | None   # what EngineClient gets: a path, or None (then $NAKAWARI_ENGINE, then PATH)
    origin: str          # "setting", "environment", "installed", "path"


def choose_engine(setting: str, root: Path, environ: Mapping[str, str] | None = None) -> EngineChoice:
    """The artist's own path first, then $NAKAWARI_ENGINE, then the engine Install engine made, then PATH."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    if setting.strip():
        return EngineChoice(setting.strip(), "setting")
    if env.get(ENV_VAR, "").strip():
        return EngineChoice(None, "environment")
    installed = installed_executable(root)
    if installed:
        return EngineChoice(installed, "installed")
    return EngineChoice(None, "path")


@dataclass(frozen=True)
class InstallOffer:
    state: str           # NOT_INSTALLED, INCOMPLETE, READY, UPDATE_NEEDED, NEWER
    button: str          # the main button's text ("" when there is nothing to offer)
    message: str


def install_offer(root: Path, wheel: Path | None) -> InstallOffer:
    """The docker's engine box when the plugin manages the engine."""
    if wheel is None:
        return InstallOffer(NOT_INSTALLED, "", "This copy of the plugin carries no engine to install; set the "
                            "path of a nakawari engine, or import the release zip.")
    status = engine_status(root, wheel_version(wheel))
    button = {NOT_INSTALLED: "Install engine", INCOMPLETE: "Repair", UPDATE_NEEDED: "Update engine",
              NEWER: "Repair", READY: "Repair"}[status.state]
    return InstallOffer(status.state, button, status.message)


def version_problem(engine_version: str, wheel: Path | None) -> str:
    """A connected engine older or newer than the one the plugin carries: one line, or ""."""
    if wheel is None or not engine_version:
        return ""
    wanted = wheel_version(wheel)
    order = compare_versions(engine_version, wanted)
    if order < 0:
        return (f"The engine is nakawari {engine_version}, older than this plugin ({wanted}). Press Update "
                "engine, or update the engine you set.")
    if order > 0:
        return (f"The engine is nakawari {engine_version}, newer than this plugin ({wanted}); some buttons may "
                "not work. Update the plugin.")
    return ""


def not_nakawari(path: str, failure: str) -> str:
    """The artist's path starts something that does not answer as the engine."""
    status = re.search(r"exit status -?\d+", failure)
    how = f"it ended ({status.group(0)}) without answering" if status else failure.splitlines()[0]
    return (f"The program set as the engine ({path}) is not the nakawari engine: {how}. Clear the path to use "
            "the installed engine, or set the `nakawari` program of an engine.")
