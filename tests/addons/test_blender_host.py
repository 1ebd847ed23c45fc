"""The Grease Pencil add-on inside REAL Blender: Debian's blender 3.4.1 and bpy 4.2 (legacy Grease Pencil),
bpy 4.5 LTS, 5.0 and 5.3 (GPv3) and Debian sid's blender 5.2.2 (GPv3, in a chroot). `.ci/run` installs them
all, so in CI these never skip; a runtime not installed here skips. Test ids name the exact version.

One Blender session per runtime (tests/hosts/blender/blender_scenario.py) draws the test scene — four
articulated figures, 148 strokes, keys on frames 1, 9 and 17 with strokes shuffled and drawn the other way
between keys (tests/hosts/blender/blender_scene.py) — with the add-on's own adapters, enables the add-on,
refuses bad requests, generates the 14 inbetweens as a click does (one undo step), saves, undoes, reloads,
and on GPv3 also runs Blender's own Interpolate Sequence on the same keys. The tests here judge what it wrote.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import engine_executable
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "hosts" / "blender"))
import blender_runtimes as runtimes
import blender_scene

from nakawari.bench.strokes import curve_error

SCRIPT = runtimes.HERE / "blender_scenario.py"
WINDOW_SCRIPT = runtimes.HERE / "blender_gui_scenario.py"
# Mean distance of a generated stroke from its true inbetween (960 × 540 frame; 1.30 measured).
MAX_MEAN_ERROR_PX = 2.0
MIN_CORRECT_PAIRS = 0.95     # strokes whose two keys' strokes are the same part of the figure
GENERATED = [*range(2, 9), *range(10, 17)]
KEYS = [1, 9, 17]


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("blender-scene") / "scene.json"
    path.write_text(json.dumps(blender_scene.build_scene()))
    data = json.loads(path.read_text())  # as Blender reads it: JSON keys are strings
    data["path"] = str(path)
    return data


_RUNS: dict[str, dict] = {}


def _run(runtime: str, scene: dict, folder: Path) -> dict:
    """One Blender session per runtime, shared by every test that judges it."""
    if runtime in _RUNS:
        return _RUNS[runtime]
    if runtimes.command(runtime) is None:
        pytest.skip(f"{runtime} is not installed (.ci/run installs it)")
    out, log = folder / "out.json", folder / "blender.log"
    done = runtimes.run_script(runtime, SCRIPT, [scene["path"], str(out), str(runtimes.ADDON_SOURCE),
                                                 runtimes.engine_for(runtime, engine_executable()), str(folder)],
                               folder, log)
    assert out.exists(), f"{runtime} wrote no results (exit {done.returncode}); log:\n{log.read_text()[-3000:]}"
    outcome = json.loads(out.read_text())
    assert "crash" not in outcome, outcome["crash"] + "\n" + log.read_text()[-3000:]
    assert done.returncode == 0, log.read_text()[-3000:]
    outcome["runtime"] = runtime
    _RUNS[runtime] = outcome
    return outcome


@pytest.fixture(params=runtimes.RUNTIMES)
def run(request, scene, tmp_path_factory) -> dict:
    return _run(request.param, scene, tmp_path_factory.mktemp(f"blender-{request.param}"))


@pytest.fixture(params=[runtime for runtime in runtimes.RUNTIMES if runtimes.model(runtime) == "GPv3"])
def gpv3_run(request, scene, tmp_path_factory) -> dict:
    return _run(request.param, scene, tmp_path_factory.mktemp(f"blender-{request.param}"))


def _position(frame: int) -> float:
    return (frame - 1) / 8 - (0 if frame < 9 else 1)   # how far the frame lies between its keys


def _error_px(points: list, truth: list, closed: bool) -> float:
    """Mean distance between two strokes in pixels of the synthetic frame (Blender x, z are pixels / 100)."""
    def plane(p: list) -> np.ndarray:
        return np.asarray(p)[:, [0, 2]] * blender_scene.SCALE
    return curve_error(plane(points), plane(truth), closed)


def _judge_ours(run: dict, scene: dict) -> dict:
    errors, correct, kept = [], 0, []
    for frame in GENERATED:
        truth = scene["truth"][str(frame)]
        u = _position(frame)
        for stroke in run["after"]["strokes"][str(frame)]:
            # The parts of the figure its source strokes were, from the vertex colour the add-on blends.
            came, goes = blender_scene.decode_colours(stroke["vertex_color"][0], u, scene["identities"])
            # Scored against the part it came from (as the strokes bench does); at u = 1/2 the colour does
            # not tell which came first, so a stroke between two parts counts at the larger error.
            parts = {came, goes} if u == 0.5 else {came}
            errors.append(max(_error_px(stroke["points"], truth[str(c)], scene["closed"][str(c)]) for c in parts))
            if came == goes:
                correct += 1
                kept.append((came, stroke))
    return {"errors": errors, "correct": correct, "kept": kept}


def test_the_addon_registers_in_each_blender(run):
    assert run["blender"].split()[0] == runtimes.version(run["runtime"])  # "5.2.2 LTS": the id's version
    assert run["model"] == run["model_expected"] == runtimes.model(run["runtime"])
    assert run["panel"], "no sidebar panel"
    assert run["menus"], "no entry in the Grease Pencil menus"
    assert run["steps"][-1] == "done", run["steps"]


def test_bad_requests_are_refused_with_one_line_and_change_nothing(run):
    gap, engine = run["refused_gap"], run["refused_engine"]
    assert "Frame 20 is not between two keys of layer 'Figure'" in gap["message"]
    assert "engine" in engine["message"] and "was not found" in engine["message"]
    for refusal in (gap, engine):
        assert refusal["before"] == refusal["after"] == KEYS
        assert len(refusal["message"].strip().splitlines()) == 1, refusal["message"]


def test_inbetweens_land_on_the_empty_frames_as_breakdowns(run):
    assert run["generate_result"] == ["FINISHED"]
    types = {int(k): v for k, v in run["after"]["types"].items()}
    assert sorted(types) == sorted(KEYS + GENERATED)
    assert {types[k] for k in KEYS} == {"KEYFRAME"}
    assert {types[f] for f in GENERATED} == {"BREAKDOWN"}
    assert all(len(run["after"]["strokes"][str(f)]) == scene_strokes(run) for f in GENERATED)


def scene_strokes(run: dict) -> int:
    return len(run["keys_before"]["strokes"]["1"])


def test_source_keys_are_untouched(run):
    for k in KEYS:
        assert run["after"]["strokes"][str(k)] == run["keys_before"]["strokes"][str(k)], f"key {k} changed"


def test_positions_follow_the_ground_truth_and_attributes_are_kept(run, scene, capsys):
    judged = _judge_ours(run, scene)
    errors, total = judged["errors"], len(judged["errors"])
    mean = statistics.fmean(errors)
    timing = run["timing"]
    with capsys.disabled():
        print(f"\n[{run['runtime']} {run['blender']}] nakawari: mean error {mean:.2f} px over {total} strokes "
              f"({judged['correct']}/{total} paired with the same part); typical scene (148 strokes, 3 keys, "
              f"14 inbetweens): {run['generate_s']:.2f} s (engine {timing['engine_s']:.2f} s, reading "
              f"{timing['read_s']:.2f} s, writing {timing['write_s']:.2f} s; engine start before it "
              f"{run['engine_start_s']:.2f} s)")
    assert total == 14 * scene_strokes(run)
    assert judged["correct"] >= MIN_CORRECT_PAIRS * total
    assert mean <= MAX_MEAN_ERROR_PX
    legacy = run["model"] == "legacy"
    for ident, stroke in judged["kept"]:
        n = len(stroke["points"])
        assert stroke["material"] == ident % len(blender_scene.MATERIALS)
        assert stroke["closed"] == scene["closed"][str(ident)]
        pressure = blender_scene.pressure_of(ident)
        if legacy:  # the key's thickness, and the pressure of every point
            line_width = scene["line_widths"][str(ident)]
            assert stroke["line_width"] == line_width
            assert np.allclose(np.asarray(stroke["width"]) / line_width, pressure, atol=2e-3)
        else:       # GPv3: the radius (width is radius × 2000)
            assert np.allclose(stroke["width"], scene["line_widths"][str(ident)] * pressure, rtol=2e-3)
        assert np.allclose(stroke["opacity"], blender_scene.opacity_of(ident), atol=2e-3)
        assert len(stroke["vertex_color"]) == n
        assert np.allclose(stroke["vertex_color"], blender_scene.identity_colour(ident), atol=1e-3)


def test_one_undo_removes_the_whole_generation(run):
    types = {int(k): v for k, v in run["after_undo"]["types"].items()}
    assert sorted(types) == KEYS
    assert run["after_undo"]["strokes"] == run["keys_before"]["strokes"]
    assert run["markers_after_undo"] == ["before generation"], "the undo took more than the generation"


def test_a_frame_the_artist_drew_is_kept_and_never_overwritten(run):
    """Gap around frame 3, all layers, on twos, eased: frames 3 and 7 are made, the artist's breakdown at 5
    stays, and a hidden layer is left alone."""
    second = run["second"]
    assert second["result"] == ["FINISHED"]
    assert {int(k): v for k, v in second["types"].items() if 2 <= int(k) <= 8} == {
        3: "BREAKDOWN", 5: "BREAKDOWN", 7: "BREAKDOWN"}
    assert sorted(second["types"]) == sorted(map(str, [*KEYS, 3, 5, 7]))  # the other gap was left alone
    (artist,) = second["strokes"]["5"]
    assert np.allclose(artist["points"], [[0, 0, 0], [1, 0, 1]]) and artist["material"] == 2
    assert len(second["strokes"]["3"]) == len(second["strokes"]["7"]) == scene_strokes(run)
    assert "already has a frame at 7" in second["overwrite"]
    assert second["hidden"] == [1, 9]
    assert run["after_second_undo"] == KEYS and run["layers_after_second_undo"] == ["Figure"]


def test_the_saved_blend_reloads_with_the_inbetweens(run):
    assert run["reloaded"] == run["after"]


def test_nakawari_beats_blenders_interpolate_sequence(gpv3_run, scene, capsys):
    """On GPv3 (bpy 4.5 and 5.0), where Blender's Interpolate Sequence runs headless (the legacy one needs a
    window)."""
    run = gpv3_run
    assert run["model"] == "GPv3"
    blender = run["interpolate_sequence"]
    types = {int(k): v for k, v in blender["types"].items()}
    assert {types[f] for f in GENERATED} == {"BREAKDOWN"}
    ids = scene["key_ids"]
    errors = []
    for frame in GENERATED:
        first = "1" if frame < 9 else "9"
        for i, stroke in enumerate(blender["strokes"][str(frame)]):  # it pairs strokes by their index
            ident = ids[first][i]
            errors.append(_error_px(stroke["points"], scene["truth"][str(frame)][str(ident)],
                                    scene["closed"][str(ident)]))
    ours = statistics.fmean(_judge_ours(run, scene)["errors"])
    theirs = statistics.fmean(errors)
    with capsys.disabled():
        print(f"\n[{run['runtime']} {run['blender']}] mean error vs ground truth: nakawari {ours:.2f} px, "
              f"Blender's Interpolate Sequence {theirs:.2f} px ({len(errors)} strokes, "
              f"{run['blender_interpolate_s']:.2f} s)")
    assert ours < theirs


@pytest.mark.parametrize("runtime", runtimes.WINDOWED)
def test_in_a_window_the_engine_works_modally_undoes_in_one_step_and_esc_cancels(runtime, scene, tmp_path):
    """Debian's Blender 3.4.1 (legacy) and 5.2.2 (GPv3) with a real window (Xvfb): the invoke → modal timer →
    apply path of an artist's click."""
    if not runtimes.window_available(runtime):
        pytest.skip(f"{runtime} or its xvfb-run is not installed (.ci/run installs both)")
    out, log = tmp_path / "window.json", tmp_path / "blender.log"
    done = runtimes.run_window_script(WINDOW_SCRIPT, [scene["path"], str(out), str(runtimes.ADDON_SOURCE),
                                                      runtimes.engine_for(runtime, engine_executable())],
                                      tmp_path, log, runtime=runtime)
    assert out.exists(), f"Blender wrote no results (exit {done.returncode}); log:\n{log.read_text()[-3000:]}"
    window = json.loads(out.read_text())
    assert "crash" not in window, window["crash"] + "\n" + log.read_text()[-3000:]
    assert window.get("done"), window
    assert window["blender"].split()[0] == runtimes.version(runtime)
    assert window["invoked"] == ["RUNNING_MODAL"]
    # A call that blocked would be over before the first tick (0 ticks); a loop the engine starves ticks once
    # however long the job. A free one ticks again within a second, though one step under Xvfb can take ~0.5 s
    # (a warm engine may finish a small job inside it).
    assert window["ticks_while_running"] >= (2 if window["modal_s"] > 1.0 else 1), (
        f"Blender's own timers stopped while the engine worked: {window['ticks_while_running']} ticks "
        f"in {window['modal_s']:.2f} s")
    assert window["after"] == sorted(KEYS + GENERATED)
    if runtime == runtimes.SYSTEM:
        # Blender 5.2.2's screenshot under Xvfb reads back black (its front buffer on Mesa's llvmpipe):
        # only Blender 3.4.1's is a picture.
        _keep_screenshot(window, runtime)
    assert window["after_undo"] == KEYS
    assert window["invoked_again"] == ["RUNNING_MODAL"] and window["running_before_esc"]
    assert not window["running_after_esc"] and window["after_esc"] == KEYS
    assert window["panel_popup"] == window["menu_popup"] == ["INTERFACE"]  # shown
    assert our_tracebacks(log.read_text()) == []  # nor in drawing the panel and the menu entries


