"""Hostile traffic over raw sockets: nothing a client sends crashes or wedges the emulator.

The chunked-overflow case is the one that segfaulted CPython under werkzeug (a chunk declared
larger than the route's cap, then the connection closed); it is sent to every route, on the
service's own listener and through the main one. Each test ends by checking the process still
answers and no unexpected error was recorded.
"""
from __future__ import annotations

import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from imgx_kit.emulator.api import Emulator, running

CAP = 1 << 16
OPTIONS = dict(max_body_jimeng=CAP, max_body_upload=CAP, max_body_visual=CAP, max_body_imagex=CAP, max_body_oss=CAP)
# (listener, target) for every route; "main" paths go through Host/path routing
ROUTES = [
    ("jimeng", "/mweb/v1/get_upload_token"),
    ("imagex", "/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=x"),
    ("upload", "/tos-cn-i-x/abc"),
    ("visual", "/?Action=CVProcess&Version=2022-08-31"),
    ("oss", "/imgx-demo/k.png"),
    ("main", "/jimeng/mweb/v1/get_upload_token"),
    ("main", "/imagex/?Action=CommitImageUpload&Version=2018-08-01"),
    ("main", "/upload/v1/tos-cn-i-x/abc"),
    ("main", "/visual/?Action=CVProcess&Version=2022-08-31"),
    ("main", "/imgx-demo/k.png"),
]


def addr(emu, listener: str) -> tuple[str, int]:
    url = emu.url if listener == "main" else getattr(emu.endpoints, listener)
    sp = urlsplit(url)
    return sp.hostname, sp.port


def still_answers(emu) -> None:
    r = requests.get(emu.url + "/__imgx__/endpoints", timeout=5)
    assert r.status_code == 200 and set(r.json()) >= {"jimeng", "imagex", "upload", "visual", "oss"}
    r = requests.get(emu.endpoints.oss + f"/{emu.demo_bucket}/nothing", timeout=5)
    assert r.status_code == 403                                    # unsigned GET of a private object
    assert emu.errors == []


def exchange(a: tuple[str, int], data: bytes, *, close_write: bool = True, timeout: float = 10) -> bytes:
    with socket.create_connection(a, timeout=timeout) as s:
        try:
            s.sendall(data)
            if close_write:
                s.shutdown(socket.SHUT_WR)
        except OSError:                     # the server answered and closed before all was sent
            pass
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except (TimeoutError, ConnectionResetError):
            pass
    return out


