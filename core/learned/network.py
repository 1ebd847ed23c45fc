"""The learned inbetweening network (torch; training, export and the torch backend import it).

Compact and time-conditioned: one pass gives the frame at any t in [0, 1]. It refines flow mode.

  rep0, rep1 (working size, prepare.py) ──► shared encoder, 4 levels (1/2 … 1/16)
  prior (flow mode's backward flows at t and both keys' reliabilities, prepare.FlowPrior) ──► base
  state: the two flows as they are, and the mask logit of flow mode's own blend weights
  (fuse.blend_weights), so an untrained network reproduces flow mode's frame.
  coarse-to-fine corrections: at 1/16 a block sees both keys' features warped by the base (pooled to
  that level), the estimate and t, and predicts a correction to the flows and the occlusion/fusion
  mask; each finer level warps by base + correction so far and refines the correction. The base keeps
  its full detail (per-part motions); only the correction is smooth.
  fuse(): flows and mask are upsampled to any image size (flows are in normalised coordinates, so
  upsampling needs no rescaling) and applied to that image pair — the working-size representations
  in training, the full-size keys at run time. The last channel is ink; it comes out as the line
  probability, and with both warped inks and the mask it feeds flow mode's fixed-width
  post-processor (which keeps a stroke seen by one key only whole instead of fading it).

Everything is plain tensor ops (the pixel grid is built with cumsum, not linspace on a shape), so
the whole graph, full-size warping included, exports to ONNX with dynamic sizes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..inbetween.fuse import RELIABILITY_FLOOR
from .prepare import REP_CHANNELS

# Feature widths of the encoder levels (1/2, 1/4, 1/8, 1/16 of the working size) and the flow
# blocks' width: about 0.9 M parameters (3.5 MB), trained on a GPU, still fast on a CPU at 480 px.
ENCODER_WIDTHS = (24, 32, 48, 64)
BLOCK_WIDTH = 64
# Outputs of a block: two flows (4), mask logit. (A line gate was tried as a sixth output: trained with
# an L1 loss it learned to erase lines, blank being cheaper than a misplaced stroke.)
BLOCK_OUT = 5


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.1))


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        widths = (REP_CHANNELS, *ENCODER_WIDTHS)
        self.levels = nn.ModuleList(nn.Sequential(_conv(a, b, 2), _conv(b, b)) for a, b in zip(widths, widths[1:]))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for level in self.levels:
            x = level(x)
            feats.append(x)
        return feats


class FlowBlock(nn.Module):
    """Residual flows and mask at one level, from both keys' (warped) features."""

    def __init__(self, features: int) -> None:
        super().__init__()
        cin = 2 * features + BLOCK_OUT + 1  # + current estimate + t
        # Dilated convolutions widen the reach at the coarse level, where limbs travel far.
        self.body = nn.Sequential(_conv(cin, BLOCK_WIDTH), _conv(BLOCK_WIDTH, BLOCK_WIDTH),
                                  nn.Conv2d(BLOCK_WIDTH, BLOCK_WIDTH, 3, 1, 2, dilation=2), nn.LeakyReLU(0.1),
                                  _conv(BLOCK_WIDTH, BLOCK_WIDTH))
        self.head = nn.Conv2d(BLOCK_WIDTH, BLOCK_OUT, 3, 1, 1)
        nn.init.zeros_(self.head.weight)  # start from the coarser estimate (or zero flow: a cross-fade)
        if self.head.bias is not None:  # always: Conv2d has a bias by default (typed Optional)
            nn.init.zeros_(self.head.bias)

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, state: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        tmap = torch.ones_like(f0[:, :1]) * t
        return state + self.head(self.body(torch.cat([f0, f1, state, tmap], 1)))


def pixel_grid(like: torch.Tensor) -> torch.Tensor:
    """(N, H, W, 2) normalised pixel-centre coordinates for grid_sample (align_corners=False)."""
    ones = torch.ones_like(like[:, 0])
    xs = (torch.cumsum(ones, 2) - 0.5) / ones.sum(2, keepdim=True) * 2.0 - 1.0
    ys = (torch.cumsum(ones, 1) - 0.5) / ones.sum(1, keepdim=True) * 2.0 - 1.0
    return torch.stack([xs, ys], 3)


