"""The HTTP server: one port for both Bitbucket hosts, with faults, rate limit and the request log.

Every request that is not for /_sandbox/ goes through: fault injection, the rate limit (API only),
routing, authentication and scope checks, the handler, and the request log.
"""
from __future__ import annotations

import socket
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from sandbox import (
    api_account,
    api_activity,
    api_repos,
    api_source,
    archive,
    control,
    control_repos,
    hooks,
    oauth,
)
from sandbox.auth import auth_kind, authenticate
from sandbox.delivery import Delivery
from sandbox.routing import Call, Router
from sandbox.seed import load_seed
from sandbox.state import State
from sandbox.web import HttpError, Request, Response

RATE_LIMITED = "Rate limit for this resource has been exceeded"
SECRET_PARAMS = ("access_token", "code", "client_secret")
FAULT_MESSAGES = {429: RATE_LIMITED, 500: "Internal Server Error", 502: "Bad Gateway",
                  503: "Service Unavailable", 504: "Gateway Timeout"}


def build_router() -> Router:
    router = Router()
    for module in (control, control_repos, oauth, api_account, api_repos, api_source,
                   api_activity, hooks, archive):
        module.register(router)
    return router


def redact(raw_path: str) -> str:
    """The path for logs: secrets in the query (access_token, code) never reach a log."""
    parts = urlsplit(raw_path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k in SECRET_PARAMS for k, _ in pairs):
        return raw_path
    return f"{parts.path}?" + urlencode([(k, "REDACTED" if k in SECRET_PARAMS else v) for k, v in pairs])


class Sandbox(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], seed: Path | None, *, verbose: bool = False,
                 callback_urls: dict[str, str] | None = None):
        self.state = State(seed, callback_urls)
        with self.state.lock:
            load_seed(self.state)
        self.router = build_router()
        self.delivery = Delivery(self.state)
        self.verbose = verbose
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def respond(self, request: Request) -> tuple[Response, dict]:
        """The response, and what the request log should say about the caller."""
        path = request.path
        route, params, known = self.router.match(request.method, path)
        if route is None and path.endswith("/") and len(path) > 1:
            route, params, known = self.router.match(request.method, path.rstrip("/"))
        if path.startswith("/_sandbox/"):
            if route is None:
                return HttpError(405 if known else 404, "No such control endpoint").response(), {}
            return self._run(route, params, request, None), {}
        info = {"auth": auth_kind(request)}
        fault = self.state.take_fault(request.raw_path)
        if fault is not None:
            time.sleep(fault.delay_s)
            if fault.status is not None:
                message = FAULT_MESSAGES.get(fault.status, "Injected fault")
                return HttpError(fault.status, message).response(), {**info, "fault": True}
        if path.startswith("/2.0/") and self.state.over_rate_limit():
            return HttpError(429, RATE_LIMITED).response(), info
        if route is None:
            status = 405 if known else 404
            return HttpError(status, "Method not allowed" if known else "Resource not found").response(), info
        principal = None
        try:
            if route.scope is not None:
                principal = authenticate(self.state, request)
                info["user"] = principal.user.nickname
                principal.require(route.scope)
        except HttpError as problem:
            return problem.response(), info
        return self._run(route, params, request, principal), info

    def _run(self, route, params: dict, request: Request, principal) -> Response:
        call = Call(self.state, request, self.delivery, principal, params)
        try:
            return route.handler(call, **params)
        except HttpError as problem:
            return problem.response()
        except Exception:  # a sandbox bug must show as a 500, not kill the connection silently
            traceback.print_exc()
            return HttpError(500, "Internal Server Error").response()


class _Chunked:
    """A writer that sends what it gets as HTTP/1.1 chunks (archives are streamed, not buffered)."""

    def __init__(self, wfile):
        self.wfile = wfile

    def write(self, data: bytes) -> int:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        return len(data)

    def finish(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Sandbox

    def version_string(self) -> str:
        return "Bitbucket-Sandbox"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _body(self) -> bytes:
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass     # trailers
        return b"".join(chunks)

    def _handle(self) -> None:
        body = self._body()
        host = self.headers.get("Host") or self.server.url.split("://", 1)[1]
        request = Request.build(self.command, self.path, dict(self.headers.items()), body, f"http://{host}")
        response, info = self.server.respond(request)
        if not request.path.startswith("/_sandbox/"):
            self.server.state.log_request({"method": request.method, "path": redact(request.raw_path),
                                           "status": response.status, **info})
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True   # the client gave up (e.g. its time-out during a delay fault)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        writer = _Chunked(self.wfile)
        response.stream(writer)
        writer.finish()

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")

    def log_request(self, code="-", size="-") -> None:
        if self.server.verbose:
            sys.stderr.write(f"sandbox: {self.command} {redact(self.path)} {code}\n")
