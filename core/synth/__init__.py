"""Procedural animation data with exact ground-truth inbetweens.

Articulated mannequin figures (line art or coloured cels) are posed in
joint-angle space; keys and ground-truth inbetweens are renders of the key poses
and of their per-gap linear interpolation.
"""

from .ball import ball_suite
from .cels import CEL_PALETTES, cel_motion
from .figures import mannequin_rig
from .motion import Motion, articulated_motion
from .rig import Camera, Palette, Rig, joints, render_pose
from .suite import (
    LINE_WIDTHS,
    SynthCase,
    articulated_suite,
    case_from_motion,
    cel_suite,
    inbetween_times,
    render_case_frame,
)

__all__ = [
    "CEL_PALETTES", "Camera", "LINE_WIDTHS", "Motion", "Palette", "Rig", "SynthCase",
    "articulated_motion", "articulated_suite", "ball_suite", "case_from_motion", "cel_motion", "cel_suite",
    "inbetween_times", "joints", "mannequin_rig", "render_case_frame", "render_pose",
]
