"""Tuning of vector mode: how strokes are matched between keys and how they move (`StrokeSettings`).

One frozen dataclass per step, grouped under `StrokeSettings`, which `StrokeInbetweener` and
`inbetween_strokes` take and pass down (`match_drawings` takes its `MatchSettings`). The defaults are the
measured choices (docs/decisions.md); the bench can pass others to measure again. Lengths are shares of the
drawing's scale (`descriptors.drawing_scale`) unless said otherwise; costs are in the matching's units (a pair
costlier than 2 × `MatchSettings.unmatched_cost` is left unmatched).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TwinSettings:
    """Twin parts (left and right forearm) told apart by where they join the rest (`twins.py`)."""

    w_joint: float = 3.0        # a contact landing apart costs its distance (of the drawing's scale), capped ...
    joint_cap: float = 0.1      # ... here: parts that merely overlap in one key part freely
    w_pivot: float = 0.5        # ... and the point the two turn about must be near that contact (a joint)
    pivot_cap: float = 0.25
    lasting: float = 0.03       # a contact whose points land this close (of the scale) in another key lasts
    swap_slack: float = 0.15    # an exchange is tried when neither new pair is this much worse on its own
    max_joint_swaps: int = 10   # exchanges tried in every combination within one group of touching twins
    descent_rounds: int = 10    # larger groups: rounds of improving moves
    chain_move: int = 5         # larger groups: up to this many exchanges along a chain at once ...
    max_moves: int = 2000       # ... and at most this many such moves kept


@dataclass(frozen=True)
class MatchSettings:
    """Stroke correspondence between two keys (`match.py`), twins included."""

    refine: int = 128             # points for the closed strokes' start-point refinement
    candidates: int = 24          # nearest strokes (by predicted position) considered per stroke
    neighbours: int = 4           # nearby matched strokes that predict a stroke's motion in later passes
    contacts: int = 8             # nearby strokes whose points of contact it must keep
    passes: int = 8               # at most; matching stops as soon as an assignment repeats
    w_contact: float = 3.0        # later passes: where a stroke touches its neighbours must stay where they went
    contact_cap: float = 0.25     # (of the drawing's scale) one neighbour that moved elsewhere costs at most this
    length_power: float = 1.0     # a neighbour's say in a stroke's predicted motion: (its length)^this
    w_position: float = 2.0
    w_length: float = 1.0
    w_shape: float = 1.5
    w_order: float = 4.0          # with order_hint: cost of pairing the first stroke with the last
    mismatch_penalty: float = 0.6  # closed vs open, or another material
    unmatched_cost: float = 1.2   # a pair costlier than two unmatched halves (2 × this) is left unmatched
    symmetry: float = 0.05        # alignments that fit within this of the best (1 − fit) are told apart by contacts
    rounds: int = 4               # at most, of choosing those alignments again as the neighbours' choices change
    doubt: float = 1.0            # twins: an exchange costing this much more than the choice made leaves 63 % of
                                  # its confidence
    dense_limit: int = 1000       # strokes in both keys together; above, the sparse matching (faster there, and
                                  # memory bounded)
    # How much an alignment that turns the stroke by π costs against a perfect shape fit (0..1): between two
    # equally good fits (a straight line either way, a circle from any start) the one that turns less wins.
    turn_penalty: float = 0.35
    min_turn: float = 0.25        # rad: below, a relative turn does not say where its centre is
    twins: TwinSettings = field(default_factory=TwinSettings)


@dataclass(frozen=True)
class TripleSettings:
    """Three keys or more: which of three disagreeing pairings is corrected (`triples.py`)."""

    clear: float = 0.65      # the pairing corrected must cost at most this share of what the next cheapest fix costs
    w_lasting: float = 2.0   # weight of the joints (lasting from the first key to the last) a gap's fix breaks


@dataclass(frozen=True)
class PieceSettings:
    """One line drawn as several strokes end to end, joined to its partner (`pieces.py`)."""

    join_reach: float = 0.02         # of the drawing's scale, and at most ...
    join_reach_length: float = 0.1   # ... this share of the keys' median stroke length: an end this close continues
    retrace: float = 4.0             # × that reach: a piece may start this far back along the line's end
    join_gain: float = 0.1           # the pair's own cost must fall by this much for a piece to be joined
    max_pieces: int = 4              # strokes joined into one line at most
    join_match: float = 0.6          # pieces left unmatched are joined only if they then fit an unmatched stroke
                                     # this well
    nearby: int = 4                  # unmatched strokes tried as a piece of an unmatched stroke's line (nearest) ...
    near: float = 1.0                # ... within this share of the drawing's scale
    rounds: int = 2                  # of joining pieces and matching again (a line split in three keys joins in two)


@dataclass(frozen=True)
class HingeSettings:
    """Pivots and hinged parts between keys (`hinges.py`)."""

    min_joint_turn: float = 0.1      # below this relative turn between keys (≈ 6°) the point two parts turn
                                     # about is unknown
    joint_reach: float = 0.75        # that point lies this share of the smaller part's spread from their contact
    pivot_prior: float = 0.15 ** 2   # a turn much below 0.15 rad between keys does not place the pivot


@dataclass(frozen=True)
class StrokeSettings:
    """Everything vector mode tunes, by step."""

    match: MatchSettings = field(default_factory=MatchSettings)
    triples: TripleSettings = field(default_factory=TripleSettings)
    pieces: PieceSettings = field(default_factory=PieceSettings)
    hinges: HingeSettings = field(default_factory=HingeSettings)


# The defaults, one instance each (what the functions take when given none).
DEFAULT_STROKES = StrokeSettings()
DEFAULT_MATCH = DEFAULT_STROKES.match
DEFAULT_TRIPLES = DEFAULT_STROKES.triples
DEFAULT_PIECES = DEFAULT_STROKES.pieces
DEFAULT_HINGES = DEFAULT_STROKES.hinges
