"""What a generated frame says about itself: how far to trust it, and which parts fell back.

Standard library only: the strokes job (which hosts start often) imports it without the raster engine.

Every inbetweening path (line art, cels, finished colour frames, learned) returns one ``FrameCheck`` per
frame. The job writes it into the manifest and the protocol; the hosts show the artist which frames to check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Below this a host flags the frame for the artist to check (a layer colour, a frame label, a report line).
CHECK_BELOW = 0.6
# A stroke pair matched with less confidence than this is doubtful (the strokes bench flags it too).
DOUBTFUL_MATCH = 0.1


@dataclass(frozen=True)
class FrameCheck:
    """The self-check of one generated frame.

    ``confidence`` in [0, 1]: 1 the frame passed every check as generated; lower where parts fell back or
    the correspondence was doubtful. ``fallback`` names what replaced the generated frame or parts of it:
    "" (nothing), "parts" (some regions), "moved" (the nearer key's pieces, each moved whole), "hold" (the
    nearer key, as drawn), "cross-fade" (the keys blended, whole). ``regions`` are full-size pixel boxes
    (x, y, width, height) that fell back. ``note`` is one line an artist can read ("" when there is nothing
    to say).
    """

    confidence: float = 1.0
    fallback: str = ""
    regions: tuple[tuple[int, int, int, int], ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def flagged(self) -> bool:
        return self.confidence < CHECK_BELOW

    def to_json(self) -> dict[str, Any]:
        """The manifest's / protocol's per-frame fields."""
        return {
            "confidence": round(float(self.confidence), 3),
            "check": self.flagged,
            "fallback": self.fallback,
            "fallback_regions": [list(map(int, box)) for box in self.regions],
            **({"note": self.note} if self.note else {}),
        }


def stroke_gap_check(matches: dict[str, Any]) -> FrameCheck:
    """The check of the frames in one gap of vector inbetweens, from that gap's matches (``matches_to_json``):
    doubtful pairs and strokes without a partner (they fade in or out) lower the confidence."""
    pairs = matches.get("pairs", [])
    unmatched = len(matches.get("unmatched_from", [])) + len(matches.get("unmatched_to", []))
    total = len(pairs) + unmatched
    if total == 0:
        return FrameCheck()
    doubtful = sum(pair["confidence"] < DOUBTFUL_MATCH for pair in pairs)
    confidence = 1.0 - doubtful / total - 0.5 * unmatched / total
    notes = ([f"{doubtful} of {len(pairs)} stroke pairs are doubtful"] if doubtful else []) + (
        [f"{unmatched} strokes have no partner and fade"] if unmatched else [])
    return FrameCheck(confidence=max(confidence, 0.0), note="; ".join(notes))
