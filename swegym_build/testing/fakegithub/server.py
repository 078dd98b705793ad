"""A fake GitHub REST server on 127.0.0.1: real HTTP, real pagination, real conditional requests.

It serves the endpoints the miner uses (repository, pulls, issues and issue-comment lists, single
issues and pulls for completeness), with `Link` pagination, ETags and 304s, GitHub's rate-limit
headers and budget, token checks, fault injection, and a counter of every request it received.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from swegym_build.testing.fakegithub.world import (
    FakeIssue,
    FakePull,
    FakeRepo,
    World,
    comment_json,
    issue_json,
    pull_as_issue_json,
    pull_json,
    repo_json,
)
from swegym_build.testing.loopback import LoopbackServer

Json = Any
Route = Callable[[FakeRepo, dict[str, str], str], Json]


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next `times` matching requests.

    kinds: `status` (answer `status`, e.g. 502), `secondary` (403 + Retry-After), `drop` (close the
    connection without answering), `slow` (sleep `delay` seconds, then answer normally), `exhaust`
    (the primary budget runs out now and resets `reset_in` seconds later). A fault matches a
    request whose path contains `path_contains` and whose query contains every `query_contains`.
    """

    kind: str
    times: int = 1
    status: int = 502
    retry_after: float = 1
    delay: float = 0.0
    reset_in: float = 2.0
    path_contains: str = ""
    query_contains: tuple[str, ...] = ()  # every one of these in the query string, too


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    authorized: bool


@dataclass
class _Budget:
    limit: int
    remaining: int
    reset_at: float


