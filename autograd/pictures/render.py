"""Turning DOT text into pictures: the ``Graph`` object that ``draw_dot`` returns.

Layout is Graphviz's ``dot``. Two ways to reach it, tried in this order:

1. pygraphviz (the ``viz`` extra): its 2.x wheels bundle Graphviz's libraries and lay out
   in-process, so ``pip install`` alone is enough on Linux, macOS and Windows;
2. a ``dot`` program on PATH (a system Graphviz), run as a subprocess;
3. in the browser (Pyodide), Graphviz compiled to WebAssembly: see ``autograd.pictures.wasm``.

With neither, a ``Graph`` still has its DOT text: ``.save("g.dot")`` writes it, and Jupyter shows
it with a one-line install hint; saving an image raises ``RendererNotFoundError``.

A ``Graph`` also answers to the ``graphviz`` package's ``Digraph`` calls that micrograd's notebooks
make: ``.format``, ``.render("gout")`` (writes ``gout`` and ``gout.svg``) and ``.pipe()``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from autograd.core.files import write_all_atomically, write_atomically
from autograd.pictures import wasm
from autograd.pictures.options import check_dpi, check_pixel_budget
from autograd.pictures.tikz import Layout, tikz_document

#: Image formats a ``Graph`` produces, which are also the extensions ``Graph.save`` knows
#: besides ``.dot``.
FORMATS = ("svg", "png", "pdf")
#: The DOT file ``Graph.render()`` writes when given no name (graphviz's is ``Digraph.gv``).
DEFAULT_FILENAME = "graph.gv"
INSTALL_HINT = 'pip install "backprop-lab[viz]"'
#: Formats whose size is in pixels, which ``dpi`` scales (Graphviz's default is 96 dpi).
RASTER_FORMATS = ("png",)

# The fd swap below is process-wide: one layout at a time.
_LAYOUT_LOCK = threading.Lock()


class RendererNotFoundError(RuntimeError):
    """No Graphviz to lay out a picture: neither pygraphviz nor a ``dot`` program."""


class GraphvizError(RuntimeError):
    """Graphviz refused the DOT text (a syntax error, for example); the message is its own."""


def available_renderer() -> str | None:
    """``"pygraphviz"``, the path of a ``dot`` program, or None when there is no renderer."""
    if wasm.IN_BROWSER:
        return wasm.available_renderer()
    try:
        import pygraphviz  # noqa: F401
    except (ImportError, OSError):  # OSError: the wheel's bundled libraries failed to load
        pass
    else:
        return "pygraphviz"
    try:
        import graphviz  # noqa: F401  (it runs the system's dot for us)
    except ImportError:
        return None
    return shutil.which("dot")


def check_format(format: object) -> str:
    """``format`` if it is one of ``FORMATS``, else a ``ValueError`` naming them."""
    if format not in FORMATS:
        raise ValueError(f"cannot draw a {format!r} picture: choose a format among "
                         f"{', '.join(repr(f) for f in FORMATS)}")
    return format  # type: ignore[return-value]


def render(source: str, format: str = "svg", *, dpi: float | None = None) -> bytes:
    """Lay out DOT ``source`` with Graphviz and return the picture (svg, png, pdf).

    ``dpi`` sets a PNG's resolution (Graphviz's default is 96 dots per inch, so ``dpi=300``
    makes it 3.125 times as wide and high); vector formats (svg, pdf) are the same at any dpi.
    A PNG larger than its pixel budget is refused before it is drawn
    (``autograd.pictures.options.check_pixel_budget``), with the dpi that fits.
    """
    check_format(format)
    dpi = check_dpi(dpi)
    if format in RASTER_FORMATS:
        check_raster_size(source, dpi)
        return render_checked_png(source, dpi)
    return _run(source, format)


def render_checked_png(source: str, dpi: float | None) -> bytes:
    """A PNG of ``source`` at ``dpi`` (already checked, its size within budget: see
    ``check_raster_size``), as an animation draws its frames after one check of them all."""
    if dpi is not None:
        source = _with_graph_attribute(source, f"dpi={dpi:g}")
    return _run(source, "png")


def check_raster_size(source: str, dpi: float | None, frames: int = 1,
                      what: str = "a PNG") -> None:
    """Lay ``source`` out and refuse (``PictureTooLargeError``) a bitmap of it at ``dpi``
    (``frames`` of them, for an animation) larger than its pixel budget, before it is drawn:
    the dpi asked for is then the dpi given, as Graphviz never has to shrink it."""
    laid_out = layout(source)
    x0, y0, x1, y1 = laid_out.bounding_box
    # Graphviz pads a bitmap on every side (4 points unless the graph says), and rounds up.
    around = 2 * float(laid_out.graph.get("pad", 0.0555)) * 72 + 12
    check_pixel_budget(x1 - x0 + around, y1 - y0 + around, dpi, frames, what)


def layout(source: str) -> Layout:
    """Graphviz's layout of DOT ``source``: every node's position and size and every edge's
    curve, in points (as ``dot -Tjson0`` gives them)."""
    return Layout.from_json(json.loads(_run(source, "json0")))


def _with_graph_attribute(source: str, attribute: str) -> str:
    """``source`` with a graph attribute added after its opening brace."""
    brace = source.index("{") + 1
    return f"{source[:brace]}\n  graph [{attribute}];{source[brace:]}"


def _run(source: str, format: str) -> bytes:
    renderer = available_renderer()
    if renderer is None:
        what = "lay out the graph" if format == "json0" else f"draw a {format} picture"
        raise RendererNotFoundError(
            f"cannot {what}: no Graphviz renderer (pygraphviz is not installed "
            f"and there is no 'dot' program on PATH); install it with {INSTALL_HINT}, or save "
            "the graph as .dot text")
    if renderer == wasm.RENDERER:
        picture, errors = wasm.render(source, format)
        if errors:
            raise GraphvizError(f"Graphviz could not draw this graph: {' '.join(errors)}")
        return picture
    if renderer == "pygraphviz":
        return _render_in_process(source, format)
    return _render_with_program(source, format)


def _render_in_process(source: str, format: str) -> bytes:
    import pygraphviz

    capture = _StderrCapture()
    try:
        with _LAYOUT_LOCK, capture:
            # A graph's own layout attribute, where it has one, wins over prog (as in the dot
            # program): nn.draw_network's pictures place their nodes themselves, with neato.
            picture = pygraphviz.AGraph(string=source).draw(format=format, prog="dot")
    except Exception as error:  # pygraphviz says little ("Invalid Input"); Graphviz says why
        detail = " ".join(capture.lines()) or str(error)
        raise GraphvizError(f"Graphviz could not draw this graph: {detail}") from error
    for line in capture.lines():
        warnings.warn(f"Graphviz: {line}", RuntimeWarning, stacklevel=3)
    return picture


def _render_with_program(source: str, format: str) -> bytes:
    """Lay out with a system Graphviz's ``dot`` program, which the ``graphviz`` package runs."""
    import graphviz

    try:
        # quiet: dot's stderr holds fontconfig's complaints about the system, not about the graph
        return graphviz.pipe("dot", format, source.encode("utf-8"), quiet=True)
    except graphviz.CalledProcessError as error:
        detail = " ".join(_graphviz_lines(error.stderr or b"")) or f"exit status {error.returncode}"
        raise GraphvizError(f"Graphviz (dot) could not draw this graph: {detail}") from error
    except (OSError, graphviz.ExecutableNotFound) as error:
        raise GraphvizError(f"could not run Graphviz's dot: {error}") from error


