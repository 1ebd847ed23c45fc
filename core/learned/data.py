"""Training samples from the project's own synthetic generators (core/synth): nothing downloaded.

A sample is one key pair and the ground-truth frame at a random t between them, all three turned
into working-size representations (prepare.py). Line art and coloured cels, line widths 1–5 px,
large rotations (occlusion comes with them: limbs cross the body), on paper or transparent layers.
Training seeds start at TRAIN_SEED_BASE, far from the bench's seeds (11–16), so the bench never
scores a motion the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inbetween.represent import analyse_keys
from ..synth import LINE_WIDTHS, articulated_motion, cel_motion
from .prepare import prior, represent, working_size

TRAIN_SEED_BASE = 100_000
CEL_SHARE = 0.4          # fraction of samples that are coloured cels
TRANSPARENT_SHARE = 0.15  # fraction drawn on a transparent layer


@dataclass
class Sample:
    rep0: np.ndarray   # (C, h, w)
    rep1: np.ndarray
    rep_t: np.ndarray  # ground truth at t
    prior: np.ndarray  # (4, h, w) DIS flows 0→1, 1→0 (prepare.prior)
    t: float


def make_sample(seed: int, index: int, render_size: tuple[int, int], long_side: int) -> Sample:
    """Sample ``index`` of ``seed``: deterministic, so a training run can be repeated exactly."""
    rng = np.random.default_rng([TRAIN_SEED_BASE + seed, index])
    width = float(LINE_WIDTHS[int(rng.integers(len(LINE_WIDTHS)))]) * render_size[0] / 960.0
    rotation = float(rng.uniform(0.4, 1.3))
    sub = int(rng.integers(1 << 30))
    if rng.random() < CEL_SHARE:
        motion = cel_motion(TRAIN_SEED_BASE + seed, sub, max_rotation=min(rotation, 0.9), line_width=width)
    else:
        motion = articulated_motion(TRAIN_SEED_BASE + seed, sub, max_rotation=rotation, line_width=width)
    transparent = bool(rng.random() < TRANSPARENT_SHARE)
    t = float(rng.uniform(0.1, 0.9))
    frames = [motion.render(x, render_size, transparent) for x in (0.0, 1.0, t)]
    style = analyse_keys(frames[:2])
    size = working_size(frames[0].shape, long_side)
    reps = [represent(f, style, size) for f in frames]
    return Sample(reps[0], reps[1], reps[2], prior(reps[0], reps[1]), t)


def batch(samples: list[Sample], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Stacked (rep0, rep1, prior, rep_t, t) with random mirror images and key order swaps (t → 1 − t)."""
    r0, r1, pr, rt, ts = [], [], [], [], []
    for s in samples:
        a, b, p, g, t = s.rep0, s.rep1, s.prior, s.rep_t, s.t
        if rng.random() < 0.5:
            a, b, p, t = b, a, p[[2, 3, 0, 1]], 1.0 - t
        if rng.random() < 0.5:  # mirrored: x components of the flows change sign
            a, b, g = a[..., ::-1], b[..., ::-1], g[..., ::-1]
            p = p[..., ::-1] * np.array([-1, 1, -1, 1], np.float32)[:, None, None]
        r0.append(a), r1.append(b), pr.append(p), rt.append(g), ts.append(t)
    return (*(np.ascontiguousarray(np.stack(x)) for x in (r0, r1, pr, rt)), np.array(ts, np.float32)[:, None])
