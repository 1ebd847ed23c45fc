"""Runs INSIDE Krita (kritarunner, or the driver plugin on 5.3/6.0): *Paint from keys* like an artist — a line
layer 'ink' with three drawings, a colour layer 'colour' below it with frame 0 painted, the docker's button —
and writes what it saw to RESULTS/paint.json (and the colour layer's frames as PNGs) for
tests/addons/test_krita_host.py.

    kritarunner -s paint_scenario -f main -- RESULTS LAYERS_FOLDER
"""
from __future__ import annotations

import json
import os
import sys
import traceback

from krita_steps import ADD_KEY, QtGui, image_bytes, message_boxes, save_pixels, spin, wait_until
from scenarios import Session, layer_names, layer_state


def colour_layer_below(session: Session, doc, colour_path: str):
    """An animated layer 'colour' between Background and 'ink', its frame 0 painted."""
    background = next(n for n in doc.rootNode().childNodes() if n.name() == "Background")
    layer = doc.createNode("colour", "paintlayer")
    doc.rootNode().addChildNode(layer, background)  # right above Background: below the line layer
    spin(0.2)
    doc.setActiveNode(layer)
    wait_until(lambda: doc.activeNode() is not None and doc.activeNode().name() == "colour", 10, "active layer")
    spin(0.2)
    layer.enableAnimation()
    doc.setCurrentTime(0)
    wait_until(lambda: doc.currentTime() == 0, 5, "frame 0")
    session.app.action(ADD_KEY).trigger()
    wait_until(lambda: layer.hasKeyframeAtTime(0), 5, "the colour key at 0")
    image = QtGui.QImage(colour_path)
    layer.setPixelData(image_bytes(image), 0, 0, image.width(), image.height())
    doc.refreshProjection()
    spin(0.2)
    return layer


def paint_from_keys(session: Session, results: str, folder: str) -> dict:
    lines = {t: os.path.join(folder, f"line.{t:04d}.png") for t in range(3)}
    doc, ink = session.animated_document(lines, "paint")
    colour = colour_layer_below(session, doc, os.path.join(folder, "colour.0000.png"))
    doc.setActiveNode(ink)  # the artist selects the line layer and presses the button
    wait_until(lambda: doc.activeNode().name() == "ink", 10, "the line layer to become active")
    docker = session.docker
    docker._list_colour_layers()
    listed = [docker.colour_layer.itemData(i) for i in range(docker.colour_layer.count())]
    docker.colour_layer.setCurrentIndex(0)  # automatic: the layer named 'colour' next to the lines
    docker.paint_target.setCurrentIndex(docker.paint_target.findData("empty_frames"))
    spin(0.05)
    ink_before, colour_before = layer_state(doc, ink, 0, 6), layer_state(doc, colour, 0, 6)
    enabled = docker.paint_button.isEnabled()
    docker.paint_button.click()
    session.idle()
    out = {"status": session.controller.status, "errors": message_boxes(), "layers": layer_names(doc),
           "listed": listed, "button_enabled": enabled, "unmatched": session.controller.last_paint_note,
           "ink_before": ink_before, "ink_after": layer_state(doc, ink, 0, 6),
           "colour_before": colour_before, "colour_after": layer_state(doc, colour, 0, 6)}
    width, height = doc.width(), doc.height()
    for t in out["colour_after"]["keys"]:
        save_pixels(colour.pixelDataAtTime(0, 0, width, height, t), width, height,
                    os.path.join(results, f"colour.{t:04d}.png"))
    session.docker.grab().save(os.path.join(results, "docker.png"))  # to look at: the Paint box and its status
    session.close(doc)
    return out


def at_start(args: list[str]) -> None:
    """Driver plugin (a normally started Krita), at start: the plugin registers its docker before the window."""
    import nakawari  # noqa: F401


def in_window(window, args: list[str], started) -> None:
    main(args, window, started)


def main(args: list[str], window=None, started=None) -> None:
    results, folder = args[:2]
    outcome: dict = {}
    code = 0
    try:
        if isinstance(started, Exception):
            raise started
        session = Session(results, window)
        wait_until(lambda: session.controller.engine_info is not None or
                   not session.controller.engine_problem.startswith("Starting"), 120, "the engine")
        outcome["engine"] = {"info": session.controller.engine_info, "label": session.controller.engine_label()}
        outcome["paint"] = paint_from_keys(session, results, folder)
    except Exception:
        outcome["crash"] = traceback.format_exc()
        code = 1
    with open(os.path.join(results, "paint.json"), "w", encoding="utf-8") as handle:
        json.dump(outcome, handle, indent=1, default=str)
    sys.stdout.flush()
    os._exit(code)  # kritarunner exits 0 even when the script raised, and a normal exit crashes