def _graphviz_lines(raw: bytes) -> list[str]:
    """Graphviz's messages, without the bundled fontconfig's complaints about the system's
    font configuration (harmless, and not about the graph)."""
    lines = raw.decode("utf-8", "replace").splitlines()
    return [line.strip() for line in lines
            if line.strip() and not line.startswith(("Fontconfig warning", "Fontconfig error"))]


class _StderrCapture:
    """Route file descriptor 2 into a temporary file for the duration of a ``with`` block.

    Graphviz and fontconfig are C libraries: they write to fd 2 directly, past ``sys.stderr``,
    and Jupyter kernels forward fd 2 into the cell's output. Redirecting the descriptor itself is
    the only way to keep "Fontconfig warning: ..." out of a notebook. What was written is then
    sorted: fontconfig noise dropped, anything Graphviz said kept for the caller.
    """

    _captured = b""

    def __enter__(self) -> _StderrCapture:
        self._file = tempfile.TemporaryFile()
        try:
            if sys.stderr is not None:
                sys.stderr.flush()  # what Python wrote before stays before
            self._saved: int | None = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (pythonw) or a closed sys.stderr
            self._saved = None
        else:
            os.dup2(self._file.fileno(), 2)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            os.dup2(self._saved, 2)
            os.close(self._saved)
        self._file.seek(0)
        self._captured = self._file.read()
        self._file.close()

    def lines(self) -> list[str]:
        return _graphviz_lines(self._captured)


