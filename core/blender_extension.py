"""The self-contained Blender 4.2+ extension: the add-on with the engine and its dependencies as wheels.

One zip per platform (`nakawari_gp-<version>-linux_x64.zip`, Blender's own naming for split platforms), the
manifest at the zip's root with `platforms = [...]` and `wheels = [...]`. Blender installs the wheels that
match its Python into `extensions/.local/lib/python3.X/site-packages`; the add-on then runs the engine from
Blender's own Python in a process of its own (blender_addon/nakawari_gp/engine.py). Each zip carries wheels
for both Pythons Blender has used since 4.2: CPython 3.11 (Blender 4.2–5.0) and 3.13 (5.1 on); Blender picks
the ones for its Python, so one download serves every 4.2+ release.

What is bundled is pinned in `blender_addon/wheels.lock` (file name and sha256 per platform and Python), so
the same sources give the same zip; `lock_wheels` resolves it anew. NOT bundled: numpy, which every Blender
ships (its own copy, or Debian's python3-numpy): a second numpy in extensions/.local would come first on
Blender's sys.path and replace Blender's own in Blender's process. The pins are resolved against the oldest
numpy those Blenders carry (NUMPY_FLOOR), so they import with it. onnxruntime is the CPU build: the GPU one
is ~300 MB per Python, too large for an extension (the engine falls back to the CPU).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib.metadata import requires
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from . import __version__
from .errors import BadInput
from .package import (
    ADDON_NAME,
    BLENDER_ADDON,
    ENGINE_FOLDER,
    MANIFEST_NAME,
    _zip_bytes,
    blender_addon_files,
    host_kit_files,
)

LOCK = BLENDER_ADDON / "wheels.lock"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # reproducible archives: same sources, same bytes


@dataclass(frozen=True)
class Target:
    """One platform as Blender names it, with what pip needs to fetch its wheels."""
    name: str                      # Blender's platform name ("linux-x64")
    pip_platforms: tuple[str, ...]  # wheel platform tags, newest first
    markers: dict[str, str]        # environment markers of the platform (engine requirements' markers)


TARGETS = {
    "linux-x64": Target("linux-x64", ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                                      "manylinux2014_x86_64"),
                        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                         "os_name": "posix"}),
    "windows-x64": Target("windows-x64", ("win_amd64",),
                          {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                           "os_name": "nt"}),
    "macos-arm64": Target("macos-arm64", ("macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64",
                                          "macosx_11_0_arm64"),
                          {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                           "os_name": "posix"}),
}
PYTHONS = ("3.11", "3.13", "3.14")  # Blender 4.2–5.0; Blender 5.1 on; Linux distributions' Blender on Python 3.14
NUMPY_FLOOR = {"3.11": "1.26.4", "3.13": "2.1.3", "3.14": "2.3.3"}  # the oldest numpy those Blenders ship
NOT_BUNDLED = {"numpy"}         # Blender's own
GPU_TO_CPU = {"onnxruntime-gpu": "onnxruntime"}


@dataclass(frozen=True)
class LockedWheel:
    platform: str
    python: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        name, version, _, _ = parse_wheel_filename(self.filename)
        return f"{name}=={version}"


def engine_requirements(requires: list[str], target: Target, python: str) -> list[str]:
    """The engine's runtime requirements on `target` under `python` (no extras), GPU builds swapped for CPU
    ones, numpy left out."""
    environment = {**target.markers, "python_version": python, "python_full_version": f"{python}.0",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    kept = []
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is not None and not Marker(str(requirement.marker)).evaluate(environment):
            continue
        name = GPU_TO_CPU.get(canonicalize_name(requirement.name), canonicalize_name(requirement.name))
        if name not in NOT_BUNDLED:
            kept.append(f"{name}{requirement.specifier}")
    return kept


def _pip_download(requirements: list[str], target: Target, python: str, folder: Path, *, deps: bool) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder),
               "--python-version", python, "--implementation", "cp", "--abi", "cp" + python.replace(".", "")]
    for tag in target.pip_platforms:
        command += ["--platform", tag]
    if not deps:
        command.append("--no-deps")
    done = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")] or done.stderr.splitlines()
        raise BadInput(f"pip could not fetch the wheels for {target.name}, Python {python}: "
                       + (lines[-1] if lines else f"exit {done.returncode}"), folder)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_wheels(requires: list[str], platforms: tuple[str, ...] = ("linux-x64",)) -> list[LockedWheel]:
    """Resolve the bundled wheels anew (newest versions that import with NUMPY_FLOOR), for `LOCK`."""
    locked = []
    for platform in platforms:
        shared: list[str] = []  # pins of wheels every Python may load (pure or stable ABI), from the first
        for python in PYTHONS:
            with tempfile.TemporaryDirectory(prefix="nakawari-lock-") as folder:
                _pip_download([*engine_requirements(requires, TARGETS[platform], python), *shared,
                               f"numpy=={NUMPY_FLOOR[python]}"], TARGETS[platform], python, Path(folder), deps=True)
                for wheel in sorted(Path(folder).glob("*.whl")):
                    if canonicalize_name(parse_wheel_filename(wheel.name)[0]) not in NOT_BUNDLED:
                        locked.append(LockedWheel(platform, python, wheel.name, _sha256(wheel)))
            # Blender keeps only the newest of the same-named wheels that fit its Python: a pure or abi3
            # wheel fits every Python, so all Pythons must bundle the same version of it.
            shared = shared or [w.requirement for w in locked if w.platform == platform and _any_python(w.filename)]
    return locked


def _any_python(filename: str) -> bool:
    """A wheel that loads in every CPython 3 (pure Python, or the stable ABI)."""
    _, _, _, tags = parse_wheel_filename(filename)
    return all(tag.abi in ("none", "abi3") for tag in tags)


def write_lock(locked: list[LockedWheel], path: Path = LOCK) -> None:
    lines = ["# Wheels the Blender extension bundles: platform, Python, file, sha256 (core/blender_extension.py;",
             "# make anew with `python -m nakawari.blender_extension lock`)"]
    lines += [f"{w.platform} {w.python} {w.filename} {w.sha256}" for w in locked]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_lock(path: Path = LOCK) -> list[LockedWheel]:
    if not path.is_file():
        raise BadInput("the wheel lock of the Blender extension is missing", path)
    locked = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            parts = line.split()
            if len(parts) != 4 or parts[0] not in TARGETS or parts[1] not in PYTHONS:
                raise BadInput(f"line {number} is not 'platform python file sha256'", path)
            locked.append(LockedWheel(*parts))
    return locked


def fetch_wheels(platform: str, cache: Path, lock: Path = LOCK) -> list[Path]:
    """The locked wheels of `platform` in `cache` (downloaded once, checked against their sha256)."""
    target = TARGETS[platform]
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [w for w in read_lock(lock) if w.platform == platform]
    if not wanted:
        raise BadInput(f"no wheels locked for {platform}", lock)
    for python in PYTHONS:
        missing = [w for w in wanted if w.python == python and not (cache / w.filename).is_file()]
        if missing:
            _pip_download([w.requirement for w in missing], target, python, cache, deps=False)
    paths = {}
    for wheel in wanted:
        path = cache / wheel.filename
        if not path.is_file():
            raise BadInput(f"pip did not fetch {wheel.filename}", cache)
        if _sha256(path) != wheel.sha256:
            path.unlink()  # a corrupt or substituted download: never packed, fetched again next time
            raise BadInput(f"{wheel.filename} does not match its sha256 in the lock", cache)
        paths[wheel.filename] = path
    return [paths[name] for name in sorted(paths)]


def extension_manifest(source: str, platform: str, wheels: list[str]) -> str:
    """The add-on's manifest with the platform and its wheels (top-level keys: before the first table)."""
    listed = "".join(f'  "./wheels/{name}",\n' for name in wheels)
    added = f'platforms = ["{platform}"]\nwheels = [\n{listed}]\n'
    table = re.search(r"^\[", source, re.MULTILINE)
    cut = table.start() if table else len(source)
    return source[:cut].rstrip("\n") + "\n" + added + "\n" + source[cut:]


