"""Painting line frames from painted keys, on synthetic figures with exact truth (core/synth/paintcase.py)."""
import json
from pathlib import Path

import numpy as np
import pytest

from nakawari.cli import main
from nakawari.image import write_image
from nakawari.paint import PaintSettings, paint_frames
from nakawari.synth.paintcase import PALETTE, SHADOW_LINE, Pose, fill_truth, render

KEY = Pose()
MOVED = Pose(dx=14, dy=6, angle=6)


def _u8(image: np.ndarray) -> np.ndarray:
    return np.round(image[..., :3] * 255).astype(np.uint8)


def _accuracy(out: np.ndarray, pose: Pose) -> float:
    truth, paint = fill_truth(pose)
    return float((_u8(out)[paint] == truth[paint]).all(axis=1).mean())


def _colours(image: np.ndarray, mask: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(c) for c in np.unique(_u8(image)[mask], axis=0).tolist()}


def test_moved_figure_is_painted_with_the_keys_exact_palette():
    lines = [render(KEY, painted=False), render(MOVED, painted=False)]
    result = paint_frames(lines, {0: render(KEY)}, PaintSettings())
    out = result.frames[1].image
    assert _accuracy(out, MOVED) >= 0.99
    # Away from the lines (bare paper in the line frame) every pixel is a palette colour of the key, exactly.
    bare = (_u8(lines[1]) == 255).all(axis=2)
    palette = {tuple(c) for c in PALETTE.values() if c != PALETTE["badge"]} | {(255, 255, 255)}
    assert _colours(out, bare) <= palette
    assert (out[..., 3] == 1.0).all() and not result.frames[1].unmatched
    assert result.frames[1].painted_share == pytest.approx(1.0)


