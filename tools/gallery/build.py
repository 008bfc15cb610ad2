"""``make gallery``: every picture kind in every theme and format, in ``gallery/``, with an
``index.html`` to look at them side by side and what the machine checks found.

    python tools/gallery/build.py [--out gallery] [--no-tex]

For each theme (light, dark, print) and each entry of ``catalogue.py``: graphs as SVG, PNG, PDF
and TeX (compiled with pdflatex, and the compiled page as a PNG to compare); a trace's step
frames as PNGs, its HTML player, a PDF page per step, Beamer overlays (compiled) and a GIF;
plots as SVG, PNG and PDF; reports' and mistakes' tables as HTML. Every SVG and figure goes
through ``picture_checks`` (contrast, overlaps, text across outlines or edges, greys in print).
The exit status is 1 when a check found a problem or a file could not be made, 0 otherwise.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import catalogue  # noqa: E402  (beside this script)
import picture_checks  # noqa: E402

from autograd.pictures.options import PictureOptions  # noqa: E402
from autograd.pictures.render import render  # noqa: E402
from autograd.stepthrough.frames import step_frames  # noqa: E402


def problems_of(entry: catalogue.Entry, picture: object, theme: str) -> list[str]:
    """What the machine checks find in ``picture`` (an entry's Graph, Trace or Figure)."""
    greys = theme == "print"
    if entry.kind == "graph":
        return picture_checks.svg_problems(render(picture.source, "svg"), greys_only=greys)
    if entry.kind == "steps":
        found = []
        for k, frame in enumerate(step_frames(picture, PictureOptions(theme=theme),
                                              captions=True)):
            found += [f"frame {k}: {problem}" for problem in picture_checks.svg_problems(
                render(frame.source, "svg"), greys_only=greys)]
        return found
    return picture_checks.figure_problems(picture, greys_only=greys)


def write_entry(entry: catalogue.Entry, picture: object, theme: str, folder: Path,
                tex: bool) -> tuple[list[str], list[str]]:
    """Write one entry's files; returns (the files' names, what could not be made)."""
    written, failed = [], []

    def attempt(name: str, make) -> None:
        try:
            make(folder / name)
            written.append(name)
        except Exception as error:  # the gallery reports every failure and goes on
            failed.append(f"{name}: {type(error).__name__}: {error}")

    if entry.kind == "graph":
        for extension in ("svg", "png", "pdf", "tex"):
            attempt(f"{entry.name}.{extension}",
                    lambda path: picture.save(path, overwrite=True))
        if tex:
            attempt(f"{entry.name}-tex.png", lambda path: compile_tex(
                folder / f"{entry.name}.tex", path))
    elif entry.kind == "steps":
        options = PictureOptions(theme=theme)
        for k, frame in enumerate(step_frames(picture, options, captions=True)):
            attempt(f"{entry.name}-frame-{k}.png",
                    lambda path, source=frame.source: path.write_bytes(render(source, "png")))
        for extension in ("html", "pdf", "tex", "gif"):
            attempt(f"{entry.name}.{extension}",
                    lambda path: picture.save(path, theme=theme, overwrite=True))
        if tex:
            attempt(f"{entry.name}-tex.png", lambda path: compile_tex(
                folder / f"{entry.name}.tex", path, page=3))
    else:
        for extension in ("svg", "png", "pdf"):
            attempt(f"{entry.name}.{extension}", lambda path: picture.savefig(
                path, facecolor=picture.get_facecolor()))
    if entry.html is not None:
        background = "#1e2127" if theme == "dark" else "#ffffff"
        attempt(f"{entry.name}.html", lambda path: path.write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="'
            f'background: {background}">{entry.html()}</body></html>', encoding="utf-8"))
    return written, failed


def compile_tex(source: Path, png: Path, page: int = 1) -> None:
    """Compile ``source`` with pdflatex in a folder of its own (its PDF would replace
    Graphviz's), and write page ``page`` of the result as ``png`` to look at."""
    program = shutil.which("pdflatex")
    if program is None:
        raise RuntimeError("pdflatex is not installed (apt-get install texlive-latex-extra "
                           "texlive-pictures)")
    build = source.parent / "tex"
    build.mkdir(exist_ok=True)
    shutil.copy(source, build / source.name)
    done = subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", source.name],
                          cwd=build, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
        raise RuntimeError(f"pdflatex failed: {' '.join(errors) or done.returncode}")
    pdf = build / source.with_suffix(".pdf").name
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(png.with_suffix(""))], check=True,
                   capture_output=True, timeout=120)


