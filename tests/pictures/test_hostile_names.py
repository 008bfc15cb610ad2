"""Labels and names from users: shown escaped, never raw, and never mistaken for another name.

Control characters, NUL, lone surrogates and the like in a label are shown as escapes (``\\x01``)
in pictures, the step player and ``explain``; a label that is not a str is shown as its text;
and the command line neither fails on a terminal that cannot show a name nor lets a
look-alike letter pass for another.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, custom_op, draw_dot, trace_backward
from autograd.__main__ import main
from autograd.pictures.names import printable, quoted_name
from autograd.pictures.render import available_renderer

needs_renderer = pytest.mark.skipif(available_renderer() is None and not os.environ.get("CI"),
                                    reason="no Graphviz renderer")

HOSTILE_LABELS = [
    pytest.param("a\x01b", "a\\x01b", id="control"),
    pytest.param("esc\x1b[31mred", "esc\\x1b[31mred", id="escape-sequence"),
    pytest.param("nul\x00", "nul\\x00", id="nul"),
    pytest.param("half\ud800", "half\\ud800", id="lone-surrogate"),
    pytest.param("rtl\u202eevil", "rtl\\u202eevil", id="bidi-override"),
    pytest.param("two\nlines", "two\\nlines", id="newline"),
    pytest.param("del\x7f", "del\\x7f", id="delete"),
]

SVG = "{http://www.w3.org/2000/svg}"


def graph_with_label(label: str) -> tuple[Value, Value]:
    x = Value(2.0, label="x")
    w = Value(-3.0)
    w.label = label  # as a student would: set after construction
    out = x * w
    out.backward()
    return out, w


def svg_texts_by_node(svg: bytes) -> list[list[str]]:
    """The texts of every node of a Graphviz SVG, one list per node (box or oval)."""
    root = ElementTree.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    return [["".join(t.itertext()) for t in g.iter(f"{SVG}text")] for g in groups]


def assert_printable(text: str) -> None:
    assert all(c.isprintable() or c in "\n" for c in text), repr(text)


# ---------------------------------------------------------------- the escaping itself --------

@pytest.mark.parametrize("label, shown", HOSTILE_LABELS)
def test_unprintable_characters_are_written_as_escapes(label, shown):
    assert printable(label) == shown


def test_printable_text_is_left_alone():
    assert printable("w1 · x₁ ∂L/∂w θ é") == "w1 · x₁ ∂L/∂w θ é"


@given(st.text())
def test_any_text_becomes_printable_text_that_encodes_as_utf8(text):
    shown = printable(text)
    assert shown.isprintable()
    shown.encode("utf-8")
    assert printable(shown) == shown


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)).filter(
    lambda c: c.isprintable() and c != "\\")))
def test_escaping_changes_nothing_printable(text):
    assert printable(text) == text


# ---------------------------------------------------------------- draw_dot --------------------

@pytest.mark.parametrize("label, shown", HOSTILE_LABELS)
def test_draw_dot_shows_hostile_labels_escaped_in_the_dot_text(label, shown):
    out, _ = graph_with_label(label)
    source = draw_dot(out).source
    assert_printable(source)
    in_dot = shown.replace("\\", "\\\\")  # Graphviz shows a doubled backslash as one
    assert f"<b>{in_dot}</b>" in source


@needs_renderer
@pytest.mark.parametrize("label, shown", HOSTILE_LABELS)
def test_draw_dot_renders_hostile_labels_with_the_whole_box(label, shown):
    out, _ = graph_with_label(label)
    boxes = svg_texts_by_node(draw_dot(out).pipe("svg"))
    assert [shown, "data -3.0", "grad 2.0"] in boxes  # label, data and grad all drawn


@needs_renderer
@settings(max_examples=40)
@given(st.text(max_size=12))
def test_any_label_renders_to_valid_svg_showing_it_escaped(label):
    out, _ = graph_with_label(label)
    svg = draw_dot(out).pipe("svg")
    boxes = svg_texts_by_node(svg)
    data_cells = [box for box in boxes if "data -3.0" in box]
    assert len(data_cells) == 1
    if printable(label).strip():
        # Graphviz collapses runs of spaces in a text cell; compare without them.
        assert " ".join(printable(label).split()) in [" ".join(t.split())
                                                       for t in data_cells[0]]


@needs_renderer
@pytest.mark.parametrize("label", ["\\E", "\\N", "a\\\\b", "end\\"])
def test_backslashes_in_a_label_are_drawn_as_written(label):
    # Graphviz reads \N, \E, \\ as escapes of its own, even in HTML-like labels
    out, _ = graph_with_label(label)
    assert [label, "data -3.0", "grad 2.0"] in svg_texts_by_node(draw_dot(out).pipe("svg"))


@pytest.mark.parametrize("label, shown", [(5, "5"), (1.5, "1.5"), (b"w\x01", "b'w\\x01'"),
                                          (["w"], "['w']")], ids=repr)
def test_a_label_that_is_not_text_is_drawn_as_its_text(label, shown):
    out, w = graph_with_label("w")
    w.label = label
    in_dot = html.escape(shown).replace("\\", "\\\\")  # a backslash doubled for Graphviz
    assert f"<b>{in_dot}</b>" in draw_dot(out).source


def test_a_label_set_to_none_is_drawn_as_no_label():
    out, w = graph_with_label("w")
    w.label = None
    source = draw_dot(out).source
    assert "None" not in source and source.count("<b>") == 1  # only x keeps its label


def test_a_label_whose_text_fails_is_drawn_by_its_type():
    class Broken:
        def __str__(self):
            raise RuntimeError("no text")

    out, w = graph_with_label("w")
    w.label = Broken()
    assert "<b>&lt;Broken&gt;</b>" in draw_dot(out).source


def test_an_operation_name_with_control_characters_is_escaped():
    x = Value(1.0, label="x")
    y = custom_op("my\x07op", 2.0, (x,), (2.0,))
    source = draw_dot(y).source
    assert_printable(source)
    assert 'label="my\\\\x07op"' in source  # the escape's backslash, quoted for DOT


# ---------------------------------------------------------------- trace, explain, player ------

@pytest.mark.parametrize("label, shown", HOSTILE_LABELS)
def test_explain_prints_hostile_labels_escaped(label, shown, capsys):
    out, _ = graph_with_label(label)
    trace_backward(out).explain()
    printed = capsys.readouterr().out
    assert_printable(printed)
    assert f"dL/d({shown}) += " in printed


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("label, shown", HOSTILE_LABELS)
def test_the_player_page_shows_hostile_labels_escaped(tmp_path, label, shown):
    out, _ = graph_with_label(label)
    path = tmp_path / "steps.html"
    trace_backward(out).save(path)
    page = path.read_bytes().decode("utf-8")  # a lone surrogate could not have been written
    assert_printable(page)
    reader = _TextOf()
    reader.feed(page)
    text = "".join(reader.text)
    assert f"dL/d({shown}) += dL/dL * d(x * {shown})/d({shown})" in text


@pytest.mark.parametrize("label, shown", [(5, "5"), (None, "leaf1")], ids=repr)
def test_trace_backward_names_a_label_that_is_not_text_by_its_text(label, shown):
    out, w = graph_with_label("w")
    w.label = label
    trace = trace_backward(out)
    assert trace.names[w] == shown
    assert f"dL/d({shown}) += " in str(trace)


# ---------------------------------------------------------------- names in messages -----------

def test_an_ascii_name_is_quoted_as_python_quotes_it():
    assert quoted_name("x1") == "'x1'"


def test_a_look_alike_name_shows_its_code_points():
    assert quoted_name("\u0445") == "'\u0445' (\u0445 is U+0445 CYRILLIC SMALL LETTER HA)"


def test_only_the_characters_beyond_ascii_are_spelled_out():
    assert quoted_name("t\u0430nh") == "'t\u0430nh' (\u0430 is U+0430 CYRILLIC SMALL LETTER A)"


def test_a_cyrillic_name_given_for_a_latin_one_is_shown_for_what_it_is(tmp_path, capsys):
    status = main(["draw", "x*2", "\u0445=1", "-o", str(tmp_path / "n.dot")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "no value given for 'x'" in err
    assert "U+0445 CYRILLIC SMALL LETTER HA" in err


def test_a_look_alike_function_name_is_shown_for_what_it_is(tmp_path, capsys):
    status = main(["draw", "t\u0430nh(x)", "x=1", "-o", str(tmp_path / "n.dot")])
    err = capsys.readouterr().err
    assert status == 2 and "unknown function" in err and "U+0430 CYRILLIC SMALL LETTER A" in err


def test_a_name_given_twice_in_look_alike_forms_is_not_called_the_same(tmp_path, capsys):
    # Two different names that look alike: both are inputs, so both must be given.
    status = main(["draw", "x*\u0445", "x=1", "\u0445=2", "-o", str(tmp_path / "n.dot")])
    assert status == 0
    assert "dL/dx = 2.0, dL/d\u0445 = 1.0" in capsys.readouterr().out


def run_module(*args, cwd, encoding):
    environment = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, "-m", "autograd", *args], capture_output=True,
                          cwd=cwd, timeout=120, env=environment)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_name_the_terminal_cannot_show_is_printed_escaped_not_as_a_traceback(
        tmp_path, encoding):
    done = run_module("draw", "\u0445*\u03b8", "\u0445=2", "\u03b8=3", "-o", "n.dot",
                      cwd=tmp_path, encoding=encoding)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert b"dL/d\\u0445 = 3.0, dL/d\\u03b8 = 2.0" in done.stdout
    assert (tmp_path / "n.dot").exists()


def test_an_error_about_a_name_the_terminal_cannot_show_is_one_escaped_line(tmp_path):
    done = run_module("draw", "x*2", "\u0445=1", "-o", "n.dot", cwd=tmp_path, encoding="ascii")
    assert done.returncode == 2 and done.stdout == b""
    err = done.stderr.decode("ascii")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.search(r"'\\u0445' \(\\u0445 is U\+0445 CYRILLIC SMALL LETTER HA\)", err)