@dataclass
class FakeGitHub(LoopbackServer):
    world: World
    token: str | None = None
    rate_limit: int = 5000
    latency: float = 0.0
    requests: list[RequestRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # Each list as its first page saw it, for the pages after it: (what it depends on, list).
        self._listings: dict[tuple[str, str], tuple[tuple[int, ...], _Listing]] = {}
        self._budget = _Budget(self.rate_limit, self.rate_limit, time.time() + 3600)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})

    # -- observation and control -----------------------------------------------------------
    def count(self, *, path_contains: str = "", status: int | None = None) -> int:
        with self._lock:
            return sum(
                1 for r in self.requests if path_contains in r.path and (status is None or r.status == status)
            )

    def reset_counter(self) -> None:
        with self._lock:
            self.requests.clear()

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _take_fault(self, path: str, query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                matches = fault.path_contains in path and all(part in query for part in fault.query_contains)
                if matches and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _spend(self, counts: bool) -> tuple[bool, dict[str, str]]:
        """Charge one request to the budget; False when it is exhausted."""
        with self._lock:
            budget = self._budget
            now = time.time()
            if now >= budget.reset_at:
                budget.remaining, budget.reset_at = budget.limit, now + 3600
            allowed = budget.remaining > 0
            if allowed and counts:
                budget.remaining -= 1
            headers = {
                "X-RateLimit-Limit": str(budget.limit),
                "X-RateLimit-Remaining": str(budget.remaining),
                "X-RateLimit-Reset": str(int(budget.reset_at)),
                "X-RateLimit-Used": str(budget.limit - budget.remaining),
                "X-RateLimit-Resource": "core",
            }
        return allowed, headers

    def _listing(self, path: str, params: dict[str, str], repo: FakeRepo) -> _Listing | None:
        """The list a client is paging through, when it asks for a later page of it.

        Sorting a list of 40,000 for each of its 400 pages would make paging quadratic; the pages
        after the first reuse the first page's order as long as no item or comment was added (an
        added one joins as on GitHub). Items are rendered as they are when their page is asked.
        """
        if params.get("page", "1") == "1":
            return None
        with self._lock:
            kept = self._listings.get(_listing_key(path, params))
        return kept[1] if kept and kept[0] == _shape(repo) else None

    def _keep_listing(self, path: str, params: dict[str, str], repo: FakeRepo, listing: _Listing) -> None:
        with self._lock:
            self._listings[_listing_key(path, params)] = (_shape(repo), listing)

    def _exhaust(self, reset_in: float) -> None:
        with self._lock:
            self._budget.remaining = 0
            self._budget.reset_at = time.time() + reset_in


_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_REPO + r"$"), "repo"),
    (re.compile(_REPO + r"/pulls$"), "pulls"),
    (re.compile(_REPO + r"/pulls/(?P<number>\d+)$"), "pull"),
    (re.compile(_REPO + r"/issues$"), "issues"),
    (re.compile(_REPO + r"/issues/comments$"), "comments"),
    (re.compile(_REPO + r"/issues/(?P<number>\d+)$"), "issue"),
    (re.compile(_REPO + r"/issues/(?P<number>\d+)/comments$"), "issue_comments"),
]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; the request counter records everything."""

    def do_GET(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        authorized = self._authorized()
        status = self._serve(parts.path, parts.query, authorized)
        fake._record(RequestRecord("GET", parts.path, parts.query, status, authorized is True))

    def _authorized(self) -> bool | None:
        """True: a valid token; False: a wrong one; None: no token sent."""
        header = self.headers.get("Authorization")
        if header is None:
            return None
        return self.fake.token is not None and header in (
            f"token {self.fake.token}",
            f"Bearer {self.fake.token}",
        )

    def _serve(self, path: str, query: str, authorized: bool | None) -> int:
        fake = self.fake
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake._take_fault(path, query)
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return 0
        if fault and fault.kind == "exhaust":
            fake._exhaust(fault.reset_in)
        if authorized is False:
            return self._send(401, {"message": "Bad credentials"}, {})
        if fault and fault.kind == "status":
            return self._send(fault.status, {"message": "Server Error"}, {})
        if fault and fault.kind == "secondary":
            body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
            return self._send(403, body, {"Retry-After": str(int(fault.retry_after))})

        allowed, rate_headers = fake._spend(counts=True)
        if not allowed:
            body = {"message": "API rate limit exceeded for 127.0.0.1."}
            return self._send(403, body, rate_headers)

        params = {k: v[-1] for k, v in parse_qs(query).items()}
        for pattern, route in _ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            repo = fake.world.get(f"{match['owner']}/{match['name']}")
            if repo is None or (repo.private and not authorized):
                return self._send(404, _not_found(), rate_headers)
            payload = fake._listing(path, params, repo) or _render(
                route, repo, match.groupdict(), params, fake.url
            )
            if isinstance(payload, _Listing):
                fake._keep_listing(path, params, repo, payload)
            if payload is None:
                return self._send(404, _not_found(), rate_headers)
            if isinstance(payload, _Listing):
                # Only the requested page is rendered: a list of 40,000 costs a sort, not 40,000 dicts.
                page, link = _paginate(payload.items, params, fake.url + path)
                payload = [payload.render(item) for item in page]
                if link:
                    rate_headers = {**rate_headers, "Link": link}
            return self._send_conditional(payload, rate_headers, authorized is True)
        return self._send(404, _not_found(), rate_headers)

    def _send_conditional(self, payload: Json, headers: dict[str, str], authorized: bool) -> int:
        body = json.dumps(payload, sort_keys=True).encode()
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            if authorized:
                # GitHub does not charge an authorised conditional request that answers 304.
                with self.fake._lock:
                    self.fake._budget.remaining += 1
                headers = {**headers, "X-RateLimit-Remaining": str(self.fake._budget.remaining)}
            return self._send(304, None, {**headers, "ETag": etag})
        return self._send(200, payload, {**headers, "ETag": etag}, body=body)

    def _send(self, status: int, payload: Json, headers: dict[str, str], body: bytes | None = None) -> int:
        if body is None:
            body = b"" if payload is None else json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status


def _not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@dataclass(frozen=True)
class _Listing:
    """A list endpoint's answer: every matching item in order, rendered a page at a time."""

    items: list[Any]
    render: Callable[[Any], Json]


