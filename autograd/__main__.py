"""``python -m autograd draw EXPR NAME=VALUE ... -o FILE``: a graph picture for a slide.

    python -m autograd draw "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.8814 -o n.svg
    python -m autograd draw "z1 = sin(x); z2 = x**3; y = z1*z2" x=0.5 -o y.png --steps y.html

The expression is checked against an allow-list (see ``autograd.expr``), never evaluated as
Python. Backward runs, then the picture (format from the extension of -o: .svg .png .pdf .tex
.dot) and, with --steps, the steps (.html player, .gif/.apng/.webp animation, .pdf one page per
step, .tex Beamer overlays) are written: all or nothing, every output is prepared before any
existing file is replaced, and a read-only file is replaced only with --overwrite. --dpi sets the
resolution of PNGs and animations, --theme light, dark or print the look of all of them.
Every refusal (a bad expression or variable, an unknown extension, an unwritable file) exits with
status 2 and one line on stderr. Names are printed with escapes where the terminal's encoding
cannot show them, and with their code points in messages where they go beyond ASCII.
"""

from __future__ import annotations

import argparse
import dataclasses
import keyword
import math
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from backprop_lab import check_autograd

check_autograd()  # where another project's autograd/__init__.py ran first (see backprop_lab.py)

from autograd.core.files import ReadOnlyFileError, write_all_atomically
from autograd.core.format import format_number
from autograd.core.functions import FUNCTIONS
from autograd.core.value import Value
from autograd.expr import ExpressionError, parse_expression
from autograd.pictures.draw import GraphTooLargeError, draw_dot
from autograd.pictures.names import d_name, quoted_name
from autograd.pictures.options import (
    MAX_NODES,
    RANKDIRS,
    SECONDS_PER_STEP,
    PictureOptionError,
    PictureOptions,
    PictureTooLargeError,
)
from autograd.pictures.render import FORMATS, GraphvizError, RendererNotFoundError
from autograd.pictures.themes import THEMES
from autograd.stepthrough.output import (
    PLAYER_MAX_NODES,
    STEPS_EXTENSIONS,
    steps_contents,
    steps_extension,
)
from autograd.stepthrough.trace import trace_backward

PROG = "python -m autograd"
PICTURE_EXTENSIONS = (*(f".{f}" for f in FORMATS), ".tex", ".dot")


class Refusal(Exception):
    """Input the command cannot use: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; one line says it and points to --help.
        if message.startswith("unrecognized arguments: -") and not message.startswith(
                "unrecognized arguments: --"):
            message += ("; an expression starting with '-' goes after the options and --, as "
                        "in: draw -o FILE -- '-x' x=1")
        raise Refusal(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="backprop-lab's command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    draw = commands.add_parser(
        "draw", help="draw the graph of an expression after backward",
        description="Draw the computation graph of an expression after backward. Put -- before "
                    "an expression that starts with '-'.",
        epilog=f'example: {PROG} draw "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 '
               "b=6.8814 -o n.svg")
    draw.add_argument("expression", metavar="EXPR",
                      help="e.g. 'tanh(x*w + b)' or 'z1 = sin(x); z2 = x**3; y = z1*z2' (the "
                           "last statement is the output); functions: " + ", ".join(FUNCTIONS))
    draw.add_argument("variables", metavar="NAME=VALUE", nargs="*",
                      help="a number for each input of the expression")
    draw.add_argument("-o", "--output", required=True, metavar="FILE",
                      help="picture to write: .svg, .png, .pdf, .tex (TikZ) or .dot")
    draw.add_argument("--steps", metavar="FILE",
                      help="also write backward step by step: .html (a player), .gif, .apng or "
                           ".webp (an animation), .pdf (a page per step) or .tex (Beamer)")
    # Options are checked by autograd.pictures.options, as every picture's are (one message
    # per mistake), not by argparse's choices.
    draw.add_argument("--rankdir", default="LR", metavar="{" + ",".join(RANKDIRS) + "}",
                      help="LR: inputs on the left (default); TB: inputs on top")
    draw.add_argument("--dpi", type=float, metavar="N",
                      help="resolution of PNG pictures and animations in dots per inch "
                           "(default 96; 300 for sharp slides)")
    draw.add_argument("--theme", default="light", metavar="{" + ",".join(THEMES) + "}",
                      help="light (default), dark (for dark slides) or print (greyscale, kinds "
                           "told apart by shape)")
    draw.add_argument("--seconds-per-step", type=float, default=2.0, metavar="S",
                      help="how long an animation shows each step (default 2; from "
                           f"{SECONDS_PER_STEP[0]:g} to {SECONDS_PER_STEP[1]:g})")
    draw.add_argument("--overwrite", action="store_true",
                      help="also replace output files that are read-only")
    draw.add_argument("--max-nodes", type=int, metavar="N",
                      help=f"largest graph to draw, in values (default {MAX_NODES}; the step "
                           f"player's limit is {PLAYER_MAX_NODES} unless this is given)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 no renderer, 2 refused)."""
    try:
        parser = _parser()
        args, extra = parser.parse_known_args(argv)
        # NAME=VALUE may also follow the options (draw EXPR -o FILE x=1): argparse leaves those
        # over; anything else left over is an unknown argument.
        unknown = [item for item in extra if item.startswith("-") or "=" not in item]
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.variables += [item for item in extra if item not in unknown]
        return _draw(args)
    except Refusal as refusal:
        return _fail(refusal, 2)
    except (RendererNotFoundError, GraphvizError) as error:
        return _fail(error, 1)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0


