"""Which painted-key area each area of a line frame is: motion votes checked by size and containment.

Dense flow (DIS on the lines' distance fields, as the inbetweener estimates motion on line art) carries
every interior pixel of the target frame back into the key; each lands in a key area (or on a line, which
says nothing). An area takes the colour most of its pixels land on, if that is a clear majority and the
match is plausible: not much smaller or larger than the key area it came from, and not an enclosed area
that landed on the key's outside (a new shape, not in the key: left unmatched, never guessed).
Votes count colours, not key areas: a target area straddling two key areas of one colour is still sure.
An area whose votes split between colours (a colour boundary the lines do not draw) is painted per pixel
with the colours it holds, where its pixels land; so are the pixels next to lines, where the painter's
colour boundary may sit on either side of the line's centre.

With `settings.regions` an area is first matched to its partner area in the reference (regions.py) and may
hold only that partner's colours, so a wrong motion cannot paint a neighbour's colour in patches.

A reference is a painted key, or (further from the keys) a frame already painted from one: unpainted
pixels carry UNKNOWN and lower confidences pass on, so doubt grows along the chain instead of guesses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from scipy import sparse

from ..inbetween.flow import estimate_flow
from .areas import Areas
from .palette import UNKNOWN, KeyPalette, code_colour
from .regions import Landings, area_colour_counts, match_regions, mix_table, reference_colours
from .settings import PaintSettings

# Key areas touching the frame edge and larger than this share of it are the outside (paper, background).
OUTSIDE_SHARE = 0.08


@dataclass
class Reference:
    """What a frame is matched against: a painted key, or a frame painted from one.

    Colours are an index map into a small table of codes (no per-pixel 64-bit codes to sort at 1080p)."""

    areas: Areas
    index: np.ndarray        # HxW int32 into `table`
    table: np.ndarray        # (n,) int64 colour codes; UNKNOWN where not painted
    confidence: np.ndarray   # HxW float32: how sure that colour is (1 on a key)
    lost: np.ndarray | None = None  # (areas+1,) bool: areas left unpainted though painted in the frame before

    @cached_property
    def area_colours(self) -> np.ndarray:
        """(areas+1, colours) pixels of each colour in each area off the lines: once per reference (the vote
        and the shape search both ask, and a chain's reference is asked again by the recall)."""
        return area_colour_counts(self.areas.labels, self.index, ~self.areas.line, self.areas.count + 1,
                                  len(self.table))

    def packed(self) -> np.ndarray:
        """HxWx4 float32: colour index, area label, confidence, line distance (gathered in one remap)."""
        return cv2.merge([self.index.astype(np.float32), self.areas.labels.astype(np.float32),
                          self.confidence.astype(np.float32), self.areas.line_distance])

    @staticmethod
    def of_key(areas: Areas, palette: KeyPalette) -> Reference:
        table, index = np.unique(palette.pixel_codes, return_inverse=True)
        return Reference(areas, index.reshape(areas.labels.shape).astype(np.int32), table,
                         np.ones(areas.labels.shape, np.float32))


@dataclass
class AreaMatches:
    """One decision per target area (index 0 unused), and the palette colour of every pixel."""

    codes: np.ndarray        # (count+1,) int64 main colour code of each area
    confidence: np.ndarray   # (count+1,) float in [0, 1]
    matched: np.ndarray      # (count+1,) bool
    flat: np.ndarray         # (count+1,) bool: one colour (else mixed: painted per pixel)
    pixel_index: np.ndarray  # HxW int32 (or uint16) into `table`: the colour of every pixel
    table: np.ndarray        # (n,) int64 colour codes

    seen: np.ndarray | None = None       # (count+1,) share of the votes that landed on painted pixels
    from_lost: np.ndarray | None = None  # (count+1,) share of the votes that landed in the reference's lost areas

    def as_reference(self, areas: Areas, min_size: int = 0) -> Reference:
        table = np.append(self.table, UNKNOWN)
        index = np.where(self.matched[areas.labels], self.pixel_index, len(table) - 1).astype(np.int32)
        lost = None
        if self.seen is not None:
            # Unsure here although the frame before had it painted (not a new thing): worth another look.
            lost = ~self.matched & (self.seen >= 0.5) & (areas.sizes >= min_size)
            lost[0] = False
        return Reference(areas, index, table, self.confidence[areas.labels].astype(np.float32), lost)

    def pixel_codes(self) -> np.ndarray:
        return self.table[self.pixel_index]


def identity_matches(areas: Areas, palette: KeyPalette) -> AreaMatches:
    """A key frame is its own match: its pixels keep their (snapped) painted colours."""
    n = areas.count + 1
    ref = Reference.of_key(areas, palette)
    return AreaMatches(codes=palette.codes.copy(), confidence=np.ones(n), matched=np.ones(n, bool),
                       flat=np.zeros(n, bool), pixel_index=ref.index, table=ref.table)


def colour_table(codes: np.ndarray, unknown: tuple[float, float, float, float]) -> np.ndarray:
    """(n, 4) float32 colours of codes (``unknown`` for UNKNOWN)."""
    return np.stack([np.asarray(unknown, np.float32) if c == UNKNOWN else code_colour(int(c)) for c in codes])


def distance_field(areas: Areas, scale: float, reach: float) -> np.ndarray:
    """uint8 flow image: 255 on the lines, falling to 0 at ``reach`` working pixels (see represent.py)."""
    h, w = areas.labels.shape
    size = (max(int(round(w * scale)), 32), max(int(round(h * scale)), 32))  # DIS needs room for its patches
    small = cv2.resize(areas.strength, size, interpolation=cv2.INTER_AREA)
    strokes = small > 0.08  # area averaging dilutes thin lines: a low threshold keeps them
    if not strokes.any():
        return np.zeros(strokes.shape, np.uint8)
    dist = cv2.distanceTransform((~strokes).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(255.0 * (1.0 - dist / reach), 0, 255).astype(np.uint8)


def flow_to_reference(target: Areas, reference: Areas, settings: PaintSettings) -> np.ndarray:
    """HxWx2 float32: for each target pixel, the offset to where it is in the reference (full-size pixels)."""
    h, w = target.labels.shape
    scale = min(1.0, settings.flow_long_side / max(h, w))
    reach = settings.flow_reach * max(h, w) * scale
    small = estimate_flow(distance_field(target, scale, reach), distance_field(reference, scale, reach))
    if settings.refine_reach > 0:
        # A second, short-reach pass on the reference pulled back by the first: the wide reach finds limbs
        # and objects that moved far, the short one then sets the lines exactly on each other.
        fine = settings.refine_reach * max(h, w) * scale
        sh, sw = small.shape[:2]
        map_x = np.arange(sw, dtype=np.float32)[None, :] + small[..., 0]
        map_y = np.arange(sh, dtype=np.float32)[:, None] + small[..., 1]
        pulled = cv2.remap(distance_field(reference, scale, fine), map_x, map_y, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        residual = estimate_flow(distance_field(target, scale, fine), pulled)
        # Compose: x → x + r(x) in the pulled image, which is x + r + coarse(x + r) in the reference.
        rx = map_x - small[..., 0] + residual[..., 0]
        ry = map_y - small[..., 1] + residual[..., 1]
        coarse_at = cv2.remap(small, rx, ry, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        small = residual + coarse_at
    flow = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    flow *= np.array([w / small.shape[1], h / small.shape[0]], np.float32)
    return flow


def vote(target: Areas, ref: Reference, flow: np.ndarray, settings: PaintSettings,
         mixes: set[tuple[int, int]] | None = None) -> AreaMatches:
    """Colours of every target area from where its pixels land in the reference (see the module note)."""
    h, w = target.labels.shape
    key = ref.areas
    # Gathers through the flow run in OpenCV's remap (nearest pixel): at 1080p numpy fancy indexing of every
    # map would cost several times more.
    map_x = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    map_y = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    inside = (map_x > -0.5) & (map_x < w - 0.5) & (map_y > -0.5) & (map_y < h - 0.5)

    def gather(image: np.ndarray) -> np.ndarray:
        return cv2.remap(image, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)

    # One gather of the reference's colour index, area labels, confidence and line distance (4 channels).
    landed = gather(ref.packed())
    colour_index = landed[..., 0].astype(np.int32)  # each pixel's colour in the reference
    landed_d = landed[..., 3]                       # distance to the reference's lines (0 on a line)
    unique_codes = ref.table
    n_col = len(unique_codes)
    n_t = target.count + 1
    known = unique_codes != UNKNOWN

    # Votes: interior target pixels landing inside the frame and off the reference's lines; their landings
    # gathered once, all four channels a row (at 1080p each masked copy of a map costs milliseconds).
    cast = np.flatnonzero(~target.line & inside & (landed_d > 0))
    votes = np.take(landed.reshape(-1, 4), cast, axis=0)  # np.take: several times faster than a mask here
    t_lab = np.take(target.labels.reshape(-1), cast).astype(np.int64)
    by_colour = np.bincount(t_lab * n_col + votes[:, 0].astype(np.int64), minlength=n_t * n_col).reshape(n_t, n_col)
    landings = Landings.of(t_lab, votes[:, 1].astype(np.int64), n_t, key.count + 1)
    best_key = landings.most_landed()
    ref_conf = np.bincount(t_lab, weights=votes[:, 2], minlength=n_t)

    total = by_colour.sum(axis=1)
    # Mixed areas: the colours with a real part of the votes are painted where they land.
    # A colour also counts where it holds a patch of real size, however big the area: a shadow painted
    # without a line is a small share of a big area (scattered specks of wrong motion are removed below).
    patch = settings.minor_patch * h * w if settings.minor_patch > 0 else np.inf
    minor = (by_colour >= settings.minor_vote * np.maximum(total, 1)[:, None]) | (by_colour >= max(patch, 1.0))
    allowed = minor & known[None, :]
    if settings.regions:
        # ... but only colours of the reference area(s) this area is (region match, regions.py).
        holds, ref_main = reference_colours(ref.area_colours, settings.minor_vote, patch)
        holds &= known[None, :]
        region = match_regions(landings, holds, ref_main, settings.swallow, settings.minor_vote)
        matched_region = region.best > 0
        allowed[matched_region] &= region.allowed[matched_region]
        # The main colour is the region's colour most pixels landed on (its own main colour if none did).
        ranked = np.where(region.allowed, by_colour, -1)
        best_colour = np.where(matched_region & (ranked.max(axis=1) > 0), ranked.argmax(axis=1),
                               by_colour.argmax(axis=1))
    else:
        best_colour = by_colour.argmax(axis=1)
    share = by_colour[np.arange(n_t), best_colour] / np.maximum(total, 1)
    covered = (by_colour * allowed).sum(axis=1) / np.maximum(total, 1)
    if mixes is not None:
        # Only colours the key puts next to the main colour without a line may share its area (a colour
        # creeping in from a neighbour along the chain is drift); how sure the area is stays as voted.
        allowed &= mix_table(unique_codes, mixes)[best_colour]
    flat = (share >= settings.flat_share) & (allowed.sum(axis=1) <= 1)
    confidence = np.where(flat, share, covered).astype(np.float64)
    if settings.regions:
        # A region matched both ways with no rival of another colour is sure even where noisy motion
        # scattered its pixels (the checks below still apply).
        confidence = np.maximum(confidence, region.sure)
    confidence[~known[best_colour]] = 0.0            # most of it lands where the reference is unpainted
    # Doubt in the reference carries over (the weakest link), without compounding at every step.
    confidence = np.minimum(confidence, np.clip(ref_conf / np.maximum(total, 1), 0.0, 1.0))
    # Too few pixels landed inside reference areas to judge (tiny areas, or all landing on lines).
    enough = total >= np.minimum(3, np.maximum(target.sizes, 1))
    confidence[~enough] = 0.0
    # Size plausibility: an enclosed area far smaller than the key area it landed in is a new shape drawn
    # inside it (a new eye in a face), not a piece of it. Only this direction: gaps in the lines merge and
    # split areas between frames, so "somewhat smaller" or "larger" says little.
    # A new shape is told from a piece of an area (a sliver where lines meet) by where it lands: a piece
    # lands as close to the reference's lines as it lies to its own; a new shape lands out in the open.
    ratio = target.sizes / np.maximum(key.sizes[best_key], 1)
    own_d, land_d = np.take(target.line_distance.reshape(-1), cast), votes[:, 3]
    own = np.bincount(t_lab, weights=own_d, minlength=n_t) / np.maximum(total, 1)
    away = np.bincount(t_lab, weights=land_d, minlength=n_t) / np.maximum(total, 1)
    new_inside = (ratio < settings.min_size_ratio) & ~target.border & (away > 2.0 * own + 2.0)
    confidence[new_inside] *= 0.5
    # Shape check: where motion is right, each pixel lies as far from the reference's lines as from its own
    # (the distance fields agree). An area whose pixels land out in the open of a bigger area, or across
    # its lines, was carried by a wrong motion: not trusted.
    mismatch = np.bincount(t_lab, weights=np.abs(land_d - own_d), minlength=n_t) / np.maximum(total, 1)
    wrong_motion = mismatch > np.maximum(settings.shape_tolerance, 0.5 * own)
    confidence[wrong_motion] *= 0.5
    # Containment: an enclosed area that lands on the key's outside is new drawing, not background.
    frame_px = h * w
    outside = key.border & (key.sizes > OUTSIDE_SHARE * frame_px)
    enclosed = ~target.border & (target.sizes < OUTSIDE_SHARE * frame_px)
    confidence[enclosed & outside[best_key]] = 0.0
    confidence[0] = 0.0

    # Per pixel: where the pixel lands, if that colour belongs here. In a mixed area, any of its colours;
    # next to a line also a neighbour's colour, because the painter's colour boundary need not sit on the
    # line's centre (the fill runs under the line from one side).
    labels = target.labels
    near_line = target.line_distance <= settings.edge_band
    if settings.regions:
        # ... when it lands next to a line there too: a pixel thrown across the open by a wrong motion
        # does not carry the neighbour's colour in.
        near_line &= landed_d <= settings.edge_band
    neighbour_allowed = _spread(allowed, target.adjacency)
    area_colour = best_colour.astype(np.int32)[labels]  # int32 maps, as the pixel index is kept
    choice = area_colour.copy()
    differ = colour_index != choice  # only where the landing colour is not the area's own is there a choice
    if differ.any():
        lab, col = labels[differ], colour_index[differ]
        ok = np.where(near_line[differ], (allowed | neighbour_allowed)[lab, col], (allowed & ~flat[:, None])[lab, col])
        choice[differ] = np.where(ok, col, choice[differ])
        if settings.smooth and len(unique_codes) < 65536:
            # Wrong motion scatters single pixels of a neighbour's colour (and along a chain of frames they
            # would pile up into holes): a 5x5 median keeps boundaries, removes specks. It only ever picks the
            # pixel's own choice or its area's main colour, so no colour appears where it was not allowed.
            smooth = cv2.medianBlur(choice.astype(np.uint16), 5).astype(np.int32)
            np.copyto(choice, smooth, where=(smooth == choice) | (smooth == area_colour))
    seen = by_colour[:, known].sum(axis=1) / np.maximum(total, 1)
    from_lost = None
    if ref.lost is not None:
        from_lost = landings.count_in(ref.lost) / np.maximum(total, 1)
    return AreaMatches(codes=unique_codes[best_colour], confidence=confidence,
                       matched=confidence >= settings.min_confidence, flat=flat,
                       pixel_index=choice, table=unique_codes, seen=seen, from_lost=from_lost)


def rescue(target: Areas, ref: Reference, matches: AreaMatches, flow: np.ndarray,
           settings: PaintSettings) -> AreaMatches:
    """Second chance by shape for areas the motion did not carry (a small object that flew far).

    Candidates are single-coloured reference areas of similar size near where the area's own motion points;
    their masks are laid over the area's at the centroids, and their neighbours' colours are compared with
    the colours already found around the area. A clear best gives the colour; anything less stays unmatched.
    """
    h, w = target.labels.shape
    key = ref.areas
    reach = settings.search_radius * float(np.hypot(h, w))
    todo = [i for i in np.flatnonzero(~matches.matched)
            if i > 0 and target.sizes[i] >= settings.min_rescue and not target.border[i]]
    if not todo:
        return matches
    # The reference areas' own colour: the majority of their painted pixels, if nearly all of them.
    n_k = key.count + 1
    counts = ref.area_colours.copy()
    unknown = ref.table == UNKNOWN
    counts[:, unknown] = 0
    main = counts.argmax(axis=1)
    purity = counts[np.arange(n_k), main] / np.maximum(key.sizes, 1)
    single = purity >= settings.flat_share
    table_index = {int(code): i for i, code in enumerate(matches.table)}
    for area in todo:
        x, y, bw, bh = target.bboxes[area]
        mask_t = target.labels[y:y + bh, x:x + bw] == area
        ys, xs = np.nonzero(mask_t)
        centre_t = np.array([xs.mean() + x, ys.mean() + y])
        moved = centre_t + np.median(flow[ys + y, xs + x], axis=0)
        size = target.sizes[area]
        near = np.flatnonzero(single & (key.sizes > 0.5 * size) & (key.sizes < 2.0 * size)
                              & (np.hypot(*(key.centroids - moved).T) < reach))
        scores = []
        for cand in near:
            if cand == 0:
                continue
            kx0, ky0, kw, kh = key.bboxes[cand]
            mask_k = key.labels[ky0:ky0 + kh, kx0:kx0 + kw] == cand
            # Neighbours: the colours around the candidate should be the colours already found around
            # the area (an apple sits on paper, not inside a sleeve).
            around_t = {int(matches.codes[n]) for n in target.adjacency[area] if matches.matched[n]}
            around_k = {int(ref.table[main[n]]) for n in key.adjacency[cand] if n > 0}
            agree = len(around_t & around_k) / max(len(around_t | around_k), 1) if around_t else 1.0
            scores.append((_overlap(mask_t, mask_k) * (0.7 + 0.3 * agree), int(ref.table[main[cand]])))
        if not scores:
            continue
        scores.sort(reverse=True)
        best, code = scores[0]
        rival = max((sc for sc, c in scores[1:] if c != code), default=0.0)
        if best >= settings.min_overlap and best - rival >= 0.1:
            if code not in table_index:
                matches.table = np.append(matches.table, code)
                table_index[code] = len(matches.table) - 1
            matches.pixel_index[target.labels == area] = table_index[code]
            matches.codes[area] = code
            matches.confidence[area] = best
            matches.matched[area] = True
            matches.flat[area] = True
    return matches


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two masks laid over each other at their centroids."""
    ya, xa = np.nonzero(a)
    yb, xb = np.nonzero(b)
    dy = int(round(ya.mean() - yb.mean()))
    dx = int(round(xa.mean() - xb.mean()))
    ya, xa = ya - min(ya.min(), yb.min() + dy), xa - min(xa.min(), xb.min() + dx)
    yb, xb = yb + dy - min(ya.min(), 0), xb + dx - min(xa.min(), 0)
    shape = (int(max(ya.max(), yb.max())) + 1, int(max(xa.max(), xb.max())) + 1)
    canvas = np.zeros(shape, np.uint8)
    canvas[ya, xa] += 1
    canvas[yb, xb] += 2
    inter = int((canvas == 3).sum())
    return inter / max(int((canvas > 0).sum()), 1)


def _spread(allowed: np.ndarray, adjacency: list[set[int]]) -> np.ndarray:
    """(n, colours) bool: the colours allowed in any neighbour of each area."""
    rows = [i for i, nb in enumerate(adjacency) for _ in nb]
    cols = [j for nb in adjacency for j in nb]
    if not rows:
        return np.zeros_like(allowed)
    graph = sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)), shape=(len(adjacency),) * 2)
    return (graph @ allowed.astype(np.int32)) > 0


def combine(candidates: list[AreaMatches], labels: np.ndarray) -> tuple[AreaMatches, np.ndarray]:
    """Per area, the candidate with the most confident match (ties: the first, i.e. the nearer key).

    Returns the combined matches and, per area, the index of the chosen candidate."""
    if len(candidates) == 1:
        return candidates[0], np.zeros(len(candidates[0].codes), np.int64)
    conf = np.stack([m.confidence for m in candidates])
    chosen = conf.argmax(axis=0)
    pick = np.arange(conf.shape[1])

    def take(name: str) -> np.ndarray:
        return np.stack([getattr(m, name) for m in candidates])[chosen, pick]

    # One table for all candidates; each candidate's indices shifted into it.
    table, inverse = np.unique(np.concatenate([m.table for m in candidates]), return_inverse=True)
    offsets = np.cumsum([0] + [len(m.table) for m in candidates])
    pixel = inverse[offsets[0] + candidates[0].pixel_index].astype(np.int32)
    for index, match in enumerate(candidates[1:], start=1):
        use = (chosen == index)[labels]
        pixel[use] = inverse[offsets[index] + match.pixel_index[use]]
    return AreaMatches(codes=take("codes"), confidence=conf[chosen, pick], matched=take("matched"),
                       flat=take("flat"), pixel_index=pixel, table=table), chosen


def fill_unmatched(primary: AreaMatches, other: AreaMatches, labels: np.ndarray) -> AreaMatches:
    """``primary`` with its unmatched areas taken from ``other`` where that one is sure of them."""
    take = ~primary.matched & other.matched
    take[0] = False
    if not take.any():
        return primary
    table, inverse = np.unique(np.concatenate([primary.table, other.table]), return_inverse=True)
    pixel = inverse[primary.pixel_index].astype(np.int32)
    use = take[labels]
    pixel[use] = inverse[len(primary.table) + other.pixel_index[use]]
    return AreaMatches(codes=np.where(take, other.codes, primary.codes),
                       confidence=np.where(take, other.confidence, primary.confidence),
                       matched=primary.matched | take, flat=np.where(take, other.flat, primary.flat),
                       pixel_index=pixel, table=table, seen=primary.seen, from_lost=primary.from_lost)
