"""Writing files so that a crash never leaves half of one in place, and nothing else changes.

Every file the project writes (pictures, step players, saved models, plots, reports, executed
notebooks) goes through ``write_atomically``, or ``write_all_atomically`` for several files that
must appear together. The promise, for each file:

- all or nothing: the bytes go to a temporary file in the same folder, are flushed to disk, and
  the temporary file then replaces the target in one step (``os.replace``), so a reader, or a
  crash at any moment, sees the old file or the new one, never a mixture;
- nothing left behind: an error or a Ctrl-C (``KeyboardInterrupt``) at any point removes the
  temporary file, because its name is noted for removal before the file is created;
- the replaced file keeps its permission bits (a 0600 model stays 0600) and, where allowed, its
  owner; a new file gets the usual ones (0666 minus the umask, as ``open`` gives);
- a symbolic link is written through: its target gets the new bytes, the link stays a link;
- a read-only file is refused unless the caller passes ``overwrite=True``;
- a name the file system accepts always works (the temporary name is kept short enough), and a
  path that cannot be a file (empty, a folder, a device, a missing folder) is refused with a
  message about that path, not about a temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

#: Longest file name (in bytes) when the file system cannot say: Linux, macOS and Windows's.
NAME_MAX = 255

_TEMPORARY_SUFFIX_BYTES = len(f".{secrets.token_hex(6)}.tmp")

PathLike = str | os.PathLike


class ReadOnlyFileError(PermissionError):
    """The file to replace is read-only, and the caller did not ask to overwrite it.

    ``path`` is the file; ``how`` says how to ask (the command line has its own option).
    """

    def __init__(self, path: str, how: str = "pass overwrite=True") -> None:
        super().__init__(errno.EACCES, f"cannot write {path!r}: the file is read-only, so it "
                         f"was left as it was; {how} to replace it anyway")
        self.path = path


def write_atomically(path: PathLike, data: bytes | str, *, overwrite: bool = False) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path``, replacing any existing file.

    See the module's documentation for what is promised. ``overwrite=True`` also replaces a
    read-only file (keeping it read-only). Returns ``path`` as a ``Path``.

    Raises ``OSError`` (a ``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError``,
    ``ReadOnlyFileError``, ...) naming ``path`` and saying what was wrong; the existing file, if
    any, is then untouched and no temporary file is left behind.
    """
    return write_all_atomically([(path, data)], overwrite=overwrite)[0]


def write_all_atomically(files: Iterable[tuple[PathLike, bytes | str]], *,
                         overwrite: bool = False) -> list[Path]:
    """Write several files all or nothing: every one is checked and written to its temporary
    file before any existing file is replaced.

    A refusal or failure while preparing (a folder given as a file name, a read-only file, a
    full disk) leaves every target as it was. Returns the paths in the order given.
    """
    pending: list[_PendingFile] = []
    try:
        for path, data in files:
            _prepare(path, data, overwrite, pending)
        # A plain loop, not a comprehension: Python 3.12 and 3.13 inline comprehensions, and there
        # an exception raised from a trace function (a debugger's, or the test's Ctrl-C) between
        # two turns leaves the function without running the finally below.
        written = []
        for file in pending:
            written.append(file.commit())
        return written
    finally:
        for file in pending:
            file.discard()


class _PendingFile:
    """A complete temporary file, ready to replace its target in one ``os.replace``."""

    def __init__(self, shown: Path, target: Path, temporary: Path | None) -> None:
        self.shown = shown  # the path the caller gave (a link stays a link)
        self.target = target  # the file that gets replaced
        self.temporary = temporary

    def commit(self) -> Path:
        try:
            os.replace(self.temporary, self.target)
        except OSError as error:
            raise _about(error, self.shown) from None
        # Interrupted here, discard() finds no file under the temporary name: nothing to undo.
        self.temporary = None
        _sync_folder(self.target.parent)
        return self.shown

    def discard(self) -> None:
        """Remove the temporary file if it was not committed (nothing to do otherwise, or when
        it was never created)."""
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            self.temporary = None


def _prepare(path: PathLike, data: bytes | str, overwrite: bool,
             pending: list[_PendingFile]) -> None:
    """Write ``data`` to a new temporary file beside ``path``'s target, noted in ``pending``
    (for the caller to commit or discard) before it exists: however this is interrupted, the
    caller's ``discard`` finds every file it made."""
    shown = _checked_path(path)
    target = _through_links(shown)
    existing = _existing(target, shown, overwrite)
    if isinstance(data, str):
        data = data.encode("utf-8")
    temporary = target.parent / _temporary_name(target)
    # Created private (0600), whatever it will become: the bytes of a 0600 file must not be
    # readable by others while they are being written. O_EXCL: never write into someone else's
    # file. A new file's mode 0o666 lets the umask decide, as open() does.
    mode = 0o600 if existing is not None else 0o666
    file = _PendingFile(shown, target, temporary)
    pending.append(file)
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_BINARY", 0), mode)
    except OSError as error:
        # Not created (a name already taken is someone else's file): nothing to remove.
        file.temporary = None
        raise _about(error, shown, folder=target.parent) from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            if existing is not None:
                _keep_owner_and_mode(stream.fileno(), temporary, existing)
    except OSError as error:
        raise _about(error, shown) from None


