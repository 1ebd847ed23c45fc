"""Reading and writing key drawings.

Inside the engine an image is an "RGBA image": float32, HxWx4, straight (non-premultiplied) RGBA in
[0, 1]. `Raster` carries that array plus the form it came in (paper or transparent layer, bit depth), so
outputs can be written back in the same form as the keys.
"""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import BadInput
from .files import write_atomically
from .limits import MAX_PIXELS, refuse_image_size

READ_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".webp")
WRITE_SUFFIXES = (".png", ".tif", ".tiff", ".webp", ".jpg", ".jpeg")
LUMA = np.array([0.2989, 0.587, 0.114], dtype=np.float32)  # the weights the metrics use too

# name.####.png: a stem, a dot, a frame number of any width, the suffix.
_FRAME_NAME = re.compile(r"^(?P<stem>.+)\.(?P<frame>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass
class Raster:
    """A key drawing as loaded: pixels plus the form to write results back in."""

    rgba: np.ndarray          # float32 HxWx4 straight RGBA in [0, 1]
    transparent: bool         # drawn on a transparent layer (some alpha < 1), not on paper
    bit_depth: int            # 8 or 16
    path: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgba.shape[1], self.rgba.shape[0]


def parse_frame_name(path: str | Path) -> tuple[str, int, str] | None:
    """Split `name.0012.png` into ("name", 12, ".png"); None when the name carries no frame number."""
    match = _FRAME_NAME.match(Path(path).name)
    if match is None:
        return None
    return match["stem"], int(match["frame"]), match["suffix"]


def sequence_stem(path: str | Path) -> str:
    """The name a frame sequence derived from this file should carry: `walk.0001.png` → `walk`."""
    parsed = parse_frame_name(path)
    return parsed[0] if parsed else Path(path).stem


def read_image(path: str | Path) -> Raster:
    """Load PNG (8/16-bit, palette, gray, RGB, RGBA), TIFF, JPEG or WebP as an RGBA image.

    Raises BadInput naming the file for a missing, unreadable, corrupt or unsupported file.
    """
    path = Path(path)
    if not path.exists():
        raise BadInput("file not found", path)
    if path.is_dir():
        raise BadInput("is a folder, not an image", path)
    if path.suffix.lower() not in READ_SUFFIXES:
        raise BadInput(f"unsupported file type {path.suffix or '(none)'}; use PNG, TIFF, JPEG or WebP", path)
    if not path.is_file():
        raise BadInput("is not a plain file (a pipe or a device?); give an image file", path)
    try:
        if path.stat().st_size == 0:
            raise BadInput("empty file", path)
        size = header_size(path)
        if size is not None:
            refuse_image_size(path, *size)  # before a single pixel is decoded
        if _png_bit_depth(path) == 16 or path.suffix.lower() in (".tif", ".tiff"):
            # Pillow narrows 16-bit colour to 8 bits; OpenCV keeps all 16.
            wide = _read_with_opencv(path)
            if wide is not None:
                return _checked(wide, path)
        return _checked(_read_with_pillow(path), path)
    except OSError as error:  # unreadable: permissions, a vanished file, an I/O error
        raise BadInput(f"cannot read ({error.strerror or _short(error)})", path) from None


def _checked(raster: Raster, path: Path) -> Raster:
    refuse_image_size(path, *raster.size)  # files whose header could not be read are checked once decoded
    return raster


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file's header, nothing decoded; None when the header is not readable here
    (the decoder then says what is wrong)."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) == 24 and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # lazy: reads the header only
                return image.size
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its limit: far past ours
        raise BadInput(f"is far larger than nakawari reads (at most {MAX_PIXELS / 1e6:g} megapixels per image; "
                       "scale it down first)", path) from None
    except Exception:  # noqa: BLE001 - any other failure is reported by the decoder
        return None


def _png_bit_depth(path: Path) -> int | None:
    with open(path, "rb") as handle:
        head = handle.read(25)
    if len(head) < 25 or not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return head[24]


def _read_with_opencv(path: Path) -> Raster | None:
    """16-bit files; None when OpenCV can't read it or it is 8-bit (Pillow handles those better)."""
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None or data.dtype != np.uint16:
        return None
    pixels = data.astype(np.float32) / 65535.0
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[2]
    if channels == 1:
        rgb, alpha = np.repeat(pixels, 3, axis=2), None
    elif channels == 2:
        rgb, alpha = np.repeat(pixels[..., :1], 3, axis=2), pixels[..., 1]
    elif channels == 3:
        rgb, alpha = pixels[..., ::-1], None
    else:
        rgb, alpha = pixels[..., 2::-1], pixels[..., 3]
    return _raster(rgb, alpha, 16, path)


def _read_with_pillow(path: Path) -> Raster:
    try:
        with warnings.catch_warnings():  # Pillow warns from 89 megapixels; MAX_PIXELS already said how large
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            image.load()
            mode = image.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                gray = np.asarray(image, dtype=np.float32) / 65535.0
                return _raster(np.repeat(gray[..., None], 3, axis=2), None, 16, path)
            if mode == "F":
                gray = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
                return _raster(np.repeat(gray[..., None], 3, axis=2), None, 16, path)
            has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
            rgba = np.asarray(image.convert("RGBA")).astype(np.float32)
            rgba /= np.float32(255.0)  # in place: the same numbers as `/ 255.0`, one buffer fewer
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise BadInput(f"corrupt or unreadable image ({_short(error)})", path) from None
    return _raster_rgba(rgba, 8, path, transparent_possible=has_alpha)


def _raster(rgb: np.ndarray, alpha: np.ndarray | None, bit_depth: int, path: Path) -> Raster:
    height, width = rgb.shape[:2]
    rgba = np.empty((height, width, 4), dtype=np.float32)
    rgba[..., :3] = rgb
    rgba[..., 3] = 1.0 if alpha is None else alpha
    return _raster_rgba(rgba, bit_depth, path, transparent_possible=alpha is not None)


def _raster_rgba(rgba: np.ndarray, bit_depth: int, path: Path, *, transparent_possible: bool) -> Raster:
    """A Raster of a float32 (H, W, 4) array, taken as it is (no copy)."""
    if rgba.shape[0] == 0 or rgba.shape[1] == 0:
        raise BadInput("image has no pixels", path)
    transparent = transparent_possible and float(rgba[..., 3].min()) < 1.0
    return Raster(rgba=rgba, transparent=transparent, bit_depth=bit_depth, path=str(path))


def _short(error: BaseException) -> str:
    return str(error).splitlines()[0][:120] if str(error) else type(error).__name__


def to_gray(rgba: np.ndarray) -> np.ndarray:
    """Composite over white paper, then luminance: float32 HxW in [0, 1] (1 = paper)."""
    alpha = rgba[..., 3:4]
    over_white = rgba[..., :3] * alpha + (1.0 - alpha)
    return over_white @ LUMA


def ink(rgba: np.ndarray) -> np.ndarray:
    """How much ink covers each pixel, 0 (paper or transparent) to 1 (black)."""
    return 1.0 - to_gray(rgba)


def encode(rgba: np.ndarray, transparent: bool, bit_depth: int, suffix: str) -> np.ndarray:
    """RGBA image → the BGR(A) integer array OpenCV writes; paper keys drop the alpha channel."""
    if suffix.lower() in (".jpg", ".jpeg"):
        transparent, bit_depth = False, 8  # JPEG holds neither alpha nor 16 bits
    if suffix.lower() == ".webp":
        bit_depth = 8
    if transparent:
        pixels = rgba[..., [2, 1, 0, 3]]
    else:
        alpha = rgba[..., 3:4]
        # Over white paper; an opaque image is its own composite (x·1 + 0 = x), so it skips two passes.
        opaque = float(alpha.min()) == 1.0
        pixels = rgba[..., 2::-1] if opaque else (rgba[..., :3] * alpha + (1.0 - alpha))[..., ::-1]
    top = 65535.0 if bit_depth == 16 else 255.0
    dtype = np.uint16 if bit_depth == 16 else np.uint8
    scaled = np.multiply(pixels, top)  # one buffer (of the input's float type), rounded and clipped in place
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, top, out=scaled)
    return np.ascontiguousarray(scaled.astype(dtype))


def write_image(path: str | Path, rgba: np.ndarray, *, transparent: bool = False, bit_depth: int = 8,
                overwrite: bool = False) -> Path:
    """Write atomically: a temp file beside the target, then rename, so no half-written file is ever seen.

    An existing file is kept unless `overwrite`; BadInput names it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise BadInput(f"cannot write {suffix or 'files without a suffix'}; use .png, .tif, .webp or .jpg", path)
    if path.exists() and not overwrite:
        raise BadInput("already exists (use --overwrite to replace it)", path)
    data = encode(rgba, transparent, bit_depth, suffix)

    def write(temp_name: str) -> None:
        if not cv2.imwrite(temp_name, data):
            raise OSError(f"could not encode {suffix} image")
    write_atomically(path, write)
    return path


def gray_png(values: np.ndarray) -> bytes:
    """An 8-bit single-channel array → PNG bytes (masks, class indices)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(values, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()
