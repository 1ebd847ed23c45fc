"""Fusing the two keys warped to time t into one frame (CPU reference implementation).

Line art: the warped inks are blended by time and reliability, softened so
strokes that land a pixel or two apart merge into one ridge, then thinned and
redrawn at the keys' width by the fixed-width post-processor. Averaging
alone would give grey, doubled strokes.

Cels: per pixel the more reliable source is *chosen* (no averaging of
different colours, which would make muddy in-between tones), and the dark
outlines go through the same fixed-width redraw as line art.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt

import cv2
import numpy as np

from ..lines import redraw_fixed_width, solid_areas
from .represent import LUMA

# Share of a key's blend weight that does not depend on its reliability (measured: docs/decisions.md). A
# constant, not a setting: the learned network is built on the same blend (learned/network.py), so its
# untrained output is flow mode's frame; changing it here alone would part the two.
RELIABILITY_FLOOR = 0.7


@dataclass(frozen=True)
class FuseSettings:
    """How the two warped keys become one frame."""

    same_colour: float = 0.08   # cels: colours closer than this (max over channels) are "the same" and averaged


DEFAULT_FUSE = FuseSettings()


def blend_weights(t: float, valid0: np.ndarray, valid1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised per-pixel weights of the two warped keys.

    Time weighting, scaled down (not to zero: a stroke seen by one key only
    must still be drawn) where the forward-backward check failed. Time keeps most of
    the say (RELIABILITY_FLOOR): near a key the frame must look like that key, and a
    lower floor dropped faces and other small detail that the check doubted.
    Plain arithmetic, so the torch backend calls it on tensors too.
    """
    a = (1.0 - t) * (RELIABILITY_FLOOR + (1.0 - RELIABILITY_FLOOR) * valid0)
    b = t * (RELIABILITY_FLOOR + (1.0 - RELIABILITY_FLOOR) * valid1)
    s = a + b + 1e-6
    return a / s, b / s


def line_evidence(ink0: np.ndarray, ink1: np.ndarray, a: np.ndarray, b: np.ndarray, width: float) -> np.ndarray:
    """Line probability at time t from the two warped inks and their weights.

    A Gaussian of ~half the stroke width turns two nearly coincident copies
    into one ridge; the result is renormalised so a single full-strength
    stroke peaks at 1. A stroke that has no partner in the other warped key
    (occlusion, or motion the flow missed) would fade to a grey ghost under
    blending; instead it is kept whole from the key that is more reliable
    there and dropped from the other, so there is never a double line.
    """
    sigma = merge_sigma(width)
    peak = blurred_stroke_peak(width, sigma)
    soft0 = cv2.GaussianBlur(ink0, (0, 0), sigma) / peak
    soft1 = cv2.GaussianBlur(ink1, (0, 0), sigma) / peak
    blend = a * soft0 + b * soft1
    # Partner test: is there ink of the other key within ~a stroke width?
    reach = int(2 * np.ceil(width + 2 * sigma) + 1)
    # A square (separable, so fast) window is close enough for a partner test.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach))
    near0 = cv2.dilate(np.minimum(soft0, 1.0), kernel)
    near1 = cv2.dilate(np.minimum(soft1, 1.0), kernel)
    lone0 = soft0 * (1.0 - near1) * (a >= b)
    lone1 = soft1 * (1.0 - near0) * (b > a)
    return np.maximum(blend, np.maximum(lone0, lone1))


def merge_sigma(width: float) -> float:
    """Blur that merges two copies of a stroke landing a pixel or two apart. Wider blurs also merged
    neighbouring details (eyes, hair zigzags) into blobs: 0.5 × width measured 0.650 / 0.555 against
    the warp-average (articulated seeds 11 / 0), 0.3 × width 0.614 / 0.528."""
    return max(0.3 * width, 0.8)


def blurred_stroke_peak(width: float, sigma: float) -> float:
    """Centre value of a 1-D box of ``width`` convolved with a Gaussian of ``sigma``."""
    return max(erf(width / (2.0 * sqrt(2.0) * sigma)), 1e-3)


def fuse_lineart(ink0: np.ndarray, ink1: np.ndarray, a: np.ndarray, b: np.ndarray, width: float) -> np.ndarray:
    """Crisp fixed-width ink at time t.

    Works inside the bounding box of the warped ink only: line art is sparse
    and every step here is per-pixel, so this is most of the speed at 1080p.
    """
    out = np.zeros(ink0.shape, dtype=np.float32)
    box = ink_box(ink0, ink1, pad=int(3 * width + 8))
    if box is None:
        return out
    ys, xs = box
    evidence = line_evidence(ink0[ys, xs], ink1[ys, xs], a[ys, xs], b[ys, xs], width)
    out[ys, xs] = redraw_lines(evidence, width, ink0[ys, xs], ink1[ys, xs])
    return out


def redraw_lines(evidence: np.ndarray, width: float, ink0: np.ndarray, ink1: np.ndarray) -> np.ndarray:
    """Strokes redrawn at the keys' width; areas filled in a warped key (pupils, solid blacks) keep
    their shape. Keeping fills measured 0.614 → 0.55 against the warp-average (articulated, seed 11)."""
    return np.maximum(redraw_fixed_width(evidence, width), solid_areas(evidence, width, (ink0, ink1)))


def ink_box(*inks: np.ndarray, pad: int) -> tuple[slice, slice] | None:
    """Bounding box (padded) of visible ink in any of the images, or None when all are blank."""
    mask = cv2.compare(np.maximum.reduce(inks) if len(inks) > 1 else inks[0], 0.02,  # type: ignore[call-overload]
                       cv2.CMP_GT)  # (stubs reject the scalar operand OpenCV accepts)
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return None
    hh, ww = inks[0].shape
    return slice(max(y - pad, 0), min(y + h + pad, hh)), slice(max(x - pad, 0), min(x + w + pad, ww))


def fuse_cels(rgba0: np.ndarray, rgba1: np.ndarray, a: np.ndarray, b: np.ndarray,
              outline: np.ndarray | None, outline_rgb: np.ndarray, settings: FuseSettings = DEFAULT_FUSE) -> np.ndarray:
    """Choose per pixel between two warped straight-RGBA cels; redraw outlines on top.

    Where both agree the colours are averaged (anti-aliased edges stay
    smooth); elsewhere the more reliable source wins outright.
    """
    diff = np.abs(rgba0 - rgba1).max(axis=2)
    pick0 = a >= b
    chosen = np.where(pick0[..., None], rgba0, rgba1)
    mean = rgba0 * a[..., None] + rgba1 * b[..., None]
    out = np.where((diff < settings.same_colour)[..., None], mean, chosen).astype(np.float32)
    if outline is not None:
        out = overlay_outline(out, outline, outline_rgb)
    return out


def overlay_outline(rgba: np.ndarray, outline: np.ndarray, outline_rgb: np.ndarray) -> np.ndarray:
    """Paint fixed-width outline ink over a cel (straight alpha: ink is opaque)."""
    k = outline[..., None]
    out = rgba.copy()
    out[..., :3] = rgba[..., :3] * (1.0 - k) + outline_rgb * k
    out[..., 3:4] = np.maximum(rgba[..., 3:4], k)
    return out


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ LUMA
