"""Add-on preferences: where the nakawari engine is (else $NAKAWARI_ENGINE, else the engine the extension
carries, else `nakawari` on PATH), and which one will run."""
# No `from __future__ import annotations`: Blender reads the property annotations of these classes.
import os
from typing import Any

import bpy

from . import engine, locate, op_install


class NakawariPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__  # "nakawari_gp", or "bl_ext.<repository>.nakawari_gp" as an extension

    engine_path: bpy.props.StringProperty(
        name="Engine", subtype="FILE_PATH",
        description="The `nakawari` program, or the folder (virtual environment) holding it. Empty: the "
                    "NAKAWARI_ENGINE environment variable, then the engine this extension carries, then "
                    "`nakawari` on PATH")
    python_path: bpy.props.StringProperty(
        name="Python", subtype="FILE_PATH",
        description="Python 3.11 or newer to install the engine with (Install Engine). Empty: the usual places")

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.prop(self, "engine_path")
        if op_install.available():
            op_install.draw_install(layout)
            layout.prop(self, "python_path")
        if engine.chosen_command(self.engine_path, locate.carried_engine(), os.environ):
            layout.label(text="Engine: the one this extension carries, run by Blender's Python", icon="CHECKMARK")
            return
        try:
            found = engine.client.find_engine(self.engine_path)
            layout.label(text=f"Engine: {found}", icon="CHECKMARK")
        except engine.EngineError as error:
            layout.label(text=error.message.split(". ")[0], icon="ERROR")
