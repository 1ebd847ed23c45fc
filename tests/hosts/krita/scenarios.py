"""Runs INSIDE Krita (kritarunner, under Xvfb): drives the installed nakawari plugin like an artist and
writes what it saw to RESULTS/results.json for tests/addons/test_krita_host.py to check.

    kritarunner -s scenarios -f main -- RESULTS KEYS_SMALL KEYS_CANCEL KEYS_1080P STILL_FRAME_FOLDER
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback

from krita import Krita
from krita_steps import (
    QtCore,
    QtGui,
    QtWidgets,
    animated_document,
    close_document,
    digest,
    image_bytes,
    message_boxes,
    save_pixels,
    spin,
    wait_until,
)


class Session:
    def __init__(self, results: str, window=None) -> None:
        self.results = results
        self.app = Krita.instance()
        import nakawari  # noqa: F401 - the plugin, installed by Krita's own importer: registers itself
        self.window = window or self.app.openWindow()
        self.window.qwindow().resize(1280, 1000)
        self.window.qwindow().show()
        from nakawari import extension
        self.controller = extension.controller()
        from nakawari.docker import NakawariDocker
        self.docker = next(d for d in self.window.qwindow().findChildren(QtWidgets.QDockWidget)
                           if isinstance(d, NakawariDocker))
        self.docker.show()
        self.docker.raise_()

    def animated_document(self, key_paths: dict[int, str], name: str, shift: dict[int, int] | None = None):
        return animated_document(self.window, key_paths, name, shift)

    def idle(self, timeout: float = 300) -> float:
        return wait_until(lambda: not self.controller.busy, timeout, "the plugin to finish")

    def close(self, doc) -> None:
        close_document(doc)


def layer_state(doc, layer, start: int, end: int) -> dict:
    width, height = doc.width(), doc.height()
    keys = [t for t in range(start, end + 1) if layer.hasKeyframeAtTime(t)]
    return {"name": layer.name(), "animated": layer.animated(), "keys": keys,
            "pixels": {t: digest(layer.pixelDataAtTime(0, 0, width, height, t)) for t in keys}}


def layer_names(doc) -> list[str]:
    return [node.name() for node in doc.rootNode().childNodes()]


def configure(session: Session, **values) -> None:
    """Set the docker's controls the way an artist would."""
    docker = session.docker
    for combo_name, value in values.items():
        combo = getattr(docker, combo_name)
        if isinstance(combo, QtWidgets.QComboBox):
            combo.setCurrentIndex(combo.findData(value))
        else:
            combo.setValue(value)
    spin(0.05)


def generate(session: Session, results: str, keys: dict[int, str]) -> dict:
    doc, source = session.animated_document(keys, "generate")
    before = layer_state(doc, source, 0, 12)
    configure(session, fill="every", ease="linear", mode="flow", target="new_layer")
    pressed = time.monotonic()
    session.docker.generate_button.click()
    session.idle()
    new = next((n for n in doc.rootNode().childNodes() if n.name() == "ink inbetweens"), None)
    out = {"status": session.controller.status, "errors": message_boxes(), "layers": layer_names(doc),
           "source_before": before, "source_after": layer_state(doc, source, 0, 12),
           "seconds": time.monotonic() - pressed}
    if new is None:
        return out
    out["target"] = layer_state(doc, new, 0, 12)
    width, height = doc.width(), doc.height()
    for t in out["target"]["keys"]:
        save_pixels(new.pixelDataAtTime(0, 0, width, height, t), width, height,
                    os.path.join(results, f"generated.{t:04d}.png"))
    kra = os.path.join(results, "generated.kra")
    doc.setFileName(kra)
    assert doc.saveAs(kra), "saveAs failed"
    session.close(doc)
    reopened = session.app.openDocument(kra)
    session.window.addView(reopened)
    spin(0.5)
    nodes = {n.name(): n for n in reopened.rootNode().childNodes()}
    out["reopened"] = {"layers": list(nodes), "target": layer_state(reopened, nodes["ink inbetweens"], 0, 12),
                       "source": layer_state(reopened, nodes["ink"], 0, 12)}
    session.close(reopened)
    return out


