"""Where this Blender keeps the add-on's files and the engine it carries, and the engine client built from
them. As a 4.2+ extension: files under `bpy.utils.extension_path_user` (never the add-on's own folder), the
engine from the extension's wheels (which Blender installed into extensions/.local) run by Blender's own
Python. As a legacy add-on (Blender 3.4–4.1): files in Blender's user config folder, the engine the Install
engine button installed there (op_install)."""
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import bpy

from . import engine
from .host_kit import log_folder

PACKAGE = __package__  # "nakawari_gp", or "bl_ext.<repository>.nakawari_gp" as an extension


def is_extension() -> bool:
    return PACKAGE.startswith("bl_ext.")


def user_folder() -> Path:
    """The add-on's own folder for logs and work files (made when missing)."""
    if is_extension():
        return Path(bpy.utils.extension_path_user(PACKAGE, create=True))
    config = bpy.utils.user_resource("CONFIG") or tempfile.gettempdir()
    folder = Path(config) / "nakawari_gp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def logs_folder() -> Path:
    """$NAKAWARI_LOG_DIR, else the add-on's own `logs` folder (the host kit's rule)."""
    return log_folder(user_folder() / "logs")


def work_folder() -> Path:
    """Where operators put the files they hand the engine (removed after each run)."""
    folder = user_folder() / "work"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wheels_site_packages() -> Path | None:
    """The site-packages Blender extracts extension wheels into (4.2+), for this Blender's Python."""
    if not is_extension():
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return Path(bpy.utils.user_resource("EXTENSIONS")) / ".local" / "lib" / version / "site-packages"


def engine_root() -> Path:
    """Where the legacy add-on's Install engine puts engines (the installer's layout under it)."""
    return user_folder() / "engine"


def engine_wheel() -> Path | None:
    """The engine wheel the legacy add-on's zip carries for Install engine (None: none carried)."""
    wheels = sorted((Path(__file__).parent / "engine").glob("nakawari-*.whl"))
    return wheels[-1] if wheels else None


def carried_engine() -> list[str] | None:
    """The command running the engine this add-on brings: the extension's bundled one, or the one the legacy
    add-on's Install engine installed; None when there is none."""
    site = wheels_site_packages()
    if site is not None:
        return engine.bundled_command(sys.executable, site)
    if engine.installer is not None:
        executable = engine.installer.installed_executable(engine_root())
        if executable:
            return [executable, "serve"]
    return None


def client(context: Any) -> Any:
    """The engine client for an operator: the add-on's setting, $NAKAWARI_ENGINE, the carried engine, PATH."""
    return engine.get_client(engine.engine_setting(context), carried_engine(), logs_folder(), os.environ)
