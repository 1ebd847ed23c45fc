"""Where the artist finds the add-on: the sidebar panel (View3D ▸ N ▸ nakawari), its settings per scene,
and entries in the Grease Pencil menus (legacy and GPv3 menus, whichever this Blender has)."""
# No `from __future__ import annotations`: Blender reads the property annotations of these classes.
from typing import Any

import bpy

from . import op_douga, op_install, plan
from .op_generate import NAKAWARI_OT_generate_inbetweens as Generate

# Draw and Edit mode menus and their Animation submenus, legacy (≤ 4.2) then GPv3 (4.3+) names.
MENUS = ("VIEW3D_MT_gpencil_animation", "VIEW3D_MT_draw_gpencil", "VIEW3D_MT_edit_gpencil",
         "VIEW3D_MT_edit_greasepencil_animation", "VIEW3D_MT_paint_grease_pencil", "VIEW3D_MT_edit_greasepencil")
SETTINGS = ("scope", "layers", "fill", "count", "ease", "arcs")


class NakawariSettings(bpy.types.PropertyGroup):
    """The panel's choices, saved with the scene; the panel's button hands them to the operator."""

    scope: bpy.props.EnumProperty(name="Gaps", items=plan.SCOPES, default="RANGE")
    layers: bpy.props.EnumProperty(name="Layers", items=plan.LAYER_CHOICES, default="ACTIVE")
    fill: bpy.props.EnumProperty(name="Spacing", items=plan.FILLS, default="ONES")
    count: bpy.props.IntProperty(name="Count", default=3, min=1, max=240)
    ease: bpy.props.EnumProperty(name="Ease", items=plan.EASES, default="linear")
    arcs: bpy.props.BoolProperty(name="Arcs through neighbouring keys", default=True)


def generate_button(layout: Any, settings: Any) -> None:
    operator = layout.operator(Generate.bl_idname, icon="GP_MULTIFRAME_EDITING")
    for name in SETTINGS:
        setattr(operator, name, getattr(settings, name))


def douga_buttons(layout: Any) -> None:
    layout.operator(op_douga.NAKAWARI_OT_douga_to_strokes.bl_idname)


class NAKAWARI_PT_sidebar(bpy.types.Panel):
    bl_label = "nakawari"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "nakawari"

    def draw(self, context: Any) -> None:
        layout = self.layout
        settings = context.scene.nakawari_gp
        column = layout.column()
        column.prop(settings, "scope")
        column.prop(settings, "layers")
        column.prop(settings, "fill")
        row = column.row()
        row.enabled = settings.fill == "COUNT"
        row.prop(settings, "count")
        column.prop(settings, "ease")
        column.prop(settings, "arcs")
        if op_install.available() and op_install.engine_missing(context):
            op_install.draw_install(layout)  # a new user's first step
        generate_button(layout, settings)
        douga_buttons(layout)


def menu_entries(self: Any, context: Any) -> None:
    self.layout.separator()
    generate_button(self.layout, context.scene.nakawari_gp)
    douga_buttons(self.layout)


def add_menus() -> None:
    for name in MENUS:
        menu = getattr(bpy.types, name, None)
        if menu is not None:
            menu.append(menu_entries)


def remove_menus() -> None:
    for name in MENUS:
        menu = getattr(bpy.types, name, None)
        if menu is not None:
            menu.remove(menu_entries)


CLASSES = (NakawariSettings, NAKAWARI_PT_sidebar)
