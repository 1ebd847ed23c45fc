"""Shared by the tests: small keys (a ring, a bent arm) and how to start the real engine."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
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


def arm_key(path: Path, angle: float, *, size: tuple[int, int], transparent: bool = False,
            lengths: tuple[float, float] = (40.0, 30.0)) -> Path:
    """A bent line (an 'arm': upper arm and forearm ``lengths`` px) turned ``angle`` about a shoulder, on
    white paper or a transparent layer, written to ``path``."""
    w, h = size
    canvas = np.zeros((h, w), np.uint8)
    shoulder = np.array([w * 0.3, h * 0.5])
    elbow = shoulder + lengths[0] * np.array([np.cos(angle), np.sin(angle)])
    hand = elbow + lengths[1] * np.array([np.cos(angle + 0.5), np.sin(angle + 0.5)])
    pts = np.round(np.stack([shoulder, elbow, hand]) * 16).astype(np.int32)
    cv2.polylines(canvas, [pts], False, 255, 3, cv2.LINE_AA, shift=4)
    if transparent:
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[..., 3] = canvas
        Image.fromarray(rgba, "RGBA").save(path)
    else:
        Image.fromarray(255 - canvas).save(path)
    return path
