"""Polyline geometry shared by matching, interpolation and the benchmark: arc-length resampling of many
strokes at once, and shape alignment in the complex plane (a point is x + iy; a turn-and-scale is one
complex factor)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

# Strokes are laid end to end on one axis, `_SLOT` apart, so one np.interp resamples them all.
_SLOT = 3.0
# How much an alignment that turns the stroke by π costs against a perfect shape fit (0..1): between two
# equally good fits (a straight line either way, a circle from any start) the one that turns less wins.
TURN_PENALTY = 0.35


def resample_many(arrays: Sequence[np.ndarray], dims: int, closed: Sequence[bool], counts: Sequence[int],
                  maps: Sequence[tuple[float, float]] | None = None) -> list[np.ndarray]:
    """Resample every (N_i, C) array to counts[i] rows evenly spaced by arc length (measured on the first
    `dims` columns; every column is interpolated). maps[i] = (sign, start): row k sits at arc-length
    fraction u = start + sign·v_k (v_k = k/count for a closed stroke, mod 1, which does not repeat its
    first point; v_k = k/(count−1) for an open one); default (1, 0). All strokes in one vectorised pass."""
    if not len(arrays):
        return []
    table, stroke_of, u, _ = _walk(arrays, dims, closed)
    counts = np.asarray(counts, dtype=np.int64)
    target_of = np.repeat(np.arange(len(arrays)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    closed_t = np.asarray(closed, dtype=bool)[target_of]
    v = np.where(closed_t, k / np.maximum(counts[target_of], 1), k / np.maximum(counts[target_of] - 1, 1))
    if maps is not None:
        sign, start = np.asarray(maps, dtype=np.float64).reshape(-1, 2).T
        v = start[target_of] + sign[target_of] * v
    v = np.where(closed_t, v % 1.0, np.clip(v, 0.0, 1.0))
    xp, x = _SLOT * stroke_of + u, _SLOT * target_of + v
    out = np.stack([np.interp(x, xp, table[:, c]) for c in range(table.shape[1])], axis=1)
    ends = np.cumsum(counts).tolist()
    return [out[a:b] for a, b in zip([0] + ends[:-1], ends)]


def arc_lengths(arrays: Sequence[np.ndarray], dims: int, closed: Sequence[bool]) -> np.ndarray:
    """Length of every polyline (a closed one including its closing segment)."""
    return _walk(arrays, dims, closed)[3] if len(arrays) else np.zeros(0)


def _walk(arrays: Sequence[np.ndarray], dims: int, closed: Sequence[bool]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All strokes as one table of rows, each stroke walked over its own rows (a closed one back to its
    first point, a dot twice): (rows, stroke of each row, arc-length fraction u of each row, lengths)."""
    sizes = np.array([len(a) for a in arrays])
    is_closed = np.asarray(closed, dtype=bool) & (sizes > 1)
    walk = sizes + is_closed + (sizes == 1)
    stroke_of = np.repeat(np.arange(len(sizes)), walk)
    step_in = np.arange(walk.sum()) - np.repeat(np.cumsum(walk) - walk, walk)
    first_row = np.cumsum(sizes) - sizes
    table = np.concatenate(arrays)[first_row[stroke_of] + step_in % sizes[stroke_of]].astype(np.float64)
    step = np.zeros(len(table))
    step[1:] = np.sqrt((np.diff(table[:, :dims], axis=0) ** 2).sum(axis=1))
    step[step_in == 0] = 0.0
    cum = np.cumsum(step)
    starts_at = np.cumsum(walk) - walk
    cum -= np.repeat(cum[starts_at], walk)
    total = cum[starts_at + walk - 1]
    by_index = step_in / np.maximum(walk - 1, 1)[stroke_of]
    u = np.where(total[stroke_of] > 0, cum / np.where(total > 0, total, 1.0)[stroke_of], by_index)
    return table, stroke_of, u, total


def complex_points(points: np.ndarray) -> np.ndarray:
    return points[..., 0] + 1j * points[..., 1]


def alignment_scores(x: np.ndarray, y: np.ndarray, closed: bool) -> np.ndarray:
    """How well y (centred, complex, (..., K)) fits a turned and scaled x at every start shift of y (closed)
    or only shift 0 (open). Returns the score over shifts: 1 − fit (0 perfect) + turn penalty."""
    if closed:
        # Circular cross-correlation: corr[s] = Σ_k conj(x_k) y_{k+s}.
        corr = np.fft.ifft(np.conj(np.fft.fft(x, axis=-1)) * np.fft.fft(y, axis=-1), axis=-1)
    else:
        corr = np.sum(np.conj(x) * y, axis=-1, keepdims=True)
    norms = np.sum(np.abs(x) ** 2, axis=-1, keepdims=True) * np.sum(np.abs(y) ** 2, axis=-1, keepdims=True)
    fit = np.abs(corr) ** 2 / np.maximum(norms, 1e-12)
    return 1.0 - fit + TURN_PENALTY * (np.angle(corr) / np.pi) ** 2
