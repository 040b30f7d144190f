"""Decision records: every entry-gate evaluation, accepted or rejected (SPEC D, I3).

A backtest evaluates the gates once per tick while FLAT, so identical consecutive rejections
can be collapsed into one ``DecisionRun`` (count plus first/last time) instead of one row each.
Acceptances never collapse: each one is a trade attempt.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from accountbuilder.domain.enums import Side, Stage
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.records.codec import dumps, to_jsonable


class LazyFigures(Mapping[str, Any]):
    """A decision's figures, turned into JSON values (``to_jsonable``) when first read: the
    core writes a record every evaluation, and most are only counted, never serialised."""

    __slots__ = ("_raw", "_json")

    def __init__(self, raw: dict[str, Any]):
        self._raw: dict[str, Any] | None = raw
        self._json: Mapping[str, Any] | None = None

    def _values(self) -> Mapping[str, Any]:
        if self._json is None:
            self._json = MappingProxyType(to_jsonable(self._raw, strict=False))
            self._raw = None
        return self._json

    def __getitem__(self, key: str) -> Any:
        return self._values()[key]

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __repr__(self) -> str:
        return repr(dict(self._values()))


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One gate-chain evaluation: the verdict, its reason code and the figures looked at."""

    ts_ms: int
    accepted: bool
    reason: ReasonCode | None = None
    stage: Stage | None = None
    contracts: int = 0
    side: Side | None = None
    signal_id: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)

    KIND = "decision"

    def __post_init__(self) -> None:
        if not isinstance(self.ts_ms, int) or self.ts_ms < 0:
            raise ValueError(f"ts_ms must be a non-negative int, got {self.ts_ms!r}")
        if not self.accepted and self.reason is None:
            raise ValueError("a rejection needs its reason code")
        if self.reason is not None:
            object.__setattr__(self, "reason", ReasonCode(self.reason))
        if self.stage is not None:
            object.__setattr__(self, "stage", Stage(self.stage))
        if self.side is not None:
            object.__setattr__(self, "side", Side(self.side))
        if not isinstance(self.figures, LazyFigures):
            object.__setattr__(self, "figures", LazyFigures(dict(self.figures)))

    def restamped(self, ts_ms: int, signal_id: str) -> DecisionRecord:
        """The same decision at another tick of the same refusal, for ``signal_id`` (its
        figures are already serialised: no second pass through ``__post_init__``)."""
        twin = object.__new__(DecisionRecord)
        put = object.__setattr__
        for name in _FIELDS:
            put(twin, name, getattr(self, name))
        put(twin, "ts_ms", ts_ms)
        put(twin, "signal_id", signal_id)
        return twin

    @classmethod
    def rejected(
        cls,
        ts_ms: int,
        denial: Denial,
        *,
        stage: Stage | None = None,
        contracts: int = 0,
        side: Side | None = None,
        signal_id: str = "",
    ) -> DecisionRecord:
        """Build the record of a gate refusal from its ``Denial``."""
        return cls(ts_ms, False, denial.reason, stage, contracts, side, signal_id, denial.figures)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values, tagged ``"record": "decision"``."""
        return {
            "record": self.KIND,
            "ts_ms": self.ts_ms,
            "accepted": self.accepted,
            "reason": None if self.reason is None else self.reason.value,
            "stage": None if self.stage is None else self.stage.value,
            "contracts": self.contracts,
            "side": None if self.side is None else self.side.value,
            "signal_id": self.signal_id,
            "figures": dict(self.figures),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionRecord:
        """Rebuild a record from ``to_dict()`` output."""
        return cls(
            ts_ms=int(data["ts_ms"]),
            accepted=bool(data["accepted"]),
            reason=data.get("reason"),
            stage=data.get("stage"),
            contracts=int(data.get("contracts", 0)),
            side=data.get("side"),
            signal_id=str(data.get("signal_id", "")),
            figures=data.get("figures") or {},
        )


_FIELDS = tuple(f.name for f in fields(DecisionRecord))


def run_key(record: DecisionRecord, *, compare_figures: bool = False) -> Hashable | None:
    """The identity under which consecutive rejections collapse; None for an acceptance."""
    if record.accepted:
        return None
    base = (record.reason, record.stage, record.contracts, record.side, record.signal_id)
    return (*base, dumps(record.figures)) if compare_figures else base


@dataclass(frozen=True, slots=True)
class DecisionRun:
    """``count`` consecutive identical decisions from ``first_ts_ms`` to ``record.ts_ms``.

    ``record`` is the latest decision of the run, so its figures are the most recent ones.
    """

    record: DecisionRecord
    count: int = 1
    first_ts_ms: int | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a run holds at least one decision")
        if self.first_ts_ms is None:
            object.__setattr__(self, "first_ts_ms", self.record.ts_ms)

    @property
    def last_ts_ms(self) -> int:
        return self.record.ts_ms

    def extended(self, record: DecisionRecord) -> DecisionRun:
        """The run with ``record`` appended (the caller checked the keys match)."""
        return replace(self, record=record, count=self.count + 1)

    def merged(self, later: DecisionRun) -> DecisionRun:
        """This run followed by ``later`` (same key) as one run."""
        return replace(self, record=later.record, count=self.count + later.count)

    def to_dict(self) -> dict[str, Any]:
        """The record's dict plus ``count``, ``first_ts_ms`` and ``last_ts_ms``."""
        return {
            **self.record.to_dict(),
            "count": self.count,
            "first_ts_ms": self.first_ts_ms,
            "last_ts_ms": self.last_ts_ms,
        }


def collapse_runs(
    records: Iterable[DecisionRecord], *, compare_figures: bool = False
) -> Iterator[DecisionRun]:
    """Yield runs of identical consecutive rejections, lazily, in order.

    Rejections are identical when reason, stage, contracts, side and signal id match (and the
    figures too with ``compare_figures``). Each acceptance is a run of its own.
    """
    current: DecisionRun | None = None
    current_key: Hashable | None = None
    for record in records:
        key = run_key(record, compare_figures=compare_figures)
        if current is not None and key is not None and key == current_key:
            current = current.extended(record)
            continue
        if current is not None:
            yield current
        current, current_key = DecisionRun(record), key
    if current is not None:
        yield current


def single_runs(records: Iterable[DecisionRecord]) -> Iterator[DecisionRun]:
    """Yield each record as a run of one (collapsing off)."""
    return (DecisionRun(record) for record in records)
