"""The worked example records (SPEC I1–I3): hand arithmetic, and docs/store.md kept in step."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D
from math import floor
from pathlib import Path

import pytest

from accountbuilder.domain.enums import Side
from accountbuilder.domain.inverse import pnl_btc
from accountbuilder.records.examples import (
    example_daily_metrics,
    example_decision_run,
    example_entry,
    example_exit,
    example_halt,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "store.md"
EXAMPLES = {
    "trade_entry": example_entry,
    "trade_exit": example_exit,
    "halt": example_halt,
    "decision": example_decision_run,
    "daily_metrics": example_daily_metrics,
}


def _doc_examples() -> dict[str, object]:
    pattern = re.compile(r"<!-- example: (\w+) -->\n```json\n(.*?)\n```", re.DOTALL)
    return {name: json.loads(body) for name, body in pattern.findall(DOC.read_text("utf-8"))}


def _loss_at_stop(contracts: int) -> D:
    return -pnl_btc(Side.LONG, contracts, D(50000), D(48500))


def test_b4_c2_c3_example_contracts_are_the_largest_whose_exact_loss_fits():
    entry = example_entry()
    # B4: min(0.0025 x 12%, 10 / 50000) = min(0.0003, 0.0002) = 0.0002 BTC
    assert entry.max_loss_btc == min(D("0.0025") * D("0.12"), D(10) / D(50000)) == D("0.0002")
    # C2: floor(0.0002 x 50000 / 0.03) = floor(333.33) = 333, whose exact loss is over budget
    c2 = floor(D("0.0002") * 50000 / D("0.03"))
    assert c2 == 333
    assert _loss_at_stop(333) > D("0.0002")
    # C3: 323 fits (0.000199793...), 324 does not
    assert _loss_at_stop(entry.contracts) <= D("0.0002") < _loss_at_stop(entry.contracts + 1)


def test_a3_example_fees_are_contracts_times_rate_over_price():
    entry, exit_ = example_entry(), example_exit()

    assert entry.estimated_fee_usd == 323 * D("0.0001")
    assert entry.actual_fee_btc == 323 * D("0.0001") / 50000
    assert exit_.actual_fee_btc == 323 * D("0.0001") / 50000 + 323 * D("0.0001") / 51200


def test_i3_example_day_equity_open_and_close():
    day = example_daily_metrics()

    assert day.equity_open_usd == D("0.0025") * 50000 == 125
    assert day.equity_close_usd == D("0.002650129390625") * 51200 == D("135.6866248")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_i1_i2_i3_docs_store_md_shows_the_records_as_the_code_writes_them(name):
    shown = _doc_examples()

    assert shown[name] == json.loads(json.dumps(EXAMPLES[name]().to_dict()))


def test_i1_i2_i3_docs_store_md_has_no_stray_examples():
    assert set(_doc_examples()) == set(EXAMPLES)