def read_response(s: socket.socket) -> bytes:
    """One whole HTTP response (headers, then Content-Length bytes) from a socket."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            return buf
        buf += b
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
              if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            break
        rest += b
    return head + b"\r\n\r\n" + rest


@pytest.fixture
def emu():
    with running(seed=0, **OPTIONS) as e:
        yield e


@pytest.mark.parametrize("listener,target", ROUTES, ids=[f"{a}{b.split('?')[0]}" for a, b in ROUTES])
def test_chunk_larger_than_the_cap_then_close_is_answered_and_survived(emu, listener, target):
    a = addr(emu, listener)
    head = f"PUT {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    for _ in range(6):                                 # declared far over the cap, a few bytes, gone
        exchange(a, head + f"{CAP * 64:x}\r\n".encode() + b"x" * 1000)
    out = exchange(a, head + f"{CAP + 1:x}\r\n".encode() + b"y" * (CAP + 1) + b"\r\n0\r\n\r\n")
    status = int(out.split(b" ", 2)[1])
    assert status in (200, 400, 413), out[:200]       # the route's too-large answer (Jimeng: ret 4002)
    # a declared body over the cap is refused before it is read
    t0 = time.monotonic()
    out = exchange(a, f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {CAP * 1000}\r\n\r\n".encode() + b"z" * 100,
                   close_write=False, timeout=5)
    assert out.startswith(b"HTTP/1.1 ") and b"Connection: close" in out and time.monotonic() - t0 < 4
    still_answers(emu)


def test_expect_100_continue_is_answered_once_and_not_for_a_refused_body(emu):
    a = addr(emu, "oss")
    with socket.create_connection(a, timeout=5) as s:
        s.sendall(f"PUT /imgx-demo/k HTTP/1.1\r\nHost: x\r\nContent-Length: {CAP * 10}\r\n"
                  "Expect: 100-continue\r\n\r\n".encode())
        out = s.recv(65536)
    assert b"100 Continue" not in out and out.startswith(b"HTTP/1.1 4")
    with socket.create_connection(a, timeout=5) as s:
        s.sendall(b"PUT /imgx-demo/k HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        first = s.recv(65536)
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"data")
        final = s.recv(65536)
    assert final.startswith(b"HTTP/1.1 403") and b"100 Continue" not in final   # unsigned: AccessDenied
    still_answers(emu)


@pytest.mark.parametrize("data", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"get / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x00\xff\xfe\x16\x03\x01binary\r\n\r\n",
    b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",               # a huge request line
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 200_000 + b"\r\n\r\n",    # a huge header
    b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(20_000)) + b"\r\n",   # many headers
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
])
def test_bad_request_lines_and_headers_are_answered(emu, data):
    out = exchange(addr(emu, "main"), data)
    assert out == b"" or out.startswith(b"HTTP/1."), out[:100]
    if out:
        assert int(out.split(b" ", 2)[1]) >= 400
    still_answers(emu)


def test_keep_alive_serves_many_requests_on_one_connection(emu):
    with requests.Session() as s:
        for _ in range(20):
            assert s.get(emu.endpoints.oss + "/imgx-demo/x", timeout=5).status_code == 403
    before = {e.time for e in emu.log}
    a = addr(emu, "oss")
    with socket.create_connection(a, timeout=5) as s:
        for _ in range(3):
            s.sendall(b"GET /imgx-demo/x HTTP/1.1\r\nHost: x\r\n\r\n")
            out = read_response(s)
            assert out.startswith(b"HTTP/1.1 403") and b"Connection: close" not in out
    assert len({e.time for e in emu.log} - before) == 3


def test_idle_and_slowloris_connections_hold_up_no_one():
    with running(seed=0, workers=4, idle_timeout=2.0) as emu:
        a = addr(emu, "main")
        idle = [socket.create_connection(a) for _ in range(30)]                 # silent
        slow = [socket.create_connection(a) for _ in range(3)]                 # fewer than the workers
        for s in slow:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            t0 = time.monotonic()
            r = requests.get(emu.url + "/__imgx__/endpoints", timeout=5)
            assert r.status_code == 200 and time.monotonic() - t0 < 1.5
            for _ in range(4):                                                  # keep trickling
                time.sleep(0.8)
                for s in slow:
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
            for s in slow:                                                      # cut at the deadline
                s.settimeout(3)
                try:
                    got = s.recv(4096)
                except (TimeoutError, ConnectionResetError):
                    got = b"reset"
                assert got == b"" or got.startswith(b"HTTP/1.1 4") or got == b"reset"
                assert got != b"reset"
            still_answers(emu)
        finally:
            for s in idle + slow:
                s.close()


def test_stop_closes_open_connections_joins_threads_and_answers_nothing_after():
    emu = Emulator(seed=0, tls=False).start()
    a = addr(emu, "main")
    kept = socket.create_connection(a, timeout=5)                       # keep-alive, between requests
    kept.sendall(b"GET /imgx-demo/x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(kept).startswith(b"HTTP/1.1 403")
    partial = socket.create_connection(a, timeout=5)                    # mid-request
    partial.sendall(b"GET /imgx-demo/x HTTP/1.1\r\nHost: x\r\n")
    idle = [socket.create_connection(addr(emu, name), timeout=5) for name in ("oss", "imagex", "upload")]
    time.sleep(0.2)
    threads = emu.threads()
    assert threads and all(t.is_alive() for t in threads)
    t0 = time.monotonic()
    emu.stop()
    assert time.monotonic() - t0 < 5
    assert not any(t.is_alive() for t in threads) and not emu.running
    for s in [kept, partial, *idle]:
        try:
            s.sendall(b"GET /imgx-demo/x HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(65536)
        except OSError:
            got = b""
        assert got == b"", got[:80]                                     # nothing answered after stop
        s.close()
    with pytest.raises(OSError):
        socket.create_connection(a, timeout=2).close()


def test_tls_hostile_clients_do_not_hold_up_others():
    with running(seed=0, tls=True, workers=2, idle_timeout=2.0) as emu:
        a = addr(emu, "main")
        silent = [socket.create_connection(a) for _ in range(6)]        # never say hello
        plain = exchange(a, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)   # plain HTTP to TLS
        assert not plain.startswith(b"HTTP/1.1 2")
        try:
            ctx = ssl.create_default_context(cafile=emu.ca_bundle)
            with requests.Session() as s:
                s.verify = emu.ca_bundle
                for _ in range(3):
                    assert s.get(emu.url + "/__imgx__/endpoints", timeout=5, verify=emu.ca_bundle).status_code == 200
            with socket.create_connection(a) as raw, ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
                t.sendall(b"PUT /imgx-demo/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + f"{CAP * 64:x}\r\n".encode() + b"x" * 100)
            still_answers_tls(emu)
        finally:
            for s in silent:
                s.close()


def still_answers_tls(emu) -> None:
    r = requests.get(emu.url + "/__imgx__/endpoints", timeout=5, verify=emu.ca_bundle)
    assert r.status_code == 200
    assert emu.errors == []


@pytest.mark.parametrize("kwargs,what", [
    (dict(port=99999), "port"),
    (dict(port=-1), "port"),
    (dict(host="no-such-host.invalid"), "host"),
])
def test_bad_start_arguments_are_emulator_errors(kwargs, what):
    from imgx_kit.core.errors import EmulatorError
    with pytest.raises(EmulatorError, match=what):
        Emulator(**kwargs).start()


def test_port_in_use_is_an_emulator_error_and_leaves_nothing_listening():
    from imgx_kit.core.errors import EmulatorError
    with running() as first:
        with pytest.raises(EmulatorError, match="cannot listen"):
            Emulator(port=first.port).start()
        assert threading.active_count() < 400


def test_unusable_or_corrupt_state_dir_is_an_emulator_error(tmp_path):
    from imgx_kit.core.errors import EmulatorError
    f = tmp_path / "a-file"
    f.write_text("x")
    with pytest.raises(EmulatorError, match="state_dir"):
        Emulator(state_dir=f)
    bad = tmp_path / "state"
    (bad / "oss" / "imgx-demo").mkdir(parents=True)
    (bad / "oss" / "imgx-demo" / "index.json").write_text("{not json")
    with pytest.raises(EmulatorError, match="cannot be read"):
        Emulator(state_dir=bad)


def test_slow_body_and_reset_faults_on_the_new_stack(emu):
    emu.faults.add("oss", slow_body=0.4, count=1)
    t0 = time.monotonic()
    r = requests.get(emu.endpoints.oss + "/imgx-demo/x", timeout=5)
    assert r.status_code == 403 and b"AccessDenied" in r.content and time.monotonic() - t0 >= 0.35
    emu.faults.add("oss", reset=True, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.endpoints.oss + "/imgx-demo/x", timeout=5)
    still_answers(emu)
