"""The writer process: calls arrive in order, results and errors come back, nothing lingers."""

from __future__ import annotations

import errno
import os
import signal

import pytest

from pipeline.writers.background import Background, InProcess, WriterDied


class Recorder:
    def __init__(self, fail_on: str | None = None):
        self.seen: list = []
        self.fail_on = fail_on

    def add(self, value) -> None:
        if value == self.fail_on:
            raise OSError(errno.ENOSPC, "No space left on device", f"/out/{value}")
        self.seen.append(value)

    def close(self, suffix: str) -> list:
        return [*self.seen, suffix, os.getpid()]


@pytest.mark.parametrize("kind", [Background, InProcess])
def test_calls_run_in_order_and_the_last_returns(kind):
    writer = kind(Recorder)
    for value in "abc":
        writer.call(Recorder.add, value)
    *seen, suffix, pid = writer.finish(Recorder.close, suffix="end")
    assert seen == ["a", "b", "c"] and suffix == "end"
    assert (pid != os.getpid()) == (kind is Background)


def test_an_error_in_the_writer_comes_back_with_its_details():
    writer = Background(lambda: Recorder(fail_on="b"))
    with pytest.raises(OSError) as caught:
        for value in "abcdefgh":
            writer.call(Recorder.add, value)
        writer.finish(Recorder.close, suffix="end")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == "/out/b"
    assert "in the writer process" in "".join(caught.value.__notes__)
    writer.abort()


class Unpicklable(Exception):
    def __init__(self, handle):
        super().__init__("cannot travel")
        self.handle = handle

    def __reduce__(self):
        raise TypeError("no")


class Broken:
    def add(self, value):
        raise Unpicklable(lambda: value)


def test_an_error_that_cannot_travel_is_reported_by_name():
    writer = Background(Broken)
    writer.call(Broken.add, 1)
    with pytest.raises(RuntimeError, match="Unpicklable: cannot travel"):
        writer.finish(Broken.add, 2)


def test_a_killed_writer_is_reported():
    writer = Background(Recorder)
    writer.call(Recorder.add, "a")
    os.kill(writer._process.pid, signal.SIGKILL)
    writer._process.join()
    with pytest.raises(WriterDied, match="ended unexpectedly"):
        writer.finish(Recorder.close, suffix="end")


def test_abort_stops_the_writer():
    writer = Background(Recorder)
    writer.call(Recorder.add, "a")
    writer.abort()
    assert not writer._process.is_alive()


def test_without_fork_a_run_writes_in_one_process(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipeline.cli import cli
    from test_cli import SAMPLE

    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(Background, "__init__", lambda *a: pytest.fail("forked anyway"))
    result = CliRunner().invoke(cli, ["evaluate", str(SAMPLE), "--out", str(tmp_path),
                                      "--no-pdf", "--jobs", "2"])
    assert result.exit_code == 0 and (tmp_path / "scorecard.xlsx").is_file()
