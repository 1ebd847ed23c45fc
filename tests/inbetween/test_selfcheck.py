"""Do no harm: a line-art frame checks itself against its keys, erases dust, mends torn lines, or holds the
nearer key."""
from __future__ import annotations

import json

import cv2
import numpy as np

from nakawari.cli import main
from nakawari.frame_check import CHECK_BELOW, FrameCheck
from nakawari.image import write_image
from nakawari.inbetween.represent import analyse_keys
from nakawari.inbetween.selfcheck import FrameChecker, KeyInk, SelfCheckSettings, judge
from nakawari.synth.cels import cel_motion


def line_key(offset: int, size: tuple[int, int] = (160, 240)) -> np.ndarray:
    """A rectangle outline and a long stroke, black on white."""
    h, w = size
    key = np.ones((h, w, 4), np.float32)
    cv2.rectangle(key, (40 + offset, 40), (110 + offset, 110), (0, 0, 0, 1), 3)
    cv2.line(key, (20 + offset, 135), (200, 130), (0, 0, 0, 1), 3)
    return key


def ink(key: np.ndarray) -> np.ndarray:
    return analyse_keys([key]).ink(key)


def test_a_frame_like_its_keys_passes_untouched() -> None:
    a, b, mid = line_key(0), line_key(20), line_key(10)
    frame, check = FrameChecker([a, b], analyse_keys([a, b])).check(mid, 0, 0.5, 3.0)
    assert frame is mid
    assert check == FrameCheck(1.0, "", (), "")


def test_specks_no_key_has_are_erased_and_said() -> None:
    a, b, mid = line_key(0), line_key(20), line_key(10)
    dusty = mid.copy()
    for n in range(12):  # top right: paper in every key
        y, x = 6 + 10 * (n % 3), 130 + 25 * (n // 3)
        dusty[y:y + 2, x:x + 2, :3] = 0.0
    frame, check = FrameChecker([a, b], analyse_keys([a, b])).check(dusty, 0, 0.5, 3.0)
    assert np.array_equal(frame, mid)
    assert check.fallback == "parts" and "12 specks" in check.note and check.confidence < 1.0


def test_dust_everywhere_holds_the_nearer_key() -> None:
    a, b = line_key(0), line_key(20)
    dust = np.ones_like(a)
    rng = np.random.default_rng(1)
    ys, xs = rng.integers(40, 140, 400), rng.integers(30, 220, 400)
    for y, x in zip(ys, xs):
        dust[y:y + 3, x:x + 6, :3] = 0.0  # short dashes all over the figure: a shattered frame
    checker = FrameChecker([a, b], analyse_keys([a, b]))
    early, check_early = checker.check(dust, 0, 0.3, 3.0)
    late, check_late = checker.check(dust, 0, 0.7, 3.0)
    assert np.array_equal(early, a) and np.array_equal(late, b)
    assert check_early.fallback == "hold" and "first key" in check_early.note
    assert check_late.fallback == "hold" and "second key" in check_late.note
    assert check_early.flagged and check_early.confidence < CHECK_BELOW


def test_a_blank_frame_is_never_returned() -> None:
    a, b = line_key(0), line_key(20)
    blank = np.ones_like(a)
    frame, check = FrameChecker([a, b], analyse_keys([a, b])).check(blank, 0, 0.5, 3.0)
    assert np.array_equal(frame, a) and check.fallback == "hold" and "blank" in check.note


def test_cels_that_paint_over_the_still_background_hold_the_nearer_key() -> None:
    motion = cel_motion(3, 0, max_rotation=1.2)
    a, b, truth = (motion.render(t, (240, 135)) for t in (0.0, 1.0, 0.5))
    style = analyse_keys([a, b])
    assert not style.lineart
    checker = FrameChecker([a, b], style)
    kept, check = checker.check(truth, 0, 0.5, 3.0)
    assert check.fallback != "hold"  # a true inbetween, however far its parts travel, is never astray
    torn = truth.copy()
    torn[:60, :, :3] = 0.05  # a dark mass over paper that both keys keep bare
    held, check = checker.check(torn, 0, 0.4, 3.0)
    assert np.array_equal(held, a) and check.fallback == "hold" and check.confidence == 0.0
    assert "painted over what both keys agree on" in check.note and "first key" in check.note


def test_a_torn_line_is_mended() -> None:
    a, b, mid = ink(line_key(0)), ink(line_key(20)), ink(line_key(10))
    torn = mid.copy()
    for x in range(40, 190, 40):  # the long stroke torn into long dashes (a torn line, not dust)
        torn[120:145, x:x + 5] = 0.0
    settings = SelfCheckSettings()
    verdict = judge(torn, KeyInk.of(a, 3.0, settings), KeyInk.of(b, 3.0, settings), 0.5, 3.0, settings)
    assert not verdict.hold and verdict.ink is not None
    pieces = lambda m: cv2.connectedComponents((m > 0.5).astype(np.uint8))[0] - 1  # noqa: E731
    assert pieces(verdict.ink) < pieces(torn)
    assert "mended" in verdict.check.note


def test_manifest_reports_each_frames_check(tmp_path) -> None:
    for n, offset in enumerate((0, 20)):
        write_image(tmp_path / f"k.{n:04d}.png", line_key(offset))
    out = tmp_path / "out"
    assert main(["inbetween", str(tmp_path / "k.0000.png"), str(tmp_path / "k.0001.png"), "--out", str(out),
                 "--count", "2", "--mode", "flow", "--quiet"]) == 0
    frames = json.loads((out / "manifest.json").read_text())["frames"]
    made = [f for f in frames if not f["key"]]
    assert len(made) == 2
    for frame in made:
        assert 0.0 <= frame["confidence"] <= 1.0
        assert frame["fallback"] in ("", "parts", "hold", "cross-fade")
        assert isinstance(frame["fallback_regions"], list) and isinstance(frame["check"], bool)


def _crumbly(key: np.ndarray, seed: int) -> np.ndarray:
    """The key with pencil grain: a few hundred dots of ink over the drawing, a third of all its ink."""
    grainy = key.copy()
    rng = np.random.default_rng(seed)
    for y, x in zip(rng.integers(30, 150, 300), rng.integers(10, 230, 300)):
        grainy[y:y + 2, x:x + 2, :3] = 0.0
    return grainy


def test_only_a_key_drawn_in_parts_is_moved_piece_by_piece() -> None:
    """A failed frame takes the nearer key's pieces moved whole when the key is made of parts; a key drawn in
    crumbs (pencil grain) would scatter, one motion per crumb, so it is held instead."""
    blank = np.ones_like(line_key(0))
    drawn = [line_key(0), line_key(20)]
    grainy = [_crumbly(line_key(0), 2), _crumbly(line_key(20), 3)]
    for keys, fallback in ((drawn, "moved"), (grainy, "hold")):
        checker = FrameChecker(keys, analyse_keys(keys))
        frame, check = checker.check(blank, 0, 0.3, 3.0, moved=lambda keys=keys: ink(keys[0]))
        assert check.fallback == fallback
        if fallback == "hold":
            assert np.array_equal(frame, keys[0])
