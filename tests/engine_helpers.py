"""Shared by the server, client and Krita tests: a small key pair and how to start the real engine."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image, ImageDraw


def engine_executable() -> str:
    """The `nakawari` script of the environment running the tests (the editable install)."""
    beside = Path(sys.executable).with_name("nakawari")
    found = str(beside) if beside.exists() else shutil.which("nakawari")
    assert found, "the nakawari engine is not installed in this environment"
    return found


def ring_key(path: Path, centre_x: int, size: tuple[int, int] = (96, 64), width: int = 3) -> Path:
    """A transparent key: one black ring, as an animator's line drawing on its own layer."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    radius = size[1] // 4
    cy = size[1] // 2
    ImageDraw.Draw(image).ellipse([centre_x - radius, cy - radius, centre_x + radius, cy + radius],
                                  outline=(0, 0, 0, 255), width=width)
    image.save(path)
    return path


def key_pair(folder: Path, size: tuple[int, int] = (96, 64)) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    return [str(ring_key(folder / "key.0000.png", size[0] // 4, size)),
            str(ring_key(folder / "key.0006.png", 3 * size[0] // 4, size))]
