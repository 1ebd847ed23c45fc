"""The painted keys' colours: one exact palette colour per key area.

Colours are compared as exact 15-bit codes (8-bit values survive the round trip exactly), never averaged: the mode of an
area's interior pixels, read away from the lines so anti-aliased rims and lines drawn into the painted
frame do not vote. A key whose fills hold many pixels off their area's mode was painted with soft edges or
noise; its areas still get their mode (the palette colour), and the job says the key was snapped.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .areas import Areas
from .settings import PaintSettings

_LEVELS = 32767.0  # 15 bits a channel: codes stay non-negative int64, so UNKNOWN (-1) is free
UNKNOWN = -1  # colour code of a pixel with no colour (not painted); real codes are never negative


@dataclass
class KeyPalette:
    """Colours of one painted key's areas."""

    colours: np.ndarray      # (count+1, 4) float32 RGBA in [0, 1], straight alpha; row 0 unused
    codes: np.ndarray        # (count+1,) int64: the exact colour code of each area (equal code = same colour)
    purity: np.ndarray       # (count+1,) share of the area's interior that has its mode colour
    off_palette: float       # share of all interior pixels not on their area's mode (anti-aliased fills)
    pixel_codes: np.ndarray  # HxW int64: every pixel's palette colour (see `colour_map`)

    @property
    def snapped(self) -> bool:
        return self.off_palette > 0.0


def colour_codes(rgba: np.ndarray) -> np.ndarray:
    """HxW int64 exact colour code of each pixel (15 bits a channel)."""
    q = np.rint(np.clip(rgba, 0.0, 1.0) * _LEVELS).astype(np.int64)
    return (q[..., 0] << 45) | (q[..., 1] << 30) | (q[..., 2] << 15) | q[..., 3]


def code_colour(code: int) -> np.ndarray:
    """RGBA float32 of a colour code."""
    return np.array([(code >> s) & 0x7FFF for s in (45, 30, 15, 0)], np.float32) / _LEVELS


def read_palette(painted: np.ndarray, areas: Areas, settings: PaintSettings) -> KeyPalette:
    """Mode colour of every area of the key's line frame, read in the painted frame."""
    # Distance from the lines: interior pixels only, the rims are where fills are blended.
    far = cv2.distanceTransform((~areas.line).astype(np.uint8), cv2.DIST_L2, 3) >= settings.interior_margin
    codes_img = colour_codes(painted)
    count = areas.count
    codes = np.zeros(count + 1, np.int64)
    purity = np.ones(count + 1)
    found = np.zeros(count + 1, bool)
    found[0] = True
    off = 0
    total = 0
    for source in (far, ~areas.line, np.ones_like(far)):
        # Areas with no pixel far from the lines (slivers) read from all their non-line pixels, then all.
        missing = np.flatnonzero(~found)
        if not len(missing):
            break
        lab = areas.labels[source]
        pix = codes_img[source]
        keep = np.isin(lab, missing)
        lab, pix = lab[keep], pix[keep]
        if not len(lab):
            continue
        # Mode per area: sort by (label, code), count the runs, take each label's longest run.
        order = np.lexsort((pix, lab))
        lab, pix = lab[order], pix[order]
        start = np.flatnonzero(np.r_[True, (lab[1:] != lab[:-1]) | (pix[1:] != pix[:-1])])
        run = np.diff(np.r_[start, len(lab)])
        run_lab, run_pix = lab[start], pix[start]
        best = np.lexsort((-run, run_lab))  # per label, longest run first
        first = np.r_[True, run_lab[best][1:] != run_lab[best][:-1]]
        chosen = best[first]
        per_label = np.bincount(lab, minlength=count + 1)
        codes[run_lab[chosen]] = run_pix[chosen]
        found[run_lab[chosen]] = True
        purity[run_lab[chosen]] = run[chosen] / np.maximum(per_label[run_lab[chosen]], 1)
        if source is far:
            off += int(per_label.sum() - run[chosen].sum())
            total += int(per_label.sum())
    colours = np.zeros((count + 1, 4), np.float32)
    for index in range(1, count + 1):
        colours[index] = code_colour(int(codes[index]))
    share = off / total if total else 0.0
    return KeyPalette(colours=colours, codes=codes, purity=purity,
                      off_palette=share if share > settings.aa_share else 0.0,
                      pixel_codes=colour_map(codes_img, areas, settings, codes[1:]))


def flat_colours(codes_img: np.ndarray, where: np.ndarray, least: int) -> np.ndarray:
    """Colour codes with at least `least` pixels (inside `where`) equal to their 4 neighbours.

    A painted fill is flat, so even a thin sash or a small eye has such pixels; an anti-aliased blend
    changes across the rim it sits on and never has (whatever its pixel count)."""
    centre = codes_img[1:-1, 1:-1]
    flat = ((codes_img[:-2, 1:-1] == centre) & (codes_img[2:, 1:-1] == centre)
            & (codes_img[1:-1, :-2] == centre) & (codes_img[1:-1, 2:] == centre) & where[1:-1, 1:-1])
    values, counts = np.unique(centre[flat], return_counts=True)
    return values[counts >= least]


def colour_map(codes_img: np.ndarray, areas: Areas, settings: PaintSettings, modes: np.ndarray) -> np.ndarray:
    """Every pixel of the key as one of its palette colours.

    Not every colour boundary is drawn as a line (a shadow painted without a shadow line, a leak), and the
    painted colour boundary need not sit on the line's centre: the map keeps each pixel that already has a
    palette colour (a flat colour, see `flat_colours`), so small painted details survive. Pixels in
    anti-aliased blends or under lines drawn into the painted frame take the nearest pixel that has a
    palette colour. A key with no flat colour at all (tiny, or noisy) keeps its areas' main colours (`modes`).
    """
    palette = flat_colours(codes_img, ~areas.line, settings.flat_pixels)
    if not len(palette):
        palette = np.unique(modes)
    # Line pixels are never fills, whatever their colour (lines drawn into the painted frame, black pupils
    # and black lines alike): they take the fill next to them.
    known = np.isin(codes_img, palette) & ~areas.line
    if not known.any():
        return np.zeros_like(codes_img)
    _, nearest = cv2.distanceTransformWithLabels((~known).astype(np.uint8), cv2.DIST_L2, 5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    lookup = np.concatenate([[0], codes_img[known]])
    return lookup[nearest]
