"""The HTTP side: a werkzeug threaded server in a background thread, and the WSGI app that
rebuilds each request exactly as sent (raw target, headers in wire order), routes it, applies
faults, calls the route's handler and logs the verdict.

Routing on the one port (path prefix first, then ``Host`` virtual hosts, then the real paths):

* ``/jimeng/…`` and ``/mweb/v1/get_upload_token``                 → Jimeng
* ``/imagex/?Action=…``, ``/?Action=ApplyImageUpload|CommitImageUpload`` → ImageX OpenAPI
* ``/visual/?Action=…``, ``/?Action=CVProcess|Img2ImgInpainting…``  → Volcengine visual
* ``/upload/v1/<StoreUri>`` and ``/tos-…/<key>``                    → the upload host
* anything else, ``/<bucket>/<key>`` path style                     → OSS
* ``Host: imagex.…`` (``jimeng.``, ``visual.``, ``upload.``, ``oss.``) picks the route by name.
"""
from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
import traceback
from typing import TYPE_CHECKING, Callable, Iterable

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

from ..core.canonical import parse_query
from ..core.request import HttpRequest
from .context import Ctx, LogEntry
from .faults import Fault

if TYPE_CHECKING:  # pragma: no cover
    from .api import Emulator

__all__ = ["ServerThread", "App", "route_of", "VISUAL_ACTIONS", "IMAGEX_ACTIONS", "ENDPOINTS_PATH"]

# GET answers {"jimeng": …, "imagex": …, "upload": …, "visual": …, "oss": …}: the root URL of each service
ENDPOINTS_PATH = "/__imgx__/endpoints"

VISUAL_ACTIONS = frozenset({"CVProcess", "Img2ImgInpainting", "Img2ImgInpaintingEdit",
                            "CVSync2AsyncSubmitTask", "CVSync2AsyncGetResult", "CVSubmitTask",
                            "CVGetResult", "ImageInpaint"})
IMAGEX_ACTIONS = frozenset({"ApplyImageUpload", "CommitImageUpload"})
_PREFIXES = ("jimeng", "imagex", "visual")
_HOST_ROUTES = ("jimeng", "imagex", "visual", "upload", "oss", "sts")
_DRAIN_LIMIT = 1 << 30
_HANDSHAKE_TIMEOUT = 10.0       # seconds a TLS client may take to say hello
_DIGITS = re.compile(r"[0-9]+")


class _Drop(ConnectionResetError):
    """Raised inside the app to drop the connection (a fault)."""


class _BadFraming(Exception):
    """The body's framing (Content-Length, chunked encoding) is broken; the text says how."""


def route_of(path: str, host: str, query: str, auth: str | None = None) -> tuple[str, str]:
    """(route, path below the route prefix) for a raw path, Host header and raw query.

        >>> route_of("/imagex/", "127.0.0.1:80", "Action=ApplyImageUpload")
        ('imagex', '/')
        >>> route_of("/imgx-demo/a.png", "127.0.0.1:80", "")
        ('oss', '/imgx-demo/a.png')
    """
    label = host.split(".", 1)[0].lower() if host and not host[:1].isdigit() and "." in host else ""
    if label in _HOST_ROUTES:
        return label, path
    seg, _, rest = path[1:].partition("/")
    if seg in _PREFIXES:
        return seg, "/" + rest
    if seg == "upload" and rest.startswith("v1/"):
        return "upload", path
    if seg.startswith("tos-"):
        return "upload", path
    if seg == "mweb":
        return "jimeng", path
    if path == "/" or path == "":
        if "Action=" in query:
            for piece in query.split("&"):
                if piece.startswith("Action="):
                    if piece[7:] == "AssumeRole":                     # Aliyun STS (emulator/sts.py)
                        return "sts", "/"
                    return ("visual" if piece[7:] in VISUAL_ACTIONS else "imagex"), "/"
        if auth and auth.startswith("HMAC-SHA256") and "/cv/request" in auth:
            return "visual", "/"
        if auth and (auth.startswith("AWS4-") or auth.startswith("HMAC-SHA256")):
            return "imagex", "/"
    return "oss", path


