"""The fall-back that cannot turn to dust: the nearer key's pieces, each moved whole by one rigid motion.

Where a frame fails its self-check the motion field tore the lines apart; the field is still right on
average over each connected piece of ink, and the other key shows where the piece must land. Fitting one
similarity (rotation, uniform scale, translation) per piece to the field and to the other key's ink, and
moving the piece by the matching fraction of it (a turn about its fixed point), keeps every line whole and
of the key's weight, and still travels where the drawing goes, on an arc: closer to the truth than holding.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..lines import INK_THRESHOLD
from .fuse import redraw_lines
from .piece_fit import InkDistance, PieceFitSettings, fit_piece
from .rigid import Similarity


@dataclass(frozen=True)
class RigidPieceSettings:
    """How pieces are fitted: sample counts and the RANSAC tolerance (full-size pixels)."""

    samples: int = 400            # displacement samples per piece (enough for a robust fit, cheap)
    ransac_px: float = 3.0        # a sample this far from the fitted motion is an outlier
    min_fit_samples: int = 6      # fewer than this: the piece moves by its median displacement
    rim_px: int = 2               # the anti-aliased rim around a piece's threshold mask travels with it
    resample_gain: float = 2.0    # a line resampled between pixels keeps at least half its ink: doubled, whole
    fit: PieceFitSettings = PieceFitSettings()


def moved_pieces(ink: np.ndarray, other_ink: np.ndarray, displacement: np.ndarray, fraction: float, scale: float,
                 width: float, zoom: float = 1.0, settings: RigidPieceSettings = RigidPieceSettings(),
                 seed: int = 0) -> np.ndarray:
    """The key's ink (HxW float32 in [0, 1]) with every 8-connected piece moved by ``fraction`` of its whole
    motion onto ``other_ink`` (the other key's ink, same size): the similarity that best fits
    ``displacement`` over the piece (HxWx2 (dx, dy) at ``scale`` × the ink's size, in those working pixels,
    where each of the key's pixels lands in the other key), refined by laying the piece onto the other key's
    ink (piece_fit) at the drawing's ``zoom`` (pieces keep their size), then taken to ``fraction`` as a
    turn about its fixed point: pieces travel on arcs.
    Returns the moved ink (HxW float32), its lines redrawn at ``width`` as every other frame's are."""
    h, w = ink.shape
    count, labels = cv2.connectedComponents((ink > INK_THRESHOLD).astype(np.uint8), connectivity=8)
    target = InkDistance(other_ink > INK_THRESHOLD)
    rim = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * settings.rim_px + 1,) * 2)
    rng = np.random.default_rng(seed)
    out = np.zeros_like(ink, dtype=np.float32)
    total = max(int(np.count_nonzero(labels)), 1)
    for n in range(1, count):
        ys, xs = np.nonzero(labels == n)
        whole = fit_piece(np.stack([xs, ys], axis=1).astype(np.float32), target,
                          _fit_flow(xs, ys, displacement, scale, settings, rng), zoom, len(xs) / total,
                          settings.fit, seed)
        motion = _matrix(whole.power(fraction))
        x0, y0 = max(xs.min() - settings.rim_px, 0), max(ys.min() - settings.rim_px, 0)
        x1, y1 = min(xs.max() + settings.rim_px + 1, w), min(ys.max() + settings.rim_px + 1, h)
        piece = cv2.dilate((labels[y0:y1, x0:x1] == n).astype(np.uint8), rim).astype(np.float32) * ink[y0:y1, x0:x1]
        # The crop's own origin: shift into the crop, move, shift out to the frame.
        to_frame = motion @ np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
        moved = cv2.warpAffine(piece, to_frame[:2], (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
        np.maximum(out, moved, out=out)
    # Resampling a thin line half a pixel off spreads it over two pixels at half strength, below the ink
    # threshold: strengthen before thinning, then redraw at the key's width (fills keep their shape).
    evidence = np.clip(out * settings.resample_gain, 0.0, 1.0)
    return redraw_lines(evidence, width, evidence, evidence)


def _fit_flow(xs: np.ndarray, ys: np.ndarray, displacement: np.ndarray, scale: float,
              settings: RigidPieceSettings, rng: np.random.Generator) -> Similarity:
    """The similarity (full-size pixels) that moves the piece's pixels as the displacement field says."""
    pick = rng.choice(len(xs), size=min(len(xs), settings.samples), replace=False)
    src = np.stack([xs[pick], ys[pick]], axis=1).astype(np.float32)
    dh, dw = displacement.shape[:2]
    wx = np.clip(np.rint(src[:, 0] * scale).astype(int), 0, dw - 1)
    wy = np.clip(np.rint(src[:, 1] * scale).astype(int), 0, dh - 1)
    dst = src + displacement[wy, wx] / np.float32(scale)
    if len(src) >= settings.min_fit_samples:
        fitted, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                ransacReprojThreshold=settings.ransac_px)
        if fitted is not None:
            return Similarity.from_matrix(fitted)
    shift = np.median(dst - src, axis=0)
    return Similarity(1.0 + 0j, complex(shift[0], shift[1]))


def _matrix(motion: Similarity) -> np.ndarray:
    """3x3 matrix of z ↦ a·z + b."""
    a, b = motion.a, motion.b
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag], [0.0, 0.0, 1.0]])
