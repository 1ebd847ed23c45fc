"""Benchmark suites of synthetic cases with exact ground-truth inbetweens.

A case = rendered keys at integer times plus ground-truth frames at evenly spaced
times strictly inside every gap. Ground truth follows ``Motion.pose_at``: linear
interpolation of joint-space pose parameters per gap (no easing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .cels import cel_motion
from .motion import Motion, articulated_motion

# One line width per case, cycled; 1-5 px at the rendered size.
LINE_WIDTHS: tuple[int, ...] = (2, 3, 1, 4, 5)


@dataclass(frozen=True)
class SynthCase:
    name: str                      # e.g. "articulated-03-w2"
    keys: list[np.ndarray]         # RGBA float32 HxWx4
    key_times: list[float]         # e.g. [0.0, 1.0, 2.0]
    gt_times: list[float]          # times strictly between keys
    gt_frames: list[np.ndarray]    # RGBA at gt_times
    line_width: float              # px at this size
    # The generating motion, to render any other time (demo, extra ground truth).
    motion: Motion | None = field(default=None, repr=False, compare=False)


def inbetween_times(key_times: list[float], per_gap: int) -> list[float]:
    """Evenly spaced times strictly inside each gap, e.g. 3 per gap -> .25/.5/.75."""
    out: list[float] = []
    for a, b in zip(key_times, key_times[1:]):
        out += [a + (b - a) * j / (per_gap + 1) for j in range(1, per_gap + 1)]
    return out


def case_from_motion(name: str, motion: Motion, size: tuple[int, int], inbetweens_per_gap: int,
                     transparent: bool) -> SynthCase:
    kt = list(motion.key_times)
    gt = inbetween_times(kt, inbetweens_per_gap)
    keys = [motion.render(t, size, transparent) for t in kt]
    frames = [motion.render(t, size, transparent) for t in gt]
    return SynthCase(name, keys, kt, gt, frames, float(motion.line_width), motion)


def _suite(prefix: str, make: Callable[..., Motion], size: tuple[int, int], n_cases: int,
           n_keys: int, inbetweens_per_gap: int, seed: int, max_rotation: float,
           transparent: bool, smooth: bool = False) -> list[SynthCase]:
    cases = []
    for i in range(n_cases):
        lw = LINE_WIDTHS[i % len(LINE_WIDTHS)]
        motion = make(seed, i, n_keys=n_keys, max_rotation=max_rotation, line_width=lw)
        if smooth:
            motion = replace(motion, smooth=True)
        cases.append(case_from_motion(f"{prefix}-{i:02d}-w{lw}", motion, size,
                                      inbetweens_per_gap, transparent))
    return cases


def articulated_suite(size: tuple[int, int] = (960, 540), n_cases: int = 6, n_keys: int = 2,
                      inbetweens_per_gap: int = 3, seed: int = 0, max_rotation: float = 1.0,
                      transparent: bool = False, smooth: bool = False) -> list[SynthCase]:
    """Line-art mannequin cases; ``size`` is (width, height). ``smooth``: with 3+ keys the ground
    truth follows smooth arcs through the keys (Catmull-Rom in joint space) rather than linear gaps."""
    return _suite("articulated-smooth" if smooth else "articulated", articulated_motion, size, n_cases,
                  n_keys, inbetweens_per_gap, seed, max_rotation, transparent, smooth)


def cel_suite(size: tuple[int, int] = (960, 540), n_cases: int = 4, n_keys: int = 2,
              inbetweens_per_gap: int = 3, seed: int = 0, max_rotation: float = 0.6,
              transparent: bool = False) -> list[SynthCase]:
    """Coloured-cel mannequin cases (flat fills + hard shadows on white paper)."""
    return _suite("cel", cel_motion, size, n_cases, n_keys, inbetweens_per_gap, seed,
                  max_rotation, transparent)


def render_case_frame(case: SynthCase | Motion, t: float, size: tuple[int, int] | None = None,
                      transparent: bool | None = None) -> np.ndarray:
    """Render a case (or a bare motion) at any time ``t``.

    For a case, size and the transparent flag default to those of its keys.
    """
    if isinstance(case, SynthCase):
        if case.motion is None:
            raise ValueError(f"case {case.name} carries no motion to render from")
        motion = case.motion
        h, w = case.keys[0].shape[:2]
        size = (w, h) if size is None else size
        if transparent is None:
            transparent = bool(case.keys[0][..., 3].min() < 1.0)
    else:
        motion = case
    return motion.render(t, size or (960, 540), bool(transparent))
