"""Are the keys finished colour frames (painted backgrounds, shading) rather than drawings on paper?

Auto mode sends such frames to ``mode="frames"``; line art and cels on white paper or on a transparent layer
keep going to the line-art/cel path, which redraws their strokes and keeps their fills flat.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...image import LUMA

# Drawings on paper are mostly paper (cels ~95 %, a design sheet ~60-70 %); a finished frame is painted edge
# to edge and has at most a few white highlights.
PAPER_SHARE_MAX = 0.3
# Paper white: light and without colour (pale painted skies are light but tinted).
PAPER_LUMA = 0.93
PAPER_SATURATION = 0.06
# Painted frames hold hundreds of distinct colours (gradients, textures, compression); flat cels a few dozen.
COLOURS_MIN = 96
COLOUR_LEVELS = 32         # per channel when counting colours (5 bits: shading steps count, noise does not)
COLOUR_SHARE = 1e-4        # a colour counts when at least this share of the pixels has it
SUBSAMPLE = 2              # the decision needs no full resolution
# A greyscale frame (a black-and-white film, a grey render) has at most COLOUR_LEVELS colours at that
# quantisation, so its tones are counted on 8-bit luma instead: its gradients give 100-250 (real anime frames
# in grey), flat grey fills a few dozen.
GREY_SATURATION = 0.04     # pixels with less chroma than this are grey ...
GREY_SHARE = 0.99          # ... and a frame this much grey is a greyscale frame
GREY_LEVELS = 256


def paper_share(key: np.ndarray) -> float:
    """Share of the frame that is blank white paper."""
    rgb = key[::SUBSAMPLE, ::SUBSAMPLE, :3]
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return float(((rgb @ LUMA > PAPER_LUMA) & (saturation < PAPER_SATURATION)).mean())


def colour_count(key: np.ndarray) -> int:
    """Number of distinct colours (quantised; tones of 8-bit luma in a greyscale frame) that each cover at
    least ``COLOUR_SHARE`` of the frame."""
    rgb = np.clip(key[::SUBSAMPLE, ::SUBSAMPLE, :3], 0.0, 1.0)
    if float((rgb.max(axis=2) - rgb.min(axis=2) < GREY_SATURATION).mean()) >= GREY_SHARE:
        codes = (rgb @ LUMA * (GREY_LEVELS - 1) + 0.5).astype(np.int32)
        levels = GREY_LEVELS
    else:
        q = (rgb * (COLOUR_LEVELS - 1) + 0.5).astype(np.int32)
        codes = (q[..., 0] * COLOUR_LEVELS + q[..., 1]) * COLOUR_LEVELS + q[..., 2]
        levels = COLOUR_LEVELS ** 3
    counts = np.bincount(codes.ravel(), minlength=levels)
    return int((counts >= max(1.0, COLOUR_SHARE * codes.size)).sum())


def looks_like_frames(keys: Sequence[np.ndarray], lineart: bool) -> bool:
    """Opaque, not line art (``lineart`` from `represent.analyse_keys`), painted edge to edge, many colours."""
    if lineart or any(float(k[..., 3].min()) < 0.999 for k in keys):
        return False  # a transparent layer is a drawing to be composited, not a finished frame
    return all(paper_share(k) <= PAPER_SHARE_MAX and colour_count(k) >= COLOURS_MIN for k in keys)
