"""The step player: a trace of backward as an HTML page, one frame per step.

Every frame is in the page (an inline SVG picture and the chain-rule lines), so where scripts do
not run (GitHub, an untrusted notebook) the frames simply show one after another, a filmstrip.
A small inline script, where it runs, shows one frame at a time with previous/next buttons, a
slider and the arrow keys. Nothing is fetched from anywhere: no CDN, no external URL.
"""

from __future__ import annotations

import hashlib
import html
import itertools

from autograd.core.format import format_number
from autograd.core.value import Value
from autograd.pictures.draw import GraphTooLargeError, check_size
from autograd.pictures.names import d_name
from autograd.pictures.options import PictureOptions
from autograd.pictures.render import INSTALL_HINT, available_renderer, inline_svg, render
from autograd.pictures.themes import Theme
from autograd.stepthrough.frames import RecordedPass, step_frames

#: Default size limit: one picture per step makes the page grow as the square of the graph.
PLAYER_MAX_NODES = 100

_players = itertools.count(1)


def player_html(trace: RecordedPass, options: PictureOptions, *, page: bool = False) -> str:
    """The player for ``trace``: a whole page (``page=True``) or a fragment for Jupyter."""
    check_size(trace.nodes, options.max_nodes, "make a step player for")
    theme = options.theme
    pictures = available_renderer() is not None
    body = _player(trace, _frames(trace, options, pictures), pictures, theme)
    if not page:
        return body
    title = html.escape(f"backward from {trace.output}, step by step")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n</head>\n<body style=\"background: {theme.background}\">"
            f"\n{body}\n</body>\n</html>\n")


def player_html_or_message(trace: RecordedPass) -> str:
    """The player fragment, or a short HTML message saying why not: never raises (an exception
    while displaying fails a notebook cell)."""
    try:
        return player_html(trace, PictureOptions(max_nodes=PLAYER_MAX_NODES))
    except GraphTooLargeError as error:
        why = str(error)
    except Exception as error:
        why = f"The step player could not be made: {error}"
    return (f"<p>{html.escape(why)}</p><p>In a notebook: <code>trace.explain()</code> prints "
            f"the {len(trace)} steps as text; <code>trace.save(\"steps.html\", "
            "max_nodes=...)</code> writes the player anyway.</p>")


def _frames(trace: RecordedPass, options: PictureOptions,
            pictures: bool) -> list[tuple[str, str, str]]:
    """(title, narration, picture HTML) per frame, frame k showing ``trace[k]``: the start
    (dL/dL = 1), then one frame per step. The picture is an inline SVG, or with
    ``pictures=False`` a table of the gradients."""
    frames = []
    for step, frame in zip(trace, step_frames(trace, options)):
        if pictures:
            picture = inline_svg(render(frame.source, "svg").decode("utf-8"))
        else:
            marked = {step.node} | {u.parent for u in step.updates}
            picture = _text_picture(trace, frame.grads, marked)
        frames.append((frame.title, frame.narration, picture))
    return frames


def _text_picture(trace: RecordedPass, grads: dict[Value, float], marked: set[Value]) -> str:
    """Without Graphviz: the gradients known so far as a table (marked rows flagged)."""
    rows = [("value", "data", "grad", "")]
    for node in trace.nodes:
        grad = format_number(grads[node]) if node in grads else "?"
        rows.append((trace.names[node], format_number(trace.data[node]), grad,
                     "<-" if node in marked else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    text = "\n".join(f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip()
                     for a, b, c, d in rows)
    return f'<pre class="bp-table">{html.escape(text)}</pre>'


def _player(trace: RecordedPass, frames: list[tuple[str, str, str]], pictures: bool,
            theme: Theme) -> str:
    out = d_name(trace.output)
    parts = []
    for k, (title, narration, picture) in enumerate(frames):
        parts.append(
            f'<figure class="bp-frame" data-frame="{k}">\n'
            f"<figcaption><b>{html.escape(title)}</b>"
            f'<pre class="bp-say">{html.escape(narration)}</pre></figcaption>\n'
            f'<div class="bp-picture">{picture}</div>\n</figure>')
    frames_html = "\n".join(parts)
    digest = hashlib.sha1(frames_html.encode("utf-8")).hexdigest()[:10]
    pid = f"bp-steps-{digest}-{next(_players)}"
    last = len(frames) - 1
    note = ""
    if not pictures:
        note = (f"<p>Pictures need Graphviz ({html.escape(INSTALL_HINT)}); each frame "
                "shows the gradients known so far as a table instead.</p>\n")
    intro = html.escape(
        f"Backprop from {trace.output} = {format_number(trace.data[trace.root])}, one step per "
        f"node, each node after every node that uses it: {out}/dx += {out}/dy * dy/dx for each "
        "parent x of the current node y. Highlighted: the current node, its edges and the "
        "parents it passes gradient to; grad ? is not known yet.")
    # The controls are display: flex only while not [hidden]: an unconditional display rule
    # would beat the hidden attribute and show dead buttons where the script does not run.
    # The narration's <pre> and the words set their own background and colour: a page's theme
    # (JupyterLab's dark one) styles every pre and p, a dark band or pale words in a light card.
    return f"""<div class="bp-steps" id="{pid}" tabindex="0">
<style>
#{pid} {{font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  background: {theme.background}; color: {theme.text};}}
#{pid} .bp-frame {{margin: 0.6em 0; padding: 0.5em; border: 1px solid {theme.grid};
  border-radius: 6px;}}
#{pid} .bp-say, #{pid} .bp-table {{margin: 0.3em 0; padding: 0; border: 0; font-size: 0.9em;
  white-space: pre-wrap; background: transparent; color: inherit;}}
#{pid} .bp-intro, #{pid} figcaption, #{pid} .bp-where {{color: inherit;}}
#{pid} .bp-picture svg {{max-width: 100%; height: auto;}}
#{pid} .bp-controls:not([hidden]) {{display: flex; gap: 0.6em; align-items: center;}}
#{pid} .bp-controls input {{flex: 1; max-width: 24em;}}
</style>
<p class="bp-intro">{intro}</p>
{note}<div class="bp-controls" hidden>
<button type="button" class="bp-prev">&#9664; previous</button>
<input type="range" class="bp-slider" min="0" max="{last}" value="0" aria-label="step">
<button type="button" class="bp-next">next &#9654;</button>
<span class="bp-where"></span>
</div>
{frames_html}
</div>
<script>
(function () {{
  var player = document.getElementById("{pid}");
  if (!player) {{ return; }}
  var frames = player.querySelectorAll(".bp-frame");
  var controls = player.querySelector(".bp-controls");
  var slider = player.querySelector(".bp-slider");
  var prev = player.querySelector(".bp-prev");
  var next = player.querySelector(".bp-next");
  var where = player.querySelector(".bp-where");
  var current = 0;
  function show(k) {{
    current = Math.max(0, Math.min(frames.length - 1, k));
    for (var i = 0; i < frames.length; i++) {{
      frames[i].style.display = i === current ? "" : "none";
    }}
    slider.value = current;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
    where.textContent = "step " + current + " of " + (frames.length - 1);
  }}
  prev.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  slider.addEventListener("input", function () {{ show(parseInt(slider.value, 10)); }});
  player.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowLeft") {{ show(current - 1); event.preventDefault(); }}
    if (event.key === "ArrowRight") {{ show(current + 1); event.preventDefault(); }}
  }});
  controls.hidden = false;
  show(0);
}})();
</script>"""
