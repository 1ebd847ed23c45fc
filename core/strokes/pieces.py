"""Pieces: one line drawn as one stroke in a key and as several strokes end to end in the next.

Artists lift the pen in different places when they redraw a key, so a line may be one stroke in one key and
two or three in the next. Matched one to one, the whole line would shrink onto one piece while the others
fade in beside it. Here, after matching, the unmatched strokes that continue a matched stroke (an end within
reach of its end) are joined to it wherever the joined line fits the partner better (`own_costs`: length and
shape), and unmatched pieces are joined where together they fit an unmatched stroke of the other key (an
outline drawn as two halves closes again). A piece that starts a little behind where the line ended retraces
it; the retraced points are dropped. The keys are then matched again with those lines whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .descriptors import Features, drawing_scale, features
from .match import Correspondence, own_costs
from .model import Drawing, Stroke
from .settings import DEFAULT_MATCH, DEFAULT_PIECES, MatchSettings, PieceSettings

Piece = tuple[int, bool]  # stroke index in the key, drawn the other way round


@dataclass(frozen=True)
class Group:
    pieces: list[Piece]     # in order along the line
    closed: bool            # its two ends meet again (an outline drawn in pieces)
    retraced: tuple[int, ...] = ()  # per piece after the first: its first points that retrace the one before
    closing: int = 0                # closed: the line's first points that retrace its end


@dataclass
class Joined:
    """A key with some of its strokes joined: `drawing` has one stroke per line and `pieces[i]` lists the
    key's strokes that line i is made of, in order along it."""

    drawing: Drawing
    pieces: list[list[Piece]]

    def originals(self, i: int) -> list[int]:
        """The strokes of the key as given that line i is made of."""
        return [s for s, _ in self.pieces[i]]


def as_joined(drawing: Drawing) -> Joined:
    return Joined(drawing, [[(i, False)] for i in range(len(drawing))])


def find_joins(first: Drawing, second: Drawing, corr: Correspondence, axes: tuple[int, int],
               settings: PieceSettings = DEFAULT_PIECES, matching: MatchSettings = DEFAULT_MATCH
               ) -> tuple[list[Group], list[Group]]:
    """Groups of strokes to join in the first key and in the second, for one pair of matched keys: matched
    strokes grown with unmatched pieces, and unmatched pieces joined where together they fit an unmatched
    stroke of the other key (a line drawn in two halves, neither like the whole). `matching`: the costs
    a joined line's fit is judged by (`own_costs`)."""
    s = settings
    if not (corr.unmatched_a or corr.unmatched_b):
        return [], []
    fa, fb = features(first, axes), features(second, axes)
    scale = drawing_scale(fa, fb)
    reach = min(s.join_reach * scale, s.join_reach_length * float(np.median(np.r_[fa.length, fb.length])))
    moved = (np.median([fb.centroid[m.b] - fa.centroid[m.a] for m in corr.matches], axis=0)
             if corr.matches else np.zeros(2))
    seeds_b = [(m.b, first.strokes[m.a], np.inf) for m in corr.matches]
    seeds_b += [(b, first.strokes[a], s.join_match) for a in corr.unmatched_a
                for b in _nearby(fb, corr.unmatched_b, fa.centroid[a] + moved, s.near * scale, s.nearby)]
    grown_b = _Pieces(second, corr.unmatched_b, axes, reach, s, matching).joins(seeds_b, partner_first=True)
    # The first key's strokes are grown against their partners as joined in the second key.
    lines_b = {seed: line for seed, _, line in grown_b}
    seeds_a = [(m.a, lines_b.get(m.b, second.strokes[m.b]), np.inf) for m in corr.matches]
    seeds_a += [(a, second.strokes[b], s.join_match) for b in corr.unmatched_b
                for a in _nearby(fa, corr.unmatched_a, fb.centroid[b] - moved, s.near * scale, s.nearby)]
    grown_a = _Pieces(first, corr.unmatched_a, axes, reach, s, matching).joins(seeds_a, partner_first=False)
    return [group for _, group, _ in grown_a], [group for _, group, _ in grown_b]


def _nearby(f: Features, free: list[int], where: np.ndarray, length: float, most: int) -> list[int]:
    """Up to `most` of the free strokes whose centres lie within `length` of `where`, nearest first (a
    swinging limb may be far from where the drawing as a whole went)."""
    if not free:
        return []
    distance = np.linalg.norm(f.centroid[free] - where, axis=1)
    order = np.argsort(distance, kind="stable")[:most]
    return [free[i] for i in order if distance[i] <= length]


