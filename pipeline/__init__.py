"""sitefit: which bitcoin-mining sites suit AI training, AI inference, both or neither."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sitefit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
