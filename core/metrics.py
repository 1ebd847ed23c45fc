"""Line-art quality metrics: chamfer distance in pixels and AnimeInbet's CD.

Both compare *where ink is*, not pixel colours: for line art a one-pixel shift of
a thin line ruins PSNR/SSIM yet is visually nothing, while a ghosted double line
(the typical flow/crossfade failure) is badly wrong but can score well on PSNR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from .image import LUMA

INK_THRESHOLD = 128  # gray (0..255) below this counts as ink for chamfer_distance


def to_gray_u8(img: np.ndarray) -> np.ndarray:
    """Normalise an image to 2-D uint8 gray (0..255), composited over white.

    Accepts RGBA (straight alpha) or RGB arrays (float in [0,1] or uint8) and 2-D
    gray arrays (uint8 0..255 or float 0..1).
    """
    a = np.asarray(img)
    if a.ndim == 2:
        if a.dtype == np.uint8:
            return a
        return np.clip(np.rint(a.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected HxW, HxWx3 or HxWx4 image, got shape {a.shape}")
    f = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    rgb = f[..., :3]
    if a.shape[2] == 4:
        alpha = f[..., 3:4]
        rgb = rgb * alpha + (1.0 - alpha)  # straight alpha over white paper
    gray = rgb @ LUMA.astype(np.float64)
    return np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8)


def ink_mask(img: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Boolean ink mask: gray < threshold (gray in 0..255)."""
    return to_gray_u8(img) < threshold


