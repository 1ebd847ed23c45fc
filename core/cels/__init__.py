"""Cel separation: split finished frames into the moving cel and the painted background.

- `cel_mask(rgb)`: one frame → bool mask (True = cel), from what a cel looks like (`single`).
- `separate_shot(frames)`: frames of one cut → masks, background plate and held cels, from what moves (`shot`).
- `score`: accuracy, IoU and the confusion matrix used to measure both.
"""
from .shot import ShotSeparation, separate_shot
from .single import cel_mask

__all__ = ["ShotSeparation", "cel_mask", "separate_shot"]
