"""The candle slice shipped in the package (``accountbuilder/data``; see its README.md)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

PAPER_SLICE = "btcusd_1m_2021-04-09_2021-05-20.csv.gz"


def paper_slice() -> AbstractContextManager[Path]:
    """A real file path for the bundled slice (``with paper_slice() as path: ...``).

    ``as_file`` gives the installed file itself, or a temporary copy when the package is
    zipped, so the candle loader can always read a path.
    """
    return resources.as_file(resources.files("accountbuilder.data") / PAPER_SLICE)
