"""What the keys look like to the inbetweener: their style, ink, and the image flow is estimated on.

Raw line art is almost all paper: dense optical flow finds nothing to hold on
to away from the thin strokes and the aperture problem dominates on them. A
truncated distance field of the ink gives every pixel near the drawing a
gradient that points at the strokes, over a reach large enough for coarse
pyramid levels to lock onto limbs that moved a long way. For coloured cels
the (blurred) luminance adds the fills' shape to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..image import LUMA
from .ink_reading import InkReading, measure_ink_reading

# Black ink on white paper, opaque strokes on a layer (frozen, so one shared default is safe).
PLAIN_READING = InkReading()


@dataclass(frozen=True)
class KeyStyle:
    """How a set of keys is drawn; decides how ink is read and frames are fused."""

    transparent: bool      # drawn on a transparent layer (alpha carries the drawing)
    lineart: bool          # only strokes (grey/black on paper or alpha); False: coloured / filled cels
    ink_rgb: np.ndarray    # colour of the strokes (float32, 3), used to redraw line art
    reading: InkReading = InkReading()  # how pixels read as ink (relative to the keys' paper and darkest marks)

    def ink(self, key: np.ndarray) -> np.ndarray:
        """Key's ink (HxW float32 in [0, 1]) read the way these keys are drawn."""
        return ink_map(key, self.transparent, self.reading)


def analyse_keys(keys: list[np.ndarray]) -> KeyStyle:
    """Classify the keys as line art or cels, on paper or on a transparent layer; measure how they read as ink."""
    transparent = any(float(k[..., 3].min()) < 0.999 for k in keys)
    reading = measure_ink_reading(keys, transparent)
    lineart = all(_looks_like_lineart(k, transparent, reading) for k in keys)
    ink_rgb = _stroke_colour(keys, transparent, reading, lineart)
    return KeyStyle(transparent=transparent, lineart=lineart, ink_rgb=ink_rgb, reading=reading)


def _looks_like_lineart(key: np.ndarray, transparent: bool, reading: InkReading) -> bool:
    """Grey strokes without filled areas. Subsampled: the decision needs no full resolution."""
    small = np.ascontiguousarray(key[::2, ::2])
    rgb, alpha = small[..., :3], small[..., 3]
    # Drawn pixels only: on paper most of the frame is white, which would drown a cel's colours.
    drawn = (alpha > 0.05) & ((rgb @ LUMA < 0.97) if not transparent else True)
    if not drawn.any():
        return True
    r, g, b = cv2.split(np.ascontiguousarray(rgb))
    spread = cv2.max(cv2.max(r, g), b) - cv2.min(cv2.min(r, g), b)  # numpy's per-pixel max over 3 is slow
    if float(np.mean(spread[drawn] > 0.12)) > 0.02:
        return False  # noticeable colour: cels
    # Strokes vanish under an opening with a 7x7 disc (≈14 px at full size); fills survive it:
    # large blacks among the dark pixels, grey tones among the light ones (a stroke's light
    # pixels are only its anti-aliased rim).
    ink = ink_map(small, transparent, reading)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    for part in (ink > 0.5, drawn & (ink <= 0.5)):
        kept = cv2.morphologyEx(part.astype(np.uint8), cv2.MORPH_OPEN, kernel)
        if int(kept.sum()) > 0.05 * int(part.sum()):
            return False
    return True


def _stroke_colour(keys: list[np.ndarray], transparent: bool, reading: InkReading, lineart: bool) -> np.ndarray:
    """Median colour of the inkiest pixels (black for ordinary line art); for cels, of their dark outlines
    (on a layer, white fills are as opaque as the lines: the inkiest by alpha would be the fills). Lines
    lighter than "strong" ink (a blue or red line reads about half dark) take the inkiest few per cent."""
    inks, colours = [], []
    for k in keys:
        small = k[::2, ::2]
        inks.append((ink_map(small, transparent, reading) if lineart else outline_map(small, transparent)).ravel())
        colours.append(small[..., :3].reshape(-1, 3))
    ink, rgb = np.concatenate(inks), np.concatenate(colours)
    if not (ink > 0.05).any():
        return np.zeros(3, dtype=np.float32)
    strong = ink > 0.8
    if not strong.any():
        strong = ink >= np.percentile(ink[ink > 0.05], 95)
    return np.median(rgb[strong], axis=0).astype(np.float32)


