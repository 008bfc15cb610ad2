"""Writing files: nothing lost, nothing opened up, for every writer the project has."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Graph, Value, trace_backward
from autograd.__main__ import main
from autograd.core.files import ReadOnlyFileError, write_all_atomically, write_atomically

posix_only = pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")


def write_with_write_atomically(path, **options):
    return write_atomically(path, "new\n", **options)


def write_with_model_save(path, **options):
    return nn.MLP(2, [2, 1], seed=0).save(path, **options)


def write_with_graph_save(path, **options):
    return Graph("digraph { a -> b }\n").save(path, **options)


def write_with_trace_save(path, **options):
    x = Value(2.0, label="x")
    return trace_backward(x * x).save(path, **options)


def write_with_plot(path, **options):
    pytest.importorskip("matplotlib")
    history = nn.History(loss=[1.0, 0.5])
    return nn.plot_loss(history, path, **options)


def write_with_the_command_line(path, **options):
    extra = ["--overwrite"] if options.get("overwrite") else []
    status = main(["draw", "x*x", "x=2", "-o", str(path), *extra])
    if status:
        raise OSError(f"the command line exited with status {status}")


#: Every public way the project writes a file, with a file name it accepts.
WRITERS = [
    pytest.param(write_with_write_atomically, "out.txt", id="write_atomically"),
    pytest.param(write_with_model_save, "model.json", id="model.save"),
    pytest.param(write_with_graph_save, "graph.dot", id="graph.save"),
    pytest.param(write_with_trace_save, "steps.html", id="trace.save"),
    pytest.param(write_with_plot, "loss.svg", id="plot_loss"),
    pytest.param(write_with_the_command_line, "cli.dot", id="command-line"),
]


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def old_file(path, mode):
    """An existing file holding "old" with permission bits ``mode``; returns its path."""
    path.write_text("old\n")
    os.chmod(path, mode)
    return path


# ---------------------------------------------------------------- permissions ----------------

@posix_only
@pytest.mark.parametrize("write, name", WRITERS)
def test_a_replaced_file_keeps_its_permission_bits(tmp_path, capsys, write, name):
    path = old_file(tmp_path / name, 0o600)
    write(path)
    assert path.read_bytes() != b"old\n"
    assert mode_of(path) == 0o600


@posix_only
def test_unusual_permission_bits_are_kept_too(tmp_path):
    path = old_file(tmp_path / "shared.txt", 0o664)
    write_atomically(path, "new\n")
    assert mode_of(path) == 0o664


@posix_only
def test_a_new_file_gets_the_mode_open_would_give(tmp_path):
    expected_path = tmp_path / "by-open.txt"
    expected_path.write_text("x")
    write_atomically(tmp_path / "new.txt", "x")
    assert mode_of(tmp_path / "new.txt") == mode_of(expected_path)


@posix_only
def test_the_bytes_of_a_private_file_are_never_readable_by_others_while_written(
        tmp_path, monkeypatch):
    path = old_file(tmp_path / "secret.json", 0o600)
    modes_while_writing = []
    real_fsync = os.fsync

    def watching_fsync(fd):
        modes_while_writing.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    write_atomically(path, "new secret\n")
    assert modes_while_writing and all(mode & 0o077 == 0 for mode in modes_while_writing)


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a file to another user")
def test_a_replaced_file_keeps_its_owner_where_that_is_allowed(tmp_path):
    path = tmp_path / "theirs.txt"
    path.write_text("old\n")
    os.chown(path, 65534, 65534)
    write_atomically(path, "new\n")
    status = os.stat(path)
    assert (status.st_uid, status.st_gid) == (65534, 65534)


# ---------------------------------------------------------------- read-only files -------------

@posix_only
@pytest.mark.parametrize("write, name", WRITERS)
def test_a_read_only_file_is_refused_and_left_as_it_was(tmp_path, capsys, write, name):
    path = old_file(tmp_path / name, 0o444)
    with pytest.raises(OSError):
        write(path)
    assert path.read_text() == "old\n" and mode_of(path) == 0o444
    assert sorted(os.listdir(tmp_path)) == [name]


@posix_only
@pytest.mark.parametrize("write, name", WRITERS)
def test_overwrite_replaces_a_read_only_file_and_it_stays_read_only(
        tmp_path, capsys, write, name):
    path = old_file(tmp_path / name, 0o444)
    write(path, overwrite=True)
    assert path.read_text() != "old\n" and mode_of(path) == 0o444


@posix_only
def test_the_read_only_refusal_says_how_to_overwrite(tmp_path):
    path = old_file(tmp_path / "model.json", 0o444)
    with pytest.raises(ReadOnlyFileError) as refusal:
        nn.MLP(2, [1], seed=0).save(path)
    message = str(refusal.value)
    assert "model.json" in message and "read-only" in message and "overwrite=True" in message


@posix_only
def test_the_command_line_names_its_own_option_for_a_read_only_file(tmp_path, capsys):
    path = old_file(tmp_path / "n.dot", 0o444)
    assert main(["draw", "x*x", "x=2", "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "read-only" in err and "--overwrite" in err
    assert "overwrite=True" not in err and path.read_text() == "old\n"


# ---------------------------------------------------------------- symbolic links --------------

@posix_only
@pytest.mark.parametrize("write, name", WRITERS)
def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path, capsys, write, name):
    real = tmp_path / "real" / name
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / name
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() != "old\n"
    assert sorted(os.listdir(tmp_path)) == sorted([name, "real"])


@posix_only
def test_a_link_to_a_missing_file_creates_the_file_it_names(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("target.txt")
    write_atomically(link, "new\n")
    assert link.is_symlink() and (tmp_path / "target.txt").read_text() == "new\n"


@posix_only
def test_a_chain_of_links_is_followed_to_the_end(tmp_path):
    (tmp_path / "real.txt").write_text("old\n")
    (tmp_path / "b").symlink_to("real.txt")
    (tmp_path / "a").symlink_to("b")
    write_atomically(tmp_path / "a", "new\n")
    assert (tmp_path / "real.txt").read_text() == "new\n"
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


@posix_only
def test_a_link_through_a_read_only_file_is_refused_too(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    os.chmod(real, 0o444)
    (tmp_path / "link.txt").symlink_to(real)
    with pytest.raises(ReadOnlyFileError, match="link.txt"):
        write_atomically(tmp_path / "link.txt", "new\n")
    assert real.read_text() == "old\n"


@posix_only
def test_a_loop_of_links_is_refused_saying_so(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="loop"):
        write_atomically(tmp_path / "a", "x")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


# ---------------------------------------------------------------- names and paths -------------

@pytest.mark.parametrize("length", [238, 243, 250, 254, 255])
def test_every_file_name_the_file_system_allows_can_be_written(tmp_path, length):
    name = "m" * (length - len(".json")) + ".json"
    assert len(name.encode()) == length
    nn.MLP(2, [1], seed=0).save(tmp_path / name)
    assert nn.load(tmp_path / name).nin == 2
    assert os.listdir(tmp_path) == [name]


@given(st.text(alphabet=st.characters(min_codepoint=0xA1, max_codepoint=0x2FFF,
                                      blacklist_categories=("Cs", "Cc", "Cf", "Zs", "Zl",
                                                            "Zp", "Co", "Cn")),
               min_size=80, max_size=128))
def test_long_names_of_several_bytes_per_character_can_be_written(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("names")
    name = text
    while len(os.fsencode(name)) > 255:
        name = name[:-1]
    if not name or "/" in name:
        return
    write_atomically(folder / name, "x")
    assert (folder / name).read_text() == "x" and os.listdir(folder) == [name]


@pytest.mark.skipif(sys.platform == "emscripten",
                    reason="Pyodide's in-memory file system has no name length limit")
def test_a_name_longer_than_the_file_system_allows_is_refused_saying_the_limit(tmp_path):
    name = "m" * 256
    with pytest.raises(OSError) as refusal:
        write_atomically(tmp_path / name, "x")
    assert refusal.value.errno == errno.ENAMETOOLONG
    assert "at most 255 bytes" in str(refusal.value) and "this one has 256" in str(refusal.value)
    assert os.listdir(tmp_path) == []


def test_an_empty_path_says_no_file_name_was_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as refusal:
        nn.MLP(2, [1], seed=0).save("")
    message = str(refusal.value)
    assert "no file name given" in message and ".tmp" not in message and "busy" not in message
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("path", [".", "out", "out/"], ids=["dot", "folder", "slash"])
def test_a_folder_is_refused_as_a_file_name(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as refusal:
        write_atomically(path, "x")
    assert "folder" in str(refusal.value) and ".tmp" not in str(refusal.value)
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(tmp_path / "out") == []


def test_a_trailing_separator_never_creates_a_file_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(IsADirectoryError, match="names a folder"):
        write_atomically("model/", "x")
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="there is no folder .*missing"):
        write_atomically(tmp_path / "missing" / "x.txt", "x")


def test_a_file_where_a_folder_should_be_is_named(tmp_path):
    (tmp_path / "a.txt").write_text("keep")
    with pytest.raises(NotADirectoryError, match="'.*a.txt' is a file, not a folder"):
        write_atomically(tmp_path / "a.txt" / "x.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "keep"


@posix_only
@pytest.mark.skipif(sys.platform == "emscripten", reason="Pyodide has no named pipes (mkfifo)")
def test_a_pipe_or_device_is_never_replaced_by_a_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        write_atomically(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


@pytest.mark.parametrize("bad", [None, 3, 2.5, b"x.txt"])
def test_a_path_that_is_not_a_path_is_refused(bad):
    with pytest.raises(TypeError, match="file path must be a str"):
        write_atomically(bad, "x")


@posix_only
def test_a_folder_that_refuses_new_files_is_named(tmp_path, monkeypatch):
    # Root may write anywhere, so the refusal a user meets in a read-only folder is staged.
    real_open = os.open

    def refusing_open(path, flags, mode=0o777, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(PermissionError) as refusal:
        write_atomically(tmp_path / "x.txt", "x")
    message = str(refusal.value)
    assert "x.txt" in message and f"folder {str(tmp_path)!r}" in message
    assert ".tmp" not in message


# ---------------------------------------------------------------- several files at once -------

def test_several_files_are_written_all_or_nothing(tmp_path):
    keep = tmp_path / "keep.txt"
    keep.write_text("old\n")
    (tmp_path / "steps.html").mkdir()
    with pytest.raises(IsADirectoryError):
        write_all_atomically([(keep, "new\n"), (tmp_path / "steps.html", "page")])
    assert keep.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["keep.txt", "steps.html"]


def test_a_failure_while_preparing_a_later_file_leaves_the_earlier_one(tmp_path, monkeypatch):
    keep = tmp_path / "keep.txt"
    keep.write_text("old\n")
    real_fsync, calls = os.fsync, []

    def full_disk_on_the_second_file(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk_on_the_second_file)
    with pytest.raises(OSError, match="No space left on device") as failure:
        write_all_atomically([(keep, "new\n"), (tmp_path / "other.txt", "x")])
    assert "other.txt" in str(failure.value) and ".tmp" not in str(failure.value)
    assert keep.read_text() == "old\n" and os.listdir(tmp_path) == ["keep.txt"]


@pytest.mark.parametrize("steps_problem", ["folder", "read-only"])
def test_the_command_line_replaces_no_picture_when_the_player_cannot_be_written(
        tmp_path, capsys, steps_problem):
    picture = tmp_path / "keep.dot"
    picture.write_text("old picture\n")
    steps = tmp_path / "steps.html"
    if steps_problem == "folder":
        steps.mkdir()
    else:
        steps.write_text("old page\n")
        os.chmod(steps, 0o444)
    status = main(["draw", "x*x", "x=3", "-o", str(picture), "--steps", str(steps)])
    assert status == 2
    assert "steps.html" in capsys.readouterr().err
    assert picture.read_text() == "old picture\n"
    assert sorted(os.listdir(tmp_path)) == ["keep.dot", "steps.html"]


def test_the_command_line_writes_both_files_when_both_can_be(tmp_path, capsys):
    picture, steps = tmp_path / "keep.dot", tmp_path / "steps.html"
    picture.write_text("old picture\n")
    assert main(["draw", "x*x", "x=3", "-o", str(picture), "--steps", str(steps)]) == 0
    assert picture.read_text().startswith("digraph") and "bp-frame" in steps.read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_the_returned_path_is_the_one_given(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    assert write_atomically(link, "x") == link


# ---------------------------------------------------------------- Ctrl-C at any point ---------

#: Run in a child process: a trace that raises KeyboardInterrupt, as a Ctrl-C would, at the n-th
#: point the writer (autograd/core/files.py) reaches, for n = 1, 2, ... until a write runs to its
#: end: before each of its lines and, where Python reports them to a trace set this way (3.11 and
#: older), each bytecode instruction. (A child, because an exception raised by a trace inside an
#: except block can leave the interpreter's exception state askew for whatever runs next.)
#: After every run, each target must hold its old or its new bytes and the folder nothing else.
INTERRUPTED_EVERYWHERE = r"""
import json, os, sys
from pathlib import Path
from autograd.core.files import write_all_atomically

