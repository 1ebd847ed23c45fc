"""Single finished frames with exact cel masks: cel-shaded mannequins over painted backgrounds.

Each figure is the coloured-cel mannequin rendered on a transparent layer, so its alpha is the exact
ground truth; the background is a painted one with distractors (soft shapes, an outline-less flat blob).
A frame is the straight-alpha composite of the figures over the background, as a cel over a book.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .cels import cel_motion
from .paint import add_distractors, degrade, painted_background

# Alpha above this counts as cel in the ground truth (the anti-aliased rim is half in, half out).
MASK_ALPHA = 0.5


@dataclass(frozen=True)
class CelFrame:
    name: str
    rgb: np.ndarray         # float32 HxWx3: the finished frame
    mask: np.ndarray        # bool HxW: True where a cel covers the pixel
    background: np.ndarray  # float32 HxWx3: the painted background alone


def figure_cel(seed: int, index: int, size: tuple[int, int], t: float, line_width: float,
               fill_height: float, shift: tuple[float, float]) -> np.ndarray:
    """One cel-shaded mannequin at time ``t`` of its motion, RGBA float32; ``size`` is (width, height)."""
    motion = replace(cel_motion(seed, index, line_width=line_width), fill_height=fill_height, shift=shift)
    return motion.render(t, size, transparent=True)


def translate(rgba: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move a layer by whole pixels; what leaves the frame is gone, what enters is transparent."""
    h, w = rgba.shape[:2]
    matrix = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    return cv2.warpAffine(rgba, matrix, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(0, 0, 0, 0))


def composite(background: np.ndarray, cels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Cels (back to front) over a background: the finished frame and the exact cel mask."""
    rgb = background.astype(np.float32, copy=True)
    mask = np.zeros(background.shape[:2], bool)
    for cel in cels:
        alpha = cel[..., 3:4]
        rgb = cel[..., :3] * alpha + rgb * (1.0 - alpha)
        mask |= cel[..., 3] > MASK_ALPHA
    return rgb, mask


def to_u8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def degraded(rgb: np.ndarray, rng: np.random.Generator, kind: str | None) -> np.ndarray:
    """The frame as a float image after ``degrade`` (or only 8-bit quantisation when ``kind`` is None)."""
    u8 = to_u8(rgb)
    if kind is not None:
        u8 = degrade(u8, rng, kind)
    return u8.astype(np.float32) / 255.0


def cel_frame(seed: int, index: int, size: tuple[int, int] = (960, 540),
              degradation: str | None = None) -> CelFrame:
    """Case ``index``: one to three figures (widths of line 2-4 px at 540p) over a painted background."""
    w, h = size
    rng = np.random.default_rng([seed, index, 40])
    background = add_distractors(painted_background(h, w, rng), rng)
    n_figures = int(rng.integers(1, 4))
    scale = h / 540
    cels = []
    for k in range(n_figures):
        shift = (float((k + rng.uniform(0.1, 0.9)) / n_figures), float(rng.uniform(0.2, 0.8)))
        cels.append(figure_cel(seed, index * 8 + k, size, float(rng.uniform(0, 1)),
                               line_width=float(rng.integers(2, 5)) * scale,
                               fill_height=float(rng.uniform(0.6, 0.92)), shift=shift))
    rgb, mask = composite(background, cels)
    name = f"frame-{index:02d}" + (f"-{degradation}" if degradation else "")
    return CelFrame(name, degraded(rgb, rng, degradation), mask, background)


def cel_frame_suite(size: tuple[int, int] = (960, 540), n_cases: int = 8, seed: int = 0,
                    degradation: str | None = None) -> list[CelFrame]:
    """Single-frame cases; the same seed with another ``degradation`` gives the same scenes degraded."""
    return [cel_frame(seed, i, size, degradation) for i in range(n_cases)]
