"""Replace an output folder only once its new contents are complete, and only if sitefit
wrote everything in it.

A run writes into a staging folder beside the output folder and swaps it in when complete.
The output folder is replaced only when it is new, empty, or holds nothing but the files an
earlier run's manifest lists; anything else (the input, files sitefit did not write) is
refused before any work is done. One run at a time per folder: a lock beside it makes a
second run refuse, so no run removes another live run's staging folder.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from pipeline import bounded
from pipeline.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

MANIFEST = "manifest.json"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextmanager
def atomic_directory(target: Path, keep: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; on success it becomes ``target``.

    ``target`` (a symlink is followed) must be new, empty, or an earlier run's output holding
    only what its manifest lists, and must not hold any of ``keep`` (the input); otherwise
    :class:`OutputError`. On any error (or a kill) the previous ``target`` stays as it was
    and the half-written folder is removed, now or by the next run.
    """
    target = _real(Path(target))
    keep = [Path(path).resolve() for path in keep]
    _refuse_unless_ours(target, keep)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        recover(target)
        staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()  # mode 0777 less the umask, as any folder the user makes
        _LIVE[staging] = _lock_path(target)
        try:
            yield staging
            _refuse_unless_ours(target, keep)  # a file may have been added while we wrote
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            _LIVE.pop(staging, None)
        _swap(staging, target)


_LIVE: dict[Path, Path] = {}  # the staging folder and lock of each run under way here


def abandon() -> None:
    """Remove the staging folder and the lock of every run under way, for a process about
    to end at once (a second signal): the previous outputs stay as they were."""
    for staging, lock in list(_LIVE.items()):
        shutil.rmtree(staging, ignore_errors=True)
        lock.unlink(missing_ok=True)


def recover(target: Path) -> None:
    """Undo what an interrupted run left beside ``target`` (call it holding the lock)."""
    leftovers = sorted(p for p in target.parent.iterdir()
                       if p.name.startswith((f".{target.name}.tmp-", f".{target.name}.old-")))
    for leftover in leftovers:
        if leftover.name.startswith(f".{target.name}.old-") and not target.exists():
            os.rename(leftover, target)
        else:
            _discard(leftover)


def _real(target: Path) -> Path:
    """``target`` as an absolute path with symlinks followed (``.`` is the current folder)."""
    real = target.resolve()
    here = Path.cwd().resolve()
    if here.is_relative_to(real):
        raise OutputError(f"--out {target} is or holds the folder you are working in "
                          f"({here}); sitefit replaces its output folder whole, so give it a "
                          "folder of its own, such as --out output")
    return real


def _refuse_unless_ours(target: Path, keep: list[Path]) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"--out {target} is a file, not a folder; choose another --out")
    inside = [path for path in keep if path.is_relative_to(target)]
    if inside:
        raise OutputError(
            f"--out {target} holds the input {inside[0]}; sitefit replaces its output folder "
            f"whole, so it never writes where its input is: choose another --out, such as "
            f"{target / 'sitefit-output'}")
    _, foreign = _sort_out(target)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3
                                          else "")
        raise OutputError(
            f"--out {target} holds files sitefit did not write ({shown}); sitefit replaces its "
            "output folder whole, so it writes only into a new or empty folder or one an "
            f"earlier run wrote: choose another --out, such as {target / 'sitefit-output'}, "
            "or move those files away")


def _listed(folder: Path) -> set[str] | None:
    """The paths the sitefit manifest in ``folder`` lists (``reports/`` for a folder of them,
    ``reports/x.pdf`` for a file in it); None if ``folder`` holds no sitefit manifest."""
    try:
        manifest = json.loads(bounded.read_text(folder / MANIFEST, bounded.MANIFEST_MAX_BYTES,
                                                "a manifest"))
        if manifest.get("tool") != "sitefit":
            return None
        names = {*manifest["outputs"], *((manifest.get("pdfs") or {}).get("keys") or {})}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            bounded.TooLarge):
        return None
    return {name for name in names if isinstance(name, str) and _plain(name)}


def _plain(name: str) -> bool:
    """A name for a file in the folder or in one folder below it, never outside it."""
    parts = PurePosixPath(name).parts
    return (0 < len(parts) <= 2 and not name.startswith("/")
            and not any(part in (".", "..") or "\\" in part for part in parts))


def _sort_out(folder: Path) -> tuple[list[Path], list[str]]:
    """The files and folders in ``folder`` its manifest lists (those inside a folder before
    the folder), and the names of everything else."""
    listed = _listed(folder) or set()
    ours: list[Path] = []
    foreign: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and f"{entry.name}/" in listed:
            for inner in sorted(entry.iterdir()):
                name = f"{entry.name}/{inner.name}"
                if name in listed and (inner.is_symlink() or not inner.is_dir()):
                    ours.append(inner)
                else:
                    foreign.append(name)
            ours.append(entry)
        elif entry.name in listed and (entry.is_symlink() or not entry.is_dir()):
            ours.append(entry)
        else:
            foreign.append(entry.name)
    return ours, foreign


def _discard(folder: Path) -> None:
    """Remove a staging folder or a replaced output: of a finished output only what its
    manifest lists (the manifest last), of an unfinished staging folder everything."""
    if folder.is_symlink() or not folder.is_dir():
        folder.unlink(missing_ok=True)
        return
    if _listed(folder) is None:  # a staging folder no run finished: sitefit wrote all of it
        shutil.rmtree(folder, ignore_errors=True)
        return
    ours, foreign = _sort_out(folder)
    for path in ours:
        if path.name == MANIFEST and path.parent == folder:
            continue
        try:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            pass  # a folder that still holds something sitefit did not write stays
    if not foreign:
        (folder / MANIFEST).unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass  # something was added a moment ago: it stays


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target`` for the run; refuse if another run holds it."""
    path = _lock_path(target)
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _lock(handle)
        except OSError as exc:
            os.close(handle)
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise OutputError(f"another sitefit run is writing {target}; wait for it to "
                              "finish, or choose another --out") from None
        try:
            if os.path.samestat(os.fstat(handle), os.stat(path)):
                break  # not a lock file a finishing run removed while we opened it
        except FileNotFoundError:
            pass
        os.close(handle)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _lock(handle: int) -> None:
    """Lock an open file for this process only (a forked child does not hold it)."""
    if fcntl is not None:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        _discard(staging)  # it now holds the previous output
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    os.rename(target, old)
    os.rename(staging, target)
    _discard(old)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2; False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
