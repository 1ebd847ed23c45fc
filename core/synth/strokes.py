"""Stroke suites with exact ground truth: the articulated mannequin (`figures.py`) as vector strokes.

Every outline and line of the rig is one stroke; its identity is its index in the rig's placed shapes, the
same at every pose, so the true inbetween of each stroke at time t is the same shape placed at the
interpolated pose (`Motion.pose_at`: joint angles, so parts move on arcs). Keys are then made harder the
way artists' keys differ: strokes shuffled (drawing order), drawn the other way (closed ones also from
another start), with other point counts, with extra and missing strokes, and with lines drawn in two
pieces (the pen lifted somewhere else: both pieces keep the line's identity).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..strokes.model import Drawing, Stroke
from .motion import Motion, articulated_motion
from .rig import place
from .suite import inbetween_times

SIZE = (960, 540)
EXTRA = -1  # identity of a stroke that exists in one key only


@dataclass(frozen=True)
class StrokeCase:
    name: str
    keys: list[Drawing]              # what a method is given
    key_ids: list[list[int]]         # identity of every key stroke (EXTRA for strokes not in the rig)
    key_times: list[float]
    times: list[float]               # ground-truth times, strictly between keys
    truth: list[dict[int, np.ndarray]]  # identity → true points (in the first key's point order) at each time
    size: tuple[int, int]
    line_width: float


def pose_strokes(motion: Motion, t: float, size: tuple[int, int] = SIZE) -> list[tuple[np.ndarray, bool]]:
    """(points in pixels, closed) for every shape of the rig at time t, in the rig's order."""
    w, h = size
    camera = motion.camera(w / h)
    return [(camera.to_pixels(ps.world, h), bool(ps.shape.closed)) for ps in place(motion.rig, motion.pose_at(t))]


def _disguise(strokes: list[Stroke], ids: list[int], rng: np.random.Generator, shuffle: bool, reverse: bool,
              resample: bool) -> tuple[list[Stroke], list[int]]:
    out = []
    for stroke in strokes:
        if resample and stroke.n > 2:
            stroke = Stroke(_subdivide(stroke.points, stroke.closed, rng), stroke.width[0], 1.0, stroke.closed,
                            stroke.material)
        if reverse and rng.random() < 0.5:
            stroke = stroke.reversed()
        if reverse and stroke.closed and stroke.n > 2:
            roll = int(rng.integers(stroke.n))
            stroke = Stroke(np.roll(stroke.points, -roll, axis=0), np.roll(stroke.width, -roll),
                            np.roll(stroke.opacity, -roll), True, stroke.material)
        out.append(stroke)
    order = rng.permutation(len(out)) if shuffle else np.arange(len(out))
    return [out[i] for i in order], [ids[i] for i in order]


def _subdivide(points: np.ndarray, closed: bool, rng: np.random.Generator) -> np.ndarray:
    """Up to twice the points on the same polyline (segments split at random places, every corner kept)."""
    ends = np.vstack([points, points[:1]]) if closed else points
    segments = len(ends) - 1
    split = np.zeros(segments, bool)
    split[rng.choice(segments, size=int(rng.integers(0, segments + 1)), replace=False)] = True
    out = []
    for i in range(segments):
        out.append(ends[i])
        if split[i]:
            f = rng.uniform(0.2, 0.8)
            out.append((1 - f) * ends[i] + f * ends[i + 1])
    if not closed:
        out.append(ends[-1])
    return np.array(out)


def _scribble(rng: np.random.Generator, centre: np.ndarray, size: float, width: float) -> Stroke:
    t = np.linspace(0.0, 1.0, int(rng.integers(8, 20)))
    angle = rng.uniform(0, 2 * np.pi)
    wiggle = rng.uniform(-0.3, 0.3) * np.sin(np.pi * t * rng.uniform(1, 3))
    local = np.stack([t - 0.5, wiggle], axis=1) * size
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return Stroke(local @ rot.T + centre, width, 1.0, False, 0)


