"""Painting sequences with exact truth: a seeded figure (core/synth/paintcase.py) moved by known motions.

Each case is a short shot: line frames, the painted first frame (the only key) and the truth of every frame.
Families say what the motion does; `held_out` families and seeds were never looked at while tuning the
painter (the bench reports them apart):

* slide: a walk across the frame, a little turn on the way (on ones)
* turn: a turn of several degrees a frame
* twos: the slide drawn on twos (each drawing moves twice as far)
* appear: a badge that is not in the key appears half way (must be left unpainted, never guessed)
* gap: the body's outline has a gap the painter must close
* split (held out): a cuff line drawn across the arm from the third frame (one area becomes two)
* zoom (held out): the figure comes towards the camera (grows) while it moves
* fast (held out): the slide three times as fast (a big step between drawings)

Every figure has a shadow bounded by a coloured line, a highlight bounded by another, buttons, and the
head's shadow on the body painted with no line around it (a colour boundary only the painted key shows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .paintcase import EXTRA, PALETTE, Figure, Pose, fill_truth, render

FAMILIES = ("slide", "turn", "twos", "appear", "gap")
HELD_OUT_FAMILIES = ("split", "zoom", "fast")
TUNED_SEEDS = (0, 1, 2)
HELD_OUT_SEEDS = (100, 101, 102)


@dataclass
class PaintCase:
    name: str
    family: str
    seed: int
    held_out: bool
    lines: list[np.ndarray]                        # HxWx4 float32 line frames
    key: np.ndarray                                # HxWx4 float32: frame 0 painted
    truth: list[tuple[np.ndarray, np.ndarray]]     # per frame: (painted uint8 RGB, paint-pixel mask)
    figure: Figure


def random_figure(rng: np.random.Generator) -> Figure:
    """Proportions and a palette of distinct colours (never paper white, never line black)."""
    names = [*PALETTE, *EXTRA]
    colours: list[tuple[int, int, int]] = []
    while len(colours) < len(names):
        c = tuple(int(v) for v in rng.integers(40, 236, 3))
        if all(sum(abs(a - b) for a, b in zip(c, o)) > 60 for o in colours):
            colours.append(c)  # type: ignore[arg-type]
    return Figure(palette=tuple(zip(names, colours)),
                  body=(float(rng.uniform(48, 62)), float(rng.uniform(62, 76))),
                  head=(float(rng.uniform(28, 36)), float(rng.uniform(26, 33))),
                  arm_reach=float(rng.uniform(0.8, 1.15)), highlight=True, buttons=int(rng.integers(2, 4)),
                  neck_shadow=True)


def poses(family: str, rng: np.random.Generator, frames: int, scale: float) -> list[Pose]:
    """The known motion of one family: `scale` converts px at 240 px high to the frame's size."""
    vx, vy = rng.uniform(3.0, 6.0) * rng.choice([-1, 1]), rng.uniform(-2.0, 2.0)
    spin = rng.uniform(-1.0, 1.0)
    if family == "turn":
        vx, spin = vx / 3, rng.uniform(3.0, 5.0) * rng.choice([-1, 1])
    if family in ("twos", "fast"):
        factor = 2 if family == "twos" else 3
        vx, vy, spin = factor * vx, factor * vy, factor * spin
    wobble = rng.uniform(0, 2 * np.pi)
    out = []
    for i in range(frames):
        # A little ease and bob, so the motion is not one constant step (flow must not be a lucky guess).
        t = i + 0.15 * np.sin(i + wobble)
        out.append(Pose(dx=vx * t * scale, dy=(vy * t + 1.5 * np.sin(0.8 * i + wobble)) * scale,
                        angle=spin * t, badge=family == "appear" and i >= frames // 2,
                        gap=3.0 * scale if family == "gap" else 0.0,
                        scale=1.0 + 0.035 * i if family == "zoom" else 1.0,
                        cuff=family == "split" and i >= 2))
    return out


def paint_case(family: str, seed: int, size: tuple[int, int] = (320, 240), frames: int = 6) -> PaintCase:
    rng = np.random.default_rng([seed, (FAMILIES + HELD_OUT_FAMILIES).index(family)])
    figure = random_figure(rng)
    scale = min(size) / 240.0
    line_width = 2 if min(size) < 400 else round(2 * scale)
    shot = poses(family, rng, frames, scale)
    lines = [render(p, size, False, line_width, figure) for p in shot]
    truth = [fill_truth(p, size, line_width, figure) for p in shot]
    held = family in HELD_OUT_FAMILIES or seed in HELD_OUT_SEEDS
    return PaintCase(name=f"{family}-{seed}", family=family, seed=seed, held_out=held, lines=lines,
                     key=render(shot[0], size, True, line_width, figure), truth=truth, figure=figure)


def paint_suite(seeds: tuple[int, ...], families: tuple[str, ...], size: tuple[int, int] = (320, 240),
                frames: int = 6) -> list[PaintCase]:
    return [paint_case(family, seed, size, frames) for family in families for seed in seeds]
