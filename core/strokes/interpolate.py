"""Stroke inbetweens: matched strokes turn, scale and travel; unmatched ones fade or draw on/off.

Strokes matched from key to key form *tracks*. Every track is resampled to one point count with its points
in correspondence (the matcher's arc-length maps, composed along the track). Between keys a stroke is a
turn-and-scale `a` (one complex number, points being x + iy), a shift, and a residual shape `D` (what is
left after the similarity): P(t) = a(t)·(P_g + D(t)) + shift(t). `a` is interpolated on its logarithm, so a
part turns rather than shrinking through the middle as a straight-line blend of its points would.

The shift is split into a turn about a pivot and a small remainder r, and parts joined at a hinge turn
relative to the part they hang on (`hinges.py`): a forearm turns about its elbow while the elbow rides on
the upper arm's arc.
- Time: log a, D, r, depth, width and opacity follow a time-parametrised Catmull-Rom (cubic Hermite)
  through the keys around the gap (time-parametrised for r too: the pivot then keeps pace with the turn, as
  a joint does; on the bench's three-key arcs this lowered the point error by an eighth). With two keys all
  are straight lines, and with three or more, paths bend smoothly through every key (arcs), without kinks
  at the keys.
Easing is applied before, by turning frame times into positions (`nakawari.timing`).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..curves import hermite_basis
from ..errors import Cancelled
from ..progress import Cancel, Progress
from .descriptors import reuse_descriptors
from .geometry import complex_points, resample_many, resample_walk, walk_rows
from .hinges import hinge_parents, levels, pivots, relative_motion
from .match import Correspondence, Match, match_drawings, plane_axes
from .model import Drawing, Stroke, check_keys
from .pieces import Group, Joined, as_joined, find_joins, join
from .settings import DEFAULT_STROKES, StrokeSettings
from .triples import reconcile

UNMATCHED_MODES = ("fade", "draw")


@dataclass
class Track:
    """One stroke followed through consecutive keys: key index → (stroke index, map from the track's first
    stroke's arc-length parameter to this stroke's, as (sign, start)), and the confidence of each link."""

    strokes: dict[int, tuple[int, tuple[float, float]]] = field(default_factory=dict)
    confidence: dict[int, float] = field(default_factory=dict)  # link from key k to k+1, by k

    @property
    def first(self) -> int:
        return min(self.strokes)


@dataclass
class Frame:
    position: float
    drawing: Drawing
    # Per output stroke: {"state": key|matched|appearing|vanishing, "from": [key, stroke] | None,
    # "to": [key, stroke] | None, "confidence": float}
    sources: list[dict]


def build_tracks(correspondences: Sequence[Correspondence], counts: Sequence[int]) -> list[Track]:
    tracks: list[Track] = []
    open_tracks: dict[int, Track] = {}  # stroke index in the current key → its track
    for i in range(counts[0]):
        track = Track({0: (i, (1.0, 0.0))})
        tracks.append(track)
        open_tracks[i] = track
    for k, corr in enumerate(correspondences):
        following: dict[int, Track] = {}
        for m in corr.matches:
            track = open_tracks[m.a]
            sign, start = track.strokes[k][1]
            track.strokes[k + 1] = (m.b, (m.sign * sign, m.start + m.sign * start))
            track.confidence[k] = m.confidence
            following[m.b] = track
        for j in corr.unmatched_b:
            track = Track({k + 1: (j, (1.0, 0.0))})
            tracks.append(track)
            following[j] = track
        open_tracks = following
    return tracks


class StrokeInbetweener:
    """Inbetweens of stroke keys at any position within the keys' time range (match once, sample often)."""

    def __init__(self, keys: Sequence[Drawing], key_times: Sequence[float], *, unmatched: str = "fade",
                 arcs: bool = True, order_hint: bool = False, join_pieces: bool = True,
                 settings: StrokeSettings = DEFAULT_STROKES) -> None:
        if len(keys) < 2 or len(keys) != len(key_times):
            raise ValueError("need at least two keys and one time per key")
        if unmatched not in UNMATCHED_MODES:
            raise ValueError(f"unmatched must be one of {', '.join(UNMATCHED_MODES)}")
        check_keys(keys, [f"key {i}" for i in range(len(keys))])
        self.keys = list(keys)
        self.times = [float(t) for t in key_times]
        self.unmatched = unmatched
        self.arcs = arcs
        self.settings = settings
        self.axes = plane_axes(self.keys)
        plane = (self.axes[0], self.axes[1])
        # The keys as matched: lines drawn in several pieces joined (`pieces.py`); `keys` stay as given.
        self.joined: list[Joined] = [as_joined(key) for key in self.keys]
        with reuse_descriptors():  # each key is matched with up to three others: describe it once
            self.correspondences = self._matched(plane, order_hint)
            for _ in range(settings.pieces.rounds if join_pieces else 0):
                if not self._join_pieces(plane):
                    break
                self.correspondences = self._matched(plane, order_hint)
        self.tracks = build_tracks(self.correspondences, [len(d) for d in self.drawings])
        self._line_of = [{pieces[0][0]: i for i, pieces in enumerate(key.pieces)} for key in self.joined]
        self._gaps: dict[int, _Gap] = {}

    @property
    def drawings(self) -> list[Drawing]:
        """The keys as matched and interpolated (pieces of one line joined); indices of `correspondences`
        and `tracks` refer to these."""
        return [key.drawing for key in self.joined]

    def _matched(self, plane: tuple[int, int], order_hint: bool) -> list[Correspondence]:
        drawings, settings = self.drawings, self.settings
        return reconcile(drawings, [match_drawings(a, b, plane, order_hint=order_hint, settings=settings.match)
                                    for a, b in zip(drawings, drawings[1:])], plane, order_hint=order_hint,
                         settings=settings.triples, matching=settings.match)

    def _join_pieces(self, plane: tuple[int, int]) -> bool:
        """Join the pieces that every gap's matches show to be one line (`pieces.find_joins`); True if any."""
        groups: list[list[Group]] = [[] for _ in self.keys]
        drawings = self.drawings
        for g, corr in enumerate(self.correspondences):
            in_first, in_second = find_joins(drawings[g], drawings[g + 1], corr, plane, self.settings.pieces,
                                             self.settings.match)
            groups[g] += in_first
            groups[g + 1] += in_second
        self.joined = [join(key, found) if found else key for key, found in zip(self.joined, groups)]
        return any(groups)

    def matches(self, g: int) -> list[tuple[list[int], list[int], Match]]:
        """The matches of gap g in the keys as given: the strokes of each line (several where pieces were
        joined) in key g and in key g + 1, and the match."""
        first, second = self.joined[g], self.joined[g + 1]
        return [(first.originals(m.a), second.originals(m.b), m) for m in self.correspondences[g].matches]

    def unpaired(self, g: int) -> tuple[list[int], list[int]]:
        """The strokes of key g and of key g + 1, as given, left without a partner in gap g."""
        corr = self.correspondences[g]
        return (sorted(s for i in corr.unmatched_a for s in self.joined[g].originals(i)),
                sorted(s for i in corr.unmatched_b for s in self.joined[g + 1].originals(i)))

    def line(self, k: int, stroke: int) -> tuple[int, int]:
        """(k, index of the line in `drawings[k]`) for the first piece of a line as a source names it."""
        return k, self._line_of[k][stroke]

    def named(self, k: int, i: int, side: str) -> dict:
        """How a frame's source names line i of key k (`side`: "from" or "to"): [key, stroke] of its first
        stroke in the key as given and, for a line drawn in several pieces, all of them ("from_pieces")."""
        pieces = self.joined[k].originals(i)
        out: dict = {side: [k, pieces[0]]}
        if len(pieces) > 1:
            out[f"{side}_pieces"] = pieces
        return out

    def frame(self, position: float) -> Frame:
        t = float(position)
        if not self.times[0] <= t <= self.times[-1]:
            raise ValueError(f"position {t:g} is outside the keys' range {self.times[0]:g}..{self.times[-1]:g}")
        if t in self.times:
            k = self.times.index(t)
            strokes = [s.copy() for s in self.keys[k].strokes]
            return Frame(t, Drawing(strokes), [{"state": "key", "from": [k, i], "to": None, "confidence": 1.0}
                                               for i in range(len(strokes))])
        g = min(max(bisect_right(self.times, t) - 1, 0), len(self.times) - 2)
        if g not in self._gaps:
            self._gaps[g] = _Gap(self, g)
        return self._gaps[g].at((t - self.times[g]) / (self.times[g + 1] - self.times[g]))


