"""`nakawari bench real`: case discovery, the relative ink metric, the report and its refusals, on tiny
synthetic sequences drawn here (never on the development drawings)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from nakawari.bench.real.cases import COLOUR, LINE_ART, find_sets
from nakawari.bench.real.methods import our_method
from nakawari.cli import main
from nakawari.errors import BadInput
from nakawari.image import write_image
from nakawari.jobs import inbetween as inbetween_job
from nakawari.metrics import (
    chamfer_distance,
    ink_levels,
    ink_mask,
    ink_pieces,
    paper_flat_gray,
    relative_ink_mask,
    to_gray_u8,
)

SIZE = (96, 64)  # w, h
PENCIL = 170 / 255  # grey pencil: no pixel below the fixed 128 threshold


def pencil_line(x: int) -> np.ndarray:
    """A grey vertical pencil line at column x on white paper, RGBA float."""
    gray = np.ones((SIZE[1], SIZE[0]), np.float32)
    cv2.line(gray, (x, 10), (x + 6, 54), PENCIL, 2, cv2.LINE_AA)
    return np.dstack([gray, gray, gray, np.ones_like(gray)])


def gradient(shift: float) -> np.ndarray:
    """A finished-colour frame: a coloured gradient with a red disc moving across."""
    w, h = SIZE
    xs = np.linspace(0, 1, w, dtype=np.float32)[None, :].repeat(h, 0)
    rgb = np.dstack([0.2 + 0.6 * xs, 0.5 * np.ones_like(xs), 0.9 - 0.5 * xs])
    cv2.circle(rgb, (int(20 + shift), 32), 12, (0.9, 0.1, 0.1), -1)
    return np.dstack([rgb, np.ones((h, w), np.float32)]).astype(np.float32)


def photographed(x: int) -> np.ndarray:
    """A pencil line on a grey, unevenly lit sheet (a phone photo of a drawing)."""
    h, w = SIZE[1], SIZE[0]
    tone = np.linspace(0.75, 0.6, w, dtype=np.float32)[None, :].repeat(h, 0)
    cv2.line(tone, (x, 10), (x + 6, 54), 0.3, 2, cv2.LINE_AA)
    return np.dstack([tone] * 3 + [np.ones((h, w), np.float32)])


def dark_film(seed: int) -> np.ndarray:
    """A dark, desaturated film frame: grey, but no paper anywhere."""
    gray = np.random.default_rng(seed).uniform(0.05, 0.5, (SIZE[1] // 8, SIZE[0] // 8)).astype(np.float32)
    gray = cv2.resize(gray, SIZE, interpolation=cv2.INTER_LINEAR)
    return np.dstack([gray] * 3 + [np.ones_like(gray)])


def write_set(folder: Path, frames: dict[int, np.ndarray]) -> None:
    folder.mkdir(parents=True)
    for number, rgba in frames.items():
        write_image(folder / f"frame.{number:04d}.png", rgba)


def make_folder(root: Path) -> Path:
    write_set(root / "pencil", {n: pencil_line(30 + 6 * n) for n in range(4)})           # 2 triplets
    noisy = pencil_line(30) * np.float32(0.99) + np.float32(0.01)  # re-encoded: not bit-identical, same drawing
    write_set(root / "held", {0: pencil_line(30), 1: noisy, 2: pencil_line(44)})  # held on twos
    write_set(root / "deep" / "pair", {0: pencil_line(30), 1: pencil_line(50)})          # no truth
    write_set(root / "colour", {n: gradient(8 * n) for n in range(3)})
    (root / "notes.txt").write_text("not a frame")
    return root


def test_discovery_finds_triplets_pairs_and_skips_held_drawings(tmp_path: Path) -> None:
    sets = {s.name: s for s in find_sets(make_folder(tmp_path / "art"))}
    assert set(sets) == {"pencil", "held", "deep/pair", "colour"}
    assert [c.frames for c in sets["pencil"].cases] == [(0, 2), (1, 3)]
    assert all(c.truth is not None for c in sets["pencil"].cases)
    assert sets["held"].cases == [] and sets["held"].held == 1
    assert [(c.frames, c.truth) for c in sets["deep/pair"].cases] == [((0, 1), None)]
    assert sets["pencil"].kind == LINE_ART and sets["colour"].kind == COLOUR
    quick = {s.name: s for s in find_sets(tmp_path / "art", max_cases=1)}
    assert [c.frames for c in quick["pencil"].cases] == [(0, 2)]


def test_grey_sketches_on_photographed_paper_are_line_art_dark_film_is_colour(tmp_path: Path) -> None:
    write_set(tmp_path / "photo", {n: photographed(30 + 8 * n) for n in range(2)})
    write_set(tmp_path / "film", {n: dark_film(n) for n in range(2)})
    kinds = {s.name: s.kind for s in find_sets(tmp_path)}
    assert kinds == {"photo": LINE_ART, "film": COLOUR}


def test_relative_ink_sees_grey_pencil_lines() -> None:
    truth, shifted = pencil_line(40), pencil_line(43)
    assert not ink_mask(truth).any()  # the fixed threshold sees nothing: why the relative one exists
    levels = ink_levels([truth])
    assert levels.paper == 255 and 150 <= levels.dark <= 175
    assert relative_ink_mask(truth, levels).sum() > 40
    assert 1.0 <= chamfer_distance(shifted, truth, levels.threshold) <= 4.0  # a 3 px shift of a 3 px wide line
    assert chamfer_distance(truth, truth, levels.threshold) == 0.0
    assert chamfer_distance(shifted, truth) == 0.0  # existing callers keep the fixed threshold


def test_shadow_on_photographed_paper_is_not_ink() -> None:
    """A sheet lit from one side: paper from gray 200 down to 140, one pencil line at 90."""
    h, w = 128, 192
    tone = np.linspace(200, 140, w, dtype=np.float32)[None, :].repeat(h, 0)
    cv2.line(tone, (40, 20), (150, 100), 90, 2)
    sheet = np.dstack([tone / 255] * 3 + [np.ones((h, w), np.float32)])
    levels = ink_levels([sheet])
    mask = relative_ink_mask(sheet, levels)
    line = np.zeros((h, w), np.uint8)
    cv2.line(line, (40, 20), (150, 100), 1, 2)
    assert mask[line > 0].mean() > 0.9 and mask[line == 0].mean() < 0.01
    white = pencil_line(40)
    assert np.array_equal(paper_flat_gray(white), to_gray_u8(white))  # white paper is read unchanged


def test_ink_pieces_count_specks_apart() -> None:
    mask = np.zeros((40, 40), bool)
    mask[5:30, 5:7] = True        # a line
    mask[20, 20:30] = True        # another line (10 px)
    mask[35, 35] = mask[2, 38] = True  # dust
    assert ink_pieces(mask) == (2, 2)


def test_report_is_written_and_refused_twice(tmp_path: Path, capsys) -> None:
    art, out = make_folder(tmp_path / "art"), tmp_path / "report"
    args = ["bench", "real", str(art), "--out", str(out), "--modes", "flow,nosuchmode", "--quick"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "line art: 2 triplets, 1 pairs" in printed and "colour: 1 triplets, 0 pairs" in printed
    report = (out / "report.md").read_text()
    assert "## Sets" in report and "unavailable" in report and "warp-average (DIS)" in report
    manifest = json.loads((out / "manifest.json").read_text())
    cases = {(c["set"], tuple(c["frames"])): c for c in manifest["cases"]}
    assert cases[("pencil", (0, 2))]["methods"]["hold key"]["cd"] > 0
    assert cases[("pencil", (0, 2))]["methods"]["nakawari nosuchmode"]["status"] == "unavailable"
    assert all(case["methods"]["nakawari flow"]["status"] == "ok" for case in manifest["cases"])  # ours ran
    assert "psnr" in cases[("colour", (0, 2))]["methods"]["cross-fade"]
    assert cases[("deep/pair", (0, 1))]["methods"]["cross-fade"]["pieces"] >= 1
    sheets = sorted(p.name for p in out.glob("sheet-*.png"))
    assert len(sheets) == 4 and max(cv2.imread(str(out / s)).shape[1] for s in sheets) < 2000
    assert main(args) == 2 and "already exists" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


def test_bad_folders_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    assert main(["bench", "real"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["bench", "real", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["bench", "real", str(tmp_path / "empty")]) == 2
    assert "no numbered frame sequences" in capsys.readouterr().err
    assert main(["bench", "inbetween", str(tmp_path)]) == 2


def test_a_mode_that_turns_a_case_down_is_refused_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    case = find_sets(make_folder(tmp_path / "art"))[0].cases[0]

    def refuse(job):
        raise BadInput("--mode vector: the keys hold no line art to vectorise")

    def crash(job):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(inbetween_job, "make_sequence", refuse)
    assert our_method("flow", "cpu")(case, []).status == "refused"
    monkeypatch.setattr(inbetween_job, "make_sequence", crash)
    made = our_method("flow", "cpu")(case, [])
    assert made.status == "failed" and "engine bug" in made.note
    assert our_method("no-such-mode", "cpu")(case, []).status == "unavailable"
