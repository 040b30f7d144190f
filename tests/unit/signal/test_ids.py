"""Signal ids and client order ids (SPEC G1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import OrderRole, Side
from accountbuilder.signal.ids import (
    InvalidClientId,
    client_id,
    parse_client_id,
    signal_id,
    validate_client_id,
)


def test_g1_signal_id_is_deterministic_and_depends_on_every_part():
    base = ("BTCUSD", Side.LONG, Decimal(70), Decimal("0.02"), 472222)
    sid = signal_id(*base)

    assert sid == signal_id(*base)
    variants = [
        ("BTCUSDT", *base[1:]),
        (base[0], Side.SHORT, *base[2:]),
        (*base[:2], Decimal(71), *base[3:]),
        (*base[:3], Decimal("0.03"), base[4]),
        (*base[:4], 472223),
    ]
    assert all(signal_id(*v) != sid for v in variants)


def test_g1_client_id_format_and_length():
    cid = client_id("d4d10c57b18e51445db8", Side.LONG, OrderRole.STOP, 12)

    assert cid == "d4d10c57b18e51445db8_L_sl12"
    assert parse_client_id(cid) == ("d4d10c57b18e51445db8", Side.LONG, OrderRole.STOP, 12)


@given(
    st.text("0123456789abcdef", min_size=20, max_size=20),
    st.sampled_from(list(Side)),
    st.sampled_from(list(OrderRole)),
    st.integers(0, 999),
)
def test_g1_every_client_id_fits_36_chars_of_the_allowed_alphabet(sid, side, role, attempt):
    cid = client_id(sid, side, role, attempt)

    assert len(cid) <= 36
    assert set(cid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert parse_client_id(cid) == (sid, side, role, attempt)


@pytest.mark.parametrize("bad", ["", "x" * 37, "abc def", "abc.def", "näive", "a/b"])
def test_g1_bad_client_id_raises_before_any_send(bad):
    with pytest.raises(InvalidClientId):
        validate_client_id(bad)


def test_g1_attempt_out_of_range_raises():
    with pytest.raises(InvalidClientId):
        client_id("d4d10c57b18e51445db8", Side.SHORT, OrderRole.ENTRY, 1000)


def test_g1_foreign_ids_do_not_parse():
    assert parse_client_id("manual-order-1") is None
    assert parse_client_id("abc_X_sl1") is None
