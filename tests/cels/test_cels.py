"""Single-frame cel separation, the metrics and the colour-threshold baseline, on suite cases with exact masks."""
import numpy as np
import pytest

from nakawari.cels import cel_mask
from nakawari.cels.baseline import colour_key_mask
from nakawari.cels.score import Confusion, accuracy, iou, plate_error
from nakawari.cels.settings import DEFAULT_CELS, CelSettings
from nakawari.synth.celframes import cel_frame, cel_frame_suite
from nakawari.synth.paint import add_distractors, painted_background

SIZE = (480, 270)


@pytest.fixture(scope="module")
def clean_cases():
    return cel_frame_suite(SIZE, 4, seed=5)


def _pooled(cases, method) -> Confusion:
    total = Confusion.empty()
    for case in cases:
        total += Confusion.of(method(case.rgb), case.mask)
    return total


def test_single_frame_beats_kuglers_accuracy_and_the_baselines(clean_cases):
    ours = _pooled(clean_cases, cel_mask)
    keyed = _pooled(clean_cases, colour_key_mask)
    floor = _pooled(clean_cases, lambda rgb: np.zeros(rgb.shape[:2], bool))
    assert ours.accuracy >= 0.98 and ours.iou >= 0.88
    assert ours.recall()[0, 0] >= 0.98 and ours.recall()[1, 1] >= 0.95  # background and cel recall
    assert ours.accuracy > keyed.accuracy > floor.accuracy
    assert ours.iou > keyed.iou + 0.1


def test_single_frame_holds_up_under_jpeg():
    cases = cel_frame_suite(SIZE, 3, seed=5, degradation="jpeg75")
    ours = _pooled(cases, cel_mask)
    assert ours.accuracy >= 0.96 and ours.iou >= 0.8


def test_painted_background_and_distractors_alone_are_not_cel():
    rng = np.random.default_rng(9)
    for _ in range(3):
        scene = add_distractors(painted_background(SIZE[1], SIZE[0], rng), rng)
        assert cel_mask(scene).mean() < 0.01  # the outline-less flat blob is not taken for a cel


def test_full_hd_frame_is_analysed_at_working_height_and_scaled_back():
    case = cel_frame(7, 0, (1920, 1080))
    mask = cel_mask(case.rgb)
    assert mask.shape == (1080, 1920) and mask.dtype == bool
    assert accuracy(mask, case.mask) >= 0.98


def test_confusion_matrix_counts_and_shares():
    truth = np.array([[0, 0, 1, 1]], bool)
    predicted = np.array([[0, 1, 1, 0]], bool)
    confusion = Confusion.of(predicted, truth)
    np.testing.assert_array_equal(confusion.counts, [[1, 1], [1, 1]])
    assert confusion.accuracy == 0.5 and iou(predicted, truth) == pytest.approx(1 / 3)
    np.testing.assert_allclose(confusion.recall(), [[0.5, 0.5], [0.5, 0.5]])
    table = confusion.table()
    assert "background" in table and "50.0%" in table
    assert (confusion + confusion).counts.sum() == 8
    with pytest.raises(ValueError):
        Confusion.of(predicted, truth[:, :2])


def test_plate_error_counts_only_seen_pixels():
    truth = np.zeros((2, 2, 3), np.float32)
    plate = truth.copy()
    plate[0, 0] = 1.0  # wrong, but never seen
    plate[1, 1] = 2 / 255
    seen = np.array([[False, True], [True, True]])
    assert plate_error(plate, seen, truth) == pytest.approx(2 / 3)


def test_bench_scoring_pools_pixels_over_a_suite(clean_cases):
    from nakawari.bench.cels import FRAME_METHODS, all_background, score_frames

    floor = score_frames(clean_cases, all_background).confusion
    truth_share = np.mean([case.mask.mean() for case in clean_cases])
    assert floor.accuracy == pytest.approx(1 - truth_share) and floor.iou == 0.0
    assert set(FRAME_METHODS) == {"all-background", "colour threshold (border colours)", "nakawari single-frame"}


def test_cel_drawn_on_plain_paper_leaves_the_paper_as_background():
    from importlib.resources import files

    from nakawari.image import read_image

    rgb = read_image(files("nakawari") / "samples" / "cel.key0.png").rgba[..., :3]
    mask = cel_mask(rgb)
    drawn = rgb.min(axis=2) < 0.95  # ink and fills: everything that is not white paper
    assert 0.02 < mask.mean() < 0.25
    assert (mask & drawn).sum() / drawn.sum() > 0.95


def test_settings_reach_the_separation(clean_cases):
    """The thresholds travel as CelSettings (defaults: the module's old values), not module globals."""
    rgb = clean_cases[0].rgb
    mask = cel_mask(rgb)
    assert mask.any()
    np.testing.assert_array_equal(mask, cel_mask(rgb, DEFAULT_CELS))
    assert not cel_mask(rgb, CelSettings(min_area=rgb.shape[0] * rgb.shape[1] + 1)).any()  # no region is so large
