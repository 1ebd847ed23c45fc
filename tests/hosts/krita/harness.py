"""Starting real Krita for tests: isolated HOME (from a warmed template), the plugin installed from its zip by
Krita's own importer, kritarunner or the full GUI under Xvfb."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
KRITA_IMPORTER = Path("/usr/share/krita/pykrita/plugin_importer/plugin_importer.py")
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"]


def krita_installed() -> bool:
    return all(shutil.which(tool) for tool in ("krita", "kritarunner", "xvfb-run"))


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "QT_", "KDE"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_RUNTIME_DIR=str(home / "run"), TMPDIR=str(home / "tmp"))
    for folder in ("run", "tmp", ".config"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    (home / "run").chmod(0o700)
    # Xvfb has no usable OpenGL: Krita's OpenGL canvas segfaults there. Use its QPainter canvas.
    (home / ".config" / "kritadisplayrc").write_text("[General]\nOpenGLRenderer=none\n")
    env.update(extra)
    return env


def resources(home: Path) -> Path:
    return home / ".local" / "share" / "krita"


def run_kritarunner(home: Path, module: str, args: list[str], env: dict[str, str], timeout: float,
                    log: Path) -> subprocess.CompletedProcess:
    with open(log, "w") as handle:
        return subprocess.run([*XVFB, "kritarunner", "-s", module, "-f", "main", "--", *args], env=env,
                              stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, cwd=home)


def warm_home(template: Path) -> Path:
    """First start unpacks ~90 MB of resources (~15 s); later homes copy this one (~1 s)."""
    template.mkdir(parents=True, exist_ok=True)
    env = isolated_env(template, PYTHONPATH=str(HERE))
    run_kritarunner(template, "warm", [], env, 180, template / "warm.log")
    return template


def copy_home(template: Path, home: Path) -> Path:
    """A fresh HOME from the warmed template (without its sockets and temporary files)."""
    shutil.copytree(template, home, symlinks=True, ignore=shutil.ignore_patterns("tmp", "run", "*.log"))
    return home


def krita_importer():
    """Krita's own plugin importer module (plain Python, shipped with Krita)."""
    spec = importlib.util.spec_from_file_location("krita_plugin_importer", KRITA_IMPORTER)
    importer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(importer)
    return importer


def import_plugin_zip(zip_path: Path, home: Path) -> list[str]:
    """Install a plugin zip exactly as Tools ▸ Scripts ▸ Import Python Plugin from File… does."""
    importer = krita_importer()
    target = resources(home)
    target.mkdir(parents=True, exist_ok=True)
    imported = importer.PluginImporter(str(zip_path), str(target), lambda plugin: True).import_all()
    return [plugin["name"] for plugin in imported]


def enable_plugins(home: Path, names: list[str]) -> None:
    """What Settings ▸ Configure Krita ▸ Python Plugin Manager writes when the artist ticks a plugin."""
    kritarc = home / ".config" / "kritarc"
    text = kritarc.read_text() if kritarc.exists() else ""
    text += "\n[python]\n" + "".join(f"enable_{name}=true\n" for name in names)
    kritarc.write_text(text)
