"""Contact sheets for `nakawari bench real`: one small PNG per case to look at, since a number alone does not
say whether a frame shattered, ghosted or went blank."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...metrics import InkLevels, paper_flat_gray, to_gray_u8

TILE = 320          # longest side of a tile, px: a sheet of ten tiles stays a few hundred kB
LABEL_HEIGHT = 18
COLUMNS = 5
GAP = 4


def inkiness(rgba: np.ndarray, levels: InkLevels | None) -> np.ndarray:
    """0 (paper) … 1 (darkest mark). With line-art levels a pencil-grey line reads as fully inked, so the
    overlay shows it as strongly as a black one; without, plain darkness (colour frames)."""
    if levels is None:
        return 1.0 - to_gray_u8(rgba).astype(np.float32) / 255.0
    gray = paper_flat_gray(rgba).astype(np.float32)  # as the line-art scores read it
    return np.clip((levels.paper - gray) / max(levels.paper - levels.dark, 1.0), 0.0, 1.0)


def overlay(ours: np.ndarray, references: Sequence[np.ndarray], levels: InkLevels | None) -> np.ndarray:
    """RGB float: our ink in red, the reference's (the truth, or both keys) in cyan, both black, over white."""
    reference = np.max([inkiness(r, levels) for r in references], axis=0)
    ours_ink = inkiness(ours, levels)
    return np.dstack([1.0 - reference, 1.0 - ours_ink, 1.0 - ours_ink])


def _tile(rgb: np.ndarray, label: str) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = min(1.0, TILE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(np.ascontiguousarray(rgb, dtype=np.float32), size, interpolation=cv2.INTER_AREA)
    strip = np.full((LABEL_HEIGHT, size[0], 3), 230, np.uint8)  # putText draws on 8-bit images only
    cv2.putText(strip, label, (3, LABEL_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([strip.astype(np.float32) / 255.0, small], axis=0)


def contact_sheet(tiles: Sequence[tuple[str, np.ndarray]]) -> np.ndarray:
    """(label, RGB float image) tiles of one case (all the same size) on a grid; RGBA float, opaque."""
    cells = [_tile(rgb, label) for label, rgb in tiles]
    h, w = cells[0].shape[:2]
    columns = min(COLUMNS, len(cells))
    rows = -(-len(cells) // columns)
    sheet = np.full((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP, 3), 0.6, np.float32)  # grey gaps part tiles
    for index, cell in enumerate(cells):
        top, left = (index // columns) * (h + GAP), (index % columns) * (w + GAP)
        sheet[top:top + h, left:left + w] = cell
    return np.dstack([sheet, np.ones(sheet.shape[:2], np.float32)])
