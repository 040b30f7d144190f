"""Run the fake Bybit standalone: ``python -m accountbuilder.testing.fake_bybit --help``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from decimal import Decimal
from pathlib import Path

from accountbuilder.testing.fake_bybit.bars import load_candles
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.server import FakeBybit


def build_parser() -> argparse.ArgumentParser:
    """Describe the command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m accountbuilder.testing.fake_bybit",
        description="Fake Bybit V5 (BTCUSD inverse) on 127.0.0.1: REST at http://127.0.0.1:PORT, "
        "WebSockets at ws://127.0.0.1:PORT/v5/public/inverse and /v5/private.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port; the URL is printed)")  # fmt: skip
    parser.add_argument("--price-file", type=Path, help="candles to replay as the mark/last price path: gzip CSV 'ts_ms,open,high,low,close,volume' (as in shared/data)")  # fmt: skip
    parser.add_argument("--speed", type=float, default=1.0, help="replay acceleration: one candle lasts its timeframe / SPEED seconds (default 1 = real time)")  # fmt: skip
    parser.add_argument("--warmup-bars", type=int, default=0, help="serve the first N candles of --price-file as kline history and replay from candle N+1")  # fmt: skip
    parser.add_argument("--price", type=Decimal, default=Decimal(60_000), help="starting price without --price-file (default 60000)")  # fmt: skip
    parser.add_argument("--wallet-btc", type=Decimal, default=Decimal("0.01"), help="starting BTC wallet balance (default 0.01)")  # fmt: skip
    parser.add_argument("--api-key", default="fake-key", help="API key the server accepts (default fake-key)")  # fmt: skip
    parser.add_argument("--api-secret", default="fake-secret", help="its secret; requests must be signed with it (default fake-secret)")  # fmt: skip
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Start the server, replay candles if asked, and run until SIGINT/SIGTERM."""
    candles = load_candles(args.price_file) if args.price_file else []
    history, path = candles[: args.warmup_bars], candles[args.warmup_bars :]
    price = path[0].open if path else (history[-1].close if history else args.price)
    keys = (ApiKey(args.api_key, args.api_secret),)
    server = FakeBybit(FakeConfig(api_keys=keys, price=price, wallet_btc=args.wallet_btc), port=args.port)  # fmt: skip
    server.load_history(history)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"fake-bybit listening on {server.url} (ws {server.ws_url}) key={args.api_key}", flush=True)  # fmt: skip
    replay = asyncio.create_task(server.replay(path, args.speed))
    try:
        await stop.wait()
    finally:
        replay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await replay
        await server.stop()
    print("fake-bybit stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.speed <= 0:
        print("--speed must be > 0", file=sys.stderr)
        return 2
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
