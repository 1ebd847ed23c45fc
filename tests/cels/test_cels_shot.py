"""Shot mode: camera, background plate, held cels, masks, on synthetic shots with exact ground truth."""
import numpy as np
import pytest

from nakawari.cels import cel_mask, separate_shot
from nakawari.cels.score import Confusion, plate_error
from nakawari.errors import Cancelled
from nakawari.synth.shots import make_shot

SIZE = (480, 270)


def _score(shot, result):
    confusion = Confusion.empty()
    errors = []
    for i, mask in enumerate(shot.masks):
        confusion += Confusion.of(result.masks[i], mask)
        plate, seen = result.plate_crop(i)
        errors.append(plate_error(plate, seen, shot.background_crop(i)))
    return confusion, float(np.mean(errors))


@pytest.fixture(scope="module")
def panning_held():
    shot = make_shot(6, 3, SIZE, n_frames=8, pan=True, held=True)
    return shot, separate_shot(shot.frames)


def test_pan_is_measured_exactly(panning_held):
    shot, result = panning_held
    assert result.camera == "pan"
    np.testing.assert_allclose(result.offsets, shot.offsets, atol=0.5)
    assert result.plate.shape == shot.plate.shape


def test_shot_masks_and_plate_meet_the_targets(panning_held):
    shot, result = panning_held
    confusion, error = _score(shot, result)
    assert confusion.accuracy >= 0.98 and confusion.iou >= 0.85
    assert error <= 3.0
    # Most of the plate was seen; what was not (behind the held figure) was inpainted, not left black.
    assert 0.8 < result.seen.mean() < 1.0
    assert result.plate[~result.seen].mean() > 0.05


def test_held_figure_is_reported_and_kept_in_every_mask(panning_held):
    shot, result = panning_held
    assert len(result.held) == 1
    held = result.held[0]
    assert held["frames"] == list(range(len(shot.frames))) and held["area"] > 0.01 * SIZE[0] * SIZE[1]
    x, y, w, h = held["bbox"]
    # Every frame's mask covers the held cel (truth inside its box, clipped to the frame) ...
    for i, (ox, oy) in enumerate(shot.offsets):
        rows = slice(max(y - oy, 0), max(y + h - oy, 0))
        cols = slice(max(x - ox, 0), max(x + w - ox, 0))
        inside = shot.masks[i][rows, cols]
        assert inside.sum() > 100 and result.masks[i][rows, cols][inside].mean() > 0.9
    # ... and its plate area counts as never seen (frame 0 sees the whole held figure).
    ox, oy = shot.offsets[0]
    assert result.seen[y:y + h, x:x + w][shot.masks[0][y - oy:y - oy + h, x - ox:x - ox + w]].mean() < 0.2


def test_static_shot_beats_single_frame_masks():
    shot = make_shot(6, 0, SIZE, n_frames=8, pan=False, held=False, degradation="jpeg75")
    result = separate_shot(shot.frames)
    assert result.camera == "static" and result.held == []
    assert all(offset == (0.0, 0.0) for offset in result.offsets)
    confusion, error = _score(shot, result)
    single = Confusion.empty()
    for frame, mask in zip(shot.frames, shot.masks):
        single += Confusion.of(cel_mask(frame), mask)
    assert confusion.accuracy >= 0.98 and error <= 3.0
    assert confusion.iou >= single.iou - 0.01


def test_shot_needs_two_frames_and_can_be_cancelled():
    shot = make_shot(6, 1, (240, 136), n_frames=3, pan=True)
    with pytest.raises(ValueError):
        separate_shot(shot.frames[:1])
    with pytest.raises(Cancelled):
        separate_shot(shot.frames, cancel=lambda: True)
    steps = []
    separate_shot(shot.frames, progress=lambda done, total, message: steps.append((done, total)))
    assert steps[-1][0] == steps[-1][1] and len(steps) >= 3


@pytest.mark.parametrize("kind", ["zoom", "rotate"])
def test_zoom_and_rotation_are_read_as_a_similarity(kind):
    from nakawari.synth.composite import composite_shot

    shot = composite_shot(8, 1, SIZE, n_frames=4, kind=kind, compress=False)
    result = separate_shot(shot.frames)
    assert result.camera == "zoom/rotate" and len(result.places) == 4

    def full(matrix):
        return np.vstack([matrix, [0.0, 0.0, 1.0]])

    # Frame 0 → frame 3 as measured (through the plate) and as made (through the true plate).
    measured = np.linalg.inv(full(result.places[3])) @ full(result.places[0])
    made = full(shot.cameras[3]) @ np.linalg.inv(full(shot.cameras[0]))
    np.testing.assert_allclose(measured[:2, :2], made[:2, :2], atol=0.004)
    corners = np.array([[0, 0, 1], [SIZE[0], 0, 1], [0, SIZE[1], 1], [SIZE[0], SIZE[1], 1]], float).T
    assert np.abs((measured - made) @ corners).max() < 1.5  # px at the frame's corners
    # Registered right, the shot's masks are no worse than each frame's own.
    shot_accuracy = np.mean([(m == t).mean() for m, t in zip(result.masks, shot.masks)])
    single_accuracy = np.mean([(cel_mask(f) == t).mean() for f, t in zip(shot.frames, shot.masks)])
    assert shot_accuracy >= single_accuracy - 0.005, (shot_accuracy, single_accuracy)
