"""Limits that keep one run inside an ordinary machine's memory, each refused with exit 2 and one line
naming the file or option (README, "Nothing the artist has is lost").

- MAX_PIXELS: an image is decoded to float32 RGBA (16 bytes a pixel) and the engines hold several working
  copies of every key; 100 megapixels (1.6 GB a copy, e.g. 12 000 × 8 000) is past any production frame
  (8K UHD is 33 megapixels), while a 12 000² 16-bit or 20 000² 8-bit "decompression bomb" used 9–12 GB before
  failing. The header is read first, so a refused file is never decoded.
- MIN_SIDE: a drawing smaller than this many pixels either way holds nothing the engine can follow (optical
  flow needs 12 px, the analysis windows more), so it is bad input rather than an unexpected failure.
- MAX_FRAMES: frames made in one run (inbetween keeps every frame in memory until the whole set is written,
  all or nothing; `--count 100000` held 6 GB of small frames). Ten thousand frames is seven minutes of
  animation at 24 fps: split longer runs. MAX_HELD_BYTES bounds the same for large frames.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BadInput

MAX_PIXELS = 100_000_000
MIN_SIDE = 16
MAX_FRAMES = 10_000
# The frames of one inbetween run are held in memory (float32 RGBA, 16 bytes a pixel) until the whole set is
# written, all or nothing: 16 GiB is about 500 frames at 1080p or 130 at 4K; split larger runs.
MAX_HELD_BYTES = 16 * 1024**3
BYTES_PER_PIXEL = 16
MAX_FRAME_NUMBER = 9_999_999  # whole-number times up to this name their frames (walk.0012.png); past it, 0, 1, 2…


def refuse_image_size(path: str | Path, width: int, height: int) -> None:
    """BadInput naming the file when an image is too large to decode."""
    if width * height > MAX_PIXELS:
        raise BadInput(f"is {width}x{height} ({width * height / 1e6:.0f} megapixels); nakawari reads at most "
                       f"{MAX_PIXELS / 1e6:g} megapixels per image (scale it down first)", path)


def refuse_tiny(path: str | Path | None, width: int, height: int) -> None:
    """BadInput naming the file when a drawing is too small to work on."""
    if min(width, height) < MIN_SIDE:
        raise BadInput(f"is {width}x{height}; a drawing needs at least {MIN_SIDE} pixels each way", path)


def refuse_frame_count(frames: int, what: str = "this run") -> None:
    """BadInput naming the option when a run would make more than MAX_FRAMES frames."""
    if frames > MAX_FRAMES:
        raise BadInput(f"{what} would make {frames} frames; nakawari makes at most {MAX_FRAMES} frames per run "
                       "(split the shot into several runs)")


def refuse_held_frames(frames: int, width: int, height: int) -> None:
    """BadInput when a run's frames, all held until written, would pass MAX_HELD_BYTES."""
    needed = frames * width * height * BYTES_PER_PIXEL
    if needed > MAX_HELD_BYTES:
        most = MAX_HELD_BYTES // (width * height * BYTES_PER_PIXEL)
        raise BadInput(f"{frames} frames of {width}x{height} need {needed / 1024**3:.1f} GiB held in memory until "
                       f"all are written; at most {most} frames of {width}x{height} per run (split the shot into "
                       "several runs)")
