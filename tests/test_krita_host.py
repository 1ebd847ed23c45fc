"""The Krita plugin inside REAL Krita (Debian's krita 5.1.5 under Xvfb). `.ci/run` installs krita, so in CI
these never skip; on a machine without Krita they skip.

One kritarunner session (tests/hosts/krita/scenarios.py) drives the plugin like an artist — no engine,
generate into a new layer (saved, reopened), generate into empty frames, cancel, a 1080p pair — and a
second, normally started Krita loads the plugin from kritarc and reports its docker and actions.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine_helpers import engine_executable, key_pair

sys.path.insert(0, str(Path(__file__).parent / "hosts" / "krita"))
import harness  # noqa: E402

from nakawari.jobs.inbetween import InbetweenJob, run_inbetween  # noqa: E402
from nakawari.package import krita_zip_bytes  # noqa: E402
from nakawari.synth.celframes import cel_frame, to_u8  # noqa: E402

pytestmark = pytest.mark.skipif(not harness.krita_installed(), reason="krita, kritarunner or xvfb-run not installed")


@pytest.fixture(scope="session")
def krita_template(tmp_path_factory) -> Path:
    return harness.warm_home(tmp_path_factory.mktemp("krita-template") / "home")


def _home_with_plugin(template: Path, folder: Path) -> Path:
    home = harness.copy_home(template, folder / "home")
    zip_path = folder / "nakawari-krita.zip"
    zip_path.write_bytes(krita_zip_bytes())
    assert harness.import_plugin_zip(zip_path, home) == ["nakawari"]
    return home


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("keys")
    small = key_pair(root / "small", (160, 96))
    cancel = key_pair(root / "cancel", (640, 360))
    Path(cancel[1]).rename(Path(cancel[1]).with_name("key.0024.png"))
    big = key_pair(root / "big", (1920, 1080))
    still = root / "still" / "current.png"  # a painted frame: a cel over a painted background
    still.parent.mkdir()
    Image.fromarray(to_u8(cel_frame(0, 0, size=(320, 180)).rgb)).convert("RGBA").save(still)
    return {"small": small, "cancel": [cancel[0], str(Path(cancel[1]).with_name("key.0024.png"))], "big": big,
            "still": [str(still)]}


@pytest.fixture(scope="module")
def krita_run(krita_template, keys, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("krita-run")
    home = _home_with_plugin(krita_template, folder)
    results = folder / "results"
    results.mkdir()
    env = harness.isolated_env(home, NAKAWARI_ENGINE=engine_executable(),
                               PYTHONPATH=f"{harness.resources(home) / 'pykrita'}:{harness.HERE}")
    folders = [str(Path(keys[name][0]).parent) for name in ("small", "cancel", "big", "still")]
    log = folder / "krita.log"
    harness.run_kritarunner(home, "scenarios", [str(results), *folders], env, 420, log)
    report = results / "results.json"
    assert report.exists(), f"Krita wrote no results; its log:\n{log.read_text()[-3000:]}"
    outcome = json.loads(report.read_text())
    assert "crash" not in outcome, outcome["crash"] + "\n" + log.read_text()[-3000:]
    outcome["results_dir"] = str(results)
    return outcome


def test_the_plugin_connects_to_the_engine(krita_run):
    engine = krita_run["engine"]
    assert engine["info"]["version"] and "inbetween" in engine["info"]["capabilities"]
    assert engine["label"].startswith("nakawari ")
    # the current-frame buttons follow the engine's capabilities
    assert engine["cels_enabled"] == ("cels" in engine["info"]["capabilities"])
    assert engine["douga_enabled"] == ("douga" in engine["info"]["capabilities"])


def test_generate_fills_frames_1_to_5_on_a_new_layer_matching_the_engine(krita_run, keys, tmp_path):
    run = krita_run["generate"]
    assert run["errors"] == [], run
    assert "Added 5 inbetweens" in run["status"]
    assert run["layers"] == ["Background", "ink", "ink inbetweens"]  # the new layer sits above the source
    # Krita turns an empty layer's content into a key at 0 when its first key is added: a blank one
    assert run["target"]["keys"] == [0, 1, 2, 3, 4, 5]
    blank = hashlib.sha1(bytes(160 * 96 * 4)).hexdigest()
    assert run["target"]["pixels"]["0"] == blank and blank not in [run["target"]["pixels"][str(t)] for t in range(1, 6)]
    assert run["source_after"] == run["source_before"] and run["source_before"]["keys"] == [0, 6]

    expected = run_inbetween(InbetweenJob(keys=keys["small"], out=tmp_path / "engine", key_times=[0, 6],
                                          times=[1, 2, 3, 4, 5], name="frame", mode="flow"))
    for frame in expected["frames"]:
        if frame["key"]:
            continue
        want = _rgba(tmp_path / "engine" / frame["file"])
        assert (want[..., 3] > 0).any()
        _same_drawing(_rgba(Path(krita_run["results_dir"]) / f"generated.{int(frame['time']):04d}.png"), want)


def test_saved_kra_reopens_with_every_frame(krita_run):
    run = krita_run["generate"]
    reopened = run["reopened"]
    assert reopened["layers"] == run["layers"]
    assert reopened["target"] == run["target"]
    assert reopened["source"] == run["source_before"]


def test_generate_into_empty_frames_of_the_source_keeps_its_keys(krita_run):
    run = krita_run["empty_frames"]
    assert run["errors"] == [], run
    assert run["layers"] == ["Background", "ink"]
    assert run["source_after"]["keys"] == [0, 2, 4, 6]  # on twos
    for key in (0, 6):
        assert run["source_after"]["pixels"][str(key)] == run["source_before"]["pixels"][str(key)]


def test_drawing_past_the_canvas_edge_is_inbetweened_too(krita_run):
    run = krita_run["past_the_canvas"]
    assert run["errors"] == [] and "Added 5 inbetweens" in run["status"]
    assert run["source_left_of_canvas"] == {"0": False, "6": True}  # key 6 reaches past the left edge
    # the ring travels off the canvas: the last inbetweens carry ink past the edge, the first do not
    assert run["ink_left_of_canvas"]["5"] and not run["ink_left_of_canvas"]["1"]


def test_cancel_mid_run_leaves_no_partial_frames(krita_run):
    run = krita_run["cancel"]
    assert run["errors"] == []
    assert run["status"].startswith("Cancelled")
    assert run["progress_seen"] >= 1  # the progress bar moved before Cancel was pressed
    assert run["layers_after"] == run["layers_before"]
    assert run["source_after"] == run["source_before"]


def test_no_engine_gives_a_clear_message_and_leaves_the_document(krita_run):
    run = krita_run["no_engine"]
    assert len(run["errors"]) == 1 and "nakawari engine was not found" in run["errors"][0]
    assert "NAKAWARI_ENGINE" in run["errors"][0]
    assert run["layers_after"] == run["layers_before"]
    assert run["source_after"] == run["source_before"]


def _rgba(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA")).astype(int)


def _same_drawing(got: np.ndarray, want: np.ndarray) -> None:
    """Same alpha everywhere, same colour wherever something is drawn (Krita drops hidden colours)."""
    assert got.shape == want.shape
    assert np.array_equal(got[..., 3], want[..., 3])
    drawn = want[..., 3] > 0
    assert np.abs(got[..., :3] - want[..., :3])[drawn].max(initial=0) <= 1


def test_separate_cels_and_extract_douga_on_the_current_frame(krita_run, keys, tmp_path):
    capabilities = krita_run["engine"]["info"]["capabilities"]
    if "cels" not in capabilities and "douga" not in capabilities:
        pytest.skip("this engine has neither cels nor douga (their buttons are disabled, checked above)")
    run = krita_run["current_frame"]
    results = Path(krita_run["results_dir"])
    frame = keys["still"][0]
    assert run["source_unchanged"]
    if "cels" in capabilities:
        assert run["cels"]["errors"] == [] and "cel layer and a background layer" in run["cels"]["status"]
        assert {"ink cel f0", "ink background f0"} <= set(run["layers"])
        from nakawari.jobs.cels import CelsJob, run_cels
        run_cels(CelsJob(frames=[frame], out=tmp_path / "cels"))
        cel, mask = _rgba(tmp_path / "cels" / "current.cel.png"), _rgba(tmp_path / "cels" / "current.mask.png")
        _same_drawing(_rgba(results / "ink_cel_f0.png"), cel)
        background = _rgba(Path(frame))
        background[..., 3] = np.where(mask[..., 0] > 127, 0, background[..., 3])
        _same_drawing(_rgba(results / "ink_background_f0.png"), background)
    if "douga" in capabilities:
        assert run["douga"]["errors"] == [] and "douga" in run["douga"]["status"]
        from nakawari.jobs.douga import DougaJob, run_douga
        run_douga(DougaJob(frames=[frame], out=tmp_path / "douga"))
        _same_drawing(_rgba(results / "ink_douga_f0.png"), _rgba(tmp_path / "douga" / "current.douga.png"))


def test_1080p_pair_press_to_frames(krita_run):
    run = krita_run["timing_1080p"]
    assert run["errors"] == [] and run["size"] == [1920, 1080] and run["keys"] == [0, 1, 2, 3, 4, 5]
    print(f"\n1080p key pair, 5 inbetweens: {run['seconds']:.2f} s from the button press to frames on the "
          f"layer (engine done after {run['controller'].get('engine_done_s', float('nan')):.2f} s); longest UI "
          f"freeze {run['longest_freeze']:.2f} s (the press itself, exporting the keys: {run['press_freeze']:.2f} s)")
    # the UI keeps running while the engine works: no freeze near the length of the job
    assert run["longest_freeze"] < max(2.0, run["seconds"] / 3)


def test_a_normally_started_krita_loads_the_plugin_from_kritarc(krita_template, tmp_path):
    home = _home_with_plugin(krita_template, tmp_path)
    pykrita = harness.resources(home) / "pykrita"
    shutil.copytree(harness.HERE / "probe_plugin" / "nakawari_probe", pykrita / "nakawari_probe")
    shutil.copy(harness.HERE / "probe_plugin" / "nakawari_probe.desktop", pykrita)
    harness.enable_plugins(home, ["nakawari", "nakawari_probe"])
    report = tmp_path / "probe.json"
    env = harness.isolated_env(home, NAKAWARI_ENGINE=engine_executable(), NAKAWARI_PROBE_OUT=str(report))
    log = tmp_path / "krita.log"
    with open(log, "w") as handle:
        subprocess.run([*harness.XVFB, "krita", "--nosplash"], env=env, stdout=handle, stderr=subprocess.STDOUT,
                       timeout=120, cwd=home)
    assert report.exists(), log.read_text()[-3000:]
    found = json.loads(report.read_text())
    assert "error" not in found, found["error"]
    assert found["plugin_module"] == str(pykrita / "nakawari" / "__init__.py")
    assert found["docker"]["count"] == 1 and found["docker"]["title"] == "nakawari"
    assert {"Generate inbetweens", "Separate cels", "Extract douga", "Cancel"} <= set(found["docker"]["buttons"])
    actions = found["actions"]
    assert all(actions[name] is not None for name in actions), actions
    assert actions["nakawari_generate_inbetweens"]["shortcut"] == "Ctrl+Alt+Shift+I"  # from nakawari.action
    assert {"nakawari_generate_inbetweens", "nakawari_separate_cels", "nakawari_extract_douga"} <= \
        set(found["tools_scripts_menu"])
