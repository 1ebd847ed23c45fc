"""Test-only Krita plugin, enabled in kritarc beside nakawari: once Krita's window is up, it records what
the nakawari plugin registered (docker, actions, menu entries), grabs the docker, and quits Krita."""
import json
import os
import sys
import traceback

from krita import Krita

if int(Krita.instance().version().split(".")[0]) >= 6:  # the binding this Krita embeds: Krita 6 refuses PyQt5
    from PyQt6 import QtCore, QtWidgets
else:
    from PyQt5 import QtCore, QtWidgets

OUT = os.environ["NAKAWARI_PROBE_OUT"]
ACTIONS = ("nakawari_generate_inbetweens", "nakawari_separate_cels", "nakawari_extract_douga",
           "nakawari_paint_from_keys", "nakawari_cancel")


def _report():
    found = {}
    try:
        app = Krita.instance()
        window = app.activeWindow() or app.windows()[0]
        found["plugin_module"] = getattr(sys.modules.get("nakawari"), "__file__", None)
        found["actions"] = {}
        for name in ACTIONS:
            action = app.action(name)
            found["actions"][name] = None if action is None else {
                "text": action.text(), "shortcut": action.shortcut().toString()}
        scripts = [a for a in window.qwindow().menuBar().actions() if a.objectName() == "tools" or
                   a.text().replace("&", "") == "Tools"]
        entries = []
        for tools in scripts:
            for sub in tools.menu().actions():
                if sub.menu() is not None and sub.text().replace("&", "") == "Scripts":
                    entries = [a.objectName() for a in sub.menu().actions()]
        found["tools_scripts_menu"] = entries
        dockers = [d for d in window.qwindow().findChildren(QtWidgets.QDockWidget)
                   if type(d).__name__ == "NakawariDocker"]
        found["docker"] = {"count": len(dockers), "title": dockers[0].windowTitle() if dockers else None}
        if dockers:
            dockers[0].show()
            found["docker"]["buttons"] = [b.text() for b in dockers[0].findChildren(QtWidgets.QPushButton)]
    except Exception:
        found["error"] = traceback.format_exc()
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(found, handle, indent=1)
    os._exit(0)


def _when_window(*_args):
    QtCore.QTimer.singleShot(1500, _report)


Krita.instance().notifier().windowCreated.connect(_when_window)
QtCore.QTimer.singleShot(60000, lambda: os._exit(3))  # never hang a test run
