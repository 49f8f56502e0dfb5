"""A local HTTP server for the feed tests: canned answers on 127.0.0.1, started and stopped by the test.

Nothing in the feed tests talks to any other host. Routes map a path (query
string ignored) to a list of :class:`Answer` served in turn (the last one
repeats), or to a function of the request. ETag / Last-Modified answers honour
``If-None-Match`` / ``If-Modified-Since`` with a 304, like a real feed server.

:class:`RewritingSession` is a ``requests.Session`` that sends every request
(e.g. yfinance's to fc.yahoo.com, query1.finance.yahoo.com and
finance.yahoo.com) to this server instead, keeping the path and query and
naming the original host in ``X-Original-Host``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


@dataclass
class Answer:
    """One canned response."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class FeedServer:
    """``with FeedServer() as server: server.route("/rss", Answer(...)); url = server.url("/rss")``."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer] | Callable[[Seen], Answer]] = {}
        self.seen: list[Seen] = []
        self.served = threading.Event()  # set after each complete answer
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target = urlsplit(self.path)
                request = Seen(self.command, target.path, target.query, dict(self.headers.items()), body)
                answer = server._pick(request)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.etag and self.headers.get("If-None-Match") == answer.etag or (
                        answer.last_modified and self.headers.get("If-Modified-Since") == answer.last_modified):
                    status, payload = 304, b""
                else:
                    status, payload = answer.status, answer.body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    if answer.etag:
                        self.send_header("ETag", answer.etag)
                    if answer.last_modified:
                        self.send_header("Last-Modified", answer.last_modified)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass
                server.served.set()

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *answers: Answer | Callable[[Seen], Answer]) -> None:
        self.routes[path] = answers[0] if len(answers) == 1 and callable(answers[0]) else list(answers)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _pick(self, request: Seen) -> Answer:
        with self._lock:
            self.seen.append(request)
            route = self.routes.get(request.path)
            if route is None:
                return Answer(b"not found", 404, "text/plain")
            if callable(route):
                return route(request)
            return route.pop(0) if len(route) > 1 else route[0]


def feed_file(name: str) -> bytes:
    """A fixture from tests/data/feeds as bytes."""
    return (FEEDS / name).read_bytes()


class RewritingSession(requests.Session):
    """Every request goes to the local server (path and query kept; original host in ``X-Original-Host``)."""

    def __init__(self, server: FeedServer) -> None:
        super().__init__()
        self._port = server.port

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        headers = dict(kwargs.pop("headers", None) or {})
        headers["X-Original-Host"] = parts.netloc
        local = urlunsplit(("http", f"127.0.0.1:{self._port}", parts.path or "/", parts.query, ""))
        kwargs.pop("impersonate", None)
        return super().request(method, local, *args, headers=headers, **kwargs)
