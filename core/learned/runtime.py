"""Running the shipped learned model: manifest and checksum, one session factory, `--mode learned`.

No torch at import: onnxruntime (a core dependency) runs the model; torch is used only when the
torch backend is asked for (CUDA, or ``torch-cpu`` in tests).

Backends, by ``device``:
  auto  torch with CUDA (fp16) when available, else onnxruntime — CUDA provider when usable, else CPU
  cpu   onnxruntime on the CPU
  cuda  torch CUDA, else onnxruntime CUDA; refused when neither is usable
  torch-cpu  the torch backend on the CPU (agreement tests)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import Cancelled
from ..gpu import cuda_driver_present, torch_cuda_available
from ..inbetween import InbetweenResult, fuse
from ..inbetween.pair import KeyBank, PairInbetweener, gap_width
from ..inbetween.represent import KeyStyle, compose_lineart
from ..inbetween.selfcheck import FrameChecker, check_frames
from ..onnx_session import ort_session
from ..progress import Cancel, Progress
from ..timing import gap_of
from .model_files import ModelFiles, default_manifest, load_model_files
from .prepare import FlowPrior, full_key, represent, working_size

# onnxruntime 1.31 loads ONNX IR versions up to 13 (export.py writes 8).
MAX_IR_VERSION = 13
# Frames of one key pair run through the model together (several t in one batch).
MAX_BATCH = 4
# The exported graph's inputs, in order (network.FullFrame.forward).
INPUTS = ("rep0", "rep1", "prior", "key0", "key1", "t")


def learned_wins(kind: str, manifest: Path | None = None) -> bool:
    """Whether `--mode auto` should use the learned model for ``kind`` ("lineart" or "cels"): only when
    the bench recorded in the manifest (export.record_bench) measured it beating flow mode there.
    No model, or no record: False."""
    try:
        text = (default_manifest() if manifest is None else manifest).read_text(encoding="utf-8")
        return bool(json.loads(text)["bench"]["auto"][kind])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def gpu_can_run(device: str) -> bool:
    """Whether ``device`` lets the learned model run on a CUDA GPU (torch CUDA, or onnxruntime's CUDA
    provider with a driver). `--mode auto` needs this too: on the CPU the model takes several times flow
    mode's time (seven 1080p inbetweens: 10.5 s against about 2 s on two cores), so there auto keeps flow mode."""
    if device == "cpu" or not cuda_driver_present():  # no driver: no GPU for either, nothing to import
        return False
    if torch_cuda_available():
        return True
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxRunner:
    def __init__(self, files: ModelFiles, want_cuda: bool) -> None:
        self.session, self.provider = ort_session(files.onnx, want_cuda)
        self.device = "cuda" if self.provider == "CUDAExecutionProvider" else "cpu"
        self.backend = f"onnxruntime {self.provider}"

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        return self.session.run(["frame"], {name: np.ascontiguousarray(a) for name, a in zip(INPUTS, arrays)})[0]


def make_runner(files: ModelFiles, device: str) -> Callable[..., np.ndarray]:
    """The backend for ``device`` (see the module docstring); ValueError when it cannot run."""
    if device not in ("auto", "cpu", "cuda", "torch-cpu"):
        raise ValueError(f"unknown device {device!r}; use one of: auto, cpu, cuda")
    if device == "torch-cpu" or (device in ("auto", "cuda") and torch_cuda_available()):
        from .torch_runner import TorchRunner  # imports torch (optional): only when it is to run

        return TorchRunner(files, "cpu" if device == "torch-cpu" else "cuda")
    runner = OnnxRunner(files, want_cuda=device != "cpu")
    if device == "cuda" and runner.device != "cuda":
        raise ValueError("device 'cuda' requested but neither torch nor onnxruntime can use a CUDA GPU here; "
                         "use device='cpu' or 'auto'")
    return runner


@dataclass
class PairInputs:
    reps: tuple[np.ndarray, np.ndarray]  # both keys' working-size representations, batch of one
    keys: tuple[np.ndarray, np.ndarray]  # both full-size keys (prepare.full_key), batch of one
    flow: FlowPrior                      # flow mode's motion for this gap, at any t
    width: float

    def batch(self, ts: Sequence[float], threads: Executor | None = None) -> list[np.ndarray]:
        """The model's inputs (INPUTS) for several t at once, the priors on ``threads`` when given. The keys'
        rows repeat: they are read-only broadcast views (stride 0), which the torch backend sends to the
        GPU once."""
        n = len(ts)
        reps = [np.broadcast_to(a, (n, *a.shape[1:])) for a in self.reps]
        keys = [np.broadcast_to(a, (n, *a.shape[1:])) for a in self.keys]
        prior = np.stack(list(threads.map(self.flow.at, ts)) if threads else [self.flow.at(t) for t in ts])
        return [*reps, prior, *keys, np.array([[t] for t in ts], np.float32)]


