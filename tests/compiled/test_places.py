"""Where a message says something happened (compiled/places.py): the user's own line, never a
line inside the library or Python's own modules, however the user's code came to be (a
notebook cell, ``exec``, a file that happens to sit in the standard library's folder). What a
frame is, is remembered by module name and by file name: these pin that no remembered answer
is ever another frame's."""

from __future__ import annotations

import inspect
import os
import sys
import sysconfig
import warnings

import pytest

from autograd.compiled import places


def shown(filename: str) -> str:
    """A file name as messages show it: relative to the working directory when inside it."""
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative


HERE = shown(__file__)


def where_from(filename: str, module: str) -> str:
    """``places.where()`` asked from a function compiled with that file name and run in a module
    of that ``__name__``."""
    namespace = {"__name__": module, "where": places.where}
    exec(compile("def asks():\n    return where()\n", filename, "exec"), namespace)
    return namespace["asks"]()


SOURCE, FIRST = inspect.getsourcelines(where_from)
#: How messages name where_from's call of the function: the caller's line.
CALLER = f"{HERE}:{FIRST + [i for i, line in enumerate(SOURCE) if 'return' in line][-1]}: "


@pytest.mark.parametrize("filename", ["/tmp/ipykernel_4242/2918273640.py", "<made up>",
                                      "<ipython-input-3-5e1f>"])
def test_a_notebook_cell_or_exec_d_code_is_the_users_own_line(filename):
    text = where_from(filename, "__main__")
    assert text.startswith(f"{shown(filename)}:2: ") and "(in " not in text


def test_a_made_up_file_name_is_shown_escaped():
    assert where_from("cell\nname", "__main__").startswith("cell\\nname:2: ")


def test_a_file_inside_the_standard_librarys_folder_is_pythons_own():
    inside = os.path.join(sysconfig.get_paths()["stdlib"], "made_up_module.py")
    assert where_from(inside, "made_up_module").startswith(CALLER)


@pytest.mark.parametrize("module", ["nn.made_up", "nn"])
def test_nns_line_is_named_as_the_detail_of_the_users_line(module):
    text = where_from("<nn made up>", module)
    assert text.startswith(CALLER) and text.endswith("(in <nn made up>:2: )")


@pytest.mark.parametrize("module", ["autograd.made_up", "autograd"])
def test_the_engines_line_is_never_named(module):
    text = where_from("<engine made up>", module)
    assert text.startswith(CALLER) and "(in " not in text


@pytest.mark.parametrize("module", ["nnx", "autograd_tools", "my.nn", "", "__main__.nn"])
def test_a_module_whose_name_only_looks_like_the_librarys_is_the_users(module):
    assert where_from("<looks alike>", module).startswith("<looks alike>:2: ")


def test_one_file_name_run_as_the_library_and_as_the_users_keeps_both_answers():
    # exec'd code with one made-up name in two modules: the file name alone decides nothing
    for _ in range(2):
        assert where_from("<shared>", "nn.made_up").startswith(CALLER)
        assert where_from("<shared>", "__main__").startswith("<shared>:2: ")
        assert where_from("<shared>", "autograd.made_up").startswith(CALLER)


def test_one_module_name_in_pythons_folder_and_outside_it_keeps_both_answers():
    inside = os.path.join(sysconfig.get_paths()["stdlib"], "made_up_module.py")
    for _ in range(2):
        assert where_from(inside, "__main__").startswith(CALLER)
        assert where_from("<outside>", "__main__").startswith("<outside>:2: ")


def test_a_module_name_that_is_no_string_is_the_users():
    for name in (None, 7, ("nn",), ["nn"]):
        assert where_from("<odd name>", name).startswith("<odd name>:2: ")


def test_a_warning_from_the_library_points_at_the_users_line():
    namespace = {"__name__": "nn.made_up", "warn": warnings.warn, "level": places.user_stacklevel}
    exec(compile("def asks():\n    warn('from nn', stacklevel=level(1))\n", "<nn made up>",
                 "exec"), namespace)
    with pytest.warns(UserWarning, match="from nn") as caught:
        line, _ = sys._getframe().f_lineno, namespace["asks"]()
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)
