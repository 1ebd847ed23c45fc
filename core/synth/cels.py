"""Coloured cel variant: the same mannequin and motion machinery with flat fills.

Each material gets a flat colour; shapes flagged ``shade`` get a hard-edged
shadow region (the fill darkened, no gradient) on one side of the part, as in
TV-anime cel shading. The shadow boundary is not outlined (anime shadow edges
are colour boundaries, not ink lines). Only a palette is added here; skeleton,
poses and rendering are shared with the line-art figures.
"""

from __future__ import annotations

import numpy as np

from .figures import mannequin_rig
from .motion import Motion, random_motion
from .rig import Palette

# Fills and their shadow tones are kept lighter than the ink threshold of
# ``metrics.chamfer_distance`` (gray 128) so that, on cels too, that metric sees
# the lines and not the flat colours.
CEL_PALETTES: tuple[Palette, ...] = (
    Palette({"skin": (0.99, 0.88, 0.79), "shirt": (0.55, 0.74, 0.96), "pants": (0.64, 0.68, 0.84),
             "hair": (0.84, 0.66, 0.52), "shoe": (0.96, 0.58, 0.52), "tie": (0.98, 0.82, 0.3)}),
    Palette({"skin": (0.98, 0.86, 0.76), "shirt": (0.97, 0.6, 0.58), "pants": (0.94, 0.9, 0.8),
             "hair": (0.66, 0.66, 0.82), "shoe": (0.7, 0.72, 0.78), "tie": (0.55, 0.85, 0.66)}),
    Palette({"skin": (0.95, 0.8, 0.68), "shirt": (0.99, 0.9, 0.5), "pants": (0.56, 0.78, 0.64),
             "hair": (0.95, 0.7, 0.45), "shoe": (0.82, 0.68, 0.58), "tie": (0.95, 0.55, 0.7)}),
    Palette({"skin": (0.99, 0.91, 0.84), "shirt": (0.8, 0.68, 0.94), "pants": (0.68, 0.7, 0.78),
             "hair": (0.96, 0.92, 0.78), "shoe": (0.94, 0.94, 0.96), "tie": (0.55, 0.72, 0.96)}),
)


def cel_motion(seed: int, index: int = 0, n_keys: int = 2, max_rotation: float = 0.6,
               line_width: float = 2.0, key_times: list[float] | None = None) -> Motion:
    """Coloured-cel mannequin motion for case ``index`` of seed ``seed``."""
    rng = np.random.default_rng([seed, index, 1])
    palette = CEL_PALETTES[int(rng.integers(len(CEL_PALETTES)))]
    return random_motion(mannequin_rig(), rng, n_keys, max_rotation, line_width, palette, key_times)