def fit_to_width(svg: str) -> str:
    """The SVG, shrunk to the width of the page where it is wider (never enlarged).

    Graphviz sizes its pictures in points; a wide graph inline in a notebook, or in a notebook
    rendered to HTML, would run off the right edge. CSS on the ``<svg>`` element itself travels
    with the picture wherever it is pasted, and the ``viewBox`` keeps the proportions.
    """
    start = svg.find("<svg")
    if start < 0:
        return svg
    return f'{svg[:start]}<svg style="max-width: 100%; height: auto"{svg[start + 4:]}'


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document made fit to sit inside HTML: no XML prologue, doctype or
    comments; no namespace declarations (HTML puts <svg> in the SVG namespace itself, and this
    keeps every URL out of the page); no ids, which would repeat between pictures on a page."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg[start:end]) + svg[end:]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return re.sub(r'(<[^<>]*?)\s+id="[^"]*"', r"\1", svg)


class Graph:
    """A picture of a graph as DOT text, which Graphviz lays out when asked.

    ``Graph(source, format="svg")`` wraps any DOT text; ``autograd.draw_dot`` builds one for a
    computation graph. In Jupyter it displays as SVG (or, without a renderer, as its DOT text with
    an install hint: displaying never raises). ``save(path)`` writes ``.svg``, ``.png``, ``.pdf``
    or ``.dot`` by the path's extension. As graphviz's ``Digraph``: ``format`` is the picture
    format that ``render()`` and ``pipe()`` make unless told another, ``render(filename)`` writes
    the DOT text to ``filename`` and the picture to ``filename.<format>``, and ``pipe()`` returns
    the picture's bytes.
    """

    def __init__(self, source: str, format: str = "svg") -> None:
        if not isinstance(source, str):
            raise TypeError(f"Graph needs DOT text (a str), got {type(source).__name__}")
        self._source = source
        self.format = format
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text."""
        return self._source

    @property
    def format(self) -> str:
        """The picture format ``render()`` and ``pipe()`` make by default: svg, png or pdf."""
        return self._format

    @format.setter
    def format(self, format: str) -> None:
        self._format = check_format(format)

    def pipe(self, format: str | None = None, *, dpi: float | None = None) -> bytes:
        """The picture as bytes, in ``format`` (``"svg"``, ``"png"``, ``"pdf"``; default
        ``self.format``), as graphviz's ``Digraph.pipe``. Nothing is written to disk. ``dpi``:
        a PNG's resolution (see ``autograd.pictures.render.render``)."""
        return render(self._source, self.format if format is None else format, dpi=dpi)

    def render(self, filename: str | os.PathLike | None = None,
               directory: str | os.PathLike | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *,
               overwrite: bool = False) -> str:
        """Write the DOT text to ``filename`` and the picture to ``filename.<format>``, as
        graphviz's ``Digraph.render``; returns the picture's path (``render("gout")`` writes
        ``gout`` and ``gout.svg`` and returns ``"gout.svg"``).

        Args:
            filename: the DOT file's name (default ``"graph.gv"``); the picture's name adds
                ``.<format>`` to it. Missing folders on the way are created, as graphviz does.
            directory: a folder both files go into (``filename`` is then relative to it).
            view: open the picture in the system's viewer afterwards (needs the ``graphviz``
                package, part of the ``viz`` extra).
            cleanup: keep only the picture: the DOT file is not left behind.
            format: ``"svg"``, ``"png"`` or ``"pdf"``; default ``self.format``.
            overwrite: also replace read-only files, as ``save`` (graphviz has no such files'
                protection; here they are left alone unless asked).

        The picture is made before anything is written, and both files are written all or
        nothing (see ``autograd.core.files``): a graph Graphviz refuses, a missing renderer or a
        read-only file leaves them as they were. For one file at a path of your choosing,
        ``save("name.png")``.
        """
        format = self.format if format is None else check_format(format)
        if filename is None:
            filename = DEFAULT_FILENAME
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"render takes a file name (a str or path), got "
                            f"{type(filename).__name__}; for the picture's bytes use pipe()")
        if os.fspath(filename) in FORMATS:
            raise ValueError(f"render({os.fspath(filename)!r}) would write files named "
                             f"{os.fspath(filename)!r} and '{os.fspath(filename)}.{format}': "
                             f"render takes a file name, as graphviz's does; for the picture's "
                             f"bytes use pipe({os.fspath(filename)!r}), to write a file "
                             f"render('name', format={os.fspath(filename)!r})")
        source_path = Path(directory or "", filename)
        picture_path = source_path.with_name(f"{source_path.name}.{format}")
        files = [] if cleanup else [(source_path, self._source)]
        files.append((picture_path, self.pipe(format)))
        source_path.parent.mkdir(parents=True, exist_ok=True)
        write_all_atomically(files, overwrite=overwrite)
        if view:
            _view(picture_path)
        return os.fspath(picture_path)

    def layout(self) -> Layout:
        """Graphviz's layout: the position and size of every node, the curve of every edge."""
        return layout(self._source)

    def save(self, path: str | os.PathLike, *, dpi: float | None = None,
             overwrite: bool = False) -> Path:
        """Write the graph to ``path`` in the format its extension names; returns the path.

        ``.svg``, ``.png``, ``.pdf`` need a renderer (see ``autograd.pictures.render``); ``dpi=300``
        makes a sharp PNG for slides (Graphviz's default is 96; vector formats are the same at
        any dpi). ``.tex`` writes a TikZ picture with Graphviz's layout and LaTeX's text, a
        document ``pdflatex`` compiles on its own. ``.dot`` writes the DOT text and always
        works. The file is written atomically (see ``autograd.core.files``): a failure leaves any
        existing file as it was, a replaced file keeps its permissions, and a read-only one is
        replaced only with ``overwrite=True``.
        """
        return write_atomically(path, self.file_contents(path, dpi=dpi), overwrite=overwrite)

    def file_contents(self, path: str | os.PathLike, *, dpi: float | None = None) -> bytes:
        """The bytes ``save(path)`` writes: the picture in the format of ``path``'s extension
        (``.svg``, ``.png``, ``.pdf``), a LaTeX document for ``.tex``, or the DOT text for
        ``.dot``."""
        path = Path(path)
        extension = path.suffix.lower()
        check_dpi(dpi)
        if extension == ".dot":
            return self._source.encode("utf-8")
        if extension == ".tex":
            return tikz_document(self.layout()).encode("utf-8")
        if extension[1:] in FORMATS:
            return render(self._source, extension[1:], dpi=dpi)
        known = ", ".join(f".{f}" for f in (*FORMATS, "tex", "dot"))
        shown = f"extension {extension!r}" if extension else "no extension"
        raise ValueError(f"cannot save a graph as {str(path)!r}: {shown}; use one of {known}")

    def _repr_svg_(self) -> str | None:
        """SVG for Jupyter, or None when no picture can be made (displaying never raises)."""
        return self._picture()[0]

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        svg, reason = self._picture()
        if svg is not None:
            # Front ends prefer the HTML: the picture inline, where its CSS keeps it within the
            # page (nbconvert puts image/svg+xml in an <img> at its full size in points).
            return {"text/html": inline_svg(svg), "image/svg+xml": svg, "text/plain": repr(self)}
        return {"text/plain": f"{reason}\n{self._source}"}

    def _picture(self) -> tuple[str | None, str]:
        """(the SVG, "") or (None, one line saying why there is no picture)."""
        if self._svg is None:
            try:
                self._svg = fit_to_width(self.pipe("svg").decode("utf-8"))
            except RendererNotFoundError:
                return None, f"No picture: Graphviz is missing. To draw graphs: {INSTALL_HINT}"
            except Exception as error:
                return None, f"No picture: {error}"
        return self._svg, ""

    def __repr__(self) -> str:
        lines = self._source.count("\n") + 1
        return f"<Graph: {lines} lines of DOT; .save('graph.svg') or display it in Jupyter>"


def _view(path: Path) -> None:
    """Open ``path`` in the system's viewer, as graphviz's ``render(view=True)`` does."""
    try:
        import graphviz
    except ImportError:
        raise RendererNotFoundError(
            f"wrote {str(path)!r} but cannot open a viewer: view=True needs the graphviz "
            f"package ({INSTALL_HINT}); open the file yourself") from None
    graphviz.view(os.fspath(path))
