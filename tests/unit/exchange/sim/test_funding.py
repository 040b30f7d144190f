"""Per-interval funding rates read from a ``ts_ms,rate`` CSV and charged by the simulator."""

from __future__ import annotations

import pytest
from tests.unit.exchange.sim.simkit import DAY0, SELL, D, flat_rows, market, of, sim

from accountbuilder.domain.events import FundingApplied
from accountbuilder.exchange.sim import load_funding_rates

HOUR = 3_600_000


def write(tmp_path, lines):
    path = tmp_path / "rates.csv"
    path.write_text("\n".join(["ts_ms,rate", *lines]) + "\n")
    return path


async def test_a1_funding_rates_from_a_csv_are_charged_at_their_times(tmp_path):
    path = write(tmp_path, [f"{DAY0},0.0005", f"{DAY0 + 8 * HOUR},-0.0002"])
    rates = load_funding_rates(path)
    ex = sim(
        flat_rows(40000.0, 11),
        start_ms=DAY0 - HOUR,
        tf=HOUR,
        funding_rates=rates,
        start_balance_btc=D("0.1"),
    )
    await ex.place_order(market("en", SELL, 2000))

    events = ex.advance(DAY0 + 10 * HOUR)

    # short 2000 at 40,000 → value 0.05 BTC; 00:00 at 0.0005 the short receives 0.000025,
    # 08:00 at −0.0002 the short pays 0.00001
    assert rates == {DAY0: D("0.0005"), DAY0 + 8 * HOUR: D("-0.0002")}
    assert [(f.rate, f.amount_btc) for f in of(events, FundingApplied)] == [
        (D("0.0005"), D("0.000025")),
        (D("-0.0002"), D("-0.00001")),
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["1704067200000"], "line 2: expected 2 columns"),
        (["1704067200000,abc"], "line 2: not numeric"),
        (["1704067200000,0.0001", "1704067200000,0.0002"], "line 3: duplicate funding time"),
        (["1704070800000,0.0001"], "line 2: 1704070800000 is not a funding time"),
    ],
)
def test_a1_a_bad_funding_file_is_refused_naming_the_line(tmp_path, lines, message):
    with pytest.raises(ValueError, match=message):
        load_funding_rates(write(tmp_path, lines))
