"""Load, check, slice and resample OHLCV candle files into numpy arrays.

File format (docs/backtest.md, "Candle files"): CSV or gzip CSV with the header
``ts_ms,open,high,low,close,volume``; ``ts_ms`` is the candle's open time in UTC ms. Files are
parsed with numpy's C text reader (about 0.3 µs a value) and then checked as whole arrays; a
problem raises ``CandleFileError`` naming the file, the line and the column. Gaps (missing
bars) are reported, never filled.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from accountbuilder.domain.models import Candle

COLUMNS = ("ts_ms", "open", "high", "low", "close", "volume")
HEADER = ",".join(COLUMNS)
DAY_MS = 86_400_000
_GZIP_MAGIC = b"\x1f\x8b"
# Plausible values: open times from 2009-01-01 (before any BTC trade) to 2100-01-01 UTC, so
# seconds (~1.6e9) or microseconds (~1.6e15) are caught by name; prices in USD per BTC.
TS_MIN_MS, TS_MAX_MS = 1_230_768_000_000, 4_102_444_800_000
PRICE_MIN, PRICE_MAX = 0.01, 1e8
VOLUME_MAX = 1e15


class CandleFileError(ValueError):
    """A candle file (or array set) breaks the format; the message names file, line, column."""


@dataclass(frozen=True, slots=True, eq=False)
class CandleArrays:
    """Read-only OHLCV columns (float64; ``ts_ms`` int64) with their timeframe and gaps.

    ``gaps`` lists ``(first_missing_ts_ms, missing_bars)``; ``source`` names the file.
    """

    ts_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    timeframe_ms: int
    gaps: tuple[tuple[int, int], ...] = ()
    source: str = ""

    def __len__(self) -> int:
        return int(self.ts_ms.size)

    @property
    def close_ts_ms(self) -> np.ndarray:
        """Each candle's close time (open time + timeframe)."""
        return self.ts_ms + self.timeframe_ms

    def candle(self, i: int) -> Candle:
        """Candle ``i`` as a domain ``Candle`` (Decimal from the shortest float repr)."""
        return Candle(
            ts_ms=int(self.ts_ms[i]),
            open=_dec(self.open[i]),
            high=_dec(self.high[i]),
            low=_dec(self.low[i]),
            close=_dec(self.close[i]),
            volume=_dec(self.volume[i]),
        )


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


# ------------------------------------------------------------------------------- loading
def load_candles(path: str | Path, *, timeframe_ms: int | None = None) -> CandleArrays:
    """Load and check a ``ts_ms,open,high,low,close,volume`` CSV or CSV.gz file.

    ``timeframe_ms`` is inferred (smallest step) unless given; a one-row file needs it.
    The file is streamed into numpy (never held as text); a file the fast reader refuses, or
    one with an empty line, is read again whole to say exactly which line is wrong.
    """
    path = Path(path)
    values = _stream(path)
    if values is None:
        values = _load_text(path)  # the error path: raises with the line and column
    columns = (values[:, k] for k in range(1, 6))
    return candles_from_columns(
        values[:, 0], *columns, timeframe_ms=timeframe_ms, source=path.name, real_btc=True
    )


def _open_text(path: Path):
    with path.open("rb") as f:
        gz = f.read(2) == _GZIP_MAGIC
    if gz:
        return gzip.open(path, "rt", encoding="ascii", errors="replace")
    return path.open("r", encoding="ascii", errors="replace")


def _stream(path: Path) -> np.ndarray | None:
    """Parse straight from the (decompressing) file; None when a check must tell what is wrong."""
    blank: list[bool] = []

    def rows(f):
        for line in f:
            if line == "\n":
                blank.append(True)
            yield line

    try:
        with _open_text(path) as f:
            if f.readline().strip().replace(" ", "") != HEADER:
                return None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # no rows: the error path says so
                values = np.loadtxt(
                    rows(f), delimiter=",", dtype=np.float64, ndmin=2, comments=None
                )
    except (ValueError, OSError, EOFError, zlib.error):  # bad rows, a damaged gzip
        return None
    if blank or values.shape[0] == 0 or values.shape[1] != len(COLUMNS):
        return None
    return values


def _load_text(path: Path) -> np.ndarray:
    """Read the whole text and check it line by line (only for a file the stream refused)."""
    name = path.name
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # truncated, bad CRC, damaged stream
            raise CandleFileError(f"{name}: not a readable gzip file ({e})") from None
    text = raw.decode("ascii", errors="replace").replace("\r", "")
    header, _, body = text.partition("\n")
    if header.strip().replace(" ", "") != HEADER:
        raise CandleFileError(f"{name} line 1: header must be '{HEADER}', got '{header.strip()}'")
    body = body.rstrip("\n")
    if not body:
        raise CandleFileError(f"{name}: no candle rows after the header")
    _check_blank_lines(name, body)
    return _parse(name, body)