def into_empty_frames(session: Session, keys: dict[int, str]) -> dict:
    doc, source = session.animated_document(keys, "empty-frames")
    before = layer_state(doc, source, 0, 12)
    configure(session, fill="twos", target="empty_frames")
    session.docker.generate_button.click()
    session.idle()
    out = {"status": session.controller.status, "errors": message_boxes(), "layers": layer_names(doc),
           "source_before": before, "source_after": layer_state(doc, source, 0, 12)}
    configure(session, fill="every", target="new_layer")
    session.close(doc)
    return out


def past_the_canvas(session: Session, keys: dict[int, str]) -> dict:
    """The second key drawn partly past the canvas's left edge: the inbetweens keep what lies there."""
    doc, source = session.animated_document(keys, "past-the-canvas", shift={6: -100})
    session.docker.generate_button.click()
    session.idle()
    new = next((n for n in doc.rootNode().childNodes() if n.name() == "ink inbetweens"), None)
    height = doc.height()
    out = {"errors": message_boxes(), "status": session.controller.status,
           "ink_left_of_canvas": {t: bool(bytes(layer.pixelDataAtTime(-60, 0, 60, height, t)).strip(b"\0"))
                                  for layer in [new] if layer is not None for t in range(0, 7)},
           "source_left_of_canvas": {t: bool(bytes(source.pixelDataAtTime(-60, 0, 60, height, t)).strip(b"\0"))
                                     for t in (0, 6)}}
    session.close(doc)
    return out


def cancel(session: Session, keys: dict[int, str]) -> dict:
    doc, source = session.animated_document(keys, "cancel")
    before = layer_state(doc, source, 0, 30)
    names = layer_names(doc)
    session.docker.generate_button.click()
    wait_until(lambda: session.controller.progress[0] >= 1 or not session.controller.busy, 120,
               "the first progress report")
    progress_seen = session.docker.progress.value()
    session.docker.cancel_button.click()
    session.idle()
    spin(0.3)
    out = {"status": session.controller.status, "errors": message_boxes(), "progress_seen": progress_seen,
           "layers_before": names, "layers_after": layer_names(doc),
           "source_before": before, "source_after": layer_state(doc, source, 0, 30)}
    session.close(doc)
    return out


def no_engine(session: Session, keys: dict[int, str]) -> dict:
    doc, source = session.animated_document(keys, "no-engine")
    before, names = layer_state(doc, source, 0, 12), layer_names(doc)
    saved = dict(os.environ)
    os.environ.pop("NAKAWARI_ENGINE", None)
    os.environ["PATH"] = "/usr/bin:/bin"  # no nakawari here
    session.controller.shutdown()
    session.controller.client = None
    try:
        session.docker.generate_button.click()
        session.idle()
        spin(0.2)
        out = {"status": session.controller.status, "errors": message_boxes(),
               "layers_before": names, "layers_after": layer_names(doc),
               "source_before": before, "source_after": layer_state(doc, source, 0, 12)}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        session.controller.client = None
    session.close(doc)
    return out


def timing_1080p(session: Session, keys: dict[int, str]) -> dict:
    doc, source = session.animated_document(keys, "timing")
    ticks: list[float] = []  # a 10 ms timer on the GUI thread: gaps between its ticks are UI freezes
    ticker = QtCore.QTimer()
    ticker.timeout.connect(lambda: ticks.append(time.monotonic()))
    ticker.start(10)
    pressed = time.monotonic()
    session.docker.generate_button.click()
    ticks.append(time.monotonic())  # the press itself (exporting the keys) counts as the first gap
    session.idle()
    seconds = time.monotonic() - pressed
    ticker.stop()
    gaps = [b - a for a, b in zip([pressed] + ticks, ticks)]
    new = next((n for n in doc.rootNode().childNodes() if n.name() == "ink inbetweens"), None)
    out = {"seconds": seconds, "errors": message_boxes(), "controller": session.controller.last_timing,
           "longest_freeze": max(gaps), "press_freeze": gaps[0],
           "keys": [t for t in range(0, 13) if new is not None and new.hasKeyframeAtTime(t)],
           "size": [doc.width(), doc.height()]}
    return out, doc


