# Blender's RNA types are open-ended (add-ons add properties, Blender versions differ): attributes beyond
# those named here read as Any.
from typing import Any, ClassVar

class _OpenType(type):
    def __getattr__(cls, name: str) -> Any: ...
    def __setattr__(cls, name: str, value: Any) -> None: ...
    def __delattr__(cls, name: str) -> None: ...

class bpy_struct(metaclass=_OpenType):
    def __getattr__(self, name: str) -> Any: ...

class Operator(bpy_struct):
    bl_idname: ClassVar[str]
    bl_label: ClassVar[str]
    bl_description: ClassVar[str]
    bl_options: ClassVar[set[str]]
    def report(self, type: set[str], message: str) -> None: ...

class Panel(bpy_struct):
    bl_idname: ClassVar[str]
    bl_label: ClassVar[str]
    bl_space_type: ClassVar[str]
    bl_region_type: ClassVar[str]
    bl_category: ClassVar[str]
    layout: Any

class AddonPreferences(bpy_struct):
    bl_idname: ClassVar[str]
    layout: Any

class PropertyGroup(bpy_struct): ...
class Scene(bpy_struct): ...

def __getattr__(name: str) -> Any: ...  # menus and other types looked up by name (`getattr(bpy.types, …)`)
