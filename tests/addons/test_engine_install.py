"""core/engine_install.py without a host: finding Python, the states an install leaves, requirements, and one
real install from the package index into a temporary folder (the same code the Krita docker runs)."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from engine_helpers import engine_executable

from nakawari import __version__
from nakawari import engine_install as ei


def _fake_python(folder: Path, version: str) -> Path:
    program = folder / f"python{version}"
    program.write_text(f"#!/bin/sh\necho {version}\n")
    program.chmod(0o755)
    return program


def _wheel(folder: Path, version: str = "0.1.0", requires: tuple[str, ...] = ()) -> Path:
    path = folder / f"nakawari-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"nakawari-{version}.dist-info/METADATA", "Metadata-Version: 2.1\nName: nakawari\n"
                         f"Version: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires))
    return path


def test_a_python_too_old_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(ei.InstallError, match=r"is 3\.9\.18; the engine needs Python 3\.11"):
        ei.find_python(str(_fake_python(tmp_path, "3.9.18")))
    with pytest.raises(ei.InstallError, match="does not run"):
        ei.find_python(str(tmp_path / "nowhere" / "python3"))


def test_no_python_found_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(ei, "python_candidates", lambda platform, environ: [str(_fake_python(tmp_path, "3.10.4"))])
    with pytest.raises(ei.InstallError, match=r"No Python 3\.11 or newer was found.*apt install python3.*3\.10\.4"):
        ei.find_python("", platform="linux")


def test_this_machines_python_is_found():
    found = ei.find_python("")
    assert found.version[:2] >= (3, 11) and Path(found.path).is_file()


def test_requirements_take_the_cpu_onnxruntime_unless_gpu_is_chosen(tmp_path):
    wheel = _wheel(tmp_path, requires=(
        "numpy>=1.24",
        "onnxruntime-gpu>=1.18; (sys_platform == 'linux' or sys_platform == 'win32')",
        "onnxruntime>=1.18; (sys_platform != 'linux' and sys_platform != 'win32')",
        'torch>=2.4; extra == "train"'))
    assert ei.requirements_for(wheel, gpu=False) == ["numpy>=1.24", "onnxruntime>=1.18"]
    assert ei.requirements_for(wheel, gpu=True) == [
        "numpy>=1.24", "onnxruntime-gpu>=1.18; (sys_platform == 'linux' or sys_platform == 'win32')",
        "onnxruntime>=1.18; (sys_platform != 'linux' and sys_platform != 'win32')"]


def _installed(root: Path, version: str, name: str = "e1") -> Path:
    folder = root / "engines" / name
    program = ei.venv_program(folder, "nakawari")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    (folder / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    (folder / ei.MARKER).write_text(json.dumps({"version": version}))
    (root / "active").write_text(name)
    return folder


@pytest.mark.parametrize("installed, state", [("0.1.0", ei.READY), ("0.0.9", ei.UPDATE_NEEDED),
                                              ("0.2.0", ei.NEWER)])
def test_states_against_the_carried_version(tmp_path, installed, state):
    _installed(tmp_path, installed)
    status = ei.engine_status(tmp_path, "0.1.0")
    assert status.state == state and status.version == installed
    assert ei.installed_executable(tmp_path) == status.executable


def test_not_installed_and_incomplete(tmp_path):
    assert ei.engine_status(tmp_path, "0.1.0").state == ei.NOT_INSTALLED
    (tmp_path / "engines" / "half").mkdir(parents=True)  # an install killed before it finished
    assert ei.engine_status(tmp_path, "0.1.0").state == ei.INCOMPLETE
    folder = _installed(tmp_path, "0.1.0")
    (folder / ei.MARKER).unlink()
    assert ei.engine_status(tmp_path, "0.1.0").state == ei.INCOMPLETE
    assert ei.installed_executable(tmp_path) is None
    ei.remove_engine(tmp_path)
    assert ei.engine_status(tmp_path, "0.1.0").state == ei.NOT_INSTALLED


@pytest.fixture(scope="module")
def engine_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    done = subprocess.run([engine_executable(), "package", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return next(out.glob("nakawari-*.whl"))


def test_unreachable_index_fails_cleanly_and_keeps_the_engine_in_use(tmp_path, engine_wheel, monkeypatch):
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")  # no local mirror from this machine's pip.conf
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setenv("PIP_RETRIES", "0")
    previous = _installed(tmp_path, "0.0.9")
    job = ei.Install(ei.InstallSettings(root=tmp_path, wheel=engine_wheel,
                                        index_url="http://127.0.0.1:9/simple")).start()
    state = job.wait(300)
    assert state.finished and not state.ok and "could not be downloaded" in state.error, state
    assert sorted(p.name for p in (tmp_path / "engines").iterdir()) == [previous.name]  # nothing half-made
    assert ei.engine_status(tmp_path, __version__).state == ei.UPDATE_NEEDED  # the old one still in use
    assert Path(state.log).is_file() and "127.0.0.1" in Path(state.log).read_text()


def test_install_from_the_package_index_then_cancel_a_repair(tmp_path, engine_wheel):
    """A real install (this machine's pip configuration: PyPI or its mirror), the new engine answering, then a
    repair cancelled mid-way that leaves that engine in use."""
    state = ei.Install(ei.InstallSettings(root=tmp_path, wheel=engine_wheel)).start().wait(600)
    assert state.ok, (state.error, state.lines)
    status = ei.engine_status(tmp_path, __version__)
    assert status.state == ei.READY and status.executable == state.executable
    done = subprocess.run([state.executable, "--version"], capture_output=True, text=True)
    assert done.stdout.strip() == f"nakawari {__version__}"
    print(f"\ninstall from the package index: {state.seconds:.0f} s")
    repair = ei.Install(ei.InstallSettings(root=tmp_path, wheel=engine_wheel)).start()
    while repair.state().step not in ("download", "engine") and not repair.state().finished:
        repair.wait(0.2)
    repair.cancel()
    cancelled = repair.wait(120)
    assert cancelled.cancelled and not cancelled.ok
    assert ei.engine_status(tmp_path, __version__).executable == status.executable
    assert [p.name for p in (tmp_path / "engines").iterdir()] == [Path(status.folder).name]


def test_a_full_disk_is_said_before_anything_is_written(tmp_path, monkeypatch):
    wheel = _wheel(tmp_path, "0.1.0", ("numpy>=1.24",))
    root = tmp_path / "engine"
    root.mkdir()
    monkeypatch.setattr(ei.shutil, "disk_usage", lambda path: ei.shutil._ntuple_diskusage(100e9, 100e9 - 2e8, 2e8))
    state = ei.Install(ei.InstallSettings(root=root, wheel=wheel)).start().wait(60)
    assert not state.ok and "Not enough disk space for the engine: 0.2 GB free" in state.error
    assert not (root / "engines").exists() or not any((root / "engines").iterdir())
    assert ei.engine_status(root, "0.1.0").state == ei.NOT_INSTALLED