os.fsync = lambda fd: None  # hundreds of writes: flushing each to the disk only takes time
FILES_CODE = write_all_atomically.__code__.co_filename
folder = Path(sys.argv[1])
targets = [folder / name for name in sys.argv[2].split(",")]
old = None if sys.argv[3] == "-" else sys.argv[3].encode()
new = b"new contents\n"


class CtrlC:
    def __init__(self, at):
        self.at, self.count, self.reached = at, 0, False

    def __call__(self, frame, event, arg):
        if frame.f_code.co_filename != FILES_CODE:
            return None
        frame.f_trace_opcodes = True
        return self.local

    def local(self, frame, event, arg):
        if event in ("line", "opcode"):
            self.count += 1
            if self.count == self.at:
                self.reached = True
                raise KeyboardInterrupt
        return self.local


problems, at = [], 0
while True:
    at += 1
    for target in targets:
        if old is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(old)
    ctrl_c = CtrlC(at)
    sys.settrace(ctrl_c)
    try:
        write_all_atomically([(t, new) for t in targets])
    except KeyboardInterrupt:
        pass
    finally:
        sys.settrace(None)
    left = sorted(os.listdir(folder))
    if left != sorted(t.name for t in targets if t.exists()):
        problems.append(f"interrupted at point {at}: the folder holds {left}")
    for target in targets:
        if target.exists() and target.read_bytes() not in (old, new):
            problems.append(f"interrupted at point {at}: {target.name} is damaged")
    for name in set(left) - {t.name for t in targets}:
        os.unlink(folder / name)
    if not ctrl_c.reached:  # the write ran to its end: every point has been tried
        if any(t.read_bytes() != new for t in targets):
            problems.append("the uninterrupted write did not write the new bytes")
        break
print(json.dumps({"points": at, "problems": problems}))
"""

ROOT = Path(__file__).resolve().parents[2]


def interrupted_everywhere(folder, names, old):
    """(points tried, problems found) for writing ``names`` in ``folder`` (``old``: their
    bytes before, None for new files), interrupted at every point in turn."""
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_EVERYWHERE, str(folder),
                           ",".join(names), old or "-"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    return result["points"], result["problems"]


@pytest.mark.parametrize("old", [None, "old contents\n"], ids=["new file", "replaced file"])
def test_ctrl_c_at_any_point_of_a_write_leaves_no_temporary_file_and_the_target_whole(
        tmp_path, old):
    points, problems = interrupted_everywhere(tmp_path, ["model.json"], old)
    assert problems == []
    assert points > 50  # the trace did reach the writer's code


def test_ctrl_c_at_any_point_of_writing_several_files_leaves_no_temporary_file(tmp_path):
    points, problems = interrupted_everywhere(tmp_path, ["steps.html", "steps.js"], "old\n")
    assert problems == []
    assert points > 80
