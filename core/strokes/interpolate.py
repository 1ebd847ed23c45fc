"""Stroke inbetweens: matched strokes turn, scale and travel; unmatched ones fade or draw on/off.

Strokes matched from key to key form *tracks*. Every track is resampled to one point count with its points
in correspondence (the matcher's arc-length maps, composed along the track). Between keys a stroke is a
turn-and-scale `a` (one complex number, points being x + iy), a shift, and a residual shape `D` (what is
left after the similarity): P(t) = a(t)·(P_g + D(t)) + shift(t). `a` is interpolated on its logarithm, so a
part turns rather than shrinking through the middle as a straight-line blend of its points would.

The shift is split into a turn about a pivot p and what remains: shift_k = p·(1 − a_k) + r_k, with p the
point the stroke's key poses turn about (least squares over the keys; the joint a limb swings about) and
r_k small. So a part swinging about its joint travels on the joint's arc; a part that only slides has no
pivot to speak of (p is held near its centroid by PIVOT_PRIOR) and r carries the slide.
- Hinges: strokes that touch at a point that stays together in every key are parts on a joint, and so are
  touching strokes that turn about a point at their contact (outlines round an elbow); they form a tree,
  and a part's turn and shift are taken relative to its parent's and composed back at each position, so a
  forearm turns about its elbow while the elbow rides on the upper arm's arc.
- Time: log a, D, r, depth, width and opacity follow a time-parametrised Catmull-Rom (cubic Hermite)
  through the keys around the gap (time-parametrised for r too: the pivot then keeps pace with the turn, as
  a joint does; on the bench's three-key arcs this lowered the point error by an eighth). With two keys all
  are straight lines, and with three or more, paths bend smoothly through every key (arcs), without kinks
  at the keys.
Easing is applied before, by turning frame times into positions (`nakawari.timing`).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from ..errors import Cancelled
from .descriptors import reuse_descriptors
from .geometry import complex_points, resample_many, resample_walk, walk_rows
from .match import Correspondence, Match, match_drawings, plane_axes
from .model import Drawing, Stroke, check_keys
from .pieces import Group, Joined, as_joined, find_joins, join
from .triples import reconcile

UNMATCHED_MODES = ("fade", "draw")
_CHUNK = 8                # points per box when hinges look for the points of two tracks that touch
MIN_JOINT_TURN = 0.1     # below this relative turn between keys (≈ 6°) the point two parts turn about is unknown
JOINT_REACH = 0.75       # that point lies this share of the smaller part's spread from their contact at most
PIVOT_PRIOR = 0.15 ** 2  # a turn much below 0.15 rad between keys does not place the pivot (it stays central)
JOIN_ROUNDS = 2          # of joining pieces and matching again (a line split in three keys joins in two)


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
                 arcs: bool = True, order_hint: bool = False, join_pieces: bool = True) -> None:
        if len(keys) < 2 or len(keys) != len(key_times):
            raise ValueError("need at least two keys and one time per key")
        if unmatched not in UNMATCHED_MODES:
            raise ValueError(f"unmatched must be one of {', '.join(UNMATCHED_MODES)}")
        check_keys(keys, [f"key {i}" for i in range(len(keys))])
        self.keys = list(keys)
        self.times = [float(t) for t in key_times]
        self.unmatched = unmatched
        self.arcs = arcs
        self.axes = plane_axes(self.keys)
        plane = (self.axes[0], self.axes[1])
        # The keys as matched: lines drawn in several pieces joined (`pieces.py`); `keys` stay as given.
        self.joined: list[Joined] = [as_joined(key) for key in self.keys]
        with reuse_descriptors():  # each key is matched with up to three others: describe it once
            self.correspondences = self._matched(plane, order_hint)
            for _ in range(JOIN_ROUNDS if join_pieces else 0):
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
        drawings = self.drawings
        return reconcile(drawings, [match_drawings(a, b, plane, order_hint=order_hint)
                                    for a, b in zip(drawings, drawings[1:])], plane, order_hint=order_hint)

    def _join_pieces(self, plane: tuple[int, int]) -> bool:
        """Join the pieces that every gap's matches show to be one line (`pieces.find_joins`); True if any."""
        groups: list[list[Group]] = [[] for _ in self.keys]
        drawings = self.drawings
        for g, corr in enumerate(self.correspondences):
            in_first, in_second = find_joins(drawings[g], drawings[g + 1], corr, plane)
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
                      progress: Callable[[int, int, str], None] | None = None,
                      cancel: Callable[[], bool] | None = None) -> tuple[list[Frame], StrokeInbetweener]:
    engine = StrokeInbetweener(keys, key_times, unmatched=unmatched, arcs=arcs, order_hint=order_hint,
                               join_pieces=join_pieces)
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
        for j, k in enumerate(window):
            if not 0 <= k < len(keys) or (j in (0, 3) and not owner.arcs):
                continue
            present = np.array([k in tr.strokes for tr in spanning], bool)
            if not present.any():
                continue
            chosen = [tr for tr, here in zip(spanning, present) if here]
            strokes = [keys[k].strokes[tr.strokes[k][0]] for tr in chosen]
            closed = [st.closed for st in strokes]
            walk = walk_rows(_rows(strokes, (ix, iy), extra), [st.n for st in strokes], 2, closed)
            # Map from key g's stroke parameter to key k's: compose with the inverse of g's map.
            maps = [_relative(tr.strokes[g][1], tr.strokes[k][1]) for tr in chosen]
            sampled = resample_walk(walk, closed, np.asarray(counts)[present], maps)
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
        self.parent = _hinge_parents(data, self.available, offsets, counts, np.exp(log_a), shift)
        self.levels = _levels(self.parent)
        log_a, shift = _relative_motion(self.parent, log_a, shift)
        self.log_a, self.shift = log_a, shift
        self.pivot, self.slide = _pivots(self.available, log_a, shift, ref_mean)
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
        for level in self.levels:  # a part hinged on another moves with it: compose, parents first
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
        strokes = [Stroke.built(points[lo:hi], width[lo:hi], opacity[lo:hi], model.closed, model.material, model.id)
                   for model, lo, hi in zip(models, bounds[:-1], bounds[1:])]
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
            data = np.column_stack([stroke.points, stroke.width, stroke.opacity])
            data = resample_many([data], stroke.points.shape[1], [False], [stroke.n], [(max(visible, 1e-3), 0.0)])[0]
            dims = stroke.points.shape[1]
            out = Stroke(data[:, :dims], data[:, dims], data[:, dims + 1], False, stroke.material, stroke.id)
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


