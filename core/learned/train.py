"""`nakawari train inbetween`: train the learned inbetweening network on synthetic data (torch).

Seeded end to end (torch and the sample generator), so a recipe repeats. Samples come from a pool
that is partly renewed every step: rendering costs about as much as a training step on a CPU, and
renewing keeps the network from memorising a fixed set. Writes into --out:
  checkpoint.pt   model, optimiser and step (resumed from when present)
  log.jsonl       one line per logged step: training loss, validation loss, seconds
  recipe.json     the options the run was started with (copied into the model manifest on export)
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..files import write_atomically
from .data import Sample, batch, make_sample

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
    long_side: int = 256                       # network working size
    render_size: tuple[int, int] = (960, 540)  # synthetic frames are drawn at this size first
    lr: float = 2e-3
    pool: int = 64                             # samples held; `renew` replaced per step
    renew: int = 2
    validation: int = 16
    log_every: int = 25
    checkpoint_every: int = 100
    threads: int = 1
    device: str = "cpu"                        # "cuda" for full-scale runs on a GPU


def loss_fn(torch, pred, truth, state):  # noqa: ANN001 - torch passed in: imported lazily
    weights = torch.tensor(CHANNEL_WEIGHTS, dtype=pred.dtype, device=pred.device).view(1, -1, 1, 1)
    charbonnier = torch.sqrt((pred - truth) ** 2 + 1e-6)
    data = (charbonnier * weights).mean() / (sum(CHANNEL_WEIGHTS) / len(CHANNEL_WEIGHTS))
    flows = state[:, :4]
    smooth = (flows[..., 1:, :] - flows[..., :-1, :]).abs().mean() + (flows[..., 1:] - flows[..., :-1]).abs().mean()
    return data + FLOW_SMOOTHNESS * smooth


def _tensors(torch, arrays, device="cpu"):  # noqa: ANN001
    return [torch.from_numpy(a).to(device) for a in arrays]


def evaluate(torch, net, samples: list[Sample], device: str = "cpu") -> float:  # noqa: ANN001
    from .network import fuse

    rng = np.random.default_rng(0)
    with torch.no_grad():
        r0, r1, pr, rt, t = _tensors(torch, batch(samples, rng), device)
        state = net(r0, r1, pr, t)
        return float(loss_fn(torch, fuse(state, r0, r1, t)[0], rt, state))


def train(out: Path, recipe: Recipe, say: Callable[[str], None] = print) -> dict:
    """Train (or resume) into ``out``; returns the last log record."""
    import torch

    from .network import InbetweenNet, fuse

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    out.mkdir(parents=True, exist_ok=True)
    if recipe.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("training on cuda asked for, but torch sees no CUDA GPU")
    net = InbetweenNet().to(recipe.device)
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    step = 0
    ckpt = out / "checkpoint.pt"
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False, map_location=recipe.device)
        net.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        step = int(saved["step"])
        say(f"resumed from {ckpt} at step {step}")
    (out / "recipe.json").write_text(json.dumps(asdict(recipe), indent=1))
    render, side = tuple(recipe.render_size), recipe.long_side
    valid = [make_sample(VALIDATION_SEED, i, render, side) for i in range(recipe.validation)]
    rng = np.random.default_rng([recipe.seed, step])
    counter = step * recipe.renew + recipe.pool  # sample indices continue where a resumed run stopped
    pool = [make_sample(recipe.seed, counter - recipe.pool + i, render, side) for i in range(recipe.pool)]
    record: dict = {}
    started, losses = time.perf_counter(), []
    while step < recipe.steps:
        for _ in range(recipe.renew):
            pool[counter % recipe.pool] = make_sample(recipe.seed, counter, render, side)
            counter += 1
        picks = rng.choice(len(pool), size=min(recipe.batch_size, len(pool)), replace=False)
        r0, r1, pr, rt, t = _tensors(torch, batch([pool[i] for i in picks], rng), recipe.device)
        # Cosine decay to 5 % of the rate over the run.
        for group in opt.param_groups:
            group["lr"] = recipe.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / recipe.steps)))
        state = net(r0, r1, pr, t)
        loss = loss_fn(torch, fuse(state, r0, r1, t)[0], rt, state)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % recipe.log_every == 0 or step == recipe.steps:
            net.eval()
            record = {"step": step, "loss": float(np.mean(losses)), "validation": evaluate(torch, net, valid, recipe.device),
                      "seconds": round(time.perf_counter() - started, 1)}
            net.train()
            losses = []
            with (out / "log.jsonl").open("a") as log:
                log.write(json.dumps(record) + "\n")
            say(f"step {step}: loss {record['loss']:.4f}, validation {record['validation']:.4f}")
        if step % recipe.checkpoint_every == 0 or step == recipe.steps:
            state_now = {"model": {k: v.cpu() for k, v in net.state_dict().items()}, "optimizer": opt.state_dict(),
                         "step": step, "recipe": asdict(recipe)}
            write_atomically(ckpt, lambda name: torch.save(state_now, name))
    return record
