"""The options every picture takes, checked once: theme, rankdir, dpi, max_nodes, and the pace of
an animation.

Every public way to make a picture (``draw_dot``, ``Graph.save``/``render``/``pipe``,
``Trace.save``/``to_html``, an exercise's or a report's ``save``, the command line) accepts these
as keywords, builds one ``PictureOptions`` from them at its door, and hands that record down:
nothing below the door checks them again. Each mistake has one checker here and so one message,
which names the option the way the caller spelled it (``dpi`` in Python, ``--dpi`` on the
command line, see ``PictureOptionError.named``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autograd.pictures.themes import THEMES, Theme, get_theme

__all__ = ["MAX_ANIMATION_PIXELS", "MAX_DPI", "MAX_NODES", "MAX_PNG_PIXELS", "MAX_SIDE_PIXELS",
           "RANKDIRS", "PictureOptionError", "PictureOptions", "PictureTooLargeError",
           "check_dpi", "check_max_nodes", "check_pixel_budget", "check_rankdir",
           "check_seconds_per_step", "pixel_size"]

#: Graphviz's two directions: ``"LR"`` inputs on the left, ``"TB"`` inputs on top.
RANKDIRS = ("LR", "TB")
#: The sharpest pictures asked for: 1200 dpi is a photo-setter's; more only makes huge files.
MAX_DPI = 1200
#: Above this many values a picture is unreadable and slow to lay out; ``max_nodes`` overrides.
MAX_NODES = 500
#: Graphviz's resolution when none is asked for, in dots per inch.
DEFAULT_DPI = 96
#: The most pixels one PNG may have: 50 megapixels is 200 MB in memory while it is drawn.
MAX_PNG_PIXELS = 50_000_000
#: The most pixels all the frames of one animation may have together (Pillow holds them all).
MAX_ANIMATION_PIXELS = 100_000_000
#: The longest side of a bitmap Graphviz draws (cairo's limit): beyond it Graphviz shrinks the
#: picture on its own, and the dpi asked for would not be the dpi given.
MAX_SIDE_PIXELS = 32_767
#: How long an animation may show each step, in seconds: from a blink (GIF's timer counts
#: hundredths, and browsers slow anything shorter) to ten minutes.
SECONDS_PER_STEP = (0.02, 600)


class PictureOptionError(ValueError):
    """A picture option that cannot be used: the message names it, says what to give, and
    shows what was given."""

    def __init__(self, option: str, wanted: str, given: object) -> None:
        self.option = option
        self.wanted = wanted
        self.given = given
        super().__init__(self.named(option))

    def named(self, spelling: str) -> str:
        """The message with the option spelled as the caller knows it (``--max-nodes``)."""
        return f"{spelling} must be {self.wanted}, got {self.given!r}"


def check_rankdir(rankdir: object, option: str = "rankdir") -> str:
    """``rankdir`` if it is ``"LR"`` or ``"TB"``, else a ``PictureOptionError``."""
    if rankdir not in RANKDIRS:
        raise PictureOptionError(option, "'LR' (left to right) or 'TB' (top to bottom)", rankdir)
    return rankdir  # type: ignore[return-value]


def check_dpi(dpi: object, option: str = "dpi") -> float | None:
    """``dpi`` as a float if it is a number of dots per inch from 1 to ``MAX_DPI``, None if it
    is None (Graphviz's 96); else a ``PictureOptionError`` saying what to give."""
    if dpi is None:
        return None
    if not _is_number(dpi) or not 1 <= dpi <= MAX_DPI:  # type: ignore[operator]
        raise PictureOptionError(option, f"a number of dots per inch from 1 to {MAX_DPI} (300 "
                                         "is sharp on a slide or in print)", dpi)
    return float(dpi)  # type: ignore[arg-type]


def check_max_nodes(max_nodes: object, option: str = "max_nodes") -> int:
    """``max_nodes`` if it is a whole number of values, at least 1, else a
    ``PictureOptionError``."""
    if type(max_nodes) is not int or max_nodes < 1:
        raise PictureOptionError(option, "a whole number of values, at least 1", max_nodes)
    return max_nodes


def check_seconds_per_step(seconds: object, option: str = "seconds_per_step") -> float:
    """``seconds`` as a float if it is a number of seconds in ``SECONDS_PER_STEP``, else a
    ``PictureOptionError``."""
    low, high = SECONDS_PER_STEP
    if not _is_number(seconds) or not low <= seconds <= high:  # type: ignore[operator]
        raise PictureOptionError(option, f"from {low:g} to {high:g} seconds", seconds)
    return float(seconds)  # type: ignore[arg-type]


class PictureTooLargeError(ValueError):
    """A bitmap (a PNG, an animation) would have more pixels than its budget at the dpi asked
    for: refused before any drawing, with the dpi that fits (``fitting_dpi``, 0 if none)."""

    def __init__(self, message: str, fitting_dpi: int) -> None:
        super().__init__(message)
        self.fitting_dpi = fitting_dpi


def pixel_size(width_points: float, height_points: float,
               dpi: float | None) -> tuple[int, int]:
    """The pixels (width, height) of a picture of that many points at ``dpi`` (None: 96)."""
    scale = (dpi or DEFAULT_DPI) / 72
    return math.ceil(width_points * scale), math.ceil(height_points * scale)


def check_pixel_budget(width_points: float, height_points: float, dpi: float | None,
                       frames: int = 1, what: str = "a PNG") -> None:
    """Refuse (``PictureTooLargeError``) a bitmap of ``width_points`` x ``height_points`` at
    ``dpi``, ``frames`` times over, that would exceed its budget: ``MAX_PNG_PIXELS`` for one
    picture, ``MAX_ANIMATION_PIXELS`` for all of an animation's frames, and
    ``MAX_SIDE_PIXELS`` a side (past which Graphviz would quietly lower the dpi). The message
    says which dpi fits."""
    given = dpi or DEFAULT_DPI
    width, height = pixel_size(width_points, height_points, given)
    total = width * height * frames
    budget = MAX_ANIMATION_PIXELS if frames > 1 else MAX_PNG_PIXELS
    if total <= budget and max(width, height) <= MAX_SIDE_PIXELS:
        return
    shrink = min(math.sqrt(budget / total), MAX_SIDE_PIXELS / max(width, height))
    fitting = math.floor(given * shrink * 0.999)
    size = f"{width:,} x {height:,} pixels" + (f" x {frames} frames" if frames > 1 else "")
    why = (f"{total / 1e6:,.0f} megapixels, more than the {budget / 1e6:.0f} it may have"
           if total > budget else
           f"wider or taller than Graphviz's {MAX_SIDE_PIXELS:,} pixels")
    instead = (f"{fitting} dpi or less fits" if fitting >= 1 else "no dpi fits")
    raise PictureTooLargeError(
        f"{what} of this picture at {given:g} dpi would be {size} ({why}): {instead}; for a "
        f"sharp picture at any size save it as .svg or .pdf"
        + (" (a page per step)" if frames > 1 else ""), max(fitting, 0))


def _is_number(x: object) -> bool:
    # True is an int to Python, not a resolution to anyone; NaN compares false both ways.
    return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)


