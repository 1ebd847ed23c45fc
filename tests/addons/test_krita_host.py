"""The Krita plugin inside REAL Krita, every version here, each test's id naming it (`[krita-6.0.4.1]`):
Debian 12's krita 5.1.5 (this machine), sid's 5.3.4.1 (Qt 5) and experimental's 6.0.4.1 (Qt 6, PyQt6) in
the chroots `.ci/debian_hosts.sh` builds under .hosts/, all under Xvfb. `.ci/run` installs and builds them
and sets NAKAWARI_REQUIRE_KRITA_HOSTS, so in CI none is missing (test_every_krita_version_is_here fails
otherwise); on a machine without them the missing versions are simply not collected.

In a chroot the engine is the one the plugin's own Install engine put there (tests/hosts/krita/newuser.py:
import the release zip, open the docker, press Install engine against the package index, generate, then the
install faults); this machine's Krita uses the engine of the running tests. One kritarunner session
(tests/hosts/krita/scenarios.py) then drives the plugin like an artist — no engine, generate into a new layer
(saved, reopened), generate into empty frames, cancel, a 1080p pair — and a normally started Krita loads the
plugin from kritarc and reports its docker and actions.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import engine_executable, key_pair, paint_layers
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "hosts" / "krita"))
import harness  # noqa: E402

from nakawari import __version__  # noqa: E402
from nakawari.jobs.inbetween import InbetweenJob, run_inbetween  # noqa: E402
from nakawari.jobs.paint import PaintJob, run_paint  # noqa: E402
from nakawari.package import krita_zip_bytes  # noqa: E402
from nakawari.synth.celframes import cel_frame, to_u8  # noqa: E402

HOSTS = harness.krita_hosts()
CHROOT_HOSTS = [host for host in HOSTS if host.chroot]
WANTED = ("5.1.", "5.3.", "6.0.")  # Debian 12's, sid's and experimental's Krita: the versions CI must run


def test_every_krita_version_is_here():
    if not os.environ.get("NAKAWARI_REQUIRE_KRITA_HOSTS"):
        pytest.skip("set NAKAWARI_REQUIRE_KRITA_HOSTS=1 (as .ci/run does) to require every Krita version; here: "
                    + (", ".join(host.id for host in HOSTS) or "none"))
    found = [host.version for host in HOSTS]
    assert all(any(version.startswith(want) for version in found) for want in WANTED), found


@pytest.fixture(scope="module", params=HOSTS, ids=[host.id for host in HOSTS])
def host(request) -> harness.KritaHost:
    return request.param


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """A warmed HOME per Krita version, made on first use."""
    made: dict[str, Path] = {}

    def template(host: harness.KritaHost) -> Path:
        if host.id not in made:
            made[host.id] = harness.warm_home(tmp_path_factory.mktemp(f"template-{host.id}") / "home", host)
        return made[host.id]
    return template


@pytest.fixture(scope="module")
def krita_template(host, templates) -> Path:
    return templates(host)


def _home_with_plugin(template: Path, folder: Path, host: harness.KritaHost) -> Path:
    home = harness.copy_home(template, folder / "home")
    zip_path = folder / "nakawari-krita.zip"
    zip_path.write_bytes(krita_zip_bytes())
    assert harness.import_plugin_zip(zip_path, home, host) == ["nakawari"]
    return home


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> dict[str, Path]:
    """`nakawari package`: the engine wheel and the Krita zip carrying it, as an artist downloads them."""
    out = tmp_path_factory.mktemp("release")
    done = subprocess.run([engine_executable(), "package", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {"krita": next(out.glob("nakawari-krita-*.zip")), "wheel": next(out.glob("nakawari-*.whl"))}


@pytest.fixture(scope="session")
def newuser_runs(tmp_path_factory, release, templates):
    """The new user's path (newuser.py) per chroot Krita, run once: its result and the engine it installed."""
    made: dict[str, dict] = {}

    def run(host: harness.KritaHost) -> dict:
        if host.id in made:
            return made[host.id]
        folder = tmp_path_factory.mktemp(f"newuser-{host.id}")
        home = harness.copy_home(templates(host), folder / "home")
        results = folder / "results"
        results.mkdir()
        keys = key_pair(folder / "keys", (160, 96))
        old_python = folder / "python3.9"  # answers like a Python 3.9 that can make venvs
        old_python.write_text("#!/bin/sh\necho 3.9.18\n")
        old_python.chmod(0o755)
        args = [str(results), str(release["krita"]), str(Path(keys[0]).parent), str(old_python)]
        log = folder / "krita.log"
        env = harness.isolated_env(home, PYTHONPATH=str(harness.HERE))
        done = harness.run_scenario(home, "newuser", args, env, 900, log, host)
        report = results / "newuser.json"
        partial = results / "newuser.partial.json"
        assert report.exists(), (f"Krita (exit status {done.returncode}) wrote no results; it got as far as "
                                 f"{json.loads(partial.read_text()).get('last_step') if partial.exists() else '-'}; "
                                 f"its log:\n{log.read_text()[-3000:]}")
        outcome = json.loads(report.read_text())
        assert "crash" not in outcome, outcome["crash"] + "\n" + log.read_text()[-3000:]
        outcome["results_dir"] = str(results)
        made[host.id] = outcome
        return outcome
    return run