class _Pieces:
    """The free (unmatched, open) strokes of one key that may continue a line, found by their ends."""

    def __init__(self, drawing: Drawing, free: list[int], axes: tuple[int, int], reach: float,
                 settings: PieceSettings, matching: MatchSettings) -> None:
        self.drawing, self.axes, self.reach = drawing, axes, reach
        self.settings, self.matching = settings, matching
        self.ax = list(axes)
        self.free = [s for s in free if not drawing.strokes[s].closed and drawing.strokes[s].n > 1]
        ends = np.array([drawing.strokes[s].points[[0, -1]][:, self.ax] for s in self.free]).reshape(-1, 2)
        self.ends = cKDTree(ends) if len(ends) else None   # row 2k: start of free[k], 2k + 1: its end

    def joins(self, seeds: list[tuple[int, Stroke, float]], *, partner_first: bool
              ) -> list[tuple[int, Group, Stroke]]:
        """For each seed (a stroke, the partner it should fit, the most that fit may cost), the seed grown
        with free pieces, where that helps and the result fits within its limit, and the joined line; no
        stroke in two groups."""
        fits = []
        for seed, partner, limit in seeds:
            grown = self._grow(seed, partner, partner_first)
            if grown is not None and grown[2] <= limit:
                fits.append((grown[2], grown[0].pieces, seed, grown[0], grown[1]))
        # Lines that fit best first: where two would take the same piece, the surer join wins (never the
        # first in drawing order, so the result does not depend on it).
        fits.sort(key=lambda item: item[:2])
        kept = {id(group) for group in disjoint([group for *_, group, _ in fits])}
        return [(seed, group, line) for _, _, seed, group, line in fits if id(group) in kept]

    def _touching(self, point: np.ndarray, used: set[int]) -> list[tuple[int, bool]]:
        """Free strokes with an end near the point (within reach, or `retrace` × reach for one that retraces
        the line's end): (stroke, whether that end is its start)."""
        if self.ends is None:
            return []
        rows = self.ends.query_ball_point(point, self.settings.retrace * self.reach)
        return [(self.free[r // 2], r % 2 == 0) for r in sorted(rows) if self.free[r // 2] not in used]

    def _grow(self, seed: int, partner: Stroke, partner_first: bool) -> tuple[Group, Stroke, float] | None:
        """The seed stroke extended, one free piece at a time at either end, while that makes it fit its
        partner better by `join_gain`: the group, the joined line and what its fit costs; None if no piece
        helps. The line closes where its ends meet and its partner is closed."""
        drawing, ax = self.drawing, self.ax
        if drawing.strokes[seed].closed:
            return None

        def line(pieces: list[Piece]) -> tuple[Group, Stroke] | None:
            """The pieces as one line, and its stroke (None where two do not meet once retracing is
            dropped), closed where its ends meet and its partner is closed."""
            parts = [_oriented(drawing, piece).points[:, ax] for piece in pieces]
            retraced = tuple(_retraced(before, after, self.reach) for before, after in zip(parts, parts[1:]))
            # Consecutive pieces meet: end to end within reach, or (retracing) a point or so beyond it.
            if any(np.linalg.norm(after[k] - before[-1]) > (2 if k else 1) * self.reach
                   for before, after, k in zip(parts, parts[1:], retraced)):
                return None
            opened = Group(pieces, False, retraced)
            stroke = joined_stroke(drawing, opened)
            points = stroke.points[:, ax]
            # Closed like its partner where the line's end meets its start (again maybe retracing it).
            closing = _retraced(points, points, self.reach, own=True) if partner.closed else 0
            if not (partner.closed and
                    np.linalg.norm(points[closing] - points[-1]) <= (2 if closing else 1) * self.reach):
                return opened, stroke
            closed = Group(pieces, True, retraced, closing)
            return closed, joined_stroke(drawing, closed)

        alone = Drawing([partner])

        def costs(lines: list[Stroke]) -> np.ndarray:
            return own_costs(alone, Drawing(lines), self.axes, one_first=partner_first, settings=self.matching)
        group, stroke, current = Group([(seed, False)], False), drawing.strokes[seed], None  # as drawn
        while len(group.pieces) < self.settings.max_pieces:
            pieces = group.pieces
            used = {s for s, _ in pieces}
            head = drawing.strokes[pieces[0][0]].points[-1 if pieces[0][1] else 0, ax]
            tail = drawing.strokes[pieces[-1][0]].points[0 if pieces[-1][1] else -1, ax]
            # A piece continues the tail from the end that touches it, or leads into the head.
            tried = [line(option) for option in
                     [pieces + [(s, not at_start)] for s, at_start in self._touching(tail, used)] +
                     [[(s, at_start)] + pieces for s, at_start in self._touching(head, used)]]
            options = [option for option in tried if option is not None]
            if not options:
                break
            current = float(costs([stroke])[0]) if current is None else current
            values = costs([joined for _, joined in options])
            best = int(np.argmin(values))   # the first of equally good options
            if values[best] > current - self.settings.join_gain:
                break
            current, (group, stroke) = float(values[best]), options[best]
        return (group, stroke, current) if len(group.pieces) > 1 and current is not None else None


def disjoint(groups: list[Group]) -> list[Group]:
    """Groups that share no stroke (the first found keeps a contested piece)."""
    seen: set[int] = set()
    out = []
    for group in groups:
        strokes = {s for s, _ in group.pieces}
        if not strokes & seen:
            out.append(group)
            seen |= strokes
    return out


def _oriented(drawing: Drawing, piece: Piece) -> Stroke:
    stroke = drawing.strokes[piece[0]]
    return stroke.reversed() if piece[1] else stroke


def _retraced(before: np.ndarray, after: np.ndarray, tolerance: float, own: bool = False) -> int:
    """How many of `after`'s first points retrace the end of `before`: each lies within tolerance of a point
    of `before` other than its last (the pen restarted a little behind where it lifted). A shared or nearby
    end point alone is no retracing, so a corner at the junction is kept. At most half of `after`. `own`:
    `after` is `before` itself, a line closing over its own start: only its second half counts as its end."""
    if tolerance <= 0 or len(after) < 4 or len(before) < 2:
        return 0
    if own:
        before = before[len(before) // 2:]
    distance, nearest = cKDTree(before).query(after[: len(after) // 2])
    retraces = (distance <= tolerance) & (nearest < len(before) - 1)
    return int(np.argmin(retraces)) if not retraces.all() else len(retraces)


def joined_stroke(drawing: Drawing, group: Group) -> Stroke:
    """One stroke along the pieces in order (each the right way round, retracing dropped); a point shared
    by two pieces once."""
    parts = [_oriented(drawing, piece) for piece in group.pieces]
    # Vertex colours join too when every piece has them (as many channels each).
    colours = [part.colour for part in parts if part.colour is not None]
    coloured = len(colours) == len(parts) and len({c.shape[1] for c in colours}) == 1
    point_runs, width_runs, opacity_runs = [parts[0].points], [parts[0].width], [parts[0].opacity]
    colour_runs = colours[:1] if coloured else []
    retraced = group.retraced or (0,) * (len(parts) - 1)
    for previous, part, skip in zip(parts, parts[1:], retraced):
        skip += 1 if skip < part.n - 1 and np.array_equal(previous.points[-1], part.points[skip]) else 0
        point_runs.append(part.points[skip:])
        width_runs.append(part.width[skip:])
        opacity_runs.append(part.opacity[skip:])
        if coloured and part.colour is not None:
            colour_runs.append(part.colour[skip:])
    points, width, opacity = np.concatenate(point_runs), np.concatenate(width_runs), np.concatenate(opacity_runs)
    colour = np.concatenate(colour_runs) if coloured else None
    if group.closing:
        points, width, opacity = points[group.closing:], width[group.closing:], opacity[group.closing:]
        colour = None if colour is None else colour[group.closing:]
    if group.closed and len(points) > 2 and np.array_equal(points[0], points[-1]):
        points, width, opacity = points[:-1], width[:-1], opacity[:-1]
        colour = None if colour is None else colour[:-1]
    first = parts[0]
    return Stroke.built(points, width, opacity, group.closed, first.material, first.id, colour, first.fill)


def join(key: Joined, groups: list[Group]) -> Joined:
    """The key with each group (of lines of key.drawing) made one line, in the place of its first."""
    groups = disjoint(groups)
    lead = {min(s for s, _ in group.pieces): group for group in groups}
    dropped = {s for group in groups for s, _ in group.pieces} - set(lead)
    strokes, pieces = [], []
    for i, stroke in enumerate(key.drawing.strokes):
        if i in dropped:
            continue
        if i in lead:
            group = lead[i]
            strokes.append(joined_stroke(key.drawing, group))
            pieces.append([(s, backwards != flip) for t, flip in group.pieces
                           for s, backwards in (reversed(key.pieces[t]) if flip else key.pieces[t])])
        else:
            strokes.append(stroke)
            pieces.append(key.pieces[i])
    return Joined(Drawing(strokes), pieces)