def ink_map(key: np.ndarray, transparent: bool, reading: InkReading = PLAIN_READING) -> np.ndarray:
    """HxW float32 ink in [0, 1]: darkness on paper, alpha on a layer, both relative to ``reading``
    (the default reads black ink on white paper and opaque strokes on a layer)."""
    if transparent:
        # Light marks on a layer (white highlights) still count as drawing by alpha.
        return reading.of_alpha(key[..., 3])
    return reading.of_luma(key[..., :3] @ LUMA)


def outline_map(key: np.ndarray, transparent: bool) -> np.ndarray:
    """Ink of the dark outlines of a cel (fills excluded): dark and opaque pixels."""
    luma = key[..., :3] @ LUMA
    dark = np.clip((0.45 - luma) / 0.3, 0.0, 1.0)
    if transparent:
        dark = dark * key[..., 3]
    return dark.astype(np.float32)


def flow_image(key: np.ndarray, style: KeyStyle, scale: float, reach: float) -> np.ndarray:
    """uint8 image at ``scale`` × the key's size for dense flow estimation.

    ``reach`` is the distance-field truncation in *working* pixels. Line art:
    255 on the strokes falling linearly to 0 at ``reach``. Cels: the same for
    the edges, averaged with the blurred luminance so fills register too.
    """
    h, w = key.shape[:2]
    size = (max(int(round(w * scale)), 8), max(int(round(h * scale)), 8))
    if style.lineart:
        ink = style.ink(key)
        small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
        # Area averaging dilutes thin strokes (a 2 px line at 1/4 scale averages
        # to ~0.5), so a low threshold keeps them; paper noise averages away.
        strokes = small > 0.08
        return _distance_field(strokes, reach)
    premult = key[..., :3] * key[..., 3:4]
    small = cv2.resize(premult, size, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(key[..., 3], size, interpolation=cv2.INTER_AREA)
    luma = small @ LUMA
    edges = _edge_mask(small, alpha)
    field = _distance_field(edges, reach).astype(np.float32)
    # Opaque-ness matters on transparent layers; lightness on paper.
    tone = (alpha * (1.0 - luma) * 0.5 + alpha * 0.5) if style.transparent else (1.0 - luma)
    tone = cv2.GaussianBlur(tone.astype(np.float32), (0, 0), 1.0)
    return np.clip(0.5 * field + 127.5 * tone, 0, 255).astype(np.uint8)


def _edge_mask(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Colour/alpha boundaries: the outlines and the borders between fills."""
    stack = np.concatenate([rgb, alpha[..., None]], axis=2)
    gx = cv2.Sobel(stack, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(stack, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt((gx * gx + gy * gy).max(axis=2))
    return mag > 0.5


def _distance_field(strokes: np.ndarray, reach: float) -> np.ndarray:
    if not strokes.any():
        return np.zeros(strokes.shape, dtype=np.uint8)
    dist = cv2.distanceTransform((~strokes).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(255.0 * (1.0 - dist / reach), 0, 255).astype(np.uint8)


def compose_lineart(ink: np.ndarray, style: KeyStyle, shape: tuple[int, ...]) -> np.ndarray:
    """RGBA frame in the keys' form from an ink map (built with cv2.merge: fast)."""
    ink = ink.astype(np.float32, copy=False)
    if style.transparent:
        chans = [np.full_like(ink, float(c)) for c in style.ink_rgb] + [ink]
    else:
        ones = np.ones_like(ink)
        chans = [cv2.addWeighted(ink, -(1.0 - float(c)), ones, 1.0, 0.0) for c in style.ink_rgb] + [ones]
    return cv2.merge(chans)
