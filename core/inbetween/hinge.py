"""Parts that turned about a joint further than dense flow can follow, found by a turn search.

A forearm that swings 45–90° between keys leaves DIS behind: its patches no
longer look like themselves, so the flow lands the forearm's ink nowhere near
the other key's forearm, and neither SIFT (too few corners on a clean line) nor
the closed areas (an arm open into the torso is no area of its own) supply its
motion. The ink the flow *does* land (the body, the upper arm) tells where the
lost part hangs on: the points where a stretch of lost ink touches landed ink
are its joint. Turning the lost stretch about that joint through every angle
(on top of the whole drawing's motion, align.py) and keeping the turn under
which it lands on the other key's ink is a one-parameter search, robust at any
angle; ICP then snaps it. The result is one more rigid candidate with a prior
on the stretch (rigid.AreaMotion), so the whole part moves as one piece on an
arc about its joint, instead of breaking into dust.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .rigid import AreaMotion, Similarity, fit_similarity, nearest_ink


@dataclass(frozen=True)
class HingeSettings:
    """How lost parts are found and how good a turn must be to be used."""

    use: bool = True
    landed_px: float = 2.0         # working px: flow that puts ink this close to the other key's ink holds it
    min_valid: float = 0.5         # forward-backward consistency below this: the flow is not trusted
    min_part: int = 30             # working px of ink: smaller lost stretches are detail, not a part
    max_parts: int = 8             # the largest lost stretches searched, per side
    join_px: int = 2               # lost ink this close together is one stretch
    min_contacts: int = 3          # landed ink pixels touching a stretch that make a joint
    joint_spread: float = 0.3      # contacts spread wider than this share of the stretch: held at both ends
    turn_step_deg: float = 3.0     # the turn search: every angle, this fine
    joint_search: float = 0.25     # the joint is looked for this share of the part's reach about its contacts
    joint_steps: int = 3           # ... on a grid of 2·steps + 1 places a side
    search_points: int = 400       # the part's ink is subsampled to about this many points for the search
    cost_cap: float = 8.0          # working px: a far miss counts no worse than this
    icp_reaches: tuple[float, ...] = (6.0, 4.0, 3.0, 2.0)
    min_landed: float = 0.45       # share of the stretch the turn must land within landed_px
    min_gain: float = 0.25         # ... and that much more of it than the flow landed
    same_px: float = 6.0           # working px: a part found from both keys whose motions differ less is one


@dataclass(frozen=True)
class Part:
    """A stretch of ink the flow lost, and the joint it hangs on (None: touches nothing landed)."""

    mask: np.ndarray
    joint: complex | None


def lost_parts(ink: np.ndarray, stroke: float, flow: np.ndarray, valid: np.ndarray, dist_other: np.ndarray,
               settings: HingeSettings) -> tuple[list[Part], np.ndarray, np.ndarray]:
    """Stretches of ``ink`` that ``flow`` does not land on the other key's ink (largest first), the
    per-pixel landing distance of the flow (working px), and all the lost ink."""
    h, w = ink.shape
    mask = ink > stroke
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    landing = cv2.remap(dist_other.astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=float(settings.cost_cap))
    held = mask & (landing <= settings.landed_px) & (valid >= settings.min_valid)
    lost = mask & ~held
    k = 2 * settings.join_px + 1
    joined = cv2.dilate(lost.astype(np.uint8), np.ones((k, k), np.uint8))
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    near_held = cv2.dilate(held.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    parts: list[tuple[int, Part]] = []
    for c in range(1, n):
        part = lost & (labels == c)
        size = int(part.sum())
        if size < settings.min_part:
            continue
        parts.append((size, Part(part, _joint(part, part & near_held, settings))))
    parts.sort(key=lambda p: -p[0])
    return [p for _, p in parts[:settings.max_parts]], landing, lost


def _joint(part: np.ndarray, contact: np.ndarray, settings: HingeSettings) -> complex | None:
    """Where a lost stretch hangs on the held drawing: its contacts' mean, when they gather at one end
    (a stretch held at both ends, or all round, just follows its neighbours)."""
    ys, xs = np.nonzero(contact)
    if ys.size < settings.min_contacts:
        return None
    joint = complex(xs.mean(), ys.mean())
    py, px = np.nonzero(part)
    reach = float(np.abs(px + 1j * py - joint).max())
    spread = float(np.abs(xs + 1j * ys - joint).max())
    return joint if spread <= settings.joint_spread * reach else None


def turn_about(joint: complex, angle: float) -> Similarity:
    """A turn by ``angle`` (radians) about ``joint``."""
    a = complex(np.exp(1j * angle))
    return Similarity(a, joint - a * joint)


def _cost_many(q: np.ndarray, dist_other: np.ndarray, cap: float) -> np.ndarray:
    """Capped distance to the other key's ink at every point of ``q`` (any shape)."""
    h, w = dist_other.shape
    xi, yi = np.rint(q.real).astype(int), np.rint(q.imag).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    return np.where(inside, np.minimum(dist_other[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], cap), cap)


