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


def paint_layer_pose(frame: int, frames: int = 3):
    """The figure's pose on frame `frame` of `paint_layers`."""
    from nakawari.synth.paintcase import Pose

    return Pose(dx=4 * frame, dy=frame, angle=2 * frame, badge=frame == frames - 1 > 0)


def paint_layers(folder: Path, frames: int = 3, size: tuple[int, int] = (160, 120)) -> dict[str, list[str]]:
    """A Krita-style line layer and colour layer of the synthetic painted figure (core/synth/paintcase.py):
    `lines` (ink on a transparent layer, one per frame, the figure moving; the last frame adds a new shape, a
    badge, that no key paints) and `colour` (frame 0's flat fills, transparent around the figure), as
    `line.####.png` / `colour.0000.png`."""
    from nakawari.synth.paintcase import Pose, render

    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(frames):
        drawn = render(paint_layer_pose(i, frames), size, painted=False)
        ink = np.round((1 - drawn[..., :3].min(axis=2)) * 255).astype(np.uint8)  # black ink on white paper
        layer = np.zeros((*ink.shape, 4), np.uint8)
        layer[..., 3] = ink
        Image.fromarray(layer).save(folder / f"line.{i:04d}.png")
        lines.append(str(folder / f"line.{i:04d}.png"))
    painted = np.round(render(Pose(), size)[..., :3] * 255).astype(np.uint8)
    paper = (painted == painted[0, 0]).all(axis=2)
    colour = np.dstack([painted, np.where(paper, 0, 255).astype(np.uint8)])
    colour[paper, :3] = 0
    Image.fromarray(colour).save(folder / "colour.0000.png")
    return {"lines": lines, "colour": [str(folder / "colour.0000.png")]}
