"""Polyline geometry shared by matching, interpolation and the benchmark: arc-length resampling of many
strokes at once, and shape alignment in the complex plane (a point is x + iy; a turn-and-scale is one
complex factor)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

# Strokes are laid end to end on one axis, `_SLOT` apart, so one np.interp resamples them all.
_SLOT = 3.0


def resample_many(arrays: Sequence[np.ndarray], dims: int, closed: Sequence[bool], counts: Sequence[int],
                  maps: Sequence[tuple[float, float]] | None = None) -> list[np.ndarray]:
    """Resample every (N_i, C) array to counts[i] rows evenly spaced by arc length (measured on the first
    `dims` columns; every column is interpolated). maps[i] = (sign, start): row k sits at arc-length
    fraction u = start + sign·v_k (v_k = k/count for a closed stroke, mod 1, which does not repeat its
    first point; v_k = k/(count−1) for an open one); default (1, 0). All strokes in one vectorised pass."""
    if not len(arrays):
        return []
    sizes = [len(a) for a in arrays]
    out = resample_walk(walk_rows(np.concatenate(arrays), sizes, dims, closed), closed, counts, maps)
    ends = np.cumsum(counts).tolist()
    return [out[a:b] for a, b in zip([0] + ends[:-1], ends)]


class Walk(NamedTuple):
    """All strokes as one table of rows, each stroke walked over its own rows (a closed one back to its
    first point, a dot twice)."""
    table: np.ndarray      # (R, C) float64 rows
    stroke_of: np.ndarray  # (R,) stroke of each row
    u: np.ndarray          # (R,) arc-length fraction of each row along its stroke
    length: np.ndarray     # (N,) length of every stroke


def walk_rows(rows: np.ndarray, sizes: Sequence[int] | np.ndarray, dims: int,
              closed: Sequence[bool] | np.ndarray) -> Walk:
    """The walk of strokes given as their rows end to end (`sizes` rows each): callers that already hold
    the strokes' points in one array skip splitting and joining them again."""
    sizes = np.asarray(sizes, dtype=np.int64)
    is_closed = np.asarray(closed, dtype=bool) & (sizes > 1)
    walk = sizes + is_closed + (sizes == 1)
    stroke_of = np.repeat(np.arange(len(sizes)), walk)
    starts_at = np.cumsum(walk) - walk
    step_in = np.arange(len(stroke_of)) - starts_at[stroke_of]
    if len(stroke_of) == len(rows):  # nothing walked twice: the rows as they are
        table = np.asarray(rows, dtype=np.float64)
    else:
        first_row = np.cumsum(sizes) - sizes
        table = np.asarray(rows[first_row[stroke_of] + step_in % sizes[stroke_of]], dtype=np.float64)
    step = np.zeros(len(table))
    if len(table) > 1:  # the same sum of squares as np.sum over the columns, without the temporaries
        squares = np.square(table[1:, 0] - table[:-1, 0])
        for c in range(1, dims):
            squares += np.square(table[1:, c] - table[:-1, c])
        step[1:] = np.sqrt(squares)
    step[starts_at] = 0.0
    cum = np.cumsum(step)
    cum -= np.repeat(cum[starts_at], walk)
    total = cum[starts_at + walk - 1]
    by_index = step_in / np.maximum(walk - 1, 1)[stroke_of]
    u = np.where(total[stroke_of] > 0, cum / np.where(total > 0, total, 1.0)[stroke_of], by_index)
    return Walk(table, stroke_of, u, total)


def resample_walk(walk: Walk, closed: Sequence[bool] | np.ndarray, counts: Sequence[int] | np.ndarray,
                  maps: Sequence[tuple[float, float]] | np.ndarray | None = None) -> np.ndarray:
    """`resample_many` on a walk: every stroke's samples, end to end, as one (Σ counts, C) array."""
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    target_of = np.repeat(np.arange(n), counts)
    k = np.arange(len(target_of)) - np.repeat(np.cumsum(counts) - counts, counts)
    closed_t = np.asarray(closed, dtype=bool)[target_of]
    v = np.where(closed_t, k / np.maximum(counts[target_of], 1), k / np.maximum(counts[target_of] - 1, 1))
    if maps is not None:
        sign, start = np.asarray(maps, dtype=np.float64).reshape(-1, 2).T
        v = start[target_of] + sign[target_of] * v
    v = np.where(closed_t, v % 1.0, np.clip(v, 0.0, 1.0))
    xp, x = _SLOT * walk.stroke_of + walk.u, _SLOT * target_of + v
    table = walk.table
    out = np.empty((len(x), table.shape[1]))
    for c in range(table.shape[1]):
        out[:, c] = np.interp(x, xp, table[:, c])
    return out


def complex_points(points: np.ndarray) -> np.ndarray:
    return points[..., 0] + 1j * points[..., 1]


def alignment_scores(x: np.ndarray, y: np.ndarray, closed: bool, turn_penalty: float) -> np.ndarray:
    """How well y (centred, complex, (..., K)) fits a turned and scaled x at every start shift of y (closed)
    or only shift 0 (open). Returns the score over shifts: 1 − fit (0 perfect) + `turn_penalty` × (turn/π)²
    (`MatchSettings.turn_penalty`)."""
    if closed:
        # Circular cross-correlation: corr[s] = Σ_k conj(x_k) y_{k+s}.
        corr = np.fft.ifft(np.conj(np.fft.fft(x, axis=-1)) * np.fft.fft(y, axis=-1), axis=-1)
    else:
        corr = np.sum(np.conj(x) * y, axis=-1, keepdims=True)
    return fit_scores(corr, np.sum(np.abs(x) ** 2, axis=-1, keepdims=True),
                      np.sum(np.abs(y) ** 2, axis=-1, keepdims=True), turn_penalty)


def fit_scores(corr: np.ndarray, norm_x: np.ndarray, norm_y: np.ndarray, turn_penalty: float) -> np.ndarray:
    """`alignment_scores` from the correlations and both sides' squared norms (Σ|x|², Σ|y|²), for callers
    that compute those once per stroke rather than once per pair."""
    return misfits(corr, norm_x, norm_y) + turn_penalty * (np.angle(corr) / np.pi) ** 2


def misfits(corr: np.ndarray, norm_x: np.ndarray, norm_y: np.ndarray) -> np.ndarray:
    """1 − how well y fits a turned and scaled x (0: perfectly), without the turn penalty of `fit_scores`."""
    return 1.0 - np.abs(corr) ** 2 / np.maximum(norm_x * norm_y, 1e-12)
