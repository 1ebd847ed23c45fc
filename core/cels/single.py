"""Single-frame cel separation: what is drawn (outlined flat fills) against what is painted.

A cel is ink outlines enclosing flat fills, shadows as hard-edged flat tones; a background is painted:
gradients, brush texture, soft edges. So the frame is cut along its edges (ink and any colour step)
into regions, and a region is cel when it is flat (nearly all its pixels share one colour, or one of
a few tones: a fill with its hard-edged shadow and highlight) and ink runs along much of its border.
That rejects painted areas (not flat) and outline-less flat shapes (no ink around them). Ink is thin:
a dark wall or a night sky is dark paint, not a line. A large region whose colour is a strong gradient
a plane explains (a sky) is paint, and so is one reaching two opposite edges of the frame (a wall, a
floor: a figure stands in front of something). The outlines that touch accepted fills join them, and
what the cel encloses fills in when it is small, or flat and either smoother than the background or of
one of the cel's fill colours (a fill split by JPEG blocks, a pupil), but not painted background seen
between limbs.

Thresholds (`CelSettings`) are for frames about 540 px high; bigger frames are analysed at that height and the mask
is scaled back, which also keeps a 1080p frame well under a second.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from ..image import LUMA
from .settings import DEFAULT_CELS, CelSettings


def cel_mask(rgb: np.ndarray, settings: CelSettings = DEFAULT_CELS) -> np.ndarray:
    """HxWx3 float RGB in [0, 1] → HxW bool, True where a cel covers the pixel."""
    image = np.asarray(rgb, dtype=np.float32)[..., :3]
    height, width = image.shape[:2]
    work_height = settings.work_height
    scale = work_height / height if height > work_height * 1.25 else 1.0
    if scale != 1.0:
        small = cv2.resize(image, (max(1, round(width * scale)), work_height), interpolation=cv2.INTER_AREA)
        mask = _cel_mask_at_work_size(small, settings)
        up = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        return up > 0.5
    return _cel_mask_at_work_size(image, settings)


def ink_lines(image: np.ndarray, settings: CelSettings = DEFAULT_CELS) -> np.ndarray:
    """Dark, thin strokes: clearly darker than a closing of their surroundings, or near black and thin
    (a dark wall or a night sky is dark but no line)."""
    lum = image @ LUMA
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))
    contrast = cv2.morphologyEx(lum, cv2.MORPH_BLACKHAT, kernel)
    dark = (lum < settings.ink_dark).astype(np.uint8)
    wide = cv2.morphologyEx(dark, cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (settings.wide_dark,) * 2))
    return ((contrast > settings.ink_contrast) & (lum < 0.5)) | ((dark > 0) & (wide == 0))


def edges(image: np.ndarray) -> np.ndarray:
    """Largest per-channel gradient magnitude (per px) of the slightly blurred image."""
    smooth = cv2.GaussianBlur(image, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8
    return np.sqrt(gx * gx + gy * gy).max(axis=2)


def _label_means(image: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Mean colour of every label, count x 3."""
    flat_labels = labels.ravel()
    area = np.maximum(np.bincount(flat_labels, minlength=count), 1).astype(np.float64)
    return np.stack([np.bincount(flat_labels, image[..., c].ravel(), count) / area for c in range(3)], axis=1)


def flat_share(image: np.ndarray, labels: np.ndarray, count: int, tolerance: float) -> np.ndarray:
    """Per label: the share of its pixels within ``tolerance`` (every channel) of the label's mean colour."""
    means = _label_means(image, labels, count)
    close = np.abs(image - means[labels].astype(np.float32)).max(axis=2) < tolerance
    area = np.maximum(np.bincount(labels.ravel(), minlength=count), 1)
    return np.bincount(labels.ravel(), close.ravel(), count) / area


