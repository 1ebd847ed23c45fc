"""Hinges and pivots: how a stroke's turn carries it along an arc (`interpolate._Gap` uses them).

- Pivots: a stroke's shift between keys is split into a turn about a pivot p and what remains,
  shift_k = p·(1 − a_k) + r_k, with p the point its key poses turn about (least squares over the keys; the
  joint a limb swings about) and r_k small. So a part swinging about its joint travels on the joint's arc; a
  part that only slides has no pivot to speak of (p is held near its centroid by `HingeSettings.pivot_prior`)
  and r carries the slide.
- Hinges: strokes that touch at a point that stays together in every key are parts on a joint, and so are
  touching strokes that turn about a point at their contact (outlines round an elbow); they form a tree,
  and a part's turn and shift are taken relative to its parent's (`relative_motion`) and composed back at
  each position, parents first (`levels`), so a forearm turns about its elbow while the elbow rides on the
  upper arm's arc.

Tracks are given as one table of points, track after track (`offsets`), sampled at the four keys of a
gap's window (slots 0..3; slot 1 is the gap's first key); `a` and `shift` (tracks, 4) are each track's
turn-and-scale and shift from slot 1 to each slot.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from .settings import DEFAULT_HINGES, HingeSettings

_CHUNK = 8                # points per box when hinges look for the points of two tracks that touch
_CHUNK_PAIRS_PER_BATCH = 65_536  # chunk pairs compared at once (64 point pairs each): bounds the memory to ~0.1 GB
# Touching point pairs beyond which contacts say nothing about hinges (a tangle of scribbles where every point
# is within reach of most others): no hinges are looked for, instead of pairing every point with every other
# (250 random scribbles took 8 GB). A drawn figure has a few thousand.
MAX_CONTACT_PAIRS = 1_000_000
_CHUNK_PAIRS_PER_LIMIT = 10  # overlapping chunk pairs listed at most per allowed contact pair (160 MB at the limit)


def hinge_parents(data: np.ndarray, available: np.ndarray, offsets: np.ndarray, counts: Sequence[int],
                  a: np.ndarray, shift: np.ndarray, settings: HingeSettings = DEFAULT_HINGES) -> np.ndarray:
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
    # Touching: within two sampling steps. No floor in pixels: hosts send their own units (Blender's world
    # units are ~100 px each, and a 2-unit floor made every point of a figure "touch" every other).
    if not within.any():
        return parent
    reach = 2.0 * float(np.median(step[within]))
    close = pairs_within(ref, offsets, reach, limit=MAX_CONTACT_PAIRS)
    if close is None or not len(close):  # None: a tangle, not parts joined at hinges
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
                      _joint_hold(ref, track_of, offsets, p, q, t, s, available, a, shift, settings))
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
                t: np.ndarray, s: np.ndarray, available: np.ndarray, a: np.ndarray, shift: np.ndarray,
                settings: HingeSettings) -> np.ndarray:
    """How well each contact (points p on track t, q on s) is a joint the two turn about: the point track t
    turns about relative to s, in every key where it turns, lies near the contact: 1 on it, 0.5 (the least
    a hinge holds) at `joint_reach` × the smaller track's spread, 0 where they hardly turn relative to each
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
        turning = here & (turn > settings.min_joint_turn)
        # t relative to s: z ↦ relative·z + (b_t − b_s)/a_s; its fixed point is the joint they turn about.
        centre_j = ((shift[t, j] - shift[s, j]) / a[s, j]) / np.where(turning, 1.0 - relative, 1.0)
        far = np.where(turning, np.maximum(far, np.abs(centre_j - contact)), far)
        turned |= turning
    tolerance = settings.joint_reach * np.minimum(spread[t], spread[s])
    return np.where(turned, np.exp(-np.log(2.0) * far / np.maximum(tolerance, 1e-9)), 0.0)