def _engine_for(host: harness.KritaHost, newuser_runs) -> str:
    """This machine's Krita uses the tests' engine; a chroot's the one its Install engine made."""
    if not host.chroot:
        return engine_executable()
    executable = newuser_runs(host)["install"]["executable"]
    assert executable, "Install engine gave no engine"
    return executable


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
def krita_run(host, krita_template, keys, tmp_path_factory, newuser_runs) -> dict:
    engine = _engine_for(host, newuser_runs)
    folder = tmp_path_factory.mktemp(f"krita-run-{host.id}")
    home = _home_with_plugin(krita_template, folder, host)
    results = folder / "results"
    results.mkdir()
    env = harness.isolated_env(home, NAKAWARI_ENGINE=engine,
                               PYTHONPATH=f"{harness.resources(home) / 'pykrita'}:{harness.HERE}")
    folders = [str(Path(keys[name][0]).parent) for name in ("small", "cancel", "big", "still")]
    log = folder / "krita.log"
    harness.run_scenario(home, "scenarios", [str(results), *folders], env, 600, log, host)
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


@pytest.fixture(scope="module")
def paint_run(host, krita_template, tmp_path_factory, newuser_runs) -> dict:
    """*Paint from keys* in its own Krita session (tests/hosts/krita/paint_scenario.py): 3 line drawings, frame
    0 painted on the colour layer below them, the last drawing adding a shape no key paints."""
    engine = _engine_for(host, newuser_runs)
    folder = tmp_path_factory.mktemp(f"krita-paint-{host.id}")
    layers = paint_layers(folder / "layers")
    home = _home_with_plugin(krita_template, folder, host)
    results = folder / "results"
    results.mkdir()
    env = harness.isolated_env(home, NAKAWARI_ENGINE=engine,
                               PYTHONPATH=f"{harness.resources(home) / 'pykrita'}:{harness.HERE}")
    log = folder / "krita.log"
    harness.run_scenario(home, "paint_scenario", [str(results), str(folder / "layers")], env, 300, log, host)
    report = results / "paint.json"
    assert report.exists(), f"Krita wrote no results; its log:\n{log.read_text()[-3000:]}"
    outcome = json.loads(report.read_text())
    assert "crash" not in outcome, outcome["crash"] + "\n" + log.read_text()[-3000:]
    return {**outcome, "results_dir": str(results), "layers_files": layers}


def test_paint_from_keys_fills_the_colour_layers_empty_frames(paint_run, tmp_path):
    run = paint_run["paint"]
    assert "paint" in paint_run["engine"]["info"]["capabilities"] and run["button_enabled"]
    assert run["errors"] == [], run
    assert run["listed"][:1] == [""] and {"ink", "colour"} <= set(run["listed"])
    # the colour layer below 'ink' was found by its name; its key at 0 kept, frames 1 and 2 added
    assert run["layers"] == ["Background", "colour", "ink"]
    assert run["colour_before"]["keys"] == [0] and run["colour_after"]["keys"] == [0, 1, 2]
    assert run["colour_after"]["pixels"]["0"] == run["colour_before"]["pixels"]["0"]
    assert run["ink_after"] == run["ink_before"]
    # the badge of frame 2 is in no key: left unpainted and named in the docker's status
    assert run["unmatched"] == "1 area(s) left unpainted (no sure match in the keys) on frame 2: paint them by hand."
    assert run["status"] == "Painted 2 frames on 'colour'. " + run["unmatched"]

    files = paint_run["layers_files"]
    painted = tmp_path / "painted.0000.png"  # what the artist sees at frame 0: the colour key under the lines
    Image.alpha_composite(Image.open(files["colour"][0]), Image.open(files["lines"][0])).save(painted)
    run_paint(PaintJob(lines=files["lines"], painted=[str(painted)], out=tmp_path / "engine", layer="fill",
                       name="fill"))
    results = Path(paint_run["results_dir"])
    for t in (1, 2):
        got, want = _rgba(results / f"colour.{t:04d}.png"), _rgba(tmp_path / "engine" / f"fill.{t:04d}.png")
        assert (want[..., 3] == 255).mean() > 0.2  # the figure is filled
        # the same fill as the engine's own run on the same layers (Qt's and PIL's compositing of the key's
        # anti-aliased line rims may round apart, which can move a rim pixel)
        same = (got[..., 3] == want[..., 3]) & ((np.abs(got[..., :3] - want[..., :3]).max(axis=2) <= 1)
                                               | (want[..., 3] == 0))
        assert same.mean() > 0.995, (t, same.mean())


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