def _keep_screenshot(window: dict, runtime: str) -> None:
    """The window after a generation, a real picture (1280 × 1024, not one colour); copied to
    $NAKAWARI_SCREENSHOTS/<runtime>.png when that folder is given (pictures for the documentation)."""
    assert window["screenshot"] == ["FINISHED"]
    picture = np.asarray(Image.open(window["screenshot_path"]).convert("RGB"))
    assert picture.shape[:2] == (1024, 1280) and picture.std() > 10
    folder = os.environ.get("NAKAWARI_SCREENSHOTS")
    if folder:
        shutil.copyfile(window["screenshot_path"], Path(folder) / f"{runtime}.png")


def our_tracebacks(log: str) -> list[str]:
    """The Python tracebacks in a Blender log that pass through the add-on (Debian sid's Blender 5.2.2 prints
    one of its own at every start: its extension add-on imports `cattrs`, which Debian does not package)."""
    found = []
    for chunk in log.split("Traceback (most recent call last):")[1:]:
        lines = chunk.splitlines()[1:]
        frames = [line for line in lines[:next((i for i, line in enumerate(lines) if not line.startswith(" ")),
                                               len(lines))]]
        if any("nakawari" in line for line in frames):
            found.append("\n".join(frames))
    return found


# --- Grease Pencil fills: do generated fill strokes keep their key fills' materials? -----------------------
FILL_SCRIPT = runtimes.HERE / "fill_scenario.py"
# slot: (name, colour, fill material); roles: (name, slot, closed shape); key 5 moves the figure
FILL_MATERIALS = (("Ink", (0.05, 0.05, 0.05, 1.0), False), ("Body", (0.35, 0.55, 0.9, 1.0), True),
                  ("Shadow", (0.2, 0.3, 0.6, 1.0), True), ("Skin", (0.98, 0.85, 0.72, 1.0), True))
