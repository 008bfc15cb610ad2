"""Pixel budgets: a PNG or an animation larger than its budget is refused before anything is
drawn, with the dpi that fits; a dpi within the budget is the dpi of the picture (Graphviz never
has to shrink it on its own)."""

from __future__ import annotations

import io
import re

import pytest

from autograd import draw_dot, trace_backward
from autograd.pictures import render as render_module
from autograd.pictures.options import (
    MAX_ANIMATION_PIXELS,
    MAX_PNG_PIXELS,
    MAX_SIDE_PIXELS,
    PictureTooLargeError,
    check_pixel_budget,
    pixel_size,
)
from autograd.pictures.render import available_renderer
from autograd.stepthrough import slides
from tests.pictures.examples import chain

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
Image = pytest.importorskip("PIL.Image")


def test_a_budget_is_checked_in_pixels_and_says_which_dpi_fits():
    with pytest.raises(PictureTooLargeError, match=r"at 1200 dpi would be 50,000 x 16,667 "
                                                   r"pixels .*: \d+ dpi or less fits") as error:
        check_pixel_budget(3000, 1000, 1200)
    fits = error.value.fitting_dpi
    check_pixel_budget(3000, 1000, fits)  # the dpi named fits
    width, height = pixel_size(3000, 1000, fits + 2)
    assert width * height > MAX_PNG_PIXELS or width > MAX_SIDE_PIXELS


def test_a_side_longer_than_graphviz_draws_is_refused_however_few_the_pixels():
    # 40,000 x 14 pixels is little, but Graphviz would shrink it to 32,767 wide unasked.
    with pytest.raises(PictureTooLargeError, match="wider or taller than Graphviz's 32,767"):
        check_pixel_budget(30000, 10, 96)


def test_an_animation_counts_every_frame():
    check_pixel_budget(1000, 500, 300, frames=1)
    with pytest.raises(PictureTooLargeError, match=r"x 40 frames .* more than the "
                                                   rf"{MAX_ANIMATION_PIXELS // 10**6} it may"):
        check_pixel_budget(1000, 500, 300, frames=40)


@needs_renderer
def test_a_png_graphviz_would_shrink_unasked_is_refused_before_drawing(monkeypatch):
    # Issue 23 item 17: at dpi 1200 Graphviz capped the PNG silently (the dpi asked for was not
    # the dpi given).
    def no_drawing(*args, **kwargs):
        raise AssertionError("the PNG was drawn before its budget was checked")

    graph = draw_dot(chain(10))
    monkeypatch.setattr(render_module, "render_checked_png", no_drawing)
    with pytest.raises(PictureTooLargeError, match=r"a PNG .* at 1200 dpi .* dpi or less fits"):
        graph.pipe("png", dpi=1200)


@needs_renderer
@pytest.mark.parametrize("dpi", [None, 150, 300])
def test_a_dpi_within_the_budget_is_the_pictures_dpi(dpi):
    graph = draw_dot(chain(3))
    x0, y0, x1, y1 = graph.layout().bounding_box
    with Image.open(io.BytesIO(graph.pipe("png", dpi=dpi))) as picture:
        width, height = picture.size
    scale = (dpi or 96) / 72
    # Graphviz pads 4 points a side; the rest is the picture at exactly that dpi.
    assert width == pytest.approx((x1 - x0 + 8) * scale, abs=2)
    assert height == pytest.approx((y1 - y0 + 8) * scale, abs=2)


@needs_renderer
def test_an_animation_over_budget_is_refused_before_any_frame_is_drawn(tmp_path, monkeypatch):
    # Issue 23 item 17: a 21-value trace as a GIF at dpi 600 took minutes and 3.7 GB.
    def no_drawing(*args, **kwargs):
        raise AssertionError("a frame was drawn before the budget was checked")

    monkeypatch.setattr(slides, "render_checked_png", no_drawing)
    trace = trace_backward(chain(20))
    with pytest.raises(PictureTooLargeError) as error:
        trace.save(tmp_path / "steps.gif", dpi=600)
    assert re.search(r"an animation of this picture at 600 dpi would be [\d,]+ x [\d,]+ pixels "
                     r"x 21 frames .*: \d+ dpi or less fits", str(error.value))
    assert ".svg or .pdf (a page per step)" in str(error.value)
    assert list(tmp_path.iterdir()) == []