def _checked_path(path: PathLike) -> Path:
    """``path`` as a Path, refusing what cannot name a file before anything is touched."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a file path must be a str or a path, got {type(path).__name__}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text:
        raise _failure(errno.ENOENT, text, "no file name given (the path is empty); give one "
                       "such as 'model.json'")
    if text.endswith(("/", os.sep)) or (os.altsep and text.endswith(os.altsep)):
        raise _failure(errno.EISDIR, text, "the path ends with a separator, so it names a "
                       "folder; give a file name")
    return Path(text)


def _through_links(shown: Path) -> Path:
    """The file a symbolic link finally points to (``shown`` itself when it is no link)."""
    if not os.path.islink(shown):
        return shown
    target = Path(os.path.realpath(shown))
    if os.path.islink(target):
        raise _failure(errno.ELOOP, shown, "it is a symbolic link that leads back to itself "
                       "(a loop); remove the link or give another name")
    return target


def _existing(target: Path, shown: Path, overwrite: bool) -> os.stat_result | None:
    """The status of the file to be replaced (None if there is none yet), after refusing
    targets that must not be replaced by a regular file."""
    try:
        status = os.stat(target)
    except (FileNotFoundError, NotADirectoryError) as error:
        _check_folder(target.parent, shown)
        if isinstance(error, NotADirectoryError):  # a file further up the path
            raise _about(error, shown) from None
        return None
    except OSError as error:
        raise _about(error, shown) from None
    if stat.S_ISDIR(status.st_mode):
        raise _failure(errno.EISDIR, shown, "it is a folder, not a file; give a file name "
                       "(e.g. one inside that folder)")
    if not stat.S_ISREG(status.st_mode):
        raise _failure(errno.EINVAL, shown, "it is not a regular file (a device, a pipe or a "
                       "socket); give the name of a file")
    # Write permission bits all off (even root respects that here) or no permission for us.
    read_only = not status.st_mode & 0o222 or not os.access(target, os.W_OK)
    if read_only and not overwrite:
        raise ReadOnlyFileError(str(shown))
    return status


def _check_folder(folder: Path, shown: Path) -> None:
    if folder.is_dir():
        return
    where = str(folder)
    if folder.exists():
        raise _failure(errno.ENOTDIR, shown, f"{where!r} is a file, not a folder")
    raise _failure(errno.ENOENT, shown, f"there is no folder {where!r} to write "
                   f"{shown.name!r} into; create it first")


def _temporary_name(target: Path) -> str:
    """A hidden name beside ``target``: ``.<name>.<random>.tmp``, with ``<name>`` cut short when
    the whole would be longer than the file system allows (so any valid name can be written)."""
    room = max(0, _name_limit(target.parent) - 1 - _TEMPORARY_SUFFIX_BYTES)
    name = target.name
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}.{secrets.token_hex(6)}.tmp"


def _name_limit(folder: Path) -> int:
    """The longest file name, in bytes, that ``folder``'s file system accepts."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not POSIX, or the file system will not say
        return NAME_MAX


def _keep_owner_and_mode(fd: int, temporary: Path, existing: os.stat_result) -> None:
    """Give the new file the owner and permission bits of the file it replaces."""
    ours = os.fstat(fd)
    if hasattr(os, "fchown") and (existing.st_uid, existing.st_gid) != (ours.st_uid,
                                                                        ours.st_gid):
        # Only root may give a file away, or an owner pick another of their groups: where it
        # is not allowed the file stays ours, as with any editor's save.
        with contextlib.suppress(OSError):
            os.fchown(fd, existing.st_uid, existing.st_gid)
    # After chown, which clears set-user-id bits: chmod restores every bit.
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))
    else:
        os.chmod(temporary, stat.S_IMODE(existing.st_mode))


def _failure(code: int, path: PathLike, reason: str) -> OSError:
    """An OSError of the class ``code`` selects (``FileNotFoundError`` for ENOENT...) whose
    message is ``cannot write '<path>': <reason>``."""
    return OSError(code, f"cannot write {os.fspath(path)!r}: {reason}")


def _about(error: OSError, shown: Path, folder: Path | None = None) -> OSError:
    """``error`` reworded to name the caller's path (not the temporary file), and the folder
    where the folder is at fault; the same class of OSError."""
    if error.errno is None:
        return error
    reason = (error.strerror or str(error)).rstrip(".")
    if error.errno == errno.ENAMETOOLONG:
        reason += (f" (a file name may have at most {_name_limit(shown.parent)} bytes here; "
                   f"this one has {len(os.fsencode(shown.name))})")
    if folder is not None and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = (f"{reason[:1].lower()}{reason[1:]}: no new file may be created in the "
                  f"folder {str(folder)!r}; make it writable or write elsewhere")
    return _failure(error.errno, shown, reason)


def _sync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder's entry is on disk (POSIX only).
    # The file is already in place: failing to sync its folder must not report a failed write.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a folder we may write to but not read, for one
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(fd)
