"""A writer run in a second process, so that writing one chunk overlaps computing the next.

The writer is made in the child from a function given here; calls name the writer's own
methods (``tables.call(Tables.add, frame)``), so a type checker sees their arguments, and
run there in the order they were asked for. A call returns as soon as the child has taken
its arguments (one call can be under way while the parent works on); an error raised in
the child comes back from the next call or from :meth:`Background.finish`, with the child's
traceback as a note. :class:`InProcess` makes the same calls here and now, where the
platform cannot fork or one job was asked for.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from typing import Any, Callable, Concatenate, Generic, ParamSpec, Protocol, TypeVar

W = TypeVar("W")
P = ParamSpec("P")
R = TypeVar("R")

from pipeline.children import end_with_parent, signals_held
from pipeline.errors import EnvironmentFailure


class WriterDied(EnvironmentFailure):
    """The writer process ended without saying why (it was killed, or ran out of memory)."""


class Writer(Protocol[W]):
    """What the run asks of its table writer, wherever it runs."""

    def call(self, method: Callable[Concatenate[W, P], object], /, *args: P.args,
             **kwargs: P.kwargs) -> None:
        """Have the writer run ``method(writer, *args, **kwargs)``; its result is dropped."""

    def finish(self, method: Callable[Concatenate[W, P], R], /, *args: P.args,
               **kwargs: P.kwargs) -> R:
        """Run ``method`` last, wait for everything, and return its result."""

    def abort(self) -> None:
        """Stop writing at once, whatever it was doing."""


class Background(Generic[W]):
    """The object ``make()`` returns, living in a forked child process."""

    @staticmethod
    def available() -> bool:
        """Whether this platform can fork (Linux and macOS can; Windows cannot)."""
        return "fork" in multiprocessing.get_all_start_methods()

    def __init__(self, make: Callable[[], W]):
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve,
                                        args=(make, child_end, self._conn, os.getpid()),
                                        name="sitefit-writer", daemon=True)
        with signals_held():
            self._process.start()
        child_end.close()

    def call(self, method: Callable[Concatenate[W, P], object], /, *args: P.args,
             **kwargs: P.kwargs) -> None:
        self._send(method, args, kwargs, last=False)

    def finish(self, method: Callable[Concatenate[W, P], R], /, *args: P.args,
               **kwargs: P.kwargs) -> R:
        self._send(method, args, kwargs, last=True)
        try:
            result = self._reply()
        finally:
            self._process.join()
        return result

    def abort(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._conn.close()

    def _send(self, method: Callable[..., Any], args: tuple, kwargs: dict, last: bool) -> None:
        if self._conn.poll():  # the writer failed on an earlier call
            self._reply()
        try:
            self._conn.send((method, args, kwargs, last))
        except (BrokenPipeError, ConnectionResetError):
            self._reply()

    def _reply(self) -> Any:
        try:
            status, value = self._conn.recv()
        except (EOFError, ConnectionResetError):
            self._process.join()
            raise WriterDied(f"the writer process ended unexpectedly (exit code "
                             f"{self._process.exitcode})") from None
        if status == "failed":
            raise value
        return value


def _serve(make: Callable[[], Any], conn, parent_end, parent: int) -> None:
    """The child: make the writer, then run each call sent until the last one."""
    parent_end.close()
    try:
        end_with_parent(parent)
        writer = make()
        while True:
            method, args, kwargs, last = conn.recv()
            result = method(writer, *args, **kwargs)
            if last:
                conn.send(("done", result))
                return
    except EOFError:  # the parent is gone: nobody wants what we would write
        return
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        exc.add_note("in the writer process:\n" + traceback.format_exc())
        try:
            conn.send(("failed", exc))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled
            conn.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))


class InProcess(Generic[W]):
    """The same calls as :class:`Background`, made here and now: for a single job."""

    def __init__(self, make: Callable[[], W]):
        self._writer = make()

    def call(self, method: Callable[Concatenate[W, P], object], /, *args: P.args,
             **kwargs: P.kwargs) -> None:
        method(self._writer, *args, **kwargs)

    def finish(self, method: Callable[Concatenate[W, P], R], /, *args: P.args,
               **kwargs: P.kwargs) -> R:
        return method(self._writer, *args, **kwargs)

    def abort(self) -> None:
        """Nothing runs on: the staging folder's removal takes what was written."""
