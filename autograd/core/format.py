"""How numbers are shown to people: in reprs, graph pictures, step-by-step traces and reports."""

from __future__ import annotations

import math
from collections.abc import Sequence


def format_number(x: float) -> str:
    """A float with at most 4 decimals, as micrograd's pictures show them (``0.7071``, ``-3.0``).

    Whole numbers keep one decimal (``1.0``) so they still read as floats; very small or very large
    magnitudes switch to 4 significant digits (``1.2e-05``) instead of rounding to ``0.0``.
    """
    x = float(x)
    if not math.isfinite(x) or x == 0.0:
        return repr(x) if x == x else "nan"
    if 1e-3 <= abs(x) < 1e6:
        text = f"{x:.4f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    return f"{x:.4g}"


def format_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of text cells (the first is the header) as lines of left-aligned columns, two spaces
    apart, without trailing spaces: how ``gradcheck``'s and ``compare_with_torch``'s reports
    print."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