def index_page(rows: list[dict]) -> str:
    """The gallery's index: a row per entry, a column per theme, each cell the picture and
    links to its files, and what the checks found."""
    table_rows = []
    for row in rows:
        line = [f"<th>{html.escape(row['title'])}<br><code>{row['name']}</code></th>"]
        for theme in catalogue.THEMES:
            done = row[theme]
            shown = next((f for f in done["files"] if f.endswith(".png")), None)
            if shown is None and any(f.endswith(".gif") for f in done["files"]):
                shown = f"{row['name']}.gif"
            image = (f'<a href="{theme}/{shown}"><img src="{theme}/{shown}" loading="lazy"></a>'
                     if shown else "")
            links = " ".join(f'<a href="{theme}/{name}">{name.rsplit(".", 1)[-1]}</a>'
                             if "-frame-" not in name else "" for name in done["files"])
            issues = "".join(f"<li>{html.escape(p)}</li>" for p in done["problems"]
                             + done["failed"])
            verdict = (f'<ul class="bad">{issues}</ul>' if issues
                       else '<p class="good">checks passed</p>')
            line.append(f'<td class="{theme}">{image}<p>{links}</p>{verdict}</td>')
        table_rows.append("<tr>" + "".join(line) + "</tr>")
    table = "\n".join(table_rows)
    heads = "".join(f"<th>{theme}</th>" for theme in catalogue.THEMES)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>backprop-lab: the picture gallery</title>
<style>
body {{font-family: system-ui, sans-serif; margin: 1em; color: #111; background: #fff;}}
table {{border-collapse: collapse;}}
th, td {{border: 1px solid #ccc; padding: 6px; vertical-align: top; text-align: left;}}
td {{width: 32%;}}
td.dark {{background: #1e2127; color: #e6e6e6;}}
td.dark a {{color: #8cc8ff;}}
img {{max-width: 100%; height: auto;}}
.bad {{color: #b00020; font-size: 0.9em;}} td.dark .bad {{color: #ff8a80;}}
.good {{color: #1b5e20;}} td.dark .good {{color: #a5d6a7;}}
</style></head><body>
<h1>Every picture, in every theme and format</h1>
<p>Made by <code>make gallery</code>; the checks are <code>tools/gallery/picture_checks.py</code>
(WCAG contrast, overlapping text, text across its box or the picture's edge, greys in print).
The PNG shown is Graphviz's (or matplotlib's); <code>-tex.png</code> files are the TeX
compiled with pdflatex.</p>
<table><tr><th>picture</th>{heads}</tr>
{table}
</table></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="gallery", help="the folder to write (default gallery)")
    parser.add_argument("--no-tex", action="store_true", help="do not compile the TeX files")
    args = parser.parse_args(argv)
    out = Path(args.out)
    rows: dict[str, dict] = {}
    bad = 0
    for theme in catalogue.THEMES:
        folder = out / theme
        folder.mkdir(parents=True, exist_ok=True)
        for entry in catalogue.catalogue(theme):
            started = time.monotonic()
            row = rows.setdefault(entry.name, {"name": entry.name, "title": entry.title})
            try:
                picture = entry.make()
                problems = problems_of(entry, picture, theme)
                files, failed = write_entry(entry, picture, theme, folder, not args.no_tex)
            except Exception as error:
                problems, files, failed = [], [], [f"{type(error).__name__}: {error}"]
            row[theme] = {"files": files, "problems": problems, "failed": failed}
            bad += len(problems) + len(failed)
            state = "ok" if not problems and not failed else \
                f"{len(problems)} problems, {len(failed)} failures"
            print(f"{theme:6} {entry.name:32} {state} ({time.monotonic() - started:.1f} s)")
            for line in problems + failed:
                print(f"         {line}")
    (out / "index.html").write_text(index_page(list(rows.values())), encoding="utf-8")
    print(f"wrote {out / 'index.html'}: {len(rows)} pictures x {len(catalogue.THEMES)} themes; "
          f"{bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
