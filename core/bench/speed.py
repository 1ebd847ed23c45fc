"""`nakawari bench speed`: what an artist waits for, each next to a yardstick measured in the same run.

- The whole command: `nakawari inbetween A B --times 0.5` (auto mode) on a 1080p line-art pair, as a fresh
  process, against a bare Python process that loads the same keys with OpenCV, runs DIS (medium) both ways,
  warps, averages and writes the frame. The ratio of the fastest runs counts (the machine may be shared).
- The engine in a host: a real `nakawari serve` process driven through `nakawari.client`: time until
  `initialize` answers (ready); the first job of an engine the host started early (it has warmed up in the
  background, as the add-ons start it when they load) and the same job again; and, apart, a first job sent
  the moment the engine was ready (it waits for the warm-up's imports). A Blender-style strokes request and a
  small Krita-style raster pair.
- Vector matching: 200 strokes × 100 points × 7 inbetweens (`bench strokes`' speed case).
- Batch scaling: shots a minute through the pyblish batch with 2 pool workers against 1 (and, without
  --quick, on a local Ray with 2 CPUs). On a machine whose cores other work takes, no second worker can go
  faster: the load average is printed with the figures.
- GPU rows: measured only where a CUDA GPU is present; otherwise the table says so.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..batch import run_batch
from ..client import EngineClient
from ..gpu import torch_cuda_available
from ..image import write_image
from ..server import WARM_LINE
from ..strokes.io import drawing_to_json
from ..synth import articulated_suite
from ..synth.strokes import speed_keys
from ..table import format_table
from .batch import write_bench_shots
from .strokes import time_speed

try:
    import resource
except ImportError:  # Windows: no rusage, the CPU columns read n/a
    resource = None  # type: ignore[assignment]

TARGET_CLI_RATIO = 2.0      # the whole CLI ≤ 2 × the bare DIS warp-average process
TARGET_READY_S = 1.5        # engine start → `initialize` answered
TARGET_FIRST_JOB_S = 1.0    # the first job after ready
TARGET_VECTOR_S = 0.050     # 200 strokes × 100 points × 7 inbetweens
TARGET_BATCH = 1.7          # shots a minute, 2 workers over 1

# The yardstick: what a user would write with OpenCV alone (no checks, no fusion, no self-check).
BARE_DIS = """
import sys, cv2, numpy as np
a, b = (cv2.imread(p, cv2.IMREAD_COLOR) for p in sys.argv[1:3])
ga, gb = (cv2.cvtColor(k, cv2.COLOR_BGR2GRAY) for k in (a, b))
dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
f01, f10 = dis.calc(ga, gb, None), dis.calc(gb, ga, None)
h, w = ga.shape
gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
t = 0.5
w0 = cv2.remap(a, gx - t * f01[..., 0], gy - t * f01[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
w1 = cv2.remap(b, gx - (1 - t) * f10[..., 0], gy - (1 - t) * f10[..., 1], cv2.INTER_LINEAR,
               borderMode=cv2.BORDER_REPLICATE)
cv2.imwrite(sys.argv[3], cv2.addWeighted(w0, 1 - t, w1, t, 0))
"""
CLI = "import sys; from nakawari.cli import main; sys.exit(main())"
SERVE = "import sys; from nakawari.cli import main; sys.exit(main(['serve']))"


@dataclass(frozen=True)
class CliTimes:
    cli_s: float      # fastest whole `nakawari inbetween` process (wall clock)
    bare_s: float     # fastest bare DIS warp-average process (wall clock)
    cli_cpu_s: float  # the same, CPU seconds (user + system) as the system accounts them
    bare_cpu_s: float
    mode: str         # the mode auto chose

    @property
    def ratio(self) -> float:
        return self.cli_s / self.bare_s

    @property
    def cpu_ratio(self) -> float:
        """On a machine other work keeps busy, wall clocks stretch with the load and short runs get lucky
        more often; the CPU each process used does not."""
        return self.cli_cpu_s / self.bare_cpu_s


def _run(argv: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process; NaN where the system does not say) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN) if resource is not None else None
    started = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[2:4]} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    if resource is None or before is None:
        return took, float("nan")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_cli(folder: Path, repeats: int) -> CliTimes:
    """The fastest of `repeats` runs of each, taken in turn (CLI, bare, CLI, bare …) so drift hits both."""
    case = articulated_suite((1920, 1080), n_cases=1, seed=15)[0]
    folder.mkdir(parents=True, exist_ok=True)
    keys = [str(write_image(folder / f"key{i}.png", key)) for i, key in enumerate(case.keys[:2])]
    cli, bare = [], []
    for n in range(repeats):
        out = folder / f"cli{n}"
        cli.append(_run([sys.executable, "-c", CLI, "inbetween", *keys, "--times", "0.5", "--out", str(out),
                         "--quiet"]))
        bare.append(_run([sys.executable, "-c", BARE_DIS, *keys, str(folder / f"bare{n}.png")]))
    mode = (folder / "cli0" / "manifest.json").read_text(encoding="utf-8").split('"mode": "')[1].split('"')[0]
    return CliTimes(min(w for w, _ in cli), min(w for w, _ in bare), min(c for _, c in cli), min(c for _, c in bare),
                    mode)


@dataclass(frozen=True)
class EngineTimes:
    job: str
    ready_s: float    # process start → `initialize` answered
    cold_s: float     # the first job, sent the moment the engine was ready (it waits for the warm-up's imports)
    warm_up_s: float  # ready → the engine's background warm-up done (a host that starts it early waits for none)
    first_s: float    # the first job of an engine that has warmed up: what the artist's first click costs
    again_s: float    # the same job once more


def _strokes_request() -> dict:
    """A Blender-style request: two keys of 40 strokes × 50 points, three inbetweens."""
    first, second = speed_keys(np.random.default_rng(5), n_strokes=40, n_points=50)
    return {"keys": [{"time": 0, "strokes": drawing_to_json(first)}, {"time": 4, "strokes": drawing_to_json(second)}],
            "count": 3}


def _raster_keys(folder: Path) -> list[str]:
    """A Krita-style pair: two small line-art keys on paper (the size the Krita host test sends)."""
    case = articulated_suite((160, 96), n_cases=1, seed=16)[0]
    folder.mkdir(parents=True, exist_ok=True)
    return [str(write_image(folder / f"key.{4 * i:04d}.png", key)) for i, key in enumerate(case.keys[:2])]


def _wait_warm(client: EngineClient, timeout: float = 60.0) -> None:
    """Until the engine's log says its background warm-up is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.log_path is not None and WARM_LINE in client.log_path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.02)
    raise RuntimeError(f"the engine did not warm up within {timeout:g} s (log: {client.log_path})")


def time_engine(folder: Path, repeats: int) -> list[EngineTimes]:
    """Per job kind, the fastest of `repeats` runs of two fresh engines: one asked at once, one asked once
    warm (then asked again)."""
    request, keys = _strokes_request(), _raster_keys(folder / "keys")
    jobs: dict[str, Callable[[int, int], tuple[str, dict]]] = {
        "strokes.inbetween (40 strokes, 3 inbetweens)": lambda n, k: ("strokes.inbetween", request),
        "inbetween (160x96 keys, 1 inbetween)": lambda n, k: ("inbetween", {
            "keys": keys, "out": str(folder / f"out{n}-{k}"), "count": 1}),
    }
    rows = []
    for name, job in jobs.items():
        runs = []
        for n in range(repeats):
            with EngineClient(command=[sys.executable, "-c", SERVE], log_dir=folder / "logs") as client:
                started = time.perf_counter()
                client.initialize()
                ready = time.perf_counter()
                client.call(*job(n, 0))
                cold = time.perf_counter() - ready
            with EngineClient(command=[sys.executable, "-c", SERVE], log_dir=folder / "logs") as client:
                started = time.perf_counter()
                client.initialize()
                ready = time.perf_counter()
                _wait_warm(client)
                warm = time.perf_counter()
                client.call(*job(n, 1))
                first = time.perf_counter()
                client.call(*job(n, 2))
                runs.append(EngineTimes(name, ready - started, cold, warm - ready, first - warm,
                                        time.perf_counter() - first))
        rows.append(EngineTimes(name, *(min(getattr(r, f) for r in runs) for f in
                                        ("ready_s", "cold_s", "warm_up_s", "first_s", "again_s"))))
    return rows


def time_batch(folder: Path, quick: bool) -> dict[str, float]:
    """Seconds for the same shots with 1 and with 2 pool workers, and (not --quick, where Ray is installed)
    on a local Ray with 2 CPUs, started beforehand as a farm's cluster is."""
    shots = write_bench_shots(folder / "shots", shots=4 if quick else 6, size=(480, 270), count=3)
    seconds = {}
    for workers in (1, 2):
        started = time.perf_counter()
        run_batch(shots, folder / f"publish{workers}", workers=workers, device="cpu")
        seconds[f"process pool, {workers} worker{'s' * (workers > 1)}"] = time.perf_counter() - started
    if not quick:
        try:
            import ray
        except ImportError:
            return seconds
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        try:
            started = time.perf_counter()
            run_batch(shots, folder / "publish-ray", ray_address="local", device="cpu")
            seconds["Ray local, 2 CPUs"] = time.perf_counter() - started
        finally:
            ray.shutdown()
    return seconds


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_speed(*, quick: bool = False, device: str = "auto") -> int:
    repeats = 2 if quick else 3
    load = os.getloadavg()[0]
    print(f"nakawari bench speed{' --quick' if quick else ''}: {os.cpu_count()} CPU cores, load average {load:.1f} "
          f"(timings are the fastest of {repeats} runs; ratios compare runs taken in turn)\n")
    with tempfile.TemporaryDirectory(prefix="nakawari-bench-speed-") as temp:
        root = Path(temp)
        cli = time_cli(root / "cli", repeats)
        engine = time_engine(root / "engine", repeats)
        vector = time_speed(repeats=3 if quick else 5)
        vector_cpu = 1000 * vector.cpu
        batch = time_batch(root / "batch", quick)
    print(format_table("the whole command, 1920x1080 line art, one inbetween (fresh processes)",
                       ["process", "wall s", "CPU s"],
                       [[f"nakawari inbetween --times 0.5 (auto: {cli.mode} mode)", cli.cli_s, cli.cli_cpu_s],
                        ["bare OpenCV: load, DIS medium both ways, warp, average, write", cli.bare_s, cli.bare_cpu_s],
                        ["ratio", cli.ratio, cli.cpu_ratio]]))
    print()
    print(format_table("the engine from a host (nakawari.client → nakawari serve), seconds",
                       ["first job", "ready", "job sent at ready", "warm-up (background)", "first job, warm",
                        "same job again"],
                       [[r.job, r.ready_s, r.cold_s, r.warm_up_s, r.first_s, r.again_s] for r in engine]))
    print()
    print(format_table("vector matching: 200 strokes × 100 points × 7 inbetweens", ["part", "ms"],
                       [["matching", vector.matching * 1000], ["first inbetween (gap set-up)", vector.first * 1000],
                        ["other six", vector.rest * 1000], ["total", vector.total * 1000],
                        ["total, CPU time", vector_cpu]]))
    print()
    one = next(iter(batch.values()))
    print(format_table("batch: pyblish publishes of the same shots", ["run", "seconds", "speed-up vs 1 worker"],
                       [[name, seconds, one / seconds] for name, seconds in batch.items()]))
    print(f"load average {load:.1f} before the runs, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPU cores): "
          "a second worker goes faster only on a core nothing else takes")
    print()
    if torch_cuda_available() and device != "cpu":
        print("GPU rows: run `nakawari bench inbetween --device cuda` for the learned model's GPU throughput\n")
    else:
        print("GPU rows (onnxruntime CUDA, torch CUDA): not measured, no CUDA GPU here\n")
    print("targets")
    print(f"  whole CLI / bare DIS process = {cli.ratio:.2f} wall, {cli.cpu_ratio:.2f} CPU (target ≤ "
          f"{TARGET_CLI_RATIO:g}): {_verdict(cli.ratio <= TARGET_CLI_RATIO)} (wall), "
          f"{_verdict(cli.cpu_ratio <= TARGET_CLI_RATIO)} (CPU)")
    for row in engine:
        print(f"  engine ready {row.ready_s:.2f} s (target ≤ {TARGET_READY_S:g} s): "
              f"{_verdict(row.ready_s <= TARGET_READY_S)}; first job, {row.job}, engine started early (warm): "
              f"{row.first_s:.2f} s (target ≤ {TARGET_FIRST_JOB_S:g} s): "
              f"{_verdict(row.first_s <= TARGET_FIRST_JOB_S)}; "
              f"sent the moment it was ready: {row.cold_s:.2f} s")
    print(f"  vector matching 200 × 100 × 7: {vector.total * 1000:.1f} ms wall, {vector_cpu:.1f} ms CPU (target ≤ "
          f"{TARGET_VECTOR_S * 1000:.0f} ms): {_verdict(vector.total <= TARGET_VECTOR_S)} (wall), "
          f"{_verdict(vector_cpu <= TARGET_VECTOR_S * 1000)} (CPU)")
    for name, seconds in list(batch.items())[1:]:
        print(f"  batch, {name} / 1 worker: {one / seconds:.2f}x (target ≥ {TARGET_BATCH:g}x): "
              f"{_verdict(one / seconds >= TARGET_BATCH)}")
    return 0