def _check_blank_lines(name: str, body: str) -> None:
    at = body.find("\n\n")
    if at >= 0:
        line = body.count("\n", 0, at) + 3  # header is line 1; the empty line follows `at`
        raise CandleFileError(f"{name} line {line}: empty line inside the data")


def _parse(name: str, body: str) -> np.ndarray:
    try:
        values = np.loadtxt(
            io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None
        )
    except ValueError:
        values = None
    if values is None or values.shape[1] != len(COLUMNS):  # e.g. every row one column short
        _diagnose(name, body)
        raise AssertionError("unreachable: _diagnose always raises")
    return values


def _diagnose(name: str, body: str) -> None:
    """Find the first bad row the fast reader tripped on and say exactly what is wrong."""
    for n, line in enumerate(body.split("\n"), start=2):
        cells = line.split(",")
        if len(cells) != len(COLUMNS):
            raise CandleFileError(
                f"{name} line {n}: expected {len(COLUMNS)} columns ({HEADER}), got {len(cells)}"
            )
        for col, cell in zip(COLUMNS, cells, strict=True):
            try:
                float(cell)
            except ValueError:
                raise CandleFileError(
                    f"{name} line {n}: column {col} is not numeric: {cell.strip()!r}"
                ) from None
    raise CandleFileError(f"{name}: unreadable candle data")


# ---------------------------------------------------------------------------- validation
def candles_from_columns(
    ts_ms: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    *,
    timeframe_ms: int | None = None,
    source: str = "<arrays>",
    real_btc: bool = False,
) -> CandleArrays:
    """Check columns (as a file would be checked) and wrap them as read-only ``CandleArrays``.

    ``real_btc`` also refuses what cannot be a BTCUSD candle: open times outside 2009-2100
    (seconds or microseconds by mistake) and prices outside 0.01..1e8 USD (files do this).
    """
    ts_f = np.asarray(ts_ms, dtype=np.float64)
    cols = [np.ascontiguousarray(c, dtype=np.float64) for c in (open_, high, low, close, volume)]
    _check_values(source, ts_f, *cols)
    if real_btc:
        _check_plausible(source, ts_f, *cols)
    ts = ts_f.astype(np.int64)
    _check_sorted(source, ts)
    tf = timeframe_ms if timeframe_ms is not None else infer_timeframe_ms(ts, source)
    _check_steps(source, ts, tf)
    for arr in (ts, *cols):
        arr.flags.writeable = False
    return CandleArrays(ts, *cols, timeframe_ms=int(tf), gaps=find_gaps(ts, tf), source=source)


def _fail_at(source: str, mask: np.ndarray, what: str, ts: np.ndarray) -> None:
    if mask.any():
        i = int(np.argmax(mask))
        t = ts[i]
        shown = int(t) if np.isfinite(t) else float(t)  # an infinite ts_ms is shown as inf
        raise CandleFileError(f"{source} line {i + 2} (ts_ms={shown}): {what}")


def _check_values(source, ts, o, h, lo, c, v) -> None:
    for col, arr in zip(COLUMNS, (ts, o, h, lo, c, v), strict=True):
        _fail_at(source, ~np.isfinite(arr), f"{col} is NaN or infinite", ts)
    _fail_at(source, ts != np.floor(ts), "ts_ms is not a whole number of milliseconds", ts)
    for col, arr in zip(COLUMNS[1:5], (o, h, lo, c), strict=True):
        _fail_at(source, arr <= 0, f"{col} must be > 0", ts)
    _fail_at(source, v < 0, "volume must be >= 0", ts)
    _fail_at(source, h < np.maximum(o, c), "high is below max(open, close)", ts)
    _fail_at(source, lo > np.minimum(o, c), "low is above min(open, close)", ts)


def _check_plausible(source, ts, o, h, lo, c, v) -> None:
    _fail_at(source, ts < TS_MIN_MS, "ts_ms is before 2009 (seconds, not milliseconds?)", ts)
    _fail_at(source, ts > TS_MAX_MS, "ts_ms is after 2100 (microseconds, not milliseconds?)", ts)
    for col, arr in zip(COLUMNS[1:5], (o, h, lo, c), strict=True):
        outside = (arr < PRICE_MIN) | (arr > PRICE_MAX)
        _fail_at(source, outside, f"{col} is outside {PRICE_MIN:g}..{PRICE_MAX:g} USD", ts)
    _fail_at(source, v > VOLUME_MAX, f"volume is above {VOLUME_MAX:g}", ts)


