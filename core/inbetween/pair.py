"""Inbetweening one pair of consecutive keys; flows are estimated once and reused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..image import ink as image_ink
from ..lines import measure_line_width
from . import align, fuse, hinge, hold, regions, rigid, warp
from . import flow as flowmod
from .device import resolve_device
from .represent import KeyStyle, analyse_keys, compose_lineart, flow_image, outline_map
from .settings import DEFAULT_INBETWEEN, InbetweenSettings, PartSettings
from .torch_backend import render_torch

__all__ = ["KeyBank", "PairInbetweener", "PartSettings", "gap_width", "working_scale"]


def working_scale(shape: tuple[int, ...], long_side: int) -> float:
    """The scale that brings an image of ``shape`` to about ``long_side`` px on its long side (never up)."""
    return min(1.0, long_side / max(shape[0], shape[1]))


@dataclass
class KeyBank:
    """Keys plus lazily computed, cached per-key and per-pair data shared by all pairs."""

    keys: list[np.ndarray]
    times: list[float]
    style: KeyStyle
    scale: float
    _reps: dict[int, np.ndarray] = field(default_factory=dict)
    _inks: dict[int, np.ndarray] = field(default_factory=dict)
    _widths: dict[int, float] = field(default_factory=dict)
    _flows: dict[tuple[int, int], flowmod.PairFlow] = field(default_factory=dict)
    _small_inks: dict[int, np.ndarray] = field(default_factory=dict)
    _nearest: dict[int, np.ndarray | None] = field(default_factory=dict)
    _regions: dict[int, regions.Regions] = field(default_factory=dict)
    _matches: dict[int, list[regions.Match]] = field(default_factory=dict)
    settings: InbetweenSettings = DEFAULT_INBETWEEN   # what every step below reads (settings.py)
    _alignments: dict[tuple[int, int], rigid.Similarity | None] = field(default_factory=dict)

    @classmethod
    def of(cls, keys: Sequence[np.ndarray], times: Sequence[float], style: KeyStyle | None = None,
           settings: InbetweenSettings = DEFAULT_INBETWEEN) -> KeyBank:
        """The bank of ``keys`` drawn at ``times``, at flow mode's working scale; the style read off the keys
        unless given."""
        keys = list(keys)
        return cls(keys=keys, times=[float(t) for t in times], style=analyse_keys(keys) if style is None else style,
                   scale=working_scale(keys[0].shape, settings.work_long_side), settings=settings)

    def rep(self, i: int) -> np.ndarray:
        if i not in self._reps:
            reach = self.settings.parts.field_reach * self.settings.work_long_side
            self._reps[i] = flow_image(self.keys[i], self.style, self.scale, reach)
        return self._reps[i]

    def ink(self, i: int) -> np.ndarray:
        """Ink for line art; dark outlines for cels."""
        if i not in self._inks:
            k = self.keys[i]
            self._inks[i] = self.style.ink(k) if self.style.lineart else outline_map(k, self.style.transparent)
        return self._inks[i]

    def line_width(self, i: int) -> float:
        """Key i's measured stroke width (cached: a key between two gaps is asked twice)."""
        if i not in self._widths:
            self._widths[i] = measure_line_width(self.ink(i))
        return self._widths[i]

    def pair(self, i: int, j: int) -> flowmod.PairFlow:
        """Flows between keys i and j (either order; cached once per unordered pair)."""
        if (i, j) in self._flows:
            return self._flows[(i, j)]
        if (j, i) in self._flows:
            p = self._flows[(j, i)]
            return flowmod.PairFlow(ab=p.ba, ba=p.ab, valid_a=p.valid_b, valid_b=p.valid_a)
        g, s = self.alignment(i, j), self.settings
        self._flows[(i, j)] = flowmod.pair_flow(self.rep(i), self.rep(j), s.flow) if g is None \
            else align.pair_flow(self.rep(i), self.rep(j), g, s.parts.field_reach * s.work_long_side, s.align, s.flow)
        return self._flows[(i, j)]

    def alignment(self, i: int, j: int) -> rigid.Similarity | None:
        """The whole drawing's similarity i → j (working pixels; align.py), None where flow needs no help."""
        if (j, i) in self._alignments:
            g = self._alignments[(j, i)]
            return None if g is None else g.inverse()
        if (i, j) not in self._alignments:
            found = None
            if self.settings.align.use:
                found = align.estimate(self.small_ink(i), self.small_ink(j), self.settings.rigid.stroke,
                                       self.settings.align)
            self._alignments[(i, j)] = found
        return self._alignments[(i, j)]

    def small_ink(self, k: int) -> np.ndarray:
        """Key k's ink at working resolution."""
        if k not in self._small_inks:
            rep = self.rep(k)
            self._small_inks[k] = cv2.resize(self.ink(k), (rep.shape[1], rep.shape[0]), interpolation=cv2.INTER_AREA)
        return self._small_inks[k]

    def nearest_drawing(self, k: int) -> np.ndarray | None:
        """For each working pixel of key k, the nearest pixel with drawing on it (lines or fills)."""
        if k not in self._nearest:
            rep = self.rep(k)
            small = cv2.resize(self.keys[k], (rep.shape[1], rep.shape[0]), interpolation=cv2.INTER_AREA)
            visible = image_ink(small)  # shrunk first: the full-size ink would cost more than the rest
            self._nearest[k] = flowmod.nearest_drawing(visible > self.settings.drawn_ink)
        return self._nearest[k]

    def small_rgb(self, k: int) -> np.ndarray:
        rep = self.rep(k)
        return cv2.resize(self.keys[k][..., :3], (rep.shape[1], rep.shape[0]), interpolation=cv2.INTER_AREA)

    def areas(self, k: int) -> regions.Regions:
        """Key k's closed areas: one object for both gaps that meet at key k, so an area index
        names the same part on either side of the key."""
        if k not in self._regions:
            self._regions[k] = regions.extract(self.small_ink(k), None if self.style.lineart else self.small_rgb(k),
                                               self.settings.regions)
        return self._regions[k]

    def area_matches(self, i: int) -> list[regions.Match]:
        """Areas of key i matched to key i + 1 (cached: the neighbouring gaps ask for them too)."""
        if i not in self._matches:
            self._matches[i] = regions.match_keys(self.areas(i), self.areas(i + 1), self.small_ink(i),
                                                  self.alignment(i, i + 1), self.settings.regions,
                                                  self.settings.rigid.scale_range)
        return self._matches[i]

    def tangents(self, i: int) -> list[rigid.Tangents]:
        """For each area matched across gap i, the same area's motion across gaps i − 1 and i + 1
        (found through the areas of keys i and i + 1 that both gaps share)."""
        t = self.times
        span = t[i + 1] - t[i]
        before = {m.j: m.transform for m in self.area_matches(i - 1)} if i > 0 else {}
        after = {m.i: m.transform for m in self.area_matches(i + 1)} if i + 2 < len(t) else {}
        ra = self.areas(i)
        out = []
        for m in self.area_matches(i):
            b, a = before.get(m.i), after.get(m.j)
            out.append(rigid.Tangents(
                None if b is None else rigid.Neighbour(b, (t[i] - t[i - 1]) / span),
                None if a is None else rigid.Neighbour(a, (t[i + 2] - t[i + 1]) / span),
                complex(ra.centroid[m.i])))
        return out


