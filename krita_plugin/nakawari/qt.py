"""The Qt binding Krita runs: PyQt5 for Krita 5, PyQt6 for Krita 6. Every other module imports Qt from here."""
from __future__ import annotations

from krita import Krita

QT_MAJOR = 6 if int(Krita.instance().version().split(".")[0]) >= 6 else 5

if QT_MAJOR == 6:
    from PyQt6 import QtCore, QtGui, QtWidgets  # noqa: F401
else:
    from PyQt5 import QtCore, QtGui, QtWidgets  # noqa: F401

ARGB32 = QtGui.QImage.Format.Format_ARGB32  # Krita's RGBA/U8 bytes (B, G, R, A) on little-endian machines


def image_bytes(image: "QtGui.QImage") -> bytes:
    """The pixel bytes of an ARGB32 image (rows are never padded at 4 bytes a pixel)."""
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    return bytes(pointer)


def image_from_bytes(data: bytes, width: int, height: int) -> "QtGui.QImage":
    """A QImage that owns a copy of `data` (B, G, R, A rows)."""
    return QtGui.QImage(data, width, height, width * 4, ARGB32).copy()
