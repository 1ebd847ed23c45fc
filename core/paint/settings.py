"""The settings of painting, passed down as one value so every step reads the same numbers."""
from __future__ import annotations

from dataclasses import dataclass

LAYERS = ("full", "fill")


@dataclass(frozen=True)
class PaintSettings:
    """How line frames are split into areas, matched to the painted keys and filled.

    Distances are in pixels of the frames as given; shares are in [0, 1].
    """

    # Areas -----------------------------------------------------------------------------------------
    gap: float = 4.0               # line gaps up to this wide still close an area (artists leave small gaps)
    line_threshold: float = 0.35   # ink (read relative to the drawing) above this is line, not area
    colour_line_chroma: float = 0.2  # chroma (max-min of RGB) that makes a mark a coloured line at full strength
    min_area: int = 4              # smaller specks between lines are not areas of their own (they join a neighbour)
    # Reading the keys' colours ------------------------------------------------------------------------
    interior_margin: float = 1.5   # key colours are read this far from the lines (away from anti-aliased rims)
    flat_pixels: int = 2           # a colour with this many key pixels equal to their 4 neighbours is a palette
                                   # colour (a fill is flat; an anti-aliased blend never is, however many pixels)
    aa_share: float = 0.02         # more off-mode interior pixels than this share: the key's fills are anti-aliased
    # Matching ---------------------------------------------------------------------------------------
    flow_long_side: int = 640      # flow is estimated at this long side (speed: 1080p under a second on 2 cores)
    flow_reach: float = 0.08       # distance-field reach as a share of the working long side (wider than the
                                   # inbetweener's 0.04: objects fly further between drawn frames; measured)
    refine_reach: float = 0.0      # a second flow pass with this shorter reach (0: none)
    min_confidence: float = 0.6    # an area whose best colour has less of the votes than this stays unmatched
    flat_share: float = 0.9        # an area whose votes agree this much is filled flat with one colour
    minor_vote: float = 0.08       # in a mixed area, colours with this share of the votes are painted where they land
    minor_patch: float = 0.001     # ... and colours landing on this share of the frame's pixels, however big the area
    edge_band: float = 6.0         # this close to a line, a pixel may take a neighbour's colour where it lands
    shape_tolerance: float = 2.0   # px: mean disagreement of line distances above which a match's motion is wrong
    search_radius: float = 0.15    # shape search for areas motion did not carry: this share of the frame diagonal
    min_rescue: int = 30           # areas smaller than this (px) are not searched for by shape
    min_overlap: float = 0.6       # the overlap (IoU at the centroids) a shape match needs
    smooth: bool = True           # remove specks from per-pixel colours (5x5 median within the allowed colours)
    min_size_ratio: float = 0.03   # an enclosed area this much smaller than the key area it landed in is new
    regions: bool = True           # an area holds only the colours of the reference area(s) it is (regions.py)
    swallow: float = 0.6           # a reference area this much of whose landings come from one area merged into it
    key_mixes: bool = True         # colours share an area (no line between them) only where a key has them so
    recall: bool = True            # areas a chain step loses are looked up in the frame before (once)
    chain: bool = True             # carry colours frame by frame from each key (else match every frame to the keys)
    # Filling ----------------------------------------------------------------------------------------
    unmatched: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # marker colour, RGBA (transparent)
    layer: str = "full"            # full: fills under the frame's lines; fill: the fills alone
    line_floor: float = 0.08       # paper grain below this ink does not tint the fills (exact palette inside areas)

    def __post_init__(self) -> None:
        if not 0.0 <= self.gap <= 64.0:
            raise ValueError(f"gap must be between 0 and 64 px, got {self.gap:g}")
        if self.layer not in LAYERS:
            raise ValueError(f"layer must be {' or '.join(LAYERS)}, got '{self.layer}'")