class PairInbetweener:
    """Renders any number of inbetweens between two consecutive keys.

    Construction is cheap; the first ``render`` estimates the flows and the
    rigid-part motions; later renders only warp and fuse.
    """

    def __init__(self, key_a: np.ndarray, key_b: np.ndarray, *, device: str = "auto",
                 line_width: float | None = None, _bank: KeyBank | None = None, _index: int = 0) -> None:
        if _bank is None:
            _bank = KeyBank.of([np.asarray(key_a, np.float32), np.asarray(key_b, np.float32)], [0.0, 1.0])
        self.bank = _bank
        self.i = _index
        self.device = resolve_device(device)
        self.style = _bank.style
        if line_width is None:
            line_width = _measured_width(_bank, _index)
        self.line_width = float(line_width)
        self._identical = bool(np.array_equal(_bank.keys[_index], _bank.keys[_index + 1]))
        self._prepared = False

    # -- flow-side preparation (once per pair) ---------------------------------------
    def _prepare(self) -> None:
        if self._prepared:
            return
        bank, i = self.bank, self.i
        p = bank.pair(i, i + 1)
        self.flow = p
        ink_small = [bank.small_ink(i), bank.small_ink(i + 1)]
        self.rigid = None
        settings = bank.settings
        parts = settings.parts
        if parts.rigid_parts and (self.style.lineart or parts.rigid_cels) and not self._identical:
            areas = None
            if parts.areas:
                matches = bank.area_matches(i)
                areas = regions.area_motions(bank.areas(i), bank.areas(i + 1), matches,
                                             self.line_width * bank.scale)
                if parts.neighbour_keys:
                    areas = [replace(m, tangents=tan) for m, tan in zip(areas, bank.tangents(i))]
            # Parts the flow lost (a limb swung far about its joint), found by a turn search.
            areas = (areas or []) + hinge.hinge_motions(
                ink_small[0], ink_small[1], settings.rigid.stroke, p.ab, p.ba, p.valid_a, p.valid_b,
                bank.alignment(i, i + 1), self.line_width * bank.scale, settings.hinge)
            self.rigid = rigid.pair_assignments(bank.rep(i), bank.rep(i + 1), ink_small[0], ink_small[1],
                                                p.ab, p.ba, p.valid_a, p.valid_b, areas, bank.alignment(i, i + 1),
                                                settings.rigid)
        if self.rigid is not None:
            p = flowmod.PairFlow(ab=p.ab, ba=p.ba, valid_a=self.rigid[0].valid, valid_b=self.rigid[1].valid)
            self.flow = p
        # Splat weights: strokes carry the motion that matters; paper a little.
        self.splat_w = [(0.05 + ink_small[0]) * (0.2 + 0.8 * p.valid_a),
                        (0.05 + ink_small[1]) * (0.2 + 0.8 * p.valid_b)]
        self._prepared = True

    def prepare(self) -> None:
        """Everything the gap's frames share (flows, rigid parts, nearest drawings): once it is done, flows
        at different t may be computed on several threads (the learned model's prior does)."""
        self._prepare()
        self.bank.nearest_drawing(self.i)
        self.bank.nearest_drawing(self.i + 1)

    def displacements(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Working-resolution displacement of a's and b's pixels to local time t."""
        self._prepare()
        if self.rigid is not None:
            # Rigid labels travel on arcs; b's pixels run the inverse motion for 1 − t.
            disp_a, disp_b = self.rigid[0].displacement(t), self.rigid[1].displacement(1.0 - t)
        else:
            disp_a, disp_b = self.flow.ab * np.float32(t), self.flow.ba * np.float32(1.0 - t)
        bank, i = self.bank, self.i
        return (flowmod.extend_from_drawing(disp_a, bank.nearest_drawing(i)),
                flowmod.extend_from_drawing(disp_b, bank.nearest_drawing(i + 1)))

    def working_backward_flows(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Flows from the frame at t into a and b at working resolution (in working pixels), plus each
        side's reliability: what the learned model starts from (learned/prepare.py)."""
        disp_a, disp_b = self.displacements(t)
        fill = 0.01 * max(disp_a.shape[:2])
        back_a = flowmod.reverse_flow(disp_a, self.splat_w[0], fill)
        back_b = flowmod.reverse_flow(disp_b, self.splat_w[1], fill)
        # Reliability of what each key contributes, seen from time t.
        valid_a = flowmod.warp_field(self.flow.valid_a, back_a)
        valid_b = flowmod.warp_field(self.flow.valid_b, back_b)
        return back_a, back_b, valid_a, valid_b

    def backward_flows(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Full-size flows from the frame at t into a and b, plus each side's reliability (stretches
        whose two warped copies disagree given wholly to the nearer key: hold.py)."""
        back_a, back_b, valid_a, valid_b = self.working_backward_flows(t)
        bank, i = self.bank, self.i
        if bank.settings.hold.use and self.style.lineart:
            valid_a, valid_b = hold.one_side(valid_a, valid_b, flowmod.warp_field(bank.small_ink(i), back_a),
                                             flowmod.warp_field(bank.small_ink(i + 1), back_b), t, bank.settings.hold)
        h, w = self.bank.keys[0].shape[:2]
        return (warp.upsample_flow(back_a, (w, h)), warp.upsample_flow(back_b, (w, h)),
                _resize(valid_a, (w, h)), _resize(valid_b, (w, h)))

    def render(self, t_local: float) -> np.ndarray:
        """The frame at fraction ``t_local`` in [0, 1] from key a to key b (RGBA float32)."""
        keys = self.bank.keys
        a, b = keys[self.i], keys[self.i + 1]
        if t_local <= 0.0 or self._identical:
            return a.copy()
        if t_local >= 1.0:
            return b.copy()
        fa, fb, va, vb = self.backward_flows(float(t_local))
        if self.device == "cpu":
            return _render_cpu(self, fa, fb, va, vb, float(t_local))
        return render_torch(self, fa, fb, va, vb, float(t_local))


def _render_cpu(pi: PairInbetweener, fa: np.ndarray, fb: np.ndarray, va: np.ndarray, vb: np.ndarray,
                t: float) -> np.ndarray:
    bank, i, style = pi.bank, pi.i, pi.style
    maps_a = warp.sampling_maps(fa)
    maps_b = warp.sampling_maps(fb)
    wa, wb = fuse.blend_weights(t, va, vb)
    ink_a = warp.remap(bank.ink(i), maps_a)
    ink_b = warp.remap(bank.ink(i + 1), maps_b)
    if style.lineart:
        ink = fuse.fuse_lineart(ink_a, ink_b, wa, wb, pi.line_width)
        return compose_lineart(ink, style, bank.keys[i].shape)
    # Pulled in from outside the key: nothing on a layer, the key's own edge on paper (not white: off-white
    # paper and painted edges would show a white band).
    paper = (0.0, 0.0, 0.0, 0.0) if style.transparent else None
    ra = warp.remap(bank.keys[i], maps_a, paper)
    rb = warp.remap(bank.keys[i + 1], maps_b, paper)
    outline = fuse.fuse_lineart(ink_a, ink_b, wa, wb, pi.line_width) if pi.line_width > 0 else None
    return fuse.fuse_cels(ra, rb, wa, wb, outline, style.ink_rgb, bank.settings.fuse)


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)


def _measured_width(bank: KeyBank, i: int) -> float:
    widths = [w for w in (bank.line_width(i), bank.line_width(i + 1)) if w > 0]
    return float(np.mean(widths)) if widths else 0.0


def gap_width(bank: KeyBank, pairs: dict[int, PairInbetweener], line_width: float | None) -> Callable[[int], float]:
    """The stroke width gap i's frames are checked at: the pair's own (``pairs`` is read as it grows), the
    given, else measured on the gap's keys."""
    def width(i: int) -> float:
        if i in pairs:
            return pairs[i].line_width
        if line_width is not None:
            return line_width
        widths = [w for w in (bank.line_width(i), bank.line_width(i + 1)) if w > 0]
        return float(np.mean(widths)) if widths else 1.0
    return width
