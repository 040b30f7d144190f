"""A webhook receiver on 127.0.0.1 for notification tests: apprise ``json://`` posts to it.

``Receiver`` runs an HTTP server in a thread (so subprocess runs and asyncio tests can both
use it) and keeps every JSON body posted, with its path; ``status`` is the HTTP answer (a
``500`` makes every send fail).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, status: int = 200):
        self.status = status
        self.posts: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver._lock:
                    receiver.posts.append((self.path, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        with self._lock:
            return [body.get("title", "") for _, body in self.posts]

    def messages(self) -> list[dict]:
        with self._lock:
            return [body for _, body in self.posts]

    def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.posts) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.posts)} posts, expected {count}: {self.titles()}")
            time.sleep(0.02)


def dead_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return port
