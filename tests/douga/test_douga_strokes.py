"""Douga → strokes (`nakawari.douga.strokes`): lines become centre lines, fills become closed filled shapes,
the paper becomes nothing; reachable as JSON-RPC `douga.strokes` and `nakawari douga --strokes`."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_helpers import engine_executable
from PIL import Image

from nakawari.cli import main
from nakawari.client import EngineClient, EngineError
from nakawari.douga import schema as S
from nakawari.douga.postprocess import postprocess
from nakawari.douga.strokes import douga_strokes
from nakawari.errors import BadInput
from nakawari.jobs.douga import run_douga_strokes
from nakawari.strokes.model import Drawing
from nakawari.strokes.render import render_coverage
from nakawari.strokes.vectorize import vectorize
from nakawari.synth.douga import douga_case

W, H, LINE = 220, 170, 3.0
BIG, SMALL = ((80, 80), 40), ((170, 80), 20)  # (centre, radius) of two inked rings


def _scene() -> np.ndarray:
    """Paper; a ring of visible line filled with colour fill holding a shading-fill disc; a smaller ring
    around flat area; a horizontal shading line."""
    classes = np.zeros((H, W), np.uint8)
    cv2.circle(classes, BIG[0], BIG[1] - 1, S.COLOR_FILL, -1)
    cv2.circle(classes, BIG[0], 15, S.SHADING_FILL, -1)
    for centre, radius in (BIG, SMALL):
        cv2.circle(classes, centre, radius, S.VISIBLE_LINE, 3)
    cv2.line(classes, (20, 150), (200, 150), S.SHADING_LINE, 3)
    return classes


def _distance(points: np.ndarray, centre: tuple[int, int]) -> np.ndarray:
    return np.linalg.norm(points - np.asarray(centre, float), axis=1)


@pytest.fixture(scope="module")
def drawing() -> Drawing:
    return douga_strokes(_scene(), LINE)


def test_each_class_becomes_its_own_material_and_the_paper_nothing(drawing):
    assert {s.material for s in drawing.strokes} == {S.FLAT, S.VISIBLE_LINE, S.SHADING_LINE, S.SHADING_FILL,
                                                    S.COLOR_FILL}
    flat = [s for s in drawing.strokes if s.material == S.FLAT]
    assert len(flat) == 1  # the enclosed flat area, not the paper around everything
    assert _distance(flat[0].points, SMALL[0]).max() <= SMALL[1] + 1


def test_lines_are_centre_lines_at_the_douga_width(drawing):
    rings = [s for s in drawing.strokes if s.material == S.VISIBLE_LINE]
    assert len(rings) == 2 and all(s.closed for s in rings)
    for (centre, radius) in (BIG, SMALL):
        ring = min(rings, key=lambda s: abs(_distance(s.points, centre).mean() - radius))
        assert np.abs(_distance(ring.points, centre) - radius).max() < 1.0
        assert np.all(ring.width == LINE)
    (line,) = [s for s in drawing.strokes if s.material == S.SHADING_LINE]
    ends = sorted([tuple(line.points[0]), tuple(line.points[-1])])
    assert np.allclose(ends, [(20, 150), (200, 150)], atol=1.5) and not line.closed


def test_fills_are_closed_shapes_reaching_under_their_lines_drawn_below_them(drawing):
    materials = [s.material for s in drawing.strokes]
    fills = [i for i, m in enumerate(materials) if not S.IS_LINE[m]]
    assert max(fills) < min(i for i, m in enumerate(materials) if S.IS_LINE[m])  # every fill below the lines
    (colour,) = [s for s in drawing.strokes if s.material == S.COLOR_FILL]
    (shade,) = [s for s in drawing.strokes if s.material == S.SHADING_FILL]
    assert materials.index(S.SHADING_FILL) > materials.index(S.COLOR_FILL)  # the disc lands on top of its hole
    assert colour.closed and shade.closed and np.all(colour.width == 0)
    # The colour fill's edge runs under the ring's line (radius 40 ± half the 3 px line), not inside it.
    assert np.abs(_distance(colour.points, BIG[0]) - BIG[1]).max() <= 1.6
    assert np.abs(_distance(shade.points, BIG[0]) - 15).max() <= 2.6


def test_a_short_mark_of_spurs_keeps_a_stroke():
    """The vectoriser drops branches shorter than a few line widths as spurs; a little three-armed tick of
    colour edge made only of such branches (it gets no stroke there) still becomes one stroke across it."""
    classes = np.zeros((40, 40), np.uint8)
    for end in ((20, 15), (16, 23), (24, 23)):
        cv2.line(classes, (20, 20), end, S.COLOR_EDGE, 3)
    assert not vectorize((classes > 0).astype(np.float32), LINE)[0].strokes
    (tick,) = douga_strokes(classes, LINE).strokes
    assert tick.material == S.COLOR_EDGE and not tick.closed and np.all(tick.width == LINE)
    assert np.all(classes[tick.points[:, 1].astype(int), tick.points[:, 0].astype(int)] == S.COLOR_EDGE)
    assert np.linalg.norm(tick.points[0] - tick.points[-1]) >= 5


def test_without_fills_only_lines(drawing):
    lines_only = douga_strokes(_scene(), LINE, fills=False)
    assert all(S.IS_LINE[s.material] for s in lines_only.strokes)
    assert len(lines_only) == sum(S.IS_LINE[s.material] for s in drawing.strokes)


def test_strokes_redraw_the_line_pixels_of_a_synthetic_douga():
    """Round trip on a painted figure's post-processed douga: each line class's strokes, drawn at the douga
    width, cover its pixels (within 2 px), and each fill class's shapes cover most of its area."""
    classes = postprocess(douga_case(3, 0, size=(480, 270), backdrop="paper").classes, LINE)
    drawing = douga_strokes(classes, LINE)
    for c in S.LINE_CLASSES:
        mask = classes == c
        if not mask.any():
            continue
        drawn = render_coverage(Drawing([s for s in drawing.strokes if s.material == c]), (480, 270)) > 0.3
        far = cv2.distanceTransform((~drawn).astype(np.uint8), cv2.DIST_L2, 5)
        # Lines render at their width: a line pixel lies within half the width plus the anti-aliased rim.
        assert (far[mask] <= LINE / 2 + 0.5).mean() > 0.99, S.CLASSES[c].name
    for c in (S.SHADING_FILL, S.HIGHLIGHT_FILL):
        canvas = np.zeros(classes.shape, np.uint8)
        cv2.fillPoly(canvas, [np.round(s.points).astype(np.int32) for s in drawing.strokes if s.material == c], 1)
        assert canvas[classes == c].mean() > 0.95, S.CLASSES[c].name


