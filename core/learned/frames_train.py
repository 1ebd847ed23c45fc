"""Training the frames refinement (`inbetween.frames.refine`) on shots our own code makes, and exporting it.

Data: `synth.composite` shots (cel figures walking over painted plates; static, pan, zoom and rotating
cameras; held figures, walkers that stop; a grade, glows and JPEG over everything), 960x540, 13 frames each.
Key pairs four and eight frames apart give truths at a quarter, half and three quarters, timed as real
drawings are (the timing prior's spread, and held keys). Frames mode draws each pair's candidates exactly as
at run time (`fuse.draw`), shrunk to the network's size (`refine.net_inputs`). Shots from seed 7000 up; the
held-out check uses seed 902, never trained or tuned on. CPU-sized: about 20 k parameters, minutes on two
cores. Needs torch and onnx (the `train` extra).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..inbetween.frames import FramesInbetweener, FramesSettings
from ..inbetween.frames.fuse import draw
from ..inbetween.frames.motion import flows_at, work_scale
from ..inbetween.frames.refine import CANDIDATES, INPUT_CHANNELS, MANIFEST_NAME, net_inputs, net_size, shrink
from ..synth.composite import composite_shot
from .small_models import load_checkpoint, write_onnx

MODEL_NAME = "frames"
TRAIN_SEED = 7000
HELD_OUT_SEED = 902
SHOT_SIZE = (960, 540)
SHOT_FRAMES = 13
CAMERAS = ("static", "pan", "zoom", "rotate")
# Key pairs of a shot, four and eight frames apart; the truths lie at a quarter, half and three quarters.
PAIRS = ((0, 4), (4, 8), (8, 12), (2, 6), (0, 8), (4, 12))
WIDTH = 24         # channels of the hidden layers
DILATIONS = (1, 2, 4, 1)
START_LOGIT = 4.0  # the untrained network keeps frames mode's own frame (weight 0.95)


@dataclass(frozen=True)
class Recipe:
    shots: int = 40
    held_out_shots: int = 4
    hold_chance: float = 0.15  # truths that hold a key (frames mode's prior says 0.3: trained so, it lost more)
    steps: int = 2500
    batch: int = 12
    patch: int = 96
    lr: float = 2e-3
    threads: int = 2
    seed: int = 1


@dataclass(frozen=True)
class Sample:
    inputs: np.ndarray   # (INPUT_CHANNELS, h, w) float16, refine.net_inputs
    truth: np.ndarray    # (3, h, w) float16, the true frame shrunk alike


def build_network():  # -> torch.nn.Module (torch is an optional dependency)
    """Dilated 3x3 convolutions, then a softmax over the candidates (their mixing weights)."""
    from torch import nn

    layers: list = []
    width = INPUT_CHANNELS
    for dilation in DILATIONS:
        layers += [nn.Conv2d(width, WIDTH, 3, 1, dilation, dilation=dilation), nn.LeakyReLU(0.1)]
        width = WIDTH
    head = nn.Conv2d(width, len(CANDIDATES), 3, 1, 1)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    head.bias.data[CANDIDATES.index("frame")] = START_LOGIT
    return nn.Sequential(*layers, head, nn.Softmax(dim=1))


def truth_index(a: int, b: int, t: float, rng: np.random.Generator, hold_chance: float,
                settings: FramesSettings) -> int:
    """The frame that stands as the truth for time ``t`` between keys ``a`` and ``b``, timed the way real
    drawings are (`inbetween.frames.timing`): a held key with chance ``hold_chance`` (key 0 with chance 1 − t),
    else the frame nearest a timing drawn around t with frames mode's ``timing_spread``."""
    if rng.random() < hold_chance:
        return a if rng.random() >= t else b
    timing = t + rng.normal(0.0, 2.0 * settings.timing_spread * np.sqrt(t * (1.0 - t)))
    return int(np.clip(round(a + timing * (b - a)), a, b))


def shot_samples(seed: int, index: int, hold_chance: float = Recipe.hold_chance,
                 settings: FramesSettings | None = None) -> list[Sample]:
    """Truths of one synthetic shot, with the network's inputs as frames mode draws them."""
    settings = settings or FramesSettings()
    shot = composite_shot(seed, index, SHOT_SIZE, SHOT_FRAMES, CAMERAS[index % len(CAMERAS)],
                          held=index % 2 == 1, stops=index % 3 == 2)
    rng = np.random.default_rng([seed, index])
    samples = []
    for a, b in PAIRS:
        pair = FramesInbetweener(shot.frames[a], shot.frames[b], settings)
        if pair.cut.cut:
            continue
        scale = work_scale(pair.motion.full_size, settings)
        for t in (0.25, 0.5, 0.75):
            flows = flows_at(pair.motion, t, settings)
            drawn = draw(pair.key0, pair.key1, flows, t, scale, settings)
            size = net_size(pair.key0.shape)
            inputs = net_inputs(drawn.candidates, flows.seen0, flows.seen1, t, size)
            truth = shot.frames[truth_index(a, b, t, rng, hold_chance, settings)]
            truth = shrink(np.ascontiguousarray(truth[..., :3]), size).transpose(2, 0, 1)
            samples.append(Sample(inputs.astype(np.float16), truth.astype(np.float16)))
    return samples