def warp(img: torch.Tensor, flow: torch.Tensor, rows: slice | None = None) -> torch.Tensor:
    """Sample ``img`` at x + flow(x); ``flow`` (N, 2, H, W) in normalised units, same size as img, or
    only ``rows`` of it (a band of the output, sampling from the whole image)."""
    grid = pixel_grid(img) if rows is None else pixel_grid(img)[:, rows]
    grid = grid + flow.permute(0, 2, 3, 1)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


def base_state(prior: torch.Tensor) -> torch.Tensor:
    """Flow mode's estimate as a state: its flows, and the mask logit that with the time term in fuse()
    gives fuse.blend_weights (time weighting, scaled down where a key's motion is doubted)."""
    floor = RELIABILITY_FLOOR
    trust0 = floor + (1.0 - floor) * prior[:, 4:5]
    trust1 = floor + (1.0 - floor) * prior[:, 5:6]
    return torch.cat([prior[:, 0:4], torch.log(trust0 / trust1)], 1)


class InbetweenNet(nn.Module):
    """rep0, rep1 (N, REP_CHANNELS, h, w), prior (N, PRIOR_CHANNELS, h, w), t (N, 1) → state
    (N, BLOCK_OUT, h, w) at working size: two flows (normalised) and the mask logit."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.blocks = nn.ModuleList(FlowBlock(c) for c in ENCODER_WIDTHS)

    def forward(self, rep0: torch.Tensor, rep1: torch.Tensor, prior: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.reshape(-1, 1, 1, 1)
        feats0, feats1 = self.encoder(rep0), self.encoder(rep1)
        base = base_state(prior)
        correction = torch.zeros_like(F.avg_pool2d(base, 2 ** len(ENCODER_WIDTHS)))
        for level in range(len(self.blocks) - 1, -1, -1):
            f0, f1 = feats0[level], feats1[level]
            here = F.avg_pool2d(base, 2 ** (level + 1))  # sizes are multiples of 16: exact
            state = here + _up(correction, f0)
            # Features seen from time t through the current flows.
            f0, f1 = warp(f0, state[:, 0:2]), warp(f1, state[:, 2:4])
            correction = self.blocks[level](f0, f1, state, t) - here
        return base + _up(correction, rep0)


def fuse(state: torch.Tensor, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor,
         rows: slice | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(frame, warped img0, warped img1, mask) at t from an image pair (N, C, H, W) of any size
    (or only ``rows`` of the frame). The mask (key 0's weight) starts from time weighting (1 − t, t):
    the network learns where occlusion overrules it."""
    state = _up(state, img0)
    if rows is not None:
        state = state[:, :, rows]
    t = t.reshape(-1, 1, 1, 1)
    by_time = torch.log((1.0 - t + 1e-3) / (t + 1e-3))
    m = torch.sigmoid(state[:, 4:5] + by_time)
    w0, w1 = warp(img0, state[:, 0:2], rows), warp(img1, state[:, 2:4], rows)
    return m * w0 + (1.0 - m) * w1, w0, w1, m


class FullFrame(nn.Module):
    """The exported graph: working-size representations and full-size keys → full-size frames.
    Inputs rep0, rep1 (N, REP_CHANNELS, h, w), prior (N, PRIOR_CHANNELS, h, w),
    key0, key1 (N, prepare.KEY_CHANNELS, H, W), t (N, 1);
    output (N, OUT_CHANNELS, H, W): straight RGBA, line probability, each key's warped ink, mask."""

    def __init__(self, net: InbetweenNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, rep0: torch.Tensor, rep1: torch.Tensor, prior: torch.Tensor, key0: torch.Tensor,
                key1: torch.Tensor, t: torch.Tensor, band: int = 0) -> torch.Tensor:
        """``band`` > 0 (torch backend, 4K): the full-size stage in bands of that many rows. Every
        output pixel depends only on the (global, working-size) flows and the whole keys, so bands
        need no overlap and join without seams; they bound the memory of the warps."""
        state = self.net(rep0, rep1, prior, t)
        height = key0.shape[-2]
        parts = []
        for rows in ([None] if band <= 0 else [slice(y, min(y + band, height)) for y in range(0, height, band)]):
            frame, w0, w1, m = fuse(state, key0, key1, t, rows)
            parts.append(torch.cat([frame, w0[:, -1:], w1[:, -1:], m], 1))
        return parts[0] if len(parts) == 1 else torch.cat(parts, 2)


OUT_CHANNELS = 8

