# Type stubs for the part of Blender's `bpy` the nakawari_gp add-on uses (Blender 3.4 – 5.x), for mypy only:
# Blender's data (objects, materials, Grease Pencil) is left open (`Any`), as the add-on reads it through
# `gp_data`'s adapters. Checked by tests/hosts/typecheck.py (docs/typecheck.md).
from typing import Any

from . import app as app
from . import path as path
from . import props as props
from . import types as types
from . import utils as utils

context: Any
data: Any
