"""The engine as the add-on sees it: where it is (the add-on preference, then $NAKAWARI_ENGINE, then
`nakawari` on PATH: `client.find_engine`) and the one client kept while Blender runs.

`client.py` is the engine's standard-library client (`core/client.py`), copied into the add-on zip by
`nakawari package`. Run from the source tree there is no copy: it is loaded from `core/client.py`.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any


def _source_tree_client() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "core" / "client.py"
    if not path.is_file():
        raise ImportError("nakawari_gp: client.py is missing (install the add-on zip made by `nakawari package`)")
    name = f"{__package__}.client"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


try:
    from . import client
except ImportError:  # the source tree: blender_addon/nakawari_gp beside core/
    client = _source_tree_client()

EngineCancelled = client.EngineCancelled
EngineClient = client.EngineClient
EngineError = client.EngineError
LOG_DIR = Path(tempfile.gettempdir()) / "nakawari-logs"

_client: Any = None


def engine_setting(context: Any) -> str:
    """The engine path from the add-on's preferences ('' when unset or the preferences are not there)."""
    addon = context.preferences.addons.get(__package__)
    preferences = getattr(addon, "preferences", None)
    return str(getattr(preferences, "engine_path", "") or "")


def get_client(setting: str) -> Any:
    """The running client, or a new one when there is none or the engine setting changed."""
    global _client
    if _client is not None and (_client.engine_setting or "") != setting:
        _client.close()
        _client = None
    if _client is None:
        _client = EngineClient(setting or None, log_dir=LOG_DIR)
    return _client


def shutdown() -> None:
    """Stop the engine (the add-on is disabled or Blender quits)."""
    global _client
    if _client is not None:
        _client.close()
        _client = None
