"""Themes: light (colour-blind safe), dark (for dark slides), print (told apart without colour),
accepted alike by graphs, step pictures, network diagrams and plots."""

from __future__ import annotations

import io
import itertools
import re

import pytest

import nn
from autograd import THEMES, Parameter, Value, draw_dot, get_theme, trace_backward
from autograd.pictures.render import available_renderer, render
from autograd.pictures.themes import luminance

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")

# Machado, Oliveira and Fernandes (2009): how people with each dichromacy see linear RGB.
DICHROMACIES = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
BOX_KINDS = ("parameter", "input", "constant", "output", "value")


def linear_rgb(colour):
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def lab(rgb):
    """CIELAB (D65) of a linear RGB triple."""
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           0.0193 * r + 0.1192 * g + 0.9505 * b)
    f = [(t / n) ** (1 / 3) if t / n > 0.008856 else 7.787 * t / n + 16 / 116
         for t, n in zip(xyz, (0.95047, 1.0, 1.08883))]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def seen_with(matrix, colour):
    rgb = linear_rgb(colour)
    return lab([sum(m * c for m, c in zip(row, rgb)) for row in matrix])


def distance(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def neuron():
    x, w = Value(2.0, label="x"), Parameter(-3.0, label="w")
    y = (w * x + 1).tanh()
    y.backward()
    return y, x, w


@pytest.mark.parametrize("dichromacy", DICHROMACIES)
def test_the_default_box_fills_stay_apart_for_colour_blind_eyes(dichromacy):
    fills = THEMES["light"].fills
    for a, b in itertools.combinations(BOX_KINDS, 2):
        seen = distance(seen_with(DICHROMACIES[dichromacy], fills[a]),
                        seen_with(DICHROMACIES[dichromacy], fills[b]))
        assert seen > 14, f"{a} and {b} look alike with {dichromacy} (delta E {seen:.1f})"


def test_the_first_palette_would_fail_that_check():
    # Its light green output and yellow inputs merge for protanopes.
    seen = distance(seen_with(DICHROMACIES["protanopia"], "#b2df8a"),
                    seen_with(DICHROMACIES["protanopia"], "#ffe08a"))
    assert seen < 14


@pytest.mark.parametrize("name", THEMES)
def test_text_is_readable_on_every_fill(name):
    look = THEMES[name]
    for kind, fill in look.fills.items():
        assert contrast(look.text_on(fill), fill) >= 4.5, (name, kind)


@pytest.mark.parametrize("name", THEMES)
def test_edges_and_text_stand_out_from_the_background(name):
    look = THEMES[name]
    assert contrast(look.text, look.background) >= 7
    assert contrast(look.line, look.background) >= 3
    assert contrast(look.highlight, look.background) >= 3


def test_the_print_theme_is_greyscale():
    y, x, w = neuron()
    source = draw_dot(y, theme="print", highlight_paths_from=w).source
    colours = set(re.findall(r'#[0-9a-f]{6}', source))
    assert colours and all(c[1:3] == c[3:5] == c[5:7] for c in colours), colours


def _box_looks(source):
    """kind -> (shape, style, peripheries) of the value boxes drawn."""
    looks = {}
    for attributes in re.findall(r'^  v\d+ \[(.*)\];$', source, re.MULTILINE):
        kind = re.search(r'kind="(\w+)"', attributes).group(1)
        looks[kind] = tuple(re.search(rf'{key}="([^"]*)"', attributes).group(1)
                            if f'{key}="' in attributes else "" for key in
                            ("shape", "style", "peripheries"))
    return looks


def test_the_print_theme_tells_every_kind_apart_by_outline():
    x, w = Value(2.0, label="x"), Parameter(-3.0, label="w")
    y = (w * x + 1).tanh()  # an input, a parameter, a constant, values and the output
    looks = _box_looks(draw_dot(y, theme="print").source)
    assert set(looks) == set(BOX_KINDS)
    assert len(set(looks.values())) == len(BOX_KINDS), looks


def test_the_light_theme_tells_kinds_apart_by_colour_alone():
    looks = _box_looks(draw_dot(neuron()[0]).source)
    assert len(set(looks.values())) == 1  # the same rounded boxes: colour does the work


def test_highlights_in_print_are_thicker_lines_not_another_colour():
    y, x, w = neuron()
    source = draw_dot(y, theme="print", highlight_paths_from=w).source
    marked = re.findall(r'-> \w+ \[color="#000000", penwidth=([\d.]+), marked="true"\]', source)
    assert marked and all(float(width) >= 2.5 for width in marked)
    assert re.search(r'edge \[color="#000000", arrowsize=0.6\]', source)  # others: 1 point


@pytest.mark.parametrize("picture", ["graph", "network"])
def test_every_picture_refuses_an_unknown_theme_with_the_choices(picture):
    with pytest.raises(ValueError, match="'light'.*'dark'.*'print'"):
        if picture == "graph":
            draw_dot(neuron()[0], theme="solarized")
        else:
            nn.draw_network(nn.MLP(2, [2, 1], seed=0), theme="solarized")


def test_get_theme_returns_a_theme_given_one():
    assert get_theme(THEMES["dark"]) is THEMES["dark"]


def _corner(png: bytes):
    Image = pytest.importorskip("PIL.Image")
    with Image.open(io.BytesIO(png)) as picture:
        return picture.convert("RGB").getpixel((2, 2))


@needs_renderer
@pytest.mark.parametrize("name, dark", [("light", False), ("dark", True), ("print", False)])
def test_a_dark_theme_picture_has_a_dark_background(name, dark):
    for graph in (draw_dot(neuron()[0], theme=name),
                  nn.draw_network(nn.MLP(2, [2, 1], seed=0), theme=name)):
        r, g, b = _corner(render(graph.source, "png"))
        assert (max(r, g, b) < 60) is dark, (name, (r, g, b))


@needs_renderer
def test_the_step_pictures_take_the_theme(tmp_path):
    y, *_ = neuron()
    page = trace_backward(y).to_html(theme="dark")
    assert THEMES["dark"].background in page
    assert 'fill="#343a44"' in page  # a value box on the dark theme's fill


def test_plots_take_the_theme():
    pytest.importorskip("matplotlib")
    history = nn.History(loss=[1.0, 0.5], accuracy=[0.5, 1.0])
    fig = nn.plot_loss(history, theme="dark")
    assert fig.get_facecolor()[:3] == pytest.approx(tuple(
        int(THEMES["dark"].background[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    with pytest.raises(ValueError, match="unknown theme"):
        nn.plot_loss(history, theme="blue")


@needs_renderer
def test_exercise_handouts_and_reports_take_the_theme_and_dpi(tmp_path):
    from autograd import exercise

    y, x, w = neuron()
    handout = exercise(y, ask=[x, w])
    plain = handout.save(tmp_path / "plain.png")
    dark = handout.save(tmp_path / "dark.png", theme="dark", dpi=192)
    report = handout.check({"x": 0.0, "w": 0.0}).save(tmp_path / "report.png", theme="dark")
    Image = pytest.importorskip("PIL.Image")
    with Image.open(plain) as a, Image.open(dark) as b, Image.open(report) as c:
        assert b.size[0] == pytest.approx(2 * a.size[0], rel=0.02)
        assert max(b.convert("RGB").getpixel((2, 2))) < 60
        assert max(c.convert("RGB").getpixel((2, 2))) < 60
