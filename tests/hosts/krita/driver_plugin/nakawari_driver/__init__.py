"""Test-only Krita plugin, enabled in kritarc: runs a scenario module (scenarios.py, newuser.py) inside a
NORMALLY started Krita. Krita 5.3's and 6.0's kritarunner segfault in openWindow() ("No such XML file
:/kxmlgui5/krita5.xmlgui"), so there the window Krita opens itself is the one the scenario drives.

$NAKAWARI_DRIVER is JSON {"here": folder of the module, "module": name, "args": [...]}. At Krita's start the
module's `at_start(args)` runs (import the nakawari plugin, so its docker is registered before the window
exists); once the window is up, `in_window(window, args)`, which writes its results and ends Krita."""
import importlib
import json
import os
import sys
import traceback

from krita import Krita

SPEC = json.loads(os.environ["NAKAWARI_DRIVER"])
sys.path.insert(0, SPEC["here"])
MODULE = importlib.import_module(SPEC["module"])
try:
    STARTED = MODULE.at_start(SPEC["args"])
except Exception:  # noqa: BLE001 - in_window reports it
    STARTED = RuntimeError(traceback.format_exc())


def _run():
    app = Krita.instance()
    MODULE.in_window(app.activeWindow() or app.windows()[0], SPEC["args"], STARTED)


_STARTED = []


def _window_created():
    if _STARTED:  # Krita 5.3 signals windowCreated more than once: one scenario run only
        return
    _STARTED.append(True)
    from nakawari.qt import QtCore  # the plugin's own binding choice
    QtCore.QTimer.singleShot(1500, _run)


Krita.instance().notifier().windowCreated.connect(_window_created)