def _check_sorted(source: str, ts: np.ndarray) -> None:
    d = np.diff(ts)
    _fail_at(source, np.concatenate(([False], d == 0)), "duplicate timestamp", ts)
    _fail_at(source, np.concatenate(([False], d < 0)), "timestamps not sorted ascending", ts)


def _check_steps(source: str, ts: np.ndarray, tf: int) -> None:
    d = np.diff(ts)
    off = np.concatenate(([False], d % tf != 0))
    _fail_at(source, off, f"step is not a multiple of the {tf} ms timeframe", ts)


def infer_timeframe_ms(ts_ms: np.ndarray, source: str = "<arrays>") -> int:
    """The timeframe: the smallest step between consecutive positive-step timestamps."""
    d = np.diff(np.asarray(ts_ms, dtype=np.int64))
    d = d[d > 0]
    if d.size == 0:
        raise CandleFileError(f"{source}: cannot infer the timeframe from fewer than 2 candles")
    return int(d.min())


def find_gaps(ts_ms: np.ndarray, timeframe_ms: int) -> tuple[tuple[int, int], ...]:
    """Missing bars as ``(first_missing_ts_ms, count)``, in time order."""
    d = np.diff(ts_ms)
    at = np.flatnonzero(d > timeframe_ms)
    return tuple((int(ts_ms[i]) + timeframe_ms, int(d[i] // timeframe_ms) - 1) for i in at)


# ------------------------------------------------------------------------ slice, resample
def parse_utc_date_ms(text: str) -> int:
    """``YYYY-MM-DD`` (UTC midnight) or an ISO datetime (UTC if naive) → UTC ms."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CandleFileError(f"not a date (YYYY-MM-DD) or ISO datetime: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def slice_ms(arrays: CandleArrays, from_ms: int | None, to_ms: int | None) -> CandleArrays:
    """Candles whose open time is in ``[from_ms, to_ms)`` (``None`` = unbounded)."""
    lo = 0 if from_ms is None else int(np.searchsorted(arrays.ts_ms, from_ms, "left"))
    hi = len(arrays) if to_ms is None else int(np.searchsorted(arrays.ts_ms, to_ms, "left"))
    return _take(arrays, slice(lo, hi))


def slice_dates(arrays: CandleArrays, from_: str | None, to: str | None) -> CandleArrays:
    """Slice for ``--from/--to``: a date bound covers its whole UTC day (``to`` inclusive).

    A datetime bound is exact (``to`` exclusive).
    """
    from_ms = None if from_ is None else parse_utc_date_ms(from_)
    to_ms = None
    if to is not None:
        to_ms = parse_utc_date_ms(to) + (DAY_MS if len(to) == 10 else 0)
    if from_ms is not None and to_ms is not None and to_ms <= from_ms:
        raise CandleFileError(f"--to {to} is not after --from {from_}")
    return slice_ms(arrays, from_ms, to_ms)


def _take(arrays: CandleArrays, sel: slice) -> CandleArrays:
    ts = arrays.ts_ms[sel]
    return CandleArrays(
        ts,
        arrays.open[sel],
        arrays.high[sel],
        arrays.low[sel],
        arrays.close[sel],
        arrays.volume[sel],
        timeframe_ms=arrays.timeframe_ms,
        gaps=find_gaps(ts, arrays.timeframe_ms),
        source=arrays.source,
    )


def resample(arrays: CandleArrays, factor: int, *, complete_only: bool = False) -> CandleArrays:
    """Aggregate into buckets of ``factor`` bars aligned to the epoch (1m × 1440 → UTC days).

    Open = first, high = max, low = min, close = last, volume = sum of the bars present;
    with ``complete_only`` a bucket missing any bar (a gap, or the data's ragged ends) is dropped.
    """
    if factor < 1:
        raise ValueError(f"resample factor must be >= 1, got {factor}")
    if len(arrays) == 0:
        return arrays
    tf = arrays.timeframe_ms * factor
    bucket = arrays.ts_ms // tf
    starts = np.concatenate(([0], np.flatnonzero(np.diff(bucket)) + 1))
    ends = np.concatenate((starts[1:], [len(arrays)])) - 1
    cols = (
        bucket[starts] * tf,
        arrays.open[starts],
        np.maximum.reduceat(arrays.high, starts),
        np.minimum.reduceat(arrays.low, starts),
        arrays.close[ends],
        np.add.reduceat(arrays.volume, starts),
    )
    if complete_only:
        keep = (ends - starts + 1) == factor
        cols = tuple(c[keep] for c in cols)
    for c in cols:
        c.flags.writeable = False
    gaps = find_gaps(cols[0], tf)
    return CandleArrays(*cols, timeframe_ms=tf, gaps=gaps, source=arrays.source)
