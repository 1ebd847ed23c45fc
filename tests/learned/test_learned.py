"""Learned mode without torch: the shipped model's manifest and checksum, the session factory,
`--mode learned` end to end, and `--mode auto` only trusting a recorded bench win."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nakawari.cli import main
from nakawari.errors import BadInput
from nakawari.image import write_image
from nakawari.learned import model_files, runtime
from nakawari.model_manifest import MODEL_DIR
from nakawari.synth import articulated_motion, cel_motion

SIZE = (240, 136)


def _pair(cels: bool = False) -> list[np.ndarray]:
    motion = (cel_motion if cels else articulated_motion)(7, 0, line_width=2)
    return [motion.render(t, SIZE) for t in (0.0, 1.0)]


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """The shipped model files in a folder of their own (to damage without touching the real ones)."""
    folder = tmp_path / "models"
    shutil.copytree(MODEL_DIR, folder)
    return folder


def test_shipped_manifest_checks_out() -> None:
    files = model_files.load_model_files()
    m = files.manifest
    assert files.onnx.stat().st_size + files.weights.stat().st_size <= 20 * 2**20
    assert m["ir_version"] <= runtime.MAX_IR_VERSION and m["opset"] >= 16  # GridSample
    assert m["steps"] > 0 and m["recipe"]["seed"] is not None and m["data"]
    assert files.long_side % 16 == 0


def test_checksum_mismatch_is_refused(model_copy: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    onnx = model_copy / "inbetween.onnx"
    data = bytearray(onnx.read_bytes())
    data[-1] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(BadInput, match="inbetween.onnx.*does not match the sha256"):
        model_files.load_model_files(model_copy / "inbetween.json")
    # Through the CLI: exit status 2 and one line naming the file.
    keys = _pair()
    folder = model_copy.parent
    paths = []
    for n, key in enumerate(keys):
        paths.append(folder / f"k{n}.png")
        write_image(paths[-1], key)
    monkeypatch.setenv("NAKAWARI_MODELS", str(model_copy))
    code = main(["inbetween", *map(str, paths), "--out", str(folder / "out"), "--mode", "learned",
                 "--device", "cpu", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "inbetween.onnx" in err and "sha256" in err and "\n" not in err
    assert not (folder / "out").exists()


def test_missing_or_broken_manifest(tmp_path: Path, model_copy: Path) -> None:
    with pytest.raises(BadInput, match="no learned model"):
        model_files.load_model_files(tmp_path / "nothing.json")
    (model_copy / "inbetween.json").write_text("{not json")
    with pytest.raises(BadInput, match="not a valid model manifest"):
        model_files.load_model_files(model_copy / "inbetween.json")


def test_session_factory_reports_the_provider_that_runs() -> None:
    files = model_files.load_model_files()
    for want_cuda in (False, True):
        session, provider = runtime.ort_session(files.onnx, want_cuda)
        assert provider == session.get_providers()[0]
        if not want_cuda:
            assert provider == "CPUExecutionProvider"
        elif not runtime.cuda_driver_present():
            assert provider == "CPUExecutionProvider"  # no driver: CUDA is not even asked for


@pytest.mark.parametrize("cels", [False, True])
def test_learned_mode_makes_frames(cels: bool) -> None:
    keys = _pair(cels)
    res = runtime.inbetween_learned(keys, [0.0, 1.0], [0.0, 0.25, 0.5, 0.75], device="cpu")
    assert res.mode == "learned" and res.device == "cpu" and res.backend == "onnxruntime CPUExecutionProvider"
    assert len(res.frames) == 4 and np.array_equal(res.frames[0], keys[0])
    for frame in res.frames[1:]:
        assert frame.shape == keys[0].shape and frame.dtype == np.float32
        assert 0.0 <= float(frame.min()) and float(frame.max()) <= 1.0
        assert (frame[..., :3].mean(axis=2) < 0.5).any()  # lines were drawn


def test_auto_uses_learned_only_where_the_recorded_bench_says_it_wins(model_copy: Path) -> None:
    manifest = model_copy / "inbetween.json"
    data = json.loads(manifest.read_text())
    data["bench"] = {}
    manifest.write_text(json.dumps(data))
    assert not runtime.learned_wins("cels", manifest) and not runtime.learned_wins("lineart", manifest)
    data["bench"] = {"auto": {"lineart": False, "cels": True}}
    manifest.write_text(json.dumps(data))
    assert runtime.learned_wins("cels", manifest) and not runtime.learned_wins("lineart", manifest)
    assert not runtime.learned_wins("cels", model_copy / "missing.json")
    shipped = model_files.load_model_files().manifest["bench"]
    for kind in ("lineart", "cels"):  # the shipped record agrees with its own numbers
        assert runtime.learned_wins(kind) == shipped.get("auto", {}).get(kind, False)


def test_auto_runs_learned_only_on_a_gpu(model_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recorded win is not enough: on the CPU the model costs many times flow mode's time per frame."""
    from nakawari.jobs.inbetween import choose_mode

    manifest = model_copy / "inbetween.json"
    data = json.loads(manifest.read_text())
    data["bench"] = {"auto": {"lineart": True, "cels": True}}
    manifest.write_text(json.dumps(data))
    monkeypatch.setenv("NAKAWARI_MODELS", str(model_copy))
    keys = _pair(cels=True)
    assert choose_mode("auto", keys, None, "cpu")[0] == "flow"
    monkeypatch.setattr(runtime, "gpu_can_run", lambda device: device != "cpu")
    assert choose_mode("auto", keys, None, "auto")[0] == "learned"
    assert choose_mode("auto", keys, None, "cpu")[0] == "flow"


def test_learned_mode_runs_without_torch(tmp_path: Path) -> None:
    """onnxruntime is a core dependency, torch an extra: learned mode must not need torch."""
    script = (
        "import sys; sys.modules['torch'] = None\n"
        "from nakawari.synth import articulated_motion\n"
        "from nakawari.learned.runtime import inbetween_learned\n"
        "m = articulated_motion(3, 0)\n"
        "keys = [m.render(t, (160, 96)) for t in (0.0, 1.0)]\n"
        "r = inbetween_learned(keys, [0, 1], [0.5], device='auto')\n"
        "print(r.mode, r.device, r.backend)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("learned cpu onnxruntime")


def test_bench_learned_row_scores_every_frame() -> None:
    from nakawari.bench.inbetween import learned_available, nakawari_learned, score_suite
    from nakawari.synth import articulated_suite

    assert learned_available() is None  # the shipped model loads, so the bench has its row
    cases = articulated_suite(SIZE, n_cases=1, seed=3)
    scores = score_suite(cases, nakawari_learned("cpu"))
    assert len(scores.cd) == len(cases[0].gt_frames) and all(cd >= 0 for cd in scores.cd)


def test_cli_learned_mode_writes_its_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for n, key in enumerate(_pair()):
        paths.append(tmp_path / f"k.{n:04d}.png")
        write_image(paths[-1], key)
    out = tmp_path / "out"
    assert main(["inbetween", *map(str, paths), "--out", str(out), "--mode", "learned", "--device", "cpu",
                 "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "learned" and manifest["backend"] == "onnxruntime CPUExecutionProvider"
    assert "learned mode on cpu" in capsys.readouterr().out