def _split(stroke: Stroke, rng: np.random.Generator) -> list[Stroke]:
    """The stroke as two pieces that share the point where the pen was lifted (a closed one: two open
    halves that share both ends)."""
    n = stroke.n
    if stroke.closed:
        cut = int(rng.integers(0, n))
        half = int(rng.integers(max(2, n // 3), n - max(2, n // 3) + 1))
        order = np.roll(np.arange(n), -cut)
        parts = [order[:half + 1], np.r_[order[half:], order[:1]]]
    else:
        cut = int(rng.integers(n // 3, n - n // 3))
        parts = [np.arange(cut + 1), np.arange(cut, n)]
    return [Stroke(stroke.points[i], stroke.width[i], stroke.opacity[i], False, stroke.material) for i in parts]


def stroke_case(seed: int, index: int, *, n_keys: int = 2, smooth: bool = False, shuffle: bool = False,
                reverse: bool = False, resample: bool = False, extra: int = 0, missing: int = 0,
                split: int = 0, per_gap: int = 3, size: tuple[int, int] = SIZE,
                line_width: float = 2.0) -> StrokeCase:
    """One case: the mannequin of `articulated_motion(seed, index)` with keys disguised as asked."""
    motion = articulated_motion(seed, index, n_keys=n_keys, line_width=line_width)
    if smooth:
        motion = replace(motion, smooth=True)
    rng = np.random.default_rng([seed, index, 7])
    key_times = [float(t) for t in motion.key_times]
    times = inbetween_times(key_times, per_gap)
    keys, key_ids = [], []
    for k, t in enumerate(key_times):
        shapes = pose_strokes(motion, t, size)
        ids = list(range(len(shapes)))
        strokes = [Stroke(p, line_width, 1.0, closed, 0) for p, closed in shapes]
        if k > 0 and missing:
            drop = set(rng.choice(len(strokes), size=missing, replace=False).tolist())
            strokes = [s for i, s in enumerate(strokes) if i not in drop]
            ids = [c for i, c in enumerate(ids) if i not in drop]
        if k > 0 and split:
            long = [i for i, s in enumerate(strokes) if s.n >= 8]
            chosen = set(rng.choice(long, size=min(split, len(long)), replace=False).tolist())
            pieces = [(_split(s, rng) if i in chosen else [s], c) for i, (s, c) in enumerate(zip(strokes, ids))]
            strokes = [p for parts, _ in pieces for p in parts]
            ids = [c for parts, c in pieces for _ in parts]
        if k > 0 and extra:
            points = np.concatenate([s.points for s in strokes])
            lo, hi = points.min(axis=0), points.max(axis=0)
            for _ in range(extra):
                strokes.append(_scribble(rng, rng.uniform(lo, hi), rng.uniform(15, 40), line_width))
                ids.append(EXTRA)
        if k > 0 or shuffle:
            strokes, ids = _disguise(strokes, ids, rng, shuffle, reverse, resample)
        keys.append(Drawing(strokes))
        key_ids.append(ids)
    truth = [{c: p for c, (p, _) in enumerate(pose_strokes(motion, t, size))} for t in times]
    flags = "".join(f for f, on in (("s", shuffle), ("r", reverse), ("p", resample), ("x", extra or missing),
                                    ("j", split)) if on)
    return StrokeCase(f"strokes{'-smooth' if smooth else ''}-{n_keys}k-{index:02d}{'-' + flags if flags else ''}",
                      keys, key_ids, key_times, times, truth, size, line_width)


def stroke_suite(n_cases: int, seed: int = 0, **options) -> list[StrokeCase]:
    return [stroke_case(seed, i, line_width=float(2 + i % 2), **options) for i in range(n_cases)]


def speed_keys(rng: np.random.Generator, n_strokes: int = 200, n_points: int = 100,
               size: tuple[int, int] = (1920, 1080)) -> list[Drawing]:
    """Two keys of `n_strokes` smooth random strokes of `n_points` points each; the second key turns, moves
    and bends every stroke a little and lists them in another order."""
    w, h = size
    first, second = [], []
    t = np.linspace(0.0, 1.0, n_points)
    for i in range(n_strokes):
        centre = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h])
        length, bend, angle = rng.uniform(40, 160), rng.uniform(-0.4, 0.4), rng.uniform(0, 2 * np.pi)
        local = np.stack([(t - 0.5) * length, bend * length * np.sin(np.pi * t)], axis=1)
        turn = angle + rng.uniform(-0.5, 0.5)
        def placed(a: float, shift: np.ndarray, curl: float, local: np.ndarray = local,
                   length: float = length) -> np.ndarray:
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            shaped = local + np.stack([np.zeros(n_points), curl * length * t * t], axis=1)
            return shaped @ rot.T + shift
        first.append(Stroke(placed(angle, centre, 0.0), 3.0, 1.0, bool(i % 5 == 0), i % 3))
        second.append(Stroke(placed(turn, centre + rng.normal(0, 12, 2), rng.uniform(-0.05, 0.05)), 3.0, 1.0,
                             bool(i % 5 == 0), i % 3))
    order = rng.permutation(n_strokes)
    return [Drawing(first), Drawing([second[i] for i in order])]
