"""Tuning of flow mode, by step: `InbetweenSettings` holds one frozen group per module and is passed down
from `inbetween()` (and `KeyBank.of`) to every function that reads one. The defaults are the measured
choices (docs/decisions.md); the bench can pass others to turn a step off or measure it again."""

from __future__ import annotations

from dataclasses import dataclass, field

from .align import AlignSettings
from .fallback import RigidPieceSettings
from .flow import DenseFlowSettings
from .fuse import FuseSettings
from .hinge import HingeSettings
from .hold import HoldSettings
from .regions import RegionSettings
from .rigid import RigidSettings
from .selfcheck import SelfCheckSettings


@dataclass(frozen=True)
class PartSettings:
    """Which motions of parts ride on the dense flow (each measured in docs/decisions.md; the bench can
    turn any off)."""

    rigid_parts: bool = True     # rigid-part hypotheses chosen per pixel over the flow (rigid.py)
    areas: bool = True           # closed areas matched one-to-one between the keys add their motions (regions.py)
    rigid_cels: bool = True      # rigid parts for cels too (and thick line art read as cels)
    neighbour_keys: bool = True  # with 3+ keys, matched areas turn on arcs through the neighbouring keys
    field_reach: float = 0.04    # reach of the flow image's distance field, as a share of the working long side


@dataclass(frozen=True)
class InbetweenSettings:
    """Everything flow mode tunes. Large motion (each with a ``use`` switch): a zoom of the whole drawing
    (``align``), limbs swung about their joints (``hinge``); off by default: strokes pulled onto the other
    key's (``rigid.snap_px``), disagreeing stretches held whole (``hold``)."""

    # Working resolution for flow: long side of about this many pixels. Flow on the distance field is
    # smooth, so 1/4 of 1080p loses little and keeps DIS fast.
    work_long_side: int = 480
    drawn_ink: float = 0.03      # any pixel this far from paper (over white) is drawing: lines and light fills
    parts: PartSettings = field(default_factory=PartSettings)
    flow: DenseFlowSettings = field(default_factory=DenseFlowSettings)
    align: AlignSettings = field(default_factory=AlignSettings)
    regions: RegionSettings = field(default_factory=RegionSettings)
    hinge: HingeSettings = field(default_factory=HingeSettings)
    rigid: RigidSettings = field(default_factory=RigidSettings)
    hold: HoldSettings = field(default_factory=HoldSettings)
    fuse: FuseSettings = field(default_factory=FuseSettings)
    check: SelfCheckSettings = field(default_factory=SelfCheckSettings)    # every frame's self-check
    fallback: RigidPieceSettings = field(default_factory=RigidPieceSettings)  # a failed frame's moved pieces


DEFAULT_INBETWEEN = InbetweenSettings()
