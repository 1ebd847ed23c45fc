"""Douga to strokes: an image → the engine's douga → Grease Pencil strokes, one material per class.

Placeholder so the add-on's registration imports; the operator lands next.
"""
CLASSES: tuple = ()