@dataclass(frozen=True)
class PictureOptions:
    """How a picture looks and how large it may be: the options every picture takes, checked
    when the record is made (a ``PictureOptionError`` for a number or word that cannot be used,
    a ``ValueError`` naming the themes for an unknown theme).

    Attributes:
        theme: ``"light"``, ``"dark"`` or ``"print"`` (or a ``Theme``); held as the ``Theme``.
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top).
        dpi: the resolution of PNG pictures and animation frames in dots per inch; None is
            Graphviz's 96. Vector formats (svg, pdf, tex) are the same at any dpi.
        max_nodes: the most values a picture may have before it is refused
            (``GraphTooLargeError``); each kind of picture passes its own default.
        seconds_per_step: how long an animation shows each step.
    """

    theme: Theme = THEMES["light"]
    rankdir: str = "LR"
    dpi: float | None = None
    max_nodes: int = MAX_NODES
    seconds_per_step: float = 2.0

    def __post_init__(self) -> None:
        # A frozen record normalised once, here: the theme's name becomes the Theme itself.
        object.__setattr__(self, "theme", get_theme(self.theme))
        object.__setattr__(self, "rankdir", check_rankdir(self.rankdir))
        object.__setattr__(self, "dpi", check_dpi(self.dpi))
        object.__setattr__(self, "max_nodes", check_max_nodes(self.max_nodes))
        object.__setattr__(self, "seconds_per_step",
                           check_seconds_per_step(self.seconds_per_step))
