"""Is there a cut between two keys? Two shots have neither the same colours nor matching motion."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .motion import PairMotion
from .settings import FramesSettings

HISTOGRAM_SIDE = 160  # colour histograms need no detail: read them on a thumbnail
HISTOGRAM_BINS = 8    # per channel (8³ colours): coarse enough that shading and compression do not count


@dataclass(frozen=True)
class CutCheck:
    histogram: float   # Hellinger distance of the colour histograms, 0 same palette … 1 disjoint
    unmatched: float   # share of pixels the flow matched in neither direction
    cut: bool


def colour_histogram(key: np.ndarray) -> np.ndarray:
    h, w = key.shape[:2]
    scale = min(1.0, HISTOGRAM_SIDE / max(h, w))
    small = cv2.resize(np.ascontiguousarray(key[..., :3], dtype=np.float32),
                       (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.calcHist([small], [0, 1, 2], None, [HISTOGRAM_BINS] * 3, [0.0, 1.0001] * 3)


def histogram_distance(key0: np.ndarray, key1: np.ndarray) -> float:
    return float(cv2.compareHist(colour_histogram(key0), colour_histogram(key1), cv2.HISTCMP_BHATTACHARYYA))


def check_cut(key0: np.ndarray, key1: np.ndarray, motion: PairMotion, settings: FramesSettings) -> CutCheck:
    """A cut shows both signs: a new palette alone is a lighting change or a flash, much unmatched flow alone
    is fast action; together they are a different shot. Only a near-total failure of the flow counts alone."""
    histogram = histogram_distance(key0, key1)
    unmatched = motion.unmatched
    cut = ((histogram > settings.cut_histogram and unmatched > settings.cut_unmatched)
           or unmatched > settings.cut_unmatched_alone)
    return CutCheck(histogram=histogram, unmatched=unmatched, cut=cut)