def _listing_key(path: str, params: dict[str, str]) -> tuple[str, str]:
    return path, repr(sorted((k, v) for k, v in params.items() if k not in ("page", "per_page")))


def _shape(repo: FakeRepo) -> tuple[int, ...]:
    """What a kept list depends on that adding an item or a comment changes."""
    return len(repo.issues), len(repo.pulls), len(repo.comments), int(repo.issues_list_merged_at)


def _newest_first(params: dict[str, str], default: str = "desc") -> bool:
    return params.get("direction", default) == "desc"


def _render(route: str, repo: FakeRepo, match: dict[str, str], params: dict[str, str], base: str) -> Json:
    number = int(match["number"]) if match.get("number") else None
    state = params.get("state", "open")
    since = params.get("since")  # GitHub's filter: updated at or after this moment

    def state_ok(item_state: str) -> bool:
        return state == "all" or item_state == state

    if route == "repo":
        return repo_json(repo, base)
    if route == "pulls":
        # sort: created (default) or updated; newest first unless asked otherwise.
        pulls = [p for p in repo.pulls.values() if state_ok(p.state)]
        by = "updated_at" if params.get("sort") == "updated" else "created_at"
        pulls.sort(key=lambda p: (getattr(p, by), p.number), reverse=_newest_first(params))
        return _Listing(pulls, lambda p: pull_json(repo, p, base))
    if route == "pull":
        pull = repo.pulls.get(number or 0)
        return pull_json(repo, pull, base) if pull else None
    if route == "issues":
        items: list[FakeIssue | FakePull] = [i for i in repo.issues.values() if state_ok(i.state)]
        items += [p for p in repo.pulls.values() if state_ok(p.state)]
        if since:
            items = [i for i in items if i.updated_at >= since]
        counts = repo.comment_counts()
        # sort: created (default), updated or comments; newest first unless asked otherwise.
        # Numbers rise with creation time, so the number breaks ties as the creation order would.
        sort = params.get("sort", "created")
        if sort == "updated":
            items.sort(key=lambda i: (i.updated_at, i.number), reverse=_newest_first(params))
        elif sort == "comments":
            items.sort(key=lambda i: (counts[i.number], i.number), reverse=_newest_first(params))
        else:
            items.sort(key=lambda i: (i.created_at, i.number), reverse=_newest_first(params))

        def render(item: FakeIssue | FakePull) -> Json:
            if isinstance(item, FakePull):
                return pull_as_issue_json(repo, item, base, counts[item.number])
            return issue_json(repo, item, base, counts[item.number])

        return _Listing(items, render)
    if route == "issue":
        count = repo.comment_counts()[number or 0]
        if number in repo.issues:
            return issue_json(repo, repo.issues[number], base, count)
        return pull_as_issue_json(repo, repo.pulls[number], base, count) if number in repo.pulls else None
    if route in ("comments", "issue_comments"):
        comments = repo.comments
        if route == "issue_comments":
            comments = [c for c in comments if c.issue_number == number]
        if since:
            comments = [c for c in comments if c.updated_at >= since]
        # By ascending id unless a sort (created or updated) is asked for; direction needs a sort.
        comment_sort = params.get("sort")
        if comment_sort in ("created", "updated"):
            stamp = "updated_at" if comment_sort == "updated" else "created_at"
            newest = _newest_first(params, default="asc")
            ordered = sorted(comments, key=lambda c: (getattr(c, stamp), c.id), reverse=newest)
        else:
            ordered = sorted(comments, key=lambda c: c.id)
        return _Listing(ordered, lambda c: comment_json(repo, c, base))
    raise AssertionError(route)


def _paginate(items: list[Any], params: dict[str, str], url: str) -> tuple[list[Any], str]:
    per_page = max(1, min(100, int(params.get("per_page", 30))))
    page = max(1, int(params.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    links = []

    def link(to: int, rel: str) -> str:
        return f'<{url}?{urlencode({**params, "page": to, "per_page": per_page})}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    return items[(page - 1) * per_page : page * per_page], ", ".join(links)
