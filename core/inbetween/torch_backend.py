"""Warping and fusion on torch (CUDA when available; torch's CPU for testing).

Mirrors the cv2/numpy path (warp.py, fuse.py) operation by operation: the
same backward flows, bilinear sampling (``grid_sample``), the same Gaussian
kernels (taken from cv2) with reflect-101 borders, the same partner test
(max-pooling = cv2.dilate with a square kernel). The skeleton redraw of line
art then runs on the CPU with ``nakawari.lines`` on the fused evidence (it is
an iterative, sparse operation that gains nothing on a GPU).

Agreement with the CPU path (tested on torch CPU): mean absolute difference
≤ 1/255 over the frame, and ≥ 99.5 % of pixel values within 0.05. Residual
differences are cv2's 1/32-pixel fixed-point remap versus exact bilinear,
which can move a skeleton pixel where the evidence sits right at 0.5.

torch is imported lazily: nakawari works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from . import fuse
from .fuse import blend_weights, blurred_stroke_peak, merge_sigma, redraw_lines
from .represent import compose_lineart

if TYPE_CHECKING:  # pragma: no cover
    from .pair import PairInbetweener

AGREEMENT_MEAN_ABS = 1.0 / 255.0
AGREEMENT_FRACTION_WITHIN_005 = 0.995


def _torch():
    import torch

    return torch


def _device(name: str):
    torch = _torch()
    return torch.device("cuda" if name == "cuda" else "cpu")


def _to(x: np.ndarray, dev):
    torch = _torch()
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
    if t.ndim == 2:
        return t[None, None]
    return t.permute(2, 0, 1)[None]


def _grid(flow, h: int, w: int):
    """Normalised sampling grid for x + flow(x) (align_corners=True: −1/+1 are pixel centres)."""
    torch = _torch()
    dev = flow.device
    ys = torch.arange(h, device=dev, dtype=torch.float32)
    xs = torch.arange(w, device=dev, dtype=torch.float32)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    sx = (gx + flow[0, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    sy = (gy + flow[0, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack([sx, sy], dim=-1)[None]


def warp(image, flow, fill: float | tuple[float, ...] | None = 0.0):
    """Bilinear backward warp of a 1xCxHxW tensor; outside the image → ``fill`` (like BORDER_CONSTANT), or
    the image's own edge where ``fill`` is None (like BORDER_REPLICATE)."""
    torch = _torch()
    f = torch.nn.functional
    _, c, h, w = image.shape
    grid = _grid(flow, h, w)
    if fill is None:
        return f.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)
    fills = torch.tensor(fill if isinstance(fill, tuple) else (fill,) * c, device=image.device,
                         dtype=torch.float32).view(1, c, 1, 1)
    # Warp (image − fill) with zero padding, then add fill back: constant border of any value.
    return f.grid_sample(image - fills, grid, mode="bilinear", padding_mode="zeros", align_corners=True) + fills


def gaussian_blur(x, sigma: float):
    """Separable Gaussian with cv2's kernel size and weights, reflect-101 borders."""
    torch = _torch()
    f = torch.nn.functional
    ksize = int(round(sigma * 8 + 1)) | 1  # cv2's choice for float images
    k = torch.from_numpy(cv2.getGaussianKernel(ksize, sigma).astype(np.float32).ravel()).to(x.device)
    r = ksize // 2
    _, _, h, w = x.shape
    if r >= h or r >= w:  # reflect padding needs a larger image: fall back to cv2
        out = cv2.GaussianBlur(x[0, 0].cpu().numpy(), (0, 0), sigma)
        return _to(out, x.device)
    x = f.pad(x, (r, r, 0, 0), mode="reflect")
    x = f.conv2d(x, k.view(1, 1, 1, ksize))
    x = f.pad(x, (0, 0, r, r), mode="reflect")
    return f.conv2d(x, k.view(1, 1, ksize, 1))


