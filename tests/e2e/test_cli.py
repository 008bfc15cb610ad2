"""python -m autograd draw: golden runs, and hostile input refused with status 2 in one line."""

import math
import re
import subprocess
import sys

import pytest

from autograd.__main__ import main
from autograd.pictures.render import available_renderer

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8814"]
NEURON_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}


def reported(out):
    """The numbers in the success line: {'L': 0.7071, 'x1': -1.5, ...}."""
    line = out.strip()
    assert "\n" not in line
    value = re.search(r": (\w+) = (\S+?),", line)
    numbers = {value.group(1): float(value.group(2))}
    for name, number in re.findall(r"d\w+/d(\w+) = (\S+?)(?:,|$)", line):
        numbers[name] = float(number)
    return numbers


def run_module(*args, cwd):
    return subprocess.run([sys.executable, "-m", "autograd", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


# ---------------------------------------------------------------- golden runs --------------

@needs_renderer
def test_lecture_neuron_as_a_module_run(tmp_path):
    done = run_module("draw", *NEURON, "-o", "n.svg", "--steps", "n.html", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("wrote n.svg and n.html: L = 0.7071")
    numbers = reported(done.stdout)
    for name, grad in NEURON_GRADS.items():
        assert numbers[name] == pytest.approx(grad, abs=1e-3)
    assert b"<svg" in (tmp_path / "n.svg").read_bytes()[:400]
    page = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert page.count('class="bp-frame"') == 6  # start + 5 operations


def test_output_format_follows_the_extension(tmp_path, capsys):
    assert main(["draw", *NEURON, "-o", str(tmp_path / "n.dot")]) == 0
    source = (tmp_path / "n.dot").read_text()
    assert source.startswith("digraph") and "<b>w1</b>" in source and "data 0.7071" in source
    assert "grad 1.0" in source  # drawn after backward


@needs_renderer
@pytest.mark.parametrize("extension, signature", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_image_formats(tmp_path, capsys, extension, signature):
    path = tmp_path / f"n{extension}"
    assert main(["draw", "x*x", "x=3", "-o", str(path)]) == 0
    assert path.read_bytes().startswith(signature)


def test_chained_statements_name_their_nodes(tmp_path, capsys):
    path = tmp_path / "y.dot"
    assert main(["draw", "z1 = sin(x); z2 = x**3; y = z1*z2", "x=0.5", "-o", str(path)]) == 0
    numbers = reported(capsys.readouterr().out)
    x = 0.5
    assert numbers["y"] == pytest.approx(math.sin(x) * x**3, abs=1e-4)
    assert numbers["x"] == pytest.approx(math.cos(x) * x**3 + math.sin(x) * 3 * x**2, abs=1e-4)
    source = path.read_text()
    for label in ("x", "z1", "z2", "y"):
        assert f"<b>{label}</b>" in source


def test_rankdir_top_to_bottom(tmp_path, capsys):
    path = tmp_path / "n.dot"
    assert main(["draw", *NEURON, "-o", str(path), "--rankdir", "TB"]) == 0
    assert "rankdir=TB" in path.read_text()


def test_steps_page_is_written_without_a_renderer_too(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    steps = tmp_path / "s.html"
    assert main(["draw", "x*x", "x=3", "-o", str(tmp_path / "s.dot"), "--steps", str(steps)]) == 0
    assert steps.read_text(encoding="utf-8").count('class="bp-frame"') == 2


def test_a_picture_without_a_renderer_fails_in_one_line(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    assert main(["draw", "x*x", "x=3", "-o", str(tmp_path / "s.svg")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pygraphviz" in err and "Traceback" not in err


def test_max_nodes_lets_a_bigger_graph_through(tmp_path, capsys):
    expression = "+".join(["x"] * 40)
    assert main(["draw", expression, "x=1", "-o", str(tmp_path / "a.dot"),
                 "--max-nodes", "20"]) == 2
    assert "max_nodes" in capsys.readouterr().err
    assert main(["draw", expression, "x=1", "-o", str(tmp_path / "a.dot"),
                 "--max-nodes", "60"]) == 0


# ---------------------------------------------------------------- refusals -----------------

HOSTILE = [
    pytest.param(["x.__class__", "x=1"], "attribute access", id="attribute"),
    pytest.param(["x[0]", "x=1"], "subscripts", id="subscript"),
    pytest.param(["(lambda: x)()", "x=1"], "lambda", id="lambda"),
    pytest.param(["[x for x in x]", "x=1"], "comprehensions", id="comprehension"),
    pytest.param(["import os", "x=1"], "import", id="import"),
    pytest.param(["__import__('os').system('touch pwned')"], "attribute access", id="dunder"),
    pytest.param(["exec('x')"], "unknown function 'exec'", id="exec"),
    pytest.param(["open('/etc/passwd')"], "unknown function 'open'", id="open"),
    pytest.param(["tanh(x=1)"], "keyword arguments", id="keyword"),
    pytest.param(["x + q", "x=1"], "no value given for 'q'", id="unknown-name"),
    pytest.param(["x +", "x=1"], "syntax error", id="syntax"),
    pytest.param(["x*" + "-" * 150 + "x", "x=1"], "nested", id="deep-unary"),
    pytest.param(["(" * 250 + "x" + ")" * 250, "x=1"], "syntax error", id="deep-parens"),
    pytest.param(["x+" * 3000 + "x", "x=1"], "characters long", id="too-long"),
    pytest.param(["9" * 400], "too large", id="huge-literal"),
    pytest.param(["x if x else x", "x=1"], "conditional", id="conditional"),
    pytest.param(["x == 1", "x=1"], "comparisons", id="compare"),
    pytest.param([""], "empty", id="empty"),
    pytest.param(["x*y", "x=1"], "no value given for 'y'", id="missing-variable"),
    pytest.param(["x", "x=1", "y=2"], "'y'", id="extra-variable"),
    pytest.param(["x", "x"], "NAME=VALUE", id="no-equals"),
    pytest.param(["x", "x=abc"], "'abc' is not a number", id="not-a-number"),
    pytest.param(["x", "x="], "is not a number", id="empty-value"),
    pytest.param(["x", "x=nan"], "finite", id="nan"),
    pytest.param(["x", "x=1e999"], "finite", id="overflow"),
    pytest.param(["x", "2x=1"], "not a valid name", id="bad-name"),
    pytest.param(["x", "x=1", "x=2"], "given twice", id="duplicate"),
    pytest.param(["tanh", "tanh=1"], "function", id="function-name"),
    pytest.param(["-x", "x=1"], "goes after the options and --", id="leading-dash"),
]


@pytest.mark.parametrize("arguments, message", HOSTILE)
def test_hostile_input_is_refused_in_one_line(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    status = main(["draw", *arguments, "-o", "out.dot"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("arguments, message", [
    pytest.param(["draw", "x", "x=1", "-o", "out.jpg"], "unknown extension '.jpg'", id="jpg"),
    pytest.param(["draw", "x", "x=1", "-o", "out"], "unknown extension (none)", id="none"),
    pytest.param(["draw", "x", "x=1", "-o", "missing/out.dot"], "cannot write", id="no-folder"),
    pytest.param(["draw", "x", "x=1", "-o", "a.dot", "--steps", "s.txt"], ".html", id="steps"),
    pytest.param(["draw", "x", "x=1"], "-o", id="no-output"),
    pytest.param(["draw", "x", "x=1", "-o", "a.dot", "--rankdir", "RL"], "rankdir", id="rankdir"),
    pytest.param(["draw", "x", "x=1", "-o", "a.dot", "--max-nodes", "0"], "at least 1",
                 id="max-nodes"),
    pytest.param(["draw", "x", "x=1", "-o", "a.png", "--dpi", "0"],
                 "--dpi must be a number of dots per inch from 1 to 1200", id="dpi"),
    pytest.param(["draw", "x", "x=1", "-o", "a.png", "--dpi", "many"], "invalid float",
                 id="dpi-word"),
    pytest.param(["draw", "x", "x=1", "-o", "a.png", "--theme", "neon"], "unknown theme 'neon'",
                 id="theme"),
    pytest.param(["draw", "x", "x=1", "-o", "a.dot", "--steps", "s.gif", "--seconds-per-step",
                  "0"], "--seconds-per-step must be from 0.02 to 600", id="seconds"),
    pytest.param(["draw", "x", "x=1", "-o", "a.dot", "--steps", "s.mp4"],
                 ".html, .htm, .gif, .apng, .webp, .pdf, .tex", id="steps-format"),
    pytest.param(["paint", "x"], "invalid choice", id="command"),
    pytest.param([], "COMMAND", id="nothing"),
])
def test_bad_options_are_refused_in_one_line(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    status = main(arguments)
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "out.dot").mkdir()
    assert main(["draw", "x", "x=1", "-o", str(tmp_path / "out.dot")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err


def test_refusal_as_a_module_run_is_one_line_with_status_2(tmp_path):
    done = run_module("draw", "__import__('os').system('touch pwned')", "-o", "x.svg",
                      cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_exits_cleanly(capsys):
    assert main(["draw", "--help"]) == 0
    assert "NAME=VALUE" in capsys.readouterr().out


def test_name_value_pairs_may_follow_the_options(tmp_path, capsys):
    path = tmp_path / "n.dot"
    assert main(["draw", "x*w", "-o", str(path), "x=2", "w=3"]) == 0
    assert "dL/dx = 3.0, dL/dw = 2.0" in capsys.readouterr().out


def test_an_expression_starting_with_minus_goes_after_the_options_and_a_double_dash(
        tmp_path, capsys):
    assert main(["draw", "-o", str(tmp_path / "n.dot"), "--", "-x", "x=1"]) == 0
    assert "L = -1.0" in capsys.readouterr().out


def test_nothing_is_written_when_one_of_the_outputs_cannot_be(tmp_path, capsys):
    picture = tmp_path / "n.dot"
    status = main(["draw", "x*x", "x=3", "-o", str(picture),
                   "--steps", str(tmp_path / "missing" / "s.html")])
    assert status == 2 and not picture.exists()
    assert "there is no folder" in capsys.readouterr().err


def test_names_are_read_as_python_reads_identifiers(tmp_path, capsys):
    # "ﬁ" (a ligature) is the identifier "fi" to Python's parser; the command line agrees.
    assert main(["draw", "ﬁ*2", "ﬁ=1", "-o", str(tmp_path / "n.dot")]) == 0
    assert "dL/d(fi) = 2.0" in capsys.readouterr().out


# ---------------------------------------------------------------- pictures for slides -------

@needs_renderer
def test_dpi_makes_a_sharper_png(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    assert main(["draw", *NEURON, "-o", str(tmp_path / "a.png")]) == 0
    assert main(["draw", *NEURON, "-o", str(tmp_path / "b.png"), "--dpi", "300"]) == 0
    with Image.open(tmp_path / "a.png") as plain, Image.open(tmp_path / "b.png") as sharp:
        assert sharp.size[0] == pytest.approx(plain.size[0] * 300 / 96, rel=0.02)


@needs_renderer
@pytest.mark.parametrize("theme, background", [("dark", "#1e2127"), ("print", "#ffffff")])
def test_theme_colours_the_picture_and_the_steps(tmp_path, capsys, theme, background):
    assert main(["draw", *NEURON, "-o", str(tmp_path / "n.dot"), "--steps",
                 str(tmp_path / "n.html"), "--theme", theme]) == 0
    assert f'bgcolor="{background}"' in (tmp_path / "n.dot").read_text()
    assert f"background: {background}" in (tmp_path / "n.html").read_text()


@needs_renderer
def test_steps_as_an_animation_a_pdf_and_beamer(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    pypdf = pytest.importorskip("pypdf")
    for steps in ("n.gif", "n.pdf", "n.tex"):
        assert main(["draw", *NEURON, "-o", str(tmp_path / "n.svg"), "--steps",
                     str(tmp_path / steps), "--seconds-per-step", "0.5"]) == 0
    with Image.open(tmp_path / "n.gif") as animation:
        assert animation.n_frames == 6 and animation.info["duration"] == 500
    assert len(pypdf.PdfReader(tmp_path / "n.pdf").pages) == 6
    assert r"\begin{overprint}" in (tmp_path / "n.tex").read_text()


@needs_renderer
def test_the_picture_as_tikz(tmp_path, capsys):
    assert main(["draw", *NEURON, "-o", str(tmp_path / "n.tex")]) == 0
    tex = (tmp_path / "n.tex").read_text()
    assert r"\begin{tikzpicture}" in tex and r"\textbf{w1}" in tex


# ---------------------------------------------------------------- the backprop-lab program --

def test_the_backprop_lab_command_runs_the_command_line(tmp_path, capsys):
    from backprop_lab_cli import main as backprop_lab

    assert backprop_lab(["draw", "x*3", "x=2", "-o", str(tmp_path / "g.dot")]) == 0
    assert "dL/dx = 3.0" in capsys.readouterr().out and (tmp_path / "g.dot").exists()


def test_the_backprop_lab_command_names_another_autograd_in_one_line(tmp_path, capsys,
                                                                     monkeypatch):
    import backprop_lab_cli

    monkeypatch.setattr(backprop_lab_cli, "autograd_clash", lambda: "HIPS autograd comes first")
    assert backprop_lab_cli.main(["draw", "x*3", "x=2", "-o", str(tmp_path / "g.dot")]) == 1
    assert capsys.readouterr().err == ("backprop-lab: error: backprop-lab cannot run: HIPS "
                                       "autograd comes first\n")
    assert not (tmp_path / "g.dot").exists()


@pytest.mark.parametrize("steps", ["same.pdf", "./same.pdf"])
def test_a_steps_file_that_is_the_picture_is_refused(tmp_path, capsys, monkeypatch, steps):
    # Issue 23 item 17: "-o X --steps X" wrote "wrote X and X", the steps replacing the picture.
    monkeypatch.chdir(tmp_path)
    assert main(["draw", *NEURON, "-o", "same.pdf", "--steps", steps]) == 2
    err = capsys.readouterr().err
    assert "-o and --steps both name 'same.pdf'" in err and "same-steps.pdf" in err
    assert list(tmp_path.iterdir()) == []


@needs_renderer
def test_an_animation_over_its_pixel_budget_is_refused_with_the_dpi_that_fits(
        tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["draw", *NEURON, "-o", "n.svg", "--steps", "s.gif", "--dpi", "1200"]) == 2
    err = capsys.readouterr().err
    fits = int(re.search(r"(\d+) dpi or less fits", err).group(1))
    assert 96 < fits < 1200 and "(option --dpi)" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
