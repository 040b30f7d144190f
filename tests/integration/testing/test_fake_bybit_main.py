"""``python -m accountbuilder.testing.fake_bybit`` as a subprocess: start, serve, stop."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from decimal import Decimal

import aiohttp

from accountbuilder.testing.fake_bybit import load_candles

MODULE = "accountbuilder.testing.fake_bybit"


async def _start(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", MODULE, "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    return proc, match.group(1)


async def _stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    return out.decode()


async def test_f6_standalone_server_serves_time_and_exits_cleanly_on_ctrl_c():
    proc, url = await _start()
    try:
        async with aiohttp.ClientSession() as http, http.get(url + "/v5/market/time") as resp:
            body = await resp.json()
        assert (resp.status, body["retCode"], body["retMsg"]) == (200, 0, "OK")
        assert body["result"]["timeSecond"] == str(body["time"] // 1000)
    finally:
        tail = await _stop(proc)
    assert "fake-bybit stopped" in tail


async def test_f6_standalone_replays_candles_after_warmup(shared_data):
    path = shared_data / "btcusd_5m_2019-11_2020-03.csv.gz"
    proc, url = await _start("--price-file", str(path), "--warmup-bars", "10", "--speed", "1")
    try:
        query = "/v5/market/tickers?category=inverse&symbol=BTCUSD"
        async with aiohttp.ClientSession() as http, http.get(url + query) as resp:
            ticker = (await resp.json())["result"]["list"][0]
    finally:
        await _stop(proc)
    # at speed 1 the 11th candle's open holds for 75 s (a quarter of its 5 minutes)
    expected = load_candles(path)[10].open
    assert Decimal(ticker["lastPrice"]) == expected.quantize(Decimal("0.01"))


async def test_f6_help_explains_every_option():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", MODULE, "--help", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    text = out.decode()
    assert proc.returncode == 0
    for option in ("--port", "--price-file", "--speed", "--warmup-bars", "--api-key", "--api-secret"):  # fmt: skip
        assert option in text
