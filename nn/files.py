"""Writing files so that a crash never leaves half of one in place."""

from __future__ import annotations

import os
import secrets


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once, replacing any existing file.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the temporary
    file then replaces ``path`` in one step (``os.replace``): a crash at any moment leaves either
    the old file or the new one, never a mixture.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never write into someone else's file; mode 0o666 lets the umask decide, as open().
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    # The rename itself is durable only once the folder's entry is on disk (POSIX only).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is already on disk
    finally:
        os.close(fd)
