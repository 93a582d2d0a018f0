"""The HTTP server stack: `cheroot <https://cheroot.cherrypy.dev>`_ (CherryPy's WSGI server) —
HTTP/1.1 keep-alive, a bounded worker pool per listener, TLS through its builtin adapter, and a
``stop()`` that closes every connection and joins every thread it started.

One :class:`Listener` per virtual host: ``main`` routes by ``Host`` name and path (``emu.url``);
``jimeng``, ``imagex``, ``upload``, ``visual``, ``oss`` (and any service added later, e.g.
``sts``) each own a port whose root ``/`` is that service's ``/``, as on the real host.

What cheroot does not do as the emulator needs, and is changed here (small subclasses, no
copies of its loops):

* bodies: the WSGI app gets the raw stream and decodes ``chunked`` itself in bounded pieces
  (:mod:`.body`); cheroot's ``ChunkedRFile`` reads a whole declared chunk in one ``read``;
* ``Expect: 100-continue`` is answered once, when the app first reads the body — so a body the
  route refuses (too large, by its ``Content-Length``) is refused before the client sends it;
* the headers are kept exactly as received (order, case, duplicates) for the signature checks;
* TLS handshakes happen in the connection's worker (cheroot's builtin adapter shakes hands in
  its accept loop, where one silent client would hold up every other);
* cheroot's own error log goes to ``on_error`` instead of stderr.

    >>> def hello(environ, start_response):
    ...     start_response("200 OK", [("Content-Length", "2")]); return [b"hi"]
    >>> stack = ServerStack(lambda route: hello, "127.0.0.1", 0, ["main"])
    >>> stack.start(); import requests; requests.get(stack.url("main")).text
    'hi'
    >>> stack.stop(); stack.alive
    False
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cheroot import errors as cheroot_errors, server as cheroot_server, wsgi as cheroot_wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from ..core.errors import EmulatorError

__all__ = ["HEADER_LIMIT", "IDLE_TIMEOUT", "ServerStack", "WsgiApp"]

WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]
HEADER_LIMIT = 64 << 10         # request line + headers, bytes (over: 413/414, connection closed)
IDLE_TIMEOUT = 10.0             # seconds a socket may stay silent (idle keep-alive, slow clients)
STICKY_REQUESTS = 32            # keep-alive requests one worker serves in a row on one connection
STICKY_WAIT = 0.02              # seconds it waits for the next one before handing the connection back
HEADER_DEADLINE = 10.0          # seconds the request line and headers may take in all (slowloris)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _RecordingReader(cheroot_server.HeaderReader):
    """cheroot's header reader, also keeping the headers as sent, and holding back
    ``Expect: 100-continue`` (answered when the app first reads the body)."""

    def __init__(self, request: _Request) -> None:
        self.request = request

    def __call__(self, rfile, hdict=None):  # type: ignore[no-untyped-def]
        lines: list[bytes] = []
        limit = min(HEADER_DEADLINE, self.request.server.timeout)
        deadline = time.monotonic() + limit

        class _Tap:
            def readline(self, size: int = -1) -> bytes:
                if time.monotonic() > deadline:
                    raise ValueError(f"the headers took longer than {limit:g} s to arrive")
                line = rfile.readline(size) if size != -1 else rfile.readline()
                lines.append(line)
                return line

        hdict = super().__call__(_Tap(), hdict)
        raw: list[tuple[str, str]] = []
        for line in lines[:-1]:
            if line[:1] in (b" ", b"\t") and raw:
                name, value = raw[-1]
                raw[-1] = (name, value + " " + line.strip().decode("latin-1"))
            elif b":" in line:
                k, _, v = line.partition(b":")
                raw.append((k.strip().decode("latin-1"), v.strip().decode("latin-1")))
        self.request.raw_headers = tuple(raw)
        lengths = [v for k, v in raw if k.lower() == "content-length"]
        if b"Content-Length" in hdict and (len(set(lengths)) != 1 or not lengths[0].isdigit()):
            del hdict[b"Content-Length"]        # the app answers broken framing in the route's envelope
        if hdict.get(b"Expect", b"").lower() == b"100-continue":
            del hdict[b"Expect"]
            self.request.expect_continue = True
        return hdict


class _ContinueOnRead:
    """The connection's input: the first ``read`` sends ``100 Continue`` (once) if asked for."""

    def __init__(self, request: _Request) -> None:
        self._req = request
        self._raw = request.conn.rfile

    def _go(self) -> None:
        req = self._req
        if req.expect_continue and not req.sent_continue and not req.sent_headers:
            req.sent_continue = True
            req.conn.wfile.write(_CONTINUE)

    def read(self, size: int = -1) -> bytes:
        self._go()
        return self._raw.read(size)

    def readline(self, size: int = -1) -> bytes:
        self._go()
        return self._raw.readline(size)