def inbetween_strokes(keys: Sequence[Drawing], key_times: Sequence[float], positions: Sequence[float], *,
                      unmatched: str = "fade", arcs: bool = True, order_hint: bool = False, join_pieces: bool = True,
                      progress: Progress | None = None,
                      cancel: Cancel | None = None, settings: StrokeSettings = DEFAULT_STROKES
                      ) -> tuple[list[Frame], StrokeInbetweener]:
    engine = StrokeInbetweener(keys, key_times, unmatched=unmatched, arcs=arcs, order_hint=order_hint,
                               join_pieces=join_pieces, settings=settings)
    frames = []
    for n, p in enumerate(positions):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {n} of {len(positions)} frames")
        frames.append(engine.frame(p))
        if progress is not None:
            progress(n + 1, len(positions), f"frame {n + 1}/{len(positions)}")
    return frames, engine


class _Gap:
    """Everything about one gap between keys g and g+1 that does not depend on the position in it."""

    def __init__(self, owner: StrokeInbetweener, g: int) -> None:
        self.owner, self.g = owner, g
        keys, times = owner.drawings, owner.times
        ix, iy, iz = owner.axes
        window = [g - 1, g, g + 1, g + 2]
        spanning = [tr for tr in owner.tracks if g in tr.strokes and g + 1 in tr.strokes]
        spanning.sort(key=lambda tr: tr.strokes[g][0])
        self.spanning = spanning
        counts = [max(keys[k].strokes[s].n for k, (s, _) in tr.strokes.items()) for tr in spanning]
        self.counts = counts
        self._sizes = np.asarray(counts, dtype=np.int64)   # points per track (np.repeat: per point)
        self.track_of_point = np.repeat(np.arange(len(spanning)), counts)
        extra = ([iz] if iz is not None else [])
        n_tracks = len(spanning)
        offsets = np.r_[0, np.cumsum(counts)].astype(int)
        self.offsets = offsets
        tp = self.track_of_point
        n_points = int(offsets[-1])
        n_cols = 2 + len(extra) + 2  # x, y, [depth], width, opacity
        # Samples of every spanning track at each window key, in correspondence with key g's samples.
        self.available = np.zeros((n_tracks, 4), bool)
        data = np.zeros((4, n_points, n_cols))
        # Vertex colours, where every stroke of the gap's two keys has them (as many channels each): sampled at
        # the same corresponding points, blended straight from one key to the other (a spline would overshoot).
        gap_colours = [keys[k].strokes[tr.strokes[k][0]].colour for tr in spanning for k in (g, g + 1)]
        colour_sets = {None if c is None else c.shape[1] for c in gap_colours}
        channels = colour_sets.pop() if len(colour_sets) == 1 else None
        self.slot_colours: list[np.ndarray] = []
        for j, k in enumerate(window):
            if not 0 <= k < len(keys) or (j in (0, 3) and not owner.arcs):
                continue
            present = np.array([k in tr.strokes for tr in spanning], bool)
            if not present.any():
                continue
            chosen = [tr for tr, here in zip(spanning, present) if here]
            strokes = [keys[k].strokes[tr.strokes[k][0]] for tr in chosen]
            closed = [st.closed for st in strokes]
            rows = _rows(strokes, (ix, iy), extra)
            coloured = channels is not None and j in (1, 2)
            if coloured:  # extra columns: the walk's arc length reads the plane alone, so the rest is unchanged
                rows = np.column_stack([rows, np.concatenate([st.colour for st in strokes])])
            walk = walk_rows(rows, [st.n for st in strokes], 2, closed)
            # Map from key g's stroke parameter to key k's: compose with the inverse of g's map.
            maps = [_relative(tr.strokes[g][1], tr.strokes[k][1]) for tr in chosen]
            sampled = resample_walk(walk, closed, np.asarray(counts)[present], maps)
            if coloured:
                self.slot_colours.append(sampled[:, n_cols:])
                sampled = sampled[:, :n_cols]
            if present.all():
                data[j] = sampled
            else:
                data[j, present[tp]] = sampled
            self.available[:, j] = present
        self.ref = data[1, :, 0] + 1j * data[1, :, 1]
        log_a = np.zeros((n_tracks, 4), complex)
        shift = np.zeros((n_tracks, 4), complex)
        residual = np.zeros((n_points, 4), complex)
        starts = offsets[:-1]
        size = np.maximum(np.asarray(counts, float), 1.0)
        ref_mean = np.add.reduceat(self.ref, starts) / size if n_tracks else np.zeros(0, complex)
        ref_c = self.ref - ref_mean[tp]
        denom = np.add.reduceat(np.abs(ref_c) ** 2, starts) if n_tracks else np.zeros(0)
        for j in (1, 2, 0, 3):
            have = self.available[:, j]
            if not have.any():
                continue
            z = data[j, :, 0] + 1j * data[j, :, 1]
            mean = np.add.reduceat(z, starts) / size
            a = np.add.reduceat(np.conj(ref_c) * (z - np.repeat(mean, self._sizes)), starts) / np.where(
                denom > 1e-12, denom, 1.0)
            a = np.where((denom > 1e-12) & (np.abs(a) > 1e-6), a, 1.0 + 0j)  # dots keep their turn
            b = mean - a * ref_mean
            base = log_a[:, 2] if j == 3 else 0.0
            rel = a / np.exp(base)
            log_a[have, j] = (base + np.log(np.abs(rel)) + 1j * np.angle(rel))[have]
            shift[have, j] = b[have]
            left = (z - np.repeat(b, self._sizes)) / np.repeat(a, self._sizes) - self.ref   # per point
            if have.all():
                residual[:, j] = left
            else:
                on = have[tp]
                residual[on, j] = left[on]
        # Depth, width and opacity at each window key, one contiguous block per key (a frame blends them).
        self.slot_values = [data[j, :, 2:].copy() for j in range(4)]
        self.key_log_a, self.key_shift = log_a[:, 2].copy(), shift[:, 2].copy()  # whole motion to key g+1
        hinges = owner.settings.hinges
        self.parent = hinge_parents(data, self.available, offsets, counts, np.exp(log_a), shift, hinges)
        self.hinge_levels = levels(self.parent)
        log_a, shift = relative_motion(self.parent, log_a, shift)
        self.log_a, self.shift = log_a, shift
        self.pivot, self.slide = pivots(self.available, log_a, shift, ref_mean, hinges)
        self.residual = residual
        self.window_times = np.tile(np.array([times[k] if 0 <= k < len(times) else np.nan for k in window]),
                                    (n_tracks, 1))
        if self.available[:, [0, 3]].any():  # with the gap's own keys only, frames never read outer slots
            self._fill_phantoms()
        self.unmatched = self._unmatched_strokes()
        # What each frame names: the strokes a track links (their look is the nearer key's) and the link.
        self._models = ([keys[g].strokes[tr.strokes[g][0]] for tr in spanning],
                        [keys[g + 1].strokes[tr.strokes[g + 1][0]] for tr in spanning])
        self._links = [{"state": "matched", **owner.named(g, tr.strokes[g][0], "from"),
                        **owner.named(g + 1, tr.strokes[g + 1][0], "to"),
                        "confidence": round(tr.confidence.get(g, 1.0), 4)} for tr in spanning]

    def _fill_phantoms(self) -> None:
        """Missing outer keys: mirror the inner ones (in value and time), which makes the ends of a spline
        one-sided, as Catmull-Rom ends usually are."""
        for outer, inner, far in ((0, 1, 2), (3, 2, 1)):
            missing = ~self.available[:, outer]
            if not missing.any():
                continue
            per_point = missing[self.track_of_point]
            for array, mask in ((self.log_a, missing), (self.shift, missing), (self.slide, missing),
                                (self.window_times, missing), (self.residual, per_point)):
                array[mask, outer] = 2 * array[mask, inner] - array[mask, far]
            values = self.slot_values
            values[outer][per_point] = 2 * values[inner][per_point] - values[far][per_point]

    def at(self, u: float) -> Frame:
        g = self.g
        if self.available[:, [0, 3]].any():
            weights = _hermite_weights(self.window_times, u)                  # (T, 4)
            per_point = np.repeat(weights, self._sizes, axis=0)              # (P, 4): weights[track_of_point]
            log_a = np.sum(weights * self.log_a, axis=1)
            residual = np.sum(per_point * self.residual, axis=1)
            # Σ_j w_j·values_j, added key after key (the order np.sum over a (P, 4, C) product adds them),
            # without the (P, 4, C) temporary.
            values = per_point[:, 0, None] * self.slot_values[0]
            for j in (1, 2, 3):
                values = values + per_point[:, j, None] * self.slot_values[j]
            slide = np.sum(weights * self.slide, axis=1)
        else:  # only the gap's own keys: every spline is the straight line between them (same result, faster)
            log_a = u * self.log_a[:, 2]
            residual = u * self.residual[:, 2]
            values = (1.0 - u) * self.slot_values[1] + u * self.slot_values[2]
            slide = (1.0 - u) * self.slide[:, 1] + u * self.slide[:, 2]
        a_u = np.exp(log_a)
        shift = self.pivot * (1.0 - a_u) + slide
        for level in self.hinge_levels:  # a part hinged on another moves with it: compose, parents first
            up = self.parent[level]
            a_u[level], shift[level] = a_u[up] * a_u[level], a_u[up] * shift[level] + shift[up]
        z = np.repeat(a_u, self._sizes) * (self.ref + residual) + np.repeat(shift, self._sizes)  # per point
        ix, iy, iz = self.owner.axes
        keys = self.owner.drawings
        dims = keys[g].dims if len(keys[g]) else keys[g + 1].dims
        points = np.zeros((len(z), dims))
        points[:, ix], points[:, iy] = z.real, z.imag
        if iz is not None:
            points[:, iz] = values[:, 0]
        width = np.maximum(values[:, -2], 0.0)
        opacity = np.clip(values[:, -1], 0.0, 1.0)
        bounds = self.offsets.tolist()
        models = self._models[0] if u < 0.5 else self._models[1]
        colour = (np.clip((1.0 - u) * self.slot_colours[0] + u * self.slot_colours[1], 0.0, 1.0)
                  if self.slot_colours else None)
        strokes = [Stroke.built(points[lo:hi], width[lo:hi], opacity[lo:hi], model.closed, model.material, model.id,
                                None if colour is None else colour[lo:hi], _mixed(first.fill, last.fill, u))
                   for model, first, last, lo, hi in zip(models, *self._models, bounds[:-1], bounds[1:])]
        sources = [dict(link) for link in self._links]
        for state, k, s, carrier in self.unmatched:
            stroke = keys[k].strokes[s]
            strokes.append(self._unmatched_at(stroke, state, carrier, u))
            source = {"state": state, "from": None, "to": None, "confidence": 0.0}
            source.update(self.owner.named(k, s, "from" if state == "vanishing" else "to"))
            sources.append(source)
        return Frame(self.owner.times[g] + u * (self.owner.times[g + 1] - self.owner.times[g]),
                     Drawing(strokes), sources)

    def _unmatched_strokes(self) -> list[tuple[str, int, int, int | None]]:
        """(state, key, stroke, index of the spanning track it moves with) for strokes without a partner."""
        g, owner = self.g, self.owner
        out = []
        for state, k in (("vanishing", g), ("appearing", g + 1)):
            other = g + 1 if k == g else g
            lonely = sorted(tr.strokes[k][0] for tr in owner.tracks if k in tr.strokes and other not in tr.strokes)
            if not lonely:
                continue
            drawing = owner.drawings[k]
            anchors = np.array([_centre(drawing.strokes[tr.strokes[k][0]], owner.axes)
                                for tr in self.spanning]).reshape(-1, 2)
            for s in lonely:
                carrier = None
                if len(anchors):
                    here = _centre(drawing.strokes[s], owner.axes)
                    carrier = int(np.argmin(np.linalg.norm(anchors - here, axis=1)))
                out.append((state, k, s, carrier))
        return out

    def _unmatched_at(self, stroke: Stroke, state: str, carrier: int | None, u: float) -> Stroke:
        """A stroke without a partner moves with its nearest matched neighbour and fades (or draws) out/in."""
        visible = 1.0 - u if state == "vanishing" else u
        out = stroke.copy()
        if self.owner.unmatched == "draw" and not stroke.closed and stroke.n > 1:
            columns = [stroke.points, stroke.width, stroke.opacity] + ([stroke.colour] if stroke.colour is not None
                                                                       else [])
            data = np.column_stack(columns)
            data = resample_many([data], stroke.points.shape[1], [False], [stroke.n], [(max(visible, 1e-3), 0.0)])[0]
            dims = stroke.points.shape[1]
            out = Stroke(data[:, :dims], data[:, dims], data[:, dims + 1], False, stroke.material, stroke.id,
                         colour=data[:, dims + 2:] if stroke.colour is not None else None, fill=stroke.fill)
        else:
            out.opacity = out.opacity * visible
        if carrier is not None:
            ix, iy, _ = self.owner.axes
            a1, b1 = np.exp(self.key_log_a[carrier]), self.key_shift[carrier]
            a_u = np.exp(u * self.key_log_a[carrier])
            ratio = u if abs(1 - a1) < 1e-7 else (1 - a_u) / (1 - a1)
            z = complex_points(out.points[:, [ix, iy]])
            if state == "appearing":  # from the second key's place back to the first, then forward to u
                z = (z - b1) / a1
            z = a_u * z + b1 * ratio
            out.points[:, ix], out.points[:, iy] = z.real, z.imag
        return out


