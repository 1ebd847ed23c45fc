"""The whole drawing's motion between two keys as one similarity (scale, turn, shift).

Dense flow, even coarse-to-fine on the distance field, follows a few pixels of
motion per pyramid level; a camera zoom or a whole figure that shrank and
turned by 20° is out of its reach and comes back as shattered local guesses.
Chamfer matching of the two keys' ink over a coarse grid of scales and turns
(the shift for each found at once by FFT cross-correlation) finds that global
motion robustly, because it scores the whole drawing at once; trimmed ICP with
a shrinking reach then snaps it onto the ink. It is used only for a zoom that
the strokes' lengths confirm (``estimate``). Flow is then also estimated after
warping key b back by it (``pair_flow``: per pixel the better landing of the two
flows), so that flow only explains what is left; regions.py and rigid.py judge
parts relative to it, and frames follow it interpolated in log-scale and angle
(rigid.Assignment: a zoom stays a zoom, a turn an arc).

Measured (flow mode, chamfer vs warp-average): tps-2/tps-3 zooms found (0.85, 0.81);
none found on the JoSTC triplets or the synthetic suites, where pose changes were
first misread as zooms and turns and cost up to 0.70 → 0.81 (3-key suite).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..lines import skeletonize
from . import flow as flowmod
from .rigid import Similarity, fit_similarity, nearest_ink


@dataclass(frozen=True)
class AlignSettings:
    """How the global similarity is searched and when it is trusted."""

    use: bool = True                    # False: flow on the keys as drawn (no pre-alignment)
    search_side: int = 128              # long side (px) of the coarse search images
    scale_range: tuple[float, float] = (0.6, 1.67)  # b's size over a's searched
    scale_steps: int = 15               # geometric steps over scale_range
    max_turn_deg: float = 30.0          # whole drawings turn little; limbs are rigid.py's job
    turn_step_deg: float = 5.0
    field_reach: float = 3.0            # coarse px over which a near miss still scores
    icp_reaches: tuple[float, ...] = (12.0, 8.0, 5.0, 3.0)  # working px, coarse to fine
    icp_min_points: int = 30
    near_px: float = 2.0                # working px: ink this close to the other key's ink lands on it
    # Use the similarity only for a motion dense flow cannot follow by itself (a zoom), and only when
    # it lands a fifth more ink than the best plain shift (pose changes fit one ~10–15% better).
    min_gain_ratio: float = 0.2
    min_scale_change: float = 0.08     # log-scale: smaller zooms (a few px a pyramid level) DIS follows itself
    # The keys' stroke length ratio must be within this share of the zoom's log-scale (measured: real
    # zooms agree within 0.1 of it, false zooms read off pose changes disagree by 0.6 or more).
    length_agreement: float = 0.5
    # Choosing per pixel between plain and pre-aligned flow: landing distances (working px) capped at
    # vote_cap and averaged over vote_sigma along the strokes, as rigid.assign votes; plain flow wins
    # ties by plain_preference.
    vote_cap: float = 6.0
    vote_sigma: float = 6.0
    plain_preference: float = 0.35


def estimate(ink_a: np.ndarray, ink_b: np.ndarray, stroke: float,
             settings: AlignSettings = AlignSettings()) -> Similarity | None:
    """The similarity a → b (working pixels) that lands most of a's ink on b's and b's on a's, or
    None when the keys need no global pre-alignment (no clear gain, or a motion flow follows)."""
    mask_a, mask_b = ink_a > stroke, ink_b > stroke
    if mask_a.sum() < settings.icp_min_points or mask_b.sum() < settings.icp_min_points:
        return None
    fine = refine(coarse_search(ink_a, ink_b, settings), mask_a, mask_b, settings)
    if fine is None or not _zooms(fine, settings) or not _lengths_agree(fine, mask_a, mask_b, settings):
        return None
    shift_only = replace(settings, scale_range=(1.0, 1.0), scale_steps=1, max_turn_deg=0.0)
    shift = refine(coarse_search(ink_a, ink_b, shift_only), mask_a, mask_b, settings, shift_only=True)
    still = landed(Similarity(1.0 + 0j, 0j), mask_a, mask_b, settings.near_px)
    moved = still if shift is None else landed(shift, mask_a, mask_b, settings.near_px)
    # A zoom must land clearly more ink than the best plain shift: a figure that changed its pose
    # (crouched, leaned) also fits a shrink-and-turn a little better, and that is no camera move.
    # A plain shift itself is left to the flow: pre-aligning by it measured worse on real triplets.
    if landed(fine, mask_a, mask_b, settings.near_px) < max(still, moved) * (1.0 + settings.min_gain_ratio):
        return None
    return fine


def _zooms(g: Similarity, settings: AlignSettings) -> bool:
    """A scale change of the whole drawing that no plain shift explains. A turn alone does not count:
    on figures a whole-drawing turn was mostly a pose change misread (3-key synthetic ratio 0.645 → 0.807
    with turns of 4°+ counted), and rigid.py's candidates follow real turns of parts."""
    return abs(np.log(abs(g.a))) > settings.min_scale_change


