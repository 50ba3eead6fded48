"""The one family of errors sitefit raises, each with the exit code a scheduler acts on.

Exit codes (the README's contract):

- 0 every row evaluated; 1 finished, some rows rejected (see rejected.csv);
- 2 the input, the rules or the options cannot be used: fix them and run again;
- 3 the environment failed (disk full, permissions, a missing system library, a closed or
  full standard output, memory or processes beyond the machine's limits): retry or call
  ops; the input is not at fault;
- 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the previous output is untouched; a
  second signal ends the run at once, the previous output still untouched.

Every error also carries a stable ``code`` (like frictionless' ``type-error``) that a
machine can match on while the message, meant for people, is free to improve.
"""

from __future__ import annotations

import errno
import re
import signal
from enum import IntEnum
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None


class Exit(IntEnum):
    """The process exit codes of ``sitefit``."""

    OK = 0
    SOME_REJECTED = 1
    UNUSABLE = 2
    ENVIRONMENT = 3
    INTERRUPTED = 128 + signal.SIGINT
    TERMINATED = 128 + signal.SIGTERM


class SitefitError(Exception):
    """A run that cannot go on; the message says why and what to do."""

    exit_code: int = Exit.UNUSABLE
    code: str = "sitefit-error"


class InputError(SitefitError):
    """An input file that cannot be read as a portfolio at all."""

    code = "input-error"


class RulesError(SitefitError):
    """A rules file or a --set that cannot be used; the message names the file and key."""

    code = "rules-error"


class UsageError(SitefitError):
    """Options that cannot be used together or as given."""

    code = "usage-error"


class OutputError(SitefitError):
    """An output folder sitefit refuses to write (it would lose or clash with other files)."""

    code = "output-error"


class EnvironmentFailure(SitefitError):
    """The machine failed the run (disk, permissions, a missing system library), not the
    input: retry, or ask whoever runs the machine."""

    exit_code = Exit.ENVIRONMENT
    code = "environment-failure"

class StdoutFailed(EnvironmentFailure):
    """Standard output was closed or full, so the document meant for it is lost."""

    code = "stdout-failed"


class OutOfResources(EnvironmentFailure):
    """The run needed more memory, processes or threads than the machine allows it."""

    code = "out-of-resources"


class Interrupted(SitefitError):
    """Ctrl-C: the run stopped at the user's request; the previous output is untouched."""

    exit_code = Exit.INTERRUPTED
    code = "interrupted"


class Terminated(SitefitError):
    """SIGTERM: the run was stopped by whoever runs it; the previous output is untouched."""

    exit_code = Exit.TERMINATED
    code = "terminated"


class InternalError(SitefitError):
    """A bug in sitefit: nothing the input or the machine did should raise it."""

    code = "internal-error"


def as_sitefit_error(exc: Exception) -> SitefitError:
    """Any failure as one of the family: an OSError, or memory, processes or threads refused,
    is the environment's; anything else a bug."""
    if isinstance(exc, SitefitError):
        return exc
    if refused := out_of_resources(exc):
        return refused
    if isinstance(exc, OSError):
        return EnvironmentFailure(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    return InternalError(f"internal error: {type(exc).__name__}: {exc} "
                         "(run again with --debug for the traceback)")


def out_of_resources(exc: BaseException) -> OutOfResources | None:
    """Memory, a process or a thread the machine refused the run, said with its limit."""
    if isinstance(exc, MemoryError):
        return OutOfResources("out of memory" + _limit("RLIMIT_AS", "memory", "ulimit -v")
                              + "; run fewer sites per file, fewer --jobs, or on a machine "
                              "with more memory (the previous output is untouched)")
    if isinstance(exc, ImportError) and _NO_ROOM_TO_LOAD.search(str(exc)):
        return OutOfResources("out of memory while loading a library"
                              + _limit("RLIMIT_AS", "memory", "ulimit -v")
                              + "; raise the limit, or run on a machine with more memory")
    thread = isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)
    if thread or (isinstance(exc, OSError) and exc.filename is None
                  and exc.errno in (errno.EAGAIN, errno.ENOMEM)):
        return OutOfResources(
            f"cannot start another {'thread' if thread else 'process'}"
            + _limit("RLIMIT_NPROC", "processes and threads", "ulimit -u")
            + "; run with fewer --jobs, or raise the limit (the previous output is untouched)")
    return None


_NO_ROOM_TO_LOAD = re.compile(r"failed to map segment|cannot allocate memory", re.IGNORECASE)


def _limit(which: str, what: str, command: str) -> str:
    """`` (this run may use at most N ...: ulimit ...)``, where such a limit is set."""
    if resource is None:
        return ""
    soft, _ = resource.getrlimit(getattr(resource, which))
    if soft == resource.RLIM_INFINITY:
        return ""
    if which != "RLIMIT_AS":
        amount = f"{soft:,}"
    elif soft < 2**30:
        amount = f"{soft / 2**20:,.0f} MiB of"
    else:
        amount = f"{soft / 2**30:,.1f} GiB of"
    return f" (this run may use at most {amount} {what}: {command})"


# An --out that cannot be a folder is the options' fault; anything else is the machine's.
_UNUSABLE_OUT = {errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EINVAL}


def writing_failed(exc: OSError, out_dir: Path) -> SitefitError:
    """The failure to write the outputs into ``out_dir``, said in words."""
    if refused := out_of_resources(exc):
        return refused
    where = exc.filename or out_dir
    untouched = f"the previous output in {out_dir} is untouched" if out_dir.exists() else ""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and (blocker := _file_above(out_dir)):
        return OutputError(f"--out {out_dir}: {blocker} is a file, not a folder; give --out a "
                           "folder (new, or one sitefit wrote)")
    if exc.errno == errno.ENOSPC:
        return EnvironmentFailure(f"no space left on the device while writing {where}; free "
                                  "some space and run again"
                                  + (f" ({untouched})" if untouched else ""))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EnvironmentFailure(f"cannot write to {where} ({exc.strerror}); choose another "
                                  "--out or fix the folder's permissions")
    kind = OutputError if exc.errno in _UNUSABLE_OUT else EnvironmentFailure
    return kind(f"cannot write the outputs to {where} ({exc.strerror or exc})"
                + (f"; {untouched}" if untouched else ""))


def _file_above(folder: Path) -> Path | None:
    """The nearest of ``folder`` and the folders above it that exists, if it is no folder."""
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            return None if path.is_dir() else path
    return None
