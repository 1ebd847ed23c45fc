"""The Qt binding Krita runs: PyQt5 for Krita 5, PyQt6 for Krita 6 (whose `krita` module refuses PyQt5).
Every other module of the plugin imports Qt from here, and uses only what reads the same on both:
scoped enums (`Qt.AlignmentFlag.AlignLeft`), `QAction` from here, `exec_dialog()` for modal dialogs."""
from __future__ import annotations

from krita import Krita


def qt_major() -> int:
    """Which Qt this Krita embeds: pykrita's own answer where it has one (Krita ≥ 5.3), else Krita's version."""
    try:
        import pykrita  # Krita's plugin support module; Krita 5.1 lacks qt_major_version
        return int(pykrita.qt_major_version())
    except (ImportError, AttributeError, TypeError, ValueError):
        return 6 if int(Krita.instance().version().split(".")[0]) >= 6 else 5


QT_MAJOR = qt_major()

if QT_MAJOR >= 6:
    from PyQt6 import QtCore, QtGui, QtWidgets  # noqa: F401
    from PyQt6.QtGui import QAction  # noqa: F401 - QtWidgets on Qt 5, QtGui on Qt 6
else:
    from PyQt5 import QtCore, QtGui, QtWidgets  # noqa: F401
    from PyQt5.QtWidgets import QAction  # noqa: F401

Signal = QtCore.pyqtSignal
ARGB32 = QtGui.QImage.Format.Format_ARGB32  # Krita's RGBA/U8 bytes (B, G, R, A) on little-endian machines


def exec_dialog(dialog) -> int:
    """A modal dialog's result: `exec()` on Qt 6, `exec_()` on Qt 5 (PyQt5 has both from 5.15; older lacks exec)."""
    run = getattr(dialog, "exec", None) or dialog.exec_
    return int(run())


def open_path(path: str) -> bool:
    """Open a file or folder with the system's viewer (the install log, the engine folder)."""
    return bool(QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path))))


def image_bytes(image: QtGui.QImage) -> bytes:
    """The pixel bytes of an ARGB32 image (rows are never padded at 4 bytes a pixel)."""
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    return bytes(pointer)


def image_from_bytes(data: bytes, width: int, height: int) -> QtGui.QImage:
    """A QImage that owns a copy of `data` (B, G, R, A rows)."""
    return QtGui.QImage(data, width, height, width * 4, ARGB32).copy()
