"""A threaded HTTP server on 127.0.0.1, started and stopped as a context manager.

The base of the stand-ins for services that cannot run here (the fake GitHub, the stand-in hub):
they only say which request handler serves them.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Self = TypeVar("Self", bound="LoopbackServer")


class LoopbackServer:
    _server: ThreadingHTTPServer | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this server's state."""
        raise NotImplementedError

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (`port` 0: a free one); returns the base URL."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self.handler())
        self._server.daemon_threads = True
        name = type(self).__name__
        threading.Thread(target=self._server.serve_forever, name=name, daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self: Self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"