FILL_ROLES = (("body outline", 0), ("body fill", 1), ("shadow fill", 2), ("head outline", 0), ("head fill", 3))
FILL_MOVE = (1.2, 0.3, np.radians(10.0))  # key 5: x, z shift and turn about the body's centre


def _fill_role_points(role: str, u: float) -> np.ndarray:
    """A role's points (x, z) with the figure moved by the fraction `u` of FILL_MOVE."""
    a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    if role.startswith("body"):
        points = np.stack([np.cos(a), 1.4 * np.sin(a)], axis=1)
    elif role.startswith("head"):
        points = np.stack([0.6 * np.cos(a), 2.0 + 0.6 * np.sin(a)], axis=1)
    else:  # the shadow: the body's right side, cut by a straight line
        arc = np.linspace(-np.pi / 3, np.pi / 3, 24)
        side = np.stack([np.cos(arc), 1.4 * np.sin(arc)], axis=1)
        cut = np.linspace(side[-1], side[0], 10)[1:-1]
        points = np.concatenate([side, cut])
    dx, dz, turn = (u * m for m in FILL_MOVE)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    return points @ rotation.T + (dx, dz)


def _fill_scene(path: Path) -> Path:
    keys: dict[int, list[dict]] = {}
    for frame, u in ((1, 0.0), (5, 1.0)):
        strokes = []
        for i, (role, slot) in enumerate(FILL_ROLES):
            xz = _fill_role_points(role, u)
            if frame == 5 and i % 2:  # drawn the other way on the second key
                xz = xz[::-1]
            strokes.append({"points": [[x, 0.0, z] for x, z in xz.tolist()], "width": 3.0 if slot == 0 else 1.0,
                            "closed": True, "material": slot,
                            "fill_color": [0.1 * i, 0.2, 0.3, 0.5 if slot else 0.0]})
        keys[frame] = strokes if frame == 1 else strokes[::-1]  # another drawing order on the second key
    path.write_text(json.dumps({"materials": [[n, list(c), f] for n, c, f in FILL_MATERIALS], "keys": keys}))
    return path


