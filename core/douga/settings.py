"""What tunes the douga reader, passed down from the job (and the bench) instead of module globals. The
defaults are the values `nakawari bench douga` was tuned with; the metric's own tolerances (`score`,
`boundary`) are part of its definition and stay constants."""
from __future__ import annotations

from dataclasses import dataclass, field

from .edges import DEFAULT_EDGES, EdgeSettings


@dataclass(frozen=True)
class DougaSettings:
    # extract: regions and their relations
    boundary_width: int = 3        # px: width the raw prediction draws undrawn boundaries at
    ink_level: float = 0.07        # typical luma of ink
    ink_contrast: float = 0.18     # ink is at least this much darker than its surroundings
    edge_delta: float = 5.0        # Lab ΔE across two pixels that separates two flat regions
    min_edge: int = 16             # px: shorter connected colour jumps are noise, not boundaries
    min_region: int = 12           # px: smaller pieces are transition pixels, not regions
    flat_std: float = 4.5          # Lab std inside a region above which it is paint texture, not a cel fill
    shade_misfit: float = 0.06     # RGB distance of a shade from the nearest multiple of its base colour
    highlight_misfit: float = 0.02  # the same for (1 − RGB) of a highlight and its base (a mix towards white)
    bilateral_sigma: float = 12.0  # colour sigma (8-bit levels) of the edge-preserving smoothing; 0: none
    same_paint: float = 3.0        # Lab ΔE within which two regions' mean colours are one paint
    tone_step: float = 0.02        # luma step between a base paint and a shade or highlight tone
    ink_gate: float = 12           # px (at 540 rows) around the cel mask where ink counts as a line
    grow_steps: int = 4            # px a region grows over unassigned transition pixels
    paper_l: float = 95.0          # Lab lightness above which a region of low chroma is white paper
    paper_chroma: float = 4.0
    edges: EdgeSettings = field(default=DEFAULT_EDGES)  # the colour-edge reader of soft-painted boundaries
    # postprocess
    vote_radius: int = 3           # px around a line pixel whose raw classes vote on its class
    # strokes
    min_fill_area: int = 6         # px: smaller fill areas are specks the post-processor left between lines
    simplify: float = 0.6          # px: an outer edge is simplified to within this of the pixel boundary


DEFAULT_DOUGA = DougaSettings()
