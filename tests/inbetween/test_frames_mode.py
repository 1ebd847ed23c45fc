"""Frames mode: inbetweens of finished colour frames (painted background, flat-coloured character, camera pans)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.baselines import crossfade
from nakawari.image import LUMA, write_image
from nakawari.inbetween import MODES, inbetween
from nakawari.inbetween.frames import FramesInbetweener, FramesSettings
from nakawari.inbetween.frames.motion import FlowsAt
from nakawari.inbetween.frames.timing import path_velocity, timing_offsets
from nakawari.jobs.inbetween import InbetweenJob, choose_mode, run_inbetween
from nakawari.synth.cels import cel_motion

W, H = 192, 128


def painted(width: int, height: int, seed: int, tint: tuple[float, float, float] = (0.45, 0.6, 0.5)) -> np.ndarray:
    """A painted background: a soft gradient with blotchy texture (RGB float32, 16-bit steps)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.dstack([tint[c] + 0.25 * (xx / width - 0.5) + 0.15 * (yy / height - 0.5) for c in range(3)])
    blotch = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 2.5)
    image = base + 1.5 * (blotch - blotch.mean())
    return np.round(np.clip(image, 0.0, 1.0) * 65535.0).astype(np.float32) / 65535.0


def with_character(rgb: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """A flat-coloured ellipse with a dark outline at (cx, cy), opaque RGBA."""
    out = rgb.copy()
    yy, xx = np.mgrid[0:rgb.shape[0], 0:rgb.shape[1]].astype(np.float32)
    r = np.sqrt(((xx - cx) / 16.0) ** 2 + ((yy - cy) / 22.0) ** 2)
    out[r <= 1.0] = (0.08, 0.06, 0.1)  # outline
    out[r <= 0.85] = (0.95, 0.55, 0.45)  # fill
    return np.dstack([out, np.ones(rgb.shape[:2], np.float32)])


def render_pan(wide: np.ndarray, offset: float, cx: float) -> np.ndarray:
    """The camera looks at ``wide`` from ``offset`` px (sub-pixel: resampled), a character at screen x ``cx``."""
    shift = np.float32([[1, 0, -offset], [0, 1, 0]])
    view = cv2.warpAffine(wide, shift, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return with_character(view, cx, 64)


def test_frames_is_a_mode_and_fills_checks():
    assert "frames" in MODES
    bg = painted(W, H, 1)
    keys = [with_character(bg, 50, 64), with_character(bg, 70, 64)]
    result = inbetween(keys, [0, 1], [0.0, 0.5, 1.0], mode="frames")
    assert result.mode == "frames" and len(result.checks) == 3 and len(result.frames) == 3
    assert np.array_equal(result.frames[0], keys[0]) and np.array_equal(result.frames[2], keys[1])
    assert result.frames[1].dtype == np.float32 and result.frames[1].shape == keys[0].shape


def test_moving_character_lands_between_and_held_background_is_copied():
    bg = painted(W, H, 2)
    k0, k1, truth = with_character(bg, 50, 64), with_character(bg, 66, 64), with_character(bg, 58, 64)
    # Drawn exactly at t (no timing hedge, no holds): the motion itself must put the character halfway.
    frame, check = FramesInbetweener(k0, k1, FramesSettings(timing_samples=0, hold_share=0.0)).render(0.5)
    fade = crossfade(k0, k1, 0.5)
    assert np.mean((frame - truth) ** 2) < 0.25 * np.mean((fade - truth) ** 2)
    # Far from the character nothing changed between the keys: copied exactly (16-bit steps kept, no resampling).
    assert np.array_equal(frame[:, 120:], k0[:, 120:])
    assert check.confidence > 0.6


def test_pan_has_no_holes_at_the_edges():
    wide = painted(W + 40, H, 3)
    k0, k1, truth = render_pan(wide, 0, 60), render_pan(wide, 8, 76), render_pan(wide, 4, 68)
    frame, _ = FramesInbetweener(k0, k1).render(0.5)
    err = np.abs(frame[..., :3] - truth[..., :3]).max(axis=2)
    border = np.zeros((H, W), bool)
    border[:, :6] = border[:, -6:] = border[:4, :] = border[-4:, :] = True
    # A hole would be black, white or smeared paper: the edges must match the panned picture closely.
    assert float(np.percentile(err[border], 99)) < 0.12
    lo = np.minimum(k0, k1)[..., :3].min() - 1e-6
    hi = np.maximum(k0, k1)[..., :3].max() + 1e-6
    assert frame[..., :3].min() >= lo and frame[..., :3].max() <= hi
    fade = crossfade(k0, k1, 0.5)
    assert np.mean((frame - truth) ** 2) < 0.5 * np.mean((fade - truth) ** 2)


def test_cut_holds_the_nearer_key_with_a_note():
    k0 = with_character(painted(W, H, 4, tint=(0.2, 0.3, 0.7)), 60, 64)
    k1 = with_character(painted(W, H, 5, tint=(0.8, 0.55, 0.2)), 130, 40)
    ib = FramesInbetweener(k0, k1)
    early, check = ib.render(0.25)
    late, _ = ib.render(0.75)
    assert check.fallback == "hold" and check.note and check.flagged
    assert np.array_equal(early, k0) and np.array_equal(late, k1)


def test_unmatchable_region_falls_back_to_the_keys():
    rng = np.random.default_rng(6)
    bg = painted(W, H, 6)
    k0, k1 = with_character(bg, 50, 64), with_character(bg, 62, 64)
    patch = (slice(30, 94), slice(110, 174))
    noise = rng.random((64 * 64, 3)).astype(np.float32)
    k0[patch][..., :3] = noise.reshape(64, 64, 3)
    k1[patch][..., :3] = noise[rng.permutation(64 * 64)].reshape(64, 64, 3)  # the same pixels, reshuffled
    frame, check = FramesInbetweener(k0, k1).render(0.5)
    fade = crossfade(k0, k1, 0.5)
    # No motion explains a reshuffle: the frame there is the cross-fade, not a warp of invented motion.
    inner = (slice(36, 88), slice(116, 168))
    assert np.mean(np.abs(frame[inner] - fade[inner])) < 0.02
    assert check.fallback == "parts" and check.regions
    x, y, w, h = check.regions[0]
    assert x < 174 and x + w > 110 and y < 94 and y + h > 30


def test_auto_picks_frames_for_painted_frames_and_flow_for_cels_on_paper():
    bg = painted(W, H, 7)
    frames = [with_character(bg, 50, 64), with_character(bg, 62, 64)]
    assert choose_mode("auto", frames, None)[0] == "frames"
    motion = cel_motion(3, 0)
    cels = [motion.render(0.0, (240, 135)), motion.render(1.0, (240, 135))]
    assert choose_mode("auto", cels, None)[0] != "frames"
    layer = [f.copy() for f in frames]
    layer[0][:10, :10, 3] = 0.0  # a transparent layer is a drawing, not a finished frame
    assert choose_mode("auto", layer, None)[0] != "frames"


def test_auto_picks_frames_for_greyscale_frames_too():
    # A black-and-white film: at 5 bits a channel a grey frame has 32 colours at most, so its tones count.
    frames = [with_character(painted(W, H, 9), x, 64) for x in (50, 62)]
    grey = [np.dstack([np.repeat(f[..., :3] @ LUMA, 3).reshape(f.shape[:2] + (3,)), f[..., 3:]]) for f in frames]
    assert choose_mode("auto", grey, None)[0] == "frames"


@pytest.mark.parametrize("t", [0.25, 0.75])
def test_frames_stay_within_the_keys_colours(t):
    bg = painted(W, H, 8)
    k0, k1 = with_character(bg, 40, 60), with_character(bg, 80, 70)
    frame, _ = FramesInbetweener(k0, k1).render(t)
    assert np.isfinite(frame).all()
    assert frame.min() >= 0.0 and frame.max() <= 1.0

    # No dark masses: the frame has no more near-black pixels than the darker key.
    def dark(image: np.ndarray) -> int:
        return int((image[..., :3].max(axis=2) < 0.15).sum())

    assert dark(frame) <= 1.2 * max(dark(k0), dark(k1)) + 10


def test_job_in_auto_mode_writes_frames_checks_and_keeps_16_bit(tmp_path):
    bg = painted(W, H, 9)
    cut_to = with_character(painted(W, H, 10, tint=(0.85, 0.5, 0.25)), 120, 40)
    paths = []
    for n, key in enumerate([with_character(bg, 50, 64), with_character(bg, 62, 64), cut_to]):
        paths.append(write_image(tmp_path / f"shot.{2 * n:04d}.png", key, bit_depth=16))
    manifest = run_inbetween(InbetweenJob(keys=[str(p) for p in paths], out=tmp_path / "out"))
    assert manifest["mode"] == "frames"
    made = {frame["file"]: frame for frame in manifest["frames"] if not frame["key"]}
    assert set(made) == {"shot.0001.png", "shot.0003.png"}
    assert made["shot.0001.png"]["fallback"] in ("", "parts") and not made["shot.0001.png"]["check"]
    assert made["shot.0003.png"]["fallback"] == "hold" and made["shot.0003.png"]["check"]
    assert "cut" in made["shot.0003.png"]["note"]
    written = cv2.imread(str(tmp_path / "out" / "shot.0001.png"), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint16


def test_flow_mode_named_on_finished_frames_says_what_it_did(tmp_path):
    bg = painted(W, H, 11)
    paths = [write_image(tmp_path / f"shot.{n:04d}.png", with_character(bg, 50 + 12 * n, 64)) for n in range(2)]
    flow = run_inbetween(InbetweenJob(keys=[str(p) for p in paths], out=tmp_path / "flow", mode="flow"))
    assert flow["mode"] == "flow" and "finished colour frames" in flow["warnings"][0]
    auto = run_inbetween(InbetweenJob(keys=[str(p) for p in paths], out=tmp_path / "auto"))
    assert auto["mode"] == "frames" and "warnings" not in auto


def test_timing_offsets_are_a_normalised_spread_inside_the_gap():
    settings = FramesSettings()
    middle = timing_offsets(0.5, settings)
    assert len(middle) == settings.timing_samples and abs(sum(w for _, w in middle) - 1.0) < 1e-6
    assert all(abs(d + e) < 1e-9 for (d, _), (e, _) in zip(middle, reversed(middle)))  # symmetric about t
    near_key = timing_offsets(0.05, settings)
    assert all(0.0 <= 0.05 + d <= 1.0 for d, _ in near_key)
    # Pinned at the keys: the spread shrinks towards them.
    assert max(abs(d) for d, _ in near_key) < max(abs(d) for d, _ in middle)
    assert timing_offsets(0.5, FramesSettings(timing_samples=0)) == [(0.0, 1.0)]


def test_timing_hedge_is_closer_on_average_over_likely_timings():
    """The animator's drawing lies somewhere around t: the hedged frame must be nearer to the drawings at
    the likely timings, on average, than the frame drawn exactly at t, and keep the still background exact."""
    bg = painted(W, H, 5)
    k0, k1 = with_character(bg, 50, 64), with_character(bg, 68, 64)
    exact, _ = FramesInbetweener(k0, k1, FramesSettings(timing_samples=0, hold_share=0.0)).render(0.5)
    hedged, _ = FramesInbetweener(k0, k1, FramesSettings(hold_share=0.0)).render(0.5)  # timings only, no holds
    truths = [with_character(bg, 50 + 18 * t, 64) for t in (0.3, 0.4, 0.5, 0.6, 0.7)]
    err_exact = np.mean([np.mean((exact - truth) ** 2) for truth in truths])
    err_hedged = np.mean([np.mean((hedged - truth) ** 2) for truth in truths])
    assert err_hedged < 0.85 * err_exact
    assert np.array_equal(hedged[:, 130:], k0[:, 130:])


def test_timing_blur_is_capped_for_fast_motion():
    """A fast move would be smeared across its whole path: the hedge reaches at most timing_blur_max_px."""
    settings = FramesSettings()
    h, w = 8, 8
    still = np.zeros((h, w, 2), np.float32)
    fast = np.zeros((h, w, 2), np.float32)
    fast[..., 0] = 200.0
    slow = np.zeros((h, w, 2), np.float32)
    slow[..., 1] = 4.0
    ones = np.ones((h, w), np.float32)
    offsets = timing_offsets(0.5, settings)
    reach = max(abs(d) for d, _ in offsets)
    for scale in (1.0, 0.5):
        v = path_velocity(FlowsAt(to0=still, to1=fast + slow, seen0=ones, seen1=ones), offsets, scale, settings)
        assert np.allclose(reach * np.hypot(v[..., 0], v[..., 1]), settings.timing_blur_max_px / scale, rtol=1e-4)
    v = path_velocity(FlowsAt(to0=still, to1=slow, seen0=ones, seen1=ones), offsets, 1.0, settings)
    assert np.allclose(v, slow)  # slow motion keeps its whole path


def test_hold_share_hedges_against_a_held_drawing():
    """Limited animation may hold either key's picture at t: with the hold share the frame is nearer to a held
    drawing and, under the prior's own mix of holds and timings, nearer on average; still pixels stay exact."""
    bg = painted(W, H, 12)
    k0, k1 = with_character(bg, 50, 64), with_character(bg, 68, 64)
    settings = FramesSettings()
    assert settings.hold_share > 0.0
    with_holds, _ = FramesInbetweener(k0, k1, settings).render(0.5)
    without, _ = FramesInbetweener(k0, k1, FramesSettings(hold_share=0.0)).render(0.5)

    def err(frame: np.ndarray, truths: list[np.ndarray]) -> float:
        return float(np.mean([np.mean((frame - truth) ** 2) for truth in truths]))

    held = [k0, k1]
    on_path = [with_character(bg, 50 + 18 * t, 64) for t in (0.3, 0.4, 0.5, 0.6, 0.7)]
    assert err(with_holds, held) < 0.9 * err(without, held)
    share = settings.hold_share
    mixed = [share * err(f, held) + (1.0 - share) * err(f, on_path) for f in (with_holds, without)]
    assert mixed[0] < mixed[1]
    assert np.array_equal(with_holds[:, 130:], k0[:, 130:])
