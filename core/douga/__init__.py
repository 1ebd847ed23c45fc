"""Douga reconstruction: a colour frame → the ten line and fill classes, with fixed-width lines."""
from .schema import CLASSES, LINE_CLASSES, N_CLASSES, class_table, decode, encode

__all__ = ["CLASSES", "LINE_CLASSES", "N_CLASSES", "class_table", "decode", "encode"]