class _Handler(WSGIRequestHandler):
    """werkzeug's handler, plus: the headers exactly as received (order, case, duplicates),
    a real TCP reset when a fault drops the connection, and no access log on stderr."""

    def handle(self) -> None:
        """Finish the TLS handshake here, in this connection's own thread (the listening socket
        accepts without it), within :data:`_HANDSHAKE_TIMEOUT`; a client that never says hello
        or fails the handshake is closed without holding up anyone else."""
        conn = self.connection
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn.settimeout(_HANDSHAKE_TIMEOUT)
                conn.do_handshake()
                conn.settimeout(None)
            except (OSError, ValueError):       # ssl.SSLError, timeout, reset
                self.close_connection = True
                return
        super().handle()

    def make_environ(self):  # type: ignore[override]
        env = super().make_environ()
        env["imgx.headers"] = tuple(self.headers.items())
        return env

    def connection_dropped(self, error, environ=None):  # type: ignore[override]
        if isinstance(error, _Drop) and getattr(error, "reset", False):
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.close_connection = True

    def log_request(self, code="-", size="-"):  # noqa: D102
        pass

    def log(self, type, message, *args):  # noqa: A002,D102
        pass


class App:
    """The WSGI application of one emulator."""

    def __init__(self, emu: "Emulator", handlers: dict[str, object]) -> None:
        self.emu = emu
        self.handlers = handlers

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        emu = self.emu
        if environ.get("PATH_INFO") == ENDPOINTS_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(dict(emu.endpoints.__dict__)).encode()   # how clients find the services
            return Response(body, content_type="application/json")(environ, start_response)
        t0 = time.time()
        environ["imgx.t0"] = t0
        ctx = None
        fault_text = None
        try:
            ctx, early = self._context(environ)
            mod = self.handlers[ctx.route]
            resp = early
            faults: list[Fault] = emu.faults.roll(ctx.route) if early is None else []
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
                    err = _Drop("fault: connection reset")
                    err.reset = True  # type: ignore[attr-defined]
                    raise err
                resp = mod.fault_response(ctx, short)  # type: ignore[attr-defined]
            if resp is None:
                resp = mod.handle(ctx)  # type: ignore[attr-defined]
            for f in post:
                resp = _degrade(resp, f)
        except _Drop:
            raise
        except Exception:  # never a traceback on the wire
            emu.errors.append(traceback.format_exc())
            if ctx is None:
                resp = Response(b"", status=500)
            else:
                ctx.verdict("InternalError", "unexpected emulator error (see emu.errors)")
                resp = self.handlers[ctx.route].internal_error(ctx)  # type: ignore[attr-defined]
        if ctx is not None:
            self._log(ctx, resp.status_code, fault_text, t0)
        return resp(environ, start_response)

    def _log(self, ctx: Ctx, status: int, fault: str | None, t0: float) -> None:
        req = ctx.req
        self.emu.log.append(LogEntry(t0, ctx.route, req.method, req.target, status,
                                     ctx.code, ctx.message, ctx.scheme, ctx.trace, fault,
                                     ctx.secrets))

    def _context(self, environ: dict) -> tuple[Ctx, Response | None]:
        emu = self.emu
        raw, bad_target = _raw_target(environ)
        if raw.startswith(("http://", "https://")):          # absolute-form request target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        headers = environ.get("imgx.headers")
        if headers is None:
            headers = tuple((k[5:].replace("_", "-").title(), v) for k, v in environ.items()
                            if k.startswith("HTTP_"))
        host = next((v for k, v in headers if k.lower() == "host"), None) or \
            f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
        path, _, query = raw.partition("?")
        auth = next((v for k, v in headers if k.lower() == "authorization"), None)
        route, sub = route_of(path or "/", host, query, auth)
        mod = self.handlers[route]
        scheme = environ.get("wsgi.url_scheme", "http")
        url = f"{scheme}://{host}{raw if raw.startswith('/') else '/' + raw}"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            body, too_large = self._body(environ, mod.max_body(emu))  # type: ignore[attr-defined]
            problem = "the request target is not UTF-8" if bad_target else None
        except _BadFraming as e:
            body, too_large, problem = b"", False, str(e)
        try:
            if problem is not None:
                raise ValueError(problem)
            req = HttpRequest(method, url, tuple(headers), body).with_url(url)   # checks Host and target
            _ = req.host, req.path           # parse once; a bad Host or target fails here
        except ValueError:
            req = HttpRequest(method, f"{scheme}://127.0.0.1{raw if raw.startswith('/') else '/'}",
                              tuple(headers), body)
            ctx = Ctx(emu, environ, req, route, sub, parse_query(query), emu.now())
            return ctx, mod.bad_request(ctx, problem or "the Host header or request target does not parse")  # type: ignore[attr-defined]
        ctx = Ctx(emu, environ, req, route, sub, parse_query(query), emu.now())
        if too_large:
            return ctx, mod.too_large(ctx)  # type: ignore[attr-defined]
        return ctx, None

    @staticmethod
    def _body(environ: dict, cap: int) -> tuple[bytes, bool]:
        """(body, over the cap). Raises :class:`_BadFraming` for a Content-Length that is not a
        number, differs from another one or is longer than the body, or a chunked body that breaks
        its framing; a client that drops the connection raises :class:`_Drop`."""
        try:
            return App._read_body(environ, cap)
        except _BadFraming:
            raise
        except ConnectionError:
            raise _Drop("the client went away while sending the body") from None
        except (OSError, ValueError) as e:      # werkzeug's dechunker: bad size line, terminator, EOF
            raise _BadFraming(f"the chunked body is malformed ({e})") from None

    @staticmethod
    def _read_body(environ: dict, cap: int) -> tuple[bytes, bool]:
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):            # chunked: it wins over Content-Length
            data = stream.read(cap + 1)
            if len(data) > cap:
                while stream.read(1 << 20):
                    pass
                return b"", True
            return data, False
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        if len({v.strip() for k, v in environ.get("imgx.headers", ()) if k.lower() == "content-length"}) > 1:
            raise _BadFraming("Content-Length is given twice, with different values")
        if length:
            if not _DIGITS.fullmatch(length):
                raise _BadFraming(f"Content-Length {length[:40]!r} is not a non-negative number")
            n = int(length)
            if n > cap:
                left = n if n <= _DRAIN_LIMIT else 0       # drain, so the client reads our answer
                while left > 0:
                    chunk = stream.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                return b"", True
            data = stream.read(n) if n else b""
            if len(data) < n:
                raise _BadFraming(f"the body ended after {len(data)} of its {n} bytes (Content-Length)")
            return data, False
        return b"", False


