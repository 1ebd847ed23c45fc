"""`nakawari package`: the add-on zips, built from a source checkout into dist/.

The Blender zip (`nakawari-blender-<version>.zip`) is ONE zip for both ways Blender installs add-ons: a
single top-level folder `nakawari_gp/` holding the add-on package, with `__init__.py` (its `bl_info` makes it
a legacy add-on: Blender ≤ 4.1's and 4.2+'s "Install legacy Add-on" unpack the zip into scripts/addons/) and
`blender_manifest.toml` (which makes it a 4.2+ extension: Blender's extension installer and its
`blender_ext.py validate` accept the manifest either at the zip's root or inside exactly one top-level
folder, `pkg_zipfile_detect_subdir_or_none`, and install that folder's contents as the extension). A zip with
the manifest at its root would not do as a legacy add-on (the add-on's modules would land loose in
scripts/addons/), so the folder layout is the one that serves both; the tests install this same file both
ways in real Blender. The engine client is copied in as `nakawari_gp/client.py`.

The Krita zip is what Krita's "Tools ▸ Scripts ▸ Import Python Plugin from File…" accepts: the .desktop file
(X-KDE-Library=nakawari) and the .action file at the top, the `nakawari/` package folder WITH explicit
directory entries (Krita's importer finds the package by its `nakawari/` entry), and the engine client
(`core/client.py`) copied in as `nakawari/client.py`.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from . import __version__
from .errors import BadInput
from .output import StagedOutput

CHECKOUT = Path(__file__).resolve().parent.parent
KRITA_PLUGIN = CHECKOUT / "krita_plugin"
PLUGIN_NAME = "nakawari"
BLENDER_ADDON = CHECKOUT / "blender_addon"
ADDON_NAME = "nakawari_gp"   # the add-on's package folder and its extension id
MANIFEST_NAME = "blender_manifest.toml"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # reproducible archives: same sources, same bytes


def krita_plugin_files(plugin_dir: Path = KRITA_PLUGIN) -> dict[str, Path]:
    """Archive name → source file, in the pykrita layout."""
    if not (plugin_dir / f"{PLUGIN_NAME}.desktop").is_file():
        raise BadInput("the Krita plugin sources are not here; run `nakawari package` from a source checkout",
                       plugin_dir)
    files = {f"{PLUGIN_NAME}.desktop": plugin_dir / f"{PLUGIN_NAME}.desktop",
             f"{PLUGIN_NAME}.action": plugin_dir / f"{PLUGIN_NAME}.action"}
    files.update(_package_files(plugin_dir, PLUGIN_NAME))
    return files


def _package_files(parent: Path, name: str) -> dict[str, Path]:
    """Archive name → source file for the package folder `parent/name` (no byte code), with the engine
    client copied in as `<name>/client.py`."""
    files = {}
    for path in sorted((parent / name).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(parent).as_posix()] = path
    files[f"{name}/client.py"] = Path(__file__).with_name("client.py")
    return files


def blender_addon_files(addon_dir: Path = BLENDER_ADDON) -> dict[str, Path]:
    """Archive name → source file: everything under `nakawari_gp/`, manifest included."""
    package = addon_dir / ADDON_NAME
    for needed in ("__init__.py", MANIFEST_NAME):
        if not (package / needed).is_file():
            raise BadInput("the Blender add-on sources are not here; run `nakawari package` from a source "
                           "checkout", package / needed)
    manifest = package / MANIFEST_NAME
    version = re.search(r'^version\s*=\s*"([^"]*)"', manifest.read_text(encoding="utf-8"), re.MULTILINE)
    if version is None or version.group(1) != __version__:
        # Blender shows the manifest's version; an add-on claiming another version than its engine misleads.
        found = version.group(1) if version else "none"
        raise BadInput(f"version is {found}, the engine is {__version__}; make them the same", manifest)
    return _package_files(addon_dir, ADDON_NAME)


def _zip_bytes(files: dict[str, Path]) -> bytes:
    """A reproducible zip (fixed times and modes, sorted names) with explicit folder entries."""
    folders = sorted({"/".join(parts[:i]) + "/" for parts in (name.split("/") for name in files)
                      for i in range(1, len(parts))})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in folders:
            entry = zipfile.ZipInfo(folder, _FIXED_TIME)
            entry.external_attr = 0o40755 << 16 | 0x10  # a directory, for Unix and Windows unzippers
            archive.writestr(entry, b"")
        for name, source in sorted(files.items()):
            entry = zipfile.ZipInfo(name, _FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, source.read_bytes())
    return buffer.getvalue()


def krita_zip_bytes(plugin_dir: Path = KRITA_PLUGIN) -> bytes:
    return _zip_bytes(krita_plugin_files(plugin_dir))


def blender_zip_bytes(addon_dir: Path = BLENDER_ADDON) -> bytes:
    return _zip_bytes(blender_addon_files(addon_dir))


def krita_zip_name() -> str:
    return f"nakawari-krita-{__version__}.zip"


def blender_zip_name() -> str:
    return f"nakawari-blender-{__version__}.zip"


def build_packages(out: Path, *, overwrite: bool = False) -> list[Path]:
    """Write the add-on zips (and manifest.json) into `out`; returns the paths written."""
    with StagedOutput(out, overwrite=overwrite) as output:
        krita, blender = krita_zip_name(), blender_zip_name()
        output.refuse_existing([krita, blender])
        output.write_bytes(krita, krita_zip_bytes())
        output.write_bytes(blender, blender_zip_bytes())
        return output.commit({"command": "package", "version": __version__, "krita": krita, "blender": blender})
