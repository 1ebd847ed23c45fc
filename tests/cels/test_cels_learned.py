"""The learned cel reader's loading: checksum, fallback to the rule reader, and the features it is fed."""
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from nakawari.cels import learned
from nakawari.cels.features import CHANNELS, WORK_HEIGHT, prepare, working_size
from nakawari.cels.single import cel_mask as rule_mask
from nakawari.files import sha256_file
from nakawari.synth.composite import composite_frame

SIZE = (240, 136)


def _frame() -> np.ndarray:
    return composite_frame(11, 0, SIZE, compress=False).rgb


def test_features_have_the_working_height_and_every_channel():
    features = prepare(_frame())
    assert features.shape == (1, CHANNELS, WORK_HEIGHT, working_size(SIZE[1], SIZE[0])[0])
    assert features.dtype == np.float32 and np.isfinite(features).all()


def test_missing_manifest_falls_back_to_the_rule_reader(tmp_path, monkeypatch):
    model, why = learned.load_cel_model(tmp_path / "cels.json")
    assert model is None and "missing" in why
    monkeypatch.setenv("NAKAWARI_MODELS", str(tmp_path))
    frame = _frame()
    assert learned.reader_status() != "learned"
    assert np.array_equal(learned.cel_mask(frame), rule_mask(frame))


def _fake_model(folder: Path, onnx_bytes: bytes, sha: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "cels.onnx").write_bytes(onnx_bytes)
    manifest = folder / "cels.json"
    digest = sha if sha is not None else sha256_file(folder / "cels.onnx")
    manifest.write_text(json.dumps({"files": {"onnx": {"file": "cels.onnx", "sha256": digest}}}))
    return manifest


def test_a_model_file_that_fails_its_checksum_is_not_loaded(tmp_path):
    manifest = _fake_model(tmp_path / "m", b"not a model", sha="0" * 64)
    model, why = learned.load_cel_model(manifest)
    assert model is None and "sha256" in why


def test_a_broken_manifest_or_missing_model_file_is_a_fallback_not_a_crash(tmp_path):
    (tmp_path / "cels.json").write_text("{not json")
    assert learned.load_cel_model(tmp_path / "cels.json")[0] is None
    (tmp_path / "cels.json").write_text(json.dumps({"files": {"onnx": {"file": "gone.onnx", "sha256": ""}}}))
    model, why = learned.load_cel_model(tmp_path / "cels.json")
    assert model is None and "missing" in why


def test_exported_network_runs_through_onnxruntime(tmp_path):
    torch = pytest.importorskip("torch")  # training extra; the runtime needs only onnxruntime
    pytest.importorskip("onnx")
    from nakawari.learned.cels_train import Recipe, build_network, export

    net = build_network()
    checkpoint = tmp_path / "cels.pt"
    torch.save({"model": net.state_dict(), "recipe": asdict(Recipe()), "loss": 0.0}, checkpoint)
    manifest = export(checkpoint, tmp_path / "out")
    model, why = learned.load_cel_model(manifest)
    assert why == "learned"
    frame = _frame()
    mask = model.mask(frame)
    assert mask.shape == frame.shape[:2] and mask.dtype == bool
    # The same weights in torch give the same decision as onnxruntime.
    with torch.no_grad():
        logits = net.eval()(torch.from_numpy(prepare(frame)))[0, 0].numpy()
    ort_logits = model.session.run(None, {"features": prepare(frame)})[0][0, 0]
    np.testing.assert_allclose(ort_logits, logits, atol=1e-4)
