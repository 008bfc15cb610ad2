"""The options every picture takes (theme, rankdir, dpi, max_nodes, seconds_per_step): one checked
record, one message per mistake, whichever door the picture is asked for at."""

import dataclasses

import pytest

from autograd import Value, check_dpi, draw_dot, exercise, mistakes, trace_backward
from autograd.__main__ import main
from autograd.pictures.options import PictureOptionError, PictureOptions
from autograd.pictures.themes import THEMES


def neuron():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w + 1).tanh()
    y.label = "y"
    return y


#: Each mistake, and the one message it gets.
MISTAKES = {
    "rankdir": ("RL", "rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got 'RL'"),
    "dpi": (0, "dpi must be a number of dots per inch from 1 to 1200 (300 is sharp on a slide "
               "or in print), got 0"),
    "max_nodes": (0, "max_nodes must be a whole number of values, at least 1, got 0"),
    "seconds_per_step": (0, "seconds_per_step must be from 0.02 to 600 seconds, got 0"),
    "theme": ("neon", "unknown theme 'neon': use 'light' (the default), 'dark' (for dark slides) "
                      "or 'print' (greyscale, kinds told apart by shape and line)"),
}


def _doors(tmp_path):
    """Every public way to ask for a picture, by the options it takes: name -> (options, call)."""
    graph = draw_dot(neuron())
    ex = exercise(neuron())
    return {
        "draw_dot": (("rankdir", "max_nodes", "theme"), lambda **o: draw_dot(neuron(), **o)),
        "Graph.save": (("dpi",), lambda **o: graph.save(tmp_path / "g.png", **o)),
        "Graph.pipe": (("dpi",), lambda **o: graph.pipe("png", **o)),
        "Trace.save": (("rankdir", "max_nodes", "theme", "dpi", "seconds_per_step"),
                       lambda **o: trace_backward(neuron()).save(tmp_path / "s.gif", **o)),
        "Trace.to_html": (("rankdir", "max_nodes", "theme"),
                          lambda **o: trace_backward(neuron()).to_html(**o)),
        "Exercise.save": (("rankdir", "theme", "dpi"),
                          lambda **o: ex.save(tmp_path / "e.png", **o)),
        "Report.save": (("rankdir", "theme", "dpi"),
                        lambda **o: ex.check({}).save(tmp_path / "r.png", **o)),
        "Mistake.save": (("rankdir", "theme", "dpi"), lambda **o: mistakes.set_of_parents(
            neuron()).save(tmp_path / "m.png", **o)),
        "check_dpi": (("dpi",), lambda dpi: check_dpi(dpi)),
        "PictureOptions": (tuple(MISTAKES), lambda **o: PictureOptions(**o)),
    }


@pytest.mark.parametrize("option", MISTAKES)
def test_each_mistake_has_one_message_at_every_door(tmp_path, option):
    value, message = MISTAKES[option]
    said = {}
    for door, (takes, call) in _doors(tmp_path).items():
        if option in takes:
            with pytest.raises(ValueError) as refused:
                call(**{option: value})
            said[door] = str(refused.value)
    assert len(said) >= 2, said
    assert set(said.values()) == {message}, said
    assert not list(tmp_path.iterdir())  # refused before anything was written


@pytest.mark.parametrize("option, value", [("dpi", "300"), ("dpi", True), ("dpi", float("nan")),
                                           ("dpi", 5000), ("max_nodes", 2.0), ("max_nodes", -1),
                                           ("max_nodes", True), ("seconds_per_step", "2"),
                                           ("seconds_per_step", 1e9), ("rankdir", "lr")])
def test_values_that_are_no_option_are_refused_naming_the_option(option, value):
    with pytest.raises(PictureOptionError, match=f"^{option} must be .*, got ") as refused:
        PictureOptions(**{option: value})
    assert refused.value.option == option and refused.value.given is value


def test_the_record_holds_the_theme_and_numbers_it_was_given():
    options = PictureOptions(theme="dark", rankdir="TB", dpi=300, max_nodes=7,
                             seconds_per_step=1)
    assert options.theme is THEMES["dark"]
    assert (options.rankdir, options.dpi, options.max_nodes, options.seconds_per_step) == (
        "TB", 300.0, 7, 1.0)
    assert PictureOptions().theme is THEMES["light"] and PictureOptions().dpi is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.dpi = 600  # type: ignore[misc]
    with pytest.raises(PictureOptionError, match="^max_nodes must be"):
        dataclasses.replace(options, max_nodes=0)  # a changed copy is checked again


@pytest.mark.parametrize("option", ["rankdir", "dpi", "max_nodes", "seconds_per_step", "theme"])
def test_the_command_line_says_the_same_with_its_own_spelling(tmp_path, capsys, monkeypatch,
                                                             option):
    value, message = MISTAKES[option]
    flag = "--" + option.replace("_", "-")
    monkeypatch.chdir(tmp_path)
    status = main(["draw", "x*2", "x=1", "-o", "g.png", "--steps", "s.gif", flag, str(value)])
    err = capsys.readouterr().err
    assert status == 2 and not list(tmp_path.iterdir())
    if option == "theme":  # the message names the theme given, not the option
        said = message
    else:
        said = message.replace(f"{option} must", f"{flag} must").replace("got 0", "got 0.0")
        if option in ("rankdir", "max_nodes"):  # read as text and as an int
            said = said.replace("got 0.0", "got 0")
    assert err == f"python -m autograd: error: {said}\n"
