"""The HTTP side of the endpoint: SPARQL 1.1 Protocol at /sparql and a query page at /."""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from kb.serve.guard import Refused, check_query
from kb.serve.worker import Reply, Request, WorkerPool, text_reply

MAX_DRAIN = 16 * 1024 * 1024  # read and drop an oversized body up to this size, so clients see 413


@dataclass(frozen=True)
class Limits:
    """The endpoint's safety limits (all configurable from `kb serve`)."""

    timeout: float = 10.0  # seconds per query
    max_rows: int = 10_000  # result rows (or triples) per answer; more are cut off
    max_body: int = 64 * 1024  # bytes of query text, in a body or a URL
    workers: int = 2  # query processes


class SparqlServer(ThreadingHTTPServer):
    """A threaded HTTP server that hands queries to a pool of query processes."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, pool: WorkerPool, limits: Limits, page: bytes, quiet=False):
        self.pool, self.limits, self.page, self.quiet = pool, limits, page, quiet
        super().__init__(address, Handler)

    def server_close(self) -> None:
        super().server_close()
        self.pool.close()


class Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    server_version = "kb-sparql/1"

    def log_message(self, format, *args) -> None:  # noqa: A002 (the stdlib's name)
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, reply: Reply, head_only: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head_only:
            self.wfile.write(reply.body)

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._send(Reply(200, self.server.page, "text/html; charset=utf-8"))
        elif url.path == "/sparql":
            if len(url.query) > 3 * self.server.limits.max_body:  # percent-encoding triples size
                self._send(self._too_large())
            elif not url.query:
                self._send(text_reply(400, "no query: send ?query=... or see / for examples"))
            else:
                self._send(self._answer(parse_qs(url.query, keep_blank_values=True)))
        else:
            self._send(text_reply(404, f"no page {url.path}: the endpoint is /sparql"))

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/sparql":
            self._drain(self._length() or 0)
            self._send(text_reply(404, f"no page {url.path}: the endpoint is /sparql"))
            return
        length = self._length()
        if length is None:
            self.close_connection = True
            self._send(text_reply(411, "POST needs a Content-Length header"))
            return
        if length > self.server.limits.max_body:
            self._drain(length)
            self._send(self._too_large())
            return
        body = self.rfile.read(length)
        params = parse_qs(url.query, keep_blank_values=True)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            params["query"] = [body.decode("utf-8", "replace")]
        elif ctype == "application/sparql-update":
            params["update"] = [body.decode("utf-8", "replace")]
        elif ctype == "application/x-www-form-urlencoded":
            for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        else:
            self._send(
                text_reply(
                    415,
                    f"unsupported Content-Type {ctype or '(none)'}: send application/sparql-query "
                    "or a form (application/x-www-form-urlencoded) with a query parameter",
                )
            )
            return
        self._send(self._answer(params))

    def _length(self) -> int | None:
        try:
            return int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None

    def _drain(self, length: int) -> None:
        if length > MAX_DRAIN:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    def _too_large(self) -> Reply:
        limit = self.server.limits.max_body
        return text_reply(413, f"request too large: the query may be at most {limit} bytes")

    def _answer(self, params: dict[str, list[str]]) -> Reply:
        if "update" in params:
            return text_reply(
                400,
                "SPARQL Update is not allowed: this endpoint is read-only; "
                "edit data/taxonomy.ttl and run `kb check` instead",
            )
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return text_reply(400, "send exactly one non-empty query parameter")
        query = queries[0]
        if len(query.encode()) > self.server.limits.max_body:
            return self._too_large()
        try:
            check_query(query)
        except Refused as exc:
            return text_reply(400, str(exc))
        fmt = (params.get("format") or params.get("output") or [None])[0]
        req = Request(
            query=query,
            accept=self.headers.get("Accept"),
            fmt=fmt or None,
            default_graphs=tuple(params.get("default-graph-uri", [])),
            named_graphs=tuple(params.get("named-graph-uri", [])),
        )
        return self.server.pool.run(req)


def render_page(template: str, examples: list[dict], limits: Limits) -> bytes:
    """The HTML query page with the named queries as examples."""
    items = "\n".join(
        f'<li><a href="#" data-q="{html.escape(json.dumps(e["query"]))}">'
        f"{html.escape(e['name'])}</a> {html.escape(e.get('description', ''))}</li>"
        for e in examples
    )
    page = (
        template.replace("{{examples}}", items or "<li>(no named queries found)</li>")
        .replace("{{timeout}}", f"{limits.timeout:g}")
        .replace("{{max_rows}}", str(limits.max_rows))
    )
    return page.encode()
