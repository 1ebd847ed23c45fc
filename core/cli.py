"""`nakawari` command line. Exit status: 0 done, 2 bad input or usage (one line), 1 unexpected (log path),
130 cancelled with Ctrl-C (nothing written)."""
from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from . import __version__
from .errors import BadInput

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus the error; an artist needs one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")


def _float_list(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got '{text}'") from None


def _ease(text: str):  # -> timing.Ease
    from .timing import parse_ease
    try:
        return parse_ease(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nakawari", description="Inbetweens for hand-drawn 2D animation.")
    parser.add_argument("--version", action="version", version=f"nakawari {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("inbetween", help="generate the frames between key drawings")
    run.add_argument("keys", nargs="+", metavar="KEY", help="key drawings in time order (PNG, TIFF, JPEG, WebP)")
    run.add_argument("--out", required=True, help="output folder (created if missing)")
    timing = run.add_mutually_exclusive_group()
    timing.add_argument("--count", type=int, help="inbetweens in every gap between keys (default 1)")
    timing.add_argument("--times", type=_float_list, help="explicit times, e.g. 0.25,0.5,1.5 (keys at 0,1,2,…)")
    run.add_argument("--key-times", type=_float_list, help="times of the keys (default 0,1,2,…)")
    run.add_argument("--mode", default="auto", help="auto | flow | vector (default auto)")
    run.add_argument("--ease", type=_ease, default="linear",
                     help="linear, ease-in, ease-out, ease-in-out (optionally :STRENGTH, e.g. ease-in:3), "
                          "favour-first, favour-last, favour-both (timing-chart halves)")
    run.add_argument("--line-width", type=float, help="output line width in px (default: measured on the keys)")
    run.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    run.add_argument("--resize", default="none", choices=("none", "first"),
                     help="keys of other sizes: refuse (none) or scale to the first key (first)")
    run.add_argument("--name", help="output name (default: the first key's name)")
    run.add_argument("--overwrite", action="store_true", help="replace existing output files")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    demo = commands.add_parser("demo", help="inbetween the bundled sample keys: frames, contact sheet, GIF")
    demo.add_argument("--out", default="nakawari-demo", help="output folder (default ./nakawari-demo)")
    demo.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    demo.add_argument("--overwrite", action="store_true", help="replace existing output files")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")

    bench = commands.add_parser("bench", help="measure quality and speed against baselines")
    from .bench import SUITES
    bench.add_argument("suite", nargs="?", default="inbetween", choices=tuple(SUITES))
    bench.add_argument("--quick", action="store_true", help="fewer, smaller cases (about a minute)")
    bench.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    return parser


def _cmd_inbetween(args: argparse.Namespace) -> int:
    from .jobs.inbetween import InbetweenJob, run_inbetween
    from .progress import TerminalProgress

    job = InbetweenJob(keys=args.keys, out=args.out, count=args.count, times=args.times,
                       key_times=args.key_times, mode=args.mode, ease=args.ease, line_width=args.line_width,
                       device=args.device, resize=args.resize, overwrite=args.overwrite, name=args.name)
    bar = TerminalProgress("inbetween", enabled=False if args.quiet else None)
    try:
        manifest = run_inbetween(job, progress=bar)
    finally:
        bar.close()
    made = sum(not frame["key"] for frame in manifest["frames"])
    print(f"wrote {made} inbetweens ({len(manifest['frames'])} frames, {manifest['mode']} mode on "
          f"{manifest['device']}) to {args.out}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from .jobs.demo import run_demo
    from .progress import TerminalProgress

    bar = TerminalProgress("demo", enabled=False if args.quiet else None)
    try:
        written = run_demo(Path(args.out), device=args.device, overwrite=args.overwrite, progress=bar)
    finally:
        bar.close()
    for path in written:
        print(path)
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench
    return run_bench(args.suite, quick=args.quick, device=args.device)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "inbetween": _cmd_inbetween,
    "demo": _cmd_demo,
    "bench": _cmd_bench,
}


def _log_failure() -> Path:
    folder = Path(os.environ.get("NAKAWARI_LOG_DIR", Path(tempfile.gettempdir()) / "nakawari-logs"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"nakawari-{datetime.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    path.write_text(f"nakawari {__version__}\nargv: {sys.argv}\n\n{traceback.format_exc()}", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # usage errors, --help, --version: return the code instead of exiting
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return COMMANDS[args.command](args)
    except BadInput as error:
        print(f"nakawari: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("nakawari: cancelled; nothing was written", file=sys.stderr)
        return EXIT_CANCELLED
    except MemoryError:
        log = _log_failure()
        print(f"nakawari: ran out of memory; nothing was written (details in {log})", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - the last line of defence: log it, say where
        log = _log_failure()
        print(f"nakawari: unexpected error: {error} (details in {log})", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
