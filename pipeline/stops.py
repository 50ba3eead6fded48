"""The stop a signal asks for, kept where the run looks for it.

The command line's handler raises at once (``Stopped``, or ``KeyboardInterrupt`` for Ctrl-C),
but Python drops an exception raised inside a weakref callback or a ``__del__`` (an import's
module lock runs one), printing "Exception ignored" and carrying on. So the handler also
records the stop, and the run checks for it at each input, chunk and stage: a stop lost so
is acted on there, and a run never carries on past a signal it was sent.
"""

from __future__ import annotations

import signal


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the run is, so that it unwinds as Ctrl-C does."""


_asked: list[int] = []


def ask(signum: int) -> None:
    """Record a stop asked for by ``signum`` and raise it here."""
    _asked.append(signum)
    raise _exception(signum)


def check() -> None:
    """Raise the stop a signal asked for, if one did and it has not been raised here."""
    if _asked:
        raise _exception(_asked[0])


def _exception(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Stopped()
