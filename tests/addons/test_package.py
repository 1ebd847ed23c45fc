"""`nakawari package`: the release artefacts (engine wheel, Krita zip carrying it, Blender zip, SHA256SUMS),
reproducible, also from an installed engine; the Krita zip checked the way Krita's "Import Python Plugin from
File…" reads it."""
from __future__ import annotations

import configparser
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from engine_helpers import engine_executable

from nakawari import __version__
from nakawari.package import HOST_KIT, KRITA_PLUGIN

sys.path.insert(0, str(Path(__file__).parents[1] / "hosts" / "krita"))
import harness  # noqa: E402

KRITA_IMPORTER = harness.KRITA_IMPORTER


WHEEL, KRITA_ZIP = f"nakawari-{__version__}-py3-none-any.whl", f"nakawari-krita-{__version__}.zip"


def _listed(out: Path) -> list[str]:
    """The artefacts SHA256SUMS names: the wheel, the Krita zip, then Blender's (the add-on decides which)."""
    return [line.split("  ")[1] for line in (out / "SHA256SUMS").read_text().splitlines()]


def _package(command: list[str], out: Path) -> list[str]:
    done = subprocess.run([*command, "package", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    printed = _package([engine_executable()], out)
    listed = _listed(out)
    assert listed[:2] == [WHEEL, KRITA_ZIP] and len(listed) >= 3
    assert all(__version__ in name for name in listed)  # each carries the engine version in its name
    assert printed[:-1] == [str(out / name) for name in [*listed, "SHA256SUMS"]]
    return out


@pytest.fixture(scope="module")
def built(release) -> Path:
    return release / KRITA_ZIP


def test_sha256sums_list_every_artefact(release):
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


def test_the_krita_zip_carries_the_engine_wheel_of_this_version(release, built):
    assert zipfile.ZipFile(built).read(f"nakawari/engine/{WHEEL}") == (release / WHEEL).read_bytes()


def test_the_wheel_carries_the_plugin_and_addon_sources(release):
    names = zipfile.ZipFile(release / WHEEL).namelist()
    assert {"nakawari/krita_plugin/nakawari.desktop", "nakawari/krita_plugin/nakawari/docker.py",
            "nakawari/blender_addon/nakawari_gp/__init__.py", "nakawari/engine_install.py"} <= set(names)
    assert names[-1].endswith(".dist-info/RECORD")


def test_artefacts_are_reproducible_and_built_from_an_installed_engine(release, tmp_path):
    """The wheel installed (not editable) into a folder of its own: `nakawari package` from there gives the
    same three files, byte for byte, as from the checkout."""
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           str(release / WHEEL)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import nakawari.package as p; "
            "assert p.HERE.parent == __import__('pathlib').Path(sys.argv[1]).resolve(), p.HERE; "
            "from nakawari.cli import main; sys.argv[1:2] = []; sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "again"
    _package([sys.executable, "-c", code, str(target), str(target)], out)
    assert _listed(out) == _listed(release)
    for name in [*_listed(release), "SHA256SUMS"]:
        assert (out / name).read_bytes() == (release / name).read_bytes(), name


def test_zip_has_directory_entries_desktop_action_and_the_host_kit(built):
    names = zipfile.ZipFile(built).namelist()
    assert "nakawari/" in names  # without it Krita says "No plugins found in archive"
    kit = {"nakawari/host_kit.py", "nakawari/client.py", "nakawari/engine_job.py", "nakawari/engine_install.py"}
    assert {f"nakawari/{name}" for name in HOST_KIT} == kit
    assert {"nakawari.desktop", "nakawari.action", "nakawari/__init__.py"} | kit <= set(names)
    packaged = {name for name in names if name.startswith("nakawari/") and name.endswith(".py")}
    in_checkout = {f"nakawari/{p.name}" for p in (KRITA_PLUGIN / "nakawari").glob("*.py")} | kit
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


def test_the_host_kit_in_the_zip_is_the_engines(built):
    for name in HOST_KIT:
        engine_copy = (Path(__file__).resolve().parents[2] / "core" / name).read_bytes()
        assert zipfile.ZipFile(built).read(f"nakawari/{name}") == engine_copy, name


def test_existing_zip_is_not_overwritten_without_asking(built):
    again = subprocess.run([engine_executable(), "package", "--out", str(built.parent)], capture_output=True,
                           text=True)  # the checks above have read the files already
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