def _centre(stroke: Stroke, axes: tuple[int, int, int | None]) -> np.ndarray:
    return stroke.points[:, [axes[0], axes[1]]].mean(axis=0)


def _relative(base: tuple[float, float], other: tuple[float, float]) -> tuple[float, float]:
    """Map from the base stroke's parameter to the other's, both given from a common reference:
    u_base = s1·r + b1, u_other = s2·r + b2  →  u_other = (s2/s1)·u_base + b2 − (s2/s1)·b1."""
    (s1, b1), (s2, b2) = base, other
    sign = s2 * s1  # signs are ±1, so 1/s1 = s1
    return sign, b2 - sign * b1


def _hinge_parents(data: np.ndarray, available: np.ndarray, offsets: np.ndarray, counts: Sequence[int],
                   a: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """For every track, the track it hangs on (−1: none): strokes that touch at a point that stays
    together in every key of the window are parts joined at a hinge, and so are touching strokes that turn
    about a point at their contact (two outlines round an elbow: no drawn point stays put, the elbow's
    centre does). The hinges form a tree (maximum spanning tree over how well contacts persist), rooted at
    the longest stroke of each connected group. a, shift (tracks, 4): each track's turn-and-scale and
    shift from key g (slot 1) to each slot."""
    n_tracks = len(counts)
    parent = np.full(n_tracks, -1)
    if n_tracks < 2:
        return parent
    track_of = np.repeat(np.arange(n_tracks), counts)
    ref = data[1, :, :2]
    step = np.linalg.norm(np.diff(ref, axis=0), axis=1)
    within = track_of[1:] == track_of[:-1]
    reach = max(2.0, 2.0 * float(np.median(step[within]))) if within.any() else 2.0
    close = _pairs_within(ref, offsets, reach)
    if not len(close):
        return parent
    p, q = close[:, 0], close[:, 1]
    t, s = track_of[p], track_of[q]
    keep = (t != s) & (available[t] == available[s]).all(axis=1)
    p, q, t, s = p[keep], q[keep], t[keep], s[keep]
    if not len(p):
        return parent
    # How far apart the touching points end up in the other keys of the window (the worst of them).
    apart = np.zeros(len(p))
    for j in range(4):
        here = available[t, j]
        gap = np.linalg.norm(data[j, p, :2] - data[j, q, :2], axis=1)
        apart = np.where(here, np.maximum(apart, gap), apart)
    hold = np.maximum(np.exp(-apart / (2.0 * reach)),
                      _joint_hold(ref, track_of, offsets, p, q, t, s, available, a, shift))
    # Each pair of tracks at its best-holding contact; only contacts that hold count as hinges.
    key = np.minimum(t, s).astype(np.int64) * n_tracks + np.maximum(t, s)
    order = np.lexsort((-hold, key))
    key, hold = key[order], hold[order]
    first = np.r_[True, key[1:] != key[:-1]] & (hold > 0.5)
    if not first.any():
        return parent
    key, hold = key[first], hold[first]
    # Maximum spanning tree: minimum over costs 2 − hold (all positive, so every kept edge counts).
    graph = csr_matrix((2.0 - hold, (key // n_tracks, key % n_tracks)), shape=(n_tracks, n_tracks))
    tree = minimum_spanning_tree(graph)
    length = np.add.reduceat(np.r_[step * within, 0.0], offsets[:-1]) if len(step) else np.zeros(n_tracks)
    _, component = connected_components(tree, directed=False)
    grouped = (np.bincount(component) >= 2)[component]   # a lone track hangs on nothing
    # The root of each group: its longest track (the first of equally long ones).
    order = np.lexsort((np.arange(n_tracks), -length, component))
    first = order[np.r_[True, component[order][1:] != component[order][:-1]]]
    roots = first[grouped[first]]
    # One walk from a node joined to every root: a tree has one path from each track to its root, so each
    # track's predecessor is the one a walk from its own root finds.
    edges = tree.tocoo()
    hub = n_tracks
    joined = csr_matrix((np.r_[edges.data, np.ones(len(roots))], (np.r_[edges.row, np.full(len(roots), hub)],
                                                                  np.r_[edges.col, roots])),
                        shape=(n_tracks + 1, n_tracks + 1))
    _, predecessors = breadth_first_order(joined, hub, directed=False)
    parent[grouped] = predecessors[:n_tracks][grouped]
    parent[roots] = -1
    return parent


def _joint_hold(ref: np.ndarray, track_of: np.ndarray, offsets: np.ndarray, p: np.ndarray, q: np.ndarray,
                t: np.ndarray, s: np.ndarray, available: np.ndarray, a: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """How well each contact (points p on track t, q on s) is a joint the two turn about: the point track t
    turns about relative to s, in every key where it turns, lies near the contact: 1 on it, 0.5 (the least
    a hinge holds) at JOINT_REACH × the smaller track's spread, 0 where they hardly turn relative to each
    other."""
    n_tracks = len(offsets) - 1
    z = ref[:, 0] + 1j * ref[:, 1]
    centre = np.add.reduceat(z, offsets[:-1]) / np.maximum(np.diff(offsets), 1)
    spread = np.sqrt(np.bincount(track_of, np.abs(z - centre[track_of]) ** 2, n_tracks) /
                     np.maximum(np.diff(offsets), 1))
    contact = (z[p] + z[q]) / 2
    far = np.zeros(len(p))
    turned = np.zeros(len(p), bool)
    for j in (0, 2, 3):
        here = available[t, j]
        relative = a[t, j] / a[s, j]
        turn = np.abs(1.0 - relative)
        turning = here & (turn > MIN_JOINT_TURN)
        # t relative to s: z ↦ relative·z + (b_t − b_s)/a_s; its fixed point is the joint they turn about.
        centre_j = ((shift[t, j] - shift[s, j]) / a[s, j]) / np.where(turning, 1.0 - relative, 1.0)
        far = np.where(turning, np.maximum(far, np.abs(centre_j - contact)), far)
        turned |= turning
    tolerance = JOINT_REACH * np.minimum(spread[t], spread[s])
    return np.where(turned, np.exp(-np.log(2.0) * far / np.maximum(tolerance, 1e-9)), 0.0)


def _pairs_within(ref: np.ndarray, offsets: np.ndarray, reach: float) -> np.ndarray:
    """Pairs of points (rows of indices into ref) on two different tracks (the runs offsets[t]:offsets[t+1])
    within `reach` of each other. Two points that close lie in chunks of _CHUNK consecutive points whose
    bounding boxes, grown by `reach`, overlap: only those chunk pairs are compared point by point (most
    points within reach of one another are neighbours along one stroke, which are never compared)."""
    starts, counts = offsets[:-1], np.diff(offsets)
    per_track = -(-counts // _CHUNK)
    chunk_track = np.repeat(np.arange(len(counts)), per_track)
    chunk_in_track = np.arange(len(chunk_track)) - np.repeat(np.cumsum(per_track) - per_track, per_track)
    chunk_start = starts[chunk_track] + chunk_in_track * _CHUNK
    chunk_size = np.minimum(_CHUNK, offsets[chunk_track + 1] - chunk_start)
    grow = reach * (1.0 + 1e-9) + 1e-9   # a hair wider than reach: rounding never drops a pair
    lo = np.minimum.reduceat(ref, chunk_start, axis=0) - grow
    hi = np.maximum.reduceat(ref, chunk_start, axis=0) + grow
    # Chunks whose grown boxes overlap have centres at most the sum of their half-diagonals apart.
    centre, half = (lo + hi) / 2, np.linalg.norm(hi - lo, axis=1) / 2
    close = cKDTree(centre).query_pairs(2.0 * float(half.max()) * (1.0 + 1e-9), output_type="ndarray")
    one, two = close[:, 0], close[:, 1]
    overlap = ((chunk_track[one] != chunk_track[two]) & (lo[one, 0] <= hi[two, 0]) & (lo[two, 0] <= hi[one, 0])
               & (lo[one, 1] <= hi[two, 1]) & (lo[two, 1] <= hi[one, 1]))
    one, two = one[overlap], two[overlap]
    # Every point of one chunk against every point of the other (the distance test of cKDTree.query_pairs).
    k = np.arange(_CHUNK)
    p = chunk_start[one][:, None, None] + k[None, :, None] + 0 * k[None, None, :]
    q = chunk_start[two][:, None, None] + 0 * k[None, :, None] + k[None, None, :]
    real = (k[None, :, None] < chunk_size[one][:, None, None]) & (k[None, None, :] < chunk_size[two][:, None, None])
    p, q = p[real], q[real]
    dx, dy = ref[p, 0] - ref[q, 0], ref[p, 1] - ref[q, 1]
    near = dx * dx + dy * dy <= reach * reach
    return np.stack([p[near], q[near]], axis=1)


def _levels(parent: np.ndarray) -> list[np.ndarray]:
    """Tracks with a parent, grouped by depth in the hinge tree (depth 1 first)."""
    depth = np.zeros(len(parent), int)
    for _ in range(len(parent)):
        deeper = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if (deeper == depth).all():
            break
        depth = deeper
    return [np.flatnonzero(depth == d) for d in range(1, int(depth.max(initial=0)) + 1)]


def _relative_motion(parent: np.ndarray, log_a: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each hinged track's turn-and-shift relative to its parent's (z ↦ a z + b composed after the
    parent's inverse), so a forearm turns about its elbow while the elbow rides on the upper arm."""
    child = parent >= 0
    up = parent[child]
    rel_log_a, rel_shift = log_a.copy(), shift.copy()
    turn = log_a[child] - log_a[up]
    angle = np.angle(np.exp(1j * turn.imag))           # each key's relative turn within ±π of key g's …
    angle[:, 3] = angle[:, 2] + np.angle(np.exp(1j * (angle[:, 3] - angle[:, 2])))  # … the last one of key g+1's
    rel_log_a[child] = turn.real + 1j * angle
    rel_shift[child] = (shift[child] - shift[up]) / np.exp(log_a[up])
    return rel_log_a, rel_shift


def _pivots(available: np.ndarray, log_a: np.ndarray, shift: np.ndarray, centre: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per track, the point its key poses turn about (least squares: shift_k ≈ p·(1 − a_k), pulled towards
    the stroke's centre when it hardly turns) and what is left of each shift, r_k = shift_k − p·(1 − a_k)."""
    turn = np.where(available, 1.0 - np.exp(log_a), 0.0)
    offset = np.where(available, shift - centre[:, None] * turn, 0.0)
    pivot = centre + (np.conj(turn) * offset).sum(axis=1) / ((np.abs(turn) ** 2).sum(axis=1) + PIVOT_PRIOR)
    slide = np.where(available, shift - pivot[:, None] * turn, 0.0)
    return pivot, slide


def _hermite_weights(times: np.ndarray, u: float) -> np.ndarray:
    """Weights of the four window values in the time-parametrised Catmull-Rom between slots 1 and 2."""
    t0, t1, t2, t3 = times.T
    span = t2 - t1
    h00, h10 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u
    h01, h11 = -2 * u**3 + 3 * u**2, u**3 - u**2
    left, right = span / (t2 - t0), span / (t3 - t1)
    return np.stack([-h10 * left, h00 - h11 * right, h01 + h10 * left, h11 * right], axis=1)
