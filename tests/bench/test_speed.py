"""What the speed work must not change, and the laziness it relies on (timings live in `nakawari bench speed`).

- auto's cheap evidence gives the same choice as the full check (vectorise, redraw, match);
- keys are copied into the output as their own bytes only where that shows the very same pixels;
- `nakawari serve` answers `initialize` without loading the engine, then warms up in the background;
- asking for a GPU where no CUDA driver exists loads neither torch nor onnxruntime.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_helpers import arm_key, key_pair

from nakawari import server
from nakawari.gpu import cuda_driver_present
from nakawari.image import read_image, write_image
from nakawari.jobs.inbetween import InbetweenJob, choose_mode, run_inbetween
from nakawari.strokes.match import match_drawings
from nakawari.strokes.raster import LONG_STROKES, sketch_keys, stroke_span
from nakawari.synth import articulated_suite, cel_suite


def _cases() -> dict[str, list[np.ndarray]]:
    figure = articulated_suite((480, 270), n_cases=2, seed=31)
    return {"figure a": figure[0].keys, "figure b": figure[1].keys,
            "cels": cel_suite((240, 135), n_cases=1, seed=32)[0].keys}


def _arms(folder: Path) -> list[np.ndarray]:
    return [read_image(arm_key(folder / f"arm{i}.png", angle, size=(160, 120))).rgba
            for i, angle in enumerate((0.2, 0.6))]


def _hatched(seed: int) -> list[np.ndarray]:
    """Two keys of a rough sketch: the same shapes laid in with many short, overlapping marks."""
    rng = np.random.default_rng(seed)
    keys = []
    for shift in (0, 6):
        canvas = np.full((135, 240), 255, np.uint8)
        for _ in range(160):
            x, y = rng.uniform(40, 200), rng.uniform(25, 110)
            angle, length = rng.uniform(0, np.pi), rng.uniform(4, 9)
            end = (x + length * np.cos(angle), y + length * np.sin(angle))
            cv2.line(canvas, (int(x) + shift, int(y)), (int(end[0]) + shift, int(end[1])), 0, 1, cv2.LINE_AA)
        keys.append(np.dstack([np.repeat((canvas / 255.0)[..., None], 3, axis=2),
                               np.ones(canvas.shape)]).astype(np.float32))
    return keys


def test_auto_takes_vector_only_for_line_art_drawn_in_long_strokes(tmp_path: Path) -> None:
    """Vector mode for clean line art in long strokes (the arm); flow for the mannequins (many short strokes
    between junctions, where flow mode wins), rough hatching and cels. The cheap evidence decides first."""
    cases = _cases() | {"arm": _arms(tmp_path), "hatching": _hatched(33)}
    chosen = {name: choose_mode("auto", keys, None, "cpu")[0] for name, keys in cases.items()}
    assert chosen == {"figure a": "flow", "figure b": "flow", "cels": "flow", "arm": "vector", "hatching": "flow"}
    spans = {name: stroke_span(sketch_keys(keys)) for name, keys in cases.items() if name != "cels"}
    assert spans["arm"] >= LONG_STROKES > max(spans["hatching"], spans["figure a"], spans["figure b"])


def test_matches_pair_strokes_one_to_one(tmp_path: Path) -> None:
    """Matching pairs strokes one to one: no stroke in two matches."""
    drawings = sketch_keys(_cases()["figure a"]).drawings
    matches = match_drawings(drawings[0], drawings[1]).matches
    assert len({m.a for m in matches}) == len(matches) == len({m.b for m in matches})


def _key(path: Path, x: int, *, transparent: bool) -> Path:
    rgba = np.ones((64, 96, 4), np.float32)
    rgba[20:44, x:x + 3, :3] = 0.0
    if transparent:
        rgba[..., 3] = 0.0
        rgba[20:44, x:x + 3, 3] = 1.0
    return write_image(path, rgba, transparent=transparent)


def test_keys_are_copied_as_bytes_when_the_pixels_are_the_same(tmp_path: Path) -> None:
    keys = [_key(tmp_path / f"k{i}.png", 30 + 20 * i, transparent=False) for i in range(2)]
    manifest = run_inbetween(InbetweenJob(keys=keys, out=tmp_path / "out", mode="flow", device="cpu"))
    files = [tmp_path / "out" / frame["file"] for frame in manifest["frames"]]
    assert files[0].read_bytes() == keys[0].read_bytes() and files[2].read_bytes() == keys[1].read_bytes()
    assert np.array_equal(read_image(files[0]).rgba, read_image(keys[0]).rgba)


def test_keys_composited_onto_paper_are_written_again(tmp_path: Path) -> None:
    """One key on a layer, one on paper: the layer key is composited, so its copy must show that."""
    keys = [_key(tmp_path / "k0.png", 30, transparent=True), _key(tmp_path / "k1.png", 50, transparent=False)]
    manifest = run_inbetween(InbetweenJob(keys=keys, out=tmp_path / "out", mode="flow", device="cpu"))
    first = tmp_path / "out" / manifest["frames"][0]["file"]
    assert first.read_bytes() != keys[0].read_bytes()
    written = read_image(first)
    assert not written.transparent and float(written.rgba[..., 3].min()) == 1.0
    assert (tmp_path / "out" / manifest["frames"][2]["file"]).read_bytes() == keys[1].read_bytes()


def test_resized_keys_are_written_again(tmp_path: Path) -> None:
    big = np.ones((128, 192, 4), np.float32)
    big[40:88, 60:66, :3] = 0.0
    keys = [_key(tmp_path / "k0.png", 30, transparent=False), write_image(tmp_path / "k1.png", big)]
    manifest = run_inbetween(InbetweenJob(keys=keys, out=tmp_path / "out", mode="flow", device="cpu",
                                          resize="first"))
    last = tmp_path / "out" / manifest["frames"][2]["file"]
    assert last.read_bytes() != keys[1].read_bytes() and read_image(last).size == (96, 64)


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sys.modules))"],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_initialize_answers_without_loading_the_engine() -> None:
    loaded = _loaded_after("from nakawari import server\nprint(server.Server([], sys.stderr).initialize())")
    assert "numpy" not in loaded and "nakawari.inbetween" not in loaded and "torch" not in loaded


def test_the_engine_warms_up_after_initialize(tmp_path: Path) -> None:
    log = io.StringIO()
    sink = io.StringIO()
    engine = server.Server([json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}) + "\n"],
                           sink, log)
    engine.serve()
    assert json.loads(sink.getvalue().splitlines()[0])["result"]["capabilities"]
    engine._warm.join(120)
    assert not engine._warm.is_alive()
    assert "warm-up skipped" not in log.getvalue() and "unavailable" not in log.getvalue()
    assert server.WARM_LINE in log.getvalue()  # what `bench speed` waits for


def test_the_first_job_after_initialize_runs(tmp_path: Path) -> None:
    """A job sent while the engine still warms up waits for nothing it should not, and succeeds."""
    keys = key_pair(tmp_path / "keys")
    lines = [{"id": 1, "method": "initialize", "params": {}},
             {"id": 2, "method": "inbetween", "params": {"keys": keys, "out": str(tmp_path / "out")}}]

    def source():
        for line in lines:
            yield json.dumps({"jsonrpc": "2.0", **line}) + "\n"
        assert engine.wait_idle(120)  # the end of input would cancel the job

    sink = io.StringIO()
    engine = server.Server(source(), sink, io.StringIO())
    engine.serve()
    answers = {m["id"]: m for m in map(json.loads, sink.getvalue().splitlines()) if "id" in m}
    assert answers[2]["result"]["frames"]


@pytest.mark.skipif(cuda_driver_present(), reason="a CUDA driver is present: the GPU check must ask torch")
def test_no_driver_means_no_torch_import() -> None:
    loaded = _loaded_after("from nakawari.inbetween.device import resolve_device\n"
                           "assert resolve_device('auto') == 'cpu'\n"
                           "from nakawari.learned.runtime import gpu_can_run\n"
                           "assert not gpu_can_run('auto')")
    assert "torch" not in loaded and "onnxruntime" not in loaded


def _blas_threads() -> int:
    """Threads numpy's OpenBLAS runs in this process (-1 where that cannot be read)."""
    import ctypes

    import numpy  # noqa: F401 - loads OpenBLAS as a worker's first task does

    maps = Path("/proc/self/maps")
    libraries = sorted({line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line.lower()}) \
        if maps.exists() else []
    for library in libraries:
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            function = getattr(ctypes.CDLL(library), name, None)
            if function is not None:
                return int(function())
    return -1


