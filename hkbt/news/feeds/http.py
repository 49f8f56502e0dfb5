"""A polite HTTP client for feeds: a User-Agent, time limits, retries with backoff, conditional GET.

:class:`PoliteClient.get` asks once and retries only what may pass: a
connection that failed or timed out, HTTP 429 and 5xx. Each retry waits
``backoff_seconds * 2**attempt`` (or the server's ``Retry-After``, capped at
:data:`MAX_RETRY_AFTER_S`). Any other HTTP error (404, 403 ...) fails at once.
Every request has a total deadline (``timeout_seconds`` covers connecting
*and* reading the whole body, so a server that drips bytes cannot hold a
fetch forever) and a size cap (:data:`MAX_BYTES`).

Conditional GET: given the ``ETag`` / ``Last-Modified`` of the previous
answer (kept per feed in the store), the request carries ``If-None-Match`` /
``If-Modified-Since``; a ``304 Not Modified`` answer costs the server
nothing and stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hkbt.config import FetchConfig
from hkbt.news.store import FeedState

MAX_BYTES = 20 * 1024 * 1024
MAX_RETRY_AFTER_S = 120.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A feed could not be fetched or read; ``str()`` is the one-line reason."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


@dataclass(frozen=True)
class HttpResult:
    """A finished request: ``status`` 200 with ``content``, or 304 with none; the new validators."""

    status: int
    content: bytes
    state: FeedState


class PoliteClient:
    """One ``requests`` session for a fetch run.

    Args:
        settings: ``news.fetch`` (timeout, retries, backoff, User-Agent).
        session: a ``requests.Session`` to use (default: a new one).
        sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(self, settings: FetchConfig, session=None, sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self._sleep = sleep

    def get(self, url: str, params: Mapping[str, str] | None = None, state: FeedState | None = None) -> HttpResult:
        """GET ``url`` with retries; raise :class:`FetchError` when it cannot be had."""
        import requests

        headers = {"Accept-Encoding": "gzip, deflate"}
        if state is not None and state.url == url:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                result = self._once(url, params, headers)
            except (requests.ConnectionError, requests.Timeout, _Deadline) as exc:
                if last:
                    raise FetchError(f"{_describe(exc, self.settings.timeout_seconds)} ({url}) after {attempts} attempt(s)") from None
                self._sleep(self._backoff(attempt, None))
                continue
            except requests.RequestException as exc:
                raise FetchError(f"request failed: {exc.__class__.__name__} ({url})") from None
            status, content, response = result
            if status in (200, 304):
                new_state = FeedState(url, response.headers.get("ETag"), response.headers.get("Last-Modified"))
                if status == 304:
                    new_state = state or new_state
                return HttpResult(status, content, new_state)
            if status in RETRY_STATUSES and not last:
                self._sleep(self._backoff(attempt, response.headers.get("Retry-After")))
                continue
            reason = response.reason or ""
            tried = f" after {attempt + 1} attempt(s)" if status in RETRY_STATUSES else ""
            raise FetchError(f"HTTP {status} {reason}".rstrip() + f" from {url}{tried}", status)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def _once(self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str]):
        """One request with a total deadline and a size cap; returns ``(status, body, response)``."""
        limit = self.settings.timeout_seconds
        deadline = time.monotonic() + limit
        with self.session.get(url, params=params, headers=headers, timeout=(limit, limit), stream=True,
                              allow_redirects=True) as response:
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"answer larger than {MAX_BYTES // (1024 * 1024)} MB from {url}", response.status_code)
                if time.monotonic() > deadline:
                    raise _Deadline()
            return response.status_code, b"".join(chunks), response

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_RETRY_AFTER_S)
        return self.settings.backoff_seconds * (2 ** attempt)


class _Deadline(Exception):
    """The whole request took longer than ``timeout_seconds``."""


def _describe(exc: Exception, timeout: float) -> str:
    import requests

    if isinstance(exc, (requests.Timeout, _Deadline)):
        return f"timed out after {timeout:g}s"
    text = str(exc)
    for hint in ("Name or service not known", "Temporary failure in name resolution", "Connection refused",
                 "Network is unreachable", "No route to host"):
        if hint in text:
            return f"connection failed: {hint.lower()}"
    return "connection failed"
