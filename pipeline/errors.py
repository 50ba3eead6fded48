"""The one family of errors sitefit raises, each with the exit code a scheduler acts on.

Exit codes (the README's contract):

- 0 every row evaluated; 1 finished, some rows rejected (see rejected.csv);
- 2 the input, the rules or the options cannot be used: fix them and run again;
- 3 the environment failed (disk full, permissions, a missing system library): retry or
  call ops; the input is not at fault;
- 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the previous output is untouched.

Every error also carries a stable ``code`` (like frictionless' ``type-error``) that a
machine can match on while the message, meant for people, is free to improve.
"""

from __future__ import annotations

import errno
import signal
from enum import IntEnum
from pathlib import Path


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



class Interrupted(SitefitError):
    """Ctrl-C: the run stopped at the user's request; the previous output is untouched."""

    exit_code = Exit.INTERRUPTED
    code = "interrupted"


class InternalError(SitefitError):
    """A bug in sitefit: nothing the input or the machine did should raise it."""

    code = "internal-error"


def as_sitefit_error(exc: Exception) -> SitefitError:
    """Any failure as one of the family: an OSError is the environment's, anything else a bug."""
    if isinstance(exc, SitefitError):
        return exc
    if isinstance(exc, OSError):
        return EnvironmentFailure(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    return InternalError(f"internal error: {type(exc).__name__}: {exc} "
                         "(run again with --debug for the traceback)")


# An --out that cannot be a folder is the options' fault; anything else is the machine's.
_UNUSABLE_OUT = {errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EINVAL}


def writing_failed(exc: OSError, out_dir: Path) -> SitefitError:
    """The failure to write the outputs into ``out_dir``, said in words."""
    where = exc.filename or out_dir
    if exc.errno == errno.ENOSPC:
        return EnvironmentFailure(f"no space left on the device while writing {where}; free "
                                  f"some space and run again (the previous output in {out_dir} "
                                  "is untouched)")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EnvironmentFailure(f"cannot write to {where} ({exc.strerror}); choose another "
                                  "--out or fix the folder's permissions")
    kind = OutputError if exc.errno in _UNUSABLE_OUT else EnvironmentFailure
    return kind(f"cannot write the outputs to {where} ({exc.strerror or exc}); the previous "
                f"output in {out_dir} is untouched")
