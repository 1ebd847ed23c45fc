"""Training samples from the project's own synthetic generators (core/synth): nothing downloaded.

A sample is one key pair and the ground-truth frame at a random t between them, all three turned
into working-size representations, with flow mode's motion at that t as the prior (prepare.py). One
key pair gives SAMPLES_PER_PAIR samples: flow mode's preparation is the costly part, and is shared.
Line art and coloured cels, line widths 1–5 px, large rotations (occlusion comes with them: limbs
cross the body), on paper or transparent layers.
Training seeds start at TRAIN_SEED_BASE, far from the bench's seeds (11–16), so the bench never
scores a motion the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..inbetween.pair import PairInbetweener
from ..inbetween.represent import analyse_keys
from ..synth import LINE_WIDTHS, articulated_motion, cel_motion
from .prepare import FlowPrior, key_ink, represent, working_size

TRAIN_SEED_BASE = 100_000
CEL_SHARE = 0.4          # fraction of samples that are coloured cels
TRANSPARENT_SHARE = 0.15  # fraction drawn on a transparent layer
SAMPLES_PER_PAIR = 3


# A numpy array, or a torch tensor once a GPU run keeps its pool there (train._on); torch is optional.
Planes = Any


@dataclass
class Sample:
    rep0: Planes   # (C, h, w)
    rep1: Planes
    rep_t: Planes  # ground truth at t
    prior: Planes  # (PRIOR_CHANNELS, h, w) flow mode's motion at t (prepare.FlowPrior)
    t: float


def make_samples(seed: int, index: int, render_size: tuple[int, int], long_side: int) -> list[Sample]:
    """Key pair ``index`` of ``seed`` and SAMPLES_PER_PAIR frames between: deterministic, so a training
    run can be repeated exactly."""
    rng = np.random.default_rng([TRAIN_SEED_BASE + seed, index])
    width = float(LINE_WIDTHS[int(rng.integers(len(LINE_WIDTHS)))]) * render_size[0] / 960.0
    rotation = float(rng.uniform(0.4, 1.3))
    sub = int(rng.integers(1 << 30))
    if rng.random() < CEL_SHARE:
        motion = cel_motion(TRAIN_SEED_BASE + seed, sub, max_rotation=min(rotation, 0.9), line_width=width)
    else:
        motion = articulated_motion(TRAIN_SEED_BASE + seed, sub, max_rotation=rotation, line_width=width)
    transparent = bool(rng.random() < TRANSPARENT_SHARE)
    ts = [float(t) for t in rng.uniform(0.1, 0.9, SAMPLES_PER_PAIR)]
    keys = [motion.render(x, render_size, transparent) for x in (0.0, 1.0)]
    style = analyse_keys(keys)
    size = working_size(keys[0].shape, long_side)
    inks = [key_ink(k, style) for k in keys]
    rep0, rep1 = (represent(k, style, size, ink) for k, ink in zip(keys, inks))
    flow = FlowPrior(PairInbetweener(keys[0], keys[1], device="cpu"), size)
    # Held in half precision: a pool of thousands of samples, sent between processes (0.06 px at 480 px).
    half0, half1 = (a.astype(np.float16) for a in (rep0, rep1))
    return [Sample(half0, half1, represent(motion.render(t, render_size, transparent), style, size).astype(np.float16),
                   flow.at(t).astype(np.float16), t) for t in ts]


# Prior channels after a mirror image: the flows' x components change sign.
MIRROR_SIGN = (-1.0, 1.0, -1.0, 1.0, 1.0, 1.0)


def batch(samples: list[Sample], rng: np.random.Generator) -> tuple:
    """Stacked (rep0, rep1, prior, rep_t, t), float32, with random mirror images and key order swaps
    (t → 1 − t). Samples hold numpy arrays, or torch tensors (a GPU run keeps its pool on the GPU):
    the same draws from ``rng`` either way."""
    on_numpy = isinstance(samples[0].rep0, np.ndarray)
    r0: list[Planes] = []
    r1: list[Planes] = []
    pr: list[Planes] = []
    rt: list[Planes] = []
    ts: list[float] = []
    for s in samples:
        a, b, p, g, t = s.rep0, s.rep1, s.prior, s.rep_t, s.t
        if rng.random() < 0.5:  # the frame at t seen from the other end: flows and reliabilities swap
            a, b, p, t = b, a, p[[2, 3, 0, 1, 5, 4]], 1.0 - t
        if rng.random() < 0.5:
            if on_numpy:
                a, b, g, p = a[..., ::-1], b[..., ::-1], g[..., ::-1], p[..., ::-1]
                p = p * np.array(MIRROR_SIGN, p.dtype)[:, None, None]
            else:
                a, b, g, p = a.flip(-1), b.flip(-1), g.flip(-1), p.flip(-1)
                p = p * p.new_tensor(MIRROR_SIGN)[:, None, None]
        r0.append(a)
        r1.append(b)
        pr.append(p)
        rt.append(g)
        ts.append(t)
    times = np.array(ts, np.float32)[:, None]
    if on_numpy:
        return (*(np.stack(x).astype(np.float32) for x in (r0, r1, pr, rt)), times)
    import torch

    return (*(torch.stack(x).float() for x in (r0, r1, pr, rt)), torch.from_numpy(times).to(r0[0].device))