def _inked_share(labels: np.ndarray, count: int, ink: np.ndarray, reach: float) -> np.ndarray:
    """Per label: the share of the 2 px ring around it that lies near ink."""
    ring_labels = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8)).astype(np.int32)
    ring = (labels == 0) & (ring_labels > 0)
    near_ink = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3) <= reach
    owners = ring_labels[ring]
    total = np.bincount(owners, minlength=count)
    inked = np.bincount(owners, near_ink[ring], minlength=count)
    return inked / np.maximum(total, 1)


def _grow_through(seed: np.ndarray, zone: np.ndarray, steps: int) -> np.ndarray:
    """Geodesic dilation: grow ``seed`` one pixel at a time, only into ``zone``."""
    grown = seed.copy()
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(steps):
        wider = (cv2.dilate(grown.astype(np.uint8), kernel) > 0) & (zone | seed)
        if np.array_equal(wider, grown):
            break
        grown = wider
    return grown


def _components_touching(parts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The 8-connected components of ``parts`` that share a pixel with ``mask``."""
    count, labels = cv2.connectedComponents(parts.astype(np.uint8), connectivity=8)
    touching = np.bincount(labels[mask & parts], minlength=count) > 0
    touching[0] = False
    return touching[labels]


def _fine_texture(image: np.ndarray) -> np.ndarray:
    """Brush grain: how far each pixel is from its 1.5 px blur (largest channel)."""
    return np.abs(image - cv2.GaussianBlur(image, (0, 0), 1.5)).max(axis=2)


def fill_enclosed(mask: np.ndarray, image: np.ndarray, palette: np.ndarray | None = None,
                  settings: CelSettings = DEFAULT_CELS) -> np.ndarray:
    """Add the gaps the mask encloses that are small, or flat and either smoother than the background
    outside or of a colour in ``palette`` (the cel's fills): a fill split by JPEG blocks, a pupil; not
    painted background seen between a figure's limbs."""
    outside = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    outside[1:-1, 1:-1] = mask
    cv2.floodFill(outside, None, (0, 0), 2)
    holes = outside[1:-1, 1:-1] == 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    if count <= 1:
        return mask
    share = flat_share(image, labels, count, settings.hole_tolerance)
    # Texture away from edges (edges and their blur are not texture), compared with the background's.
    texture = _fine_texture(image)
    interior = cv2.dilate((edges(image) > settings.edge).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    background = interior & (outside[1:-1, 1:-1] == 2)
    reference = float(np.median(texture[background])) if background.any() else np.inf
    inner_labels = np.where(interior, labels, 0).ravel()
    inner = np.bincount(inner_labels, minlength=count)
    hole_texture = np.bincount(inner_labels, texture.ravel(), count) / np.maximum(inner, 1)
    smooth = (inner == 0) | (hole_texture < settings.smoother * reference)
    if palette is not None and len(palette):
        means = _label_means(image, labels, count)
        # Nearest fill colour by the largest channel difference (a tree: a real frame has thousands of fills).
        distance, _ = cKDTree(palette).query(means, p=np.inf, distance_upper_bound=settings.palette_tolerance)
        smooth |= distance < settings.palette_tolerance
    keep = (stats[:, cv2.CC_STAT_AREA] < settings.small_hole * mask.size) | ((share >= 0.8) & smooth)
    keep[0] = False
    return mask | keep[labels]


def planar_fit(image: np.ndarray, labels: np.ndarray, count: int, stats: np.ndarray,
               which: np.ndarray, tolerance: float = DEFAULT_CELS.flat_tolerance) -> tuple[np.ndarray, np.ndarray]:
    """Per label (only those ``which`` marks; the others get zeros), a least-squares colour plane
    (a + b x + c y per channel) fitted to it: how much the plane changes across the label's bounding box
    (largest channel), and the share of its pixels within ``tolerance`` of the plane. A cel fill is one
    colour (no change); a sky or a painted wall is a gradient the plane explains; a fill with a hard-edged
    shadow changes too, but the plane does not explain it."""
    h, w = labels.shape
    # Every other pixel each way: the regions tested are large, and this is the reader's costliest step.
    sparse_labels, sparse_image = labels[::2, ::2], image[::2, ::2]
    picked = which[sparse_labels]
    ys, xs = np.nonzero(picked)
    flat = sparse_labels[picked]
    x = xs.astype(np.float64) * 2 / max(h, w)
    y = ys.astype(np.float64) * 2 / max(h, w)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, values, count)

    n = np.maximum(total(np.ones_like(x)), 1)
    mx, my = total(x) / n, total(y) / n
    sxx, syy, sxy = total(x * x) / n - mx * mx, total(y * y) / n - my * my, total(x * y) / n - mx * my
    det = sxx * syy - sxy * sxy
    ok = det > 1e-12
    det = np.where(ok, det, 1)
    span_x = stats[:, cv2.CC_STAT_WIDTH] / max(h, w)
    span_y = stats[:, cv2.CC_STAT_HEIGHT] / max(h, w)
    change = np.zeros(count)
    worst = np.zeros(flat.size)
    for c in range(3):
        v = sparse_image[..., c][picked].astype(np.float64)
        mv = total(v) / n
        sxv, syv = total(x * v) / n - mx * mv, total(y * v) / n - my * mv
        b = np.where(ok, (syy * sxv - sxy * syv) / det, 0)
        g = np.where(ok, (sxx * syv - sxy * sxv) / det, 0)
        change = np.maximum(change, np.abs(b) * span_x + np.abs(g) * span_y)
        predicted = mv[flat] + b[flat] * (x - mx[flat]) + g[flat] * (y - my[flat])
        worst = np.maximum(worst, np.abs(v - predicted))
    return change, total((worst < tolerance).astype(np.float64)) / n


def tone_share(image: np.ndarray, labels: np.ndarray, count: int, tones: int = DEFAULT_CELS.tones,
               tolerance: float = DEFAULT_CELS.flat_tolerance) -> tuple[np.ndarray, np.ndarray]:
    """Per label: the share of its pixels within about ``tolerance`` (in luminance) of one of its
    ``tones`` commonest tones, and how often neighbouring pixels of it take different tones. A fill with
    its shadow and highlight scores high on the first and low on the second (its tones meet along a
    few lines); a gradient or brush texture low on the first or high on the second (the tone flips
    everywhere)."""
    bins = round(1 / tolerance) * 2
    lum = np.clip(((image @ LUMA) * bins).astype(np.int64), 0, bins - 1)
    hist = np.bincount(labels.ravel() * bins + lum.ravel(), minlength=count * bins).reshape(count, bins)
    window = hist.astype(np.float64)
    window = window + np.pad(hist, ((0, 0), (1, 0)))[:, :-1] + np.pad(hist, ((0, 0), (0, 1)))[:, 1:]
    covered = np.zeros(count)
    rows = np.arange(count)
    peaks = []
    for _ in range(tones):
        peak = window.argmax(axis=1)
        peaks.append(peak)
        covered += window[rows, peak]
        for offset in (-2, -1, 0, 1, 2):  # the next tone may not share a bin with this one
            window[rows, np.clip(peak + offset, 0, bins - 1)] = 0
    # Each pixel's tone: the nearest of its label's tones; count tone changes between neighbours.
    centres = np.stack(peaks, axis=1)[labels]                    # H x W x tones
    tone = np.abs(centres - lum[..., None]).argmin(axis=2)
    same_x = labels[:, 1:] == labels[:, :-1]
    same_y = labels[1:] == labels[:-1]
    flips = np.zeros(labels.shape, np.float64)
    flips[:, 1:] += same_x & (tone[:, 1:] != tone[:, :-1])
    flips[1:] += same_y & (tone[1:] != tone[:-1])
    area = np.maximum(hist.sum(axis=1), 1)
    return covered / area, np.bincount(labels.ravel(), flips.ravel(), count) / area


def inner_texture(image: np.ndarray, labels: np.ndarray, count: int, boundary: np.ndarray,
                  inner_px: int = DEFAULT_CELS.inner) -> np.ndarray:
    """Per label: the mean brush texture (difference of two blurs, 1 and 3 px) over its pixels at least
    ``inner_px`` from any boundary, where JPEG ringing along lines does not reach. 0 for labels without such
    pixels."""
    texture = np.abs(cv2.GaussianBlur(image, (0, 0), 1.0) - cv2.GaussianBlur(image, (0, 0), 3.0)).max(axis=2)
    inner = cv2.distanceTransform((~boundary).astype(np.uint8), cv2.DIST_L2, 3) >= inner_px
    inner_labels = np.where(inner, labels, 0).ravel()
    total = np.bincount(inner_labels, minlength=count)
    return np.bincount(inner_labels, texture.ravel(), count) / np.maximum(total, 1)


def _spans_frame(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per label: whether it reaches two opposite edges of the frame, as a wall, floor or sky does and a
    figure (which stands in front of something) does not."""
    h, w = shape
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    across = (x == 0) & (x + stats[:, cv2.CC_STAT_WIDTH] == w)
    down = (y == 0) & (y + stats[:, cv2.CC_STAT_HEIGHT] == h)
    return across | down


def _lines_frame_edge(labels: np.ndarray, count: int, share: float) -> np.ndarray:
    """Per label: whether it lines most of the frame's edge, as paper or a flat sky does and a cel does not."""
    edge = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    return np.bincount(edge, minlength=count) >= share * edge.size


def _cel_mask_at_work_size(image: np.ndarray, settings: CelSettings) -> np.ndarray:
    s = settings
    ink = ink_lines(image, s)
    boundary = (edges(image) > s.edge) | ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~boundary).astype(np.uint8), connectivity=4)
    # Flat: one colour, or (a fill with hard-edged shadow tones) a few tones.
    single = flat_share(image, labels, count, s.flat_tolerance) >= s.flat_share
    share, flips = tone_share(image, labels, count, s.tones, s.flat_tolerance)
    toned = (share >= s.toned_share) & (flips < s.tone_flips)
    # A few tones in brush-textured paint are paint: a fill's tones are smooth away from its lines.
    toned &= inner_texture(image, labels, count, boundary, s.inner) < s.toned_texture
    fills = ((stats[:, cv2.CC_STAT_AREA] >= s.min_area) & (single | toned)
             & (_inked_share(labels, count, ink, s.ink_reach) >= s.inked_share))
    fills &= ~_lines_frame_edge(labels, count, s.backdrop_border)
    # A gradient the colour plane explains is paint. Only large regions tell: in a small one JPEG noise
    # tilts the fitted plane as much.
    large = stats[:, cv2.CC_STAT_AREA] >= s.gradient_area * labels.size
    change, explained = planar_fit(image, labels, count, stats, large & fills, s.flat_tolerance)
    fills &= ~(large & (change >= s.gradient) & (explained >= s.flat_share))
    fills &= ~_spans_frame(stats, labels.shape)
    fills[0] = False  # label 0 is the boundary itself
    accepted = fills[labels]
    palette = _label_means(image, labels, count)[fills]
    # A fill's own outline and the anti-aliased rim between them: boundary pixels next to it, and ink
    # (thickened by a pixel so JPEG-broken lines still connect).
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    inner_rim = (cv2.dilate(accepted.astype(np.uint8), reach) > 0) & boundary
    thick_ink = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    mask = _grow_through(accepted, inner_rim | thick_ink, s.rim_growth)
    # An outline against dark paint merges with it (no longer thin ink): take a line's width of the dark.
    mask = _grow_through(mask, (image @ LUMA) < s.ink_dark, s.dark_rim)
    # Whole outlines that touch the cel are the cel's, even where JPEG broke up the fill they enclose.
    mask = fill_enclosed(mask | _components_touching(thick_ink, mask), image, palette, s)
    # The thickening's outer pixel lies beyond the drawn line: give it back to the background.
    outer = cv2.dilate((~mask).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return mask & ~(outer & thick_ink & ~ink & ~inner_rim & ~accepted)
