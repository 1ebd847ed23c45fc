"""`nakawari bench inbetween`: nakawari flow mode (and the learned model, when one is installed) against
cross-fade and a plain optical-flow warp-average, on synthetic suites with exact ground truth, plus 1080p
speed and memory, and on a CUDA GPU the learned model's 1080p throughput. Everything runs in one process,
so the ratios between rows are the numbers that count."""
from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..baselines import crossfade, dis_warp_average, hold_nearer
from ..errors import BadInput
from ..inbetween import inbetween
from ..inbetween.device import resolve_device, torch_cuda_available
from ..inbetween.pair import KeyBank
from ..jobs.inbetween import inbetween_in_mode
from ..learned import runtime
from ..learned.model_files import load_model_files
from ..metrics import animeinbet_cd
from ..strokes.raster import inbetween_vector
from ..synth import SynthCase, articulated_suite, ball_suite, cel_suite
from ..synth.variants import pencil, zoom
from ..table import format_table
from ..timing import gap_of
from .real.score import Reference, line_scores

Method = Callable[[Sequence[np.ndarray], Sequence[float], Sequence[float]], list[np.ndarray]]

BASELINE = "warp-average (DIS on raw keys)"
TARGET_CD_RATIO = 0.6       # nakawari mean CD ≤ 0.6 × the plain warp-average's on the articulated suite
TARGET_CLEAN = 0.8          # held-out families: at least 80 % of auto's frames clean
AUTO = "nakawari auto"
WHITE_PAPER = 250.0         # paper grey (0..255) at or above which a drawing is on white paper
TARGET_FIRST_S = 1.0        # 1080p key pair → first inbetween
TARGET_FURTHER_S = 0.25     # each further inbetween of the same pair
VECTOR = "nakawari vector"
TARGET_VECTOR_CD_RATIO = 0.5  # vector mode mean CD ≤ 0.5 × the plain warp-average's on articulated line art
LEARNED = "nakawari learned"
TARGET_LEARNED_CD_RATIO = 0.8  # learned mean CD ≤ 0.8 × flow mode's on the articulated and coloured suites
LEARNED_SUITES = ("articulated line art, 2 keys, 540p", "coloured cels, 2 keys, 540p")
TARGET_GPU_RATE = 30.0        # 1080p inbetweens per second on an H100-class GPU


def per_gap(pairwise: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Method:
    """Lift a two-key baseline to many keys: each time uses only the keys on either side of it."""
    def run(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float]) -> list[np.ndarray]:
        frames = []
        for t in times:
            gap = gap_of(key_times, t)
            local = (t - key_times[gap]) / (key_times[gap + 1] - key_times[gap])
            frames.append(pairwise(keys[gap], keys[gap + 1], local))
        return frames
    return run


def nakawari_auto(device: str) -> Method:
    """The engine as the CLI and the hosts run it: auto's choice of mode, every frame self-checked."""
    def run(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float]) -> list[np.ndarray]:
        return inbetween_in_mode("auto", list(keys), key_times, times, device=device).frames
    return run


def nakawari_flow(device: str) -> Method:
    def run(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float]) -> list[np.ndarray]:
        return inbetween(keys, key_times, times, mode="flow", device=device).frames
    return run


def learned_available() -> str | None:
    """None when the learned model loads (checksums hold), else why it is left out of the bench."""
    try:
        load_model_files()
    except BadInput as error:
        return f"left out ({error})"
    return None


def nakawari_learned(device: str) -> Method:
    def run(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float]) -> list[np.ndarray]:
        return runtime.inbetween_learned(keys, key_times, times, device=device).frames
    return run


