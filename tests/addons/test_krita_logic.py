"""The Krita plugin's plain logic (planning, engine requests, settings, the engine task), without Krita."""
from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import engine_executable, key_pair, paint_layer_pose, paint_layers
from PIL import Image

from nakawari import client as engine_client
from nakawari import engine_install, engine_job, host_kit, server
from nakawari.synth.paintcase import fill_truth

PLUGIN = Path(__file__).resolve().parents[2] / "krita_plugin" / "nakawari"


def _load_plugin():
    """The plugin package under another name (the engine owns `nakawari` here), with the engine's host kit
    where `nakawari package` puts a copy of it."""
    name = "nakawari_krita_plugin"
    if name not in sys.modules:
        for module in (host_kit, engine_client, engine_job, engine_install):
            sys.modules[f"{name}.{module.__name__.rsplit('.', 1)[-1]}"] = module
        spec = importlib.util.spec_from_file_location(name, PLUGIN / "__init__.py",
                                                      submodule_search_locations=[str(PLUGIN)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)  # outside Krita it registers nothing
    return importlib.import_module(f"{name}.plan"), importlib.import_module(f"{name}.settings")


plan, settings_module = _load_plugin()


def test_keys_are_found_by_scanning_the_clip_range():
    keys = {0, 6, 12, 40}
    assert plan.find_keys(keys.__contains__, 0, 24) == [0, 6, 12]
    assert plan.find_keys(keys.__contains__, 5, 40) == [6, 12, 40]


@pytest.mark.parametrize("fill, count, frames", [
    ("every", 1, (1, 2, 3, 4, 5)),
    ("twos", 1, (2, 4)),
    ("threes", 1, (3,)),
    ("count", 2, (2, 4)),
    ("count", 9, (1, 2, 3, 4, 5)),  # more than fit: every frame once
])
def test_gap_frames(fill, count, frames):
    """The docker's Fill choices through the host kit's planner (the one the Blender add-on uses too)."""
    assert host_kit.gap_frames(0, 6, plan.spacing(fill), count) == frames
    assert plan.plan_generation([0, 6], fill, count).frames == list(frames)


def test_uneven_gaps_on_twos_and_by_count():
    assert plan.plan_generation([0, 7], "twos").frames == [2, 4, 6]
    assert plan.plan_generation([10, 17], "count", 2).frames == [12, 15]  # 12.33 and 14.67 on the nearest frames
    with pytest.raises(plan.UserError, match="at least 1"):
        plan.plan_generation([0, 6], "count", 0)


def test_plan_needs_two_keys_and_something_to_fill():
    with pytest.raises(plan.UserError, match="at least two keyframes.*found one, at frame 3"):
        plan.plan_generation([3], "every")
    with pytest.raises(plan.UserError, match="found none"):
        plan.plan_generation([], "every")
    with pytest.raises(plan.UserError, match="no empty frames"):
        plan.plan_generation([0, 1, 2], "every")
    with pytest.raises(plan.UserError, match="Unknown fill"):
        plan.plan_generation([0, 6], "sometimes")


def test_even_spacing_asks_for_the_exact_frames():
    made = plan.plan_generation([0, 6, 12], "every")
    request = plan.inbetween_request(made, ["a.png", "b.png", "c.png"], "/out", "linear", "auto")
    assert request["times"] == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert request["key_times"] == [0, 6, 12] and request["mode"] == "auto" and "ease" not in request


def test_an_ease_uses_the_count_and_needs_equal_gaps():
    made = plan.plan_generation([0, 6, 12], "twos")
    assert plan.timing_params(made, "ease-in") == {"count": 2, "ease": "ease-in"}
    uneven = plan.plan_generation([0, 6, 9], "every")
    with pytest.raises(plan.UserError, match="same number of inbetweens in every gap.*0→6: 5, 6→9: 2"):
        plan.timing_params(uneven, "ease-out")


def test_placements_map_engine_frames_in_time_order():
    made = plan.plan_generation([0, 7], "twos")  # frames 2, 4, 6
    manifest = {"frames": [{"file": "k0.png", "time": 0, "key": True}, {"file": "c.png", "time": 5.25, "key": False},
                           {"file": "a.png", "time": 1.75, "key": False}, {"file": "b.png", "time": 3.5, "key": False},
                           {"file": "k1.png", "time": 7, "key": True}]}
    assert plan.placements(made, manifest, "/out") == [(2, Path("/out/a.png")), (4, Path("/out/b.png")),
                                                      (6, Path("/out/c.png"))]
    with pytest.raises(RuntimeError, match="2 inbetweens for 3 frames"):
        plan.placements(made, {"frames": manifest["frames"][:3]}, "/out")


def test_unique_layer_names_and_description():
    assert plan.unique_name("ink inbetweens", {"ink", "ink inbetweens", "ink inbetweens 2"}) == "ink inbetweens 3"
    assert plan.describe(plan.plan_generation([0, 12], "twos"), 24.0) == \
        "5 inbetweens between 2 keys (frames 0–12, 0.50 s at 24 fps)"


def test_settings_round_trip_and_bad_values_fall_back():
    store: dict[tuple[str, str], str] = {}
    read = lambda group, key, default: store.get((group, key), default)  # noqa: E731
    write = lambda group, key, value: store.__setitem__((group, key), value)  # noqa: E731
    assert settings_module.Settings.load(read) == settings_module.Settings()
    chosen = settings_module.Settings(engine="/opt/nakawari", fill="twos", count=4, ease="ease-in", mode="flow",
                                      target="empty_frames", line_width=2.5)
    chosen.save(write)
    assert settings_module.Settings.load(read) == chosen
    store.update({("nakawari", "fill"): "sometimes", ("nakawari", "count"): "many", ("nakawari", "line_width"): "900"})
    loaded = settings_module.Settings.load(read)
    assert (loaded.fill, loaded.count, loaded.line_width) == ("every", 3, 50.0)


def test_the_engine_job_reports_progress_and_result_from_its_thread(tmp_path):
    """The plugin's request through the host kit's EngineJob, as the controller runs it."""
    with engine_client.EngineClient(engine_executable(), log_dir=tmp_path / "logs") as client:
        made = plan.plan_generation([0, 6], "every")
        params = plan.inbetween_request(made, key_pair(tmp_path / "keys"), str(tmp_path / "out"), "linear", "flow")
        running = engine_job.EngineJob(client, [engine_job.EngineCall("inbetween", params, "inbetween")]).start()
        state = running.wait(120)
        assert state.finished and state.error is None and not state.cancelled
        (manifest,) = state.responses
        assert [frame for frame, _ in plan.placements(made, manifest, tmp_path / "out")] == [1, 2, 3, 4, 5]
        assert state.done == state.total > 0 and state.fraction == 1.0
        assert state.info is not None and "inbetween" in state.info["capabilities"]


def test_the_engine_job_turns_failures_into_states(tmp_path):
    client = engine_client.EngineClient(str(tmp_path / "no-engine-here"), log_dir=tmp_path)
    state = engine_job.EngineJob(client, [engine_job.EngineCall("inbetween", {})]).start().wait(30)
    assert state.finished and "not found" in state.error and not state.responses


engine_setup = importlib.import_module("nakawari_krita_plugin.engine_setup")


def _record(root: Path, version: str) -> Path:
    folder = root / "engines" / "e1"
    program = engine_install.venv_program(folder, "nakawari")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    (folder / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    (folder / engine_install.MARKER).write_text(f'{{"version": "{version}"}}')
    (root / "active").write_text("e1")
    return program


def test_engine_choice_setting_then_environment_then_installed_then_path(tmp_path):
    assert engine_setup.choose_engine("", tmp_path, {}).origin == "path"
    program = _record(tmp_path, "0.1.0")
    assert engine_setup.choose_engine("", tmp_path, {}) == engine_setup.EngineChoice(str(program), "installed")
    assert engine_setup.choose_engine("", tmp_path, {"NAKAWARI_ENGINE": "/x"}).origin == "environment"
    assert engine_setup.choose_engine(" /my/nakawari ", tmp_path, {"NAKAWARI_ENGINE": "/x"}) == \
        engine_setup.EngineChoice("/my/nakawari", "setting")


def test_install_offer_follows_what_is_installed(tmp_path):
    wheel = tmp_path / "nakawari-0.2.0-py3-none-any.whl"
    root = tmp_path / "engine"
    assert engine_setup.install_offer(root, wheel).button == "Install engine"
    _record(root, "0.1.0")
    offer = engine_setup.install_offer(root, wheel)
    assert (offer.state, offer.button) == ("update needed", "Update engine") and "0.2.0" in offer.message
    assert engine_setup.install_offer(root, None).button == ""  # a checkout copy carries no wheel


def test_connected_engine_versions_and_a_path_that_is_not_nakawari(tmp_path):
    wheel = tmp_path / "nakawari-0.2.0-py3-none-any.whl"
    assert "older than this plugin (0.2.0)" in engine_setup.version_problem("0.1.0", wheel)
    assert "newer than this plugin" in engine_setup.version_problem("0.3.1", wheel)
    assert engine_setup.version_problem("0.2.0", wheel) == ""
    message = engine_setup.not_nakawari("/bin/true", "The engine stopped (exit status 0). Details\nmore")
    assert "(/bin/true) is not the nakawari engine: it ended (exit status 0) without answering." in message


def test_gpu_setting_reads_back_as_a_boolean():
    stored = {"gpu": "False", "python": "/usr/bin/python3.12"}
    loaded = settings_module.Settings.load(lambda group, key, default: stored.get(key, default))
    assert loaded.gpu is False and loaded.python == "/usr/bin/python3.12"
    stored["gpu"] = "True"
    assert settings_module.Settings.load(lambda group, key, default: stored.get(key, default)).gpu is True


paint_plan = importlib.import_module("nakawari_krita_plugin.paint_plan")


def test_colour_layer_is_the_choice_else_a_neighbour_named_like_colour_else_asked():
    layers = ["colour", "ink", "paint 2", "sketch"]
    assert paint_plan.choose_colour_layer("ink", "sketch", "colour", "paint 2", layers) == "paint 2"
    assert paint_plan.choose_colour_layer("ink", "sketch", "colour", "", layers) == "colour"
    assert paint_plan.choose_colour_layer("ink", "Colour", "paint", "", ["Colour", "ink", "paint"]) == "Colour"
    assert paint_plan.choose_colour_layer("ink", "gone", "colour", "gone", layers) == "colour"  # deleted choice
    with pytest.raises(plan.UserError, match=r"Which layer holds the painted keys\?.*'sketch'"):
        paint_plan.choose_colour_layer("ink", "sketch", None, "", ["ink", "sketch"])
    with pytest.raises(plan.UserError, match="Which layer"):  # never the line layer itself
        paint_plan.choose_colour_layer("ink colour", None, None, "ink colour", ["ink colour"])


def test_paint_plan_writes_only_drawings_without_a_colour_key():
    made = paint_plan.plan_paint([0, 2, 4, 6], [0, 5], "ink", "colour")
    # the key at 5 paints the drawing shown there (4); 2 and 6 get fills, 4 is painted, 0 and 5 are keys
    assert made.painted == {0: 0, 4: 5} and made.targets == (2, 6) and made.lines == (0, 2, 4, 6)
    with pytest.raises(plan.UserError, match="Paint at least one frame.*no keyframes"):
        paint_plan.plan_paint([0, 1], [], "ink", "colour")
    # a drawing held under two colour keys takes the first; the second is a key, so never written
    assert paint_plan.plan_paint([0, 4, 8], [0, 1], "ink", "colour").painted == {0: 0}
    # an empty colour key paints nothing and is not written over either; the status names it
    held = paint_plan.plan_paint([0, 2, 4], [0, 2], "ink", "colour", empty={2})
    assert held.painted == {0: 0} and held.targets == (4,) and held.left_empty == (2,)
    assert paint_plan.empty_note(held, "colour") == \
        "Frame 2 of 'colour' holds an empty key, left alone (delete it to have it painted)."
    with pytest.raises(plan.UserError, match="its keys are empty"):
        paint_plan.plan_paint([0, 2], [0], "ink", "colour", empty={0})
    with pytest.raises(plan.UserError, match=r"Empty keys at frames 2: delete them"):
        paint_plan.plan_paint([0, 2], [0, 2], "ink", "colour", empty={2})
    with pytest.raises(plan.UserError, match="already has a key on 'colour'"):
        paint_plan.plan_paint([0, 1], [0, 1], "ink", "colour")
    with pytest.raises(plan.UserError, match="no keyframes in the animation's clip range"):
        paint_plan.plan_paint([], [0], "ink", "colour")


def test_paint_settings_round_trip_and_fall_back():
    stored = {"paint_target": "somewhere", "paint_gap": "-3", "colour_layer": "shiage"}
    loaded = settings_module.Settings.load(lambda group, key, default: stored.get(key, default))
    assert (loaded.paint_target, loaded.paint_gap, loaded.colour_layer) == ("empty_frames", 0.0, "shiage")


def test_the_paint_request_runs_in_the_engine_and_its_manifest_is_read(tmp_path):
    """The request the plugin sends, answered by the engine's own protocol: fills for the target frames."""
    files = paint_layers(tmp_path / "layers")
    made = paint_plan.plan_paint([0, 1, 2], [0], "ink", "colour")
    painted = tmp_path / "painted.0000.png"  # the plugin's export: the colour key with the lines over it
    Image.alpha_composite(Image.open(files["colour"][0]), Image.open(files["lines"][0])).save(painted)
    params = paint_plan.paint_request(made, dict(enumerate(files["lines"])), {0: str(painted)},
                                      str(tmp_path / "out"), 4.0)
    sink = io.StringIO()

    def source():
        yield json.dumps({"jsonrpc": "2.0", "id": 1, "method": "paint", "params": params}) + "\n"
        assert engine.wait_idle(60)

    engine = server.Server(source(), sink, log=io.StringIO())
    engine.serve()
    manifest = next(a for a in map(json.loads, sink.getvalue().splitlines()) if a.get("id") == 1)["result"]
    fills = paint_plan.fill_files(made, manifest, tmp_path / "out")
    assert [t for t, _ in fills] == [1, 2]
    for t, path in fills:
        fill = np.asarray(Image.open(path).convert("RGBA"))
        truth, paint_pixels = fill_truth(paint_layer_pose(t), (160, 120))
        right = (fill[..., :3] == truth).all(axis=2) & (fill[..., 3] == 255)
        assert right[paint_pixels].mean() > 0.95, (t, right[paint_pixels].mean())
    # frame 2's badge is in no key: left unpainted (transparent), and named
    badge = (truth == (240, 200, 40)).all(axis=2)
    assert badge.sum() > 50 and (fill[..., 3][badge] == 0).all()
    assert paint_plan.unmatched_note(made, manifest) == \
        "1 area(s) left unpainted (no sure match in the keys) on frame 2: paint them by hand."


class _Clock:
    """Krita's event loop as the writer sees it: QTimer.singleShot callbacks, and a wall clock each tick moves."""

    def __init__(self) -> None:
        self.now, self.queue = 0.0, []

    def single_shot(self, ms: int, callback) -> None:
        self.queue.append((ms, callback))

    def run(self, limit_s: float = 120.0) -> None:
        while self.queue and self.now < limit_s:
            ms, callback = self.queue.pop(0)
            self.now += ms / 1000 + 0.045  # a busy Krita: each tick takes 50 ms of wall clock
            callback()


class _Node:
    def __init__(self, name: str) -> None:
        self._name, self.keys, self.pixels = name, set(), {}

    def name(self) -> str:
        return self._name

    def uniqueId(self) -> str:  # noqa: N802 - Krita's API
        return f"uuid-{self._name}"

    def hasKeyframeAtTime(self, time: int) -> bool:  # noqa: N802
        return time in self.keys


class _Document:
    def __init__(self, layer: _Node) -> None:
        self.layer, self.time, self.active, self.root = layer, 0, None, _Node("root")

    def currentTime(self) -> int:  # noqa: N802
        return self.time

    def setCurrentTime(self, time: int) -> None:  # noqa: N802
        self.time = time

    def activeNode(self):  # noqa: N802
        return self.active

    def setActiveNode(self, node) -> None:  # noqa: N802
        self.active = node

    def rootNode(self):  # noqa: N802
        return self.root

    def refreshProjection(self) -> None:  # noqa: N802
        pass


class _AddKey:
    """Krita's add_blank_frame action: disabled for `disabled_ticks` checks, drops the first `drops` triggers,
    and puts the key on the active layer `delay_s` after a trigger it takes."""

    def __init__(self, clock: _Clock, document: _Document, disabled_ticks: int = 0, drops: int = 0,
                 delay_s: float = 0.0) -> None:
        self.clock, self.document, self.disabled_ticks, self.drops, self.delay_s = (
            clock, document, disabled_ticks, drops, delay_s)
        self.triggers = 0

    def isEnabled(self) -> bool:  # noqa: N802
        self.disabled_ticks -= 1
        return self.disabled_ticks < 0

    def trigger(self) -> None:
        if self.disabled_ticks >= 0:
            return  # a disabled QAction ignores trigger()
        self.triggers += 1
        if self.drops > 0:
            self.drops -= 1
            return
        layer, time, due = self.document.active, self.document.time, self.clock.now + self.delay_s

        def land() -> None:
            if self.clock.now < due:
                self.clock.single_shot(5, land)
            else:
                layer.keys.add(time)
        land()


def _frame_writer(monkeypatch: pytest.MonkeyPatch, clock: _Clock, **action):
    """The plugin's FrameWriter over a fake Krita and Qt, writing frames 1 and 2 onto a layer."""
    layer = _Node("ink inbetweens")
    document = _Document(layer)
    add_key = _AddKey(clock, document, **action)

    class FakeKrita:
        @staticmethod
        def instance():
            return FakeKrita

        @staticmethod
        def action(name: str):
            return add_key

        @staticmethod
        def activeDocument():  # noqa: N802
            return document

    qt = type(sys)("nakawari_krita_plugin.qt")
    qt.QtCore = type("QtCore", (), {"QTimer": type("QTimer", (), {"singleShot": staticmethod(clock.single_shot)})})
    qt.QtGui, qt.ARGB32, qt.image_bytes, qt.image_from_bytes = None, None, None, None
    monkeypatch.setitem(sys.modules, "krita", type(sys)("krita"))
    sys.modules["krita"].Krita = FakeKrita
    monkeypatch.setitem(sys.modules, "nakawari_krita_plugin.qt", qt)
    monkeypatch.delitem(sys.modules, "nakawari_krita_plugin.document", raising=False)
    document_module = importlib.import_module("nakawari_krita_plugin.document")
    monkeypatch.setattr(document_module.time, "monotonic", lambda: clock.now)

    def set_pixels(pixels, x, y, w, h) -> None:
        layer.pixels[document.time] = pixels

    layer.setPixelData = set_pixels
    layer.pixelDataAtTime = lambda x, y, w, h, time: layer.pixels.get(time, b"")
    outcome: list = []
    frames = [(1, b"one"), (2, b"two")]
    writer = document_module.FrameWriter(document, layer, frames, document_module.Rect(0, 0, 1, 1), outcome.append)
    return writer, layer, add_key, outcome, document_module


def test_frame_writer_waits_for_krita_to_enable_the_add_key_action(monkeypatch: pytest.MonkeyPatch):
    clock = _Clock()
    writer, layer, add_key, outcome, _ = _frame_writer(monkeypatch, clock, disabled_ticks=40)
    writer.start()
    clock.run()
    assert outcome == [None] and layer.keys == {1, 2} and layer.pixels == {1: b"one", 2: b"two"}
    assert add_key.triggers == 2  # no trigger was lost to the disabled action, none sent twice


def test_frame_writer_sends_a_dropped_trigger_again_but_never_hurries_a_slow_krita(
        monkeypatch: pytest.MonkeyPatch):
    clock = _Clock()
    writer, layer, add_key, outcome, module = _frame_writer(monkeypatch, clock, drops=1)
    writer.start()
    clock.run()
    assert outcome == [None] and layer.keys == {1, 2} and add_key.triggers == 3
    assert clock.now > module.RETRIGGER_S  # sent again only after waiting that long

    slow = _Clock()
    writer, layer, add_key, outcome, module = _frame_writer(monkeypatch, slow, delay_s=module.RETRIGGER_S * 0.75)
    writer.start()
    slow.run()
    assert outcome == [None] and layer.keys == {1, 2} and add_key.triggers == 2