@pytest.mark.parametrize("runtime", runtimes.RUNTIMES)
def test_fill_strokes_of_generated_frames_keep_their_key_fills_materials(runtime, tmp_path):
    """Grease Pencil fills are closed strokes in fill materials; the stroke matching pairs them like lines
    (another material costs a match, core/strokes/match.py), so each generated fill keeps its key fill's
    material and fill colour, even where it lies on an outline of the same shape (the body's)."""
    if runtimes.command(runtime) is None:
        pytest.skip(f"{runtime} is not installed (.ci/run installs it)")
    out, log = tmp_path / "fills.json", tmp_path / "blender.log"
    done = runtimes.run_script(runtime, FILL_SCRIPT, [str(_fill_scene(tmp_path / "scene.json")), str(out),
                                                      str(runtimes.ADDON_SOURCE),
                                                      runtimes.engine_for(runtime, engine_executable())],
                               tmp_path, log)
    assert out.exists(), f"{runtime} wrote no results (exit {done.returncode}); log:\n{log.read_text()[-3000:]}"
    run = json.loads(out.read_text())
    assert "crash" not in run, run["crash"] + "\n" + log.read_text()[-3000:]
    assert run["result"] == ["FINISHED"]
    assert [(m["name"], m["show_fill"], not m["show_stroke"]) for m in run["materials"]] == \
        [(name, fill, fill) for name, _, fill in FILL_MATERIALS]  # the fill materials are as drawn
    assert {int(k): v for k, v in run["types"].items()} == {1: "KEYFRAME", 2: "BREAKDOWN", 3: "BREAKDOWN",
                                                           4: "BREAKDOWN", 5: "KEYFRAME"}
    for frame in (2, 3, 4):
        strokes = run["strokes"][str(frame)]
        assert len(strokes) == len(FILL_ROLES)
        for i, (role, slot) in enumerate(FILL_ROLES):
            truth = _fill_role_points(role, (frame - 1) / 4)
            # the stroke of this role's material closest to where the role lies at this frame
            errors = [(curve_error(np.asarray(s["points"])[:, [0, 2]], truth, True), s) for s in strokes
                      if s["material"] == slot]
            assert errors, (frame, role, "no stroke in this role's material")
            error, stroke = min(errors, key=lambda pair: pair[0])
            assert error < 0.05, (frame, role, error)  # 0.05 of a body 2 wide: in place, not another shape
            assert np.allclose(stroke["fill_color"], [0.1 * i, 0.2, 0.3, 0.5 if slot else 0.0], atol=1e-3)
        assert sorted(s["material"] for s in strokes) == sorted(slot for _, slot in FILL_ROLES)
