"""The engine as the add-on sees it: where it is (the add-on preference, then $NAKAWARI_ENGINE, then the
engine the extension carries as wheels, run by Blender's own Python, then `nakawari` on PATH) and the one
client kept while Blender runs. No bpy here (`locate` asks Blender where things are).

`client` and `engine_install` are the host kit's (`core/client.py`, `core/engine_install.py`), copied into the
add-on zip by `nakawari package`; run from the source tree, the package's `__init__` loads them from core/.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from . import client
from .host_kit import log_folder

installer: ModuleType | None
try:  # the engine installer (legacy add-on's Install engine); the self-contained extension carries none
    from . import engine_install as installer
except ImportError:
    installer = None

EngineCancelled = client.EngineCancelled
EngineClient = client.EngineClient
EngineError = client.EngineError
# Run by the host's Python with -I (no PYTHONPATH, user site or working folder): the carried site-packages
# first, then that Python's own (Blender's numpy). `main` reads the arguments after the folder.
_SERVE = "import sys; sys.path.insert(0, sys.argv.pop(1)); from nakawari.cli import main; sys.exit(main())"

_client: Any = None
_client_key: tuple[str, tuple[str, ...]] | None = None


def engine_setting(context: Any) -> str:
    """The engine path from the add-on's preferences ('' when unset or the preferences are not there)."""
    addon = context.preferences.addons.get(__package__)
    preferences = getattr(addon, "preferences", None)
    return str(getattr(preferences, "engine_path", "") or "")


def bundled_command(python: str, site_packages: Path) -> list[str] | None:
    """The command serving the engine installed (from the extension's wheels) in `site_packages`, run by
    `python`; None when the engine is not there."""
    if not (site_packages / "nakawari" / "cli.py").is_file():
        return None
    return [python, "-I", "-c", _SERVE, str(site_packages), "serve"]


def chosen_command(setting: str, carried: list[str] | None, environ: Mapping[str, str]) -> list[str] | None:
    """The carried engine's command when nothing was chosen by hand (the setting, then $NAKAWARI_ENGINE, win);
    None: find the `nakawari` program (`client.find_engine`)."""
    if setting.strip() or environ.get(client.ENV_VAR, "").strip():
        return None
    return carried


def get_client(setting: str, carried: list[str] | None = None, log_dir: Path | None = None,
               environ: Mapping[str, str] | None = None) -> Any:
    """The running client, or a new one when there is none or the engine choice changed."""
    global _client, _client_key
    command = chosen_command(setting, carried, os.environ if environ is None else environ)
    key = (setting, tuple(command or ()))
    if _client is not None and _client_key != key:
        _client.close()
        _client = None
    if _client is None:
        _client = EngineClient(setting or None, log_dir=log_dir or log_folder(), command=command)
        _client_key = key
    return _client


def shutdown() -> None:
    """Stop the engine (the add-on is disabled or Blender quits)."""
    global _client, _client_key
    if _client is not None:
        _client.close()
        _client, _client_key = None, None