def test_pool_workers_start_with_their_share_of_blas_threads() -> None:
    """Setting the limits inside a worker comes after numpy loaded them: the pool's workers must start with
    them (what the second worker waited on: two BLAS threads per worker on two cores)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from nakawari.batch.worker import inherited_thread_limits, start_worker

    if _blas_threads() < 2:
        pytest.skip("numpy here has no OpenBLAS with two or more threads to limit")
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=start_worker, initargs=(1,)) as pool:
        assert pool.submit(_blas_threads).result() > 1  # limits set only inside the worker: too late
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=start_worker, initargs=(1,)) as pool:
        with inherited_thread_limits(1):
            future = pool.submit(_blas_threads)
        assert future.result() == 1
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before  # this process's environment is put back


def test_a_host_can_start_the_engine_early_without_waiting(tmp_path: Path) -> None:
    from nakawari.client import EngineClient

    serve = "import sys; from nakawari.cli import main; sys.exit(main(['serve']))"
    with EngineClient(command=[sys.executable, "-c", serve], log_dir=tmp_path / "logs") as client:
        thread = client.start()  # returns at once; the engine starts and answers `initialize` behind it
        thread.join(120)
        assert client.running and "inbetween" in client.info["capabilities"]
        keys = key_pair(tmp_path / "keys")
        assert client.call("inbetween", {"keys": keys, "out": str(tmp_path / "out")})["frames"]
    missing = EngineClient(command=[str(tmp_path / "no-such-engine")], log_dir=tmp_path / "logs")
    missing.start().join(30)  # a failure to start is left for the first real call to report
    assert not missing.running and missing.info is None
