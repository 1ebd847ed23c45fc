"""The plugin's settings, persisted through Krita's settings (any read/write pair of string functions)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from .paint_plan import PAINT_TARGETS
from .plan import EASES, FILLS, MODES, TARGETS

GROUP = "nakawari"


@dataclass
class Settings:
    engine: str = ""             # path of the `nakawari` program; empty: $NAKAWARI_ENGINE, then PATH
    fill: str = "every"
    count: int = 3
    ease: str = "linear"
    mode: str = "auto"
    target: str = "new_layer"
    line_width: float = 3.0      # douga line width in px
    python: str = ""             # the Python ≥ 3.11 Install engine builds with; empty: the usual places
    gpu: bool = False            # Install engine with onnxruntime's CUDA build (+255 MB), only when ticked
    colour_layer: str = ""       # Paint from keys: the layer of painted keys; empty: found by name next to the lines
    paint_gap: float = 4.0       # Paint from keys: line gaps up to this many px still close an area
    paint_target: str = "empty_frames"

    @classmethod
    def load(cls, read: Callable[[str, str, str], str]) -> Settings:
        """`read(group, key, default)` as Krita.instance().readSetting; bad stored values fall back to defaults."""
        settings = cls()
        for spec in fields(cls):
            default = getattr(settings, spec.name)
            text = read(GROUP, spec.name, str(default))
            try:
                # bool("False") is True: Krita stores every setting as text
                value = text.strip().lower() == "true" if isinstance(default, bool) else type(default)(text)
            except (TypeError, ValueError):
                value = default
            setattr(settings, spec.name, value)
        for name, allowed in (("fill", FILLS), ("ease", EASES), ("mode", MODES), ("target", TARGETS),
                               ("paint_target", PAINT_TARGETS)):
            if getattr(settings, name) not in allowed:
                setattr(settings, name, getattr(cls(), name))
        settings.count = max(1, min(settings.count, 99))
        settings.line_width = max(0.5, min(settings.line_width, 50.0))
        settings.paint_gap = max(0.0, min(settings.paint_gap, 64.0))
        return settings

    def save(self, write: Callable[[str, str, str], None]) -> None:
        for name, value in asdict(self).items():
            write(GROUP, name, str(value))