def learned_gpu_rates(keys: Sequence[np.ndarray], seconds: float = 3.0) -> dict[str, float]:
    """1080p inbetweens per second of the learned model on the GPU, per backend that can run there:
    the network, the full-size warps and the copy back, MAX_BATCH t values per call. Not in it: the CPU work around
    the network — flow mode's prior (its preparation once per pair, its flow reversal per frame) and
    the line post-processor per frame; the bench's 1080p CPU times include them."""
    files = load_model_files()
    bank = KeyBank.of(keys, [0.0, 1.0])
    inputs = runtime.pair_inputs(bank, 0, files.long_side, None)
    n = runtime.MAX_BATCH
    feeds = inputs.batch(list(np.linspace(0.2, 0.8, n)))
    runners: dict[str, Callable[..., np.ndarray]] = {}
    if torch_cuda_available():
        from ..learned.torch_runner import TorchRunner
        runners["torch CUDA fp16"] = TorchRunner(files, "cuda")
    ort_runner = runtime.OnnxRunner(files, want_cuda=True)
    if ort_runner.device == "cuda":
        runners["onnxruntime CUDA"] = ort_runner
    rates = {}
    for name, runner in runners.items():
        runner(*feeds)  # warm up: kernels, memory pools
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            runner(*feeds)
            done += n
        rates[name] = done / (time.perf_counter() - started)
    return rates


def nakawari_vector() -> Method:
    def run(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float]) -> list[np.ndarray]:
        return inbetween_vector(keys, key_times, times)
    return run


@dataclass
class Scores:
    """Per-frame scores of one method on one suite. CD reads ink relative to the truth's paper and darkest
    marks (on black-on-white drawings the same as gray < 128); clean: ink recall and precision within 2 px
    ≥ 0.95 and no more pieces than the truth."""

    cd: list[float] = field(default_factory=list)
    anime_cd: list[float] = field(default_factory=list)
    clean: list[float] = field(default_factory=list)
    extra_pieces: list[float] = field(default_factory=list)   # pieces beyond the truth's
    specks: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, name: str, baseline: Scores) -> list[object]:
        per_frame = self.seconds / max(len(self.cd), 1)
        return [name, statistics.fmean(self.cd), statistics.median(self.cd), self.ratio(baseline),
                statistics.fmean(self.clean), statistics.fmean(self.extra_pieces), statistics.fmean(self.specks),
                _mean_known(self.anime_cd), per_frame]

    def ratio(self, baseline: Scores) -> float:
        return statistics.fmean(self.cd) / max(statistics.fmean(baseline.cd), 1e-9)


def _mean_known(values: list[float]) -> float:
    known = [v for v in values if v == v]
    return statistics.fmean(known) if known else float("nan")


HEADER = ["method", "mean CD px", "median CD px", "mean CD / warp-average", "clean frames", "extra pieces",
          "specks", "AnimeInbet CD e-5", "s/inbetween"]


def score_suite(cases: Sequence[SynthCase], method: Method) -> Scores:
    scores = Scores()
    for case in cases:
        started = time.perf_counter()
        frames = method(case.keys, case.key_times, case.gt_times)
        scores.seconds += time.perf_counter() - started
        for made, truth, t in zip(frames, case.gt_frames, case.gt_times):
            gap = gap_of(case.key_times, t)
            reference = Reference.of(case.keys[gap:gap + 2], truth)
            line = line_scores(made, reference)
            scores.cd.append(line["cd"])
            scores.clean.append(line["clean"])
            scores.extra_pieces.append(line["pieces"] - reference.truth_pieces)
            scores.specks.append(line["specks"])
            # AnimeInbet's CD counts every pixel short of white as line: it only means something on white paper.
            white = reference.levels.paper >= WHITE_PAPER
            scores.anime_cd.append(animeinbet_cd(made, truth) if white else float("nan"))
    return scores


