"""Files sitefit reads besides the spreadsheet, read only up to a size: rules and branding
files, an earlier run's results.csv and manifest.json. A file past its limit (``--rules
/dev/zero`` never ends) is refused by name, as an input error, before it fills memory."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from pipeline.errors import InputError, SitefitError

TOML_MAX_BYTES = 1 << 20  # a rules, what-if or branding file; the shipped rules are 30 KB
TABLE_MAX_BYTES = 1 << 20  # a country-risk table a rules file names
MANIFEST_MAX_BYTES = 64 << 20  # an earlier run's manifest.json: about 300 bytes a site
RESULTS_MAX_BYTES = 512 << 20  # an earlier run's results.csv: --previous


class TooLarge(InputError):
    """A file past the size sitefit reads for its kind."""

    code = "file-too-large"


def _refusal(path: Path, limit: int, what: str, error: type[SitefitError]) -> SitefitError:
    return error(f"{path}: refused: larger than the {limit >> 20:,} MiB sitefit reads for "
                 f"{what}")


def read_text(path: Path, limit: int, what: str,
              error: type[SitefitError] = TooLarge) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark, as Windows Notepad writes, dropped), or
    ``error`` naming it and ``limit`` if it holds more bytes than that. A pipe is read too,
    as far as the limit. OSError and UnicodeDecodeError are the caller's to word."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _refusal(path, limit, what, error)
    return data.decode("utf-8-sig")


def read_toml(path: Path, where: str, what: str, error: type[SitefitError]) -> dict[str, Any]:
    """The TOML file at ``path`` (``what`` it is: a rules, plan or branding file), read up to
    ``TOML_MAX_BYTES`` with any byte-order mark dropped; every way it can fail is an
    ``error`` naming ``where``."""
    try:
        return tomllib.loads(read_text(path, TOML_MAX_BYTES, what, error))
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except RecursionError:
        raise error(f"{where}: nested too deeply to read as TOML") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{where}: cannot be read as TOML ({exc})") from None


def check_size(path: Path, limit: int, what: str,
               error: type[SitefitError] = TooLarge) -> None:
    """Refuse ``path`` unless it is a regular file of at most ``limit`` bytes."""
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path}: refused: not a regular file, so not {what}")
    if status.st_size > limit:
        raise _refusal(path, limit, what, error)
