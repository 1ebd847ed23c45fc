"""nakawari for Krita: Generate inbetweens, Paint from keys, Separate cels, Extract douga — with its engine.

Module map: `plan` (what to generate; plain Python), `paint_plan` (what to paint; plain Python), `settings`,
`task` (an engine call on a thread), `client` (copied from the engine by `nakawari package`), and the Krita/Qt
adapters `qt`, `document`, `controller`, `docker`, `extension`. Imported outside Krita (unit tests), it
registers nothing.
"""
try:
    import krita  # noqa: F401
except ImportError:
    krita = None  # type: ignore[assignment]  # outside Krita (unit tests): register nothing

if krita is not None:
    import signal

    from .extension import register

    # Krita 6's embedded Python leaves SIGPIPE at its default (end the process), unlike a Python program: an
    # engine path that exits before reading its request (a wrong program set by hand) killed Krita with exit
    # status 141 when the client wrote to it. Ignored, the write fails with EPIPE and the artist gets a message.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    register()
