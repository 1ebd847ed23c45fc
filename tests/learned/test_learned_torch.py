"""Learned mode's torch side: a tiny training run lowers the loss, export to ONNX agrees with torch,
and the torch backend agrees with onnxruntime on the shipped model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is the optional `train` extra")
pytest.importorskip("onnx", reason="onnx comes with the `train` extra")

from nakawari.cli import main  # noqa: E402
from nakawari.learned import model_files, runtime  # noqa: E402
from nakawari.learned.export import export, record_bench  # noqa: E402
from nakawari.learned.network import OUT_CHANNELS  # noqa: E402
from nakawari.learned.torch_runner import TorchRunner  # noqa: E402
from nakawari.learned.train import Recipe, train  # noqa: E402
from nakawari.synth import articulated_motion  # noqa: E402

TINY = Recipe(steps=20, batch_size=4, long_side=64, render_size=(192, 108), pool=4, renew=0, validation=2,
              log_every=5, checkpoint_every=10, lr=3e-3)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    train(out, TINY, say=lambda _: None)
    return out


def test_tiny_training_run_lowers_the_loss(tiny_run: Path) -> None:
    log = [json.loads(line) for line in (tiny_run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [5, 10, 15, 20]
    assert log[-1]["loss"] < 0.9 * log[0]["loss"]
    saved = torch.load(tiny_run / "checkpoint.pt", weights_only=False)
    assert saved["step"] == 20 and saved["recipe"]["seed"] == 0
    assert json.loads((tiny_run / "recipe.json").read_text())["steps"] == 20


def test_training_is_seeded(tmp_path: Path) -> None:
    short = Recipe(**{**TINY.__dict__, "steps": 2, "log_every": 2})
    records = [train(tmp_path / name, short, say=lambda _: None) for name in ("a", "b")]
    assert records[0]["loss"] == records[1]["loss"]


def test_export_parity_and_ir_version(tiny_run: Path, tmp_path: Path) -> None:
    manifest = export(tiny_run / "checkpoint.pt", tmp_path / "model")
    files = model_files.load_model_files(manifest)
    assert files.manifest["ir_version"] <= runtime.MAX_IR_VERSION and files.manifest["steps"] == 20
    onnx_run = runtime.OnnxRunner(files, want_cuda=False)
    torch_run = TorchRunner(files, "cpu")
    rng = np.random.default_rng(1)
    # Sizes other than the export's dummy inputs: the graph's sizes are dynamic.
    rep = [rng.random((2, 5, 48, 80), dtype=np.float32) for _ in range(2)]
    # The prior: flows, reliabilities.
    rep.append(np.concatenate([0.1 * rng.standard_normal((2, 4, 48, 80)), rng.random((2, 2, 48, 80))], 1)
               .astype(np.float32))
    keys = [rng.random((2, 5, 150, 250), dtype=np.float32) for _ in range(2)]
    t = np.array([[0.3], [0.8]], np.float32)
    a, b = onnx_run(*rep, *keys, t), torch_run(*rep, *keys, t)
    assert a.shape == (2, OUT_CHANNELS, 150, 250)
    # Random pixels change by up to 1 per pixel: float32 rounding of the sampling positions shows as ~1e-4.
    assert float(np.abs(a - b).max()) < 1e-3 and float(np.abs(a - b).mean()) < 1e-5
    # Bands (the 4K path) join without seams: the same frame as in one piece.
    torch_run.band_rows, torch_run.band_above = 40, 0
    assert float(np.abs(torch_run(*rep, *keys, t) - b).max()) < 1e-5


def test_record_bench_decides_auto(tiny_run: Path, tmp_path: Path) -> None:
    manifest = export(tiny_run / "checkpoint.pt", tmp_path / "model")
    cd = {"articulated line art, 2 keys, 540p": {"nakawari learned": 2.0, "nakawari flow": 1.0},
          "coloured cels, 2 keys, 540p": {"nakawari learned": 0.5, "nakawari flow": 1.0}}
    assert record_bench(manifest, cd, "test")["auto"] == {"lineart": False, "cels": True}
    model_files.load_model_files(manifest)  # the checksums still hold


def test_torch_backend_agrees_with_onnxruntime() -> None:
    motion = articulated_motion(5, 1, line_width=2)
    keys = [motion.render(t, (240, 136)) for t in (0.0, 1.0)]
    files = model_files.load_model_files()
    made = [runtime.inbetween_learned(keys, [0, 1], [0.3, 0.6], runner=r, files=files)
            for r in (runtime.OnnxRunner(files, want_cuda=False), TorchRunner(files, "cpu"))]
    assert made[1].backend == "torch cpu"
    for a, b in zip(made[0].frames, made[1].frames):
        assert float(np.abs(a - b).mean()) < 1e-3


def test_train_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "inbetween", "--out", str(tmp_path), "--render-size", "big"]) == 2
    assert "--render-size" in capsys.readouterr().err
    assert main(["train", "export", str(tmp_path / "none.pt"), "--out", str(tmp_path)]) == 2
    assert "none.pt" in capsys.readouterr().err
