"""The HTTP layer under PyGithub: conditional requests, rate limits, retries, request counting.

PyGithub lets a program replace the connection class it sends requests through; ours hands every
request to a `GitHubTransport`, so caching and waiting happen in one place for every API call,
whichever PyGithub method made it. A token passes through in the request headers and goes
nowhere else: not to the cache, not to a log line.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, ItemsView
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests
import tenacity

from swegym_build.errors import RateLimited, TransientHTTPError
from swegym_build.github.http_cache import CachedResponse, HttpCache

log = logging.getLogger(__name__)

# Called once a second while the transport waits: (why, seconds left).
WaitCallback = Callable[[str, float], None]


@dataclass
class ApiStats:
    """What the API has cost so far; shown live and in the closing summary."""

    sent: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset: float | None = None
    waited_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def observe(self, headers: dict[str, str]) -> None:
        with self._lock:
            self.sent += 1
            if "x-ratelimit-limit" in headers:
                self.rate_limit = int(headers["x-ratelimit-limit"])
            if "x-ratelimit-remaining" in headers:
                self.rate_remaining = int(headers["x-ratelimit-remaining"])
            if "x-ratelimit-reset" in headers:
                self.rate_reset = float(headers["x-ratelimit-reset"])


@dataclass
class Response:
    """The shape of response PyGithub's `Requester` reads (`status`, `getheaders()`, `read()`)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def getheaders(self) -> ItemsView[str, str]:
        return self.headers.items()

    def read(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # Primary rate-limit resets to sit through before giving up.
    rate_limit_waits: int = 3
    # Default wait for a secondary limit that names no Retry-After (GitHub's advice: a minute).
    secondary_default: float = 60.0
    timeout: float = 60.0


class GitHubTransport:
    def __init__(
        self,
        *,
        cache: HttpCache | None = None,
        stats: ApiStats | None = None,
        policy: RetryPolicy | None = None,
        on_wait: WaitCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = cache
        self.stats = stats or ApiStats()
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self._sleep = sleep
        self._session = requests.Session()
        # PyGithub sets its own no-op auth; a session-level one would read ~/.netrc.
        self._session.trust_env = False

    def close(self) -> None:
        self._session.close()

    def send(self, method: str, url: str, headers: dict[str, str], body: Any) -> Response:
        key = _cache_key(url)
        cached = self.cache.get(key) if (self.cache and method == "GET") else None
        if cached is not None and _full_last_page(url, cached):
            # A page can be unchanged while a new page appears after it; a 304 might then carry
            # the old Link header (no "next"), so a full last page is always asked for afresh.
            cached = None
        if cached is not None:
            headers = {**headers, "If-None-Match": cached.etag}
        for waits in range(self.policy.rate_limit_waits + 1):
            self._wait_for_budget()
            response = self._send_with_retries(method, url, headers, body)
            if not _is_primary_limit(response):
                break
            if waits == self.policy.rate_limit_waits:
                raise RateLimited(
                    f"GitHub rate limit still exhausted after {waits} resets; "
                    "set GITHUB_TOKEN for a larger budget or try later"
                )
            self._wait_until(float(response.headers.get("x-ratelimit-reset", time.time() + 60)), "rate limit")
        if response.status == 304 and cached is not None:
            self.stats.not_modified += 1
            return Response(200, {**cached.headers, **_fresh_headers(response.headers)}, cached.body)
        if method == "GET" and response.status == 200 and self.cache is not None:
            self.cache.put(key, response.status, response.headers, response.body)
        return response

    def _send_with_retries(self, method: str, url: str, headers: dict[str, str], body: Any) -> Response:
        policy = self.policy

        def wait(state: tenacity.RetryCallState) -> float:
            backoff = float(min(policy.backoff_max, policy.backoff_base * 2 ** (state.attempt_number - 1)))
            error = state.outcome.exception() if state.outcome else None
            asked: float | None = getattr(error, "retry_after", None)
            return max(backoff, asked) if asked else backoff

        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.stats.retries += 1
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "GitHub request failed (%s); retry %d of %d", error, state.attempt_number, policy.attempts
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientHTTPError),
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=wait,
            sleep=lambda seconds: self._countdown(seconds, "retry backoff"),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, url, headers, body)
        except TransientHTTPError as error:
            raise TransientHTTPError(f"{error} (gave up after {policy.attempts} attempts)") from error

    def _send_once(self, method: str, url: str, headers: dict[str, str], body: Any) -> Response:
        try:
            raw = self._session.request(
                method, url, headers=headers, data=body, timeout=self.policy.timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            # The message of a connection error can carry the URL but never the headers.
            host = urlsplit(url).netloc
            raise TransientHTTPError(
                f"{method} {_path(url)}: cannot reach {host} ({type(error).__name__})"
            ) from error
        response = Response(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, raw.content)
        self.stats.observe(response.headers)
        log.debug("%s %s -> %d", method, _path(url), response.status)
        if response.status >= 500:
            raise TransientHTTPError(f"{method} {_path(url)}: HTTP {response.status}")
        secondary = _secondary_limit_wait(response, self.policy.secondary_default)
        if secondary is not None:
            raise TransientHTTPError(f"{method} {_path(url)}: secondary rate limit", retry_after=secondary)
        return response

    def _wait_for_budget(self) -> None:
        stats = self.stats
        if stats.rate_remaining == 0 and stats.rate_reset and stats.rate_reset > time.time():
            self._wait_until(stats.rate_reset, "rate limit")

    def _wait_until(self, reset_epoch: float, why: str) -> None:
        # One second of slack: GitHub's reset is rounded down to the second.
        self._countdown(max(0.0, reset_epoch - time.time()) + 1.0, why)
        self.stats.rate_remaining = None

    def _countdown(self, seconds: float, why: str) -> None:
        self.stats.waited_seconds += seconds
        log.info("waiting %.0fs (%s)", seconds, why)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.on_wait:
                self.on_wait(why, left)
            self._sleep(min(1.0, left))
        if self.on_wait:
            self.on_wait(why, 0.0)


def _is_primary_limit(response: Response) -> bool:
    return response.status in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0"


def _secondary_limit_wait(response: Response, default: float) -> float | None:
    if response.status not in (403, 429) or _is_primary_limit(response):
        return None
    if "retry-after" in response.headers:
        return float(response.headers["retry-after"])
    if b"secondary rate limit" in response.body.lower():
        return default
    return None  # a plain 403 (no access) is an answer, not a fault


def _fresh_headers(headers: dict[str, str]) -> dict[str, str]:
    """What a 304 says that is newer than the cached copy: the budget, and the pagination."""
    return {k: v for k, v in headers.items() if k.startswith("x-ratelimit-") or k == "link"}


def _full_last_page(url: str, cached: CachedResponse) -> bool:
    if 'rel="next"' in cached.headers.get("link", ""):
        return False
    try:
        items = json.loads(cached.body)
    except ValueError:
        return False
    per_page = parse_qs(urlsplit(url).query).get("per_page", ["30"])[-1]
    return isinstance(items, list) and per_page.isdigit() and len(items) == int(per_page)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _cache_key(url: str) -> str:
    # Keyed by path and query, not host: the same API moved to another port (the offline demo's
    # server) still answers 304 for what it already sent.
    return _path(url)


class _TransportConnection:
    """Stands in for PyGithub's requests-based connection and delegates to a registered transport."""

    protocol: ClassVar[str]
    registry: ClassVar[dict[str, GitHubTransport]] = {}
    _fallback: ClassVar[GitHubTransport | None] = None

    def __init__(self, host: str, port: int | None = None, **_: Any) -> None:
        self.host = host
        self.port = port or (443 if self.protocol == "https" else 80)
        self._pending: tuple[str, str, Any, dict[str, str]] | None = None

    def request(self, verb: str, url: str, input: Any, headers: dict[str, str], stream: bool = False) -> None:
        self._pending = (verb, url, input, headers)

    def getresponse(self) -> Response:
        assert self._pending is not None, "getresponse() before request()"
        verb, url, body, headers = self._pending
        transport = self.registry.get(self.origin) or self._default_transport()
        return transport.send(verb, f"{self.origin}{url}", headers, body)

    @property
    def origin(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    @classmethod
    def _default_transport(cls) -> GitHubTransport:
        if _TransportConnection._fallback is None:
            _TransportConnection._fallback = GitHubTransport()
        return _TransportConnection._fallback

    def close(self) -> None:
        """The transport owns the session; nothing to close per connection."""


class HttpTransportConnection(_TransportConnection):
    protocol = "http"


class HttpsTransportConnection(_TransportConnection):
    protocol = "https"


def register_transport(api_url: str, transport: GitHubTransport) -> None:
    """Route PyGithub's requests to `api_url`'s host through `transport`."""
    parts = urlsplit(api_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _TransportConnection.registry[f"{parts.scheme}://{parts.hostname}:{port}"] = transport
