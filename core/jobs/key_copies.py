"""Keys written back beside their inbetweens as the very bytes the artist saved, where that shows the same
pixels as writing the loaded key again would: decoding and re-encoding a 1080p PNG costs more than the
bare flow between two keys, and a byte copy keeps the file exactly as drawn."""
from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from ..image import Raster

# Pillow modes of PNGs without an alpha channel: written on paper, they read back the same once copied.
_OPAQUE_MODES = ("1", "L", "P", "RGB", "I", "I;16", "I;16B", "I;16L")


def png_bytes_if_same(raster: Raster, transparent: bool, bit_depth: int) -> bytes | None:
    """The key file's bytes when copying them gives the pixels `write_image(raster.rgba, transparent=…,
    bit_depth=…)` would: a PNG of the loaded size and bit depth, not composited onto paper (an output on
    paper takes only keys without alpha). None: write the key out as usual."""
    if raster.path is None or Path(raster.path).suffix.lower() != ".png":
        return None
    path = Path(raster.path)
    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:  # the header and the chunks before the pixels: nothing decoded
                size, mode, info = image.size, image.mode, image.info
    except Exception:  # noqa: BLE001 - anything odd about the file: re-encode it as before
        return None
    if size != raster.size or len(data) < 25 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return None  # scaled to the first key (--resize first), or not what its name says
    if (data[24] == 16) != (bit_depth == 16):
        return None  # the keys' bit depths were evened out
    if not transparent and (mode not in _OPAQUE_MODES or "transparency" in info):
        return None  # alpha on a key written on paper: it may have been composited (mixed keys)
    return data