def _raw_target(environ: dict) -> tuple[str, bool]:
    """(the request target as sent, whether its raw bytes fail to be UTF-8). The stdlib reads
    the request line as Latin-1 and werkzeug re-encodes that as UTF-8 read as Latin-1 (PEP 3333),
    so raw non-ASCII bytes arrive encoded twice: undo both, then read the bytes as UTF-8."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        return environ.get("PATH_INFO", "/") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""), False
    if raw.isascii():
        return raw, False
    data = raw.encode("latin-1").decode("utf-8").encode("latin-1")
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), True


def _degrade(resp: Response, fault: Fault) -> Response:
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
        raise _Drop("fault: truncated body")

    gen = cut() if fault.truncate else slow()
    out = Response(gen, status=resp.status_code, headers=headers, direct_passthrough=True)
    out.headers["Content-Length"] = str(len(data))
    if fault.truncate:
        out.headers["Connection"] = "close"
    return out


class ServerThread:
    """A werkzeug threaded server on ``host:port`` (0 = a free port), served from a daemon
    thread, so it works inside a running Jupyter kernel; ``stop()`` shuts it down cleanly."""

    def __init__(self, app: App, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = make_server(host, port, app, threaded=True, request_handler=_Handler)
        if ssl_context is not None:      # handshakes in each connection's thread, not in accept()
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True,
                                                         do_handshake_on_connect=False)
            self.server.ssl_context = ssl_context
        self.port = self.server.server_port
        self.host = host
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"imgx-emulator:{self.port}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():              # shutdown() waits for a serve_forever() to end
            self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
