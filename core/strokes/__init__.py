"""Vector inbetweening: strokes (model, JSON io), correspondence between keys, interpolation on arcs,
rendering, and vectorisation of clean raster line art.

  model.py        Stroke, Drawing, input checks (bounded cost)
  io.py           the versioned JSON schema (`nakawari strokes`, `strokes.inbetween`)
  match.py        stroke correspondence regardless of drawing order and direction, with confidences
  descriptors.py  what matching knows of a stroke: arc-length descriptor, length, contacts
  twins.py        twin parts (left and right limbs) told apart by where they join the rest
  triples.py      three keys or more: the direct match of keys k and k+2 settles which gap is at odds
  pieces.py       a line drawn as several strokes end to end in one key, joined to match and move as one
  settings.py     what all of the above tune (`StrokeSettings`, one frozen group per step), passed down
  interpolate.py  turn-scale-shift + residual between two keys; Catmull-Rom arcs through 3+ keys
  hinges.py       pivots (the joint a part swings about) and hinged parts moving relative to their parent
  render.py       anti-aliased rendering at each stroke's width and opacity
  vectorize.py    clean raster line art → skeleton → strokes with measured width
  raster.py       vector mode for raster keys (`nakawari inbetween --mode vector|auto`)
  guide.py        raster keys: strokes without a confident match follow flow mode's motion, where it holds
  geometry.py     arc-length resampling and shape alignment shared by the above
"""
from .interpolate import Frame, StrokeInbetweener, inbetween_strokes
from .match import Correspondence, Match, match_drawings
from .model import Drawing, Stroke, check_drawing
from .render import render_coverage, render_drawing
from .settings import MatchSettings, StrokeSettings

__all__ = ["Correspondence", "Drawing", "Frame", "Match", "MatchSettings", "Stroke", "StrokeInbetweener",
           "StrokeSettings", "check_drawing", "inbetween_strokes", "match_drawings", "render_coverage",
           "render_drawing"]
