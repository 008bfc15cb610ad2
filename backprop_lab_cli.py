"""The ``backprop-lab`` command: ``python -m autograd``'s command line, installed as a program.

``backprop-lab draw EXPR NAME=VALUE ... -o FILE`` runs ``autograd.__main__``. It first checks
that the ``autograd`` Python would import is this project's (``backprop_lab.autograd_clash``):
where another project of that name comes first (HIPS autograd, preinstalled on Google Colab),
``python -m autograd`` would run the other project, and this command says so in one line
instead. That check has to run before anything of ``autograd`` is imported, so this module lives
outside the package, above both it and ``backprop_lab``: the dependencies point one way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from backprop_lab import autograd_clash

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 where ``autograd`` is another
    project's, else ``python -m autograd``'s: 0 done, 1 no renderer, 2 refused)."""
    clash = autograd_clash()
    if clash is not None:
        print(f"backprop-lab: error: backprop-lab cannot run: {clash}", file=sys.stderr)
        return 1
    from autograd.__main__ import main as command_line  # only once it is known to be ours

    return command_line(argv)


if __name__ == "__main__":
    sys.exit(main())