def _dist_to(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest True pixel of ``mask``."""
    # distanceTransform measures distance to the nearest *zero* pixel.
    src = np.where(mask, 0, 255).astype(np.uint8)
    return cv2.distanceTransform(src, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def chamfer_distance(pred: np.ndarray, gt: np.ndarray, threshold: float = INK_THRESHOLD) -> float:
    """Symmetric chamfer distance between the ink of two images, in pixels.

    Mean over pred ink pixels of the distance to the nearest gt ink pixel, and
    vice versa; the result is the average of the two means. One image with ink
    and the other without gives the image diagonal; both empty gives 0.
    ``threshold``: gray below it is ink; pass `InkLevels.threshold` to read ink
    relative to the drawing (pencil-grey lines have no pixel below 128).
    """
    return mask_chamfer_distance(ink_mask(pred, threshold), ink_mask(gt, threshold))


def mask_chamfer_distance(pm: np.ndarray, gm: np.ndarray) -> float:
    """`chamfer_distance` of two boolean ink masks."""
    if pm.shape != gm.shape:
        raise ValueError(f"shape mismatch: {pm.shape} vs {gm.shape}")
    pn, gn = bool(pm.any()), bool(gm.any())
    if not pn and not gn:
        return 0.0
    if not pn or not gn:
        h, w = pm.shape
        return float(np.hypot(h, w))
    d_pred_to_gt = float(_dist_to(gm)[pm].mean())
    d_gt_to_pred = float(_dist_to(pm)[gm].mean())
    return 0.5 * (d_pred_to_gt + d_gt_to_pred)


@dataclass(frozen=True)
class InkLevels:
    """Paper and darkest-mark gray (0..255) of a drawing; ink is whatever lies below their midpoint.

    A fixed threshold fails on pencil: grey lines around 170 on white have no pixel below 128. Reading
    the levels off the reference drawing (the truth, or the keys when there is none) and applying the
    same threshold to every frame compared against it keeps the comparison fair."""

    paper: float
    dark: float

    @property
    def threshold(self) -> float:
        return 0.5 * (self.paper + self.dark)


PAPER_PERCENTILE = 95.0   # paper gray: high enough to be paper even on a busy sketch, below scan speckle
DARK_PERCENTILE = 5.0     # darkest marks: low percentile of the drawn pixels, robust to a few black specks
DRAWN_MARGIN = 24.0       # a pixel this much darker than paper is drawn (scan noise stays inside it)


PAPER_BLOCKS = 8          # the paper's local tone is read on about an 8 x 8 grid of blocks
LIGHTING_RANGE = 64.0     # the paper's tone may fall this far below its brightest (shadow on a photographed sheet)


def paper_flat_gray(img: np.ndarray) -> np.ndarray:
    """Gray (uint8) divided by the paper's local tone, so paper reads 255 everywhere.

    A photographed or scanned sheet is lit unevenly: a fixed threshold takes its shadowed corner for ink.
    The local tone is a high percentile per block (drawings leave most of a block bare), smoothed and kept
    within LIGHTING_RANGE of the brightest paper, so a solid black fill covering a block stays ink. On
    white paper or a transparent layer this is the plain gray, unchanged."""
    gray = to_gray_u8(img)
    h, w = gray.shape
    block = max(16, max(h, w) // PAPER_BLOCKS)
    rows, cols = -(-h // block), -(-w // block)
    padded = np.pad(gray, ((0, rows * block - h), (0, cols * block - w)), mode="edge").astype(np.float32)
    tiles = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    tone: np.ndarray = np.percentile(tiles, PAPER_PERCENTILE, axis=2).astype(np.float32)
    if min(rows, cols) >= 3:
        tone = cv2.medianBlur(tone, 3)  # one block taken by a fill must not darken the paper there
    tone = np.maximum(tone, float(tone.max()) - LIGHTING_RANGE)
    if float(tone.min()) >= 254.5:
        return gray  # white paper: nothing to flatten
    local = cv2.resize(tone, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.rint(gray * (255.0 / np.maximum(local, 1.0))), 0, 255).astype(np.uint8)


def ink_levels(images: Sequence[np.ndarray]) -> InkLevels:
    """The paper and darkest-mark levels of one or more drawings read together (gray 0..255, after
    `paper_flat_gray`).

    Without any drawn pixel the "darkest mark" is put just past the drawn margin, so a blank reference
    still counts clear marks in a prediction as ink, but not paper noise."""
    gray = np.concatenate([paper_flat_gray(img).ravel() for img in images])
    paper = float(np.percentile(gray, PAPER_PERCENTILE))
    drawn = gray[gray < paper - DRAWN_MARGIN]
    dark = float(np.percentile(drawn, DARK_PERCENTILE)) if drawn.size else paper - 2 * DRAWN_MARGIN
    return InkLevels(paper=paper, dark=dark)


def relative_ink_mask(img: np.ndarray, levels: InkLevels) -> np.ndarray:
    """Boolean ink mask: the paper-flattened gray (`paper_flat_gray`) below the midpoint of `levels`."""
    return paper_flat_gray(img) < levels.threshold


def ink_recall_precision(pred_mask: np.ndarray, gt_mask: np.ndarray, tolerance: float = 2.0) -> tuple[float, float]:
    """(recall, precision) of ink within `tolerance` px: the share of truth ink with predicted ink that
    near, and the share of predicted ink with truth ink that near. Empty sides count as perfect."""
    if not gt_mask.any() or not pred_mask.any():
        return float(not gt_mask.any()), float(not pred_mask.any())
    recall = float((_dist_to(pred_mask)[gt_mask] <= tolerance).mean())
    precision = float((_dist_to(gt_mask)[pred_mask] <= tolerance).mean())
    return recall, precision


SPECK_AREA = 4  # px²: connected ink smaller than this is dust, counted apart from the drawing's pieces


def ink_pieces(mask: np.ndarray, speck_area: int = SPECK_AREA) -> tuple[int, int]:
    """(pieces, specks): 8-connected ink components of at least `speck_area` px, and the smaller ones.

    A clean inbetween has no more pieces than its truth; a shattered one breaks lines into many."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    return int((areas >= speck_area).sum()), int((areas < speck_area).sum())


def _animeinbet_line(img: np.ndarray) -> np.ndarray:
    """AnimeInbet binarisation: gray(uint8) < 255*0.99 is line (1), else 0."""
    return (to_gray_u8(img).astype(np.float64) < 255 * 0.99).astype(np.float64)


def animeinbet_cd(pred: np.ndarray, gt: np.ndarray) -> float:
    """Chamfer distance as computed by AnimeInbet (compute_cd.py), in units of 1e-5.

    Each direction is ``mean over ALL pixels of line_a * EDT_b / diagonal`` where
    ``EDT_b`` is the distance to the nearest line pixel of ``b``; the CD is the
    average of both directions times 1e5. Note the mean runs over every pixel, not
    only line pixels, so the value also scales with how much ink there is. An
    image with no line pixels has its EDT set to the diagonal everywhere.
    """
    a, b = _animeinbet_line(pred), _animeinbet_line(gt)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    h, w = a.shape
    diag = float(np.sqrt(h * h + w * w))

    def edt(line: np.ndarray) -> np.ndarray:
        if not line.any():
            return np.full(line.shape, diag)
        return distance_transform_edt(1 - line)

    d_pred, d_gt = edt(a), edt(b)
    cd_gt_pred = float((b * d_pred).mean()) / diag
    cd_pred_gt = float((a * d_gt).mean()) / diag
    return 0.5 * (cd_gt_pred + cd_pred_gt) * 1e5
