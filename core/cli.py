"""`nakawari` command line. Exit status: 0 done, 2 bad input or usage (one line), 1 unexpected (log path),
130 cancelled with Ctrl-C (nothing written)."""
from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .bench import SUITES, run_bench
from .client import frames_to_check
from .errors import BadInput
from .jobs import registry
from .logs import write_failure_log
from .progress import TerminalProgress

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130
# What only one command needs (OpenCV, pyblish, the training code, the engine's loop): imported by name when that
# command runs, as the job registry imports jobs, so `nakawari --help` and the other commands never wait for it.
COMMAND_MODULES = {"batch": "nakawari.batch", "package": "nakawari.package", "train": "nakawari.learned.train",
                   "export": "nakawari.learned.export", "frames_train": "nakawari.learned.frames_train",
                   "serve": "nakawari.server"}


def _module(name: str) -> Any:
    return importlib.import_module(COMMAND_MODULES[name])


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus the error; an artist needs one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")


def _float_list(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got '{text}'") from None


def _ease(text: str) -> Any:  # -> timing.Ease
    """--ease, read by the inbetween job's parser (`timing.parse_ease`): given only to a command that runs it."""
    try:
        return registry.job("inbetween").load().parse_ease(text)
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
    run.add_argument("--mode", default="auto", help="auto | flow | vector | learned | frames (default auto)")
    run.add_argument("--ease", type=_ease,  # default: linear (the job's)
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

    batch = commands.add_parser("batch", help="publish whole shots with pyblish into versioned folders")
    batch.add_argument("shots", nargs="+", metavar="SHOT_DIR", help="shot folders of keys name.####.png (+ shot.json)")
    batch.add_argument("--publish-root", required=True, help="publishes go to PUBLISH_ROOT/<shot>/v001, v002, …")
    batch.add_argument("--jobs", default="inbetween", type=lambda text: [j.strip() for j in text.split(",")],
                       help="jobs for shots whose shot.json names none: inbetween,douga,cels,paint (default inbetween)")
    batch.add_argument("--workers", type=int, help="shots at a time (default: CPU cores)")
    batch.add_argument("--ray", metavar="ADDRESS", help="run each shot as a Ray task: local, auto or ray://HOST:PORT")
    batch.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    batch.add_argument("--quiet", action="store_true", help="no progress bar")

    douga = commands.add_parser("douga", help="colour frames → douga: ten line and fill classes, fixed-width lines")
    douga.add_argument("frames", nargs="*", metavar="FRAME", help="colour frames (PNG, TIFF, JPEG, WebP)")
    douga.add_argument("--out", help="output folder (created if missing)")
    douga.add_argument("--line-width", type=float, default=3.0, help="width of the redrawn lines in px (default 3)")
    douga.add_argument("--raw", action="store_true", help="skip the fixed-width post-processor")
    douga.add_argument("--book", metavar="LAYER", help="the shot's static foreground layer (RGBA, frame size): "
                       "its pixels become book lines and fills")
    douga.add_argument("--strokes", action="store_true",
                       help="also write <stem>.strokes.json: the douga as vector strokes, one material per class")
    douga.add_argument("--list-classes", action="store_true", help="print the classes and their colours, then exit")
    douga.add_argument("--overwrite", action="store_true", help="replace existing output files")
    douga.add_argument("--quiet", action="store_true", help="no progress bar")

    cels = commands.add_parser("cels", help="separate finished frames into cel masks, cel layers and a background")
    cels.add_argument("frames", nargs="+", metavar="FRAME", help="finished frames (PNG, TIFF, JPEG, WebP); "
                      "two or more are one shot")
    cels.add_argument("--out", required=True, help="output folder (created if missing)")
    cels.add_argument("--mode", default="auto", choices=("auto", "single", "shot"),
                      help="shot: the frames are one cut (camera, plate, motion); single: each frame on its own; "
                           "auto (default): shot for two or more frames, single for one")
    cels.add_argument("--overwrite", action="store_true", help="replace existing output files")
    cels.add_argument("--quiet", action="store_true", help="no progress bar")

    paint = commands.add_parser("paint", help="paint every line frame from painted keys (exact palette colours)")
    paint.add_argument("lines", nargs="+", metavar="LINE", help="line frames: files or a frame pattern "
                       "(line/cut.####.png)")
    paint.add_argument("--painted", nargs="+", required=True, metavar="PAINTED",
                       help="painted keys: files or a frame pattern; each belongs to the line frame with its number")
    paint.add_argument("--out", required=True, help="output folder (created if missing)")
    paint.add_argument("--gap", type=float, default=4.0, metavar="PX",
                       help="close gaps in the lines up to this wide (default 4 px)")
    paint.add_argument("--unmatched", default="transparent", metavar="COLOUR",
                       help="colour of areas with no sure match: transparent (default), #rrggbb or r,g,b")
    paint.add_argument("--layer", default="full", choices=("full", "fill"),
                       help="full: the lines over the fills (default); "
                            "fill: the fills alone, for a layer under the lines")
    paint.add_argument("--overwrite", action="store_true", help="replace existing output files")
    paint.add_argument("--quiet", action="store_true", help="no progress bar")

    strokes = commands.add_parser("strokes", help="inbetween vector strokes: JSON keys in, JSON inbetweens out")
    strokes.add_argument("request", metavar="IN.json", help="stroke keys (schema in the README); - reads stdin")
    strokes.add_argument("--out", required=True, help="response file (OUT.json); - writes stdout")
    stroke_timing = strokes.add_mutually_exclusive_group()
    stroke_timing.add_argument("--count", type=int, help="inbetweens in every gap (overrides the request's)")
    stroke_timing.add_argument("--times", type=_float_list, help="explicit times (overrides the request's)")
    strokes.add_argument("--ease", help="easing for --count, as for inbetween (overrides the request's)")
    strokes.add_argument("--unmatched", choices=("fade", "draw"), help="strokes without a partner fade (default) "
                         "or draw on/off")
    strokes.add_argument("--order-hint", action="store_true", help="the keys' strokes were drawn in the same "
                         "order: use it to tell twin parts apart")
    strokes.add_argument("--keep-pieces", action="store_true", help="do not join a line drawn as several strokes "
                         "end to end in one key (join_pieces: false)")
    strokes.add_argument("--overwrite", action="store_true", help="replace an existing output file")

    bench = commands.add_parser("bench", help="measure quality and speed against baselines")
    bench.add_argument("suite", nargs="?", default="inbetween", choices=tuple(SUITES))
    bench.add_argument("--quick", action="store_true", help="fewer, smaller cases (about a minute)")
    bench.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    bench.add_argument("folder", nargs="?", metavar="DIR", help="bench real: folder of numbered sequences "
                       "(<set>/<name>.####.png; frames i, i+2 are keys and i+1 the truth); bench douga: "
                       "illustrations with region maps (<case>/image.png + <case>/regions.png); bench paint: "
                       "line/<name>.####.png + colour/<name>.####.png (the first colour frame is the key)")
    bench.add_argument("--out", help="bench real: report folder (default ./nakawari-bench-real)")
    bench.add_argument("--modes", default="auto,flow", help="bench real: nakawari modes to score (default auto,flow)")
    bench.add_argument("--overwrite", action="store_true", help="bench real: replace an existing report")

    train = commands.add_parser("train", help="train the learned inbetweening model, export it (needs the train extra)")
    targets = train.add_subparsers(dest="target", metavar="TARGET", parser_class=_Parser, required=True)
    learn = targets.add_parser("inbetween", help="train on synthetic line art and cels (resumes from --out)")
    learn.add_argument("--out", required=True, help="run folder: checkpoint.pt, log.jsonl, recipe.json")
    learn.add_argument("--steps", type=int, default=3000, help="optimiser steps in all (default 3000)")
    learn.add_argument("--batch-size", type=int, default=8)
    learn.add_argument("--seed", type=int, default=0)
    learn.add_argument("--long-side", type=int, default=480, help="network working size, long side in px (default 480)")
    learn.add_argument("--render-size", default="960x540", help="synthetic frames drawn at WxH (default 960x540)")
    learn.add_argument("--lr", type=float, default=2e-3)
    learn.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    learn.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    learn.add_argument("--pool", type=int, default=64, help="training samples held, partly renewed each step")
    learn.add_argument("--workers", type=int, default=0,
                       help="processes making samples beside training (default 0: repeatable to the bit)")
    learn.add_argument("--seconds", type=float, default=0.0,
                       help="also stop after this many seconds, the learning rate decaying over them "
                            "(default: no limit)")
    learn.add_argument("--log-every", type=int, default=25, help="log (and validate) every this many steps")
    frames = targets.add_parser("frames", help="the colour frames' refinement: train on synthetic shots, export "
                                "frames.onnx and frames.json (sha256) to --out")
    frames.add_argument("--out", required=True, help="folder for frames.pt, frames.onnx, frames.json")
    frames.add_argument("--steps", type=int, default=2500, help="optimiser steps (default 2500)")
    frames.add_argument("--shots", type=int, default=40, help="synthetic shots drawn for training (default 40)")
    frames.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    export = targets.add_parser("export", help="checkpoint → ONNX + weights + manifest (sha256) in --out")
    export.add_argument("checkpoint", help="checkpoint.pt from nakawari train inbetween")
    export.add_argument("--out", required=True, help="folder for inbetween.onnx, inbetween.npz, inbetween.json")

    commands.add_parser("serve", help="the engine for the Krita and Blender add-ons (JSON-RPC on stdin/stdout)")

    package = commands.add_parser("package", help="build the add-on zips into dist/")
    package.add_argument("--out", default="dist", help="output folder (default ./dist)")
    package.add_argument("--overwrite", action="store_true", help="replace existing zips")
    return parser


def _cmd_inbetween(args: argparse.Namespace) -> int:
    spec = registry.job("inbetween")
    job = spec.make(keys=args.keys, out=args.out, count=args.count, times=args.times,
                    key_times=args.key_times, mode=args.mode, line_width=args.line_width, device=args.device,
                    resize=args.resize, overwrite=args.overwrite, name=args.name,
                    **({} if args.ease is None else {"ease": args.ease}))
    bar = TerminalProgress("inbetween", enabled=False if args.quiet else None)
    try:
        manifest = spec.run(job, progress=bar)
    finally:
        bar.close()
    made = [frame for frame in manifest["frames"] if not frame["key"]]
    print(f"wrote {len(made)} inbetweens ({len(manifest['frames'])} frames, {manifest['mode']} mode on "
          f"{manifest['device']}) to {args.out}", flush=True)
    _say_warnings_and_checks(manifest, [(frame["file"], frame) for frame in made])
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    spec = registry.job("demo")
    bar = TerminalProgress("demo", enabled=False if args.quiet else None)
    try:
        written = spec.run(spec.make(out=Path(args.out), device=args.device, overwrite=args.overwrite), progress=bar)
    finally:
        bar.close()
    for path in written:
        print(path)
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:
    batch = _module("batch")
    bar = TerminalProgress("batch", enabled=False if args.quiet else None)
    try:
        results = batch.run_batch(args.shots, args.publish_root, jobs=args.jobs, workers=args.workers,
                                  ray_address=args.ray, device=args.device, progress=bar)
    except KeyboardInterrupt:
        print("nakawari: cancelled; shots already published stay published, no other version was written",
              file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        bar.close()
    print(batch.summary_table(results))
    return int(batch.exit_status(results))


def _cmd_douga(args: argparse.Namespace) -> int:
    spec = registry.job("douga")
    if args.list_classes:
        for line in spec.load().class_lines():
            print(line)
        return EXIT_OK
    if not args.frames or not args.out:
        raise BadInput("douga needs FRAME… and --out DIR (or --list-classes)")
    bar = TerminalProgress("douga", enabled=False if args.quiet else None)
    try:
        manifest = spec.run(spec.make(frames=args.frames, out=args.out, line_width=args.line_width, raw=args.raw,
                                      overwrite=args.overwrite, book=args.book, strokes=args.strokes),
                            progress=bar)
    finally:
        bar.close()
    print(f"wrote douga of {len(manifest['frames'])} frames to {args.out}")
    return EXIT_OK


def _cmd_cels(args: argparse.Namespace) -> int:
    spec = registry.job("cels")
    bar = TerminalProgress("cels", enabled=False if args.quiet else None)
    try:
        manifest = spec.run(spec.make(frames=args.frames, out=args.out, overwrite=args.overwrite, mode=args.mode),
                            progress=bar)
    finally:
        bar.close()
    held = len(manifest.get("held_cels", []))
    shot = f", background plate ({manifest['camera']} camera, {held} held cel{'s' * (held != 1)})" \
        if manifest["mode"] == "shot" else ""
    print(f"wrote masks and cel layers for {len(manifest['frames'])} frame(s) in {manifest['mode']} mode{shot} "
          f"to {args.out}")
    return EXIT_OK


def _cmd_paint(args: argparse.Namespace) -> int:
    spec = registry.job("paint")
    job = spec.make(lines=args.lines, painted=args.painted, out=args.out, gap=args.gap, unmatched=args.unmatched,
                    layer=args.layer, overwrite=args.overwrite)
    bar = TerminalProgress("paint", enabled=False if args.quiet else None)
    try:
        manifest = spec.run(job, progress=bar)
    finally:
        bar.close()
    frames = manifest["frames"]
    left = sum(len(frame["unmatched"]) for frame in frames)
    print(f"painted {len(frames)} frames from {len(manifest['keys'])} key(s) to {args.out}"
          + (f"; {left} area(s) left unpainted (listed in manifest.json)" if left else ""), flush=True)
    _say_warnings_and_checks(manifest, [(frame["frame"], frame) for frame in frames if not frame["key"]])
    return EXIT_OK


def _say_warnings_and_checks(manifest: dict, placed: list[tuple[int | str, dict]]) -> None:
    """After the summary line: the manifest's warnings, then the one line naming the frames to check."""
    for warning in manifest.get("warnings", []):
        print(f"nakawari: warning: {warning}", file=sys.stderr)
    to_check = frames_to_check(placed)
    if to_check:
        print(f"nakawari: {to_check}", file=sys.stderr)


def _cmd_strokes(args: argparse.Namespace) -> int:
    spec = registry.job("strokes.inbetween")
    strokes = spec.load()  # its request reader and response writer too
    request = strokes.read_request(args.request)
    if args.count is not None or args.times is not None:
        request.pop("count", None)
        request.pop("times", None)
        request.update({"count": args.count} if args.count is not None else {"times": args.times})
    for option in ("ease", "unmatched"):
        if getattr(args, option) is not None:
            request[option] = getattr(args, option)
    if args.order_hint:
        request["order_hint"] = True
    if args.keep_pieces:
        request["join_pieces"] = False
    response = spec.run(request)
    strokes.write_response(response, args.out, overwrite=args.overwrite, source=args.request)
    if args.out != "-":
        made = sum(not frame["key"] for frame in response["frames"])
        print(f"wrote {made} inbetweens of {len(response['key_times'])} keys to {args.out}")
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.suite == "real":
        return run_bench("real", quick=args.quick, device=args.device, folder=args.folder, out=args.out,
                         modes=args.modes.split(","), overwrite=args.overwrite)
    if args.suite == "douga" and args.out is None and not args.overwrite:  # optional real region maps
        return run_bench("douga", quick=args.quick, device=args.device, real=args.folder)
    if args.suite == "cels" and not args.overwrite:  # optional real frames: contact sheets into --out
        return run_bench("cels", quick=args.quick, device=args.device, real=args.folder, out=args.out)
    if args.suite == "paint" and args.out is None and not args.overwrite:  # optional folder: line/ + colour/
        return run_bench("paint", quick=args.quick, device=args.device, real=args.folder)
    if args.folder is not None or args.out is not None or args.overwrite:
        raise BadInput(f"bench {args.suite} takes no folder, --out or --overwrite "
                       "(only bench real does; bench cels takes a folder and --out, bench douga a folder)")
    return run_bench(args.suite, quick=args.quick, device=args.device)


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise BadInput("nakawari train needs torch: pip install 'nakawari[train]'") from None
    if args.target == "export":
        checkpoint = Path(args.checkpoint)
        if not checkpoint.is_file():
            raise BadInput("no such checkpoint", checkpoint)
        print(_module("export").export(checkpoint, Path(args.out)))
        return EXIT_OK
    if args.target == "frames":
        if min(args.steps, args.shots, args.threads) < 1:
            raise BadInput("--steps, --shots and --threads must be positive")
        frames = _module("frames_train")
        out = Path(args.out)
        recipe = frames.Recipe(steps=args.steps, shots=args.shots, threads=args.threads)
        print(frames.export(frames.train(out, recipe), out))
        return EXIT_OK
    training = _module("train")
    try:
        width, height = (int(v) for v in args.render_size.lower().split("x"))
    except ValueError:
        raise BadInput(f"--render-size must look like 960x540, got '{args.render_size}'") from None
    if min(args.steps, args.batch_size, args.long_side, width, height, args.threads, args.pool) < 1 or args.workers < 0:
        raise BadInput("--steps, --batch-size, --long-side, --render-size, --threads and --pool must be positive, "
                       "--workers zero or more")
    recipe = training.Recipe(steps=args.steps, batch_size=args.batch_size, seed=args.seed, long_side=args.long_side,
                             render_size=(width, height), lr=args.lr, threads=args.threads, device=args.device,
                             pool=args.pool, workers=args.workers, seconds=max(0.0, args.seconds),
                             log_every=max(1, args.log_every))
    try:
        record = training.train(Path(args.out), recipe)
    except ValueError as error:
        raise BadInput(str(error)) from None
    print(f"trained to step {record.get('step')}: loss {record.get('loss', float('nan')):.4f}, "
          f"validation {record.get('validation', float('nan')):.4f}; checkpoint in {args.out}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    return int(_module("serve").serve())


def _cmd_package(args: argparse.Namespace) -> int:
    for path in _module("package").build_packages(Path(args.out), overwrite=args.overwrite):
        print(path)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "inbetween": _cmd_inbetween,
    "demo": _cmd_demo,
    "batch": _cmd_batch,
    "bench": _cmd_bench,
    "strokes": _cmd_strokes,
    "cels": _cmd_cels,
    "douga": _cmd_douga,
    "paint": _cmd_paint,
    "train": _cmd_train,
    "serve": _cmd_serve,
    "package": _cmd_package,
}


def _log_failure() -> Path:
    return write_failure_log("nakawari", f"nakawari {__version__}\nargv: {sys.argv}\n\n{traceback.format_exc()}")


def _committed() -> list[Path]:
    """Output folders finished in this process (`output.committed`), without importing the output module."""
    output = sys.modules.get("nakawari.output")  # imported (and so maybe committed) only by writing commands
    return output.committed() if output is not None else []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        # argparse fills optional positionals in one go: `bench douga --quick DIR` leaves DIR over.
        if args.command == "bench" and args.folder is None and len(extra) == 1 and not extra[0].startswith("-"):
            args.folder, extra = extra[0], []
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as stop:  # usage errors, --help, --version: return the code instead of exiting
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
    except Exception as error:  # noqa: BLE001 - reading --ease loads the inbetween job: a broken install
        return _unexpected(error)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    already = len(_committed())
    try:
        return COMMANDS[args.command](args)
    except BadInput as error:
        print(f"nakawari: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        written = _committed()[already:]
        if written:  # Ctrl-C came after the results were complete: they stay, and the run succeeded
            print(f"nakawari: interrupted after the results were complete; they are kept in "
                  f"{', '.join(map(str, written))}", file=sys.stderr)
            return EXIT_OK
        print("nakawari: cancelled; nothing was written", file=sys.stderr)
        return EXIT_CANCELLED
    except MemoryError:
        log = _log_failure()
        print(f"nakawari: ran out of memory; nothing was written (details in {log})", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - the last line of defence: log it, say where
        return _unexpected(error)


def _unexpected(error: Exception) -> int:
    log = _log_failure()
    print(f"nakawari: unexpected error: {error} (details in {log})", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