def current_frame_jobs(session: Session, results: str, frame_path: str) -> dict:
    """Separate cels and Extract douga on a still layer, through the docker's buttons."""
    image = QtGui.QImage(frame_path)
    width, height = image.width(), image.height()
    doc = session.app.createDocument(width, height, "current-frame", "RGBA", "U8", "", 72.0)
    session.window.addView(doc)
    spin(0.3)
    layer = doc.createNode("ink", "paintlayer")
    doc.rootNode().addChildNode(layer, None)
    layer.setPixelData(image_bytes(image), 0, 0, width, height)
    doc.setActiveNode(layer)
    wait_until(lambda: doc.activeNode() is not None and doc.activeNode().name() == "ink", 10, "active layer")
    before = digest(layer.pixelData(0, 0, width, height))
    out: dict = {}
    for capability, button in (("cels", session.docker.cels_button), ("douga", session.docker.douga_button)):
        if not session.controller.has(capability):
            continue
        doc.setActiveNode(layer)
        wait_until(lambda: doc.activeNode().name() == "ink", 10, "active layer")
        button.click()
        session.idle()
        out[capability] = {"status": session.controller.status, "errors": message_boxes()}
    out["layers"] = layer_names(doc)
    out["source_unchanged"] = digest(layer.pixelData(0, 0, width, height)) == before
    for node in doc.rootNode().childNodes():
        if node.name() not in ("Background", "ink"):
            save_pixels(node.pixelData(0, 0, width, height), width, height,
                        os.path.join(results, node.name().replace(" ", "_") + ".png"))
    session.close(doc)
    return out


def at_start(args: list[str]) -> None:
    """Driver plugin (a normally started Krita), at start: the plugin registers its docker before the window."""
    import nakawari  # noqa: F401


def in_window(window, args: list[str], started) -> None:
    """Driver plugin, once Krita's own window is up."""
    main(args, window, started)


def main(args: list[str], window=None, started=None) -> None:
    results, small, cancel_keys, big, still = args[:5]
    outcome: dict = {}
    code = 0
    try:
        if isinstance(started, Exception):
            raise started
        session = Session(results, window)
        pair = lambda folder, last: {0: os.path.join(folder, "key.0000.png"),  # noqa: E731
                                     last: os.path.join(folder, f"key.{last:04d}.png")}
        wait_until(lambda: session.controller.engine_info is not None or
                   not session.controller.engine_problem.startswith("Starting"), 120, "the engine")
        outcome["engine"] = {"info": session.controller.engine_info, "label": session.controller.engine_label(),
                             "cels_enabled": session.docker.cels_button.isEnabled(),
                             "douga_enabled": session.docker.douga_button.isEnabled()}
        outcome["no_engine"] = no_engine(session, pair(small, 6))
        outcome["generate"] = generate(session, results, pair(small, 6))
        outcome["empty_frames"] = into_empty_frames(session, pair(small, 6))
        outcome["past_the_canvas"] = past_the_canvas(session, pair(small, 6))
        outcome["cancel"] = cancel(session, pair(cancel_keys, 24))
        outcome["current_frame"] = current_frame_jobs(session, results, os.path.join(still, "current.png"))
        outcome["timing_1080p"], doc = timing_1080p(session, pair(big, 6))
        spin(0.5)
        session.docker.grab().save(os.path.join(results, "docker.png"))
        session.window.qwindow().grab().save(os.path.join(results, "window.png"))
        session.close(doc)
    except Exception:
        outcome["crash"] = traceback.format_exc()
        code = 1
    with open(os.path.join(results, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(outcome, handle, indent=1, default=str)
    sys.stdout.flush()
    os._exit(code)  # kritarunner exits 0 even when the script raised, and a normal exit crashes
