"""Where results go: output paths checked before a run, and output folders replaced all-or-nothing.

A run writes its folder DIR in a new folder beside it (DIR.tmp-<pid>-<random>) and swaps that in: on Linux
with one atomic exchange of the two names (renameat2 RENAME_EXCHANGE), elsewhere with two renames (DIR to
DIR.old-<pid>-<random>, the new folder to DIR). Whenever the writer dies, DIR is wholly the old folder or
wholly the new one; in the two-rename fallback DIR can be missing for an instant, and the next writer puts
the old folder back (`settle`). A lock on DIR.lock (fcntl.flock, released by the kernel when its holder
dies) keeps a second run out of DIR until the first has finished; leftover .tmp-/.old- folders are removed
by the next writer, which holds the lock, so they can only be a dead writer's.

SIM_CRASH_AT=<point> makes the writer die (os._exit) at a named point of the sequence; the tests use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
from pathlib import Path

from .errors import InputError

CRASH_POINTS = ("written", "moved-old", "swapped", "cleaned")


def _crash_point(name: str) -> None:
    if os.environ.get("SIM_CRASH_AT") == name:
        os._exit(86)  # as abrupt as a kill -9: no cleanup, no flush


def umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux: /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- checks before a run
def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_creatable(path: Path, option: str) -> None:
    """`path` does not exist yet: its nearest existing ancestor must be a folder we can write in."""
    base = _nearest_existing(path.parent if path.parent != path else path)
    if not base.is_dir():
        raise InputError(path, option, f"cannot be created: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(path, option, f"cannot be created: folder {base} is not writable")


def _leftover(name: str) -> bool:
    """A hidden temporary file an interrupted atomic write left (see sim.files.atomic_write)."""
    return name.startswith(".") and name.endswith(".tmp")


def check_out_folder(path: str | Path, option: str = "--out", *, in_place: bool = False,
                     holds: set[str] | frozenset[str] = frozenset()) -> Path:
    """Refuse, before any run, an output folder that could not be written: an existing file, a folder
    (or its parent, where it is replaced by a swap) that is not writable, a parent that is a file.
    `in_place`: the folder is written into directly (a resumable sweep), not replaced; otherwise an
    existing folder is replaced whole, so it may hold only the files named in `holds` (what an earlier
    run wrote): `--out .` or a folder of the user's own files is refused rather than swapped away."""
    path = Path(os.path.abspath(path))
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise InputError(path, option, "is a file, not a folder: give a folder (it is created)")
        if not in_place:
            other = sorted(p.name for p in path.iterdir() if p.name not in holds and not _leftover(p.name))
            if other:
                raise InputError(path, option, f"holds {len(other)} file(s) a run does not write (e.g. "
                                               f"{other[0]!r:.60}) and would be replaced whole: give a new "
                                               "folder or one an earlier run wrote")
        if in_place and not os.access(path, os.W_OK | os.X_OK):
            raise InputError(path, option, "folder is not writable")
        if not in_place and not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(path, option, f"cannot be replaced: folder {path.parent} is not writable")
        return path
    _check_creatable(path, option)
    return path


def check_out_file(path: str | Path, option: str = "--out") -> Path:
    """Refuse, before any run, an output file that could not be written (a folder, an unwritable place)."""
    path = Path(os.path.abspath(path))
    if path.is_dir():
        raise InputError(path, option, "is a folder: give a file name")
    if path.exists():
        if not path.is_file():
            raise InputError(path, option, "is not a regular file")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(path, option, f"cannot be replaced: folder {path.parent} is not writable")
        return path
    _check_creatable(path, option)
    return path


# --------------------------------------------------------------------------- all-or-nothing folders
def _siblings(dest: Path, tag: str) -> list[Path]:
    prefix = f"{dest.name}.{tag}-"
    try:
        return [p for p in dest.parent.iterdir() if p.name.startswith(prefix) and p.is_dir()]
    except FileNotFoundError:
        return []


def settle(dest: str | Path) -> None:
    """Finish or undo what a dead writer left (call with the lock held): the old folder back where a
    writer died between its two renames, then its leftover .tmp-/.old- folders removed."""
    dest = Path(dest)
    olds = sorted(_siblings(dest, "old"), key=lambda p: p.stat().st_mtime)
    if not dest.exists() and olds:
        os.rename(olds[-1], dest)  # the writer died with DIR moved aside: wholly old again
        olds = olds[:-1]
    for p in olds + _siblings(dest, "tmp"):
        shutil.rmtree(p, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system or file system cannot."""
    if os.environ.get("SIM_NO_EXCHANGE") or not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def folder_lock(dest: str | Path, option: str = "--out"):
    """Hold DIR.lock for the whole write; a second writer is refused in one line instead of waiting."""
    import fcntl

    dest = Path(os.path.abspath(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = dest.parent / f"{dest.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(dest, option, f"another run is writing this folder now ({lock.name} is locked); "
                                           "wait for it or choose another folder") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


class FolderWriter:
    """Write a whole output folder, then swap it in (see the module's docstring). Use as

        with replace_folder(dest) as tmp:  # the lock is taken here, before the run
            ... run ...; write files into tmp
    The swap happens when the block ends without an exception; otherwise the new folder is dropped."""

    def __init__(self, dest: Path, option: str):
        self.dest, self.option = Path(os.path.abspath(dest)), option
        self.tmp = self.dest.parent / f"{self.dest.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"

    def swap(self) -> None:
        dest, tmp = self.dest, self.tmp
        _crash_point("written")
        if dest.exists():
            if _exchange(tmp, dest):  # dest is now new; tmp holds the old folder
                _crash_point("swapped")
                shutil.rmtree(tmp)
            else:
                old = dest.parent / f"{dest.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
                os.rename(dest, old)
                _crash_point("moved-old")
                os.rename(tmp, dest)
                _crash_point("swapped")
                shutil.rmtree(old)
        else:
            os.rename(tmp, dest)
            _crash_point("swapped")
        _crash_point("cleaned")


@contextlib.contextmanager
def replace_folder(dest: str | Path, option: str = "--out", holds: set[str] | frozenset[str] | None = None):
    """Lock DIR, settle what a dead writer left, yield a new empty folder beside it; swap it in at the end.
    `holds`: the names an existing DIR may hold (see check_out_folder); None: anything."""
    dest = Path(os.path.abspath(dest))
    if holds is not None:
        check_out_folder(dest, option, holds=holds)
    with folder_lock(dest, option):
        settle(dest)
        writer = FolderWriter(dest, option)
        os.mkdir(writer.tmp)  # mode 0o777 minus the umask, like any folder the user makes
        try:
            yield writer.tmp
            writer.swap()
        finally:
            if writer.tmp.exists():
                shutil.rmtree(writer.tmp, ignore_errors=True)
