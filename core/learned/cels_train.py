"""Training the compact learned cel reader on data our own code generates, and exporting it to ONNX.

Data: `synth.composite` frames (our cel figures over scene backgrounds, graded, glowing, JPEG) and the
older `synth.celframes` frames (painted backgrounds, distractors, JPEG 75), rendered at 960x540 and turned
into `features.prepare` maps; pixels are sampled from them, half near the cels' edges. Seeds from 5000 up:
disjoint from the bench's held-out seeds (900, 901) and from the seeds tuned on (100-199). CPU-sized:
about 3 k parameters, minutes on two cores.
Needs torch and onnx (the `train` extra): imported here only, never by the runtime.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ..cels.features import CHANNELS, WORK_HEIGHT, prepare
from ..synth.celframes import cel_frame
from ..synth.composite import composite_frame
from .small_models import load_checkpoint, write_onnx

HIDDEN = (48, 32)   # per-pixel layers (1x1 convolutions) over the feature maps
TRAIN_SEED = 5000
MODEL_NAME = "cels"


@dataclass(frozen=True)
class Recipe:
    steps: int = 3000
    batch: int = 1024
    per_frame: int = 4000
    lr: float = 3e-3
    pool: int = 240          # frames generated up front
    old_share: float = 0.3   # share of the pool from the older painted-background suite
    threads: int = 2
    seed: int = 1


def build_network():  # -> torch.nn.Module (torch is an optional dependency)
    """A per-pixel network over the feature maps, as 1x1 convolutions (trained on sampled pixels)."""
    from torch import nn

    layers: list = []
    width = CHANNELS
    for hidden in HIDDEN:
        layers += [nn.Conv2d(width, hidden, 1), nn.ReLU()]
        width = hidden
    layers.append(nn.Conv2d(width, 1, 1))
    return nn.Sequential(*layers)


def make_pool(recipe: Recipe, count: int, offset: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features C x h x w, mask h x w) pairs at the working height, from 960x540 frames."""
    rng = np.random.default_rng([recipe.seed, offset])
    pool = []
    for i in range(count):
        seed = TRAIN_SEED + offset + i
        case = cel_frame(seed, i, (960, 540), degradation="jpeg75") if rng.random() < recipe.old_share \
            else composite_frame(seed, i, (960, 540))
        features = prepare(case.rgb)[0]
        size = (features.shape[2], features.shape[1])
        mask = cv2.resize(case.mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        pool.append((features, mask))
    return pool


def sample_pixels(pool: list, per_frame: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random pixels of every pool frame, half of them from near the cel's edge where the decisions are
    hard: (N x CHANNELS features, N truths)."""
    xs, ys = [], []
    for features, mask in pool:
        edge = (mask > 0.02) & (mask < 0.98)
        edge = cv2.dilate(edge.astype(np.uint8), np.ones((9, 9), np.uint8)).ravel() > 0
        flat_index = np.arange(mask.size)
        near = flat_index[edge]
        picks = rng.choice(mask.size, per_frame // 2 if near.size else per_frame)
        if near.size:
            picks = np.concatenate([picks, rng.choice(near, per_frame // 2)])
        xs.append(features.reshape(CHANNELS, -1)[:, picks].T)
        ys.append(mask.ravel()[picks])
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.float32)


def train(out: Path, recipe: Recipe = Recipe(), log=print) -> Path:
    """Train and write ``out``/cels.pt; returns its path."""
    import torch

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    started = time.time()
    pool = make_pool(recipe, recipe.pool)
    log(f"pool of {len(pool)} frames in {time.time() - started:.0f} s")
    rng = np.random.default_rng(recipe.seed)
    features, truth = sample_pixels(pool, recipe.per_frame, rng)
    log(f"{len(truth)} pixels, {100 * truth.mean():.0f}% cel")
    net = build_network()
    optimiser = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, recipe.lr, total_steps=recipe.steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    x_all, y_all = torch.from_numpy(features), torch.from_numpy(truth)
    running = 0.0
    for step in range(1, recipe.steps + 1):
        index = torch.from_numpy(rng.integers(0, len(truth), recipe.batch))
        logits = net(x_all[index][:, :, None, None])[:, 0, 0, 0]
        loss = loss_fn(logits, y_all[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 500 == 0:
            log(f"step {step}: loss {running:.4f} ({time.time() - started:.0f} s)")
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / f"{MODEL_NAME}.pt"
    torch.save({"model": net.state_dict(), "recipe": asdict(recipe), "loss": running}, checkpoint)
    return checkpoint


def export(checkpoint: Path, out_dir: Path) -> Path:
    """The checkpoint → ``out_dir``/cels.onnx and cels.json (sha256, recipe); returns the manifest path."""
    net, saved = load_checkpoint(checkpoint, build_network)
    onnx_file = write_onnx(net, CHANNELS, out_dir / f"{MODEL_NAME}.onnx", "features", "logits")
    manifest = {
        "model": "nakawari learned cel reader (nakawari.learned.cels_train.CelNet)",
        "files": {"onnx": onnx_file},
        "work_height": WORK_HEIGHT,
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "recipe": saved["recipe"],
        "final_loss": saved["loss"],
        "data": "synth.composite frames and synth.celframes frames (jpeg75), seeds from 5000",
    }
    path = out_dir / f"{MODEL_NAME}.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # development: python -m nakawari.learned.cels_train OUT [steps]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else Recipe.steps
    target = Path(sys.argv[1])
    export(train(target, Recipe(steps=steps), log=lambda line: print(line, flush=True)), target)
