"""Versioned publish folders `PUBLISH_ROOT/<shot>/v001, v002, …`, written through a transaction.

A version is assembled in a hidden `.v003.partial-*` folder beside the others (same file system), its
manifest written last, then renamed into place in one step; any failure removes the partial folder, so a
version folder either holds everything or does not exist. Published versions are never touched again.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import UMASK, sha256_file
from ..output_guard import process_alive
from .result import version_name

MANIFEST = "manifest.json"
_VERSION = re.compile(r"^v(\d{3,})$")


def latest_version(shot_root: Path) -> tuple[int, dict[str, Any] | None]:
    """The highest published version number (0 when none) and its manifest (None when unreadable)."""
    numbers = [int(m.group(1)) for entry in (os.listdir(shot_root) if shot_root.is_dir() else [])
               if (m := _VERSION.match(entry))]
    if not numbers:
        return 0, None
    latest = max(numbers)
    try:
        manifest = json.loads((shot_root / version_name(latest) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    return latest, manifest if isinstance(manifest, dict) else None


def checksums(paths: list[Path], root: Path) -> list[dict[str, str]]:
    return [{"file": path.relative_to(root).as_posix(), "sha256": sha256_file(path)} for path in paths]


def _owner_tag() -> str:
    """Staging and partial folders carry their run's host and pid in their names (no marker file inside:
    everything inside is published), so a later run can tell a dead run's leftovers from a live one's."""
    return f"{socket.gethostname().replace('-', '_')}-{os.getpid()}-"


_LEFTOVER = re.compile(r"^\.(?:staging|v\d{3,}\.partial)-(?P<host>[^-]+)-(?P<pid>\d+)-")


def remove_dead_leftovers(shot_root: Path) -> None:
    """Remove staging and partial version folders that runs of this machine left when they were killed."""
    host = socket.gethostname().replace("-", "_")
    try:
        entries = list(shot_root.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match and match["host"] == host and not process_alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)


def staging_for(data: dict[str, Any]) -> Path:
    """The shot's staging folder for extractors (made on first use, recorded in the instance `data`): inside
    the shot's publish folder, on the same file system, so integration only renames."""
    if "staging_dir" not in data:
        shot_root = Path(data["shot_root"])
        shot_root.mkdir(parents=True, exist_ok=True)
        remove_dead_leftovers(shot_root)
        data["staging_dir"] = tempfile.mkdtemp(prefix=f".staging-{_owner_tag()}", dir=shot_root)
    return Path(data["staging_dir"])


def _move_file(source: Path, target: Path) -> None:
    os.replace(source, target)


def commit_version(shot_root: Path, staging: Path, manifest: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """Move everything under `staging` into the next version folder with `manifest` (plus version, engine,
    time and output checksums). Returns the version folder and the manifest written."""
    number = latest_version(shot_root)[0] + 1
    final = shot_root / version_name(number)
    partial = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-{_owner_tag()}", dir=shot_root))
    try:
        outputs = []
        for source in sorted(path for path in staging.rglob("*") if path.is_file()):
            relative = source.relative_to(staging)
            target = partial / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            _move_file(source, target)
            if target.name == MANIFEST:
                _repoint(target, staging, final)
            outputs.append({"file": relative.as_posix(), "sha256": sha256_file(target)})
        written = {"version": number, "engine": __version__,
                   "published": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                   **manifest, "outputs": outputs}
        (partial / MANIFEST).write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
        os.chmod(partial, 0o777 & ~UMASK)  # mkdtemp makes folders private; versions are ordinary folders
        if final.exists():  # another publish of this shot got there first: never replace a version
            raise FileExistsError(f"{final} appeared while publishing")
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, written


def _repoint(manifest: Path, staging: Path, final: Path) -> None:
    """A job manifest names its sources; those made in staging (inbetweens feeding douga) now live in `final`."""
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, str) and Path(value).is_relative_to(staging):
            return str(final / Path(value).relative_to(staging))
        return value

    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps(walk(data), indent=2) + "\n", encoding="utf-8")