def test_a_normally_started_krita_loads_the_plugin_from_kritarc(host, krita_template, tmp_path, newuser_runs):
    engine = _engine_for(host, newuser_runs)
    home = _home_with_plugin(krita_template, tmp_path, host)
    pykrita = harness.resources(home) / "pykrita"
    shutil.copytree(harness.HERE / "probe_plugin" / "nakawari_probe", pykrita / "nakawari_probe")
    shutil.copy(harness.HERE / "probe_plugin" / "nakawari_probe.desktop", pykrita)
    harness.enable_plugins(home, ["nakawari", "nakawari_probe"])
    report = tmp_path / "probe.json"
    env = harness.isolated_env(home, NAKAWARI_ENGINE=engine, NAKAWARI_PROBE_OUT=str(report))
    log = tmp_path / "krita.log"
    harness.run_krita_gui(home, env, 180, log, host)
    assert report.exists(), log.read_text()[-3000:]
    found = json.loads(report.read_text())
    assert "error" not in found, found["error"]
    assert found["plugin_module"] == str(pykrita / "nakawari" / "__init__.py")
    assert found["docker"]["count"] == 1 and found["docker"]["title"] == "nakawari"
    assert {"Generate inbetweens", "Paint from keys", "Separate cels", "Extract douga", "Cancel"} <= \
        set(found["docker"]["buttons"])
    actions = found["actions"]
    assert all(actions[name] is not None for name in actions), actions
    assert actions["nakawari_generate_inbetweens"]["shortcut"] == "Ctrl+Alt+Shift+I"  # from nakawari.action
    assert {"nakawari_generate_inbetweens", "nakawari_separate_cels", "nakawari_extract_douga",
            "nakawari_paint_from_keys"} <= set(found["tools_scripts_menu"])


# --- a new user's path: the release zip, Install engine, generate (Krita 5.3 and 6.0, in their chroots) -----
@pytest.fixture(scope="module", params=CHROOT_HOSTS, ids=[host.id for host in CHROOT_HOSTS])
def newuser(request, newuser_runs) -> dict:
    return newuser_runs(request.param)


def test_newuser_imports_the_zip_and_the_docker_offers_install(newuser):
    assert newuser["imported"] == ["nakawari"]
    assert newuser["qt_major"] == int(newuser["krita"].split(".")[0])  # PyQt6 in Krita 6, PyQt5 in Krita 5
    fresh = newuser["fresh"]
    assert fresh["install_button"] == "Install engine" and fresh["install_enabled"]
    assert "not installed" in fresh["install_state"]
    assert "No nakawari engine yet: press Install engine" in fresh["engine"]


def test_newuser_install_engine_from_the_package_index(newuser):
    install = newuser["install"]
    assert install["ok"] and install["errors"] == [], install
    assert install["engine_version"] == __version__ and "ready" in install["install_state"]
    assert install["origin"] == "installed" and install["executable"].endswith("/bin/nakawari")
    assert len(install["progress_values"]) >= 3  # the bar moved
    print(f"\nInstall engine in Krita {newuser['krita']} (Python {newuser['python']}): {install['seconds']:.0f} s")
    assert install["seconds"] < 180  # the target for a fresh profile on this connection


def test_newuser_generates_inbetweens_with_the_installed_engine(newuser):
    run = newuser["generate"]
    assert run["errors"] == [] and "Added 5 inbetweens" in run["status"], run
    assert run["layers"] == ["Background", "ink", "ink inbetweens"]
    assert run["keys"] == [0, 1, 2, 3, 4, 5] and all(run["inked"][str(t)] for t in range(1, 6))


def test_newuser_old_and_newer_engines_are_named(newuser):
    old, newer = newuser["faults"]["old_engine"], newuser["faults"]["newer_engine"]
    assert old["install_button"] == "Update engine" and "0.0.1" in old["install_state"]
    assert "update needed" in old["install_state"]
    assert "newer than this add-on" in newer["install_state"] and "99.0.0" in newer["install_state"]


def test_newuser_faults_leave_the_installed_engine_in_use(newuser):
    faults = newuser["faults"]
    assert faults["old_python"]["errors"] and "needs Python 3.11" in faults["old_python"]["errors"][0]
    assert faults["no_network"]["errors"] and "could not be downloaded" in faults["no_network"]["errors"][0]
    assert faults["cancel"]["cancelled"] and faults["cancel"]["errors"] == []
    assert "is not the nakawari engine" in faults["not_nakawari"]["engine"]
    # after every fault: one engine folder, the first install, still ready and in use
    assert len(faults["engines_left"]) == 1 and faults["active_after_all"] == faults["engines_left"][0]
    assert "ready" in faults["after_all"]["install_state"] and faults["after_all"]["origin"] == "installed"
    assert faults["after_all"]["engine"].startswith("nakawari ")
