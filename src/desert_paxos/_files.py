"""Writing files: atomically, and never over one of the command's own inputs.

Theory of operation
-------------------
Every file the project writes (``run --trace``, ``explore --trace``, ``export
--html/--gif``, ``swarm --save`` and ``--shrink``, the REPL's ``/save`` and
``/export``) goes through :func:`output_text`, :func:`output_binary` or
:func:`write_output`. They stream into a temporary file beside the target
(``.NAME.<random>.tmp`` in the same folder, so the rename never crosses file
systems), flush and fsync it, and rename it over the target with
:func:`os.replace`, which is atomic. Any failure or interruption on the way
removes the temporary file, so the target's name holds either the old file or
the complete new one, never half of either. A process killed outright (SIGKILL,
a power cut) cannot clean up: a stray ``.NAME.*.tmp`` may stay beside the
target, and the target is still untouched.

Before anything is written, :func:`check_output` refuses a target that is the
same file as one of the command's inputs (same device and inode, so symlinks,
hard links and other spellings of the path count), a folder, a file we may not
write, or a path in a folder that does not exist. A target that exists but is
not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written straight
through: renaming over it would replace the device itself.

Every failure is an :class:`OutputError`: one line naming the file and the
reason, which the command line prints with exit code 2 and the REPL prints as
its answer. Bytes reach the disk through a raw file that turns an ``OSError``
(a full disk, a quota) into ``OutputError`` right where it happens, so an error
writing a file is never mistaken for one writing to the terminal.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, BinaryIO, TextIO, cast

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "Inputs",
    "OutputError",
    "check_output",
    "output_binary",
    "output_text",
    "write_output",
]

# What a command reads, as (what it is, path) pairs: ("scenario", "mine.json").
Inputs = Sequence[tuple[str, "str | os.PathLike[str]"]]

_BUFFER = 1 << 16


class OutputError(Exception):
    """A file that cannot (or must not) be written: the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where an output goes, once checked."""

    shown: str  # the path as the user wrote it
    real: str  # the file to replace (a symlink's target), or the device to write through
    existed: bool  # a file was there before
    direct: bool  # not a regular file: written in place, no rename
    mode: int | None = None  # the replaced file's permissions, kept


def check_output(path: str | os.PathLike[str], *, what: str, inputs: Inputs = ()) -> Target:
    """Where ``path`` may be written, or an :class:`OutputError` saying why not."""
    shown = os.fspath(path)
    if not shown:
        raise OutputError(f"cannot write {what}: the file name is empty")
    for label, source in inputs:
        if _same_file(shown, source):
            raise OutputError(
                f"refusing to write {what} to {shown}: it is the same file as the {label} "
                f"{os.fspath(source)}, which would be lost; write to another file"
            )
    try:
        info = os.stat(shown)
    except FileNotFoundError:
        folder = os.path.dirname(shown) or "."
        if not os.path.isdir(folder):
            raise OutputError(
                f"cannot write {what} to {shown}: the folder {folder} does not exist"
            ) from None
        return Target(shown, shown, existed=False, direct=False)
    except (OSError, ValueError) as exc:
        raise OutputError(_cannot(what, shown, exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {what} to {shown}: it is a folder; name a file in it")
    if not stat.S_ISREG(info.st_mode):
        return Target(shown, shown, existed=True, direct=True)
    if not os.access(shown, os.W_OK):
        raise OutputError(f"cannot write {what} to {shown}: Permission denied")
    mode = stat.S_IMODE(info.st_mode)
    return Target(shown, os.path.realpath(shown), existed=True, direct=False, mode=mode)


@contextmanager
def output_text(
    path: str | os.PathLike[str], *, what: str, inputs: Inputs = ()
) -> Iterator[TextIO]:
    """A UTF-8 text stream (``\\n`` line ends) that becomes ``path`` when the block ends well."""
    with _output(path, what, inputs, text=True) as stream:
        yield cast(TextIO, stream)


@contextmanager
def output_binary(
    path: str | os.PathLike[str], *, what: str, inputs: Inputs = ()
) -> Iterator[BinaryIO]:
    """A binary stream that becomes ``path`` when the block ends well."""
    with _output(path, what, inputs, text=False) as stream:
        yield cast(BinaryIO, stream)


def write_output(
    path: str | os.PathLike[str], data: str | bytes, *, what: str, inputs: Inputs = ()
) -> bool:
    """Write ``data`` to ``path`` atomically; True when it replaced a file that was there."""
    target = check_output(path, what=what, inputs=inputs)
    with _output(target, what, (), text=isinstance(data, str)) as stream:
        stream.write(data)
    return target.existed


# -- the machinery ---------------------------------------------------------------------


def _same_file(a: str, b: str | os.PathLike[str]) -> bool:
    """One file (same device and inode), or one name once links and dots are resolved."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them does not exist (yet)
        pass
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def _cannot(what: str, shown: str, exc: BaseException, kept: bool = False) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    note = " (the file that was there is untouched)" if kept else ""
    return f"cannot write {what} to {shown}: {reason}{note}"


class _GuardedFile(io.FileIO):
    """A raw file whose write errors are :class:`OutputError` naming the target."""

    def __init__(self, fd: int, message: Any) -> None:
        super().__init__(fd, "w", closefd=True)
        self._message = message

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            raise OutputError(self._message(exc)) from None


@contextmanager
def _output(
    path: str | os.PathLike[str] | Target, what: str, inputs: Inputs, *, text: bool
) -> Iterator[IO[Any]]:
    target = path if isinstance(path, Target) else check_output(path, what=what, inputs=inputs)
    kept = target.existed and not target.direct

    def message(exc: BaseException) -> str:
        return _cannot(what, target.shown, exc, kept)

    temp: str | None = None
    try:
        if target.direct:
            fd = os.open(target.real, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        else:
            fd, temp = _temp_beside(target.real)
            if target.mode is not None:
                with suppress(OSError):
                    os.fchmod(fd, target.mode)
    except OSError as exc:
        raise OutputError(message(exc)) from None
    buffered = io.BufferedWriter(_GuardedFile(fd, message), _BUFFER)
    stream: IO[Any] = (
        io.TextIOWrapper(buffered, encoding="utf-8", newline="\n") if text else buffered
    )
    try:
        yield stream  # what the block raises goes on as it is: only our own steps are told here
        try:
            stream.flush()
            if temp is not None:
                os.fsync(stream.fileno())
            stream.close()
            if temp is not None:
                os.replace(temp, target.real)
                temp = None
                _sync_folder(target.real)
        except OSError as exc:
            raise OutputError(message(exc)) from None
    finally:
        if not stream.closed:
            with suppress(Exception):
                stream.close()
        if temp is not None:
            with suppress(OSError):
                os.unlink(temp)


def _temp_beside(real: str) -> tuple[int, str]:
    folder, name = os.path.split(real)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        temp = os.path.join(folder, f".{name[:200]}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue


def _sync_folder(real: str) -> None:
    """Make the rename itself durable (best effort: not every system can fsync a folder)."""
    with suppress(OSError):
        fd = os.open(os.path.dirname(real) or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
