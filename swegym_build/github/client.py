"""A PyGithub client whose every request goes through our transport."""

from __future__ import annotations

import os

from github import Auth, Github
from github.Requester import Requester

from swegym_build.github.transport import (
    GitHubTransport,
    HttpsTransportConnection,
    HttpTransportConnection,
    register_transport,
)

DEFAULT_API_URL = "https://api.github.com"
API_URL_ENV = "GITHUB_API_URL"
TOKEN_ENV = "GITHUB_TOKEN"
USER_AGENT = "swegym-build"


def resolve_api_url(api_url: str | None) -> str:
    return (api_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def open_github(api_url: str, transport: GitHubTransport, token: str | None = None) -> Github:
    """A client for `api_url` (github.com, GitHub Enterprise's `/api/v3`, or a local server)."""
    # Our connection classes offer what PyGithub calls on its own (duck-typed, not subclassed).
    Requester.injectConnectionClasses(HttpTransportConnection, HttpsTransportConnection)  # type: ignore[arg-type]
    register_transport(api_url, transport)
    return Github(
        base_url=api_url,
        auth=Auth.Token(token) if token else None,
        per_page=100,
        # Retries and waits are the transport's job (it sees Retry-After and the rate-limit
        # headers); PyGithub's own pause before every request (0.25 s by default, 1 s before a
        # write) would only add idle time on top.
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        user_agent=USER_AGENT,
    )


__all__ = ["API_URL_ENV", "DEFAULT_API_URL", "TOKEN_ENV", "open_github", "resolve_api_url"]
