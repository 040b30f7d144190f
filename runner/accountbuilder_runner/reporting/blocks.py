"""The summary as titled tables (``Block``): the two moments side by side, the plan's
targets, trader statistics, refusals by gate. The terminal (``terminal``) and the HTML page
(``html``) show the same blocks, so the figures and their labels never differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder_runner.reporting.moments import Moment
from accountbuilder_runner.reporting.summary import RunReport, Summary, iso

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Block:
    """A titled table: ``columns`` heads (the first is the label column) and rows of text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _usd(x: Decimal) -> str:
    return f"${x.quantize(CENT):,}"


def _signed(x: Decimal) -> str:
    return f"{x.quantize(CENT):+,}"


def _share(m: Moment, effect: Decimal) -> str:
    share = m.attribution.share(effect)
    return "" if share is None else f" ({share * 100:.0f} %)"


def _moment_head(m: Moment, cause: str | None) -> str:
    when = (iso(m.ts_ms) or "")[:16].replace("T", " ")
    return f"{m.label}: {when}" + (f" ({cause})" if cause else "")


def moments_block(r: RunReport) -> Block:
    """End of trading and end of data side by side, each labelled with its moment."""
    cause = r.trading_end.cause if r.trading_end.ts_ms is not None else "still trading"
    ms = (r.end_of_trading, r.end_of_data)
    a = [m.attribution for m in ms]
    rows = (
        ("equity USD", *(_usd(m.equity_usd) for m in ms)),
        ("equity BTC", *(f"{m.equity_btc:.8f}" for m in ms)),
        ("days since start", *(f"{m.days:.1f}" for m in ms)),
        ("trades closed", *(str(m.trades) for m in ms)),
        ("USD change", *(_signed(x.usd_change) for x in a)),
        (
            "  price effect B₀×(P−P₀)",
            *(
                _signed(x.price_effect_usd) + _share(m, x.price_effect_usd)
                for m, x in zip(ms, a, strict=True)
            ),
        ),
        (
            "  trading effect (B−B₀)×P",
            *(
                _signed(x.trading_effect_usd) + _share(m, x.trading_effect_usd)
                for m, x in zip(ms, a, strict=True)
            ),
        ),
        ("trading PnL BTC (B−B₀)", *(f"{x.trading_pnl_btc:+.8f}" for x in a)),
        ("hold-BTC equity B₀×P", *(_usd(x.hold_btc_usd) for x in a)),
    )
    heads = ("", _moment_head(ms[0], cause), _moment_head(ms[1], None))
    return Block("the two moments", heads, rows)


def plan_block(r: RunReport) -> Block:
    p = r.plan

    def day(ts: int | None) -> str:
        return "not reached" if ts is None else f"{(iso(ts) or '')[:10]} (day {p.day_of(ts):.1f})"

    review = "not raised" if p.review_ms is None else f"raised {(iso(p.review_ms) or '')[:10]}"
    rows = (
        ("account start", (iso(p.start_ms) or "")[:16].replace("T", " ")),
        ("age at the end of trading", f"{p.age_days:.1f} days"),
        ("review flag (H2)", review),
        ("12-month mark", p.review_mark.text(iso).split(": ", 1)[1]),
        ("18-month mark", p.deadline_mark.text(iso).split(": ", 1)[1]),
        ("reached $200", day(p.reached_200_ms)),
        ("SUCCESS ($1,000)", day(p.success_ms)),
    )
    return Block("plan targets", ("", ""), rows)


def _opt(x: Decimal | None, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def _money(x: Decimal | None) -> str:
    return "n/a" if x is None else f"${x:.2f}"


def stats_block(r: RunReport) -> Block:
    s, d = r.stats, r.drawdown
    rate = f"{s.wins / s.trades * 100:.1f} %" if s.trades else "n/a"
    big = s.largest_loss
    loss = (
        "none"
        if big is None
        else (
            f"{big.pnl_btc:.8f} BTC (${big.pnl_usd:.2f}) = {big.of_budget * 100:.0f} % of its budget"
        )
    )
    dur = s.durations
    rows = (
        ("trades, wins", f"{s.trades}, {s.wins} ({rate})"),
        ("profit factor", _opt(s.profit_factor, ".2f")),
        (
            "expectancy / trade",
            f"{_opt(s.expectancy_btc, '.8f')} BTC, {_money(s.expectancy_usd)}",
        ),
        ("average win / loss", f"{_money(s.avg_win_usd)} / {_money(s.avg_loss_usd)}"),
        ("largest loss", loss),
        (
            "duration mean / median / max",
            "n/a" if dur is None else f"{dur.mean_h:.1f} / {dur.median_h:.1f} / {dur.max_h:.1f} h",
        ),
        ("exposure", f"{s.exposure * 100:.1f} % of the trading period"),
        ("longest losing streak", str(s.longest_losing_streak)),
        ("max drawdown (trading period)", f"{d.pct:.2f} % over {d.duration_days:.1f} days"),
        (
            "fees",
            f"${s.fees_usd:.2f} (maker {s.split.maker_fills} fills ${s.split.maker_fee_usd:.2f},"
            f" taker {s.split.taker_fills} fills ${s.split.taker_fee_usd:.2f})",
        ),
    )
    return Block("trader statistics", ("", ""), rows)


def why_block(r: RunReport) -> Block:
    rows = [(r.why.label, r.why.text)]
    rows += [(f"{g.gate} ({g.rules})", f"{g.count:,}") for g in r.why.by_gate]
    return Block("refusals by gate, in SPEC D's chain order", ("", ""), tuple(rows))


def _counts(counts: dict[str, int]) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {v}" for k, v in items) or "none"


def summary_blocks(summary: Summary) -> list[Block]:
    """The moments, the plan's targets, trader statistics (with the halts raised), refusals."""
    r = summary.report
    stats = stats_block(r)
    halts = ("halts raised", _counts(summary.figures["halts"]))
    stats = Block(stats.title, stats.columns, (*stats.rows, halts))
    return [moments_block(r), plan_block(r), stats, why_block(r)]
