"""Shots with exact ground truth: cels moving over a static or panning painted background.

A shot is 8-24 frames of one cut. The background is one painted plate wider (or taller) than the frame;
a pan moves the camera across it by whole pixels per frame, so every frame is an exact crop. A moving
mannequin changes pose and walks across the screen; optionally a second, held figure never moves against
the plate (a held cel: nothing but its look tells it apart from the background).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .celframes import composite, degraded, figure_cel, translate
from .paint import add_distractors, painted_background


@dataclass(frozen=True)
class Shot:
    name: str
    frames: list[np.ndarray]         # float32 HxWx3 finished frames
    masks: list[np.ndarray]          # bool HxW, True = cel
    plate: np.ndarray                # float32 the true background across the whole camera move
    offsets: list[tuple[int, int]]   # (x, y) of each frame's top-left corner in the plate
    held: bool                       # whether a held figure is in the shot

    def background_crop(self, index: int) -> np.ndarray:
        h, w = self.frames[index].shape[:2]
        x, y = self.offsets[index]
        return self.plate[y:y + h, x:x + w]


def _camera_path(rng: np.random.Generator, n_frames: int, pan: bool) -> tuple[list[tuple[int, int]], int, int]:
    """Whole-pixel camera positions over the plate and the extra plate width and height they need."""
    if not pan:
        return [(0, 0)] * n_frames, 0, 0
    vx = int(rng.integers(3, 10)) * int(rng.choice([-1, 1]))
    vy = int(rng.integers(-2, 3))
    xs = [vx * i for i in range(n_frames)]
    ys = [vy * i for i in range(n_frames)]
    x0, y0 = min(xs), min(ys)
    return [(x - x0, y - y0) for x, y in zip(xs, ys)], max(xs) - x0, max(ys) - y0


def make_shot(seed: int, index: int, size: tuple[int, int] = (960, 540), n_frames: int = 12,
              pan: bool = False, held: bool = False, degradation: str | None = None) -> Shot:
    """One shot; ``size`` is the frame (width, height)."""
    w, h = size
    rng = np.random.default_rng([seed, index, 50])
    offsets, extra_w, extra_h = _camera_path(rng, n_frames, pan)
    plate = add_distractors(painted_background(h + extra_h, w + extra_w, rng), rng)
    scale = h / 540
    mover_side = float(rng.choice([0.3, 0.7]))
    walk = float(rng.uniform(0.08, 0.2)) * w * float(rng.choice([-1, 1]))
    line_width = float(rng.integers(2, 5)) * scale
    fill = float(rng.uniform(0.65, 0.9))
    held_layer = None
    if held:
        # Rendered once, pinned to the plate where the first frame sees it.
        figure = figure_cel(seed, index * 8 + 1, size, 0.0, line_width, float(rng.uniform(0.5, 0.7)),
                            (1.0 - mover_side, float(rng.uniform(0.3, 0.7))))
        held_layer = np.zeros((h + extra_h, w + extra_w, 4), np.float32)
        x0, y0 = offsets[0]
        held_layer[y0:y0 + h, x0:x0 + w] = figure
    frames, masks = [], []
    for i, (x, y) in enumerate(offsets):
        t = i / max(n_frames - 1, 1)
        mover = figure_cel(seed, index * 8, size, t, line_width, fill, (mover_side, 0.5))
        mover = translate(mover, round(walk * (t - 0.5)), 0)
        cels = [mover] if held_layer is None else [held_layer[y:y + h, x:x + w], mover]
        rgb, mask = composite(plate[y:y + h, x:x + w], cels)
        frames.append(degraded(rgb, rng, degradation))
        masks.append(mask)
    name = (f"shot-{index:02d}-{'pan' if pan else 'static'}{'-held' if held else ''}"
            + (f"-{degradation}" if degradation else ""))
    return Shot(name, frames, masks, plate, offsets, held)


def shot_suite(size: tuple[int, int] = (960, 540), n_cases: int = 4, n_frames: int = 12, seed: int = 0,
               degradation: str | None = None) -> list[Shot]:
    """Cases cycle through static, pan, static with a held figure, pan with a held figure."""
    return [make_shot(seed, i, size, n_frames, pan=i % 2 == 1, held=(i // 2) % 2 == 1, degradation=degradation)
            for i in range(n_cases)]
