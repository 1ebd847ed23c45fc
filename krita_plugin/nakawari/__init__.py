"""nakawari for Krita: Generate inbetweens, Separate cels, Extract douga — with the nakawari engine.

Module map: `plan` (what to generate; plain Python), `settings`, `task` (an engine call on a thread), `client`
(copied from the engine by `nakawari package`), and the Krita/Qt adapters `qt`, `document`, `controller`,
`docker`, `extension`. Imported outside Krita (unit tests), it registers nothing.
"""
try:
    import krita  # noqa: F401
except ImportError:
    krita = None

if krita is not None:
    from .extension import register

    register()
