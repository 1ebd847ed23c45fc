"""`nakawari bench paint`: its metrics, its synthetic shots and its real-folder layout (on synthetic frames)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nakawari.bench.paint import (
    METHODS,
    Tally,
    _synthetic_frame,
    area_score,
    codes,
    key_palette,
)
from nakawari.cli import main
from nakawari.image import write_image
from nakawari.synth.paintseq import HELD_OUT_FAMILIES, HELD_OUT_SEEDS, paint_case


def test_palette_keeps_flat_fills_and_thin_sashes_but_not_blends():
    key = np.ones((40, 40, 4), np.float32)
    key[5:20, 5:20, :3] = (0.2, 0.4, 0.6)                      # a fill
    key[25:28, 2:38, :3] = (0.5, 0.1, 0.1)                     # a 3 px sash
    key[5:20, 20, :3] = (0.6, 0.7, 0.8)                        # a blend column at the fill's rim
    key[30:38, 10:30, :3] = np.linspace(0.3, 0.9, 20)[None, :, None]  # a gradient: no flat colour
    palette = key_palette(key)
    assert codes(np.array([[[0.2, 0.4, 0.6, 1.0]]]))[0, 0] in palette
    assert codes(np.array([[[0.5, 0.1, 0.1, 1.0]]]))[0, 0] in palette
    assert codes(np.array([[[0.6, 0.7, 0.8, 1.0]]]))[0, 0] not in palette
    assert len(palette) == 3  # paper, fill, sash


def test_area_score_counts_areas_by_their_main_colour():
    open_ = np.ones((20, 30), bool)
    open_[:, 10] = open_[:, 20] = False                        # three areas split by two lines
    truth = np.zeros((20, 30), np.int64)
    truth[:, 20:] = 5
    got = truth.copy()
    got[:3, :10] = 7                                           # a few wrong pixels: still the area's colour
    got[:, 11:20] = -1                                         # an area left unpainted
    assert area_score(open_, truth, got) == (2, 3)


def test_paint_removes_most_of_the_warps_wrong_pixels_on_a_held_out_shot():
    case = paint_case(HELD_OUT_FAMILIES[0], HELD_OUT_SEEDS[0], size=(240, 180), frames=3)
    assert case.held_out and all(mask.sum() > 1000 for _, mask in case.truth)
    tallies = {name: Tally() for name in METHODS}
    outputs = {name: method(case.lines, case.key) for name, method in METHODS.items()}
    for i, (truth, mask) in enumerate(case.truth[1:]):
        frame = _synthetic_frame(truth, mask, case.lines[i + 1])
        for name in METHODS:
            tallies[name].add(frame, outputs[name][i], key_palette(case.key), outputs["DIS warp of key"][i])
    ours, hold, warp = (tallies[n].row(n) for n in ("nakawari paint", "hold key", "DIS warp of key"))
    assert ours[1] > warp[1] > hold[1]
    assert ours[6] >= 0.5 and ours[5] == 0 and warp[5] > 0     # the warp blends colours, paint never does


def test_a_badge_appears_half_way_and_is_not_in_the_key():
    case = paint_case("appear", 0, size=(240, 180), frames=4)
    rgb = case.figure.colours()["badge"]
    badge = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
    assert badge not in key_palette(case.key)
    assert (codes(case.truth[-1][0].astype(np.float32) / 255.0) == badge).sum() > 100


def _folder(root: Path, colour_frames: int) -> Path:
    case = paint_case("slide", 1, size=(200, 150), frames=3)
    (root / "line").mkdir(parents=True)
    (root / "colour").mkdir()
    for i, line in enumerate(case.lines):
        write_image(root / "line" / f"frame.{i:04d}.png", line)
    for i in range(colour_frames):
        painted = np.ones((*case.truth[i][0].shape[:2], 4), np.float32)
        painted[..., :3] = case.truth[i][0] / 255.0
        write_image(root / "colour" / f"frame.{i:04d}.png", painted if i else case.key)
    return root


@pytest.mark.parametrize("colour_frames", [3, 1])
def test_bench_paint_scores_a_folder_of_line_and_colour_frames(tmp_path, capsys, colour_frames):
    folder = _folder(tmp_path / "set", colour_frames)
    assert main(["bench", "paint", str(folder)]) == 0
    out = capsys.readouterr().out
    if colour_frames == 1:
        assert "painted share" in out and "frame 2" in out and "DIS warp" not in out
    else:
        assert "painted from frame 0 only" in out and "truth of the frame before" in out
        row = next(line for line in out.splitlines() if line.startswith("nakawari paint"))
        assert float(row.split()[2]) > 0.9
        # Every colour of this shot is in the key; the studio loop (artist fills what is left) is scored too.
        assert "ceiling from the key alone: 1.000" in out
        artist = next(line for line in out.splitlines() if line.startswith("nakawari paint + artist"))
        assert float(artist.split()[4]) > 0.9


def test_bench_paint_refuses_a_folder_without_the_layout(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["bench", "paint", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "line/" in err and "Traceback" not in err