def test_bad_class_maps_are_refused():
    with pytest.raises(ValueError, match="class indices"):
        douga_strokes(np.full((4, 4), 10, np.uint8))
    with pytest.raises(ValueError, match="HxW"):
        douga_strokes(np.zeros((4, 4, 3), np.uint8))


@pytest.fixture(scope="module")
def frame(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("frame") / "pose.png"
    Image.fromarray(douga_case(3, 0, size=(480, 270), backdrop="paper").rgb).save(path)
    return path


def test_engine_protocol_douga_strokes(frame, tmp_path):
    """Through the real engine process and the client the add-ons use."""
    with EngineClient(engine_executable(), log_dir=tmp_path) as client:
        assert client.has("douga.strokes")
        steps = []
        result = client.call("douga.strokes", {"frame": str(frame), "line_width": LINE},
                             progress=lambda done, total, message: steps.append((done, total)), timeout=120)
        assert result["format"] == "nakawari.strokes" and result["kind"] == "douga"
        assert (result["width"], result["height"]) == (480, 270) and result["line_width"] == LINE
        assert [c["name"] for c in result["classes"]] == [c.name for c in S.CLASSES]
        assert steps[-1] == (2, 2)
        in_process = run_douga_strokes(frame, line_width=LINE)
        assert result["strokes"] == json.loads(json.dumps(in_process["strokes"]))
        assert sum(result["counts"].values()) == len(result["strokes"]) > 10
        with pytest.raises(EngineError) as refused:
            client.call("douga.strokes", {"frame": str(tmp_path / "missing.png")}, timeout=60)
        assert "missing.png" in refused.value.message


def test_a_douga_in_class_colours_is_read_as_it_is(tmp_path):
    """input "douga": an image already in class colours (an artist's douga) is decoded, not classified."""
    classes = _scene()
    path = tmp_path / "drawn.png"
    Image.fromarray(S.encode(classes)).save(path)
    result = run_douga_strokes(path, line_width=LINE, input_kind="douga")
    expected = douga_strokes(postprocess(classes, LINE), LINE)
    assert [s["material"] for s in result["strokes"]] == [s.material for s in expected.strokes]
    with pytest.raises(BadInput, match="input must be one of frame, douga"):
        run_douga_strokes(path, input_kind="sketch")


def test_cli_douga_strokes_writes_json_and_never_overwrites(frame, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["douga", str(frame), "--out", str(out), "--strokes", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["frames"][0]["strokes"] == "pose.strokes.json"
    written = json.loads((out / "pose.strokes.json").read_text())
    assert written["strokes"] and {s["material"] for s in written["strokes"]} <= set(range(S.N_CLASSES))
    (out / "manifest.json").unlink()
    assert main(["douga", str(frame), "--out", str(out), "--strokes", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "already exists" in err and "pose" in err