def test_lines_keep_their_colour_over_the_fills():
    line = render(MOVED, painted=False)
    out = paint_frames([render(KEY, painted=False), line], {0: render(KEY)}, PaintSettings()).frames[1].image
    import cv2
    core = (_u8(line) == SHADOW_LINE).all(axis=2)  # the blue shadow line's fully covered pixels,
    black = cv2.dilate((_u8(line).max(axis=2) < 100).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    core &= ~black  # away from where it meets the black outlines (there the darker line sets the coverage)
    assert core.sum() > 20
    assert (_u8(out)[core] == SHADOW_LINE).all()
    fill_only = paint_frames([render(KEY, painted=False), line], {0: render(KEY)},
                             PaintSettings(layer="fill")).frames[1].image
    assert _colours(fill_only, np.ones(core.shape, bool)) <= {tuple(c) for c in PALETTE.values()} | {(255,) * 3}


def test_a_new_shape_is_left_in_the_marker_colour_and_listed():
    pose = Pose(dx=-8, dy=4, angle=-5, badge=True)
    lines = [render(KEY, painted=False), render(pose, painted=False)]
    frame = paint_frames(lines, {0: render(KEY)}, PaintSettings(unmatched=(1.0, 0.0, 1.0, 1.0))).frames[1]
    truth, paint = fill_truth(pose)
    badge = paint & (truth == PALETTE["badge"]).all(axis=2)
    assert badge.sum() > 300
    assert (_u8(frame.image)[badge] == (255, 0, 255)).all()      # marker, not a guessed colour
    # The badge is the one real unmatched area (at most a few pixels of slivers where lines meet besides).
    assert sum(u["size"] for u in frame.unmatched[1:]) < 30
    x, y, w, h = frame.unmatched[0]["bbox"]
    ys, xs = np.nonzero(badge)
    assert x <= xs.min() and y <= ys.min() and x + w > xs.max() and y + h > ys.max()
    assert frame.unmatched[0]["size"] >= badge.sum()
    assert _accuracy(frame.image, pose) >= 0.99 * (1 - badge.sum() / paint.sum())
    # Transparent by default.
    clear = paint_frames(lines, {0: render(KEY)}, PaintSettings()).frames[1].image
    assert (clear[..., 3][badge] == 0.0).all()


def test_a_gap_in_the_outline_is_closed():
    pose = Pose(dx=10, dy=-4, angle=4, gap=3)
    lines = [render(Pose(gap=3), painted=False), render(pose, painted=False)]
    out = paint_frames(lines, {0: render(Pose(gap=3))}, PaintSettings(gap=5)).frames[1].image
    assert _accuracy(out, pose) >= 0.98
    truth, _ = fill_truth(pose)
    paper = (truth == 255).all(axis=2) & (_u8(lines[1]) == 255).all(axis=2)
    assert (_u8(out)[paper] == 255).all(axis=1).mean() >= 0.995  # the body did not leak into the paper


def test_frames_between_two_keys_take_the_nearer_surer_key():
    poses = [Pose(dx=4 * i, dy=-2 * i, angle=2 * i) for i in range(5)]
    lines = [render(p, painted=False) for p in poses]
    result = paint_frames(lines, {0: render(poses[0]), 4: render(poses[4])}, PaintSettings())
    for index in (1, 2, 3):
        assert _accuracy(result.frames[index].image, poses[index]) >= 0.98
    assert result.frames[1].keys[0] == 0 and 4 in result.frames[3].keys


def test_antialiased_key_fills_are_snapped_to_the_palette():
    import cv2
    soft = render(KEY)
    soft[..., :3] = cv2.GaussianBlur(soft[..., :3], (0, 0), 1.2)  # soft edges everywhere
    lines = [render(KEY, painted=False), render(MOVED, painted=False)]
    result = paint_frames(lines, {0: soft}, PaintSettings(layer="fill"))
    assert result.palettes[0].snapped
    assert _accuracy(result.frames[1].image, MOVED) >= 0.97
    used = _colours(result.frames[1].image, np.ones(lines[1].shape[:2], bool))
    assert len(used) <= len(PALETTE) + 1


# --- the CLI -----------------------------------------------------------------------------------------

def _sequence(tmp_path: Path) -> tuple[Path, Path]:
    line_dir, paint_dir = tmp_path / "line", tmp_path / "colour"
    line_dir.mkdir()
    paint_dir.mkdir()
    for i in range(3):
        pose = Pose(dx=5 * i, dy=2 * i, angle=2 * i)
        write_image(line_dir / f"cut.{i + 1:04d}.png", render(pose, painted=False))
    write_image(paint_dir / "cut.0001.png", render(Pose()))
    return line_dir, paint_dir


def test_cli_writes_every_frame_and_a_manifest(tmp_path, capsys):
    line_dir, paint_dir = _sequence(tmp_path)
    out = tmp_path / "out"
    code = main(["paint", str(line_dir / "cut.####.png"), "--painted", str(paint_dir / "cut.0001.png"),
                 "--out", str(out), "--quiet"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["file"] for f in manifest["frames"]] == ["cut.0001.png", "cut.0002.png", "cut.0003.png"]
    assert manifest["frames"][0]["key"] and not manifest["frames"][2]["key"]
    for frame in manifest["frames"]:
        assert (out / frame["file"]).is_file() and frame["painted_share"] > 0.99 and frame["unmatched"] == []
    assert manifest["keys"][0]["snapped"] is False
    # Existing files are refused without --overwrite, and nothing changes.
    before = (out / "cut.0002.png").read_bytes()
    code = main(["paint", str(line_dir / "cut.####.png"), "--painted", str(paint_dir / "cut.0001.png"),
                 "--out", str(out), "--quiet"])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert (out / "cut.0002.png").read_bytes() == before
    assert main(["paint", str(line_dir / "cut.####.png"), "--painted", str(paint_dir / "cut.0001.png"),
                 "--out", str(out), "--quiet", "--overwrite", "--layer", "fill", "--unmatched", "#ff00ff"]) == 0


@pytest.mark.parametrize("case", ["size", "number", "none", "colour"])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, case):
    line_dir, paint_dir = _sequence(tmp_path)
    painted = [str(paint_dir / "cut.0001.png")]
    extra: list[str] = []
    if case == "size":
        write_image(paint_dir / "cut.0002.png", np.ones((50, 60, 4), np.float32))
        painted.append(str(paint_dir / "cut.0002.png"))
    elif case == "number":
        write_image(paint_dir / "cut.0009.png", render(Pose()))
        painted = [str(paint_dir / "cut.0009.png")]
    elif case == "colour":
        extra = ["--unmatched", "purple-ish"]
    args = ["paint", str(line_dir / "cut.####.png"), "--out", str(tmp_path / "out"), "--quiet", *extra]
    if case != "none":
        args += ["--painted", *painted]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_engine_protocol_paints_through_the_same_job(tmp_path):
    import io

    from nakawari import server

    line_dir, paint_dir = _sequence(tmp_path)
    out = tmp_path / "out"
    request = {"jsonrpc": "2.0", "id": 1, "method": "paint",
               "params": {"lines": [str(line_dir / "cut.####.png")], "painted": [str(paint_dir / "cut.0001.png")],
                          "out": str(out), "layer": "fill"}}
    bad = {"jsonrpc": "2.0", "id": 2, "method": "paint",
           "params": {"lines": [str(line_dir / "cut.####.png")], "painted": [str(paint_dir / "cut.0009.png")],
                      "out": str(tmp_path / "out2")}}

    def source():
        for message in (request, bad):
            yield json.dumps(message) + "\n"
        assert engine.wait_idle(60)

    sink = io.StringIO()
    engine = server.Server(source(), sink, log=io.StringIO())
    engine.serve()
    answers = {a["id"]: a for a in map(json.loads, sink.getvalue().splitlines()) if "id" in a}
    assert [f["file"] for f in answers[1]["result"]["frames"]] == ["cut.0001.png", "cut.0002.png", "cut.0003.png"]
    assert (out / "cut.0003.png").is_file()
    assert "cut.0009.png" in answers[2]["error"]["message"]


@pytest.mark.parametrize("size", [(3, 3), (20, 14)])
def test_blank_and_tiny_frames_are_painted_without_failing(size):
    blank = np.ones((*size, 4), np.float32)
    key = blank.copy()
    key[..., :3] = (0.2, 0.6, 1.0)
    result = paint_frames([blank, blank, blank], {1: key}, PaintSettings())
    for frame in result.frames:
        assert frame.painted_share == 1.0
        assert (_u8(frame.image) == (51, 153, 255)).all()


def test_paint_never_writes_onto_its_line_frames(tmp_path):
    line, painted = _sequence(tmp_path)
    before = {p.name: p.read_bytes() for p in line.iterdir()}
    code = main(["paint", str(line / "cut.####.png"), "--painted", str(painted / "cut.0001.png"),
                 "--out", str(line), "--name", "cut", "--overwrite", "--quiet"])
    assert code == 2
    assert {p.name: p.read_bytes() for p in line.iterdir()} == before
