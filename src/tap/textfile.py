"""Read a user's file as text: a regular file only, up to a size limit, UTF-8; and replace a
file tap owns (a cache entry) by rename."""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

_CHUNK = 1 << 16

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)

_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


class TextFileError(Exception):
    """A file that is missing, not a regular file, too large or not UTF-8; names the file."""


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "Is a directory"  # what open() says, so a directory reads the same everywhere
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"{kind}, not a regular file"


def describe_size(limit: int) -> str:
    """`1 MiB`, `64 MiB`, or bytes when not a whole number of MiB."""
    mib = 1 << 20
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"


def read_text(path: Path, *, limit: int, what: str) -> str:
    """The file's text; raise TextFileError instead of hanging, exhausting memory or guessing.

    A FIFO would block until a writer appears and a device (`/dev/zero`) never ends, so the file
    is opened without blocking and refused unless it is a regular file; at most `limit` bytes
    are read. `what` names the file in the size message ("a stack file"). A UTF-8 byte-order mark
    is dropped, as the Pulumi CLI drops it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise TextFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise TextFileError(f"{path}: cannot read: {_not_regular(mode)}")
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise TextFileError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TextFileError(
            f"{path}: cannot read: larger than {describe_size(limit)}, "
            f"the most tap reads from {what}"
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise TextFileError(not_utf8(path, exc)) from None


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def not_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    """The one line for a file that is not UTF-8: the first bad byte, and UTF-16 when it is."""
    data = bytes(exc.object)
    hint = "; it looks like UTF-16, save it as UTF-8" if data[:2] in _UTF16_MARKS else ""
    return f"{path}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}){hint}"


def replace_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` all at once: a temporary file beside it, then a rename, so
    a reader sees the old file or the new one, never part of one. Raises OSError; the temporary
    file is removed whatever happens."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(partial)
