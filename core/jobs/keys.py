"""Loading a set of keys and bringing them into one common form."""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..errors import BadInput
from ..image import Raster, read_image
from ..limits import refuse_tiny

RESIZE_POLICIES = ("none", "first")
_HASHES = re.compile(r"#+")


def expand_key_args(args: Sequence[str | Path]) -> tuple[list[Path], list[float] | None]:
    """Expand frame-sequence patterns: `keys/walk.####.png` → the numbered files that exist, in frame order.

    When every key came from a pattern, their frame numbers are returned as key times (else None).
    """
    paths: list[Path] = []
    frame_numbers: list[float] = []
    for arg in args:
        text = str(arg)
        if "#" not in Path(text).name:
            paths.append(Path(text))
            continue
        pattern = Path(text)
        regex = re.compile("^" + _HASHES.sub(lambda m: r"(\d+)", re.escape(pattern.name).replace(r"\#", "#")) + "$")
        folder = pattern.parent
        found = sorted((int(m.group(1)), folder / name) for name in (os.listdir(folder) if folder.is_dir() else [])
                       if (m := regex.match(name)))
        if not found:
            raise BadInput("no files match this frame pattern", pattern)
        paths += [path for _, path in found]
        frame_numbers += [float(number) for number, _ in found]
    return paths, (frame_numbers if len(frame_numbers) == len(paths) else None)


def load_keys(paths: Sequence[str | Path], resize: str = "none") -> list[Raster]:
    """Read every key; sizes must match (or, with resize="first", are scaled to the first key's).

    Keys of mixed forms are normalised: if some are on paper and some on a transparent layer, all are
    composited onto white paper; bit depth is the highest among the keys.
    """
    if resize not in RESIZE_POLICIES:
        raise BadInput(f"unknown --resize policy '{resize}'; choose {' or '.join(RESIZE_POLICIES)}")
    keys = [read_image(path) for path in paths]
    for key in keys:
        refuse_tiny(key.path, *key.size)
    first = keys[0]
    for key in keys[1:]:
        if key.size == first.size:
            continue
        if resize == "none":
            raise BadInput(f"is {key.size[0]}x{key.size[1]} but {first.path} is {first.size[0]}x{first.size[1]}; "
                           "make the keys the same size or pass --resize first", key.path)
        key.rgba = cv2.resize(key.rgba, first.size, interpolation=cv2.INTER_AREA)
    if len({key.transparent for key in keys}) > 1:
        for key in keys:
            alpha = key.rgba[..., 3:4]
            key.rgba[..., :3] = key.rgba[..., :3] * alpha + (1.0 - alpha)
            key.rgba[..., 3] = 1.0
            key.transparent = False
    depth = max(key.bit_depth for key in keys)
    for key in keys:
        key.bit_depth = depth
        key.rgba = np.ascontiguousarray(key.rgba, dtype=np.float32)
    return keys
