"""Region-painted drawings with exact boundary truth: the douga's real-illustration stand-in.

A drawing is a stack of shapes (ellipses, blobs, polygons, strips) painted in order on paper or on a
painted backdrop. Every shape is a base region and may carry a shade (a darker multiple of its
colour, the shape cut by a shifted copy of itself), a highlight (its colour mixed towards white) and
a colour band (another hue). The label map is drawn first, without anti-aliasing, so every pixel's
region is exact; the colours follow from the labels, and only then come the painter's touches:
outlines and small face-like marks in ink (dark or coloured), soft gradients inside regions, blur,
noise and JPEG. The truth is the region boundaries plus the drawn lines' centres (``boundary``) and
the ten douga classes (``classes``: drawn ink is a visible line, an undrawn boundary between tones of
one shape a shading or highlight line, between two colours a colour edge, against white paper the
outline, a visible line).

Families differ in how the picture is made; ``heldout`` uses shapes, palettes, line colours and
degradations that the others never use, and is never used for tuning. Same seed, same drawing.
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

from ..douga import schema as S
from ..douga.boundary import region_boundaries
from ..lines import skeletonize
from .paint import painted_background

FAMILIES: tuple[str, ...] = ("flat", "soft", "compressed", "heldout")
TUNING_FAMILIES: tuple[str, ...] = ("flat", "soft", "compressed")
GT_LINE_WIDTH = 3                 # px: the fixed width of lines in the class truth
BASE, SHADE, HIGHLIGHT, BAND = range(4)
_KIND_FILL = np.array([S.FLAT, S.SHADING_FILL, S.HIGHLIGHT_FILL, S.COLOR_FILL], np.uint8)
PAPER = 0                         # label of the paper (or backdrop) around the shapes


@dataclass(frozen=True)
class RegionCase:
    name: str
    family: str
    rgb: np.ndarray        # uint8 HxWx3: the drawing as seen
    labels: np.ndarray     # int32 HxW: region per pixel (0: paper or backdrop)
    ink: np.ndarray        # bool HxW: pixels under drawn lines
    boundary: np.ndarray   # bool HxW: region boundaries (one px) and drawn lines' centre lines
    classes: np.ndarray    # uint8 HxW: douga truth

    def rgba(self) -> np.ndarray:
        out = np.ones((*self.rgb.shape[:2], 4), np.float32)
        out[..., :3] = self.rgb.astype(np.float32) / 255.0
        return out


@dataclass(frozen=True)
class _Style:
    shapes: tuple[int, int]           # how many shapes
    outline_share: float              # share of shapes with an ink outline
    ink: tuple[float, float, float]   # line colour
    line_width: tuple[float, float]
    gradient: float                   # amplitude of the soft gradient inside regions (0: flat paint)
    marks: int                        # small face-like ink marks (eyes, mouths)
    polygons: bool                    # star / zig-zag polygons instead of ellipses and blobs
    backdrop: bool                    # painted backdrop instead of paper (its shapes have no truth lines)
    jpeg: int                         # JPEG quality (0: none)
    noise: float                      # sensor noise sigma (8-bit levels)
    blur: float                       # Gaussian sigma before the noise


_STYLES: dict[str, _Style] = {
    "flat": _Style((5, 9), 0.8, (0.1, 0.08, 0.1), (2.0, 3.0), 0.0, 3, False, False, 0, 0.0, 0.0),
    "soft": _Style((6, 10), 0.4, (0.35, 0.18, 0.2), (1.5, 2.5), 0.06, 4, False, False, 0, 1.5, 0.7),
    "compressed": _Style((5, 9), 0.6, (0.15, 0.12, 0.2), (2.0, 3.0), 0.03, 3, False, True, 70, 2.0, 0.5),
    "heldout": _Style((4, 8), 0.5, (0.25, 0.2, 0.45), (1.5, 3.5), 0.05, 5, True, True, 60, 2.5, 0.8),
}


def _colour(rng: np.random.Generator, held_out: bool) -> np.ndarray:
    """A paint colour: pastel to mid tones (held-out drawings use a wider, darker range)."""
    hue = rng.random()
    sat = rng.uniform(0.25, 0.85) if held_out else rng.uniform(0.2, 0.65)
    val = rng.uniform(0.45, 0.95) if held_out else rng.uniform(0.6, 0.97)
    return np.array(colorsys.hsv_to_rgb(hue, sat, val), np.float32)


def _band_colour(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another hue at least a quarter turn away from the base's."""
    h, s, v = colorsys.rgb_to_hsv(*base)
    hue = (h + rng.uniform(0.25, 0.75)) % 1.0
    return np.array(colorsys.hsv_to_rgb(hue, max(s, 0.45), min(max(v, 0.55), 0.95)), np.float32)