def _lengths_agree(g: Similarity, mask_a: np.ndarray, mask_b: np.ndarray, settings: AlignSettings) -> bool:
    """A zoom changes the length of every line by its scale (an artist keeps the pen's width): the keys'
    stroke lengths must agree with at least part of it. A pose change that a shrink-and-turn happens to
    fit (a swung nunchaku curled up, a figure crouching) keeps its stroke length."""
    ratio = max(float(skeletonize(mask_b).sum()), 1.0) / max(float(skeletonize(mask_a).sum()), 1.0)
    zoom = float(np.log(abs(g.a)))
    return abs(float(np.log(ratio)) - zoom) <= settings.length_agreement * abs(zoom)


def coarse_search(ink_a: np.ndarray, ink_b: np.ndarray, settings: AlignSettings) -> Similarity:
    """Best similarity on the grid of scales and turns, the shift from the peak of a symmetric
    chamfer correlation (a's ink on b's distance field plus b's ink on a's), in working pixels."""
    h, w = ink_a.shape
    f = settings.search_side / max(h, w)
    size = (max(round(w * f), 8), max(round(h * f), 8))
    ca, cb = (np.clip(cv2.resize(k, size, interpolation=cv2.INTER_AREA) * 3.0, 0.0, 1.0) for k in (ink_a, ink_b))
    fa, fb = _field(ca, settings.field_reach), _field(cb, settings.field_reach)
    ph, pw = 2 * size[1], 2 * size[0]  # padded: shifts up to the whole image either way, no wrap-around
    spec_fb = np.fft.rfft2(fb, (ph, pw))
    spec_cb = np.fft.rfft2(cb, (ph, pw))
    sum_b = max(float(cb.sum()), 1e-6)
    ys, xs = np.nonzero(ca > 0.1)
    centre = complex(xs.mean(), ys.mean())  # scale and turn about a's ink: the shift stays small
    best = (-np.inf, 1.0 + 0j, 0j)
    scales = np.geomspace(settings.scale_range[0], settings.scale_range[1], settings.scale_steps)
    turns = np.radians(np.arange(-settings.max_turn_deg, settings.max_turn_deg + 1e-6, settings.turn_step_deg))
    for s in scales:
        for th in turns:
            a = s * np.exp(1j * th)
            m = _matrix(Similarity(complex(a), centre - a * centre))
            wa = cv2.warpAffine(ca, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
            wf = cv2.warpAffine(fa, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
            sum_a = float(wa.sum())
            if sum_a < 0.5 * float(ca.sum()) * s * s:
                continue  # most of a left the frame: not a motion of this drawing
            # corr(d) = Σ_x A(x) B(x + d): both directions at once in the frequency domain.
            spec = (np.conj(np.fft.rfft2(wa, (ph, pw))) * spec_fb / sum_a
                    + np.conj(np.fft.rfft2(wf, (ph, pw))) * spec_cb / sum_b)
            corr = np.fft.irfft2(spec, (ph, pw))
            k = int(np.argmax(corr))
            if corr.flat[k] > best[0]:
                dy, dx = divmod(k, pw)
                dy = dy - ph if dy >= ph // 2 else dy
                dx = dx - pw if dx >= pw // 2 else dx
                best = (float(corr.flat[k]), complex(a), centre - a * centre + complex(dx, dy))
    _, a, b = best
    # Back to working pixels: z_w = z_c / f.
    return Similarity(a, b / f)


def _field(ink: np.ndarray, reach: float) -> np.ndarray:
    """1 on the ink falling to 0 at ``reach`` px: a near miss still scores."""
    dist = cv2.distanceTransform((ink < 0.3).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(1.0 - dist / reach, 0.0, 1.0).astype(np.float32)


def _matrix(g: Similarity) -> np.ndarray:
    return np.array([[g.a.real, -g.a.imag, g.b.real], [g.a.imag, g.a.real, g.b.imag]], np.float64)


def refine(g: Similarity, mask_a: np.ndarray, mask_b: np.ndarray, settings: AlignSettings,
           shift_only: bool = False) -> Similarity | None:
    """Symmetric trimmed ICP with a shrinking reach: only ink that lands near the other key's ink
    votes, so a limb that swung away does not drag the whole drawing after it. ``shift_only``: the
    scale and turn stay as given."""
    dist_b, near_b = nearest_ink(mask_b)
    dist_a, near_a = nearest_ink(mask_a)
    pa = _points(mask_a)
    pb = _points(mask_b)
    h, w = mask_a.shape
    for reach in settings.icp_reaches:
        for _ in range(3):
            inv = g.inverse()
            src_a, dst_a = _pairs(g.apply(pa), pa, dist_b, near_b, reach, (h, w))
            src_b, dst_b = _pairs(inv.apply(pb), pb, dist_a, near_a, reach, (h, w))
            if src_a.size + src_b.size < settings.icp_min_points:
                return None
            # a's points onto their nearest b ink, and b's nearest-a partners onto b's points.
            src, dst = np.concatenate([src_a, dst_b]), np.concatenate([dst_a, src_b])
            fit = Similarity(g.a, complex(np.mean(dst - g.a * src))) if shift_only else fit_similarity(src, dst)
            if fit is None:
                return None
            g = fit
    return g


def _points(mask: np.ndarray, most: int = 4000) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    step = max(1, ys.size // most)
    return (xs[::step] + 1j * ys[::step]).astype(complex)


def _pairs(moved: np.ndarray, src: np.ndarray, dist: np.ndarray, near: np.ndarray, reach: float,
           shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Source points whose moved place lies within ``reach`` of the other ink, and that ink."""
    h, w = shape
    xi = np.rint(moved.real).astype(int)
    yi = np.rint(moved.imag).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    xi, yi = np.clip(xi, 0, w - 1), np.clip(yi, 0, h - 1)
    close = inside & (dist[yi, xi] <= reach)
    return src[close], near[yi[close], xi[close]]


def landed(g: Similarity, mask_a: np.ndarray, mask_b: np.ndarray, near_px: float) -> float:
    """Mean share of each key's ink that ``g`` (a → b; its inverse b → a) lands within ``near_px``
    of the other key's ink."""
    h, w = mask_a.shape
    out = 0.0
    for tr, src, dst in ((g, mask_a, mask_b), (g.inverse(), mask_b, mask_a)):
        dist = cv2.distanceTransform((~dst).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        q = tr.apply(_points(src))
        xi, yi = np.rint(q.real).astype(int), np.rint(q.imag).astype(int)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        ok = np.zeros(q.size, bool)
        ok[inside] = dist[yi[inside], xi[inside]] <= near_px
        out += 0.5 * float(ok.mean()) if q.size else 0.0
    return out


def aligned(image: np.ndarray, g: Similarity, border: float = 0.0) -> np.ndarray:
    """``image`` (key b's, working size) sampled at g(x): b brought back onto a's frame."""
    h, w = image.shape[:2]
    return cv2.warpAffine(image, _matrix(g), (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def pair_flow(rep_a: np.ndarray, rep_b: np.ndarray, g: Similarity, reach: float,
              settings: AlignSettings = AlignSettings(),
              dense: flowmod.DenseFlowSettings = flowmod.DEFAULT_DENSE_FLOW) -> flowmod.PairFlow:
    """Flows a → b and b → a (working pixels), each pixel's from whichever of two estimates lands its
    stretch of drawing better on the other key: DIS on the keys as drawn, or DIS after bringing b back
    onto a by ``g`` (it then only explains the residual, composed with ``g`` into a full flow). A wrong
    or partial ``g`` (a pose change read as a turn) thus costs nothing where plain flow did better.
    ``reach``: the distance fields' truncation (working px), to read distances off the rep images."""
    plain = flowmod.pair_flow(rep_a, rep_b, dense)
    pre = prealigned_flow(rep_a, rep_b, g, dense)
    ab = better_flow(plain.ab, pre.ab, rep_a, rep_b, reach, settings)
    ba = better_flow(plain.ba, pre.ba, rep_b, rep_a, reach, settings)
    return flowmod.checked(ab, ba, dense)


def better_flow(plain: np.ndarray, pre: np.ndarray, rep_src: np.ndarray, rep_dst: np.ndarray, reach: float,
                settings: AlignSettings) -> np.ndarray:
    """Per pixel the flow whose landing on the other key's drawing, averaged along the source's
    strokes nearby, is nearer; plain flow keeps ties."""
    dist = np.minimum(reach * (1.0 - rep_dst.astype(np.float32) / 255.0), settings.vote_cap)
    ink = (rep_src >= 250).astype(np.float32)
    den = cv2.GaussianBlur(ink, (0, 0), settings.vote_sigma)
    h, w = ink.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))

    def vote(flow: np.ndarray) -> np.ndarray:
        land = cv2.remap(dist, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=settings.vote_cap)
        return cv2.GaussianBlur(land * ink, (0, 0), settings.vote_sigma) / np.maximum(den, 1e-6)

    take = (vote(pre) < vote(plain) - settings.plain_preference) & (den > 0.02)
    return np.where(take[..., None], pre, plain).astype(np.float32)


def prealigned_flow(rep_a: np.ndarray, rep_b: np.ndarray, g: Similarity,
                    dense: flowmod.DenseFlowSettings = flowmod.DEFAULT_DENSE_FLOW) -> flowmod.PairFlow:
    """Flows a → b and b → a (working pixels) estimated after bringing b back onto a by ``g``: DIS
    only explains the residual, and the result is composed with ``g`` into full flows."""
    h, w = rep_a.shape[:2]
    rep_b_on_a = aligned(rep_b, g)
    res_ab = flowmod.estimate_flow(rep_a, rep_b_on_a, dense)
    res_ba = flowmod.estimate_flow(rep_b_on_a, rep_a, dense)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    z = gx + 1j * gy
    # a's pixel x lands on b at g(x + r(x)).
    end_a = g.apply(z + res_ab[..., 0] + 1j * res_ab[..., 1])
    ab = np.stack([end_a.real - gx, end_a.imag - gy], axis=2).astype(np.float32)
    # b's pixel y stands at g⁻¹(y) on a's frame and goes on by the residual found there.
    inv = g.inverse()
    res_at = cv2.warpAffine(res_ba, _matrix(inv), (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_REPLICATE)
    end_b = inv.apply(z) + res_at[..., 0] + 1j * res_at[..., 1]
    ba = np.stack([end_b.real - gx, end_b.imag - gy], axis=2).astype(np.float32)
    return flowmod.checked(ab, ba, dense)
