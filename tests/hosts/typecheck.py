"""mypy over the Krita plugin and the Blender add-on as they ship: each package with the host kit copied in
(as `nakawari package` does), on the hosts' Python 3.10, against the stubs in typings/ (`krita`, `bpy`).

    .venv/bin/python tests/hosts/typecheck.py      # from the repository root; exit status 0 when clean

The engine itself is checked by plain `.venv/bin/mypy` (pyproject's [tool.mypy]); this run reads the same
settings and checks the two add-on packages instead. See docs/typecheck.md.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from mypy import api

from nakawari.package import ADDON_NAME, PLUGIN_NAME, blender_addon_files, host_kit_files, krita_plugin_files

ROOT = Path(__file__).resolve().parents[2]
TYPINGS = ROOT / "typings"


def _write(files: dict[str, Path], into: Path) -> None:
    for name, source in files.items():
        if name.endswith(".py"):
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nakawari-typecheck-") as folder:
        work = Path(folder)
        _write(krita_plugin_files(), work / "krita")
        _write({**blender_addon_files(), **host_kit_files(ADDON_NAME)}, work / "blender")  # as the legacy zip
        # MYPYPATH comes before site-packages: the plugin's `nakawari` here, not the engine's installed one.
        os.environ["MYPYPATH"] = os.pathsep.join(str(p) for p in (work / "krita", work / "blender", TYPINGS))
        out, err, status = api.run(["--python-version", "3.10", "--config-file", str(ROOT / "pyproject.toml"),
                                    "--cache-dir", str(work / "cache"), "-p", PLUGIN_NAME, "-p", ADDON_NAME])
    sys.stdout.write(out.replace(folder + os.sep, ""))
    sys.stderr.write(err)
    return status


if __name__ == "__main__":
    sys.exit(main())
