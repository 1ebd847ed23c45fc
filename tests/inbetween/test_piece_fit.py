"""The moved-pieces fall-back finds a piece's whole motion on the other key and moves it on an arc."""
from __future__ import annotations

import cv2
import numpy as np

from nakawari.inbetween.fallback import moved_pieces
from nakawari.inbetween.piece_fit import InkDistance, fit_piece
from nakawari.inbetween.rigid import Similarity

SIZE = 200
PIVOT = (100.0, 100.0)


def _arm(degrees: float) -> np.ndarray:
    """An L-shaped limb of 70 px hinged at PIVOT, turned by ``degrees`` (0: pointing right)."""
    ink = np.zeros((SIZE, SIZE), np.float32)
    angle = np.radians(degrees)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    start = np.array(PIVOT)
    elbow = start + 70 * direction
    hand = elbow + 25 * normal
    for p, q in ((start, elbow), (elbow, hand)):
        cv2.line(ink, tuple(int(v) for v in np.rint(p)), tuple(int(v) for v in np.rint(q)), 1.0, 2)
    return ink


def _ink_centre(ink: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(ink > 0.5)
    return np.array([xs.mean(), ys.mean()])


def test_fit_piece_finds_a_turn_the_flow_lost():
    a, b = _arm(0.0), _arm(100.0)
    ys, xs = np.nonzero(a > 0.5)
    lost = Similarity(1.0 + 0j, 0j)   # the flow saw no motion at all
    whole = fit_piece(np.stack([xs, ys], axis=1).astype(np.float32), InkDistance(b > 0.5), lost)
    assert abs(np.degrees(np.angle(whole.a)) - 100.0) < 5.0
    assert abs(abs(whole.a) - 1.0) < 1e-6      # a part keeps its size


def test_moved_pieces_travel_on_an_arc_about_the_joint():
    a, b = _arm(0.0), _arm(100.0)
    no_motion = np.zeros((SIZE, SIZE, 2), np.float32)
    half = moved_pieces(a, b, no_motion, 0.5, scale=1.0, width=2.0)
    truth = _arm(50.0)
    # Rotated about the pivot, not slid along a chord: the middle lands where the half-turned arm is.
    assert np.linalg.norm(_ink_centre(half) - _ink_centre(truth)) < 4.0
    assert cv2.connectedComponents((half > 0.5).astype(np.uint8))[0] - 1 == 1   # still one whole piece
