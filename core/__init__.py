"""nakawari (中割り): inbetweens, cel separation and douga for hand-drawn 2D animation.

Public API (this file stays light so `nakawari --version` and host clients import fast):
- `nakawari.image.read_image` / `write_image`: key drawings in, results out.
- `nakawari.inbetween.inbetween(keys, key_times, times, ...)`: raster frames between key drawings (flow mode).
- `nakawari.strokes.inbetween_strokes(...)`: vector strokes between keys (matching, arcs).
- `nakawari.douga`: the ten douga classes; `nakawari.cels.cel_mask` / `separate_shot`: cel separation.
- `nakawari.timing`: spacing and easing shared by every mode.
- `nakawari.jobs.{inbetween,strokes,douga,cels}`: the whole file-to-file jobs the CLI, the server and the batch run.
- `nakawari.server` / `nakawari.client`: the add-ons' engine protocol (JSON-RPC over stdio).
"""
__version__ = "0.1.0"