def candidates_of(inputs):  # torch (N, INPUT_CHANNELS, h, w) -> (N, len(CANDIDATES), 3, h, w)
    """The candidates back from the network's inputs (the fade, and the others relative to it)."""
    import torch

    fade = inputs[:, :3]
    others = [fade + inputs[:, 3 * (k + 1):3 * (k + 2)] for k in range(len(CANDIDATES) - 1)]
    ordered = [others.pop(0) if name != "cross-fade" else fade for name in CANDIDATES]
    return torch.stack(ordered, 1)


def mixed(net, inputs):  # torch: the network's frame for a batch of inputs
    weights = net(inputs)
    return (weights[:, :, None] * candidates_of(inputs)).sum(1)


def _crops(samples: list[Sample], count: int, patch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for i in rng.integers(0, len(samples), count):
        sample = samples[i]
        h, w = sample.truth.shape[1:]
        y, x = int(rng.integers(0, max(1, h - patch + 1))), int(rng.integers(0, max(1, w - patch + 1)))
        xs.append(sample.inputs[:, y:y + patch, x:x + patch])
        ys.append(sample.truth[:, y:y + patch, x:x + patch])
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32)


def psnr_gain(net, samples: list[Sample]) -> dict[str, float]:
    """Mean PSNR (dB) of frames mode's own frame and of the network's mix over whole ``samples``."""
    import torch

    ours: list[float] = []
    base: list[float] = []
    with torch.no_grad():
        for sample in samples:
            inputs = torch.from_numpy(sample.inputs.astype(np.float32))[None]
            truth = torch.from_numpy(sample.truth.astype(np.float32))[None]
            frame = candidates_of(inputs)[:, CANDIDATES.index("frame")]
            for out, store in ((mixed(net, inputs), ours), (frame, base)):
                mse = float(((out.clamp(0, 1) - truth) ** 2).mean())
                store.append(10 * np.log10(1.0 / max(mse, 1e-10)))
    return {"frames mode dB": float(np.mean(base)), "refined dB": float(np.mean(ours)),
            "gain dB": float(np.mean(ours) - np.mean(base)), "truths": len(samples)}


def train(out: Path, recipe: Recipe = Recipe(), log=print) -> Path:
    """Train and write ``out``/frames.pt; returns its path."""
    import torch

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    started = time.time()
    samples = [s for i in range(recipe.shots) for s in shot_samples(TRAIN_SEED + i, i, recipe.hold_chance)]
    held_out = [s for i in range(recipe.held_out_shots)
                for s in shot_samples(HELD_OUT_SEED, i, recipe.hold_chance)]
    log(f"{len(samples)} training truths, {len(held_out)} held out, drawn in {time.time() - started:.0f} s")
    rng = np.random.default_rng(recipe.seed)
    net = build_network()
    optimiser = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, recipe.lr, total_steps=recipe.steps)
    running = 0.0
    for step in range(1, recipe.steps + 1):
        inputs, truth = (torch.from_numpy(a) for a in _crops(samples, recipe.batch, recipe.patch, rng))
        loss = torch.sqrt((mixed(net, inputs) - truth) ** 2 + 1e-6).mean()  # Charbonnier: L1, smooth at 0
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 250 == 0:
            log(f"step {step}: loss {running:.5f} ({time.time() - started:.0f} s)")
    held = psnr_gain(net.eval(), held_out)
    log(f"held-out shots (seed {HELD_OUT_SEED}): {held}")
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / f"{MODEL_NAME}.pt"
    torch.save({"model": net.state_dict(), "recipe": asdict(recipe), "loss": running, "held_out": held}, checkpoint)
    return checkpoint


def export(checkpoint: Path, out_dir: Path) -> Path:
    """The checkpoint → ``out_dir``/frames.onnx and frames.json (sha256, recipe, held-out check); returns the
    manifest's path. The manifest says ``wins: false`` until a bench on real frames records otherwise."""
    net, saved = load_checkpoint(checkpoint, build_network)
    onnx_file = write_onnx(net, INPUT_CHANNELS, out_dir / f"{MODEL_NAME}.onnx", "inputs", "weights")
    manifest = {
        "model": "nakawari frames refinement (nakawari.learned.frames_train.build_network)",
        "files": {"onnx": onnx_file},
        "candidates": list(CANDIDATES),
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "recipe": saved["recipe"],
        "final_loss": saved["loss"],
        "held_out": saved["held_out"],
        "data": f"synth.composite shots {SHOT_SIZE[0]}x{SHOT_SIZE[1]}, seeds from {TRAIN_SEED}",
        "wins": False,
    }
    path = out_dir / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def record_bench(manifest: Path, evidence: dict, wins: bool) -> None:
    """Write what a bench on real frames measured into the manifest, and whether frames mode's "auto" may use
    the model (the model file and its sha256 are unchanged)."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data.update(bench=evidence, wins=bool(wins))
    manifest.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":  # development: python -m nakawari.learned.frames_train OUT [steps]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else Recipe.steps
    target = Path(sys.argv[1])
    export(train(target, Recipe(steps=steps), log=lambda line: print(line, flush=True)), target)
