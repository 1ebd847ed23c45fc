"""`nakawari train inbetween`: train the learned inbetweening network on synthetic data (torch).

Seeded end to end (torch and the sample generator), so a recipe repeats. Samples come from a pool
that is partly renewed every step: making a sample (rendering, flow mode's prior) costs more than a
training step, and renewing keeps the network from memorising a fixed set. With ``workers`` > 0
(GPU runs) other processes make samples while the GPU trains, and whatever they have finished joins
the pool at each step: faster, but no longer repeatable to the bit. Writes into --out:
  checkpoint.pt   model, optimiser and step (resumed from when present)
  log.jsonl       one line per logged step: training loss, validation loss, seconds
  recipe.json     the options the run was started with (copied into the model manifest on export)
"""

from __future__ import annotations

import json
import math
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..files import write_atomically
from .data import SAMPLES_PER_PAIR, Sample, batch, make_samples

# Loss weights per representation channel: distance field, colour (3), ink. The field gives the
# flows a gradient from far away; ink is what is scored.
CHANNEL_WEIGHTS = (2.0, 1.0, 1.0, 1.0, 2.0)
VALIDATION_SEED = 999_999  # a seed the training samples never use
FLOW_SMOOTHNESS = 0.02


@dataclass
class Recipe:
    steps: int = 2000
    batch_size: int = 8
    seed: int = 0
    long_side: int = 480                       # network working size (flow mode's working size)
    render_size: tuple[int, int] = (960, 540)  # synthetic frames are drawn at this size first
    lr: float = 2e-3
    pool: int = 64                             # samples held; `renew` key pairs' samples replaced per step
    renew: int = 1
    validation: int = 16                       # samples (SAMPLES_PER_PAIR per key pair)
    log_every: int = 25
    checkpoint_every: int = 100
    threads: int = 1
    device: str = "cpu"                        # "cuda" for full-scale runs on a GPU
    workers: int = 0                           # sample-making processes; 0: made in this one, repeatable
    seconds: float = 0.0                       # > 0: also stop after this long, the rate decaying over it


def loss_fn(torch, pred, truth, state):  # noqa: ANN001 - torch passed in: imported lazily
    weights = torch.tensor(CHANNEL_WEIGHTS, dtype=pred.dtype, device=pred.device).view(1, -1, 1, 1)
    charbonnier = torch.sqrt((pred - truth) ** 2 + 1e-6)
    data = (charbonnier * weights).mean() / (sum(CHANNEL_WEIGHTS) / len(CHANNEL_WEIGHTS))
    flows = state[:, :4]
    smooth = (flows[..., 1:, :] - flows[..., :-1, :]).abs().mean() + (flows[..., 1:] - flows[..., :-1]).abs().mean()
    return data + FLOW_SMOOTHNESS * smooth


def _tensors(torch, arrays, device="cpu"):  # noqa: ANN001
    return [a if isinstance(a, torch.Tensor) else torch.from_numpy(a).to(device) for a in arrays]


def _on(torch, samples: list[Sample], device: str) -> list[Sample]:  # noqa: ANN001
    """A GPU run keeps its pool on the GPU: batches are assembled there, not copied over every step."""
    if device == "cpu":
        return samples
    def moved(a: np.ndarray) -> Any:  # a torch.Tensor (torch is imported lazily)
        return torch.from_numpy(np.ascontiguousarray(a)).to(device)

    return [Sample(moved(s.rep0), moved(s.rep1), moved(s.rep_t), moved(s.prior), s.t) for s in samples]


def evaluate(torch, net, samples: list[Sample], device: str = "cpu") -> float:  # noqa: ANN001
    from .network import fuse  # imports torch (optional, the train extra), like every torch import here

    rng = np.random.default_rng(0)
    with torch.no_grad():
        r0, r1, pr, rt, t = _tensors(torch, batch(samples, rng), device)
        state = net(r0, r1, pr, t)
        return float(loss_fn(torch, fuse(state, r0, r1, t)[0], rt, state))


def _one_thread() -> None:
    """A sample-making process keeps to one core: the workers already fill the machine."""
    cv2.setNumThreads(1)


