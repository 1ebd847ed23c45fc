"""Add-on preferences: where the nakawari engine is (else $NAKAWARI_ENGINE, else `nakawari` on PATH)."""
# No `from __future__ import annotations`: Blender reads the property annotations of these classes.
from typing import Any

import bpy

from . import engine


class NakawariPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__  # "nakawari_gp", or "bl_ext.<repository>.nakawari_gp" as an extension

    engine_path: bpy.props.StringProperty(
        name="Engine", subtype="FILE_PATH",
        description="The `nakawari` program, or the folder (virtual environment) holding it. Empty: the "
                    "NAKAWARI_ENGINE environment variable, then `nakawari` on PATH")

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.prop(self, "engine_path")
        try:
            found = engine.client.find_engine(self.engine_path)
            layout.label(text=f"Engine: {found}", icon="CHECKMARK")
        except engine.EngineError as error:
            layout.label(text=error.message.split(". ")[0], icon="ERROR")
