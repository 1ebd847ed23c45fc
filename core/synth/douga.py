"""Cel-shaded figures with exact douga ground truth (the ten classes of ``nakawari.douga.schema``).

The mannequin rig is posed as in the cel suite and painted shape by shape in painter's order; beside
the colours, every painted pixel records which *region* it belongs to (a shape's base fill, its hard
shade, a rim highlight, an unoutlined colour band) and how much ink covers it. The class map follows
from that bookkeeping: ink is a visible line; a boundary between two regions of one shape that no ink
covers is a shading line, highlight line or colour edge (drawn at the fixed douga width); region
interiors are flat area, shading, highlight or colour fill; an occluding "book" layer in front gives
book lines and fills. Frames sit on white paper, on a transparent layer, or on a painted background
with distractors (``paint.py``), optionally degraded (JPEG, blur, noise).
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..douga import schema as S
from .cels import CEL_PALETTES, cel_motion
from .paint import DEGRADATIONS, add_distractors, degrade, painted_background
from .rig import SHIFT, Palette, place

BACKDROPS = ("painted", "paper", "transparent")
GT_LINE_WIDTH = 3  # px: the fixed width of undrawn boundary lines in the ground truth
FIGURE_LINE_WIDTHS = (2, 3, 2, 4)  # drawn outline width per case, cycled (px at any size)
BAND_COLOURS = ((0.92, 0.42, 0.42), (0.4, 0.62, 0.92), (0.45, 0.8, 0.5), (0.95, 0.72, 0.3), (0.72, 0.52, 0.92))
HIGHLIGHT_MIX = 0.55  # highlight tone = fill blended this far towards white
BASE, SHADE, HIGHLIGHT, BAND = range(4)  # region kinds
_KIND_FILL = np.array([S.FLAT, S.SHADING_FILL, S.HIGHLIGHT_FILL, S.COLOR_FILL], np.uint8)


@dataclass(frozen=True)
class DougaCase:
    name: str
    rgb: np.ndarray               # uint8 HxWx3: the frame as seen (over paper / background)
    alpha: np.ndarray | None      # float32 HxW cel coverage when the frame is a transparent layer
    classes: np.ndarray           # uint8 HxW ground truth
    book: np.ndarray | None       # float32 HxWx4 static foreground layer in front of the cel, if any
    line_width: float             # drawn outline width in px

    def rgba(self) -> np.ndarray:
        """The frame as an engine RGBA image (alpha 1 unless it is a transparent layer)."""
        out = np.empty((*self.rgb.shape[:2], 4), np.float32)
        out[..., :3] = self.rgb.astype(np.float32) / 255.0
        out[..., 3] = 1.0 if self.alpha is None else self.alpha
        return out


class _Canvas:
    """Colour, ink coverage, cel coverage and region ids, painted together."""

    def __init__(self, background: np.ndarray) -> None:
        h, w = background.shape[:2]
        self.rgb = background.astype(np.float32).copy()
        self.ink = np.zeros((h, w), np.float32)
        self.cel = np.zeros((h, w), np.float32)
        self.region = np.zeros((h, w), np.int32)  # 0: no region (outside the cel)
        self.kinds: list[int] = [BASE]
        self.owners: list[int] = [-1]

    def new_region(self, kind: int, owner: int) -> int:
        self.kinds.append(kind)
        self.owners.append(owner)
        return len(self.kinds) - 1

    def box(self, pts: np.ndarray, pad: float) -> tuple[slice, slice, np.ndarray] | None:
        h, w = self.ink.shape
        x0, y0 = np.floor(pts.min(axis=0) - pad).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0) + pad).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return None
        return slice(y0, y1), slice(x0, x1), np.array([x0, y0], np.float64)

    def paint(self, box: tuple[slice, slice, np.ndarray], cover: np.ndarray, colour, region: int | None,
              ink: bool = False, cel: bool = True) -> None:
        ys, xs, _ = box
        a = cover[..., None]
        self.rgb[ys, xs] = self.rgb[ys, xs] * (1.0 - a) + np.asarray(colour, np.float32) * a
        if ink:
            self.ink[ys, xs] += cover * (1.0 - self.ink[ys, xs])
        else:
            self.ink[ys, xs] *= 1.0 - cover
        if cel:
            self.cel[ys, xs] += cover * (1.0 - self.cel[ys, xs])
        if region is not None:
            self.region[ys, xs][cover >= 0.5] = region


def _cover(pts: np.ndarray, box: tuple[slice, slice, np.ndarray], stroke: float = 0.0,
           closed: bool = True) -> np.ndarray:
    """Anti-aliased coverage of a polygon (``stroke`` 0) or polyline of that thickness, inside ``box``."""
    ys, xs, origin = box
    m = np.zeros((ys.stop - ys.start, xs.stop - xs.start), np.uint8)
    p = np.round((pts - origin) * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)
    if stroke > 0:
        cv2.polylines(m, [p], closed, 255, max(1, int(round(stroke))), cv2.LINE_AA, SHIFT)
    else:
        cv2.fillPoly(m, [p], 255, cv2.LINE_AA, SHIFT)
    return m.astype(np.float32) * (1.0 / 255.0)


def _highlight_tone(rgb) -> tuple[float, float, float]:
    return tuple(float(c + HIGHLIGHT_MIX * (1.0 - c)) for c in rgb)  # type: ignore[return-value]


def _band_colour(base, rng: np.random.Generator) -> tuple[float, float, float]:
    """A band colour whose hue is far from the base fill's (an unoutlined colour change, not a shade)."""
    hue = colorsys.rgb_to_hsv(*base)[0]
    unit = np.asarray(base) / np.linalg.norm(base)

    def far(colour) -> bool:
        turn = abs(colorsys.rgb_to_hsv(*colour)[0] - hue)
        angle = np.degrees(np.arccos(np.clip(unit @ colour / np.linalg.norm(colour), -1.0, 1.0)))
        dark, light = sorted((np.asarray(base), np.asarray(colour)), key=lambda c: float(c.mean()))
        return min(turn, 1.0 - turn) > 0.12 and angle > 10.0 and min(
            _misfit(dark, light), _misfit(1.0 - light, 1.0 - dark)) > 0.1

    choices = [c for c in BAND_COLOURS if far(c)]
    return choices[int(rng.integers(len(choices)))]