def held_out_suites(size: tuple[int, int], quick: bool) -> dict[str, list[SynthCase]]:
    """Families and seeds no setting was tuned on: what real drawings add to the mannequin (turns up to
    90°, pencil on grainy paper, a zoom, a transparent layer). Reported apart from the suites above."""
    n = 2 if quick else 4
    return {
        "held out: turns up to 90°, 540p": articulated_suite(size, n_cases=n, seed=101, max_rotation=np.pi / 2),
        "held out: pencil on grainy paper, 540p": [pencil(case, seed=102) for case in
                                                   articulated_suite(size, n_cases=n, seed=102)],
        "held out: zoom 1.4×, 540p": [zoom(case, 1.4) for case in articulated_suite(size, n_cases=n, seed=103)],
        "held out: transparent layer, 540p": articulated_suite(size, n_cases=n, seed=104, transparent=True),
    }


def time_pair(method: Method, keys: Sequence[np.ndarray], repeats: int = 3) -> tuple[float, float, float]:
    """(first inbetween s, each further inbetween s, peak traced MiB) for one key pair.

    Each call starts from the keys (no state is kept between calls), so the first inbetween includes
    motion estimation; the best of `repeats` runs damps noise from the rest of the machine. Memory is
    traced in a separate run: tracing slows allocation and would distort the times.
    """
    def best(times: list[float]) -> float:
        durations = []
        for _ in range(repeats):
            started = time.perf_counter()
            method(keys, [0.0, 1.0], times)
            durations.append(time.perf_counter() - started)
        return min(durations)

    first = best([0.5])
    nine = best([0.1 * k for k in range(1, 10)])  # many frames, so the flow's own jitter averages out
    tracemalloc.start()
    method(keys, [0.0, 1.0], [0.5])
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return first, max(nine - first, 0.0) / 8, peak