def _shape(rng: np.random.Generator, w: int, h: int, polygons: bool) -> np.ndarray:
    """A closed outline (Nx2 float px)."""
    centre = np.array([rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h])
    size = min(w, h) * rng.uniform(0.1, 0.3)
    if polygons:
        n = int(rng.integers(5, 9))
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = size * np.where(np.arange(n) % 2 == 0, 1.0, rng.uniform(0.4, 0.7, n))
    else:
        n = 64
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        wobble = np.sum([rng.uniform(0, 0.15) * np.cos(k * t + rng.uniform(0, 6.3)) for k in (2, 3, 5)], axis=0)
        radius = size * (1.0 + wobble)
    stretch = rng.uniform(0.5, 1.4)
    angle = rng.uniform(0, np.pi)
    pts = np.stack([radius * np.cos(t) * stretch, radius * np.sin(t)], 1)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return pts @ rot.T + centre


def _poly_mask(pts: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


def _paint_regions(rng: np.random.Generator, w: int, h: int, style: _Style, held_out: bool
                   ) -> tuple[np.ndarray, list[int], list[int], list[np.ndarray], list[tuple[int, np.ndarray]]]:
    """Labels, each label's kind and owner shape, colours, and each shape's (number, outline)."""
    labels = np.zeros((h, w), np.int32)
    kinds, owners, colours = [BASE], [-1], [np.ones(3, np.float32)]
    outlines = []
    for number in range(int(rng.integers(*style.shapes))):
        pts = _shape(rng, w, h, style.polygons)
        inside = _poly_mask(pts, (h, w))
        if inside.sum() < 200:
            continue
        base = _colour(rng, held_out)

        def add(mask: np.ndarray, kind: int, colour: np.ndarray, owner: int = number) -> None:
            labels[mask] = len(kinds)
            kinds.append(kind)
            owners.append(owner)
            colours.append(colour)

        base_label = len(kinds)
        add(inside, BASE, base)
        outlines.append((number, pts))
        size = np.sqrt(inside.sum())
        light = rng.normal(size=2)
        light /= np.linalg.norm(light)
        if rng.random() < 0.8:  # the shade: the part not covered by a copy shifted towards the light
            shade = inside & ~_poly_mask(pts + light * size * rng.uniform(0.12, 0.3), (h, w))
            add(shade, SHADE, base * rng.uniform(0.55, 0.8))
        if rng.random() < 0.45:  # a highlight rim on the lit side
            rim = (labels == base_label) & ~_poly_mask(pts - light * size * rng.uniform(0.06, 0.12), (h, w))
            add(rim, HIGHLIGHT, base + rng.uniform(0.4, 0.7) * (1.0 - base))
        if rng.random() < 0.35:  # a colour band across the shape
            c = pts.mean(axis=0)
            normal = rng.normal(size=2)
            normal /= np.linalg.norm(normal)
            yy, xx = np.mgrid[0:h, 0:w]
            d = (xx - c[0]) * normal[0] + (yy - c[1]) * normal[1]
            lo = rng.uniform(-0.4, 0.2) * size
            add(inside & (d > lo) & (d < lo + rng.uniform(0.1, 0.25) * size), BAND, _band_colour(base, rng))
    # Shapes painted over others can leave a label with no pixel: harmless (it has no boundary).
    return labels, kinds, owners, colours, outlines


def _marks(rng: np.random.Generator, labels: np.ndarray, count: int) -> list[np.ndarray]:
    """Small open strokes (eyes, mouths, nose ticks) inside painted regions."""
    h, w = labels.shape
    ys, xs = np.nonzero(labels > 0)
    out = []
    for _ in range(count if ys.size else 0):
        i = int(rng.integers(ys.size))
        centre = np.array([xs[i], ys[i]], float)
        length = min(h, w) * rng.uniform(0.015, 0.04)
        t = np.linspace(-1, 1, 9)
        bend = rng.uniform(-0.5, 0.5)
        angle = rng.uniform(0, np.pi)
        pts = np.stack([t * length, bend * length * (1 - t ** 2)], 1)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        out.append(pts @ rot.T + centre)
    return out


def _region_gradient(rng: np.random.Generator, labels: np.ndarray, amplitude: float) -> np.ndarray:
    """A soft lighting ramp across the picture (multiplies the paint), flat where amplitude is 0."""
    h, w = labels.shape
    if amplitude <= 0:
        return np.ones((h, w, 1), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.normal(size=2)
    ramp = (xx * direction[0] + yy * direction[1]) / (np.abs(direction).sum() * max(h, w))
    return (1.0 + amplitude * (ramp - ramp.mean()) * 2.0)[..., None]


def _boundary_classes(labels: np.ndarray, kinds: np.ndarray, owners: np.ndarray, on_paper: bool) -> np.ndarray:
    """Undrawn boundaries classed by their two regions, drawn GT_LINE_WIDTH wide; against white paper
    (``on_paper``) a shape's undrawn edge is its outline, against a painted backdrop a colour edge."""
    pair = np.full((4, 4), S.COLOR_EDGE, np.uint8)
    pair[BASE, SHADE] = pair[SHADE, BASE] = S.SHADING_LINE
    pair[SHADE, HIGHLIGHT] = pair[HIGHLIGHT, SHADE] = S.SHADING_LINE
    pair[BASE, HIGHLIGHT] = pair[HIGHLIGHT, BASE] = S.HIGHLIGHT_LINE
    marks = np.zeros(labels.shape, np.uint8)
    for a, b, at in ((labels[:, :-1], labels[:, 1:], (slice(None), slice(0, -1))),
                     (labels[:-1, :], labels[1:, :], (slice(0, -1), slice(None)))):
        differ = a != b
        same_shape = owners[a] == owners[b]
        cls = np.where(same_shape, pair[kinds[a], kinds[b]], S.COLOR_EDGE)
        if on_paper:
            cls = np.where((a == PAPER) | (b == PAPER), S.VISIBLE_LINE, cls)
        view = marks[at]
        np.maximum(view, np.where(differ, cls, 0).astype(np.uint8), out=view)
    out = np.zeros(labels.shape, np.uint8)
    kernel = np.ones((GT_LINE_WIDTH, GT_LINE_WIDTH), np.uint8)
    for line_class in (S.SHADING_LINE, S.HIGHLIGHT_LINE, S.COLOR_EDGE, S.VISIBLE_LINE):
        out[cv2.dilate((marks == line_class).astype(np.uint8), kernel) > 0] = line_class
    return out


def region_case(seed: int, index: int, family: str = "flat", size: tuple[int, int] = (640, 480)) -> RegionCase:
    """One drawing with exact region and class truth; ``size`` is (width, height)."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}")
    style = _STYLES[family]
    w, h = size
    rng = np.random.default_rng([seed, index, FAMILIES.index(family)])
    held_out = family == "heldout"
    labels, kinds_l, owners_l, colours_l, outlines = _paint_regions(rng, w, h, style, held_out)
    kinds, owners = np.array(kinds_l, np.intp), np.array(owners_l, np.intp)
    palette = np.array(colours_l, np.float32)
    if style.backdrop:  # a painted backdrop: the paper's region, with no boundary inside it
        paper = painted_background(h, w, rng)
    else:
        paper = np.ones((h, w, 3), np.float32)
    rgb = np.where((labels > 0)[..., None], palette[labels] * _region_gradient(rng, labels, style.gradient), paper)
    # Ink: outlines of some shapes and small marks, anti-aliased.
    ink_cover = np.zeros((h, w), np.uint8)
    for number, pts in outlines:
        if rng.random() < style.outline_share:
            line = np.zeros((h, w), np.uint8)
            width = round(rng.uniform(*style.line_width))
            cv2.polylines(line, [np.round(pts * 16).astype(np.int32)], True, 255, max(width, 1), cv2.LINE_AA, 4)
            # Shapes painted later hide this outline, except where it is their own edge.
            later = (owners[labels] > number) & (cv2.erode((owners[labels] > number).astype(np.uint8),
                                                           np.ones((3, 3), np.uint8)) > 0)
            np.maximum(ink_cover, np.where(later, 0, line).astype(np.uint8), out=ink_cover)
    for pts in _marks(rng, labels, style.marks):
        width = round(rng.uniform(*style.line_width))
        cv2.polylines(ink_cover, [np.round(pts * 16).astype(np.int32)], False, 255, max(width, 1), cv2.LINE_AA, 4)
    a = (ink_cover.astype(np.float32) / 255.0)[..., None]
    rgb = rgb * (1 - a) + np.asarray(style.ink, np.float32) * a
    ink = ink_cover >= 128
    # Outside the shapes a painted backdrop has no truth boundaries: its pixels are all label 0.
    boundary = region_boundaries(labels) | skeletonize(ink)
    classes = np.where(labels > 0, _KIND_FILL[kinds[labels]], S.FLAT).astype(np.uint8)
    lines = _boundary_classes(labels, kinds, owners, not style.backdrop)
    classes[lines > 0] = lines[lines > 0]
    classes[ink] = S.VISIBLE_LINE
    u8 = _degrade(np.clip(rgb, 0, 1), style, rng)
    return RegionCase(f"regions-{family}-{h}p-{index:02d}", family, u8, labels, ink, boundary, classes)


def _degrade(rgb: np.ndarray, style: _Style, rng: np.random.Generator) -> np.ndarray:
    out: np.ndarray = rgb.astype(np.float32)
    if style.blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), style.blur)
    u8: np.ndarray = np.clip(np.rint(out * 255.0 + rng.normal(0, style.noise, out.shape) if style.noise
                                     else out * 255.0), 0, 255).astype(np.uint8)
    if style.jpeg:
        _, data = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, style.jpeg])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if decoded is None:  # cannot happen for bytes imencode just wrote
            raise RuntimeError("JPEG round trip failed")
        u8 = decoded[..., ::-1].copy()
    return u8


def region_suite(family: str, n_cases: int = 4, seed: int = 0, size: tuple[int, int] = (640, 480)) -> list[RegionCase]:
    return [region_case(seed, i, family, size) for i in range(n_cases)]
