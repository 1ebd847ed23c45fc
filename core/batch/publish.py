"""Publish one shot with pyblish: the plugins in `nakawari.pyblish_plugins`, stopped at the first error."""
from __future__ import annotations

import contextlib
import io
import logging
import runpy
import shutil
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import pyblish.api
import pyblish.util

from .. import pyblish_plugins  # type: ignore[attr-defined]  # plugins/, installed as nakawari.pyblish_plugins
from ..errors import BadInput
from .lock import shot_lock
from .result import FAILED, PUBLISHED, UP_TO_DATE, ShotResult, unexpected
from .shot import ShotProblem

# plugin file → the class pyblish must discover in it (discovery only logs a file that fails to import).
PLUGINS = {
    "collect_shots": "CollectShots",
    "collect_published_version": "CollectPublishedVersion",
    "validate_shot_settings": "ValidateShotSettings",
    "validate_shot_keys": "ValidateShotKeys",
    "validate_key_images": "ValidateKeyImages",
    "validate_publish_target": "ValidatePublishTarget",
    "extract_inbetweens": "ExtractInbetweens",
    "extract_douga": "ExtractDouga",
    "extract_cels": "ExtractCels",
    "collect_painted_keys": "CollectPaintedKeys",
    "extract_paint": "ExtractPaint",
    "integrate_version": "IntegrateVersion",
}
# pyblish turns the root logger to DEBUG while a plugin runs; these would flood each result's records.
NOISY_LOGGERS = ("PIL", "matplotlib", "numba", "urllib3", "filelock", "asyncio", "fsspec", "ray", "onnxruntime")


def plugin_dir() -> Path:
    return Path(pyblish_plugins.__file__).parent


def discover_plugins() -> list[type]:
    """Our plugins (plus any a studio adds on PYBLISHPLUGINPATH); raises naming a plugin that did not load."""
    folder = plugin_dir()
    pyblish.api.deregister_all_paths()  # the default path adds pyblish's own collectors
    pyblish.api.register_plugin_path(str(folder))
    plugins = pyblish.api.discover()
    found = {plugin.__name__ for plugin in plugins}
    for file, name in PLUGINS.items():
        if name not in found:
            runpy.run_path(str(folder / f"{file}.py"))  # raises the import error discovery swallowed
            raise RuntimeError(f"pyblish found no {name} in {folder / file}.py")
    return plugins


def publish_shot(shot_dir: str | Path, publish_root: str | Path, jobs: Sequence[str] = ("inbetween",),
                 device: str = "auto") -> ShotResult:
    """Collect, validate, extract and integrate one shot; never raises for the shot's own problems."""
    started = time.perf_counter()
    shot = Path(shot_dir).absolute().name
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # pyblish prints every plugin error's traceback; ours go to the summary table and the failure log.
    logging.getLogger("pyblish.plugin").setLevel(logging.CRITICAL)
    context = pyblish.api.Context()
    context.data.update({"nakawari.shot_dirs": [str(shot_dir)], "nakawari.publish_root": str(publish_root),
                         "nakawari.jobs": list(jobs), "nakawari.device": device})
    failure = None
    warnings: list[str] = []
    try:
        # Only validation errors stop pyblish; any error must stop this shot before it integrates.
        # publish_iter also print()s each error to stdout: the summary table reports them instead.
        with shot_lock(Path(publish_root).absolute(), shot), contextlib.redirect_stdout(io.StringIO()):
            for result in pyblish.util.publish_iter(context, plugins=discover_plugins()):
                warnings += [r.getMessage() for r in result["records"] if r.levelno == logging.WARNING]
                if result["error"] is not None:
                    failure = result
                    break
    except Exception as error:  # noqa: BLE001 - outside any plugin (discovery): still one shot's failure
        return unexpected(shot, error, traceback.format_exc(), time.perf_counter() - started)
    finally:
        for instance in context:
            if "staging_dir" in instance.data:
                shutil.rmtree(instance.data["staging_dir"], ignore_errors=True)
    seconds = time.perf_counter() - started
    if failure is not None:
        plugin_error = failure["error"]
        if isinstance(plugin_error, BadInput):
            return ShotResult(shot, FAILED, seconds=seconds,
                              problem=_artist_message(shot, failure["plugin"], plugin_error), bad_input=True,
                              warnings=warnings)
        plugin = failure["plugin"].__name__
        return unexpected(shot, f"{plugin}: {plugin_error}",
                          getattr(plugin_error, "formatted_traceback", repr(plugin_error)), seconds)
    data = context[0].data
    if "up_to_date" in data:
        return ShotResult(shot, UP_TO_DATE, version=data["up_to_date"], seconds=seconds, warnings=warnings)
    return ShotResult(shot, PUBLISHED, version=data["version"], seconds=seconds, warnings=warnings)


def _artist_message(shot: str, plugin: type, error: BadInput) -> str:
    """Validators name shot and file already; an engine job names a full path, often inside staging."""
    if isinstance(error, ShotProblem):
        return str(error)
    where = f"{shot}/{Path(error.path).name}" if error.path else shot
    return f"{getattr(plugin, 'label', plugin.__name__)}: {where}: {error.problem}"