def pair_inputs(bank: KeyBank, i: int, long_side: int, line_width: float | None) -> PairInputs:
    """Gap i's inputs; flow mode prepares the gap (once) with all of ``bank``'s keys, for its arcs."""
    pair = PairInbetweener(bank.keys[i], bank.keys[i + 1], device="cpu", line_width=line_width, _bank=bank, _index=i)
    pair.prepare()  # shared by every t: the priors of one batch can then run on several threads
    size = working_size(bank.keys[i].shape, long_side)
    rep_a, rep_b = (represent(bank.keys[k], bank.style, size, bank.ink(k))[None] for k in (i, i + 1))
    key_a, key_b = (full_key(bank.keys[k], bank.ink(k))[None] for k in (i, i + 1))
    return PairInputs((rep_a, rep_b), (key_a, key_b), FlowPrior(pair, size), pair.line_width)


def finish(frame: np.ndarray, style: KeyStyle, width: float) -> np.ndarray:
    """Model output (8, H, W) → RGBA frame. Lines: both warped inks and the mask go through flow
    mode's fixed-width post-processor (one ridge where the copies meet, a stroke seen by one key kept
    whole, redrawn at the keys' width); without a measurable width, the line probability as it is.
    Cels keep the fused colour with the outlines redrawn on top."""
    line, ink0, ink1, m = (np.ascontiguousarray(c, dtype=np.float32) for c in frame[4:8])
    ink = fuse.fuse_lineart(ink0, ink1, m, 1.0 - m, width) if width > 0 else np.clip(line, 0.0, 1.0)
    if style.lineart:
        return compose_lineart(ink, style, line.shape)
    rgba = np.ascontiguousarray(np.clip(frame[:4].transpose(1, 2, 0), 0.0, 1.0), dtype=np.float32)
    return fuse.overlay_outline(rgba, ink, style.ink_rgb) if width > 0 else rgba


def inbetween_learned(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float], *,
                      device: str = "auto", line_width: float | None = None,
                      progress: Progress | None = None,
                      cancel: Cancel | None = None, files: ModelFiles | None = None,
                      runner: Callable[..., np.ndarray] | None = None) -> InbetweenResult:
    """Frames at ``times`` with the learned model; each gap uses the two keys around it, and the
    frames of one gap run through the model in batches of several t. Every frame then checks itself as
    flow mode's do (``FrameCheck`` per frame in the result)."""
    files = load_model_files() if files is None else files
    runner = make_runner(files, device) if runner is None else runner
    kt = [float(x) for x in key_times]
    bank = KeyBank.of(keys, kt)
    frames: dict[int, np.ndarray] = {}
    by_gap: dict[int, list[tuple[int, float]]] = {}
    for n, t in enumerate(times):
        t = float(t)
        if t in kt:
            frames[n] = keys[kt.index(t)].copy()
        else:
            gap = gap_of(kt, t)
            by_gap.setdefault(gap, []).append((n, (t - kt[gap]) / (kt[gap + 1] - kt[gap])))
    done, total = len(frames), len(times)
    # The CPU work around the model (flow mode's prior, the line post-processor) is per frame and mostly
    # in numpy and OpenCV, which release the GIL: the frames of a batch share the cores.
    with ThreadPoolExecutor(min(MAX_BATCH, os.cpu_count() or 1)) as threads:
        for gap, wanted in sorted(by_gap.items()):
            inputs = pair_inputs(bank, gap, files.long_side, line_width)
            for start in range(0, len(wanted), MAX_BATCH):
                if cancel is not None and cancel():
                    raise Cancelled(f"cancelled after {done} of {total} frames")
                chunk = wanted[start:start + MAX_BATCH]
                out = runner(*inputs.batch([local for _, local in chunk], threads))
                made = threads.map(partial(finish, style=bank.style, width=inputs.width), out)
                for (n, _), frame in zip(chunk, made):
                    frames[n] = frame
                    done += 1
                    if progress is not None:
                        progress(done, total, f"frame {done}/{total} (learned)")
    checked = check_frames(FrameChecker(bank.keys, bank.style), [frames[n] for n in range(total)], kt,
                           [float(t) for t in times], gap_width(bank, {}, line_width))
    return InbetweenResult(frames=[frame for frame, _ in checked], mode="learned",
                           device=getattr(runner, "device", "cpu"), backend=getattr(runner, "backend", ""),
                           checks=[check for _, check in checked])
