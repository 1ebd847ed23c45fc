"""What tunes the cel separation, passed down from the job (and the bench) instead of module globals. The
defaults are the values `nakawari bench cels` was tuned with. Not here: the learned reader's feature layout
(`features`: the trained model's inputs) and the colour-key baseline's bins (a yardstick, not ours to tune)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CelSettings:
    # single frames, by the look of a cel (`single`); thresholds are for frames about work_height px high
    work_height: int = 540         # px: taller frames are analysed at this height and the mask scaled back
    edge: float = 0.03             # colour gradient (per px, after a 1 px blur) that separates regions
    ink_contrast: float = 0.15     # how much darker than its surroundings a line must be
    ink_dark: float = 0.2          # luminance below which a thin pixel run is ink whatever surrounds it
    wide_dark: int = 9             # px: dark areas this wide are dark paint, not lines
    flat_tolerance: float = 0.04
    flat_share: float = 0.85       # share of a region's pixels within flat_tolerance of its mean colour
    inked_share: float = 0.3       # share of a region's border lying within ink_reach px of ink
    ink_reach: float = 3.5
    min_area: int = 12             # px at the working height: smaller regions are noise, not fills
    dark_rim: int = 3              # px a fill may grow into dark paint next to it (its outline, merged with the dark)
    rim_growth: int = 8            # px a fill may grow through its own outline and anti-aliased rim
    hole_tolerance: float = 0.06
    small_hole: float = 0.0005     # of the frame: enclosed gaps this small join the cel whatever they look like
    palette_tolerance: float = 0.04  # an enclosed gap of one of the cel's fill colours is cel
    smoother: float = 0.6          # an enclosed gap with less than this share of the background's grain is cel
    gradient: float = 0.25         # a region whose colour plane changes more than this across it is painted
                                   # (less: a cel's soft shading does, real characters' shirts and faces 0.1-0.2)
    tones: int = 3                 # a cel fill's tones: base, shadow, highlight
    toned_share: float = 0.9       # share of a region's pixels near one of its tones for it to count as flat
    tone_flips: float = 0.13       # neighbour pairs per pixel of a few-toned region that change tone: more is texture
    toned_texture: float = 2.5 / 255  # inner brush texture below which a few-toned region may be a fill
    inner: int = 4                 # px from any boundary: where a region's inner texture is read
    gradient_area: float = 0.003   # of the frame: regions this large are tested for a gradient
    backdrop_border: float = 0.5   # a region lining this share of the frame's edge is paper or a backdrop
    # shots, by what moves against the plate (`shot`)
    static: float = 0.5            # px: offsets all below this are a static camera
    turn: float = 2.0              # px: a zoom or turn moving a frame corner less than this over the shot is none
    sample: int = 8                # px: the grid of background pixels a camera similarity is fitted to
    snap: float = 0.2              # px: offsets this close to a whole pixel are taken as whole (no resampling blur)
    difference: float = 0.1        # colour difference from the plate (largest channel) that marks a cel pixel
    rim: int = 2                   # px of cel rim kept out of the plate
    support: int = 3               # px: a cel-looking pixel this close to motion (or a held cel) is cel
    backed_share: float = 0.5      # a look-cel piece this much backed by motion is cel whole
    margin: int = 2                # px: a difference mask spills this far past the cel (blur, anti-aliasing)
    mostly: float = 0.75           # share of frames whose look must call a plate pixel cel before it may be held
    min_held_share: float = 0.002  # of a frame: smaller mostly-cel spots are not reported as held cels
    held_motion: float = 0.1       # a held cel's pixels differ from the plate in at most this share of frames


DEFAULT_CELS = CelSettings()
