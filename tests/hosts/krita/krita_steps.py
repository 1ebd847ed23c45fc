"""For scripts that run INSIDE Krita (kritarunner, or the driver plugin on 5.3/6.0): the Qt binding this Krita
embeds, waiting in Krita's event loop, pixels in and out, the plugin's message boxes, and an animated document
drawn as an artist draws it. Shared by scenarios.py, paint_scenario.py and newuser.py, which import it from
beside themselves (tests/hosts/krita is on their sys.path)."""
from __future__ import annotations

import hashlib
import time

from krita import Krita

if int(Krita.instance().version().split(".")[0]) >= 6:  # the binding this Krita embeds: Krita 6 refuses PyQt5
    from PyQt6 import QtCore, QtGui, QtWidgets
else:
    from PyQt5 import QtCore, QtGui, QtWidgets

ADD_KEY = "add_blank_frame"


def spin(seconds: float) -> None:
    """Let Krita's event loop run (a layer made active, a QTimer of the plugin, a save)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)


def wait_until(condition, timeout: float, what: str) -> float:
    """Seconds until `condition()` held, running the event loop meanwhile; TimeoutError after `timeout`."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return time.monotonic() - began


def image_bytes(image: QtGui.QImage) -> bytes:
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    return bytes(pointer)


def digest(data) -> str:
    return hashlib.sha1(bytes(data)).hexdigest()


def save_pixels(data, width: int, height: int, path: str) -> None:
    QtGui.QImage(bytes(data), width, height, width * 4, QtGui.QImage.Format.Format_ARGB32).copy().save(path)


def message_boxes() -> list[str]:
    """Texts of the plugin's open message boxes (then closed, as an artist would)."""
    texts = []
    for widget in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(widget, QtWidgets.QMessageBox) and widget.objectName() == "nakawari_message" \
                and widget.isVisible():
            texts.append(widget.text() + "\n" + widget.informativeText())
            widget.close()
    return texts


def animated_document(window, key_paths: dict[int, str], name: str, shift: dict[int, int] | None = None):
    """A document shown in `window` with one animated paint layer 'ink' holding the keys (frame → PNG), each
    drawn `shift[frame]` px to the right (negative: partly past the canvas's left edge); (document, layer)."""
    app = Krita.instance()
    first = QtGui.QImage(next(iter(key_paths.values())))
    width, height = first.width(), first.height()
    doc = app.createDocument(width, height, name, "RGBA", "U8", "", 72.0)
    window.addView(doc)
    spin(0.3)
    doc.setFullClipRangeEndTime(max(key_paths) + 6)
    layer = doc.createNode("ink", "paintlayer")
    doc.rootNode().addChildNode(layer, None)
    spin(0.2)
    doc.setActiveNode(layer)
    wait_until(lambda: doc.activeNode() is not None and doc.activeNode().name() == "ink", 10, "active layer")
    spin(0.2)
    layer.enableAnimation()
    for t, path in sorted(key_paths.items()):  # as an artist does: go to the frame, add a blank key, draw
        doc.setCurrentTime(t)
        wait_until(lambda t=t: doc.currentTime() == t, 5, f"frame {t}")
        spin(0.05)
        app.action(ADD_KEY).trigger()
        wait_until(lambda t=t: layer.hasKeyframeAtTime(t), 5, f"the key at {t}")
        layer.setPixelData(image_bytes(QtGui.QImage(path)), (shift or {}).get(t, 0), 0, width, height)
    doc.setCurrentTime(0)
    doc.refreshProjection()
    spin(0.3)
    return doc, layer


def close_document(doc) -> None:
    spin(0.6)  # closing right after edits crashed Krita 5.1 in about half the runs
    doc.setModified(False)
    doc.close()
    spin(0.3)
