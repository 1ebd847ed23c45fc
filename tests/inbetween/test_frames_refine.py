"""The learned refinement of frames mode: the mix stays convex, the model is used only when asked for or
recorded as winning, and a real exported network runs through onnxruntime inside frames mode."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from nakawari.cli import main
from nakawari.inbetween.frames import FramesInbetweener, FramesSettings, refine

torch = pytest.importorskip("torch")  # the train extra: CI installs it
frames_train = pytest.importorskip("nakawari.learned.frames_train")


def _keys(size: tuple[int, int] = (192, 128)) -> tuple[np.ndarray, np.ndarray]:
    """A painted (smooth noise) background and a patterned square that moves right by 8 px."""
    w, h = size
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.random((h, w, 3), dtype=np.float32), (0, 0), 3.0)
    base = (base - base.min()) / (base.max() - base.min()) * 0.6 + 0.2
    square = np.zeros((40, 40, 3), np.float32)
    square[...] = (0.9, 0.2, 0.1)
    square[::6] = (0.2, 0.2, 0.7)
    square[:, ::9] = (0.95, 0.9, 0.3)
    key0, key1 = base.copy(), base.copy()
    key0[40:80, 50:90] = square
    key1[40:80, 58:98] = square
    return key0, key1


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An untrained network exported as the installed model (NAKAWARI_MODELS), recorded as not winning."""
    torch.manual_seed(0)
    net = frames_train.build_network()
    checkpoint = tmp_path / "frames.pt"
    torch.save({"model": net.state_dict(), "recipe": {}, "loss": 0.0, "held_out": {}}, checkpoint)
    manifest = frames_train.export(checkpoint, tmp_path / "models")
    monkeypatch.setenv("NAKAWARI_MODELS", str(manifest.parent))
    refine._cached.cache_clear()
    yield manifest
    refine._cached.cache_clear()


def test_one_hot_weights_give_that_candidate_and_any_mix_stays_between_them():
    rng = np.random.default_rng(1)
    candidates = [rng.random((20, 30, 3), dtype=np.float32) for _ in refine.CANDIDATES]
    one_hot = np.zeros((len(candidates), 10, 15), np.float32)
    one_hot[2] = 1.0
    assert np.allclose(refine.mix(candidates, one_hot), candidates[2], atol=1e-6)
    weights = rng.random((len(candidates), 10, 15), dtype=np.float32)
    weights /= weights.sum(0, keepdims=True)
    out = refine.mix(candidates, weights)
    stack = np.stack(candidates)
    assert (out >= stack.min(0) - 1e-5).all() and (out <= stack.max(0) + 1e-5).all()


def test_inputs_carry_the_candidates_back_exactly():
    rng = np.random.default_rng(2)
    candidates = [rng.random((27, 48, 3), dtype=np.float32) for _ in refine.CANDIDATES]
    seen = rng.random((27, 48), dtype=np.float32)
    inputs = refine.net_inputs(candidates, seen, seen, 0.25, (48, 27))
    assert inputs.shape == (refine.INPUT_CHANNELS, 27, 48)
    back = frames_train.candidates_of(torch.from_numpy(inputs)[None])[0].numpy()
    for k, candidate in enumerate(candidates):
        assert np.allclose(back[k], candidate.transpose(2, 0, 1), atol=1e-6)
    assert np.allclose(inputs[-1], 0.25)


def test_no_model_means_no_refinement_unless_it_is_demanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NAKAWARI_MODELS", str(tmp_path))
    refine._cached.cache_clear()
    assert refine.refiner_for("auto") is None and refine.refiner_for("off") is None
    with pytest.raises(ValueError, match="no learned refinement"):
        refine.refiner_for("on")
    refine._cached.cache_clear()


def test_an_installed_model_runs_only_when_it_is_recorded_as_winning_or_asked_for(exported: Path):
    assert json.loads(exported.read_text())["wins"] is False
    assert refine.refiner_for("auto") is None
    assert refine.refiner_for("on") is not None and refine.refiner_status() == "learned"
    frames_train.record_bench(exported, {"triplets": 1}, wins=True)
    assert refine.refiner_for("auto") is not None
    assert json.loads(exported.read_text())["bench"] == {"triplets": 1}


def test_a_replaced_model_file_is_refused(exported: Path):
    (exported.parent / "frames.onnx").write_bytes(b"not a model")
    refine._cached.cache_clear()
    assert refine.shipped_refiner() is None and "sha256" in refine.refiner_status()
    with pytest.raises(ValueError, match="sha256"):
        refine.refiner_for("on")


def test_frames_mode_runs_the_exported_network_and_the_frame_stays_within_the_keys(exported: Path):
    key0, key1 = _keys()
    plain, _ = FramesInbetweener(key0, key1, FramesSettings(refine="off")).render(0.5)
    refined, check = FramesInbetweener(key0, key1, FramesSettings(refine="on")).render(0.5)
    # Untrained, the network keeps frames mode's frame with weight 0.95: close, but computed by it.
    assert refined.shape == plain.shape and not np.array_equal(refined, plain)
    assert np.abs(refined - plain).mean() < 0.02
    low, high = np.minimum(key0, key1).min(), np.maximum(key0, key1).max()
    assert refined.min() >= low - 1e-5 and refined.max() <= high + 1e-5
    assert 0.0 <= check.confidence <= 1.0


@pytest.mark.slow
def test_training_draws_shots_learns_and_exports_a_model_frames_mode_loads(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    recipe = frames_train.Recipe(shots=1, held_out_shots=1, steps=3, batch=2, patch=32)
    manifest = frames_train.export(frames_train.train(tmp_path, recipe, log=lambda line: None), tmp_path)
    data = json.loads(manifest.read_text())
    assert data["wins"] is False and data["held_out"]["truths"] > 0 and data["parameters"] > 1000
    monkeypatch.setenv("NAKAWARI_MODELS", str(tmp_path))
    refine._cached.cache_clear()
    assert refine.refiner_for("on") is not None
    refine._cached.cache_clear()


def test_train_frames_refuses_nonsense_settings_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    assert main(["train", "frames", "--out", str(tmp_path), "--steps", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--steps" in err


def test_training_truths_are_timed_as_the_prior_assumes():
    rng = np.random.default_rng(3)
    exact = FramesSettings(timing_spread=0.0)
    assert [frames_train.truth_index(0, 4, t, rng, 0.0, exact) for t in (0.25, 0.5, 0.75)] == [1, 2, 3]
    held = {frames_train.truth_index(0, 4, 0.5, rng, 1.0, FramesSettings()) for _ in range(50)}
    assert held == {0, 4}
    spread = [frames_train.truth_index(0, 8, 0.5, rng, 0.0, FramesSettings()) for _ in range(400)]
    # The prior's spread halfway: 2 × 0.15 × 0.5 of the gap, 1.2 of 8 frames (rounded to whole frames).
    assert abs(np.mean(spread) - 4) < 0.25 and 0.9 < np.std(spread) < 1.5