def _rows(strokes: Sequence[Stroke], plane: tuple[int, int], extra: list[int]) -> np.ndarray:
    """The strokes' points (plane, then depth), width and opacity as one table, strokes end to end."""
    points = np.concatenate([stroke.points for stroke in strokes])
    return np.column_stack([points[:, list(plane) + extra], np.concatenate([stroke.width for stroke in strokes]),
                            np.concatenate([stroke.opacity for stroke in strokes])])


def _mixed(first: np.ndarray | None, last: np.ndarray | None, u: float) -> np.ndarray | None:
    """A per-stroke colour (fill) at u between the keys: blended when both have one, else the one there is."""
    if first is None or last is None or first.shape != last.shape:
        return first if last is None else last if first is None else (first if u < 0.5 else last)
    return np.clip((1.0 - u) * first + u * last, 0.0, 1.0)


def _centre(stroke: Stroke, axes: tuple[int, int, int | None]) -> np.ndarray:
    return stroke.points[:, [axes[0], axes[1]]].mean(axis=0)


def _relative(base: tuple[float, float], other: tuple[float, float]) -> tuple[float, float]:
    """Map from the base stroke's parameter to the other's, both given from a common reference:
    u_base = s1·r + b1, u_other = s2·r + b2  →  u_other = (s2/s1)·u_base + b2 − (s2/s1)·b1."""
    (s1, b1), (s2, b2) = base, other
    sign = s2 * s1  # signs are ±1, so 1/s1 = s1
    return sign, b2 - sign * b1


def _hermite_weights(times: np.ndarray, u: float) -> np.ndarray:
    """Weights of the four window values in the time-parametrised Catmull-Rom between slots 1 and 2."""
    t0, t1, t2, t3 = times.T
    span = t2 - t1
    h00, h10, h01, h11 = hermite_basis(u)
    left, right = span / (t2 - t0), span / (t3 - t1)
    return np.stack([-h10 * left, h00 - h11 * right, h01 + h10 * left, h11 * right], axis=1)
