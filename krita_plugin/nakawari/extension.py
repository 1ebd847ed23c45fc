"""Registers the plugin with Krita: actions under Tools ▸ Scripts (shortcuts in nakawari.action) and the docker."""
from __future__ import annotations

from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita

from .controller import Controller

ACTIONS = (("nakawari_generate_inbetweens", "nakawari: Generate Inbetweens", "generate_inbetweens"),
           ("nakawari_separate_cels", "nakawari: Separate Cels (current frame)", "separate_cels"),
           ("nakawari_extract_douga", "nakawari: Extract Douga (current frame)", "extract_douga"),
           ("nakawari_paint_from_keys", "nakawari: Paint from Keys", "paint_from_keys"),
           ("nakawari_cancel", "nakawari: Cancel", "cancel"))

_controller: Controller | None = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller()
        Krita.instance().notifier().applicationClosing.connect(_controller.shutdown)
    return _controller


class NakawariExtension(Extension):
    def __init__(self, parent) -> None:
        super().__init__(parent)

    def setup(self) -> None:
        pass

    def createActions(self, window) -> None:
        for name, text, method in ACTIONS:
            action = window.createAction(name, text, "tools/scripts")
            action.triggered.connect(getattr(controller(), method))


def register() -> None:
    from .docker import DOCKER_ID, NakawariDocker

    app = Krita.instance()
    app.addExtension(NakawariExtension(app))
    app.addDockWidgetFactory(DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockPosition.DockRight,
                                               NakawariDocker))