def search_turn(part: Part, base: Similarity, dist_other: np.ndarray, near_other: np.ndarray,
                settings: HingeSettings) -> Similarity | None:
    """The part's motion: ``base`` (the whole drawing's) after a turn about its joint, the angle the one
    that lands the part best on the other key's ink, then ICP-refined (scale held to the base's).
    ``dist_other``/``near_other``: the other key's *lost* ink, so the part is not drawn onto a dense
    stretch of drawing that is already accounted for (a swinging arm onto the torso's lines)."""
    if part.joint is None:
        return None
    ys, xs = np.nonzero(part.mask)
    pts = (xs + 1j * ys).astype(complex)
    return _snapped(_best_turn(pts, part.joint, base, dist_other, settings), pts, base, dist_other, near_other,
                    settings)


def _best_turn(pts: np.ndarray, contact: complex, base: Similarity, dist_other: np.ndarray,
               settings: HingeSettings) -> Similarity:
    """Every angle about every place on a small grid around ``contact``: where lost ink meets held ink
    is near the joint, not on it (the flow holds a little of the bend)."""
    pts = pts[:: max(1, pts.size // settings.search_points)]
    r = settings.joint_search * float(np.abs(pts - contact).max())
    offsets = np.linspace(-r, r, 2 * settings.joint_steps + 1)
    turns = np.exp(1j * np.radians(np.arange(-180.0, 180.0, settings.turn_step_deg)))
    best: tuple[float, Similarity] | None = None
    for dy in offsets:
        for dx in offsets:
            joint = contact + complex(dx, dy)
            moved = base.apply(joint + turns[:, None] * (pts[None, :] - joint))   # angles × points
            cost = _cost_many(moved, dist_other, settings.cost_cap).mean(axis=1)
            k = int(np.argmin(cost))
            if best is None or cost[k] < best[0]:
                best = (float(cost[k]), base.compose(turn_about(joint, float(np.angle(turns[k])))))
    assert best is not None
    return best[1]


def _snapped(tr: Similarity, pts: np.ndarray, base: Similarity, dist_other: np.ndarray, near_other: np.ndarray,
             settings: HingeSettings) -> Similarity:
    """Trimmed ICP with a shrinking reach onto the other key's ink; the scale stays the base's."""
    h, w = dist_other.shape
    for reach in settings.icp_reaches:
        q = tr.apply(pts)
        xi, yi = np.clip(np.rint(q.real).astype(int), 0, w - 1), np.clip(np.rint(q.imag).astype(int), 0, h - 1)
        close = dist_other[yi, xi] <= reach
        if close.sum() < settings.min_part // 2:
            break
        src, dst = pts[close], near_other[yi[close], xi[close]]
        fit = fit_similarity(src, dst)
        if fit is None or abs(fit.a) < 1e-9:  # every point landed on one pixel: no turn to read
            break
        a = fit.a * abs(base.a) / abs(fit.a)   # a part keeps its size: the whole drawing's scale
        tr = Similarity(a, complex(np.mean(dst - a * src)))
    return tr


def landed_share(tr: Similarity, mask: np.ndarray, dist_other: np.ndarray, near_px: float) -> float:
    """Share of ``mask``'s pixels that ``tr`` lands within ``near_px`` of the other key's ink."""
    ys, xs = np.nonzero(mask)
    moved = tr.apply((xs + 1j * ys).astype(complex))
    return float((_cost_many(moved, dist_other, 2 * near_px) <= near_px).mean())


def hinge_motions(ink_a: np.ndarray, ink_b: np.ndarray, stroke: float, flow_ab: np.ndarray, flow_ba: np.ndarray,
                  valid_a: np.ndarray, valid_b: np.ndarray, carrier: Similarity | None, line_width: float,
                  settings: HingeSettings = HingeSettings()) -> list[AreaMotion]:
    """Rigid a → b candidates for the parts the flow lost on either key, each with priors on the part
    in a and where it lands in b (so both keys' copies of the part pick it)."""
    if not settings.use:
        return []
    mask_a, mask_b = ink_a > stroke, ink_b > stroke
    if mask_a.sum() < settings.min_part or mask_b.sum() < settings.min_part:
        return []
    dist_a, _ = nearest_ink(mask_a)
    dist_b, _ = nearest_ink(mask_b)
    base = carrier if carrier is not None else Similarity(1.0 + 0j, 0j)
    r = int(np.ceil(line_width)) + 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    found_a = lost_parts(ink_a, stroke, flow_ab, valid_a, dist_b, settings)
    found_b = lost_parts(ink_b, stroke, flow_ba, valid_b, dist_a, settings)
    if not found_a[2].any() or not found_b[2].any():
        return []
    lost_a, lost_b = nearest_ink(found_a[2]), nearest_ink(found_b[2])
    out: list[AreaMotion] = []
    sides = ((found_a, dist_b, lost_b, base, False), (found_b, dist_a, lost_a, base.inverse(), True))
    for (parts, landing, _), dist, (lost_dist, lost_near), side_base, backward in sides:
        for part in parts:
            tr = search_turn(part, side_base, lost_dist, lost_near, settings)
            if tr is None:
                continue
            share = landed_share(tr, part.mask, dist, settings.landed_px)
            before = float((landing[part.mask] <= settings.landed_px).mean())
            if share < settings.min_landed or share < before + settings.min_gain:
                continue
            fwd = tr.inverse() if backward else tr
            here = cv2.dilate(part.mask.astype(np.uint8), kernel).astype(np.float32)
            there = _moved(here, tr)
            found = AreaMotion(fwd, there if backward else here, here if backward else there, -1)
            out = _merged(out, found, settings)
    return out


def _merged(have: list[AreaMotion], new: AreaMotion, settings: HingeSettings) -> list[AreaMotion]:
    """``have`` plus ``new``, unless it is the same part found from the other key: then one motion with
    both priors, so both keys' copies of the part take the same arc and meet on it."""
    ys, xs = np.nonzero(new.prior_a > 0)
    pts = (xs + 1j * ys).astype(complex)
    for k, m in enumerate(have):
        overlap = (float(np.minimum(m.prior_a, new.prior_a).sum())
                   / max(float(min(m.prior_a.sum(), new.prior_a.sum())), 1.0))
        if overlap > 0.5 and float(np.abs(m.transform.apply(pts) - new.transform.apply(pts)).mean()) < settings.same_px:
            merged = AreaMotion(m.transform, np.maximum(m.prior_a, new.prior_a), np.maximum(m.prior_b, new.prior_b), -1)
            return have[:k] + [merged] + have[k + 1:]
    return have + [new]


def _moved(field: np.ndarray, tr: Similarity) -> np.ndarray:
    """``field`` carried forward by ``tr`` (sampled at tr⁻¹(x))."""
    h, w = field.shape
    m = np.array([[tr.a.real, -tr.a.imag, tr.b.real], [tr.a.imag, tr.a.real, tr.b.imag]], np.float64)
    return cv2.warpAffine(field, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
