"""Vector mode for raster line art: vectorise the keys, match and interpolate the strokes, render the
inbetweens anti-aliased at the keys' line width and ink colour. Also decides whether keys are clean line
art that this mode suits (`--mode auto`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import Cancelled
from ..inbetween.fuse import ink_box
from ..inbetween.represent import KeyStyle, analyse_keys
from ..metrics import chamfer_distance
from ..progress import Cancel, Progress
from ..timing import gap_of
from .geometry import walk_rows
from .guide import FlowGuide, guided
from .interpolate import StrokeInbetweener
from .model import Drawing
from .render import SUPERSAMPLE, render_coverage, render_drawing
from .settings import DEFAULT_STROKES, StrokeSettings
from .vectorize import vectorize

# Keys count as clean line art when their strokes, redrawn, land within this chamfer distance (px) of
# the key's own ink: filled areas, hatching blobs, textures and scans with noise do not.
CLEAN_CD = 1.0
# ... and are drawn in long strokes: half their strokes (between ends and junctions) span at least this many
# line widths. Clean inked drawings measure 8–27; rough sketches, pencil, hatching and our mannequins 1–6,
# and there flow mode wins (bench real, bench inbetween).
LONG_STROKES = 6.5
# Line widths are fitted in the steps the renderer draws (anti-aliased lines at SUPERSAMPLE × the size).
WIDTH_STEP = 2.0 / SUPERSAMPLE


@dataclass
class VectorKeys:
    drawings: list[Drawing]
    style: KeyStyle
    widths: list[float]
    fidelity: list[float]      # chamfer distance (px) between each key and its strokes redrawn

    @property
    def clean(self) -> bool:
        return self.style.lineart and max(self.fidelity) <= CLEAN_CD


@dataclass
class KeySketch:
    """The keys' strokes as first traced (line widths not yet fitted): enough to tell how long they are."""

    style: KeyStyle
    inks: list[np.ndarray]
    drawings: list[Drawing]
    measured: list[float]


def sketch_keys(keys: Sequence[np.ndarray], line_width: float | None = None,
                style: KeyStyle | None = None) -> KeySketch:
    """Trace every key's strokes (`vectorize`); ``style``: `analyse_keys` of these keys, when already known."""
    style = analyse_keys(list(keys)) if style is None else style
    inks = [style.ink(key) for key in keys]
    traced = [vectorize(ink, line_width) for ink in inks]
    return KeySketch(style, inks, [d for d, _ in traced], [w for _, w in traced])


def stroke_span(sketch: KeySketch) -> float:
    """How long the keys' strokes are: the median stroke's length in line widths, in the key where it is least
    (cheap evidence for `--mode auto`: sketchy, hatched or grainy keys trace into many short strokes)."""
    spans = []
    for drawing, width in zip(sketch.drawings, sketch.measured):
        if len(drawing):
            lengths = walk_rows(np.concatenate([s.points for s in drawing.strokes]), [s.n for s in drawing.strokes],
                                drawing.dims, [s.closed for s in drawing.strokes]).length
            spans.append(float(np.median(lengths)) / max(width, 1.0))
    return min(spans, default=0.0)


def vectorize_keys(keys: Sequence[np.ndarray], line_width: float | None = None,
                   sketch: KeySketch | None = None) -> VectorKeys:
    """Strokes with fitted widths and each key's fidelity; ``sketch``: `sketch_keys` of these keys, when
    already traced (the result is the same)."""
    sketch = sketch_keys(keys, line_width) if sketch is None else sketch
    style = sketch.style
    widths, fidelity = [], []
    for key, ink, drawing, measured in zip(keys, sketch.inks, sketch.drawings, sketch.measured):
        size = (key.shape[1], key.shape[0])
        width = measured
        if line_width is None and len(drawing):
            width = _matching_thickness(drawing, ink, measured, size)
        for stroke in drawing.strokes:
            if np.all(stroke.width == measured):  # a line, not a filled shape (those keep their own widths)
                stroke.width = np.full(stroke.n, width)
        widths.append(width)
        redrawn = render_drawing(drawing, size, ink=tuple(style.ink_rgb), transparent=style.transparent)
        # Compared inside the box around the key's ink, which holds the strokes traced from it and their width:
        # the same distances, without a full-frame conversion of two 1080p frames (0.7 s of a vector job).
        box = ink_box(ink, pad=int(np.ceil(width)) + 4) or (slice(None), slice(None))
        fidelity.append(chamfer_distance(redrawn[box], key[box]))
    return VectorKeys(sketch.drawings, style, widths, fidelity)


