"""One piece of a key's ink laid onto the other key's ink: the whole motion of a piece, found even where
the dense flow lost it (a limb or a prop swung 90° or more).

The flow's own fit is one starting guess; turns about the piece's middle and the ends of its long axis
(where a limb's joint is) are others. Each start is
refined by trimmed iterative closest points (only the nearest share of points pulls, so a piece that is
partly hidden or redrawn in the other key still lands on what matches). The start that lands best wins,
and the flow's fit is kept unless another lands clearly better: a small or ambiguous piece keeps its
flow motion.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .rigid import Similarity


@dataclass(frozen=True)
class PieceFitSettings:
    """Starting turns, refinement and acceptance (pixels are the fitting image's)."""

    turns_deg: tuple[float, ...] = (-150.0, -120.0, -90.0, -60.0, -30.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0)
    points: int = 300               # piece samples used for fitting (enough for a stable fit, cheap)
    iterations: int = 20
    keep_share: float = 0.7         # trimmed ICP: the nearest share of points pulls (partial overlap)
    score_share: float = 0.9        # landings are judged on more of the piece: a part that fits only
                                    # by its longest line laid backwards does not win
    better_by: float = 0.6          # another start wins only when its landing error is below this × the flow fit's
    min_points: int = 40            # smaller pieces keep the flow's fit (too little shape to register)
    turn_share: float = 0.15        # only pieces holding this share of the key's ink try other turns: small round
                                    # shapes (wheels, eyes) land as well turned any way, large ones do not


class InkDistance:
    """Distance to, and the nearest pixel of, one key's ink: what points are pulled onto."""

    def __init__(self, ink_mask: np.ndarray) -> None:
        # distanceTransformWithLabels labels each zero pixel; the nearest ink pixel is that label's pixel.
        background = np.where(ink_mask, 0, 255).astype(np.uint8)
        self.distance, labels = cv2.distanceTransformWithLabels(background, cv2.DIST_L2, 5,
                                                                labelType=cv2.DIST_LABEL_PIXEL)
        ys, xs = np.nonzero(ink_mask)
        order = labels[ys, xs]
        self._label_xy = np.zeros((int(labels.max()) + 1, 2), np.float32)
        self._label_xy[order] = np.stack([xs, ys], axis=1)
        self._labels = labels
        self.empty = len(xs) == 0

    def nearest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,2) points → the nearest ink pixel of each and the distance (points outside clamp to the edge)."""
        h, w = self.distance.shape
        xs = np.clip(np.rint(points[:, 0]).astype(int), 0, w - 1)
        ys = np.clip(np.rint(points[:, 1]).astype(int), 0, h - 1)
        outside = np.hypot(points[:, 0] - xs, points[:, 1] - ys)
        return self._label_xy[self._labels[ys, xs]], self.distance[ys, xs] + outside


def fit_piece(points: np.ndarray, target: InkDistance, flow_fit: Similarity, zoom: float = 1.0,
              ink_share: float = 1.0, settings: PieceFitSettings = PieceFitSettings(), seed: int = 0) -> Similarity:
    """The motion that lays ``points`` ((N,2) x, y of one piece) onto ``target``'s ink: a turn and a shift
    at the drawing's ``zoom`` (a part keeps its size), starting from ``flow_fit`` (the flow's whole motion of
    the piece) and, for a piece with ``ink_share`` of its key's ink large enough, from turns about its middle
    and its ends."""
    rng = np.random.default_rng(seed)
    sample = points[rng.choice(len(points), size=min(len(points), settings.points), replace=False)]
    z = sample[:, 0] + 1j * sample[:, 1]
    start = _sized(flow_fit, z, zoom)
    if target.empty or len(points) < settings.min_points:
        return start
    flow_refined, flow_error = _refine(z, target, start, zoom, settings)
    if ink_share < settings.turn_share:
        return flow_refined
    found = [(flow_refined, flow_error)]
    for pivot in _pivots(start.apply(z)):
        for degrees in settings.turns_deg:
            turn = Similarity(complex(np.exp(1j * np.radians(degrees))), 0j)
            about = Similarity(1.0 + 0j, pivot).compose(turn).compose(Similarity(1.0 + 0j, -pivot))
            found.append(_refine(z, target, about.compose(start), zoom, settings))
    best, best_error = min(found, key=lambda fit: fit[1])
    return best if best_error < settings.better_by * flow_error else flow_refined


def _pivots(landed: np.ndarray) -> list[complex]:
    """Where a part may turn about: its middle, and the two ends of its long axis (a limb swings about
    the joint at one end, which no search about its middle reaches)."""
    centre = complex(np.mean(landed))
    offsets = landed - centre
    # The long axis: the principal direction of the points (complex form: half the angle of Σ offset²).
    axis = np.exp(0.5j * np.angle(np.sum(offsets ** 2)))
    along = (offsets * np.conj(axis)).real
    return [centre, complex(landed[np.argmin(along)]), complex(landed[np.argmax(along)])]


def _sized(motion: Similarity, z: np.ndarray, zoom: float) -> Similarity:
    """``motion`` with its scale set to ``zoom``, the piece's centre landing where it did: a flow torn
    over a part shrinks or swells it, a drawn part does not."""
    a = zoom * motion.a / max(abs(motion.a), 1e-9)
    centre = complex(np.mean(z))
    return Similarity(a, complex(motion.apply(np.array([centre]))[0] - a * centre))


def _refine(z: np.ndarray, target: InkDistance, start: Similarity, zoom: float,
            settings: PieceFitSettings) -> tuple[Similarity, float]:
    """Trimmed ICP from ``start``; returns the fit and its landing error (mean distance of the judged share)."""
    motion = start
    keep = max(int(len(z) * settings.keep_share), 3)
    for _ in range(settings.iterations):
        moved = motion.apply(z)
        nearest, distance = target.nearest(np.stack([moved.real, moved.imag], axis=1))
        closest = np.argsort(distance)[:keep]
        fitted = _rigid(z[closest], nearest[closest, 0] + 1j * nearest[closest, 1], zoom)
        if fitted is None:
            break
        motion = fitted
    moved = motion.apply(z)
    _, distance = target.nearest(np.stack([moved.real, moved.imag], axis=1))
    judged = max(int(len(z) * settings.score_share), 3)
    return motion, float(np.mean(np.sort(distance)[:judged]))


def _rigid(src: np.ndarray, dst: np.ndarray, zoom: float) -> Similarity | None:
    """Least-squares turn and shift at scale ``zoom`` taking complex points ``src`` to ``dst``."""
    sc, dc = src - src.mean(), dst - dst.mean()
    cross = complex(np.sum(np.conj(sc) * dc))
    if abs(cross) < 1e-9:
        return None
    a = zoom * cross / abs(cross)
    return Similarity(a, complex(dst.mean() - a * src.mean()))
