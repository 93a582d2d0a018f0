"""The WSGI application of one listener: rebuild each request exactly as sent (raw target,
headers in wire order), pick its service (:mod:`.routing`, or the listener's own service), read
its body in bounded pieces (:mod:`.body`), apply faults, call the service and log the verdict.

This is the one place where anything going wrong becomes each service's own envelope: a body
too large (``too_large``), broken framing or an unparsable Host/target (``bad_request``), an
injected fault (``fault_response``) and any unexpected exception (``internal_error``, the
traceback kept in ``emu.errors``, never sent).
"""
from __future__ import annotations

import errno
import json
import re
import socket
import struct
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from werkzeug.wrappers import Response

from ..core.canonical import parse_query
from ..core.request import HttpRequest
from .body import EMPTY, BadFraming, Body, ClientGone, TooLarge, read_body
from .context import Ctx, LogEntry, RequestLog
from .envelopes import use_ids
from .faults import Fault, Faults
from .routing import route_of
from .runtime import Runtime

__all__ = ["ENDPOINTS_PATH", "App"]

ENDPOINTS_PATH = "/__imgx__/endpoints"
_DIGITS = re.compile(r"[0-9]{1,19}")


class _Drop(ConnectionResetError):
    """Raised to drop the connection (a fault, or a client that went away)."""


