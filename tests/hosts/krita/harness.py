"""Starting real Krita for tests: isolated HOME (from a warmed template), the plugin installed from its zip by
Krita's own importer, kritarunner or the full GUI under Xvfb."""
from __future__ import annotations

import builtins
import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
IMPORTER_IN_KRITA = "usr/share/krita/pykrita/plugin_importer/plugin_importer.py"
KRITA_IMPORTER = Path("/") / IMPORTER_IN_KRITA
# -n: start the free-display search away from :99, which other sessions' Xvfb (chroots do not share its
# lock file, and Xvfb's abstract socket is machine-wide) often hold
XVFB = ["xvfb-run", "-a", "-n", str(100 + os.getpid() % 400), "-s", "-screen 0 1280x1024x24"]
DEBIAN_HOSTS = REPO / ".ci" / "debian_hosts.sh"
CHROOTS = ("sid", "experimental")  # .hosts/debian-<name>, built by .ci/debian_hosts.sh


@dataclass(frozen=True)
class KritaHost:
    """One real Krita: this machine's (Debian 12) or one in a Debian chroot under .hosts/."""
    version: str                 # as Krita reports it, e.g. 5.3.4.1
    chroot: str = ""             # "" for this machine's Krita, else sid / experimental

    @property
    def id(self) -> str:
        return f"krita-{self.version}"

    @property
    def root(self) -> Path:
        return REPO / ".hosts" / f"debian-{self.chroot}" if self.chroot else Path("/")

    @property
    def importer(self) -> Path:
        return self.root / IMPORTER_IN_KRITA

    def command(self, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        """argv as run on this machine: inside the chroot (same paths: /tmp and the repo are bind-mounted)."""
        if not self.chroot:
            return argv, env
        wanted = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "TMPDIR",
                  "PYTHONPATH", "NAKAWARI_ENGINE", "NAKAWARI_PROBE_OUT", "PIP_INDEX_URL", "NAKAWARI_DRIVER")
        inside = [item for key in wanted if key in env for item in ("-e", f"{key}={env[key]}")]
        return ["bash", str(DEBIAN_HOSTS), "run", self.chroot, "-b", str(REPO), *inside, "--", *argv], \
            {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "QT_"))}


def _debian_version(text: str) -> str:
    """1:5.3.4.1+dfsg-1+b1 → 5.3.4.1"""
    return re.sub(r"^\d+:", "", text).split("+")[0].split("-")[0].split("~")[0]


def krita_hosts() -> list[KritaHost]:
    """Every real Krita here: this machine's, then each built chroot's (its stamp says the version)."""
    hosts = []
    if krita_installed():
        done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "krita"], capture_output=True, text=True)
        hosts.append(KritaHost(_debian_version(done.stdout) if done.returncode == 0 else "local"))
    for name in CHROOTS:
        root = REPO / ".hosts" / f"debian-{name}"
        if (root / ".ready").exists() and (root / ".stamp").exists():
            versions = dict(line.split()[:2] for line in (root / ".stamp").read_text().splitlines() if line.strip())
            if "krita" in versions:
                hosts.append(KritaHost(_debian_version(versions["krita"]), name))
    return hosts


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
                    log: Path, host: KritaHost | None = None) -> subprocess.CompletedProcess:
    argv, env = (host or KritaHost("local")).command([*XVFB, "kritarunner", "-s", module, "-f", "main", "--", *args],
                                                     env)
    with open(log, "w") as handle:
        return subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, cwd=home)


def run_krita_gui(home: Path, env: dict[str, str], timeout: float, log: Path,
                  host: KritaHost | None = None) -> subprocess.CompletedProcess:
    argv, env = (host or KritaHost("local")).command([*XVFB, "krita", "--nosplash"], env)
    with open(log, "w") as handle:
        return subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, cwd=home)


def needs_gui_driver(host: KritaHost | None) -> bool:
    """Krita 5.3's and 6.0's kritarunner segfault in openWindow(); 5.1's works."""
    return host is not None and not host.version.startswith(("5.1.", "5.2.", "local"))


def run_scenario(home: Path, module: str, args: list[str], env: dict[str, str], timeout: float, log: Path,
                 host: KritaHost | None = None) -> subprocess.CompletedProcess:
    """A scenario module (main(args) for kritarunner; at_start/in_window for the driver plugin) in this Krita."""
    if not needs_gui_driver(host):
        return run_kritarunner(home, module, args, env, timeout, log, host)
    pykrita = resources(home) / "pykrita"
    pykrita.mkdir(parents=True, exist_ok=True)
    if not (pykrita / "nakawari_driver").exists():
        shutil.copytree(HERE / "driver_plugin" / "nakawari_driver", pykrita / "nakawari_driver")
        shutil.copy(HERE / "driver_plugin" / "nakawari_driver.desktop", pykrita)
        enable_plugins(home, ["nakawari_driver"])
    env = dict(env, NAKAWARI_DRIVER=json.dumps({"here": str(HERE), "module": module, "args": args}))
    return run_krita_gui(home, env, timeout, log, host)


def warm_home(template: Path, host: KritaHost | None = None) -> Path:
    """First start unpacks ~90 MB of resources (~15 s); later homes copy this one (~1 s)."""
    template.mkdir(parents=True, exist_ok=True)
    env = isolated_env(template, PYTHONPATH=str(HERE))
    run_kritarunner(template, "warm", [], env, 240, template / "warm.log", host)
    return template


def copy_home(template: Path, home: Path) -> Path:
    """A fresh HOME from the warmed template (without its sockets and temporary files)."""
    shutil.copytree(template, home, symlinks=True, ignore=shutil.ignore_patterns("tmp", "run", "*.log"))
    return home


def krita_importer(path: Path = KRITA_IMPORTER):
    """Krita's own plugin importer module (plain Python, shipped with Krita). From 5.3 it imports `i18n` from
    builtins, where Krita puts its translation function: outside Krita, text stays as it is."""
    if not hasattr(builtins, "i18n"):
        builtins.i18n = lambda text, *args: text
    spec = importlib.util.spec_from_file_location(f"krita_plugin_importer_{abs(hash(str(path)))}", path)
    importer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(importer)
    return importer


def import_plugin_zip(zip_path: Path, home: Path, host: KritaHost | None = None) -> list[str]:
    """Install a plugin zip exactly as Tools ▸ Scripts ▸ Import Python Plugin from File… does."""
    importer = krita_importer(host.importer if host else KRITA_IMPORTER)
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