class _SampleFeed:
    """Key pairs' samples in order (``workers`` = 0) or from worker processes as they finish."""

    def __init__(self, recipe: Recipe, first_pair: int) -> None:
        width, height = recipe.render_size  # a tuple again: a recipe read from JSON holds a list
        self.args = ((width, height), recipe.long_side)
        self.seed, self.next_pair = recipe.seed, first_pair
        self.workers = None
        if recipe.workers > 0:
            # Forked before torch touches CUDA; the workers only render and run flow mode.
            self.workers = multiprocessing.get_context("fork").Pool(recipe.workers, initializer=_one_thread)
            self.pending: deque = deque(self._submit() for _ in range(3 * recipe.workers))

    def _submit(self):  # noqa: ANN202 - an AsyncResult
        job = self.workers.apply_async(make_samples, (self.seed, self.next_pair, *self.args))
        self.next_pair += 1
        return job

    def take(self, pairs: int, wait: bool) -> list[Sample]:
        """``pairs`` key pairs' samples (in-process), or every finished one (workers; at least one if
        ``wait``)."""
        if self.workers is None:
            made = [s for i in range(pairs) for s in make_samples(self.seed, self.next_pair + i, *self.args)]
            self.next_pair += pairs
            return made
        made = []
        while self.pending and (self.pending[0].ready() or (wait and not made)):
            made += self.pending.popleft().get()
            self.pending.append(self._submit())
        return made

    def close(self) -> None:
        if self.workers is not None:
            self.workers.terminate()


def train(out: Path, recipe: Recipe, say: Callable[[str], None] = print) -> dict:
    """Train (or resume) into ``out``; returns the last log record."""
    import torch

    from .network import InbetweenNet, fuse  # imports torch

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    out.mkdir(parents=True, exist_ok=True)
    step = 0
    ckpt = out / "checkpoint.pt"
    saved = torch.load(ckpt, weights_only=False, map_location="cpu") if ckpt.exists() else None
    if saved is not None:
        step = int(saved["step"])
    width, height = recipe.render_size
    render, side = (width, height), recipe.long_side
    feed = _SampleFeed(recipe, step * recipe.renew)  # key pairs continue where a resumed run stopped
    try:
        if recipe.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("training on cuda asked for, but torch sees no CUDA GPU")
        net = InbetweenNet().to(recipe.device)
        opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
        if saved is not None:
            net.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
            say(f"resumed from {ckpt} at step {step}")
        (out / "recipe.json").write_text(json.dumps(asdict(recipe), indent=1))
        valid_pairs = -(-recipe.validation // SAMPLES_PER_PAIR)
        valid = [s for i in range(valid_pairs)
                 for s in make_samples(VALIDATION_SEED, i, render, side)][:recipe.validation]
        rng = np.random.default_rng([recipe.seed, step])
        # In process the pool starts full; workers' first samples are enough to start on.
        start_with = recipe.pool if recipe.workers == 0 else min(recipe.pool, max(recipe.batch_size, recipe.pool // 8))
        pool: list[Sample] = []
        while len(pool) < start_with:
            pool += _on(torch, feed.take(1, wait=True), recipe.device)
        pool = pool[:recipe.pool]
        slot = 0
        record: dict = {}
        started, losses = time.perf_counter(), []
        while step < recipe.steps and not (recipe.seconds and time.perf_counter() - started >= recipe.seconds):
            for sample in _on(torch, feed.take(recipe.renew, wait=False), recipe.device):
                if len(pool) < recipe.pool:
                    pool.append(sample)
                else:
                    pool[slot] = sample
                    slot = (slot + 1) % recipe.pool
            picks = rng.choice(len(pool), size=min(recipe.batch_size, len(pool)), replace=False)
            r0, r1, pr, rt, t = _tensors(torch, batch([pool[i] for i in picks], rng), recipe.device)
            # Cosine decay to 5 % of the rate over the run (its steps, or its time when that runs out first).
            done = step / recipe.steps
            if recipe.seconds:
                done = max(done, (time.perf_counter() - started) / recipe.seconds)
            for group in opt.param_groups:
                group["lr"] = recipe.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(done, 1.0))))
            state = net(r0, r1, pr, t)
            loss = loss_fn(torch, fuse(state, r0, r1, t)[0], rt, state)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            step += 1
            losses.append(loss.item())
            out_of_time = bool(recipe.seconds) and time.perf_counter() - started >= recipe.seconds
            if step % recipe.log_every == 0 or step == recipe.steps or out_of_time:
                net.eval()
                record = {"step": step, "loss": float(np.mean(losses)),
                          "validation": evaluate(torch, net, valid, recipe.device),
                          "seconds": round(time.perf_counter() - started, 1), "pairs": feed.next_pair}
                net.train()
                losses = []
                with (out / "log.jsonl").open("a") as log:
                    log.write(json.dumps(record) + "\n")
                say(f"step {step}: loss {record['loss']:.4f}, validation {record['validation']:.4f}")
            if step % recipe.checkpoint_every == 0 or step == recipe.steps or out_of_time:
                state_now = {"model": {k: v.cpu() for k, v in net.state_dict().items()}, "optimizer": opt.state_dict(),
                             "step": step, "recipe": asdict(recipe)}
                write_atomically(ckpt, partial(torch.save, state_now))
    finally:
        feed.close()
    return record