class _Request(cheroot_server.HTTPRequest):
    raw_headers: tuple[tuple[str, str], ...] = ()
    expect_continue = False
    sent_continue = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_reader = _RecordingReader(self)

    raw_target: bytes | None = None

    def read_request_line(self) -> bool:
        """cheroot's, but a target with raw non-ASCII bytes (UTF-8 sent unescaped, as some
        clients do) is %-escaped for cheroot's parser and kept as sent for the app."""
        rfile, req = self.rfile, self

        class _FirstLine:
            def readline(self, size: int = -1) -> bytes:
                line = rfile.readline(size) if size != -1 else rfile.readline()
                parts = line.split(b" ")
                if len(parts) == 3 and not parts[1].isascii():
                    req.raw_target = parts[1]
                    parts[1] = b"".join(bytes([c]) if c < 128 else b"%%%02X" % c for c in parts[1])
                    line = b" ".join(parts)
                return line

            def __getattr__(self, name: str) -> Any:
                return getattr(rfile, name)

        self.rfile = _FirstLine()
        try:
            return bool(super().read_request_line())
        finally:
            self.rfile = rfile

    def respond(self) -> None:
        """As cheroot's, but the app reads the raw stream (it frames the body itself), and an
        unread body closes the connection rather than being drained into memory."""
        self.rfile = _ContinueOnRead(self)
        self.server.gateway(self).respond()
        if self.ready:
            self.ensure_headers_sent()
        if self.chunked_write:
            self.conn.wfile.write(b"0\r\n\r\n")

    def simple_response(self, status: Any, msg: Any = "") -> None:
        if not self.server.ready:           # stopping: a cut-off request gets no answer
            self.close_connection = True
            return
        super().simple_response(status, msg)

    def send_headers(self) -> None:
        if not self.close_connection and not getattr(self, "body_done", True):
            self.close_connection = True        # framing unknown past this point
        super().send_headers()


class _Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request
    seen = False                # handed to the selector once before any worker reads it

    def communicate(self) -> bool:
        """One request, then — while the client keeps sending at once (keep-alive) — up to
        :data:`STICKY_REQUESTS` more in the same worker, saving the selector round trip; a
        connection quiet for :data:`STICKY_WAIT` s goes back to the selector (so a busy client
        cannot hold a worker from the others for long)."""
        keep = bool(super().communicate())
        n = 1
        while keep and n < STICKY_REQUESTS and self.server.ready:
            pending = self.rfile.has_data() or (isinstance(self.socket, ssl.SSLSocket) and self.socket.pending())
            if not pending:
                try:
                    ready, _, _ = select.select([self.socket], [], [], STICKY_WAIT)
                except (OSError, ValueError):
                    break
                if not ready:
                    break
            keep = bool(super().communicate())
            n += 1
        return keep


class _Gateway(cheroot_wsgi.Gateway_10):
    """PEP 3333 environ plus ``imgx.headers`` (as sent), ``imgx.chunked`` and ``imgx.request``."""

    def get_environ(self) -> dict:  # type: ignore[override]
        env = super().get_environ()
        req = self.req
        env["imgx.headers"] = req.raw_headers
        env["imgx.chunked"] = bool(req.chunked_read)
        env["imgx.request"] = req
        uri = req.uri
        if req.raw_target is not None:
            uri = req.raw_target
        env["RAW_URI"] = uri.decode("latin-1") if isinstance(uri, bytes) else uri
        return env


