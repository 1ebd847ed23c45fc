"""The douga job: colour frames on disk → `<stem>.douga.png` (class colours), `<stem>.classes.png` (class
indices) and manifest.json in an output folder."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import BadInput, Cancelled
from ..image import header_size, read_image
from ..output import StagedOutput

Progress = Callable[[int, int, str], None]
# Larger frames are refused: extraction and post-processing hold about 120 bytes per pixel (4 GB at 8K UHD).
MAX_PIXELS = 36_000_000


@dataclass
class DougaJob:
    frames: Sequence[str | Path]
    out: str | Path
    line_width: float = 3.0
    raw: bool = False
    overwrite: bool = False
    book: str | Path | None = None  # the shot's static foreground layer (RGBA), for book lines and fills
    strokes: bool = False  # also write `<stem>.strokes.json`: the douga as strokes (douga/strokes.py)


def output_names(path: str | Path) -> tuple[str, str]:
    stem = Path(path).stem
    return f"{stem}.douga.png", f"{stem}.classes.png"


def strokes_name(path: str | Path) -> str:
    return f"{Path(path).stem}.strokes.json"


def _check_width(line_width: float) -> None:
    if not 0.5 <= line_width <= 50:
        raise BadInput(f"--line-width must be between 0.5 and 50 px, got {line_width:g}")


def _check(job: DougaJob) -> list[Path]:
    if not job.frames:
        raise BadInput("douga needs at least one frame")
    _check_width(job.line_width)
    paths = [Path(frame) for frame in job.frames]
    stems = [Path(p).stem for p in paths]
    for path, stem in zip(paths, stems):
        if stems.count(stem) > 1:
            raise BadInput(f"two frames share the name '{stem}'; their outputs would collide", path)
    return paths


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding the pixels; None when unreadable (read_image
    then says what is wrong)."""
    try:
        return header_size(path)
    except OSError:  # read_image says what is wrong
        return None


def _refuse_too_large(path: Path, size: tuple[int, int] | None) -> None:
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise BadInput(f"is {size[0]}x{size[1]}; douga handles at most {MAX_PIXELS / 1e6:g} megapixels per frame "
                       "(scale it down first)", path)


def _load_book(path: str | Path | None) -> np.ndarray | None:
    """The book layer as an RGBA image, or None."""
    if path is None:
        return None
    _refuse_too_large(Path(path), _header_size(Path(path)))
    layer = read_image(path)
    if not layer.transparent:
        raise BadInput("a book layer needs transparency (alpha) around the foreground object", path)
    return layer.rgba


def _classes_of(path: Path, book: np.ndarray | None, book_path: str | Path | None, line_width: float,
                raw: bool, decode: bool = False) -> np.ndarray:
    """One frame's class indices (HxW uint8), post-processed to `line_width` unless `raw`. `decode`: the image
    is already a douga in class colours (an artist's, or `<stem>.douga.png`), read by nearest class colour."""
    from ..douga.extract import extract
    from ..douga.postprocess import postprocess

    _refuse_too_large(path, _header_size(path))
    raster = read_image(path)
    _refuse_too_large(path, raster.size)
    width, height = raster.size
    if book is not None and book.shape[:2] != raster.rgba.shape[:2]:
        raise BadInput(f"is {width}x{height} but the book layer {book_path} is "
                       f"{book.shape[1]}x{book.shape[0]}", path)
    if decode:
        from ..douga.schema import decode as decode_colours

        # An artist's colour-coded douga: transparent pixels are paper (flat area, white).
        alpha = raster.rgba[..., 3:4]
        classes = decode_colours(raster.rgba[..., :3] * alpha + (1.0 - alpha))
    else:
        classes = extract(raster.rgba, book)
    return classes if raw else postprocess(classes, line_width)


def run_douga(job: DougaJob, progress: Progress | None = None,
              cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Classify every frame and write the folder; returns the manifest. Nothing is written unless every
    frame succeeded (bad input → BadInput, cancel → Cancelled)."""
    from ..douga.schema import class_table, index_png, palette_png
    from ..douga.strokes import douga_strokes, strokes_result

    paths = _check(job)
    with StagedOutput(job.out, overwrite=job.overwrite) as output:
        output.refuse_existing([name for path in paths for name in output_names(path)]
                               + ([strokes_name(path) for path in paths] if job.strokes else []),
                               inputs=[*paths, *([job.book] if job.book is not None else [])])
        book = _load_book(job.book)
        entries = []
        for number, path in enumerate(paths):
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(number, len(paths), f"douga {path.name}")
            classes = _classes_of(path, book, job.book, job.line_width, job.raw)
            height, width = classes.shape
            douga_name, classes_name = output_names(path)
            output.write_bytes(douga_name, palette_png(classes))
            output.write_bytes(classes_name, index_png(classes))
            entry = {"source": str(path), "douga": douga_name, "classes": classes_name,
                     "width": width, "height": height}
            if job.strokes:
                result = strokes_result(douga_strokes(classes, job.line_width), (width, height), job.line_width,
                                        str(path))
                output.write_bytes(strokes_name(path), json.dumps(result).encode("utf-8"))
                entry["strokes"] = strokes_name(path)
            entries.append(entry)
        if progress is not None:
            progress(len(paths), len(paths), "done")
        manifest = {"command": "douga", "engine": __version__, "raw": job.raw,
                    "book": None if job.book is None else str(job.book),
                    "line_width": None if job.raw else job.line_width, "classes": class_table(),
                    "frames": entries}
        output.commit(manifest)
    return manifest


INPUTS = ("frame", "douga")


def run_douga_strokes(frame: str | Path, *, line_width: float = 3.0, raw: bool = False, fills: bool = True,
                      book: str | Path | None = None, input_kind: str = "frame", progress: Progress | None = None,
                      cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """One image → its douga as strokes (the JSON-RPC `douga.strokes` result; nothing is written). `input_kind`:
    "frame", a colour frame (classified as `douga` does), or "douga", an image already in class colours.
    Each stroke's material is its class index; the result's "classes" name and colour them."""
    from ..douga.strokes import douga_strokes, strokes_result

    _check_width(line_width)
    if input_kind not in INPUTS:
        raise BadInput(f"input must be one of {', '.join(INPUTS)}, got {input_kind!r}")
    path = Path(frame)
    if progress is not None:
        progress(0, 2, f"douga {path.name}")
    classes = _classes_of(path, _load_book(book), book, line_width, raw, decode=input_kind == "douga")
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(1, 2, f"strokes {path.name}")
    drawing = douga_strokes(classes, line_width, fills=fills, cancel=cancel)
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(2, 2, "done")
    height, width = classes.shape
    return strokes_result(drawing, (width, height), line_width, str(path))