def _matching_thickness(drawing: Drawing, ink: np.ndarray, measured: float, size: tuple[int, int]) -> float:
    """The line width, in the renderer's steps (`WIDTH_STEP`), whose rendering lays down as much ink as the key
    (anti-aliased lines, overlaps and caps are not exactly their nominal width). Ink grows with the width, so
    the walk from the measured width goes one way until the gap stops shrinking."""
    target = float(ink.sum())
    lines = [s for s in drawing.strokes if np.all(s.width == measured)]
    saved = [s.width for s in lines]

    def gap(width: float) -> float:
        for stroke in lines:
            stroke.width = np.full(stroke.n, width)
        return float(render_coverage(drawing, size).sum()) - target

    # No wider than a pixel past the measured width: grain or tone read as ink must not fatten the lines.
    widest = float(np.ceil(measured)) + 1.0
    best = min(max(WIDTH_STEP, round(measured / WIDTH_STEP) * WIDTH_STEP), widest)
    best_gap = gap(best)
    step = -WIDTH_STEP if best_gap > 0 else WIDTH_STEP
    while WIDTH_STEP <= best + step <= widest:
        trial = gap(best + step)
        if abs(trial) >= abs(best_gap):
            break
        best, best_gap = best + step, trial
    for stroke, width in zip(lines, saved):
        stroke.width = width
    return best


def inbetween_vector(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float], *,
                     line_width: float | None = None, prepared: VectorKeys | None = None, flow_guide: bool = True,
                     progress: Progress | None = None,
                     cancel: Cancel | None = None, settings: StrokeSettings = DEFAULT_STROKES
                     ) -> list[np.ndarray]:
    """RGBA float32 frames at `times` (a key's own time gives a copy of that key). flow_guide: strokes
    without a confident match follow flow mode's motion (`guide.py`) instead of their uncertain partner.
    `settings`: how the strokes are matched and moved."""
    vk = prepared or vectorize_keys(keys, line_width)
    if not any(len(d) for d in vk.drawings):
        raise ValueError("the keys hold no line art to vectorise")
    engine = StrokeInbetweener(vk.drawings, key_times, settings=settings)
    guide = FlowGuide(keys, key_times, vk.style, line_width) if flow_guide else None
    size = (keys[0].shape[1], keys[0].shape[0])
    frames = []
    for n, t in enumerate(times):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {n} of {len(times)} frames")
        g = gap_of(list(key_times), float(t))
        if float(t) in [float(k) for k in key_times]:
            frames.append(np.array(keys[[float(k) for k in key_times].index(float(t))], dtype=np.float32))
        elif np.array_equal(keys[g], keys[g + 1]):  # a hold: the drawing itself, not a redrawing of it
            frames.append(np.array(keys[g], dtype=np.float32))
        else:
            frame = engine.frame(float(t))
            drawing = frame.drawing
            if guide is not None:
                u = (float(t) - float(key_times[g])) / (float(key_times[g + 1]) - float(key_times[g]))
                drawing = guided(frame, engine, g, u, guide, max(vk.widths[g], vk.widths[g + 1]))
            frames.append(render_drawing(drawing, size, ink=tuple(vk.style.ink_rgb),
                                         transparent=vk.style.transparent))
        if progress is not None:
            progress(n + 1, len(times), f"frame {n + 1}/{len(times)} at t={float(t):g}")
    return frames
