"""The HTTP side of the endpoint: SPARQL 1.1 Protocol at /sparql and a query page at /."""

from __future__ import annotations

import html
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from kb.serve.guard import Refused, check_query
from kb.serve.limits import Limits
from kb.serve.worker import Reply, Request, WorkerPool, text_reply

MAX_DRAIN = 16 * 1024 * 1024  # read and drop an oversized body up to this size, so clients see 413
MAX_FIELDS = 100  # form or URL parameters per request
_BUSY = b"server busy: too many open connections; retry shortly\n"
TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


def _short(text: str, at: int = 80) -> str:
    """Client-supplied text as echoed in an error line: never more than `at` characters."""
    return text if len(text) <= at else text[:at] + "..."


class SparqlServer(ThreadingHTTPServer):
    """A threaded HTTP server that hands queries to a pool of query processes.

    Bounded: at most `limits.max_connections` connections (more are closed with a 503 line), and
    a connection that has not sent a whole request within `limits.header_timeout` seconds of the
    server waiting for one (slow headers, a trickled body, an idle keep-alive) is shut down.
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, pool: WorkerPool, limits: Limits, page: bytes, quiet=False):
        self.pool, self.limits, self.page, self.quiet = pool, limits, page, quiet
        self._deadlines: dict[socket.socket, float] = {}
        self._conn_lock = threading.Lock()
        self._open = 0
        self._closing = threading.Event()
        super().__init__(address, Handler)
        threading.Thread(target=self._reap, daemon=True).start()

    def expect_request(self, conn: socket.socket, waiting: bool) -> None:
        """Start (waiting=True) or stop the clock for a connection to deliver a whole request."""
        with self._conn_lock:
            if waiting:
                self._deadlines[conn] = time.monotonic() + self.limits.header_timeout
            else:
                self._deadlines.pop(conn, None)

    def _reap(self) -> None:
        while not self._closing.wait(0.25):
            now = time.monotonic()
            with self._conn_lock:
                late = [c for c, t in self._deadlines.items() if t < now]
                for c in late:
                    del self._deadlines[c]
            for c in late:
                try:
                    c.shutdown(socket.SHUT_RDWR)  # the blocked read returns; the handler ends
                except OSError:
                    pass

    def process_request(self, request, client_address) -> None:
        with self._conn_lock:
            full = self._open >= self.limits.max_connections
            if not full:
                self._open += 1
        if full:
            try:
                request.sendall(TOO_MANY_CONNECTIONS)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._open -= 1
                self._deadlines.pop(request, None)

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()
        self.pool.close()


class Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    server_version = "kb-sparql/1"

    def log_message(self, format, *args) -> None:  # noqa: A002 (the stdlib's name)
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {_short(format % args, 300)}\n")

    def version_string(self) -> str:
        return self.server_version  # not the Python version the stdlib would add

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.limits.header_timeout + 5)  # backstop per read

    def handle_one_request(self) -> None:
        self.server.expect_request(self.connection, True)
        super().handle_one_request()

    def _got_request(self) -> None:
        self.server.expect_request(self.connection, False)

    def send_error(self, code, message=None, explain=None) -> None:
        """The stdlib's own errors (414, 431, 501, bad request lines) as one plain-text line."""
        self.close_connection = True
        short = message or self.responses.get(code, ("error",))[0]
        try:
            self._send(text_reply(code, f"{code} {_short(str(short))}"), self.command == "HEAD")
        except OSError:
            pass

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
        self._got_request()
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._send(Reply(200, self.server.page, "text/html; charset=utf-8"))
        elif url.path == "/sparql":
            if len(url.query) > 3 * self.server.limits.max_body:  # percent-encoding triples size
                self._send(self._too_large())
            elif not url.query:
                self._send(text_reply(400, "no query: send ?query=... or see / for examples"))
            else:
                self._send(self._answer_query_string(url.query))
        else:
            self._send(text_reply(404, f"no page {_short(url.path)}: the endpoint is /sparql"))

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        raw = self.headers.get("Content-Length")
        length = self._length(raw)
        if raw is not None and length is None:
            self.close_connection = True  # the body's end is unknown: never read it
            self._got_request()
            self._send(text_reply(400, f"bad Content-Length {_short(raw)!r}: give the body's size in bytes"))
            return
        if url.path != "/sparql":
            self._drain(length or 0)
            self._got_request()
            self._send(text_reply(404, f"no page {_short(url.path)}: the endpoint is /sparql"))
            return
        if length is None:
            self.close_connection = True
            self._got_request()
            self._send(text_reply(411, "POST needs a Content-Length header"))
            return
        if length > self.server.limits.max_body:
            self._drain(length)
            self._got_request()
            self._send(self._too_large())
            return
        body = self.rfile.read(length)
        self._got_request()
        try:
            params = self._params(url.query)
        except ValueError as exc:
            self._send(text_reply(400, str(exc)))
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            params["query"] = [body.decode("utf-8", "replace")]
        elif ctype == "application/sparql-update":
            params["update"] = [body.decode("utf-8", "replace")]
        elif ctype == "application/x-www-form-urlencoded":
            try:
                form = self._params(body.decode("utf-8", "replace"))
            except ValueError as exc:
                self._send(text_reply(400, str(exc)))
                return
            for k, v in form.items():
                params.setdefault(k, []).extend(v)
        else:
            self._send(
                text_reply(
                    415,
                    f"unsupported Content-Type {_short(ctype or '(none)')}: send "
                    "application/sparql-query or a form (application/x-www-form-urlencoded) "
                    "with a query parameter",
                )
            )
            return
        self._send(self._answer(params))

    @staticmethod
    def _params(text: str) -> dict[str, list[str]]:
        try:
            return parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            raise ValueError(f"too many parameters: at most {MAX_FIELDS}") from None

    def _answer_query_string(self, text: str) -> Reply:
        try:
            return self._answer(self._params(text))
        except ValueError as exc:
            return text_reply(400, str(exc))

    @staticmethod
    def _length(raw: str | None) -> int | None:
        """The Content-Length as a byte count; None when absent or not a non-negative integer."""
        raw = (raw or "").strip()
        if not (raw.isascii() and raw.isdigit()):  # no sign, no spaces inside, no other digits
            return None
        return int(raw[:19])  # 19 digits already exceed every limit; int() of more is refused

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
            found = check_query(query, self.server.limits.max_depth)
        except Refused as exc:
            return text_reply(400, str(exc))
        fmt = (params.get("format") or params.get("output") or [""])[0]
        req = Request(
            query=query,
            accept=self.headers.get("Accept"),
            fmt=fmt or None,
            default_graphs=tuple(params.get("default-graph-uri", [])),
            named_graphs=tuple(params.get("named-graph-uri", [])),
        )
        return self.server.pool.run(req, self.client_address[0], found.key)


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