def extension_name(platform: str) -> str:
    return f"nakawari_gp-{__version__}-{platform.replace('-', '_')}.zip"


def extension_zip_bytes(platform: str, engine_wheel: Path, cache: Path, addon_dir: Path = BLENDER_ADDON,
                        lock: Path = LOCK) -> bytes:
    """The extension zip for `platform`: the add-on at the root, the engine wheel and the locked dependency
    wheels under wheels/. Reproducible: fixed times and modes, sorted names."""
    if platform not in TARGETS:
        raise BadInput(f"unknown platform {platform!r} (known: {', '.join(TARGETS)})", engine_wheel)
    name, version, _, _ = parse_wheel_filename(engine_wheel.name) if engine_wheel.suffix == ".whl" else ("", "", 0, 0)
    if canonicalize_name(str(name)) != "nakawari" or str(version) != __version__:
        raise BadInput(f"not the nakawari {__version__} engine wheel", engine_wheel)
    wheels = [engine_wheel, *fetch_wheels(platform, cache, lock)]
    files = {}
    for archive_name, source in blender_addon_files(addon_dir).items():
        files[archive_name.split("/", 1)[1]] = source.read_bytes()  # the package folder's contents at the root
    files[MANIFEST_NAME] = extension_manifest(files[MANIFEST_NAME].decode("utf-8"), platform,
                                              [w.name for w in wheels]).encode("utf-8")
    files.update({f"wheels/{w.name}": w.read_bytes() for w in wheels})
    folders = sorted({"/".join(parts[:i]) + "/"
                      for parts in (n.split("/") for n in files) for i in range(1, len(parts))})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in folders:
            entry = zipfile.ZipInfo(folder, _FIXED_TIME)
            entry.external_attr = 0o40755 << 16 | 0x10
            archive.writestr(entry, b"")
        for archive_name, data in sorted(files.items()):
            entry = zipfile.ZipInfo(archive_name, _FIXED_TIME)
            entry.external_attr = 0o644 << 16
            # Wheels are zips already: stored, not compressed again (faster, no smaller otherwise).
            entry.compress_type = zipfile.ZIP_STORED if archive_name.endswith(".whl") else zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def build_extension(out: Path, platform: str, engine_wheel: Path, cache: Path) -> Path:
    """Write the extension zip for `platform` into `out` (written whole, then renamed into place)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / extension_name(platform)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(extension_zip_bytes(platform, engine_wheel, cache))
    partial.replace(path)
    return path


def legacy_name() -> str:
    return f"nakawari-blender-legacy-{__version__}.zip"


def legacy_zip_bytes(engine_wheel: Path, addon_dir: Path = BLENDER_ADDON) -> bytes:
    """The legacy add-on (Blender 3.4–4.1, or "Install legacy Add-on" later): the `nakawari_gp/` folder with
    the host kit's installer and the engine wheel its Install engine button installs. No manifest: Blender
    4.2+ refuses it as an extension, where the self-contained extension is the one to install."""
    files = {name: path for name, path in blender_addon_files(addon_dir).items()
             if name != f"{ADDON_NAME}/{MANIFEST_NAME}"}
    files.update(host_kit_files(ADDON_NAME))
    files[f"{ADDON_NAME}/{ENGINE_FOLDER}/{engine_wheel.name}"] = engine_wheel
    return _zip_bytes(files)


def release_platforms(environ: dict[str, str]) -> tuple[str, ...]:
    """The platforms a release builds extensions for: $NAKAWARI_BLENDER_PLATFORMS (comma-separated), else
    linux-x64, the one tested in real Blender here (the others are locked and validated, never run)."""
    names = tuple(n.strip() for n in environ.get("NAKAWARI_BLENDER_PLATFORMS", "linux-x64").split(",") if n.strip())
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        raise BadInput(f"NAKAWARI_BLENDER_PLATFORMS: unknown platform {', '.join(unknown) or '(none)'} "
                       f"(known: {', '.join(TARGETS)})", LOCK)
    return names


def wheel_cache(environ: dict[str, str]) -> Path:
    """Where downloaded dependency wheels are kept between releases: $NAKAWARI_WHEEL_CACHE, else the user's
    cache folder."""
    if environ.get("NAKAWARI_WHEEL_CACHE"):
        return Path(environ["NAKAWARI_WHEEL_CACHE"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nakawari" / "wheels"


def release_files(engine_wheel: Path, work: Path) -> dict[str, bytes]:
    """`nakawari package`'s Blender artefacts (core/package.py's hook): the legacy add-on and one extension
    zip per release platform."""
    environ = dict(os.environ)
    made = {legacy_name(): legacy_zip_bytes(engine_wheel)}
    for platform in release_platforms(environ):
        made[extension_name(platform)] = extension_zip_bytes(platform, engine_wheel, wheel_cache(environ))
    return made


def main(argv: list[str]) -> int:
    """`python -m nakawari.blender_extension lock [PLATFORM…]`: resolve and write the wheel lock."""
    if not argv or argv[0] != "lock":
        print("usage: python -m nakawari.blender_extension lock [PLATFORM…]", file=sys.stderr)
        return 2
    platforms = tuple(argv[1:]) or ("linux-x64",)
    write_lock(lock_wheels(requires("nakawari") or [], platforms))
    print(LOCK)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
