"""The colour-threshold baseline a user would reach for: key out the background colours.

The colours along the frame's border are taken as the background's (as with a magic wand or a
chroma key picked at the edges); every pixel whose colour is not close to one of them is cel.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

LEVELS = 16   # colour bins per channel
BORDER = 8    # px of frame edge sampled as background


def colour_key_mask(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float RGB in [0, 1] → HxW bool, True where the colour is not a border colour."""
    bins = np.clip((np.asarray(rgb)[..., :3] * LEVELS).astype(np.int64), 0, LEVELS - 1)
    index = (bins[..., 0] * LEVELS + bins[..., 1]) * LEVELS + bins[..., 2]
    edge = np.ones(index.shape, bool)
    edge[BORDER:-BORDER, BORDER:-BORDER] = False
    palette = np.zeros(LEVELS ** 3, bool)
    palette[index[edge]] = True
    # Neighbouring bins count too: a colour one step away is the same colour to the eye.
    palette = ndimage.binary_dilation(palette.reshape(LEVELS, LEVELS, LEVELS), np.ones((3, 3, 3))).ravel()
    return ~palette[index]
