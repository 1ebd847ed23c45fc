"""Runs INSIDE Krita (kritarunner, under Xvfb): a new user's path with the release zip, then the install faults.
Writes RESULTS/newuser.json for tests/addons/test_krita_host.py.

    kritarunner -s newuser -f main -- RESULTS ZIP KEYS_FOLDER OLD_PYTHON

Import the zip with this Krita's own importer into its resource folder, open the docker (no engine: it offers
Install engine), press Install engine against the package index, generate inbetweens with the engine it
installed; then: an old installed engine (Update offered), a newer one, a Python that is too old, no network
(the package index unreachable), Cancel during an install, a path that is not nakawari. After each fault the
engine installed first must still be the one in use.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path

from krita import Krita
from krita_steps import QtGui, QtWidgets, close_document, message_boxes, spin, wait_until

IMPORTER = "/usr/share/krita/pykrita/plugin_importer/plugin_importer.py"


def import_zip(zip_path: str) -> list[str]:
    """Tools ▸ Scripts ▸ Import Python Plugin from File…: this Krita's own importer, into its resource folder."""
    spec = importlib.util.spec_from_file_location("krita_plugin_importer", IMPORTER)
    importer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(importer)
    imported = importer.PluginImporter(zip_path, Krita.instance().getAppDataLocation(),
                                       lambda plugin: True).import_all()
    return [plugin["name"] for plugin in imported]


def docker_view(docker, controller) -> dict:
    return {"install_state": docker.install_state.text(), "install_button": docker.install_button.text(),
            "install_enabled": docker.install_button.isEnabled(), "engine": docker.engine_status.text(),
            "status": controller.status, "origin": controller.engine_origin}


def press_install(docker, controller, timeout: float) -> dict:
    docker.install_button.click()
    began = time.monotonic()
    progress = set()
    while controller.installing:
        progress.add(docker.progress.value())
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"the install took over {timeout:g} s")
        spin(0.1)
    wait_until(lambda: controller._probe is None or controller._probe.state().finished, 120, "the engine probe")
    spin(0.3)
    return {"seconds": time.monotonic() - began, "progress_values": sorted(progress), **controller.last_install,
            "errors": message_boxes(), **docker_view(docker, controller)}


def generate(window, docker, controller, keys: list[str]) -> dict:
    # The document is built here, not with krita_steps.animated_document: that one waits 0.2 s more before
    # enabling animation, and with that Krita 6.0 did not add the plugin's first keyframe here (2 runs of 2).
    app = Krita.instance()
    first = QtGui.QImage(keys[0])
    width, height = first.width(), first.height()
    doc = app.createDocument(width, height, "newuser", "RGBA", "U8", "", 72.0)
    window.addView(doc)
    spin(0.3)
    doc.setFullClipRangeEndTime(12)
    layer = doc.createNode("ink", "paintlayer")
    doc.rootNode().addChildNode(layer, None)
    spin(0.2)
    doc.setActiveNode(layer)
    wait_until(lambda: doc.activeNode() is not None and doc.activeNode().name() == "ink", 10, "active layer")
    layer.enableAnimation()
    for t, path in ((0, keys[0]), (6, keys[1])):
        doc.setCurrentTime(t)
        wait_until(lambda t=t: doc.currentTime() == t, 5, f"frame {t}")
        spin(0.05)
        app.action("add_blank_frame").trigger()
        wait_until(lambda t=t: layer.hasKeyframeAtTime(t), 5, f"the key at {t}")
        image = QtGui.QImage(path).convertToFormat(QtGui.QImage.Format.Format_ARGB32)
        pointer = image.constBits()
        pointer.setsize(image.sizeInBytes())
        layer.setPixelData(bytes(pointer), 0, 0, width, height)
    doc.setCurrentTime(0)
    doc.refreshProjection()
    spin(0.3)
    pressed = time.monotonic()
    docker.generate_button.click()
    wait_until(lambda: not controller.busy, 300, "the inbetweens")
    names = [node.name() for node in doc.rootNode().childNodes()]
    new = next((n for n in doc.rootNode().childNodes() if n.name() == "ink inbetweens"), None)
    keys_made = [t for t in range(0, 13) if new is not None and new.hasKeyframeAtTime(t)]
    inked = {t: bool(bytes(new.pixelDataAtTime(0, 0, width, height, t)).strip(b"\0")) for t in keys_made}
    out = {"status": controller.status, "errors": message_boxes(), "layers": names, "keys": keys_made,
           "inked": inked, "seconds": time.monotonic() - pressed}
    close_document(doc)
    return out


def note(results: str, out: dict, step: str) -> None:
    """What ran so far, in case Krita dies before the end (the test shows it)."""
    out["last_step"] = step
    with open(os.path.join(results, "newuser.partial.json"), "w") as handle:
        json.dump(out, handle, indent=1, default=str)


def set_installed_version(controller, version: str) -> None:
    """An engine installed by another plugin version: its record says so (the engine itself is unchanged)."""
    root = controller.engine_root
    folder = root / "engines" / (root / "active").read_text().strip()
    record = json.loads((folder / "nakawari-install.json").read_text())
    record["version"] = version
    (folder / "nakawari-install.json").write_text(json.dumps(record))


