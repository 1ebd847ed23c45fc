"""Colour frame → douga class per pixel, by reading cel shading as flat regions and their relations.

Cel-shaded art is flat colour regions separated by drawn ink (visible lines: dark and thin) or by
undrawn boundaries. An undrawn boundary between two tones of one base colour is a shading line (the
other side is a darker tone: the shade, a multiple of the base colour) or a highlight line (a lighter
tone: the base mixed towards white); between two different colours it is a colour edge. In a group of
tones of one colour the base (flat area) is the lit side of its shading boundaries and the unlit side of
its highlight boundaries; darker tones are shading fills, lighter ones highlight fills; a colour group
bordered by a larger one across colour edges is a colour fill.
Textured or gradient regions (painted backgrounds) are not cel paint and stay flat area.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy import sparse

from ..cels import cel_mask
from ..image import LUMA
from . import schema as S
from .edges import joined_to, paint_edges
from .settings import DEFAULT_DOUGA, DougaSettings


def cel_region(rgba: np.ndarray, book: np.ndarray | None = None, cel: np.ndarray | None = None,
               settings: DougaSettings = DEFAULT_DOUGA) -> tuple[np.ndarray, np.ndarray]:
    """(pixels analysed as cel paint, pixels where dark strokes count as lines); never the book.

    A frame with alpha: the layer's coverage for both. An opaque frame: everything is analysed (painted
    backgrounds fail the flatness test on regions by themselves, and the cel mask tends to drop whole
    parts of a figure from compressed frames), but ink must lie near the cel mask, which keeps dark
    brush strokes of the background from becoming lines. Where the cel separation finds no cel, ink
    anywhere counts. ``cel``: the frame's cel mask when the caller has one (HxW bool); it
    replaces the cels module's guess.
    """
    alpha = rgba[..., 3]
    if float(alpha.min()) < 1.0:
        analysed = alpha >= 0.02
        gate = analysed.copy()
    else:
        analysed = np.ones(alpha.shape, bool)
        mask = np.asarray(cel_mask(np.ascontiguousarray(rgba[..., :3])) if cel is None else cel, bool)
        if cel is None and not mask.any():  # the cel separation found no cel: no gate
            gate = analysed.copy()
        else:
            reach = settings.ink_gate * alpha.shape[0] / 540
            gate = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) <= reach
    if book is not None:
        analysed &= book[..., 3] < 0.5
        gate &= analysed
    return analysed, gate


def detect_ink(gray: np.ndarray, allowed: np.ndarray, settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """Dark, thin strokes and small solid ink blobs: darker than midway between ink and the paint around
    them; only in (or one pixel around) the ``allowed`` pixels. The paint around is a closing, which fills
    only marks narrower than its window: the inner rim of a large dark paint region is not ink."""
    around = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13)))
    ink = (gray < 0.5 * (around + settings.ink_level)) & (around - gray > settings.ink_contrast) & (gray < 0.55)
    # Lines on the edge of a transparent cel are half-covered: look just outside it too.
    return ink & cv2.dilate(allowed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _regions(lab: np.ndarray, free: np.ndarray, settings: DougaSettings) -> tuple[np.ndarray, int]:
    """Connected flat-colour cores of the ``free`` pixels, split where the colour jumps (labels, count);
    transition pixels between cores and pieces under ``min_region`` are 0."""
    jump = np.zeros(free.shape, bool)
    for step, at in (((slice(None), slice(2, None)), (slice(None), slice(1, -1))),
                     ((slice(2, None), slice(None)), (slice(1, -1), slice(None)))):
        back = tuple(slice(None, -2) if s.start == 2 else s for s in step)
        d = lab[step] - lab[back]
        jump[at] |= np.einsum("ijk,ijk->ij", d, d) > settings.edge_delta ** 2
    jump &= free
    if settings.min_edge > 1:
        # Compression speckles make short isolated jumps; real boundaries are long connected curves.
        _, pieces, stats, _ = cv2.connectedComponentsWithStats(jump.astype(np.uint8), connectivity=8)
        long_piece = stats[:, cv2.CC_STAT_AREA] >= settings.min_edge
        long_piece[0] = False
        jump = long_piece[pieces]
    count, labels = cv2.connectedComponents((free & ~jump).astype(np.uint8), connectivity=4)
    area = np.bincount(labels.ravel(), minlength=count)
    keep = area >= settings.min_region
    keep[0] = False
    labels[~keep[labels]] = 0
    return labels, count


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _grow(cores: np.ndarray, free: np.ndarray, lab: np.ndarray, mean_lab: np.ndarray, steps: int) -> np.ndarray:
    """Hand each transition pixel to the neighbouring region whose colour it is closest to, a ring at a
    time, so two regions meet where the anti-aliased edge is half one and half the other."""
    labels = cores.copy()
    h, w = labels.shape
    for _ in range(steps):
        todo = free & (labels == 0) & (cv2.dilate((labels > 0).astype(np.uint8), _CROSS) > 0)
        if not todo.any():
            break
        ys, xs = np.nonzero(todo)
        best = np.zeros(ys.size, labels.dtype)
        best_d = np.full(ys.size, np.inf, np.float32)
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            ny, nx = np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)
            cand = labels[ny, nx]
            d = np.where(cand > 0, np.linalg.norm(lab[ys, xs] - mean_lab[cand], axis=1), np.inf)
            better = d < best_d
            best[better], best_d[better] = cand[better], d[better]
        labels[ys, xs] = best
    return labels


def _region_stats(labels: np.ndarray, count: int, lab: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per label: area, colour spread (Lab std, all channels), mean Lab and mean RGB (from the mean Lab)."""
    flat = labels.ravel()
    area = np.bincount(flat, minlength=count).astype(np.float64)
    safe = np.maximum(area, 1.0)
    mean_lab = np.stack([np.bincount(flat, lab[..., c].ravel(), count) for c in range(3)], 1) / safe[:, None]
    square = np.bincount(flat, np.einsum("ijk,ijk->ij", lab, lab).ravel(), count) / safe
    std = np.sqrt(np.maximum(square - (mean_lab ** 2).sum(axis=1), 0.0))
    mean_rgb = cv2.cvtColor(mean_lab.astype(np.float32)[None], cv2.COLOR_Lab2RGB)[0].astype(np.float64)
    return area, std, mean_lab, mean_rgb


