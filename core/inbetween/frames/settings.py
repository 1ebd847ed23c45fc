"""Settings of the finished-colour-frames path (``mode="frames"``), passed down to every step.

Distances are in working pixels (the flow runs on the keys shrunk to at most ``work_side``, so they mean the
same for a 1080p and a 720p shot), colour differences in units of [0, 1] images (8- and 16-bit alike).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FramesSettings:
    # Motion ------------------------------------------------------------------------------------------------
    work_side: int = 1280           # longest side the flow is estimated at (1080p → 1280×720): speed vs detail
    occlusion_px: float = 1.0       # forward-backward mismatch (working px) still counted as consistent…
    occlusion_share: float = 0.05   # …plus this share of the motion: long flows are less precise
    camera_inlier_px: float = 1.0   # RANSAC reprojection threshold of the camera fit (working px)
    camera_min_share: float = 0.35  # the camera model is used when at least this share of pixels follow it
    timing_spread: float = 0.15     # std. dev. of the true drawing's timing around t, halfway (fraction of the gap)
    timing_blur_max_px: float = 6.0  # the hedge blurs at most this far to each side (working px): faces stay readable
    timing_samples: int = 5         # timings averaged, evenly across ±2 std. dev. (0 or 1: draw exactly at t)
    hold_share: float = 0.3         # chance the drawing between holds a key's picture (limited animation: a
                                    # head held while the mouth changes): that share of the keys' blend, softened
    # Anime specifics ----------------------------------------------------------------------------------------
    held_tolerance: float = 2.5 / 255   # keys closer than this (every channel) count as an unchanged pixel…
    held_passing: float = 8.0 / 255     # …and are copied unless the frame at t differs more (something passes)
    cut_histogram: float = 0.3      # colour-histogram (Hellinger) distance above which the keys may be a cut…
    cut_unmatched: float = 0.8      # …and the share of pixels the flow could not match that confirms it;
    cut_unmatched_alone: float = 0.92  # a cut within one palette (same set, new angle): nearly nothing matches
    crisp_from: float = 0.15        # warped keys differing by more than this: lean towards one of them…
    crisp_full: float = 0.35        # …and take only one from this difference on (no doubled outlines)
    # Do no harm ---------------------------------------------------------------------------------------------
    block_px: int = 24              # side of the blocks checked against the cross-fade (working px)
    block_gain: float = 0.85        # a block keeps the warp if it brings the keys at least this much closer
    compare_blur_px: float = 1.0    # the keys and warped keys are compared blurred by this (working px)
    block_noise: float = 4.0 / 255  # blocks whose keys differ less than this never fall back (nothing to fix)
    feather_px: float = 6.0         # fallback regions are blended in over this many working pixels
    # Learned refinement -------------------------------------------------------------------------------------
    refine: Literal["auto", "on", "off"] = "auto"  # the installed network mixes each frame ("auto": only when
                                                   # its manifest records that it wins on real frames)