def load_plugin(zip_path: str) -> list[str]:
    """Import the zip into Krita's resource folder and load the plugin from there (it registers itself)."""
    imported = import_zip(zip_path)
    sys.path.insert(0, os.path.join(Krita.instance().getAppDataLocation(), "pykrita"))
    import nakawari  # noqa: F401 - the plugin as imported: registers its extension and docker
    return imported


def run(results: str, zip_path: str, keys_folder: str, old_python: str) -> dict:
    """kritarunner: import, open a window, then the path."""
    imported = load_plugin(zip_path)
    window = Krita.instance().openWindow()
    window.qwindow().resize(1280, 1000)
    window.qwindow().show()
    return run_in(window, imported, results, zip_path, keys_folder, old_python)


def at_start(args: list[str]) -> list[str]:
    """Driver plugin, at Krita's start: import and load the plugin before the window exists."""
    return load_plugin(args[1])


def in_window(window, args: list[str], imported) -> None:
    """Driver plugin, once Krita's own window is up."""
    finish(args[0], lambda: run_in(window, imported, *args))


def run_in(window, imported, results: str, zip_path: str, keys_folder: str, old_python: str) -> dict:
    if isinstance(imported, Exception):
        raise imported
    out: dict = {"krita": Krita.instance().version(), "python": sys.version.split()[0], "imported": imported}
    import nakawari
    from nakawari import extension
    from nakawari.docker import NakawariDocker
    from nakawari.qt import QT_MAJOR
    out["qt_major"] = QT_MAJOR
    out["plugin_file"] = nakawari.__file__
    controller = extension.controller()
    docker = next(d for d in window.qwindow().findChildren(QtWidgets.QDockWidget) if isinstance(d, NakawariDocker))
    docker.show()
    spin(0.5)
    wait_until(lambda: controller._probe is None or controller._probe.state().finished, 60, "the first probe")
    spin(0.3)
    out["fresh"] = docker_view(docker, controller)
    docker.grab().save(os.path.join(results, "docker-fresh.png"))

    out["install"] = press_install(docker, controller, 400)
    docker.grab().save(os.path.join(results, "docker-installed.png"))
    installed = controller.client.engine_setting if controller.client else None
    out["install"]["executable"] = installed
    out["install"]["engine_version"] = (controller.engine_info or {}).get("version")
    keys = sorted(str(p) for p in Path(keys_folder).glob("*.png"))
    note(results, out, "install")
    out["generate"] = generate(window, docker, controller, keys)
    note(results, out, "generate")

    faults: dict = {}
    out["faults"] = faults
    set_installed_version(controller, "0.0.1")
    docker.refresh()
    faults["old_engine"] = docker_view(docker, controller)
    set_installed_version(controller, "99.0.0")
    docker.refresh()
    faults["newer_engine"] = docker_view(docker, controller)
    set_installed_version(controller, out["install"]["engine_version"] or "")
    docker.refresh()

    controller.settings.python = old_python
    faults["old_python"] = press_install(docker, controller, 120)
    note(results, out, "old_python")
    controller.settings.python = ""

    os.environ["PIP_INDEX_URL"] = "http://127.0.0.1:9/simple"  # nothing listens there: the index is unreachable
    os.environ["PIP_RETRIES"] = "0"
    faults["no_network"] = press_install(docker, controller, 300)
    note(results, out, "no_network")
    del os.environ["PIP_INDEX_URL"]

    docker.install_button.click()  # Repair, cancelled while pip works
    wait_until(lambda: controller._install is None or controller._install.state().step in ("download", "engine"),
               120, "the install to reach pip")
    spin(1.0)
    docker.cancel_button.click()
    wait_until(lambda: not controller.installing, 120, "the cancel")
    spin(0.3)
    faults["cancel"] = {**controller.last_install, "errors": message_boxes(), **docker_view(docker, controller)}
    faults["engines_left"] = sorted(p.name for p in (controller.engine_root / "engines").iterdir())
    note(results, out, "cancel")

    docker.engine_path.setText("/bin/true")  # a path that is not nakawari
    docker._store()
    wait_until(lambda: controller._probe is None or controller._probe.state().finished, 60, "the probe")
    spin(0.3)
    faults["not_nakawari"] = docker_view(docker, controller)
    note(results, out, "not_nakawari")
    docker.engine_path.setText("")
    docker._store()
    wait_until(lambda: controller._probe is None or controller._probe.state().finished, 60, "the probe")
    spin(0.3)
    faults["after_all"] = docker_view(docker, controller)
    faults["active_after_all"] = (controller.engine_root / "active").read_text().strip()
    out["faults"] = faults
    controller.shutdown()
    return out


def finish(results: str, work) -> None:
    try:
        outcome = work()
    except Exception:  # noqa: BLE001 - the test reads the traceback
        outcome = {"crash": traceback.format_exc()}
    with open(os.path.join(results, "newuser.json"), "w") as handle:
        json.dump(outcome, handle, indent=1, default=str)
    os._exit(0)  # Krita after openWindow() crashes on a normal exit


def main(args) -> None:
    finish(args[0], lambda: run(*args))