def _misfit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """RGB distance of ``a`` from its best multiple of ``b`` (row-wise): 0 when a = k · b."""
    k = (a * b).sum(-1) / np.maximum((b * b).sum(-1), 1e-9)
    return np.linalg.norm(a - k[:, None] * b, axis=-1)


def _pairs(labels: np.ndarray) -> tuple[np.ndarray, list[tuple[tuple[slice, slice], np.ndarray, np.ndarray]]]:
    """Unique adjacent label pairs (a < b) and, per direction, where they touch."""
    sites = []
    found = []
    for at, a, b in (((slice(None), slice(0, -1)), labels[:, :-1], labels[:, 1:]),
                     ((slice(0, -1), slice(None)), labels[:-1, :], labels[1:, :])):
        touch = (a != b) & (a > 0) & (b > 0)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        sites.append((at, touch, lo.astype(np.int64) * (1 << 31) + hi))
        found.append(sites[-1][2][touch])
    keys = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return keys, sites


class _Groups:
    """Union-find over region labels (tones of one base colour)."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _same_paint(mean_lab: np.ndarray, a_idx: np.ndarray, b_idx: np.ndarray, valid: np.ndarray,
                same_paint: float) -> np.ndarray:
    """Per label, a representative label of its paint: regions within ``same_paint`` ΔE of each other that
    touch or share a neighbour (one fill cut in two by an unoutlined band) are one paint."""
    count = len(mean_lab)
    groups = _Groups(count)
    if a_idx.size:
        touch = sparse.coo_matrix((np.ones(a_idx.size, bool), (a_idx, b_idx)), shape=(count, count)).tocsr()
        touch = touch + touch.T
        near = sparse.triu(touch + touch @ touch, 1).tocoo()
        close = np.linalg.norm(mean_lab[near.row] - mean_lab[near.col], axis=1) < same_paint
        close &= valid[near.row] & valid[near.col]
        for i, j in zip(near.row[close], near.col[close]):
            groups.union(int(i), int(j))
    return np.array([groups.find(i) for i in range(count)])


def classify_regions(cores: np.ndarray, count: int, free: np.ndarray, lab: np.ndarray,
                     settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """Douga classes of the cel's fills and undrawn boundaries (line classes drawn ``boundary_width`` wide).

    Colours and flatness are measured on the region cores (no anti-aliased transition pixels)."""
    area, std, mean_lab, mean_rgb = _region_stats(cores, count, lab)
    cel_paint = (std <= settings.flat_std) & (area > 0)
    cel_paint[0] = False
    cores = np.where(cel_paint[cores], cores, 0)
    labels = _grow(cores, free, lab, mean_lab, settings.grow_steps)
    keys, sites = _pairs(labels)
    a_idx = (keys >> 31).astype(np.intp)
    b_idx = (keys & ((1 << 31) - 1)).astype(np.intp)
    ca, cb = mean_rgb[a_idx], mean_rgb[b_idx]
    luma = LUMA.astype(np.float64)
    a_darker = ca @ luma < cb @ luma
    dark = np.where(a_darker[:, None], ca, cb)
    light = np.where(a_darker[:, None], cb, ca)
    shade_misfit = _misfit(dark, light)                # dark ≈ k · light
    highlight_misfit = _misfit(1.0 - light, 1.0 - dark)  # light ≈ dark mixed towards white
    ratio = (dark @ luma) / np.maximum(light @ luma, 1e-6)
    family = (((shade_misfit < settings.shade_misfit) & (ratio > 0.45))
              | (highlight_misfit < settings.highlight_misfit))
    # A pale colour and its shade can pass both tests: the closer fit (relative to its tolerance) decides.
    highlight_pair = family & (highlight_misfit / settings.highlight_misfit < shade_misfit / settings.shade_misfit)
    shade_pair = family & ~highlight_pair

    # Pieces of one paint (a fill cut in two by a band) belong together, and tones of one colour join
    # across their shading and highlight boundaries.
    paint = _same_paint(mean_lab, a_idx, b_idx, cel_paint, settings.same_paint)
    groups = _Groups(count)
    for a, b in zip(np.arange(count), paint):
        groups.union(int(a), int(b))
    for a, b in zip(a_idx[family], b_idx[family]):
        groups.union(int(a), int(b))
    root = np.array([groups.find(i) for i in range(count)])
    group_area = np.bincount(root, area, minlength=count)
    # The base paint of a group is the lit side of its shade boundaries and the unlit side of its
    # highlight boundaries; votes weigh by boundary length, ties go to the larger paint.
    length = np.zeros(len(keys))
    for _, touch, key in sites:
        np.add.at(length, np.searchsorted(keys, key[touch]), 1.0)
    dark_idx = np.where(a_darker, a_idx, b_idx)
    light_idx = np.where(a_darker, b_idx, a_idx)
    vote = np.zeros(count)
    np.add.at(vote, paint[np.where(shade_pair, light_idx, dark_idx)[family]], length[family])
    np.add.at(vote, paint[np.where(shade_pair, dark_idx, light_idx)[family]], -length[family])
    paint_area = np.bincount(paint, area, minlength=count)
    is_paint = paint == np.arange(count)
    order = np.flatnonzero(is_paint)[np.lexsort((-paint_area[is_paint], -vote[is_paint], root[is_paint]))]
    base = np.zeros(count, np.intp)
    base[root[order[::-1]]] = order[::-1]  # last write wins: the best-voted paint of each group
    paint_luma = np.bincount(paint, area * (mean_rgb @ luma), minlength=count) / np.maximum(paint_area, 1e-9)
    step = paint_luma[paint] - paint_luma[base[root]]
    fill = np.full(count, S.FLAT, np.uint8)
    fill[step < -settings.tone_step] = S.SHADING_FILL
    fill[step > settings.tone_step] = S.HIGHLIGHT_FILL
    # A colour group bordered by a larger colour group across a colour edge is a colour fill.
    colour = ~family
    ra, rb = root[a_idx[colour]], root[b_idx[colour]]
    smaller = np.where(group_area[ra] < group_area[rb], ra, rb)
    is_colour_fill = np.zeros(count, bool)
    is_colour_fill[smaller] = True
    fill[is_colour_fill[root]] = S.COLOR_FILL
    # White paper is the flat area around the drawing, whatever colours it borders.
    paper = (mean_lab[:, 0] > settings.paper_l) & (np.hypot(mean_lab[:, 1], mean_lab[:, 2]) < settings.paper_chroma)
    fill[paper[paint]] = S.FLAT
    fill[0] = S.FLAT

    pair_class = np.where(family, np.where(highlight_pair, S.HIGHLIGHT_LINE, S.SHADING_LINE),
                          S.COLOR_EDGE).astype(np.uint8)
    # Every colour passes the highlight test against white: an undrawn edge on the paper is the outline.
    pair_class[paper[a_idx] | paper[b_idx]] = S.VISIBLE_LINE
    out = fill[labels]
    marks = np.zeros(labels.shape, np.uint8)
    for at, touch, key in sites:
        cls = np.zeros(key.shape, np.uint8)
        cls[touch] = pair_class[np.searchsorted(keys, key[touch])]
        view = marks[at]
        np.maximum(view, cls, out=view)
    kernel = np.ones((settings.boundary_width, settings.boundary_width), np.uint8)
    for line_class in (S.SHADING_LINE, S.HIGHLIGHT_LINE, S.COLOR_EDGE):
        grown = cv2.dilate((marks == line_class).astype(np.uint8), kernel) > 0
        out[grown & (labels > 0)] = line_class
    return out


def denoise(rgb: np.ndarray, settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """Flatten compression and sensor noise inside fills while keeping boundaries sharp: a median
    (speckle, JPEG mosquito noise) then an edge-preserving bilateral filter (blocking, grain)."""
    u8 = cv2.medianBlur(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8), 3)
    if settings.bilateral_sigma > 0:
        u8 = cv2.bilateralFilter(u8, 5, settings.bilateral_sigma, 3)
    return u8.astype(np.float32) / 255.0


def extract(rgba: np.ndarray, book: np.ndarray | None = None, cel: np.ndarray | None = None,
            settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    """RGBA float32 frame (HxWx4 in [0, 1]) → class indices HxW uint8 (raw, before post-processing).

    ``book``: the shot's static foreground layer (RGBA, same size) when known; its pixels become book
    lines (dark) and book fills. Without it no pixel is classed as book. ``cel``: the frame's cel mask
    (HxW bool) when the caller has one: no paint boundaries are drawn away from it (painted background).
    """
    rgba = np.asarray(rgba, dtype=np.float32)
    if cel is not None and np.shape(cel) != rgba.shape[:2]:
        raise ValueError(f"cel mask {np.shape(cel)} and frame {rgba.shape[:2]} differ in size")
    rgb = np.ascontiguousarray(rgba[..., :3])
    analysed, gate = cel_region(rgba, book, cel, settings)
    # Paint over white where the layer is transparent, so half-covered outline pixels read as ink.
    alpha = rgba[..., 3:4]
    seen = rgb * alpha + (1.0 - alpha)
    smooth = denoise(seen, settings)
    gray = smooth @ LUMA
    ink = detect_ink(gray, gate, settings)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2Lab)
    cores, count = _regions(lab, analysed & ~ink, settings)
    classes = classify_regions(cores, count, analysed & ~ink, lab, settings)
    classes[ink] = S.VISIBLE_LINE
    _add_paint_edges(classes, smooth, lab, ink, analysed if cel is None else gate, settings, seen)
    if cel is not None:  # the caller's cel mask: everything away from it is background, flat area
        classes[~gate] = S.FLAT
    if book is not None:
        covered = book[..., 3] >= 0.5
        classes[covered] = S.BOOK_FILL
        classes[covered & (book[..., :3].mean(axis=2) < 0.45)] = S.BOOK_LINE
    return classes


def _add_paint_edges(classes: np.ndarray, smooth: np.ndarray, lab: np.ndarray, ink: np.ndarray,
                     allowed: np.ndarray, settings: DougaSettings, seen: np.ndarray) -> None:
    """Draw (in place, ``boundary_width`` wide) the paint boundaries the region reader left without a line:
    soft-painted regions are not flat enough for it. Only boundaries that join the drawing's lines count."""
    found = paint_edges(smooth, lab, ink, allowed, settings.edges, seen)
    lines = S.IS_LINE[classes]
    # Where the region reader already drew a line, its line (with its fills' classes) stands.
    near = cv2.dilate(lines.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    new = joined_to((found > 0) & ~near, lines, settings.edges.join_gap)
    kernel = np.ones((settings.boundary_width, settings.boundary_width), np.uint8)
    wide = cv2.dilate(np.where(new, found, 0).astype(np.uint8), kernel)
    put = (wide > 0) & ~lines
    classes[put] = wide[put]