def dilate_square(x, size: int):
    torch = _torch()
    return torch.nn.functional.max_pool2d(x, kernel_size=size, stride=1, padding=size // 2)


def line_evidence(ink0, ink1, a, b, width: float):
    """torch twin of fuse.line_evidence."""
    torch = _torch()
    sigma = merge_sigma(width)
    peak = blurred_stroke_peak(width, sigma)
    soft0 = gaussian_blur(ink0, sigma) / peak
    soft1 = gaussian_blur(ink1, sigma) / peak
    blend = a * soft0 + b * soft1
    reach = int(2 * np.ceil(width + 2 * sigma) + 1)
    near0 = dilate_square(torch.clamp(soft0, max=1.0), reach)
    near1 = dilate_square(torch.clamp(soft1, max=1.0), reach)
    lone0 = soft0 * (1.0 - near1) * (a >= b).float()
    lone1 = soft1 * (1.0 - near0) * (b > a).float()
    return torch.maximum(blend, torch.maximum(lone0, lone1))


def render_torch(pi: PairInbetweener, fa: np.ndarray, fb: np.ndarray, va: np.ndarray, vb: np.ndarray,
                 t: float) -> np.ndarray:
    """Same contract as the CPU renderer in pair.py."""
    torch = _torch()
    dev = _device(pi.device)
    bank, i, style = pi.bank, pi.i, pi.style
    with torch.no_grad():
        flow_a = _to(fa, dev)
        flow_b = _to(fb, dev)
        wa, wb = blend_weights(t, _to(va, dev), _to(vb, dev))
        ink_a = warp(_to(bank.ink(i), dev), flow_a)
        ink_b = warp(_to(bank.ink(i + 1), dev), flow_b)
        outline = None
        if style.lineart or pi.line_width > 0:
            outline = _fused_lines(ink_a, ink_b, wa, wb, pi.line_width)
            if style.lineart:
                return compose_lineart(outline, style, bank.keys[i].shape)
        paper = (0.0, 0.0, 0.0, 0.0) if style.transparent else None  # as _render_cpu: the key's own edge
        ra = warp(_to(bank.keys[i], dev), flow_a, paper)
        rb = warp(_to(bank.keys[i + 1], dev), flow_b, paper)
        diff = (ra - rb).abs().amax(dim=1, keepdim=True)
        chosen = torch.where(wa >= wb, ra, rb)
        mean = ra * wa + rb * wb
        out = torch.where(diff < bank.settings.fuse.same_colour, mean, chosen)[0].permute(1, 2, 0).cpu().numpy()
    if outline is not None:
        out = fuse.overlay_outline(out, outline, style.ink_rgb)
    return np.ascontiguousarray(out, dtype=np.float32)


def _fused_lines(ink_a, ink_b, wa, wb, width: float) -> np.ndarray:
    """Evidence on torch inside the ink's bounding box, skeleton redraw on the CPU."""
    h, w = ink_a.shape[-2:]
    out = np.zeros((h, w), dtype=np.float32)
    present = (ink_a.maximum(ink_b) > 0.02)[0, 0]
    if not bool(present.any()):
        return out
    rows = present.any(dim=1).nonzero()
    cols = present.any(dim=0).nonzero()
    pad = int(3 * width + 8)
    y0, y1 = max(int(rows[0]) - pad, 0), min(int(rows[-1]) + 1 + pad, h)
    x0, x1 = max(int(cols[0]) - pad, 0), min(int(cols[-1]) + 1 + pad, w)
    sl = (slice(None), slice(None), slice(y0, y1), slice(x0, x1))
    ev = line_evidence(ink_a[sl], ink_b[sl], wa[sl], wb[sl], width)[0, 0].cpu().numpy()
    sources = [ink[sl][0, 0].cpu().numpy() for ink in (ink_a, ink_b)]
    out[y0:y1, x0:x1] = redraw_lines(ev, width, *sources)
    return out