class _TlsAdapter(BuiltinSSLAdapter):
    """cheroot's builtin TLS adapter with our ``SSLContext``; the handshake is left to the
    first read, which happens in the connection's worker thread, under its socket timeout."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.certificate = self.private_key = self.certificate_chain = self.ciphers = None
        self.private_key_password = None
        self.context = context

    def wrap(self, sock):  # type: ignore[no-untyped-def]
        s = self.context.wrap_socket(sock, do_handshake_on_connect=False, server_side=True)
        return s, {"wsgi.url_scheme": "https", "HTTPS": "on"}

    def get_environ(self, sock):  # type: ignore[no-untyped-def]  # noqa: ARG002 - cheroot's signature
        return {"wsgi.url_scheme": "https", "HTTPS": "on"}


class _Server(cheroot_wsgi.Server):
    ConnectionClass = _Connection

    def __init__(self, *args: Any, on_error: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_error = on_error
        self.gateway = _Gateway

    @classmethod
    def prepare_socket(cls, bind_addr: Any, family: Any, type: Any, proto: Any,
                       *args: Any, **kwargs: Any) -> socket.socket:
        """cheroot's, plus SO_REUSEADDR on free (port 0) listeners too: cheroot sets it only for
        fixed ports, so connections a stopped emulator left in FIN-WAIT-2 would keep its service
        ports from being bound again (``Emulator(port=…, service_ports=emu.service_ports)``)."""
        sock: socket.socket = super().prepare_socket(bind_addr, family, type, proto, *args, **kwargs)
        if hasattr(socket, "SO_REUSEADDR") and family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        return sock

    def process_conn(self, conn: Any) -> None:
        """A new connection waits in cheroot's selector until it sends something (an idle or
        silent client holds no worker); then, and for every later request, a worker serves it."""
        if not conn.seen and self.ready:
            conn.seen = True
            self._connections.put(conn)  # type: ignore[attr-defined]
            return
        super().process_conn(conn)

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
            return                          # a client's broken TLS or connection: not our error
        if level >= 40:                     # cheroot logs client mistakes at INFO/WARNING
            import traceback as tb
            self._on_error(f"{msg}\n{tb.format_exc() if traceback else ''}")


@dataclass
class _Running:
    server: _Server
    thread: threading.Thread
    workers: list[threading.Thread]


class ServerStack:
    """Listeners ``names`` on ``host`` (``main`` on ``port``, the others on ``ports[name]`` or free
    ports), each a cheroot server with ``workers`` threads serving ``app_for(name)``."""

    def __init__(self, app_for: Callable[[str], WsgiApp], host: str, port: int, names: Iterable[str],
                 tls: ssl.SSLContext | None = None, workers: int = 8, on_error: Callable[[str], None] = print,
                 timeout: float = IDLE_TIMEOUT, ports: dict[str, int] | None = None) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise EmulatorError(f"port {port!r} is not a TCP port number",
                                hint="use 0 (a free port) or 1..65535")
        if not isinstance(host, str) or not host:
            raise EmulatorError(f"host {host!r} is not a host name or address", hint="e.g. 127.0.0.1")
        self.host, self.port, self.names = host, port, list(names)
        self._app_for, self._tls, self._workers, self._on_error = app_for, tls, workers, on_error
        self._timeout = timeout
        self._ports = dict(ports or {})
        self._running: dict[str, _Running] = {}
        self._stopped: list[_Running] = []

    def start(self) -> None:
        try:
            for name in self.names:
                self._start_one(name)
        except BaseException:
            self.stop()
            raise

    def _start_one(self, name: str) -> None:
        port = self.port if name == "main" else self._ports.get(name, 0)
        workers = self._workers if name == "main" else max(2, self._workers // 2)
        srv = _Server((self.host, port), self._app_for(name), numthreads=workers, max=workers,
                      timeout=self._timeout, shutdown_timeout=2, request_queue_size=64,
                      accepted_queue_timeout=self._timeout, on_error=self._on_error)
        srv.max_request_header_size = HEADER_LIMIT
        srv.server_name = "imgx-kit-emulator"
        if self._tls is not None:
            srv.ssl_adapter = _TlsAdapter(self._tls)
        try:
            socket.getaddrinfo(self.host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise EmulatorError(f"host {self.host!r} does not resolve: {e}",
                                hint="use an address of this machine, e.g. 127.0.0.1") from None
        try:
            srv.prepare()
        except OSError as e:
            why = e.strerror or str(e)
            raise EmulatorError(f"cannot listen on {self.host}:{port}: {why}",
                                hint="pass port=0 for a free port, or stop whatever uses that port") from None
        th = threading.Thread(target=srv.serve, name=f"imgx-emulator-{name}", daemon=True)
        th.start()
        self._running[name] = _Running(srv, th, list(getattr(srv.requests, "_threads", [])))

    def address(self, name: str) -> tuple[str, int]:
        srv = self._running[name].server
        return srv.bind_addr[0], srv.bind_addr[1]

    def netloc(self, name: str) -> str:
        host, port = self.address(name)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def url(self, name: str) -> str:
        return f"{'https' if self._tls is not None else 'http'}://{self.netloc(name)}"

    def stop(self) -> None:
        """Stop every listener: close the listening sockets and every open connection, end the
        worker threads (a request being served gets ``shutdown_timeout`` to finish) and join."""
        running, self._running = self._running, {}

        def stop_one(r: _Running) -> None:
            try:
                r.server.stop()
            except (OSError, cheroot_errors.FatalSSLAlert, RuntimeError):
                pass

        stoppers = [threading.Thread(target=stop_one, args=(r,), name="imgx-emulator-stop")
                    for r in running.values()]
        for t in stoppers:                  # in parallel: each waits up to its select interval
            t.start()
        for t in stoppers:
            t.join()
        for r in running.values():
            r.thread.join(timeout=5)
            for w in r.workers:
                w.join(timeout=5)
        self._stopped = list(running.values())

    @property
    def alive(self) -> bool:
        return any(r.thread.is_alive() for r in self._running.values())

    def threads(self) -> list[threading.Thread]:
        """Every thread this stack started (serving and worker threads), alive or not."""
        out: list[threading.Thread] = []
        for r in list(self._running.values()) + self._stopped:
            out += [r.thread, *r.workers]
        return out
