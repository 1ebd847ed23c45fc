"""Timing and spacing, with property tests over counts, strengths and key times."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nakawari.timing import EASE_NAMES, Ease, parse_ease, plan_count, plan_times

eases = st.builds(Ease, st.sampled_from(EASE_NAMES), st.floats(1.0, 6.0))
key_times = st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=6, unique=True).map(sorted).filter(
    lambda ts: all(b - a > 1e-3 for a, b in zip(ts, ts[1:])))


@given(eases, st.integers(1, 12))
def test_positions_are_increasing_and_inside_the_gap(ease: Ease, count: int) -> None:
    positions = ease.gap_positions(count)
    assert len(positions) == count
    assert all(0.0 < p < 1.0 for p in positions)
    assert all(a < b for a, b in zip(positions, positions[1:]))


@given(st.floats(1.0, 6.0), st.floats(0.0, 1.0))
def test_ease_in_and_out_mirror_each_other(strength: float, u: float) -> None:
    ease_in, ease_out = Ease("ease-in", strength), Ease("ease-out", strength)
    assert ease_in.curve(u) == pytest.approx(1.0 - ease_out.curve(1.0 - u), abs=1e-9)
    assert ease_in.curve(u) <= u + 1e-12 <= ease_out.curve(u) + 2e-12


@given(key_times, st.integers(1, 5), eases)
def test_plan_count_fills_every_gap_in_time_order(times: list[float], count: int, ease: Ease) -> None:
    slots = plan_count(times, count, ease)
    assert len(slots) == count * (len(times) - 1)
    assert [s.time for s in slots] == sorted(s.time for s in slots)
    for slot in slots:
        start, end = times[slot.gap], times[slot.gap + 1]
        assert start < slot.time < end and start < slot.position < end


def test_linear_is_even() -> None:
    assert [s.time for s in plan_count([0, 1, 2], 3)] == [0.25, 0.5, 0.75, 1.25, 1.5, 1.75]
    assert all(s.time == s.position for s in plan_count([0, 1], 4))


def test_timing_chart_halves() -> None:
    assert Ease("favour-first").gap_positions(3) == [0.125, 0.25, 0.5]
    assert Ease("favour-last").gap_positions(3) == [0.5, 0.75, 0.875]
    assert Ease("favour-both").gap_positions(5) == [0.125, 0.25, 0.5, 0.75, 0.875]
    assert Ease("favour-both").gap_positions(2) == [0.25, 0.75]


def test_ease_in_out_is_symmetric_and_crowds_the_keys() -> None:
    positions = Ease("ease-in-out", 3).gap_positions(5)
    assert positions[2] == pytest.approx(0.5)
    assert positions[0] < 1 / 6 and positions[-1] > 5 / 6


def test_explicit_times() -> None:
    slots = plan_times([0, 1, 2], [1.5, 0.25, 2.0])
    assert [(s.time, s.gap) for s in slots] == [(0.25, 0), (1.5, 1), (2.0, 1)]
    with pytest.raises(ValueError, match="outside the key range"):
        plan_times([0, 1], [1.5])


def test_parse_and_reject() -> None:
    assert parse_ease("ease-in:3") == Ease("ease-in", 3.0)
    assert parse_ease("favor-first").name == "favour-first"
    for bad in ("bounce", "ease-in:0.5", "ease-in:x"):
        with pytest.raises(ValueError):
            parse_ease(bad)
    with pytest.raises(ValueError, match="strictly increasing"):
        plan_count([0, 0], 1)
    with pytest.raises(ValueError, match="at least 1"):
        plan_count([0, 1], 0)
