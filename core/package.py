"""`nakawari package`: the add-on zips, built from a source checkout into dist/.

The Krita zip is what Krita's "Tools ▸ Scripts ▸ Import Python Plugin from File…" accepts: the .desktop file
(X-KDE-Library=nakawari) and the .action file at the top, the `nakawari/` package folder WITH explicit
directory entries (Krita's importer finds the package by its `nakawari/` entry), and the engine client
(`core/client.py`) copied in as `nakawari/client.py`.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from . import __version__
from .errors import BadInput
from .output import StagedOutput

CHECKOUT = Path(__file__).resolve().parent.parent
KRITA_PLUGIN = CHECKOUT / "krita_plugin"
PLUGIN_NAME = "nakawari"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # reproducible archives: same sources, same bytes


def krita_plugin_files(plugin_dir: Path = KRITA_PLUGIN) -> dict[str, Path]:
    """Archive name → source file, in the pykrita layout."""
    if not (plugin_dir / f"{PLUGIN_NAME}.desktop").is_file():
        raise BadInput("the Krita plugin sources are not here; run `nakawari package` from a source checkout",
                       plugin_dir)
    files = {f"{PLUGIN_NAME}.desktop": plugin_dir / f"{PLUGIN_NAME}.desktop",
             f"{PLUGIN_NAME}.action": plugin_dir / f"{PLUGIN_NAME}.action"}
    package = plugin_dir / PLUGIN_NAME
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(plugin_dir).as_posix()] = path
    files[f"{PLUGIN_NAME}/client.py"] = Path(__file__).with_name("client.py")
    return files


def krita_zip_bytes(plugin_dir: Path = KRITA_PLUGIN) -> bytes:
    files = krita_plugin_files(plugin_dir)
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


def krita_zip_name() -> str:
    return f"nakawari-krita-{__version__}.zip"


def build_packages(out: Path, *, overwrite: bool = False) -> list[Path]:
    """Write the add-on zips (and manifest.json) into `out`; returns the paths written."""
    with StagedOutput(out, overwrite=overwrite) as output:
        name = krita_zip_name()
        output.refuse_existing([name])
        output.write_bytes(name, krita_zip_bytes())
        return output.commit({"command": "package", "version": __version__, "krita": name})