def _misfit(a: np.ndarray, b: np.ndarray) -> float:
    """Distance of ``a`` from its best multiple of ``b``: a band must not pass for a shade or highlight."""
    return float(np.linalg.norm(a - (a @ b) / (b @ b) * b))


def _thickness(pts: np.ndarray) -> float:
    """Width of a shape across its long axis, px."""
    centre = pts.mean(axis=0)
    _, _, axes = np.linalg.svd(pts - centre, full_matrices=False)
    return float(np.ptp((pts - centre) @ axes[1]))


def _band_polygon(world_px: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A strip across a shape, perpendicular to its long axis (a sleeve stripe, a trouser band)."""
    centre = world_px.mean(axis=0)
    _, _, axes = np.linalg.svd(world_px - centre, full_matrices=False)
    along, across = axes[0], axes[1]
    extent = np.abs((world_px - centre) @ along).max()
    s0 = rng.uniform(-0.5, 0.3) * extent
    s1 = s0 + rng.uniform(0.18, 0.3) * extent
    reach = 4.0 * extent
    return np.array([centre + s0 * along - reach * across, centre + s1 * along - reach * across,
                     centre + s1 * along + reach * across, centre + s0 * along + reach * across])


def _paint_figure(canvas: _Canvas, seed: int, index: int, size: tuple[int, int], line_width: float,
                  rng: np.random.Generator) -> None:
    motion = cel_motion(seed, index)
    palette: Palette = motion.palette or CEL_PALETTES[0]
    w, h = size
    pose = motion.pose_at(0.0)
    camera = motion.camera(w / h)
    ink_rgb = palette.ink
    for number, ps in enumerate(place(motion.rig, pose, with_shade=True)):
        sh = ps.shape
        pts = camera.to_pixels(ps.world, h)
        box = canvas.box(pts, line_width + 2)
        if box is None:
            continue
        material = sh.material or motion.rig.parts[ps.part].material
        if sh.fill is not None and sh.closed:
            fill = _cover(pts, box)
            if sh.fill == "ink":  # a pupil: solid ink, a visible line in douga terms
                canvas.paint(box, fill, ink_rgb, canvas.new_region(BASE, number), ink=True)
            else:
                base = palette.fill(material)
                canvas.paint(box, fill, base, canvas.new_region(BASE, number))
                shade = np.zeros_like(fill)
                if ps.shade_world is not None:
                    shade = _cover(camera.to_pixels(ps.shade_world, h), box) * fill
                    canvas.paint(box, shade, palette.shade(material), canvas.new_region(SHADE, number))
                    lit = pts.mean(axis=0) - camera.to_pixels(ps.shade_world, h).mean(axis=0)
                    wants_rim = material == "hair" or rng.random() < 0.35
                    if wants_rim and np.linalg.norm(lit) > 1e-6:
                        shift = lit / np.linalg.norm(lit) * max(4.0, 0.3 * _thickness(pts))
                        rim = fill * (1.0 - _cover(pts - shift, box)) * (1.0 - shade)
                        canvas.paint(box, rim, _highlight_tone(base), canvas.new_region(HIGHLIGHT, number))
                if material in ("shirt", "pants") and rng.random() < 0.4:
                    band = _cover(_band_polygon(pts, rng), box) * fill
                    canvas.paint(box, band, _band_colour(base, rng), canvas.new_region(BAND, number))
        if sh.stroke:
            canvas.paint(box, _cover(pts, box, line_width, sh.closed), ink_rgb, None, ink=True)


def _book_layer(size: tuple[int, int], rng: np.random.Generator, line_width: float) -> np.ndarray:
    """A static foreground object (a table edge or a post) as RGBA: flat fill, ink outline."""
    w, h = size
    if rng.random() < 0.5:  # table edge across the bottom
        top = h * rng.uniform(0.72, 0.85)
        pts = np.array([[-10, top + rng.uniform(-0.05, 0.05) * h], [w + 10, top + rng.uniform(-0.05, 0.05) * h],
                        [w + 10, h + 10], [-10, h + 10]])
    else:  # a post at one side
        x0 = w * rng.uniform(0.05, 0.75)
        x1 = x0 + w * rng.uniform(0.06, 0.14)
        pts = np.array([[x0, -10], [x1, -10], [x1 + rng.uniform(-0.03, 0.03) * w, h + 10], [x0, h + 10]])
    colour = rng.uniform(0.45, 0.85, 3)
    layer = _Canvas(np.broadcast_to(colour, (h, w, 3)))
    whole = (slice(0, h), slice(0, w), np.zeros(2))
    layer.paint(whole, _cover(pts, whole), colour, 1)
    layer.paint(whole, _cover(pts, whole, line_width, True), (0.1, 0.08, 0.1), None, ink=True)
    rgba = np.empty((h, w, 4), np.float32)
    rgba[..., :3] = layer.rgb
    rgba[..., 3] = layer.cel
    return rgba


def _boundary_classes(region: np.ndarray, kinds: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Undrawn boundaries between regions of one shape, classified and drawn GT_LINE_WIDTH wide."""
    pair_class = np.zeros((4, 4), np.uint8)
    pair_class[BASE, SHADE] = pair_class[SHADE, BASE] = S.SHADING_LINE
    pair_class[SHADE, HIGHLIGHT] = pair_class[HIGHLIGHT, SHADE] = S.SHADING_LINE
    pair_class[BASE, HIGHLIGHT] = pair_class[HIGHLIGHT, BASE] = S.HIGHLIGHT_LINE
    pair_class[BAND, :] = pair_class[:, BAND] = S.COLOR_EDGE
    marks = np.zeros(region.shape, np.uint8)
    for a, b, at in ((region[:, :-1], region[:, 1:], (slice(None), slice(0, -1))),
                     (region[:-1, :], region[1:, :], (slice(0, -1), slice(None)))):
        edge = (a != b) & (a > 0) & (b > 0) & (owners[a] == owners[b])
        cls = np.where(edge, pair_class[kinds[a], kinds[b]], 0).astype(np.uint8)
        view = marks[at]
        np.maximum(view, cls, out=view)  # class indices order the overlaps deterministically
    out = np.zeros(region.shape, np.uint8)
    kernel = np.ones((GT_LINE_WIDTH, GT_LINE_WIDTH), np.uint8)
    for line_class in (S.SHADING_LINE, S.HIGHLIGHT_LINE, S.COLOR_EDGE):
        out[cv2.dilate((marks == line_class).astype(np.uint8), kernel) > 0] = line_class
    return out


def _class_map(canvas: _Canvas, book: np.ndarray | None) -> np.ndarray:
    kinds = np.array(canvas.kinds, np.intp)
    owners = np.array(canvas.owners, np.intp)
    classes = np.where(canvas.region > 0, _KIND_FILL[kinds[canvas.region]], S.FLAT).astype(np.uint8)
    lines = _boundary_classes(canvas.region, kinds, owners)
    inside = (lines > 0) & (canvas.region > 0)
    classes[inside] = lines[inside]
    classes[canvas.ink >= 0.5] = S.VISIBLE_LINE
    if book is not None:
        covered = book[..., 3] >= 0.5
        dark = book[..., :3].mean(axis=2) < 0.45
        classes[covered] = S.BOOK_FILL
        classes[covered & dark] = S.BOOK_LINE
    return classes


def douga_case(seed: int, index: int, size: tuple[int, int] = (960, 540), backdrop: str = "painted",
               book: bool | None = None) -> DougaCase:
    """One frame with exact douga classes; ``size`` is (width, height). ``book``: default every other case."""
    if backdrop not in BACKDROPS:
        raise ValueError(f"backdrop must be one of {BACKDROPS}")
    w, h = size
    # Separate streams: the same figure whatever the backdrop or book.
    figure_rng, backdrop_rng, book_rng = (np.random.default_rng([seed, index, 3, k]) for k in range(3))
    lw = float(FIGURE_LINE_WIDTHS[index % len(FIGURE_LINE_WIDTHS)])
    background = (painted_background(h, w, backdrop_rng) if backdrop == "painted" else np.ones((h, w, 3), np.float32))
    if backdrop == "painted":
        background = add_distractors(background, backdrop_rng)
    canvas = _Canvas(background)
    _paint_figure(canvas, seed, index, size, lw, figure_rng)
    with_book = (index % 2 == 1) if book is None else book
    layer = _book_layer(size, book_rng, lw) if with_book and backdrop != "transparent" else None
    classes = _class_map(canvas, layer)
    rgb = canvas.rgb
    alpha = None
    if backdrop == "transparent":
        alpha = canvas.cel.copy()
    if layer is not None:
        a = layer[..., 3:4]
        rgb = rgb * (1.0 - a) + layer[..., :3] * a
    rgb_u8 = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    if alpha is not None:
        rgb_u8[alpha <= 0] = 255
    return DougaCase(f"douga-{backdrop}-{h}p-{index:02d}", rgb_u8, alpha, classes, layer, lw)


def degraded(case: DougaCase, kind: str, seed: int = 0) -> DougaCase:
    """The same case after one of ``paint.DEGRADATIONS`` (ground truth unchanged)."""
    rng = np.random.default_rng([seed, sum(map(ord, case.name)), DEGRADATIONS.index(kind)])
    return replace(case, name=f"{case.name}-{kind}", rgb=degrade(case.rgb, rng, kind))


def douga_suite(size: tuple[int, int] = (960, 540), n_cases: int = 6, seed: int = 0,
                backdrop: str = "painted", degrade_frames: bool = False) -> list[DougaCase]:
    """``n_cases`` frames (books in every other one); with ``degrade_frames`` each is degraded in turn
    by JPEG 60/75/90, blur and noise."""
    cases = [douga_case(seed, i, size, backdrop) for i in range(n_cases)]
    if degrade_frames:
        cases = [degraded(c, DEGRADATIONS[i % len(DEGRADATIONS)], seed) for i, c in enumerate(cases)]
    return cases