@dataclass
class App:
    """The WSGI app of one listener; ``route`` fixes the service (``None``: route by Host/path)."""

    rt: Runtime
    services: Mapping[str, ModuleType]
    faults: Faults
    log: RequestLog
    errors: list[str]
    endpoints: Callable[[], dict[str, str]]
    route: str | None = None

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        with use_ids(self.rt):
            return self._serve(environ, start_response)

    def _serve(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        t0 = time.time()
        environ["imgx.t0"] = t0
        ctx: Ctx | None = None
        fault_text = None
        try:
            if self.route is None and _raw_target(environ)[0] == ENDPOINTS_PATH:
                return self._endpoints(environ, start_response)
            ctx, early = self._context(environ)
            mod = self.services[ctx.route]
            resp = early
            faults: list[Fault] = self.faults.roll(ctx.route) if early is None else []
            post: list[Fault] = []
            for f in faults:
                if f.latency:
                    time.sleep(f.latency)
                if f.slow_body or f.truncate:
                    post.append(f)
            fault_text = "; ".join(f.kind for f in faults) or None
            short = next((f for f in faults if f.short_circuits), None)
            if resp is None and short is not None:
                if short.reset:
                    ctx.verdict("ConnectionReset", "fault: connection reset")
                    self._log(ctx, 0, fault_text, t0)
                    _reset(environ)
                    raise _Drop(errno.ECONNRESET, "fault: connection reset")
                resp = mod.fault_response(ctx, short)
            if resp is None:
                resp = mod.handle(ctx)
            for f in post:
                resp = _degrade(resp, f, environ)
        except _Drop:
            raise
        except Exception:
            self.errors.append(traceback.format_exc())
            if ctx is None:
                resp = Response(b"", status=500)
            else:
                ctx.verdict("InternalError", "unexpected emulator error (see emu.errors)")
                resp = self.services[ctx.route].internal_error(ctx)
        finally:
            if ctx is not None and ctx.body is not EMPTY:
                ctx.body.close()
        if ctx is not None:
            self._log(ctx, resp.status_code, fault_text, t0)
            if not ctx.body_done:
                resp.headers["Connection"] = "close"
        return resp(environ, start_response)

    def _endpoints(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET /__imgx__/endpoints``: every service's base URL, as JSON."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            resp = Response(b'{"error":"use GET"}', status=405, content_type="application/json")
        else:
            resp = Response(json.dumps(self.endpoints()), content_type="application/json")
        _mark_body(environ, True)
        return resp(environ, start_response)

    def _log(self, ctx: Ctx, status: int, fault: str | None, t0: float) -> None:
        req = ctx.req
        self.log.append(LogEntry(t0, ctx.route, req.method, req.target, status,
                                 ctx.code, ctx.message, ctx.scheme, ctx.trace, fault, ctx.secrets))

    def _context(self, environ: dict) -> tuple[Ctx, Response | None]:
        raw, bad_target = _raw_target(environ)
        if raw.startswith(("http://", "https://")):          # absolute-form request target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        headers: tuple[tuple[str, str], ...] = environ.get("imgx.headers") or tuple(
            (k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_"))
        host = next((v for k, v in headers if k.lower() == "host"), None) or \
            f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
        path, _, query = raw.partition("?")
        if self.route is not None:
            route, sub = self.route, path or "/"
        else:
            auth = next((v for k, v in headers if k.lower() == "authorization"), None)
            route, sub = route_of(path or "/", host, query, auth)
        if route not in self.services:
            route, sub = "oss", path or "/"
        mod = self.services[route]
        scheme = environ.get("wsgi.url_scheme", "http")
        target = raw if raw.startswith("/") else "/" + raw
        url = f"{scheme}://{host}{target}"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body, problem, too_large = EMPTY, "the request target is not UTF-8" if bad_target else None, False
        done = True
        try:
            body = self._body(environ, headers, mod.max_body(self.rt), route)
        except TooLarge:
            too_large, done = True, False
        except BadFraming as e:
            problem, done = str(e), False
        except ClientGone:
            _mark_body(environ, False)
            raise _Drop(errno.ECONNABORTED, "the client went away while sending the body") from None
        _mark_body(environ, done)
        query_pairs = parse_query(query)
        small = body.getvalue() if route != "upload" or body.size <= (1 << 20) else b""
        try:
            if problem is not None:
                raise ValueError(problem)
            req = HttpRequest(method, url, tuple(headers), small).with_url(url)   # checks Host and target
            _ = req.host, req.path           # parse once; a bad Host or target fails here
        except ValueError:
            req = HttpRequest(method, f"{scheme}://127.0.0.1{target if raw.startswith('/') else '/'}",
                              tuple(headers), small)
            ctx = Ctx(self.rt, environ, req, route, sub, query_pairs, self.rt.now(), body=body, body_done=done)
            return ctx, mod.bad_request(ctx, problem or "the Host header or request target does not parse")
        ctx = Ctx(self.rt, environ, req, route, sub, query_pairs, self.rt.now(), body=body, body_done=done)
        if too_large:
            return ctx, mod.too_large(ctx)
        return ctx, None

    def _body(self, environ: dict, headers: tuple[tuple[str, str], ...], cap: int, route: str) -> Body:
        chunked = bool(environ.get("imgx.chunked"))
        stream = environ["wsgi.input"]
        length: int | None = None
        if not chunked:
            values = {v.strip() for k, v in headers if k.lower() == "content-length"}
            if len(values) > 1:
                raise BadFraming("Content-Length is given twice, with different values")
            if values:
                text = values.pop()
                if not _DIGITS.fullmatch(text):
                    raise BadFraming(f"Content-Length {text[:40]!r} is not a non-negative number")
                length = int(text)
        spool = str(self.rt.state.spool_dir()) if route == "upload" else None
        return read_body(stream, length=length, chunked=chunked, cap=cap, spool_dir=spool)


def _mark_body(environ: dict, done: bool) -> None:
    req = environ.get("imgx.request")
    if req is not None:
        req.body_done = done


def _reset(environ: dict) -> None:
    """Make the coming close a TCP reset (SO_LINGER 0)."""
    req = environ.get("imgx.request")
    if req is None:
        return
    try:
        req.conn.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    req.close_connection = True


def _raw_target(environ: dict) -> tuple[str, bool]:
    """(the request target as sent, whether its raw bytes fail to be UTF-8)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        q = environ.get("QUERY_STRING")
        return environ.get("PATH_INFO", "/") + ("?" + q if q else ""), False
    if raw.isascii():
        return raw, False
    data = raw.encode("latin-1")
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), True


def _degrade(resp: Response, fault: Fault, environ: dict) -> Response:
    """Trickle the body out slowly, or send half of it and close (faults)."""
    data = resp.get_data()
    headers = [(k, v) for k, v in resp.headers.items()]

    def slow() -> Iterable[bytes]:
        n = 16
        step = max(1, -(-len(data) // n))
        pause = (fault.slow_body or 0) / n
        for i in range(0, len(data), step):
            time.sleep(pause)
            yield data[i:i + step]

    def cut() -> Iterable[bytes]:
        yield data[: len(data) // 2]
        _reset(environ)
        raise _Drop(errno.ECONNRESET, "fault: truncated body")

    gen = cut() if fault.truncate else slow()
    out = Response(gen, status=resp.status_code, headers=headers, direct_passthrough=True)
    out.headers["Content-Length"] = str(len(data))
    if fault.truncate:
        out.headers["Connection"] = "close"
    return out