def bench_inbetween(*, quick: bool = False, device: str = "auto") -> int:
    try:
        device = resolve_device(device)
    except ValueError as error:
        raise BadInput(str(error)) from None
    small = (960, 540)
    suites = {
        "articulated line art, 2 keys, 540p": articulated_suite(small, n_cases=4 if quick else 8, seed=11),
        "articulated line art, 3 keys, linear gaps, 540p": articulated_suite(small, n_cases=2 if quick else 4,
                                                                             n_keys=3, seed=12),
        "articulated line art, 3 keys, smooth arcs, 540p": articulated_suite(small, n_cases=2 if quick else 4,
                                                                             n_keys=3, seed=12, smooth=True),
        "coloured cels, 2 keys, 540p": cel_suite(small, n_cases=3 if quick else 6, seed=13),
        "bouncing ball (far jumps, turn, squash), 540p": ball_suite(small, n_cases=3 if quick else 6, seed=16),
    }
    if not quick:
        suites["articulated line art, 2 keys, 1080p"] = articulated_suite((1920, 1080), n_cases=3, seed=14)
    held_out = held_out_suites(small, quick)
    suites.update(held_out)
    methods: dict[str, Method] = {
        "cross-fade": per_gap(crossfade),
        "hold the nearer key": per_gap(hold_nearer),
        BASELINE: per_gap(dis_warp_average),
        AUTO: nakawari_auto("cpu"),
        "nakawari flow": nakawari_flow("cpu"),
        VECTOR: nakawari_vector(),
    }
    if device == "cuda":  # the same engine with warping and fusion on the GPU, for the speed table
        methods["nakawari flow (cuda)"] = nakawari_flow("cuda")
    learned_note = learned_available()
    if learned_note is None:
        methods[LEARNED] = nakawari_learned("cpu")  # onnxruntime on the CPU; GPU throughput separately below
    print(f"nakawari bench inbetween{' --quick' if quick else ''}: {os.cpu_count()} CPU cores, device={device}\n")
    results: dict[str, dict[str, Scores]] = {}
    for title, cases in suites.items():
        results[title] = {name: score_suite(cases, method) for name, method in methods.items()}
        frames = sum(len(case.gt_frames) for case in cases)
        print(format_table(f"{title} — {len(cases)} cases, {frames} inbetweens",
                           HEADER, [scores.row(name, results[title][BASELINE]) for name, scores in
                                    results[title].items()]))
        print()

    pair = articulated_suite((1920, 1080), n_cases=1, seed=15)[0]
    for name, method in methods.items():  # load libraries (and wake the GPU) before timing anything
        if name.startswith("nakawari"):
            method(pair.keys[:2], [0.0, 1.0], [0.5])
    speed = {name: time_pair(method, pair.keys[:2]) for name, method in methods.items()}
    print(format_table("speed at 1920x1080, one key pair", ["method", "first inbetween s",
                                                            "further inbetween s", "peak traced MiB"],
                       [[name, *row] for name, row in speed.items()]))
    print()
    gpu_rates: dict[str, float] = {}
    if learned_note is not None:
        print(f"learned model: {learned_note}\n")
    elif device == "cuda":
        gpu_rates = learned_gpu_rates(pair.keys[:2])
        print(format_table("learned model on the GPU, 1920x1080 (network, warps, copy back; "
                           "CPU prior and line post-processor excluded)",
                           ["backend", "inbetweens per second"], [[name, rate] for name, rate in gpu_rates.items()]))
        print()
    else:
        print("learned model on the GPU: no CUDA GPU here, GPU throughput not measured\n")

    print("targets")
    for title in ("articulated line art, 2 keys, 540p", "articulated line art, 2 keys, 1080p"):
        if title in results:
            ratio = (statistics.fmean(results[title]["nakawari flow"].cd) /
                     statistics.fmean(results[title][BASELINE].cd))
            print(f"  {title}: mean CD, nakawari / warp-average = {ratio:.2f} (target ≤ {TARGET_CD_RATIO}): "
                  f"{'met' if ratio <= TARGET_CD_RATIO else 'MISSED'}")
    for title in ("articulated line art, 2 keys, 540p", "articulated line art, 2 keys, 1080p"):
        if title in results:
            ratio = (statistics.fmean(results[title][VECTOR].cd) / statistics.fmean(results[title][BASELINE].cd))
            print(f"  {title}: mean CD, nakawari vector / warp-average = {ratio:.2f} "
                  f"(target ≤ {TARGET_VECTOR_CD_RATIO}): {'met' if ratio <= TARGET_VECTOR_CD_RATIO else 'MISSED'}")
    if LEARNED in methods:
        for title in LEARNED_SUITES:
            if title in results:
                ratio = (statistics.fmean(results[title][LEARNED].cd)
                         / statistics.fmean(results[title]["nakawari flow"].cd))
                print(f"  {title}: mean CD, nakawari learned / flow = {ratio:.2f} "
                      f"(target ≤ {TARGET_LEARNED_CD_RATIO}): "
                      f"{'met' if ratio <= TARGET_LEARNED_CD_RATIO else 'MISSED'}")
    for name, rate in gpu_rates.items():
        print(f"  learned, {name}: {rate:.1f} inbetweens/s at 1080p (target ≥ {TARGET_GPU_RATE:g}): "
              f"{'met' if rate >= TARGET_GPU_RATE else 'MISSED'}")
    for title in held_out:
        auto = results[title][AUTO]
        ratio, clean = auto.ratio(results[title][BASELINE]), statistics.fmean(auto.clean)
        print(f"  {title}: nakawari auto / warp-average = {ratio:.2f} (target ≤ {TARGET_CD_RATIO}), clean frames "
              f"{clean:.0%} (target ≥ {TARGET_CLEAN:.0%}): "
              f"{'met' if ratio <= TARGET_CD_RATIO and clean >= TARGET_CLEAN else 'MISSED'}")
    first, further, _ = speed["nakawari flow"]
    print(f"  1080p first inbetween {first:.2f} s (target ≤ {TARGET_FIRST_S}): "
          f"{'met' if first <= TARGET_FIRST_S else 'MISSED'}")
    print(f"  1080p further inbetween {further:.2f} s (target ≤ {TARGET_FURTHER_S}): "
          f"{'met' if further <= TARGET_FURTHER_S else 'MISSED'}")
    return 0
