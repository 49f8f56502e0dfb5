"""Small file-system helpers shared by every stage that writes.

Outputs are never half-written: a file is written to a hidden temporary
sibling and renamed over its target with ``os.replace`` (atomic on POSIX),
and gets ordinary permissions (``tempfile`` would leave it private). Folders
are swapped with :func:`exchange_paths` (one atomic ``renameat2`` call on
Linux). :func:`exclusive_lock` keeps two hkbt processes from writing the same
thing at once, and :func:`signals_deferred` keeps Ctrl-C or ``kill`` from
landing between two steps that must happen together (the console script turns
those signals into :class:`Interrupted` with :func:`raise_on_signals`).

Every ``OSError`` from the disk (read-only folder, full disk, a path through a
file, a symlink loop) becomes one :class:`~hkbt.errors.DataError` line through
:func:`disk_error`, naming the path and what to do.
"""

from __future__ import annotations

import ctypes
import hashlib
import errno
import fcntl
import glob
import os
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hkbt.errors import DataError

TEMP_SUFFIX = ".tmp"
STALE_SECONDS = 600  # a temporary file this old belongs to a write that was killed (writes take milliseconds)
INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def default_mode(directory: bool = False) -> int:
    """Permissions a normal ``open()``/``mkdir()`` would give under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def disk_error(path: Path | str, exc: OSError, doing: str = "cannot write") -> DataError:
    """One user-facing line for a failed file-system call.

    >>> str(disk_error("backtests", PermissionError(13, "Permission denied")))
    'backtests: cannot write (Permission denied) -> check that the folder exists, is writable and the disk has space'
    """
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    if exc.errno == errno.ENOSPC:
        fix = "free some disk space and run again"
    elif exc.errno == errno.ELOOP:
        fix = "the path goes through a symbolic link loop; fix or remove the link"
    elif exc.errno == errno.ENOTDIR:
        fix = "a part of the path is a file, not a folder"
    else:
        fix = "check that the folder exists, is writable and the disk has space"
    return DataError(str(path), f"{doing} ({reason})", fix)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary sibling and ``os.replace``.

    The temporary file is ``.<name>.<random>.tmp`` beside the target; any
    ``OSError`` becomes a :class:`~hkbt.errors.DataError` and leaves the target
    as it was. Temporary files of the same target that a killed process left
    (older than :data:`STALE_SECONDS`) are removed first.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path)
        with signals_deferred():  # an interruption lands before the file exists or after `temporary` names it
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, default_mode())
        os.replace(temporary, path)
    except OSError as exc:
        raise disk_error(path, exc) from None
    finally:
        if temporary is not None and os.path.lexists(temporary):
            Path(temporary).unlink(missing_ok=True)
    return path


def ours_or_missing(path: Path, magic: bytes) -> bool:
    """``path`` does not exist or begins with ``magic`` (a cache entry hkbt wrote); unreadable counts as not ours."""
    try:
        with open(path, "rb") as stream:
            return stream.read(len(magic)) == magic
    except FileNotFoundError:
        return True
    except OSError:
        return False


_DIGEST_BYTES = 32  # a SHA-256


def write_sealed(path: Path, magic: bytes, body: bytes) -> None:
    """Write a cache entry atomically as ``magic``, the SHA-256 of ``body``, then ``body`` (:func:`unseal` reads it back).

    The marker says hkbt wrote the file (:func:`ours_or_missing`); the checksum lets a
    reader tell a damaged entry from a good one. Raises :class:`DataError` like
    :func:`write_bytes_atomic`.
    """
    write_bytes_atomic(path, magic + hashlib.sha256(body).digest() + body)


def unseal(sealed: bytes) -> bytes:
    """The body of an entry :func:`write_sealed` wrote, given what follows its marker; ``ValueError`` if damaged."""
    digest, body = sealed[:_DIGEST_BYTES], sealed[_DIGEST_BYTES:]
    if hashlib.sha256(body).digest() != digest:
        raise ValueError("checksum mismatch")
    return body



def _remove_stale_temporaries(path: Path) -> None:
    now = time.time()
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
        try:
            info = stale.lstat()
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_SECONDS:
                stale.unlink()
        except OSError:
            continue


# ----------------------------------------------------------------------------- atomic folder swap

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2() if os.name == "posix" else None


def exchange_paths(first: Path, second: Path) -> bool:
    """Atomically swap two existing paths (``renameat2(RENAME_EXCHANGE)``); ``False`` if unsupported.

    After a successful call ``first`` holds what ``second`` held and the other
    way round, with no moment in which either name is missing. Where the C
    library, the kernel or the file system lacks the call, nothing is changed
    and ``False`` is returned so that the caller can fall back to two renames.
    """
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(second))


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP, raised like Ctrl-C so that every clean-up handler runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_deferring = 0  # depth of signals_deferred() blocks
_pending: int | None = None  # a signal that arrived inside one, raised when the outermost block ends
_raised: int | None = None  # the signal that started an orderly exit; later ones must not interrupt its clean-up


def _on_signal(signum: int, frame) -> None:
    global _pending, _raised
    if _deferring or _raised:
        _pending = _pending or signum
        return
    _raised = signum
    raise Interrupted(signum)


def interrupted_by() -> int | None:
    """The signal whose :class:`Interrupted` is unwinding the program, if any.

    Extension code that calls back into Python (a pydantic serializer, a
    sqlite callback) may wrap the exception in one of its own; the CLI asks
    this to recognise such an exception as the interruption it is.
    """
    return _raised


def raise_on_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` (installed by the console script).

    Without this, ``kill`` ends Python at once and leaves a half-written
    staging folder behind; with it every ``finally`` and clean-up handler
    runs. Only the first signal interrupts: later ones are noted and ignored,
    so that the clean-up the first one started can finish (SIGKILL still
    ends the process at once; the next run repairs what it leaves).
    """
    for signum in INTERRUPTS:
        signal.signal(signum, _on_signal)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (then the first is raised).

    For the few lines that must run together, e.g. creating a staging folder
    and remembering its name, or the two renames of a fallback folder swap.
    The deferral is done in the Python-level handler (:func:`raise_on_signals`),
    not by masking the signal, because the kernel may deliver a signal to any
    thread (numerical libraries start their own) and Python then runs the
    handler in the main thread whatever its mask. Without the handler
    installed (hkbt used as a library) this is a no-op. SIGKILL cannot be held;
    what it interrupts is repaired by the next run (see
    :func:`hkbt.backtest.results.sweep_stale`).
    """
    global _deferring, _pending, _raised
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending is not None and signal.getsignal(_pending) is _on_signal:
            signum, _pending = _pending, None
            if not _raised:
                _raised = signum
                raise Interrupted(signum)


# ----------------------------------------------------------------------------- locks

_HELD: dict[str, int] = {}  # lock path -> open descriptor, for re-entry within this process


class LockedError(DataError):
    """Another process holds the lock."""


@contextmanager
def exclusive_lock(path: Path, what: str, fix: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block; fail at once if another process has it.

    The lock file holds the owner's pid (for the message) and is removed on
    release. Re-entering the same lock in the same process is a no-op, so a
    command can take the lock early and library functions can take it again.
    A process killed while holding the lock releases it (the kernel drops
    ``flock`` locks with the process); the file it leaves is reused.

    Raises:
        LockedError: ``path`` is locked by another process (``what``/``fix`` form the message).
        DataError: the lock file cannot be created (read-only folder, ...).
    """
    key = os.path.abspath(path)
    if key in _HELD:
        yield
        return
    descriptor = _acquire(Path(path), what, fix)
    _HELD[key] = descriptor
    try:
        yield
    finally:
        del _HELD[key]
        try:
            os.unlink(path)  # while still locked: a waiting process then sees a fresh file
        except OSError:
            pass
        os.close(descriptor)


def _acquire(path: Path, what: str, fix: str) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        try:
            descriptor = os.open(path, flags, default_mode())
        except OSError as exc:
            raise disk_error(path, exc, "cannot create the lock file") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
            os.close(descriptor)
            raise LockedError(what, f"another hkbt process{f' (pid {owner})' if owner.isdigit() else ''} is writing it", fix) from None
        # the holder we waited for may have unlinked the file: only a lock on the current file counts
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            return descriptor
        os.close(descriptor)
