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
from ..douga.extract import extract
from ..douga.postprocess import postprocess
from ..douga.schema import CLASSES, class_table, index_png, palette_png
from ..douga.schema import decode as decode_colours
from ..douga.settings import DEFAULT_DOUGA, DougaSettings
from ..douga.strokes import douga_strokes, strokes_result
from ..errors import BadInput, Cancelled
from ..image import header_size, read_image
from ..output import StagedOutput
from ..progress import Progress
from .params import take

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
    settings: DougaSettings = DEFAULT_DOUGA  # the reader's thresholds (douga/settings.py)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DougaJob:
        """The `douga` request's parameters → the job."""
        p = take(params, ("frames", "out"), ("line_width", "raw", "book", "overwrite"))
        return cls(frames=list(p["frames"]), out=p["out"], line_width=_width(p.get("line_width")),
                   raw=bool(p.get("raw", False)), book=p.get("book"), overwrite=bool(p.get("overwrite", False)))


@dataclass
class DougaStrokesJob:
    """One image → its douga as strokes, answered inline (vectors, not pixels): `run_douga_strokes`."""

    frame: str | Path
    line_width: float = 3.0
    raw: bool = False
    fills: bool = True
    book: str | Path | None = None
    input_kind: str = "frame"
    settings: DougaSettings = DEFAULT_DOUGA

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DougaStrokesJob:
        """The `douga.strokes` request's parameters → the job."""
        p = take(params, ("frame",), ("line_width", "raw", "fills", "book", "input"))
        return cls(p["frame"], line_width=_width(p.get("line_width")), raw=bool(p.get("raw", False)),
                   fills=bool(p.get("fills", True)), book=p.get("book"), input_kind=str(p.get("input", "frame")))


def _width(line_width: float | None) -> float:
    """A request's line width: 3 px unless it names one (null means the default too)."""
    return 3.0 if line_width is None else float(line_width)


def class_lines() -> list[str]:
    """`nakawari douga --list-classes`: one line per class, its index, name, kind and colour."""
    return [f"{c.index}  {c.name:<15} {'line' if c.is_line else 'fill'}  rgb {c.rgb[0]},{c.rgb[1]},{c.rgb[2]}"
            for c in CLASSES]


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
                raw: bool, decode: bool = False, settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """One frame's class indices (HxW uint8), post-processed to `line_width` unless `raw`. `decode`: the image
    is already a douga in class colours (an artist's, or `<stem>.douga.png`), read by nearest class colour."""
    _refuse_too_large(path, _header_size(path))
    raster = read_image(path)
    _refuse_too_large(path, raster.size)
    width, height = raster.size
    if book is not None and book.shape[:2] != raster.rgba.shape[:2]:
        raise BadInput(f"is {width}x{height} but the book layer {book_path} is "
                       f"{book.shape[1]}x{book.shape[0]}", path)
    if decode:
        # An artist's colour-coded douga: transparent pixels are paper (flat area, white).
        alpha = raster.rgba[..., 3:4]
        classes = decode_colours(raster.rgba[..., :3] * alpha + (1.0 - alpha))
    else:
        classes = extract(raster.rgba, book, settings=settings)
    return classes if raw else postprocess(classes, line_width, settings)


def run_douga(job: DougaJob, progress: Progress | None = None,
              cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Classify every frame and write the folder; returns the manifest. Nothing is written unless every
    frame succeeded (bad input → BadInput, cancel → Cancelled)."""
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
            classes = _classes_of(path, book, job.book, job.line_width, job.raw, settings=job.settings)
            height, width = classes.shape
            douga_name, classes_name = output_names(path)
            output.write_bytes(douga_name, palette_png(classes))
            output.write_bytes(classes_name, index_png(classes))
            entry = {"source": str(path), "douga": douga_name, "classes": classes_name,
                     "width": width, "height": height}
            if job.strokes:
                result = strokes_result(douga_strokes(classes, job.line_width, settings=job.settings),
                                        (width, height), job.line_width, str(path))
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
                      cancel: Callable[[], bool] | None = None,
                      settings: DougaSettings = DEFAULT_DOUGA) -> dict[str, Any]:
    """One image → its douga as strokes (the JSON-RPC `douga.strokes` result; nothing is written). `input_kind`:
    "frame", a colour frame (classified as `douga` does), or "douga", an image already in class colours.
    Each stroke's material is its class index; the result's "classes" name and colour them."""
    _check_width(line_width)
    if input_kind not in INPUTS:
        raise BadInput(f"input must be one of {', '.join(INPUTS)}, got {input_kind!r}")
    path = Path(frame)
    if progress is not None:
        progress(0, 2, f"douga {path.name}")
    classes = _classes_of(path, _load_book(book), book, line_width, raw, decode=input_kind == "douga",
                          settings=settings)
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(1, 2, f"strokes {path.name}")
    drawing = douga_strokes(classes, line_width, fills=fills, cancel=cancel, settings=settings)
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(2, 2, "done")
    height, width = classes.shape
    return strokes_result(drawing, (width, height), line_width, str(path))


def run_douga_strokes_job(job: DougaStrokesJob, progress: Progress | None = None,
                          cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    return run_douga_strokes(job.frame, line_width=job.line_width, raw=job.raw, fills=job.fills, book=job.book,
                             input_kind=job.input_kind, progress=progress, cancel=cancel, settings=job.settings)
