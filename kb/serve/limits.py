"""The endpoint's safety limits, in one place (every one is a `kb serve` option)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request, one client and all of them together may cost the server."""

    timeout: float = 10.0  # seconds per query, from the moment a worker takes it
    max_rows: int = 10_000  # result rows (or triples) per answer; more are cut off
    max_body: int = 64 * 1024  # bytes of query text, in a body or a URL
    workers: int = 2  # query processes of the normal lane
    max_memory: int = 256 * MB  # heap a worker may add to the loaded graph (RLIMIT_DATA)
    max_response: int = 16 * MB  # bytes of one answer
    slow_after: float = 0.5  # seconds in a worker before a query moves to the slow lane
    slow_lane: int = 2  # queries that ran long which may run at once (niced processes)
    queue: int = 64  # requests waiting for a worker; more are answered 503 at once
    queue_wait: float = 10.0  # seconds a request may wait for a worker before 503
    per_client: int = 8  # requests in progress per client address; more get 429
    flag_for: float = 60.0  # seconds a client whose query was stopped goes to the slow lane
    header_timeout: float = 10.0  # seconds to send request line, headers and body (idle too)
    max_connections: int = 256  # open connections; more are closed with 503
    max_depth: int = 64  # nesting of { ( [ in a query

    def memory_cap(self) -> int:
        """The most memory queries may take together (normal lane, slow lane and probation)."""
        return (self.workers + 2 * self.slow_lane) * self.max_memory
