"""Bouncing-ball cases: one drawing that travels far between keys, turning and squashing.

The animator's first exercise and the hardest case for dense flow: the ball may jump half the frame
between keys, so nothing overlaps and local matching finds nothing. Ground truth interpolates the
ball's parameters (centre, turn, squash) linearly per gap, exactly like the mannequin suites.
"""
from __future__ import annotations

import cv2
import numpy as np

from .suite import LINE_WIDTHS, SynthCase, inbetween_times

SHIFT = 4  # sub-pixel bits for cv2 drawing


def _ball_params(rng: np.random.Generator, n_keys: int) -> np.ndarray:
    """Per key: centre x, centre y (frame-height units), turn (rad), log squash."""
    keys = []
    x, y = rng.uniform(0.25, 0.5), rng.uniform(0.25, 0.75)
    for _ in range(n_keys):
        keys.append([x, y, rng.uniform(-1.0, 1.0), rng.uniform(-0.35, 0.35)])
        step, heading = rng.uniform(0.28, 0.8), rng.uniform(-0.9, 0.9)
        x = float(np.clip(x + step * np.cos(heading), 0.15, 1.62))
        y = float(np.clip(y + step * np.sin(heading), 0.15, 0.85))
    return np.array(keys)


def render_ball(params: np.ndarray, size: tuple[int, int], line_width: float, transparent: bool) -> np.ndarray:
    """RGBA float32 frame: a ball outline with two stripes (they show the turn), on paper or a layer."""
    w, h = size
    cx, cy, turn, squash = params
    radius = 0.09 * h
    axes = (radius * np.exp(squash), radius * np.exp(-squash))
    canvas = np.zeros((h, w), np.uint8)
    s = float(1 << SHIFT)
    centre = (int(round(cx * h * s)), int(round(cy * h * s)))
    size_px = (int(round(axes[0] * s)), int(round(axes[1] * s)))
    thick = max(1, int(round(line_width)))
    angle = float(np.degrees(turn))
    cv2.ellipse(canvas, centre, size_px, angle, 0, 360, 255, thick, cv2.LINE_AA, SHIFT)
    cv2.ellipse(canvas, centre, (size_px[0], size_px[1] // 3), angle, 180, 360, 255, thick, cv2.LINE_AA, SHIFT)
    cv2.ellipse(canvas, centre, (size_px[0] // 3, size_px[1]), angle, 90, 270, 255, thick, cv2.LINE_AA, SHIFT)
    ink = canvas.astype(np.float32) / 255.0
    out = np.ones((h, w, 4), np.float32)
    if transparent:
        out[..., :3] = 0.0
        out[..., 3] = ink
    else:
        out[..., :3] = (1.0 - ink)[..., None]
    return out


def ball_suite(size: tuple[int, int] = (960, 540), n_cases: int = 4, n_keys: int = 2, inbetweens_per_gap: int = 3,
               seed: int = 0, transparent: bool = False) -> list[SynthCase]:
    """Bouncing-ball cases; ``size`` is (width, height)."""
    cases = []
    for i in range(n_cases):
        rng = np.random.default_rng([seed, i, 2])
        params = _ball_params(rng, n_keys)
        key_times = [float(k) for k in range(n_keys)]
        gt_times = inbetween_times(key_times, inbetweens_per_gap)
        width = float(LINE_WIDTHS[i % len(LINE_WIDTHS)])

        def at(t: float, params: np.ndarray = params) -> np.ndarray:
            k = min(int(t), n_keys - 2)
            f = t - k
            return (1.0 - f) * params[k] + f * params[k + 1]

        keys = [render_ball(at(t), size, width, transparent) for t in key_times]
        frames = [render_ball(at(t), size, width, transparent) for t in gt_times]
        cases.append(SynthCase(f"ball-{i:02d}-w{width:g}", keys, key_times, gt_times, frames, width))
    return cases
