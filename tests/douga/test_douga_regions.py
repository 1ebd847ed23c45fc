"""Region-painted drawings with exact truth, the region-boundary metric, paint-boundary lines and their classes."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.bench.douga_regions import canny_edges, real_region_cases
from nakawari.cli import main
from nakawari.douga import schema as S
from nakawari.douga.boundary import (
    BoundaryScore,
    boundary_score,
    labels_from_colours,
    region_boundaries,
)
from nakawari.douga.edges import EdgeSettings, relation_classes
from nakawari.douga.extract import extract
from nakawari.douga.postprocess import postprocess
from nakawari.errors import BadInput
from nakawari.synth.regions import FAMILIES, region_case

SMALL = (320, 240)


def test_generator_is_deterministic_and_seeds_differ():
    for family in FAMILIES:
        a, b = region_case(3, 1, family, SMALL), region_case(3, 1, family, SMALL)
        assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.labels, b.labels)
        assert np.array_equal(a.classes, b.classes) and np.array_equal(a.boundary, b.boundary)
    assert not np.array_equal(region_case(3, 1, "flat", SMALL).labels, region_case(4, 1, "flat", SMALL).labels)


def test_generator_truth_is_exact():
    case = region_case(7, 0, "flat", SMALL)  # flat paint, no blur, noise or JPEG
    # Every region boundary is in the truth, and the drawn lines are too.
    assert np.array_equal(case.boundary & region_boundaries(case.labels), region_boundaries(case.labels))
    assert (case.classes[case.ink] == S.VISIBLE_LINE).all()
    assert case.labels.max() >= 3
    # Away from ink and boundaries, each region is painted one colour (the labels say what the paint is).
    clear = cv2.erode((~case.ink & ~region_boundaries(case.labels)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    for label in np.unique(case.labels[clear]):
        colours = case.rgb[clear & (case.labels == label)].astype(int)
        assert np.ptp(colours, axis=0).max() <= 1, label
    # Boundary pixels that are not ink centres really separate two labels.
    edge_only = case.boundary & ~case.ink
    right = np.zeros_like(edge_only)
    right[:, :-1] = case.labels[:, :-1] != case.labels[:, 1:]
    down = np.zeros_like(edge_only)
    down[:-1, :] = case.labels[:-1, :] != case.labels[1:, :]
    assert (right | down)[edge_only].all()


def test_boundary_metric_on_a_hand_made_case():
    labels = np.zeros((20, 20), np.int32)
    labels[:, 10:] = 1
    lines = np.zeros((20, 20), bool)
    lines[:, 9:12] = True  # a 3 px line over the boundary (column 9 | 10)
    score = boundary_score(np.where(lines, S.VISIBLE_LINE, S.FLAT), labels, tolerance=2.0)
    assert score.recall == 1.0 and score.precision == 1.0
    far = np.zeros((20, 20), bool)
    far[:, 16] = True
    score = BoundaryScore().add(far, region_boundaries(labels), tolerance=2.0)
    assert score.recall == 0.0 and score.precision == 0.0
    half = np.zeros((20, 20), bool)
    half[:10, 10] = True
    score = BoundaryScore().add(half, region_boundaries(labels), tolerance=2.0)
    # The boundary is column 9; rows 0-9 are 1 px from the line, row 10 is √2 px away, row 11 √5 > 2.
    assert score.precision == 1.0 and score.recall == pytest.approx(11 / 20)
    colours = np.zeros((4, 4, 3), np.uint8)
    colours[:, 2:] = (10, 20, 30)
    assert np.array_equal(region_boundaries(labels_from_colours(colours))[:, 1], np.ones(4, bool))
    with pytest.raises(ValueError):
        BoundaryScore().add(np.zeros((3, 3), bool), np.zeros((4, 4), bool))


def test_boundary_kinds_follow_the_colour_relation():
    s = EdgeSettings()
    base = np.array([[0.8, 0.5, 0.4]])
    cls = relation_classes(base * 0.7, base, s)
    assert cls[0] == S.SHADING_LINE
    assert relation_classes(base, base + 0.5 * (1 - base), s)[0] == S.HIGHLIGHT_LINE
    assert relation_classes(np.array([[0.3, 0.4, 0.9]]), base, s)[0] == S.COLOR_EDGE
    assert relation_classes(base, np.ones((1, 3)), s)[0] == S.VISIBLE_LINE  # the outline on white paper


@pytest.mark.parametrize("family", ["flat", "soft", "compressed"])
def test_douga_puts_lines_on_paint_boundaries(family):
    case = region_case(11, 2, family, SMALL)
    predicted = postprocess(extract(case.rgba()), 3.0)
    score = BoundaryScore().add(S.IS_LINE[predicted], case.boundary)
    assert score.recall >= 0.9 and score.precision >= 0.8, (score.recall, score.precision)
    assert score.f1 > BoundaryScore().add(canny_edges(case.rgba()), case.boundary).f1
    # Drawn lines and marks (eyes, mouths) are kept: ink lies within 2 px of a line, and of a visible line
    # where the whole frame is cel (by default the cels module's guess decides where dark strokes are ink).
    reach = cv2.distanceTransform((~S.IS_LINE[predicted]).astype(np.uint8), cv2.DIST_L2, 3)
    assert (reach[case.ink] <= 2.0).mean() >= 0.97
    all_cel = postprocess(extract(case.rgba(), cel=np.ones(case.labels.shape, bool)), 3.0)
    reach = cv2.distanceTransform((all_cel != S.VISIBLE_LINE).astype(np.uint8), cv2.DIST_L2, 3)
    assert (reach[case.ink] <= 2.0).mean() >= 0.97


def test_cel_mask_keeps_lines_off_the_background():
    case = region_case(11, 2, "flat", SMALL)
    rgba = case.rgba()
    cel = np.zeros(case.labels.shape, bool)
    cel[:, : SMALL[0] // 2] = True
    classes = extract(rgba, cel=cel)
    assert not S.IS_LINE[classes[:, SMALL[0] // 2 + 40:]].any()
    assert S.IS_LINE[classes[:, : SMALL[0] // 2]].any() == S.IS_LINE[extract(rgba)[:, : SMALL[0] // 2]].any()
    with pytest.raises(ValueError):
        extract(rgba, cel=np.zeros((5, 5), bool))


def test_real_region_folder_bad_input(tmp_path, capsys):
    with pytest.raises(BadInput):
        real_region_cases(tmp_path)
    with pytest.raises(BadInput):
        real_region_cases(tmp_path / "missing")
    # The CLI refuses a folder without region maps before any work: one line, exit status 2.
    assert main(["bench", "douga", str(tmp_path), "--quick"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "region map" in err
