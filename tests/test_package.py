"""`nakawari package`: the Krita zip, checked the way Krita's "Import Python Plugin from File…" reads it."""
from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from engine_helpers import engine_executable
from nakawari import __version__
from nakawari.package import KRITA_PLUGIN

sys.path.insert(0, str(Path(__file__).parent / "hosts" / "krita"))
import harness  # noqa: E402

KRITA_IMPORTER = harness.KRITA_IMPORTER


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([engine_executable(), "package", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    path = out / f"nakawari-krita-{__version__}.zip"
    assert done.stdout.splitlines()[0] == str(path)
    return path


def test_zip_has_directory_entries_desktop_action_and_client(built):
    names = zipfile.ZipFile(built).namelist()
    assert "nakawari/" in names  # without it Krita says "No plugins found in archive"
    assert {"nakawari.desktop", "nakawari.action", "nakawari/__init__.py", "nakawari/client.py"} <= set(names)
    packaged = {name for name in names if name.startswith("nakawari/") and name.endswith(".py")}
    in_checkout = {f"nakawari/{p.name}" for p in (KRITA_PLUGIN / "nakawari").glob("*.py")} | {"nakawari/client.py"}
    assert packaged == in_checkout
    assert not any("__pycache__" in name for name in names)


def test_desktop_file_names_the_package_like_krita_reads_it(built):
    """Krita's importer: every *.desktop → [Desktop Entry] X-KDE-Library and Name → a folder `<lib>/` that
    holds `<lib>/__init__.py`; `<lib>.action` goes to actions/."""
    archive = zipfile.ZipFile(built)
    names = archive.namelist()
    desktops = [name for name in names if name.endswith(".desktop")]
    assert desktops == ["nakawari.desktop"]
    config = configparser.ConfigParser()
    config.read_string(archive.read(desktops[0]).decode("utf-8"))
    entry = config["Desktop Entry"]
    library = entry["X-KDE-Library"]
    assert entry["Name"] and entry["ServiceTypes"] == "Krita/PythonPlugin" and entry["Type"] == "Service"
    assert f"{library}/" in names and f"{library}/__init__.py" in names
    assert f"{library}.action" in names


def test_client_in_the_zip_is_the_engine_client(built):
    engine_client = (Path(__file__).resolve().parent.parent / "core" / "client.py").read_bytes()
    assert zipfile.ZipFile(built).read("nakawari/client.py") == engine_client


def test_existing_zip_is_not_overwritten_without_asking(built):
    again = subprocess.run([engine_executable(), "package", "--out", str(built.parent)], capture_output=True,
                           text=True)
    assert again.returncode == 2 and "already exists" in again.stderr
    forced = subprocess.run([engine_executable(), "package", "--out", str(built.parent), "--overwrite"],
                            capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr


@pytest.mark.skipif(not KRITA_IMPORTER.exists(), reason="Krita is not installed (its importer ships with it)")
def test_krita_own_importer_installs_it(built, tmp_path):
    importer = harness.krita_importer()
    imported = importer.PluginImporter(str(built), str(tmp_path), lambda plugin: True).import_all()
    assert [plugin["name"] for plugin in imported] == ["nakawari"]
    assert (tmp_path / "pykrita" / "nakawari.desktop").is_file()
    assert (tmp_path / "pykrita" / "nakawari" / "client.py").is_file()
    assert (tmp_path / "actions" / "nakawari.action").is_file()


@pytest.mark.skipif(not KRITA_IMPORTER.exists(), reason="Krita is not installed (its importer ships with it)")
def test_krita_importer_rejects_a_zip_without_directory_entries(built, tmp_path):
    """Why the directory entries matter: the same files zipped without them are not a plugin to Krita."""
    importer = harness.krita_importer()
    importer.i18n = str  # Krita's importer calls its i18n() on this error path
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(flat, "w") as target:
        for name in source.namelist():
            if not name.endswith("/"):
                target.writestr(name, source.read(name))
    with pytest.raises(importer.NoPluginsFoundException):
        importer.PluginImporter(str(flat), str(tmp_path / "resources"), lambda plugin: True).import_all()
