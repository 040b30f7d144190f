"""A Bybit client that can only make public requests (the dry run's, issue 20).

``PublicBybitClient`` is a ``BybitClient`` built without credentials: ccxt holds no key and no
secret, so it cannot sign, and every request is checked before it leaves — its path must be a
public market path (``/v5/market/...``), every WebSocket topic a public one. A private call is
refused with ``PrivateCallRefused`` and never sent (it would be a bug). Everything else is the
live client's: ccxt's own parsing, the F1 budget, the round-trip measure, the frame tap.
"""

from __future__ import annotations

import asyncio
from typing import Any

from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.client import BybitClient, ClientSettings, Clock, Sleep
from accountbuilder.health.rest_budget import RestBudget

PUBLIC_PATH = "/v5/market/"
PUBLIC_TOPICS = ("tickers", "kline.1", "kline.D")


class PrivateCallRefused(port_errors.ExchangeError):
    """A private request or topic was asked of the public-only client; nothing was sent."""


def is_public_path(path: str) -> bool:
    """Whether a REST path is one of Bybit's public market endpoints."""
    return path.startswith(PUBLIC_PATH) and ".." not in path


class PublicBybitClient(BybitClient):
    """ccxt for BTCUSD inverse with no credentials; public paths and topics only."""

    def __init__(
        self,
        settings: ClientSettings,
        budget: RestBudget,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__("", "", settings, budget, clock, sleep, _nothing_to_mask)

    @property
    def has_credentials(self) -> bool:
        """Always False: the ccxt instance holds no key and no secret."""
        return bool(self.ccxt.apiKey or self.ccxt.secret)

    async def spend(self, path: str) -> bool:
        """Refuse any non-public path before it is counted or sent; count a public one (F1)."""
        if not is_public_path(path):
            raise PrivateCallRefused(f"dry run: {path} is not a public endpoint; not sent")
        return await super().spend(path)

    async def watch(self, topic: str) -> Any:
        if topic not in PUBLIC_TOPICS:
            raise PrivateCallRefused(f"dry run: topic {topic!r} is not public; not subscribed")
        return await super().watch(topic)


def _nothing_to_mask(text: str) -> str:
    return text
