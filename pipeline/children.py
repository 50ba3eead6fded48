"""Helper processes that end when the run that started them dies, even by ``kill -9``."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

_PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """Call first thing in a process that ``parent`` started: it exits when ``parent`` dies.

    Linux kills it at once (PR_SET_PDEATHSIG); everywhere a thread also watches the parent's
    process id and ends the process within a second of the parent's end. The parent decides
    when its helpers stop: SIGTERM ends one at once (not through the handler it inherited),
    and Ctrl-C, sent to the whole terminal's group, is left to the parent.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held since the fork (signals_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    threading.Thread(target=_watch, args=(parent,), name="sitefit-parent-watch",
                     daemon=True).start()


_STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """Start helper processes inside this: Ctrl-C and SIGTERM wait while the process forks,
    so a forked child never runs the parent's handler on the parent's stack (it lets them
    in once it has its own, in ``end_with_parent``), and the parent takes any that came
    meanwhile as soon as the child exists."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows starts no forked helpers
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _watch(parent: int) -> None:
    while os.getppid() == parent:  # an orphan is adopted by another process
        time.sleep(0.5)
    os._exit(1)
