"""nakawari (中割り): inbetweens, cel separation and douga for hand-drawn 2D animation.

Public API (this file stays light so `nakawari --version` and host clients import fast):
- `nakawari.image.read_image` / `write_image`: key drawings in, results out.
- `nakawari.inbetween.inbetween(keys, key_times, times, ...)`: frames between key drawings.
- `nakawari.timing`: spacing and easing shared by every mode.
- `nakawari.jobs.inbetween.run_inbetween`: the whole file-to-file job the CLI runs.
"""
__version__ = "0.1.0"
