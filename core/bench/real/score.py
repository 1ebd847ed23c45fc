"""Per-frame scores for `nakawari bench real`.

Line art is judged on where ink is (chamfer distance, recall and precision within 2 px, how many pieces
the ink breaks into), with ink read relative to the reference drawing so pencil-grey lines count. Colour
is judged on PSNR and SSIM against the truth, and everywhere on "do no harm": an inbetween further from
both keys than the keys are from each other is worse than a dissolve, whatever it was aiming at.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ...metrics import (
    InkLevels,
    ink_levels,
    ink_pieces,
    ink_recall_precision,
    mask_chamfer_distance,
    relative_ink_mask,
)

CLEAN_SHARE = 0.95      # a clean frame has ≥ 95 % of its ink within TOLERANCE px of the truth's, and vice versa
TOLERANCE = 2.0         # px
BLANK_SHARE = 0.01      # less ink than 1 % of the keys' is a blank frame (the drawing vanished)
PSNR_CAP = 100.0        # identical frames have infinite PSNR; cap it so means stay finite


@dataclass(frozen=True)
class Reference:
    """What a case's frames are scored against, computed once per case."""

    keys: tuple[np.ndarray, np.ndarray]
    truth: np.ndarray | None
    levels: InkLevels               # from the truth, else from both keys
    key_ink: float                  # mean ink pixels of the two keys
    key_pieces: float               # mean pieces of the two keys
    truth_ink: int = 0
    truth_pieces: int = 0

    @classmethod
    def of(cls, keys: list[np.ndarray], truth: np.ndarray | None) -> Reference:
        levels = ink_levels([truth] if truth is not None else keys)
        key_masks = [relative_ink_mask(key, levels) for key in keys]
        truth_mask = relative_ink_mask(truth, levels) if truth is not None else None
        return cls((keys[0], keys[1]), truth, levels,
                   key_ink=float(np.mean([m.sum() for m in key_masks])),
                   key_pieces=float(np.mean([ink_pieces(m)[0] for m in key_masks])),
                   truth_ink=int(truth_mask.sum()) if truth_mask is not None else 0,
                   truth_pieces=ink_pieces(truth_mask)[0] if truth_mask is not None else 0)


def line_scores(frame: np.ndarray, ref: Reference) -> dict[str, float]:
    """pieces, specks, ink (vs the truth, else the keys' mean), blank; with truth also cd, recall,
    precision, clean."""
    mask = relative_ink_mask(frame, ref.levels)
    pieces, specks = ink_pieces(mask)
    ink = float(mask.sum())
    scores = {"pieces": float(pieces), "specks": float(specks),
              "blank": float(ref.key_ink > 0 and ink < BLANK_SHARE * ref.key_ink)}
    if ref.truth is None:
        scores["ink"] = ink / max(ref.key_ink, 1.0)
        return scores
    truth_mask = relative_ink_mask(ref.truth, ref.levels)
    recall, precision = ink_recall_precision(mask, truth_mask, TOLERANCE)
    scores.update(ink=ink / max(ref.truth_ink, 1), recall=recall, precision=precision,
                  cd=mask_chamfer_distance(mask, truth_mask),
                  clean=float(min(recall, precision) >= CLEAN_SHARE and pieces <= ref.truth_pieces))
    return scores


def colour_scores(frame: np.ndarray, ref: Reference) -> dict[str, float]:
    """harm (1: further from both keys than they are from each other); with truth also psnr, ssim."""
    rgb, a, b = over_white(frame), over_white(ref.keys[0]), over_white(ref.keys[1])
    apart = _mean_abs(a, b)
    scores = {"harm": float(min(_mean_abs(rgb, a), _mean_abs(rgb, b)) > apart)}
    if ref.truth is not None:
        truth = over_white(ref.truth)
        scores["psnr"] = min(float(peak_signal_noise_ratio(truth, rgb, data_range=1.0)), PSNR_CAP)
        scores["ssim"] = float(structural_similarity(truth, rgb, channel_axis=2, data_range=1.0))
    return scores


def over_white(rgba: np.ndarray) -> np.ndarray:
    """RGB float64 in [0, 1], composited over white paper as a viewer shows it."""
    alpha = rgba[..., 3:4].astype(np.float64)
    return np.clip(rgba[..., :3] * alpha + (1.0 - alpha), 0.0, 1.0)


def _mean_abs(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x - y).mean())
