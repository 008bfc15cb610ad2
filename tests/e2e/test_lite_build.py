"""lite/build.py's guard against two builds at once: a second one waits for the first, so it
cannot delete the task database or folders the first is using (two test runs on two Pythons
once built the site together and one failed with "attempt to write a readonly database")."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build_module(cache: Path):
    spec = importlib.util.spec_from_file_location("lite_build", ROOT / "lite" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.CACHE = cache
    return module


def test_a_second_build_waits_for_the_first_and_says_so(tmp_path, capsys):
    build = _build_module(tmp_path / ".lite-cache")
    events: list[str] = []
    first_holds = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with build._one_build_at_a_time():
            events.append("first in")
            first_holds.set()
            release_first.wait(10)
            events.append("first out")

    def second() -> None:
        with build._one_build_at_a_time():
            events.append("second in")

    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.3)
    assert events == ["first in"]  # the second is still waiting
    release_first.set()
    one.join(10)
    two.join(10)
    assert events == ["first in", "first out", "second in"]
    assert "Another build of the site is using .lite-cache/: waiting" in capsys.readouterr().out


def test_builds_one_after_another_do_not_wait(tmp_path, capsys):
    build = _build_module(tmp_path / ".lite-cache")
    for _ in range(2):
        with build._one_build_at_a_time():
            pass
    assert "waiting" not in capsys.readouterr().out
