"""The Blender add-on's plain-Python parts, without Blender: what to generate (`plan`), the engine calls on a
thread (the host kit's `engine_job`, with the real engine) and finding the host kit from the source tree
(`engine`)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import engine_executable

from nakawari import __version__

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "blender_addon"))
from nakawari_gp import (  # the package imports outside Blender: it registers nothing
    engine,
    engine_job,
    host_kit,
    plan,
)

KEYS = {1: "KEYFRAME", 9: "KEYFRAME", 17: "KEYFRAME"}


def _stroke(x: float, n: int = 4, **extra) -> dict:
    return {"points": [[x + i, 0.0, 0.5 * i] for i in range(n)], "width": [3.0] * n, "opacity": [1.0] * n,
            "closed": False, "material": 1, **extra}


def _slots(first: int, last: int, fill: str, count: int) -> tuple[int, ...]:
    return host_kit.gap_frames(first, last, plan.spacing(fill), count)


def test_spacing_gives_the_frames_of_each_gap():
    """The operator's Spacing choices through the host kit's planner (the one the Krita plugin uses too)."""
    assert _slots(1, 9, "ONES", 0) == (2, 3, 4, 5, 6, 7, 8)
    assert _slots(1, 9, "TWOS", 0) == (3, 5, 7)
    assert _slots(1, 9, "THREES", 0) == (4, 7)
    assert _slots(1, 9, "COUNT", 3) == (3, 5, 7)
    assert _slots(1, 3, "COUNT", 5) == (2,)  # more drawings than frames: each frame once
    with pytest.raises(plan.UserError, match="at least 1"):
        _slots(1, 9, "COUNT", 0)
    with pytest.raises(plan.UserError, match="Unknown spacing 'FOURS'; choose one of ONES, TWOS"):
        plan.spacing("FOURS")
    layer = plan.plan_layer("L", KEYS, plan.Options(fill="TWOS", arcs=False), 1, (1, 17))
    assert layer.frames == [3, 5, 7, 11, 13, 15]


def test_the_gap_around_the_current_frame_or_every_gap_in_range():
    options = plan.Options(scope="GAP", arcs=False)
    one = plan.plan_layer("L", KEYS, options, 12, (1, 17))
    assert (one.keys, [g.frames for g in one.gaps]) == ((9, 17), [tuple(range(10, 17))])
    with_arcs = plan.plan_layer("L", KEYS, plan.Options(scope="GAP"), 12, (1, 17))
    assert with_arcs.keys == (1, 9, 17)  # the neighbouring key shapes the arc
    every = plan.plan_layer("L", KEYS, plan.Options(), 1, (1, 17))
    assert every.frames == [*range(2, 9), *range(10, 17)]
    assert plan.plan_layer("L", KEYS, plan.Options(), 1, (1, 10)).frames == list(range(2, 9))


def test_existing_frames_are_never_planned_and_breakdowns_are_not_keys():
    frames = {**KEYS, 5: "BREAKDOWN", 6: "KEYFRAME"}
    layer = plan.plan_layer("L", frames, plan.Options(arcs=False), 1, (1, 17))
    assert layer.keys == (1, 6, 9, 17)
    assert layer.frames == [2, 3, 4, 7, 8, *range(10, 17)]  # 5 (a breakdown) and the keys stay as they are


@pytest.mark.parametrize(("frames", "options", "current", "message"), [
    ({1: "KEYFRAME"}, plan.Options(), 1, r"needs two keyframes to inbetween \(found one, at frame 1\)"),
    (KEYS, plan.Options(scope="GAP"), 20, "Frame 20 is not between two keys"),
    (KEYS, plan.Options(), 1, "No two keys of layer 'L' lie within the scene range 2–8"),
    ({1: "KEYFRAME", 2: "KEYFRAME"}, plan.Options(), 1, "has no empty frame to fill"),
])
def test_nothing_to_do_is_a_readable_error(frames, options, current, message):
    scene_range = (2, 8) if "range" in message else (1, 17)
    with pytest.raises(plan.UserError, match=message):
        plan.plan_layer("L", frames, options, current, scene_range)


def test_requests_send_the_engine_only_what_it_reads():
    layer = plan.plan_layer("L", KEYS, plan.Options(), 1, (1, 17))
    strokes = {k: [_stroke(k, line_width=4, vertex_color=[[1, 0, 0, 1]] * 4, fill_color=[1, 1, 1, 1])] for k in KEYS}
    (even,) = plan.requests(layer, strokes, plan.Options())
    assert even.params["times"] == [float(t) for t in layer.frames]
    assert [k["time"] for k in even.params["keys"]] == [1.0, 9.0, 17.0]
    assert set(even.params["keys"][0]["strokes"][0]) == set(plan.ENGINE_FIELDS)  # the line width stays home
    uneven = plan.plan_layer("L", {1: "KEYFRAME", 9: "KEYFRAME", 13: "KEYFRAME"}, plan.Options(fill="TWOS"), 1,
                             (1, 17))
    eased = plan.requests(uneven, {k: [_stroke(k)] for k in (1, 9, 13)}, plan.Options(fill="TWOS", ease="ease-in"))
    assert [(r.params["count"], r.params["ease"], [(g.first, g.last) for g in r.gaps]) for r in eased] == [
        (1, "ease-in", [(9, 13)]), (3, "ease-in", [(1, 9)])]


def test_engine_frames_go_to_their_slots_in_time_order():
    gap = plan.Gap(1, 9, (3, 5, 7), (3, 7))  # 5 holds the artist's drawing
    counted = plan.Request("L", {"count": 3, "ease": "ease-in"}, (gap,))
    response = {"frames": [{"time": t, "key": False, "strokes": []} for t in (7.0, 3.0, 5.0, 12.0)]}
    assert [(frame, made["time"]) for frame, made in plan.placements(counted, response)] == [(3, 3.0), (7, 7.0)]
    with pytest.raises(RuntimeError, match="returned 2 inbetweens for the 3 frames"):
        plan.placements(counted, {"frames": response["frames"][:2]})
    timed = plan.Request("L", {"times": [3.0, 7.0]}, (gap,))  # even spacing asks for the empty frames only
    response = {"frames": [{"time": t, "key": False, "strokes": []} for t in (3.0, 7.0)]}
    assert [(frame, made["time"]) for frame, made in plan.placements(timed, response)] == [(3, 3.0), (7, 7.0)]


def test_even_spacing_around_an_occupied_frame_asks_for_the_empty_ones(tmp_path):
    """The real engine, asked by `times`, answers for exactly the empty frames."""
    frames = {**KEYS, 5: "BREAKDOWN"}
    layer = plan.plan_layer("L", frames, plan.Options(scope="GAP", fill="TWOS"), 3, (1, 17))
    (request,) = plan.requests(layer, {k: [_stroke(k, 6)] for k in layer.keys}, plan.Options(fill="TWOS"))
    client = engine.EngineClient(engine_executable(), log_dir=tmp_path)
    try:
        response = client.call("strokes.inbetween", request.params, timeout=120)
    finally:
        client.close()
    assert [frame for frame, _ in plan.placements(request, response)] == [3, 7]


def test_the_engine_blends_the_colours_and_the_line_width_comes_back_from_the_source_stroke(tmp_path):
    """Vertex and fill colours travel to the real engine and come back blended between the keys, point by
    corresponding point (the second key's stroke is drawn the other way); the line width, which the engine
    does not carry, comes from the stroke the inbetween came from."""
    red_to_green = [[1.0 - i / 9, i / 9, 0.0, 1.0] for i in range(10)]
    blue = [[0.0, 0.0, 1.0, 1.0]] * 10
    first = {**_stroke(0.0, 10), "line_width": 5, "vertex_color": red_to_green, "fill_color": [1, 1, 1, 1]}
    second = {**_stroke(0.0, 10), "line_width": 7, "vertex_color": blue, "fill_color": [0, 0, 0, 1]}
    second["points"] = second["points"][::-1]
    keys = {1: [first], 9: [second]}
    layer = plan.plan_layer("L", {1: "KEYFRAME", 9: "KEYFRAME"}, plan.Options(scope="GAP", fill="TWOS"), 3, (1, 9))
    (request,) = plan.requests(layer, keys, plan.Options(fill="TWOS"))
    assert request.params["keys"][0]["strokes"][0]["vertex_color"] == red_to_green  # sent to the engine
    client = engine.EngineClient(engine_executable(), log_dir=tmp_path)
    try:
        response = client.call("strokes.inbetween", request.params, timeout=120)
    finally:
        client.close()
    placed = dict(plan.placements(request, response))
    (at_3,) = plan.host_strokes(placed[3], [1, 9], keys)  # a quarter of the way
    assert at_3["line_width"] == 5 and at_3["material"] == 1
    colours = np.asarray(at_3["vertex_color"])
    assert colours[0] == pytest.approx([0.75, 0.0, 0.25, 1.0], abs=1e-3)   # red start, a quarter to blue
    assert colours[-1] == pytest.approx([0.0, 0.75, 0.25, 1.0], abs=1e-3)  # green end, a quarter to blue
    assert at_3["fill_color"] == pytest.approx([0.75, 0.75, 0.75, 1.0], abs=1e-3)


def _layer_request() -> list[plan.Request]:
    strokes = {k: [_stroke(10.0 * s + k, 30) for s in range(60)] for k in KEYS}
    layer = plan.plan_layer("L", KEYS, plan.Options(), 1, (1, 17))
    return plan.requests(layer, strokes, plan.Options())


def test_the_job_runs_the_engine_on_a_thread(tmp_path):
    client = engine.EngineClient(engine_executable(), log_dir=tmp_path)
    try:
        state = engine_job.EngineJob(client, plan.engine_calls(_layer_request())).start().wait(120)
    finally:
        client.close()
    assert state.finished and state.error is None and not state.cancelled
    assert state.fraction == 1.0 and len(state.responses) == 1
    assert [f["time"] for f in state.responses[0]["frames"]] == [float(t) for t in [*range(2, 9), *range(10, 17)]]


def test_cancel_stops_the_engine_and_returns_nothing(tmp_path):
    client = engine.EngineClient(engine_executable(), log_dir=tmp_path)
    try:
        job = engine_job.EngineJob(client, plan.engine_calls(_layer_request() * 20)).start()
        deadline = time.monotonic() + 60
        while not job.state().responses and time.monotonic() < deadline:  # cancel once the engine is working
            time.sleep(0.05)
        job.cancel()
        state = job.wait(60)
    finally:
        client.close()
    assert state.finished and state.cancelled and state.error is None
    assert 0 < len(state.responses) < 20


def test_a_method_the_engine_lacks_is_an_error_that_asks_for_an_update(tmp_path):
    client = engine.EngineClient(engine_executable(), log_dir=tmp_path)
    try:
        calls = [engine_job.EngineCall("no.such.method", {}, "do the impossible"),
                 *plan.engine_calls(_layer_request())]
        state = engine_job.EngineJob(client, calls).start().wait(120)
    finally:
        client.close()
    assert state.finished and not state.responses and not state.cancelled
    assert state.error_line.startswith("This nakawari engine (")
    assert "cannot do the impossible; update it" in state.error


def test_no_engine_is_an_error_that_names_the_setting(tmp_path):
    client = engine.EngineClient(str(tmp_path / "no-engine"), log_dir=tmp_path)
    state = engine_job.EngineJob(client, plan.engine_calls(_layer_request())).start().wait(30)
    assert state.finished and not state.responses
    assert "engine set in the add-on setting was not found" in state.error


def test_the_source_tree_add_on_uses_the_engines_host_kit():
    core = Path(__file__).resolve().parents[2] / "core"
    for module in (engine.client, engine.installer, engine_job, host_kit):
        assert Path(module.__file__).resolve() == core / Path(module.__file__).name
    assert engine_job.EngineError is engine.client.EngineError  # one client: the kit's modules import each other


def test_an_engine_chosen_by_hand_wins_over_the_carried_one():
    carried = ["python", "-I", "-c", "…", "/site", "serve"]
    assert engine.chosen_command("", carried, {}) == carried
    assert engine.chosen_command("/my/nakawari", carried, {}) is None            # the add-on's setting
    assert engine.chosen_command("", carried, {"NAKAWARI_ENGINE": "/x"}) is None  # then the variable
    assert engine.chosen_command("", None, {}) is None                            # nothing carried: PATH


def test_the_carried_engine_is_served_by_the_hosts_own_python(tmp_path):
    """As the extension runs it: a Python (here this one, with its numpy) and the site-packages Blender
    extracted the wheels into (here a folder holding the engine package) answer the protocol."""
    site = tmp_path / "site-packages"
    site.mkdir()
    assert engine.bundled_command(sys.executable, site) is None  # no engine there: nothing carried
    (site / "nakawari").symlink_to(Path(__file__).resolve().parents[2] / "core")
    command = engine.bundled_command(sys.executable, site)
    assert command[:2] == [sys.executable, "-I"] and command[-2:] == [str(site), "serve"]
    client = engine.EngineClient(None, log_dir=tmp_path / "logs", command=command, environ={"PATH": ""})
    try:
        info = client.initialize()  # found without PATH or NAKAWARI_ENGINE: only the command
    finally:
        client.close()
    assert info["version"] == __version__
