"""WebSocket endpoints: ``/v5/public/inverse`` and ``/v5/private`` (reference §5, §6.8).

Control frames follow the docs: public pong ``{"success", "ret_msg": "pong", ..., "op": "ping"}``,
private pong ``{"op": "pong", "args": [ms]}``; the auth result is sent only in reply to
``op: auth`` (ccxt.pro crashes on an unsolicited one). While ``faults.ws_stalled`` is set
nothing at all is sent (pongs, acks and data are discarded), as on a dead connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from accountbuilder.testing.fake_bybit.config import ApiKey
from accountbuilder.testing.fake_bybit.faults import Faults
from accountbuilder.testing.fake_bybit.signing import ws_signature

PUBLIC_TOPIC = re.compile(r"^(tickers|kline\.(1|3|5|15|30|60|120|240|360|720|D|W|M))\.BTCUSD$")
PRIVATE_TOPICS = frozenset(
    {"order", "execution", "position", "wallet", "order.inverse", "execution.inverse",
     "position.inverse"}
)  # fmt: skip


@dataclass(eq=False, slots=True)
class WsConn:
    """One accepted WebSocket connection and its subscriptions."""

    ws: web.WebSocketResponse
    private: bool
    conn_id: str
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    topics: set[str] = field(default_factory=set)
    authed: bool = False


class WsHub:
    """Accepts connections, answers control ops and fans out topic frames."""

    def __init__(
        self,
        keys: Mapping[str, ApiKey],
        faults: Faults,
        clock: Callable[[], int],
        snapshot: Callable[[str], dict[str, Any] | None],
        record: Callable[[str, str, Any], None],
    ) -> None:
        self.keys, self.faults, self.clock = keys, faults, clock
        self.snapshot, self.record = snapshot, record
        self.conns: set[WsConn] = set()

    async def public(self, request: web.Request) -> web.WebSocketResponse:
        """Serve ``/v5/public/inverse``."""
        return await self._serve(request, private=False)

    async def private(self, request: web.Request) -> web.WebSocketResponse:
        """Serve ``/v5/private``."""
        return await self._serve(request, private=True)

    def topics(self) -> set[str]:
        """Every topic some public connection is subscribed to."""
        return {t for c in self.conns if not c.private for t in c.topics}

    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        """Send a public frame to every connection subscribed to ``topic``."""
        text = json.dumps(frame)
        for conn in self.conns:
            if not conn.private and topic in conn.topics:
                conn.queue.put_nowait(text)

    def publish_private(self, topic: str, rows: list[dict[str, Any]]) -> None:
        """Send ``{id, topic, creationTime, data}`` to authenticated subscribers of ``topic``."""
        for conn in self.conns:
            for name in (topic, f"{topic}.inverse"):
                if conn.private and conn.authed and name in conn.topics:
                    frame = {"id": uuid.uuid4().hex, "topic": name,
                             "creationTime": self.clock(), "data": rows}  # fmt: skip
                    conn.queue.put_nowait(json.dumps(frame))

    async def drop(self, private: bool | None = None) -> int:
        """Close matching connections (code 1001); return how many were closed."""
        chosen = [c for c in self.conns if private is None or c.private == private]
        for conn in chosen:
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"dropped by test")
        return len(chosen)

    async def _serve(self, request: web.Request, private: bool) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, timeout=1.0)
        await ws.prepare(request)
        conn = WsConn(ws, private, uuid.uuid4().hex[:20])
        self.conns.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, request.path, msg.data)
                elif msg.type == WSMsgType.PING and not self.faults.ws_stalled:
                    await ws.pong(msg.data)
        finally:
            self.conns.discard(conn)
            writer.cancel()
        return ws

    async def _write(self, conn: WsConn) -> None:
        while True:
            text = await conn.queue.get()
            if self.faults.ws_stalled or conn.ws.closed:
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(text)

    def _send(self, conn: WsConn, frame: dict[str, Any]) -> None:
        conn.queue.put_nowait(json.dumps(frame))

    def _on_text(self, conn: WsConn, path: str, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        self.record(path, conn.conn_id, msg if msg is not None else text)
        if not isinstance(msg, dict):
            self._send(conn, {"success": False, "ret_msg": "error:invalid json", "conn_id": conn.conn_id, "op": ""})  # fmt: skip
            return
        op = msg.get("op")
        if op == "ping":
            self._pong(conn, msg)
        elif op == "auth" and conn.private:
            self._auth(conn, msg)
        elif op in ("subscribe", "unsubscribe"):
            self._subscribe(conn, msg, op)
        else:
            self._reply(conn, msg, False, f"error:invalid op {op}")

    def _reply(self, conn: WsConn, msg: dict[str, Any], ok: bool, ret_msg: str) -> None:
        req_id = msg.get("req_id")
        self._send(conn, {"success": ok, "ret_msg": ret_msg, "conn_id": conn.conn_id,
                          "req_id": "" if req_id is None else str(req_id), "op": msg.get("op")})  # fmt: skip

    def _pong(self, conn: WsConn, msg: dict[str, Any]) -> None:
        if not conn.private:
            self._reply(conn, msg, True, "pong")
            return
        req_id = msg.get("req_id")
        self._send(conn, {"req_id": "" if req_id is None else str(req_id), "op": "pong",
                          "args": [str(self.clock())], "conn_id": conn.conn_id})  # fmt: skip

    def _auth(self, conn: WsConn, msg: dict[str, Any]) -> None:
        key, expires, sig = [*(str(a) for a in msg.get("args") or []), "", "", ""][:3]
        api = self.keys.get(key)
        if api is None:
            error = "Invalid apikey"
        elif not expires.isdigit() or int(expires) <= self.clock():
            error = "Params Error: expires is in the past"
        elif not hmac.compare_digest(ws_signature(api.secret, expires), sig):
            error = "error:USVC1111"
        else:
            error = ""
        conn.authed = not error
        reply = {"success": conn.authed, "ret_msg": error, "op": "auth", "conn_id": conn.conn_id}
        if error:  # ccxt turns a failed reply whose request.op is auth into AuthenticationError
            reply["request"] = {"op": "auth"}
        self._send(conn, reply)

    def _subscribe(self, conn: WsConn, msg: dict[str, Any], op: str) -> None:
        args = [str(a) for a in msg.get("args") or []]
        if conn.private and not conn.authed:
            self._reply(conn, msg, False, "Request not authorized")
            return
        bad = [
            a for a in args if not (a in PRIVATE_TOPICS if conn.private else PUBLIC_TOPIC.match(a))
        ]
        if bad or not args:
            self._reply(conn, msg, False, f"error:handler not found,topic:{(bad or [''])[0]}")
            return
        self._reply(conn, msg, True, "")
        if op == "unsubscribe":
            conn.topics.difference_update(args)
            return
        conn.topics.update(args)
        for topic in args:
            frame = None if conn.private else self.snapshot(topic)
            if frame is not None:
                self._send(conn, frame)
