"""Where the ink is, read relative to the drawing: its paper and its darkest marks.

A fixed grey level misses real line art: pencil lines around grey 170 on white never reach "half ink", and a
pencil layer's alpha may never pass 0.5, so such keys came out as blank frames. The levels are measured once
for a set of keys (the same reading for every key, so ink amounts compare across them) and map the paper to
0 and the cores of the strokes to 1. Black ink on white paper reads exactly as before (levels 1 and 0).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..image import LUMA


@dataclass(frozen=True)
class InkReading:
    """How to read keys' pixels as ink: ``paper`` maps to 0, ``dark`` (the strokes' core) to 1.

    On paper both are luma levels (paper light, dark darker); on a transparent layer ``dark`` is unused and
    ``opacity`` is the alpha of the strokes' cores.
    """

    paper: float = 1.0
    dark: float = 0.0
    opacity: float = 1.0

    def of_luma(self, luma: np.ndarray) -> np.ndarray:
        """Ink on paper from luma: float32 in [0, 1]."""
        if self.paper == 1.0 and self.dark == 0.0:
            return np.clip(1.0 - luma, 0.0, 1.0).astype(np.float32)
        span = max(self.paper - self.dark, 1e-3)
        return np.clip((self.paper - luma) / span, 0.0, 1.0).astype(np.float32)

    def of_alpha(self, alpha: np.ndarray) -> np.ndarray:
        """Ink on a transparent layer from alpha: float32 in [0, 1]."""
        if self.opacity >= 1.0:
            return np.ascontiguousarray(alpha, dtype=np.float32)
        return np.clip(alpha / max(self.opacity, 1e-3), 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class InkReadingSettings:
    """How the levels are measured (shares of pixels, luma / alpha levels in [0, 1])."""

    paper_percentile: float = 90.0   # most of a line drawing is paper; robust to scanned paper and specks
    drawn_margin: float = 0.06       # darker than the paper by this much is drawing, not paper grain
    core_percentile: float = 5.0     # the darkest few per cent of the drawing are the strokes' cores
    # Darks below `keep_dark` are ink already: read them as black so inked line art reads as it always did;
    # between `keep_dark` and `full_dark` the correction fades in, so the reading never jumps.
    keep_dark: float = 0.2
    full_dark: float = 0.5
    keep_opacity: float = 0.9        # layers whose strokes are this opaque read alpha as it is
    sample_step: int = 2             # levels need no full resolution


def measure_ink_reading(keys: Sequence[np.ndarray], transparent: bool,
                        settings: InkReadingSettings = InkReadingSettings()) -> InkReading:
    """One reading for all ``keys`` (RGBA float32, HxWx4). Keys without any drawing read as black on white."""
    step = settings.sample_step
    if transparent:
        alphas = np.concatenate([k[::step, ::step, 3].ravel() for k in keys])
        drawn = alphas[alphas > settings.drawn_margin]
        if drawn.size == 0:
            return InkReading()
        core = float(np.percentile(drawn, 100.0 - settings.core_percentile))
        return InkReading(opacity=1.0 if core >= settings.keep_opacity else core)
    lumas = [np.ascontiguousarray(k[::step, ::step, :3]) @ LUMA for k in keys]
    paper = float(np.percentile(np.concatenate([luma.ravel() for luma in lumas]), settings.paper_percentile))
    drawn = np.concatenate([luma[luma < paper - settings.drawn_margin] for luma in lumas])
    if drawn.size == 0:
        return InkReading()
    dark = float(np.percentile(drawn, settings.core_percentile))
    fade = np.clip((dark - settings.keep_dark) / (settings.full_dark - settings.keep_dark), 0.0, 1.0)
    dark_used = float(fade * dark)
    # Paper at (near) white reads as white: scanned paper's grain should not change inked line art.
    paper_used = 1.0 if dark_used == 0.0 and paper > 0.9 else paper
    return InkReading(paper=paper_used, dark=dark_used)
