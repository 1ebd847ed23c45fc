"""The real-looking cel data generators: scene backgrounds, finished composites and shots with exact masks,
characters cut from white paper, and the bench's real-folder report (on frames made here)."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from nakawari.bench.cels_real import bench_real_folder, contact_sheet, sequences
from nakawari.errors import BadInput
from nakawari.synth.backgrounds import STYLES, scene_background
from nakawari.synth.composite import (
    Finish,
    character_on_white,
    composite_frame,
    composite_shot,
    composite_shot_suite,
)

SIZE = (240, 136)


@pytest.mark.parametrize("style", STYLES)
def test_scene_background_is_a_deterministic_painted_image(style):
    first = scene_background(90, 160, np.random.default_rng(3), style)
    again = scene_background(90, 160, np.random.default_rng(3), style)
    other = scene_background(90, 160, np.random.default_rng(4), style)
    assert first.shape == (90, 160, 3) and first.dtype == np.float32
    assert 0.0 <= first.min() and first.max() <= 1.0
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert first.std() > 0.01  # a scene, not a flat card


def test_scene_background_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="unknown background style"):
        scene_background(20, 20, np.random.default_rng(0), "underwater")


def test_composite_mask_is_exact_where_no_figure_touches_and_deterministic():
    case = composite_frame(7, 2, SIZE, compress=False)
    again = composite_frame(7, 2, SIZE, compress=False)
    assert np.array_equal(case.rgb, again.rgb) and np.array_equal(case.mask, again.mask)
    assert case.rgb.shape == (SIZE[1], SIZE[0], 3) and case.mask.shape == (SIZE[1], SIZE[0])
    assert 0.02 < case.mask.mean() < 0.9
    # Away from the figures (mask grown past the anti-aliased rim) the frame is the finished background.
    near = cv2.dilate(case.mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.array_equal(case.rgb[~near], case.background[~near])
    # Under the figures the frame is not the background.
    inner = cv2.erode(case.mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.abs(case.rgb[inner] - case.background[inner]).max(axis=1).mean() > 0.05


def test_finish_is_an_8_bit_frame_and_jpeg_changes_it():
    rng = np.random.default_rng(1)
    image = scene_background(64, 64, rng)
    clean = Finish(1.0, 1.0, (1.0, 1.0, 1.0), None, None).apply(image)
    assert np.allclose(clean * 255, np.rint(clean * 255), atol=1e-4)
    assert np.abs(clean - image).max() <= 0.5 / 255 + 1e-6
    lossy = Finish(1.0, 1.0, (1.0, 1.0, 1.0), None, 60).apply(image)
    assert 0 < np.abs(lossy - clean).mean() < 0.05


@pytest.mark.parametrize("kind", ["zoom", "rotate"])
def test_composite_shot_cameras_are_similarities_that_change(kind):
    shot = composite_shot(3, 1, SIZE, n_frames=3, kind=kind, held=True, compress=False)
    assert len(shot.frames) == len(shot.masks) == len(shot.cameras) == 3
    scales = [float(np.sqrt(abs(np.linalg.det(m[:, :2])))) for m in shot.cameras]
    angles = [float(np.arctan2(m[1, 0], m[0, 0])) for m in shot.cameras]
    if kind == "zoom":
        assert abs(scales[-1] - scales[0]) > 0.005 and angles[0] == angles[-1] == 0.0
    else:
        assert np.allclose(scales, 1.0) and abs(angles[-1] - angles[0]) > 0.002
    assert all(m.any() for m in shot.masks)


def test_a_walker_that_stops_keeps_its_mask_and_suite_cycles_cameras():
    shot = composite_shot(4, 0, SIZE, n_frames=4, kind="static", stops=True, compress=False)
    assert np.array_equal(shot.masks[-1], shot.masks[-2])  # stopped: same pose, same place
    assert not np.array_equal(shot.masks[0], shot.masks[-1])  # it did walk first
    kinds = [s.kind for s in composite_shot_suite(SIZE, 4, 2, seed=1)]
    assert kinds == ["static", "pan", "zoom", "rotate"]


def test_composite_shot_refuses_an_unknown_camera():
    with pytest.raises(ValueError, match="unknown camera"):
        composite_shot(0, 0, SIZE, 2, kind="dolly")


def test_character_on_white_keeps_white_inside_the_outline():
    page = np.ones((60, 60, 3), np.float32)
    cv2.circle(page, (30, 30), 18, (0.1, 0.1, 0.1), 2)  # an outline round a white face
    cv2.circle(page, (30, 30), 4, (0.9, 0.3, 0.3), -1)
    alpha = character_on_white(page)[..., 3]
    assert alpha[30, 30] > 0.9 and alpha[30, 22] > 0.9  # the white inside is the character's
    assert alpha[2, 2] == 0 and alpha[30, 55] == 0       # the paper is not


def _write_frames(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        case = composite_frame(9, i, (96, 64), compress=False)
        cv2.imwrite(str(folder / f"frame.{i:04d}.png"), np.rint(case.rgb[..., ::-1] * 255).astype(np.uint8))


def test_real_folder_report_writes_a_contact_sheet_per_sequence(tmp_path, capsys):
    _write_frames(tmp_path / "frames" / "a", 2)
    _write_frames(tmp_path / "frames" / "b", 1)
    assert [name for name, _ in sequences(tmp_path / "frames")] == ["a", "b"]
    bench_real_folder(tmp_path / "frames", tmp_path / "sheets")
    sheet = cv2.imread(str(tmp_path / "sheets" / "a.png"))
    assert sheet.shape == (2 * 64, 3 * 96, 3)  # two frames: frame, single-frame mask, shot mask
    assert cv2.imread(str(tmp_path / "sheets" / "b.png")).shape == (64, 2 * 96, 3)
    assert "a" in capsys.readouterr().out


def test_real_folder_report_refuses_what_is_not_a_folder_of_frames(tmp_path):
    with pytest.raises(BadInput, match="not a folder"):
        bench_real_folder(tmp_path / "missing", tmp_path / "sheets")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no numbered frames"):
        bench_real_folder(tmp_path / "empty", tmp_path / "sheets")
    assert not (tmp_path / "sheets").exists()


def test_contact_sheet_dims_the_background_only():
    frame = np.full((4, 4, 3), 0.8, np.float32)
    mask = np.zeros((4, 4), bool)
    mask[:2] = True
    sheet = contact_sheet([frame], [mask], None)
    assert np.allclose(sheet[:2, 4:], 0.8) and (sheet[2:, 4:, 0] < 0.5).all()


def test_bench_cels_refuses_a_bad_real_folder_before_running_anything(tmp_path, capsys):
    from nakawari.cli import main

    assert main(["bench", "cels", str(tmp_path / "missing"), "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a folder of frame sequences" in err
