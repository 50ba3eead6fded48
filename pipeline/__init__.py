"""sitefit: which bitcoin-mining sites suit AI training, AI inference, both or neither."""

from functools import cache


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sitefit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata only when asked for: reading it
    costs more than the rest of ``sitefit --help`` together."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