def pairs_within(ref: np.ndarray, offsets: np.ndarray, reach: float, limit: int | None = None) -> np.ndarray | None:
    """Pairs of points (rows of indices into ref) on two different tracks (the runs offsets[t]:offsets[t+1])
    within `reach` of each other. Two points that close lie in chunks of _CHUNK consecutive points whose
    bounding boxes, grown by `reach`, overlap: only those chunk pairs are compared point by point (most
    points within reach of one another are neighbours along one stroke, which are never compared).
    None when there are more than `limit` pairs."""
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
    tree, radius = cKDTree(centre), 2.0 * float(half.max()) * (1.0 + 1e-9)
    if limit is not None and (tree.count_neighbors(tree, radius) - len(centre)) // 2 > limit * _CHUNK_PAIRS_PER_LIMIT:
        return None  # counted, not listed: so many boxes overlap that the pairs would pass the limit anyway
    close = tree.query_pairs(radius, output_type="ndarray")
    one, two = close[:, 0], close[:, 1]
    overlap = ((chunk_track[one] != chunk_track[two]) & (lo[one, 0] <= hi[two, 0]) & (lo[two, 0] <= hi[one, 0])
               & (lo[one, 1] <= hi[two, 1]) & (lo[two, 1] <= hi[one, 1]))
    one, two = one[overlap], two[overlap]
    # Every point of one chunk against every point of the other (the distance test of cKDTree.query_pairs),
    # a bounded batch of chunk pairs at a time: a tangle of scribbles overlaps nearly every chunk with every
    # other, and comparing them all at once held 8 GB for 250 random strokes.
    k = np.arange(_CHUNK)
    found, total = [np.empty((0, 2), np.int64)], 0
    for begin in range(0, len(one), _CHUNK_PAIRS_PER_BATCH):
        a, b = one[begin:begin + _CHUNK_PAIRS_PER_BATCH], two[begin:begin + _CHUNK_PAIRS_PER_BATCH]
        p = chunk_start[a][:, None, None] + k[None, :, None] + 0 * k[None, None, :]
        q = chunk_start[b][:, None, None] + 0 * k[None, :, None] + k[None, None, :]
        real = (k[None, :, None] < chunk_size[a][:, None, None]) & (k[None, None, :] < chunk_size[b][:, None, None])
        p, q = p[real], q[real]
        dx, dy = ref[p, 0] - ref[q, 0], ref[p, 1] - ref[q, 1]
        near = dx * dx + dy * dy <= reach * reach
        found.append(np.stack([p[near], q[near]], axis=1).astype(np.int64))
        total += len(found[-1])
        if limit is not None and total > limit:
            return None
    return np.concatenate(found)


def levels(parent: np.ndarray) -> list[np.ndarray]:
    """Tracks with a parent, grouped by depth in the hinge tree (depth 1 first)."""
    depth = np.zeros(len(parent), int)
    for _ in range(len(parent)):
        deeper = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if (deeper == depth).all():
            break
        depth = deeper
    return [np.flatnonzero(depth == d) for d in range(1, int(depth.max(initial=0)) + 1)]


def relative_motion(parent: np.ndarray, log_a: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def pivots(available: np.ndarray, log_a: np.ndarray, shift: np.ndarray, centre: np.ndarray,
           settings: HingeSettings = DEFAULT_HINGES) -> tuple[np.ndarray, np.ndarray]:
    """Per track, the point its key poses turn about (least squares: shift_k ≈ p·(1 − a_k), pulled towards
    the stroke's centre when it hardly turns) and what is left of each shift, r_k = shift_k − p·(1 − a_k)."""
    turn = np.where(available, 1.0 - np.exp(log_a), 0.0)
    offset = np.where(available, shift - centre[:, None] * turn, 0.0)
    pivot = centre + (np.conj(turn) * offset).sum(axis=1) / ((np.abs(turn) ** 2).sum(axis=1) + settings.pivot_prior)
    slide = np.where(available, shift - pivot[:, None] * turn, 0.0)
    return pivot, slide
