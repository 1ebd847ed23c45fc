"""`nakawari package`: the release artefacts, from a source checkout or from an installed engine.

Writes the engine wheel, the Krita zip (carrying that wheel), the Blender zip and SHA256SUMS, each named with
the engine version and reproducible (fixed times, modes and order: the same sources give the same bytes).
The plugin's and add-on's sources are package data of the engine (`nakawari/krita_plugin/`,
`nakawari/blender_addon/`, see pyproject.toml), so an installed engine can build them too; in a checkout the
folders beside core/ are used. The wheel is built with `pip wheel` in a checkout and re-packed from the
installed files (the distribution's RECORD) otherwise; both pass through one reproducible wheel writer.

The Blender zip (`nakawari-blender-<version>.zip`) is ONE zip for both ways Blender installs add-ons: a
single top-level folder `nakawari_gp/` holding the add-on package, with `__init__.py` (its `bl_info` makes it
a legacy add-on: Blender ≤ 4.1's and 4.2+'s "Install legacy Add-on" unpack the zip into scripts/addons/) and
`blender_manifest.toml` (which makes it a 4.2+ extension: Blender's extension installer and its
`blender_ext.py validate` accept the manifest either at the zip's root or inside exactly one top-level
folder, `pkg_zipfile_detect_subdir_or_none`, and install that folder's contents as the extension). A zip with
the manifest at its root would not do as a legacy add-on (the add-on's modules would land loose in
scripts/addons/), so the folder layout is the one that serves both; the tests install this same file both
ways in real Blender. The host kit (`HOST_KIT`: the client and its companions) is copied into
`nakawari_gp/`. When
`core/blender_extension.py` defines `release_files(engine_wheel, work)`, its answer (artefact name → bytes)
replaces that zip: the Blender add-on's own hook (bundled wheels, manifest, platforms).

The Krita zip is what Krita's "Tools ▸ Scripts ▸ Import Python Plugin from File…" accepts: the .desktop file
(X-KDE-Library=nakawari) and the .action file at the top, the `nakawari/` package folder WITH explicit
directory entries (Krita's importer finds the package by its `nakawari/` entry), the host kit (`HOST_KIT`:
the engine client, its companions and the installer) copied in, and the engine wheel in
`nakawari/engine/` for the docker's Install engine.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from . import __version__
from .errors import BadInput
from .output import StagedOutput

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
PLUGIN_NAME = "nakawari"
ADDON_NAME = "nakawari_gp"   # the add-on's package folder and its extension id
MANIFEST_NAME = "blender_manifest.toml"
DIST_NAME = "nakawari"
# The engine-free modules every add-on carries (standard library, Python ≥ 3.10): the protocol and planner
# (host_kit), the client, engine calls on a thread (engine_job) and the engine installer.
HOST_KIT = ("host_kit.py", "client.py", "engine_job.py", "engine_install.py")
ENGINE_FOLDER = "engine"   # <plugin package>/engine/<wheel>: what Install engine installs
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # reproducible archives: same sources, same bytes


def _sources(name: str) -> Path:
    """An add-on's source folder: package data of an installed engine, else the checkout's folder."""
    packaged = HERE / name
    return packaged if packaged.is_dir() else CHECKOUT / name


KRITA_PLUGIN = _sources("krita_plugin")
BLENDER_ADDON = _sources("blender_addon")


def krita_plugin_files(plugin_dir: Path = KRITA_PLUGIN, engine_wheel: Path | None = None) -> dict[str, Path]:
    """Archive name → source file, in the pykrita layout (the engine wheel under nakawari/engine/)."""
    if not (plugin_dir / f"{PLUGIN_NAME}.desktop").is_file():
        raise BadInput("the Krita plugin sources are missing from this engine (neither package data nor a "
                       "checkout); reinstall nakawari", plugin_dir)
    files = {f"{PLUGIN_NAME}.desktop": plugin_dir / f"{PLUGIN_NAME}.desktop",
             f"{PLUGIN_NAME}.action": plugin_dir / f"{PLUGIN_NAME}.action"}
    files.update(_package_files(plugin_dir, PLUGIN_NAME))
    if engine_wheel is not None:
        files[f"{PLUGIN_NAME}/{ENGINE_FOLDER}/{engine_wheel.name}"] = engine_wheel
    return files


def host_kit_files(package: str) -> dict[str, Path]:
    """Archive name → file for the engine-free modules an add-on package carries (`HOST_KIT`)."""
    return {f"{package}/{name}": HERE / name for name in HOST_KIT}


def _package_files(parent: Path, name: str) -> dict[str, Path]:
    """Archive name → source file for the package folder `parent/name` (no byte code, no engine wheels
    left from a test install), with the host kit copied in."""
    files = {}
    for path in sorted((parent / name).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".whl"):
            files[path.relative_to(parent).as_posix()] = path
    files.update(host_kit_files(name))
    return files


def blender_addon_files(addon_dir: Path = BLENDER_ADDON) -> dict[str, Path]:
    """Archive name → source file: everything under `nakawari_gp/`, manifest included."""
    package = addon_dir / ADDON_NAME
    for needed in ("__init__.py", MANIFEST_NAME):
        if not (package / needed).is_file():
            raise BadInput("the Blender add-on sources are missing from this engine (neither package data nor "
                           "a checkout); reinstall nakawari", package / needed)
    manifest = package / MANIFEST_NAME
    version = re.search(r'^version\s*=\s*"([^"]*)"', manifest.read_text(encoding="utf-8"), re.MULTILINE)
    if version is None or version.group(1) != __version__:
        # Blender shows the manifest's version; an add-on claiming another version than its engine misleads.
        found = version.group(1) if version else "none"
        raise BadInput(f"version is {found}, the engine is {__version__}; make them the same", manifest)
    files = _package_files(addon_dir, ADDON_NAME)
    files.pop(f"{ADDON_NAME}/engine_install.py", None)  # the add-on's hook decides what else it carries
    return files


def blender_artefacts(engine_wheel: Path, work: Path) -> dict[str, bytes]:
    """Artefact name → bytes for Blender: `blender_extension.release_files(engine_wheel, work)` when that
    module defines it (the extension with its bundled wheels), else the add-on zip alone."""
    # Imported here: blender_extension imports this module (and `packaging`), so not at the top.
    extension = importlib.import_module(f"{__package__}.blender_extension")
    release_files = getattr(extension, "release_files", None)
    if release_files is not None:
        return dict(release_files(engine_wheel, work))
    return {blender_zip_name(): blender_zip_bytes()}


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


def krita_zip_bytes(plugin_dir: Path = KRITA_PLUGIN, engine_wheel: Path | None = None) -> bytes:
    return _zip_bytes(krita_plugin_files(plugin_dir, engine_wheel))


def blender_zip_bytes(addon_dir: Path = BLENDER_ADDON) -> bytes:
    return _zip_bytes(blender_addon_files(addon_dir))


def krita_zip_name() -> str:
    return f"nakawari-krita-{__version__}.zip"


def blender_zip_name() -> str:
    return f"nakawari-blender-{__version__}.zip"


def wheel_name() -> str:
    return f"{DIST_NAME}-{__version__}-py3-none-any.whl"


# --- the engine wheel ----------------------------------------------------------------------------------
def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def wheel_bytes(entries: dict[str, bytes]) -> bytes:
    """A reproducible wheel from its files (RECORD rewritten): fixed times, sorted, .dist-info last."""
    dist_info = next(name.split("/")[0] for name in entries if name.split("/")[0].endswith(".dist-info"))
    record_name = f"{dist_info}/RECORD"
    files = {name: data for name, data in entries.items() if name != record_name}
    order = sorted(files, key=lambda name: (name.startswith(dist_info + "/"), name))
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    for name in order:
        writer.writerow([name, _record_hash(files[name]), len(files[name])])
    writer.writerow([record_name, "", ""])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in [*order, record_name]:
            entry = zipfile.ZipInfo(name, _FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, files[name] if name != record_name else rows.getvalue().encode("utf-8"))
    return buffer.getvalue()


def _is_checkout() -> bool:
    project = CHECKOUT / "pyproject.toml"
    return project.is_file() and re.search(r'^name\s*=\s*"nakawari"', project.read_text(encoding="utf-8"),
                                           re.MULTILINE) is not None and (CHECKOUT / "core").is_dir()


def _checkout_wheel_entries() -> dict[str, bytes]:
    """`pip wheel` of the checkout (no dependencies, this environment's setuptools), read back."""
    # setuptools builds in the checkout's build/ and keeps what it copied there: a module deleted from the
    # sources would still ship. build/ is its scratch folder (ignored by git), so it starts empty.
    shutil.rmtree(CHECKOUT / "build" / "lib", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="nakawari-wheel-") as folder:
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--quiet", "--wheel-dir", folder, str(CHECKOUT)], capture_output=True, text=True)
        built = sorted(Path(folder).glob("*.whl"))
        if done.returncode != 0 or len(built) != 1:
            raise BadInput(f"pip wheel failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}", CHECKOUT)
        with zipfile.ZipFile(built[0]) as archive:
            return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


_NOT_IN_WHEEL = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


def _installed_wheel_entries() -> dict[str, bytes]:
    """The installed engine's own files (its RECORD), as a wheel holds them: no byte code, no scripts
    (pip writes those from entry_points.txt), no installer's notes."""
    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        raise BadInput("the nakawari engine is neither a checkout nor an installed distribution", HERE) from None
    entries = {}
    for file in dist.files or []:
        name = file.as_posix()
        if name.startswith("..") or "__pycache__" in name or name.endswith(".pyc") \
                or (".dist-info/" in name and name.rsplit("/", 1)[1] in _NOT_IN_WHEEL):
            continue
        entries[name] = Path(str(dist.locate_file(file))).read_bytes()
    if not any(name.startswith("nakawari/") for name in entries):
        raise BadInput("this engine is installed in development mode without its files; run the command from "
                       "its checkout", HERE)
    return entries


def build_wheel_bytes() -> bytes:
    return wheel_bytes(_checkout_wheel_entries() if _is_checkout() else _installed_wheel_entries())


def build_packages(out: Path, *, overwrite: bool = False) -> list[Path]:
    """Write the wheel, the add-on zips, SHA256SUMS (and manifest.json) into `out`; returns the paths written."""
    with (StagedOutput(out, overwrite=overwrite) as output,
          tempfile.TemporaryDirectory(prefix="nakawari-package-") as tmp):
        wheel, krita, sums = wheel_name(), krita_zip_name(), "SHA256SUMS"
        output.refuse_existing([wheel, krita, blender_zip_name(), sums])
        work = Path(tmp)
        wheel_path = work / wheel
        wheel_path.write_bytes(build_wheel_bytes())
        made = {wheel: wheel_path.read_bytes(), krita: krita_zip_bytes(KRITA_PLUGIN, wheel_path)}
        blender = blender_artefacts(wheel_path, work / "blender")
        output.refuse_existing(blender)
        made.update(blender)
        for name, data in made.items():
            output.write_bytes(name, data)
        digests = {name: hashlib.sha256(data).hexdigest() for name, data in made.items()}
        output.write_bytes(sums, "".join(f"{digest}  {name}\n" for name, digest in digests.items()).encode("ascii"))
        return output.commit({"command": "package", "version": __version__, "wheel": wheel, "krita": krita,
                              "blender": sorted(blender), "sha256": digests})
