"""What the learned cel reader sees: per-pixel cues at several scales, at the model's working size.

The same function feeds training (`learned.cels_train`) and the shipped model (`cels.learned`), so they cannot
drift apart. Cues, each scaled to about [0, 1]: colour (RGB, luminance, saturation); line contrast (a
black-hat of luminance: thin dark strokes) and how much line there is around (blurred at several
scales) with the distance to the nearest line; colour gradient and fine texture (brush grain, zero in a
flat fill) at several scales; local colour spread (flat fills: none); the rule reader's decision,
blurred; and the pixel's height in the frame. A per-pixel network over these is cheap to train on two
cores and sees context up to a fifth of the frame through the widest blurs.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..image import LUMA
from .single import cel_mask

WORK_HEIGHT = 270   # px: the working height of the features
SCALES = (2.0, 6.0, 16.0, 40.0)   # px blurs at the working height
CHANNELS = 9 + 4 * len(SCALES) + 2


def working_size(height: int, width: int) -> tuple[int, int]:
    """(width, height) for a frame at the working height."""
    return max(1, round(width * WORK_HEIGHT / height)), WORK_HEIGHT


def _blur(values: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def feature_maps(rgb: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """HxWx3 float RGB at the working size and the rule reader's mask there → CHANNELS x H x W float32."""
    image = np.ascontiguousarray(rgb, dtype=np.float32)[..., :3]
    height = image.shape[0]
    lum = image @ LUMA
    saturation = image.max(axis=2) - image.min(axis=2)
    lines = cv2.morphologyEx(lum, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    inked = (lines > 0.08).astype(np.float32)
    distance = cv2.distanceTransform((inked < 0.5).astype(np.uint8), cv2.DIST_L2, 3) / 20
    smooth = cv2.GaussianBlur(image, (0, 0), 0.8)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8
    gradient = np.sqrt(gx * gx + gy * gy).max(axis=2)
    texture = np.abs(image - cv2.GaussianBlur(image, (0, 0), 1.0)).max(axis=2)
    rows = np.broadcast_to(np.linspace(0, 1, height, dtype=np.float32)[:, None], lum.shape)
    rule_f = rule.astype(np.float32)
    maps = [image[..., 0], image[..., 1], image[..., 2], lum, saturation, lines * 3, np.minimum(distance, 1.5),
            gradient * 5, texture * 20]
    for sigma in SCALES:
        mean = _blur(lum, sigma)
        spread = np.sqrt(np.maximum(_blur(lum * lum, sigma) - mean * mean, 0))
        maps += [_blur(inked, sigma) * 2, _blur(gradient, sigma) * 8, _blur(texture, sigma) * 30, spread * 4]
    maps += [_blur(rule_f, 4.0), rows]
    return np.clip(np.stack(maps), -2, 2).astype(np.float32)


def prepare(rgb: np.ndarray) -> np.ndarray:
    """A full frame → 1 x CHANNELS x h x w network input at the working size (the rule reader runs at its
    own working height first)."""
    image = np.asarray(rgb, np.float32)[..., :3]
    height, width = image.shape[:2]
    size = working_size(height, width)
    rule = cv2.resize(cel_mask(image).astype(np.float32), size, interpolation=cv2.INTER_AREA)
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return feature_maps(small, rule)[None]
