from . import timers as timers

background: bool
online_access: bool  # Blender 4.2+
version: tuple[int, int, int]
version_string: str
