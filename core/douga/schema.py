"""The ten douga classes of Kugler (2020, §5.1): index, name, canonical colour; encode and decode.

Encoding writes the canonical colours (a palette PNG); decoding maps an artist's douga back to class
indices by the nearest known colour, where the known colours include the variants studios use
(brown pencil for lines, cyan for colour edges, several purples for shading fills).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..image import gray_png


@dataclass(frozen=True)
class DougaClass:
    index: int
    name: str
    rgb: tuple[int, int, int]
    is_line: bool


CLASSES: tuple[DougaClass, ...] = (
    DougaClass(0, "flat area", (255, 255, 255), False),
    DougaClass(1, "visible line", (0, 0, 0), True),
    DougaClass(2, "shading line", (96, 32, 128), True),
    DougaClass(3, "color edge", (0, 160, 96), True),
    DougaClass(4, "highlight line", (224, 32, 32), True),
    DougaClass(5, "book line", (128, 128, 128), True),
    DougaClass(6, "shading fill", (200, 170, 230), False),
    DougaClass(7, "color fill", (180, 235, 200), False),
    DougaClass(8, "highlight fill", (255, 245, 160), False),
    DougaClass(9, "book fill", (215, 215, 215), False),
)
(FLAT, VISIBLE_LINE, SHADING_LINE, COLOR_EDGE, HIGHLIGHT_LINE, BOOK_LINE,
 SHADING_FILL, COLOR_FILL, HIGHLIGHT_FILL, BOOK_FILL) = range(10)
N_CLASSES = len(CLASSES)
LINE_CLASSES: tuple[int, ...] = tuple(c.index for c in CLASSES if c.is_line)
FILL_CLASSES: tuple[int, ...] = tuple(c.index for c in CLASSES if not c.is_line)
PALETTE = np.array([c.rgb for c in CLASSES], dtype=np.uint8)
IS_LINE = np.array([c.is_line for c in CLASSES], dtype=bool)

# Colours artists use for a class besides the canonical one (decode only).
VARIANTS: tuple[tuple[int, tuple[int, int, int]], ...] = (
    (VISIBLE_LINE, (90, 50, 30)),      # brown pencil
    (VISIBLE_LINE, (130, 80, 45)),
    (VISIBLE_LINE, (40, 40, 40)),      # soft graphite
    (COLOR_EDGE, (0, 200, 220)),       # cyan
    (COLOR_EDGE, (0, 255, 255)),
    (COLOR_EDGE, (40, 200, 120)),      # lighter green
    (SHADING_FILL, (180, 150, 255)),   # lavender / violet fills
    (SHADING_FILL, (160, 130, 220)),
    (SHADING_FILL, (220, 190, 255)),
    (SHADING_FILL, (190, 160, 210)),
    (SHADING_LINE, (60, 60, 200)),     # blue shadow pencil
    (HIGHLIGHT_LINE, (255, 80, 80)),
    (HIGHLIGHT_FILL, (255, 255, 190)),
)
_KNOWN_RGB = np.concatenate([PALETTE, np.array([rgb for _, rgb in VARIANTS], np.uint8)]).astype(np.float32)
_KNOWN_CLASS = np.array([c.index for c in CLASSES] + [k for k, _ in VARIANTS], dtype=np.uint8)


def class_table() -> list[dict[str, object]]:
    """The classes as plain records (CLI listing, manifest, engine protocol)."""
    return [{"index": c.index, "name": c.name, "rgb": list(c.rgb), "line": c.is_line} for c in CLASSES]


def encode(classes: np.ndarray) -> np.ndarray:
    """Class indices HxW → canonical colours HxWx3 uint8."""
    classes = np.asarray(classes)
    if classes.size and (classes.min() < 0 or classes.max() >= N_CLASSES):
        raise ValueError(f"class indices must be 0..{N_CLASSES - 1}")
    return PALETTE[classes.astype(np.intp)]


def decode(rgb: np.ndarray) -> np.ndarray:
    """An artist's douga (HxWx3 uint8, or float in [0, 1]) → class indices HxW uint8 by nearest known colour."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.rint(rgb.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    rgb = rgb[..., :3]
    # Decode each distinct colour once: douga images hold only a few hundred colours.
    flat = rgb.reshape(-1, 3)
    keys = (flat[:, 0].astype(np.uint32) << 16) | (flat[:, 1].astype(np.uint32) << 8) | flat[:, 2]
    unique, inverse = np.unique(keys, return_inverse=True)
    colours = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.float32)
    dist = ((colours[:, None, :] - _KNOWN_RGB[None, :, :]) ** 2).sum(axis=2)
    return _KNOWN_CLASS[dist.argmin(axis=1)][inverse.reshape(-1)].reshape(rgb.shape[:2])


def palette_png(classes: np.ndarray) -> bytes:
    """Class indices → an 8-bit palette PNG showing the canonical colours (indices are the classes)."""
    image = Image.fromarray(np.asarray(classes, dtype=np.uint8), mode="P")
    image.putpalette(PALETTE.reshape(-1).tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def index_png(classes: np.ndarray) -> bytes:
    """Class indices → an 8-bit grayscale PNG whose values are the class indices."""
    return gray_png(classes)
