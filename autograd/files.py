"""Writing files so that a crash never leaves half of one in place."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path``, replacing any existing file.

    The bytes go to a new temporary file in the same folder, are flushed to disk, and the
    temporary file then replaces ``path`` in one step (``os.replace``): a reader, or a crash at any
    moment, sees the old file or the new one, never a mixture. Pictures, step players, saved
    models and reports are all written this way.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = path.parent
    if not folder.is_dir():  # say so in the user's terms, not the temporary file's
        raise FileNotFoundError(2, f"there is no folder {str(folder)!r} to write {path.name!r} "
                                   "into", str(path))
    temporary = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: never write into someone else's file; mode 0o666 lets the umask decide, as open().
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)
    return path


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
