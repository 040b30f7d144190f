"""Show an ``EntryDecision``: a readable gate table, or a JSON-able dict (Decimals as strings)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from accountbuilder.risk.context import FIGURE_FIELDS, EntryDecision

DISPLAY_DIGITS = 10  # significant digits shown in the table (JSON keeps every digit)


def json_value(value: Any) -> Any:
    """Decimals as exact strings without exponent, enums as their value."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def decision_to_json(decision: EntryDecision) -> dict[str, Any]:
    """Every figure, the verdict and the gates, ready for ``json.dumps``."""
    halt = decision.halt
    out: dict[str, Any] = {
        "accepted": decision.accepted,
        "reason": None if decision.reason is None else decision.reason.value,
        "failed_gate": decision.failed_gate,
        "denial": None if decision.denial is None else decision.denial.to_dict(),
        "halt": None if halt is None else {"reason": halt.reason.value, "kind": halt.kind.value},
        "warnings": [w.value for w in decision.warnings],
        "side": decision.side.value,
        "order_type": decision.liquidity.value,
    }
    out.update({name: json_value(v) for name, v in decision.figures().items()})
    out["gates"] = [
        {
            "gate": g.name,
            "result": {True: "pass", False: "fail", None: "skipped"}[g.passed],
            "figures": json_value(dict(g.figures)),
        }
        for g in decision.gates
    ]
    return out


def display(value: Any) -> str:
    """A short human form: Decimals to 10 significant digits, no exponent."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "inf" if value > 0 else str(value)
        if value == 0:
            return "0"
        exponent = value.adjusted() - DISPLAY_DIGITS + 1
        rounded = value.quantize(Decimal(1).scaleb(exponent)) if exponent < 0 else value
        text = format(rounded, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _headline(d: EntryDecision) -> str:
    if d.accepted:
        return (
            f"ACCEPTED: {d.side.value} {d.contracts} contracts @ {display(d.entry_price)} "
            f"({d.liquidity.value}), stop {display(d.stop_price)}, "
            f"take-profit {display(d.take_profit_price)}"
        )
    return f"REFUSED at gate '{d.failed_gate}': {d.denial}"


def render_table(decision: EntryDecision) -> str:
    """The gate table: one row per gate (pass / FAIL / - for not reached), then the figures."""
    lines = [_headline(decision)]
    if decision.halt is not None:
        lines.append(f"HALT required: {decision.halt.reason.value} ({decision.halt.kind.value})")
    lines.extend(f"warning: {w.value}" for w in decision.warnings)
    lines += ["", f"  {'#':>2}  {'gate':<15} {'result':<6}  figures"]
    for i, g in enumerate(decision.gates, 1):
        figures = " ".join(f"{k}={display(v)}" for k, v in g.figures.items())
        lines.append(f"  {i:>2}  {g.name:<15} {g.status:<6}  {figures}".rstrip())
    lines += ["", "figures:"]
    width = max(len(n) for n in FIGURE_FIELDS)
    for name, value in decision.figures().items():
        shown = "-" if value is None else display(value)
        lines.append(f"  {name:<{width}}  {shown}")
    return "\n".join(lines)