def _fail(error: Exception, status: int) -> int:
    _say(f"{PROG}: error: {error}", sys.stderr)
    return status


def _say(line: str, stream: TextIO) -> None:
    """Print ``line``, writing what ``stream``'s encoding cannot show as escapes (``\\u0445``)
    rather than failing once the files are written (PYTHONIOENCODING=ascii, a Windows console)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        line = line.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: ASCII is in every one
        line = line.encode("ascii", "backslashreplace").decode("ascii")
    print(line, file=stream)


def _draw(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() not in PICTURE_EXTENSIONS:
        raise Refusal(f"cannot write {str(output)!r}: unknown extension "
                      f"{output.suffix and repr(output.suffix) or '(none)'}; use one of "
                      f"{', '.join(PICTURE_EXTENSIONS)}")
    steps = Path(args.steps) if args.steps else None
    if steps is not None and steps.suffix.lower() not in STEPS_EXTENSIONS:
        raise Refusal(f"--steps writes the steps as {', '.join(STEPS_EXTENSIONS)}: give a name "
                      f"ending in one of those, not {str(steps)!r}")
    if steps is not None and _same_file(output, steps):
        raise Refusal(f"-o and --steps both name {str(output)!r}: the steps would replace the "
                      f"picture; give the steps a name of their own, such as "
                      f"{str(output.with_name(output.stem + '-steps' + steps.suffix))!r}")
    options = _options(args)
    inputs = {name: Value(number, label=name) for name, number in _variables(args.variables)}
    try:
        root = parse_expression(args.expression).evaluate(inputs)
    except ExpressionError as error:
        raise Refusal(str(error)) from None
    trace = trace_backward(root)
    try:  # both size checks before anything is written
        graph = draw_dot(root, rankdir=options.rankdir, max_nodes=options.max_nodes,
                         theme=options.theme)
        files = [(output, graph.file_contents(output, dpi=options.dpi))]
        if steps is not None:
            steps_options = options
            if args.max_nodes is None:  # the step pictures' own limit
                steps_options = dataclasses.replace(options, max_nodes=PLAYER_MAX_NODES)
            files.append((steps, steps_contents(trace, steps_extension(steps), steps_options)))
    except GraphTooLargeError as error:
        raise Refusal(f"{error} (option --max-nodes)") from None
    except PictureTooLargeError as error:
        raise Refusal(f"{error} (option --dpi)") from None
    try:
        written = write_all_atomically(files, overwrite=args.overwrite)
    except ReadOnlyFileError as error:
        raise Refusal(ReadOnlyFileError(error.path, "add --overwrite").strerror) from None
    except OSError as error:
        raise Refusal(error.strerror or str(error)) from None
    out = trace.output  # named as in the picture and the player (autograd.node_names)
    grads = "".join(f", {d_name(out)}/{d_name(name)} = {format_number(leaf.grad)}"
                    for name, leaf in inputs.items())
    _say(f"wrote {' and '.join(map(str, written))}: {out} = {format_number(root.data)}{grads}",
         sys.stdout)
    return 0


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (``n.pdf`` and ``./n.pdf``; on a case-insensitive
    file system ``N.pdf`` too, where it exists)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _options(args: argparse.Namespace) -> PictureOptions:
    """The picture options given, checked as every picture's are; a mistake is refused with the
    same message as in Python, the option spelled as on the command line (``--max-nodes``)."""
    try:
        return PictureOptions(
            theme=args.theme, rankdir=args.rankdir, dpi=args.dpi,
            max_nodes=MAX_NODES if args.max_nodes is None else args.max_nodes,
            seconds_per_step=args.seconds_per_step)
    except PictureOptionError as error:
        raise Refusal(error.named("--" + error.option.replace("_", "-"))) from None
    except ValueError as error:  # an unknown theme: the message lists the themes
        raise Refusal(str(error)) from None


def _variables(items: Sequence[str]) -> list[tuple[str, float]]:
    """NAME=VALUE arguments as (name, number) pairs, refusing malformed ones."""
    variables: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        # Python reads identifiers in NFKC form (the expression's "ﬁ" is "fi"): so do we.
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep:
            raise Refusal(f"{item!r} is not NAME=VALUE (for example x1=2.0)")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise Refusal(f"{item!r}: {quoted_name(name)} is not a valid name (use letters, "
                          "digits and _, not starting with a digit)")
        if name in FUNCTIONS:
            raise Refusal(f"{item!r}: {quoted_name(name)} is a function's name; use another")
        if name in variables:
            raise Refusal(f"{item!r}: {quoted_name(name)} is given twice")
        try:
            value = float(text)
        except ValueError:
            raise Refusal(f"{item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise Refusal(f"{item!r}: the value must be a finite number")
        variables[name] = value
    return list(variables.items())


if __name__ == "__main__":
    sys.exit(main())
