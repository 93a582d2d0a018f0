"""Capture parsers on exports made by the browsers' own code (tests/data/captures/real/).

How each fixture was produced is in tests/data/captures/README.md; what was really sent is in
``real/sent.json``. Every test compares the parse with what was sent: exact method, URL, header
order and values, body bytes, and for the signed requests checks that the signature still
verifies. Where a browser's generator changes the request (its escaping is lossy for that
platform), the expected value says exactly how, with the reason.
"""
from __future__ import annotations

import json
import socket
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import imgx_kit as ik
from imgx_kit.core import capture
from imgx_kit.core.capture import CaptureError, from_curl, from_har, from_raw_http, parse_curl, parse_har
from imgx_kit.core.presets import JIMENG_IMAGEX

REAL = Path(__file__).parent / "data" / "captures" / "real"
SENT = json.loads((REAL / "sent.json").read_text(encoding="utf-8"))
CREDS = ik.Credentials(**SENT["credentials"])
AT = datetime(2025, 1, 1, 8, 30, 0, tzinfo=timezone.utc)
assert SENT["signed_at"] == "2025-01-01T08:30:00Z"
KEYS = {CREDS.access_key: CREDS}
NAMES = ("post_json", "presigned_get", "post_text_unicode")

# headers each generator leaves out of the command (curl adds Host and Content-Length itself)
CHROME_DROPS = {"accept-encoding", "host", "content-length"}          # + HTTP/2 pseudo-headers
FIREFOX_DROPS = {"host", "content-length"}


def _read(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def _expected_headers(browser: str, key: str) -> list[tuple[str, str]]:
    """The browser's request headers as curl will send them from the generated command."""
    sent = [tuple(h) for h in SENT["copy_as_curl"][key][f"{browser}_request_headers"]]
    if browser == "firefox":
        return [(k, v) for k, v in sent if k.lower() not in FIREFOX_DROPS]
    kept = [(k, v) for k, v in sent if not k.startswith(":") and k.lower() not in CHROME_DROPS]
    # Chrome writes the cookie as `-b`; curl sends the -b Cookie before every -H header
    # (checked against curl 7.88.1 in test_bash_fixtures_match_what_curl_sends).
    cookie = [("Cookie", v) for k, v in kept if k == "cookie"]
    return cookie + [(k, v) for k, v in kept if k != "cookie"]


def _expected_body(browser: str, platform: str, key: str) -> bytes:
    body = SENT["copy_as_curl"][key]["body"]
    if key != "post_text_unicode":
        return body.encode()
    if (browser, platform) == ("firefox", "sh"):
        # Firefox's escapeStringPosix puts ^ before & and | inside $'…', where bash keeps it.
        body = body.replace("&", "^&").replace("|", "^|")
    elif (browser, platform) == ("chrome", "cmd"):
        # Chrome's escapeStringWin turns every character outside printable ASCII (and tabs) into a
        # space, and doubles backslashes that the MS C runtime then keeps (not before a quote).
        body = "".join(c if " " <= c <= "~" or c == "\n" else " " for c in body).replace("\\", "\\\\")
    elif (browser, platform) == ("firefox", "cmd"):
        # Firefox's escapeStringWin writes \$ and \` and doubles backslashes; the MS C runtime keeps
        # backslashes that do not precede a quote.
        body = body.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    return body.encode()


CASES = [(b, p, k) for b in ("chrome", "firefox") for p in ("sh", "cmd") for k in NAMES]


@pytest.mark.parametrize("browser,platform,key", CASES, ids=[f"{b}_{k}.{p}" for b, p, k in CASES])
def test_copy_as_curl_parses_to_what_was_sent(browser, platform, key):
    text = _read(f"{browser}_{key}.{platform}")
    p = parse_curl(text)
    want = SENT["copy_as_curl"][key]
    assert p.request.method == want["method"]
    assert p.request.url == want["url"]
    assert list(p.request.headers) == _expected_headers(browser, key)
    assert p.request.body == _expected_body(browser, platform, key)
    assert p.ignored_flags == ()
    assert "curl also sends Host (and Content-Length) itself; they are not in the captured headers" in p.notes
    # the shell is recognised without being told, and naming it gives the same result
    assert parse_curl(text, shell="cmd" if platform == "cmd" else "bash").request == p.request


@pytest.mark.parametrize("browser", ["chrome", "firefox"])
@pytest.mark.parametrize("platform", ["sh", "cmd"])
@pytest.mark.parametrize("key", ["post_json", "presigned_get"])
def test_signed_requests_still_verify(browser, platform, key):
    req = from_curl(_read(f"{browser}_{key}.{platform}"))
    v = JIMENG_IMAGEX.verify(req, KEYS, now=AT)
    assert v.ok, v.message
    d = ik.diagnose(req, CREDS, now=AT)
    assert d.verdict == "valid"
    assert d.causes == [] or all(c.confidence != "high" for c in d.causes)


def test_signed_post_carries_the_token_and_signature():
    req = from_curl(_read("chrome_post_json.sh"))
    assert req.header("x-amz-security-token") == CREDS.session_token
    assert req.header("content-type") == "application/json"
    trace = JIMENG_IMAGEX.sign(ik.HttpRequest.build("POST", req.url, [("content-type", "application/json")],
                                                    req.body), CREDS, at=AT)
    assert trace.signed_request.header("Authorization") == req.header("authorization")


def test_presigned_get_keeps_the_encoded_query():
    for name in ("chrome_presigned_get.sh", "chrome_presigned_get.cmd",
                 "firefox_presigned_get.sh", "firefox_presigned_get.cmd"):
        req = from_curl(_read(name))
        assert "X-Amz-Security-Token=STS2FAKEtoken%2F%2B%3D" in req.query, name
        assert "X-Amz-Credential=AKFAKEEXAMPLE0000000%2F20250101%2Fcn-north-1%2Fimagex%2Faws4_request" in req.query


# ---- oracle: real bash splits the words, real curl puts them on the wire -----------------------
def _serve_once(sock: socket.socket, out: list) -> None:
    conn, _ = sock.accept()
    conn.settimeout(5)
    data = b""
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if len(body) >= (int(cl[0].split(b":")[1]) if cl else 0):
                    break
        conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    out.append(data)


@pytest.mark.parametrize("name", [f"{b}_{k}.sh" for b in ("chrome", "firefox") for k in NAMES])
def test_bash_fixtures_match_what_curl_sends(name, tmp_path):
    """bash expands the fixture (curl replaced by a function printing its argv); the real curl
    then sends those words to a local socket, Host kept as in the command."""
    argv = subprocess.run(["bash", "-c", 'curl() { printf "%s\\0" "$@"; }; source "$0"', str(REAL / name)],
                          capture_output=True, check=True, timeout=30).stdout.split(b"\0")[:-1]
    args, url, words = [], None, iter(argv)
    for a in words:
        if a == b"--url":
            url = next(words).decode()
        elif a.startswith(b"https://"):
            url = a.decode()
        else:
            args.append(a)
    u = urlsplit(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        got: list = []
        t = threading.Thread(target=_serve_once, args=(s, got))
        t.start()
        local = f"http://127.0.0.1:{s.getsockname()[1]}{u.path}?{u.query}"
        subprocess.run([b"curl", b"-s", b"-o", b"/dev/null", b"--url", local.encode(),
                        b"-H", f"Host: {u.netloc}".encode(), *args], check=True, timeout=30)
        t.join(timeout=10)
    head, _, body = got[0].partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    method, target, _ = lines[0].split(" ")
    wire = [tuple(ln.split(": ", 1)) for ln in lines[1:]]
    req = from_curl(_read(name))
    assert (method, target) == (req.method, req.target)
    assert [h for h in wire if h[0].lower() not in ("host", "content-length")] == list(req.headers)
    assert body == req.body


# ---- a Chromium HAR written by Playwright's recorder ---------------------------------------------
HAR = json.loads(_read("chromium_playwright.har"))
RECEIVED = SENT["chromium_playwright_har"]["received_by_server"]


def test_har_lists_every_entry():
    assert HAR["log"]["creator"]["name"] == "Playwright"
    assert HAR["log"]["browser"]["name"] == "chromium"
    listing = capture.har_entries(HAR)
    assert len(listing) == 5
    assert [ln.split(" ")[1] for ln in listing] == ["GET", "POST", "GET", "POST", "PUT"]


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_har_entry_parses_to_what_the_server_received(index):
    entry = HAR["log"]["entries"][index]["request"]
    got = RECEIVED[index - 1]                   # the server saw the entries in order (entry 0 = the page)
    p = parse_har(HAR, index=index)
    r = p.request
    assert r.method == entry["method"] == got["method"]
    assert r.url == entry["url"]
    assert r.target == got["target"].rstrip("?")
    # header order and spelling as the HAR file holds them (Playwright writes them sorted by name)
    assert list(r.headers) == [(h["name"], h["value"]) for h in entry["headers"]]
    assert sorted((k.lower(), v) for k, v in r.headers) == sorted((k.lower(), v) for k, v in got["headers"])
    sent_body = bytes.fromhex(got["body_hex"])
    if index == 4:
        # Playwright's recorder writes an empty postData.text for a binary body: the parser says so
        assert len(sent_body) == 256 and r.body == b""
        assert "bodySize is 256 but the exported body has 0 bytes" in p.notes
    else:
        assert r.body == sent_body
        assert p.notes == ()


def test_har_signed_post_and_presigned_get_verify():
    post = from_har(HAR, url_contains="CommitImageUpload")
    assert ("content-type", "application/json") in post.headers      # spelled as the page's fetch() gave it
    assert JIMENG_IMAGEX.verify(post, KEYS, now=AT).ok
    assert ik.diagnose(post, CREDS, now=AT).verdict == "valid"
    get = from_har(HAR, url_contains="ApplyImageUpload")
    assert JIMENG_IMAGEX.verify(get, KEYS, now=AT).ok
    assert ik.diagnose(get, CREDS, now=AT).verdict == "valid"


def test_har_form_post_keeps_the_urlencoded_text():
    form = from_har(HAR, url_contains="feedback")
    assert form.body == b"text=%E5%8E%BB%E6%8E%89%E7%8C%AB+%26+it%27s&score=5&tags=a+b%2Bc"
    assert form.header("Content-Type") == "application/x-www-form-urlencoded;charset=UTF-8"


# ---- curl -v -------------------------------------------------------------------------------------
def test_curl_verbose_matches_the_wire_and_verifies():
    wire = (REAL / "curl_verbose_post.wire").read_bytes()
    body = wire.partition(b"\r\n\r\n")[2]
    p = capture.parse_raw_http(_read("curl_verbose_post.txt"), body=body)
    assert p.request == from_raw_http(wire, scheme="http")
    assert p.request.method == "POST"
    assert [k for k, _ in p.request.headers] == ["Host", "User-Agent", "Accept", "Cookie", "Content-Type",
                                                  "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
                                                  "Authorization", "Content-Length"]
    assert JIMENG_IMAGEX.verify(p.request, KEYS, now=AT).ok
    # without the body (curl -v does not print it) the hash check names the body
    v = JIMENG_IMAGEX.verify(from_raw_http(_read("curl_verbose_post.txt")), KEYS, now=AT)
    assert not v.ok and "X-Amz-Content-Sha256" in v.message


# ---- cmd.exe metacharacters (a parser gap these real exports found, now fixed) --------------------
@pytest.mark.parametrize("name", ["firefox_post_json.cmd", "firefox_presigned_get.cmd",
                                  "firefox_post_text_unicode.cmd"])
def test_cmd_unescaped_ampersand_is_reported(name):
    """Firefox's escapeStringWin opens each argument with ^" (an escaped quote, so cmd.exe stays
    outside quotes) and leaves & unescaped. Real cmd.exe ends the curl command at that & and runs
    the rest as another command. ``_cmd_words`` keeps the & as the copied text meant it and
    notes, with line and column, that cmd.exe would split there."""
    try:
        p = parse_curl(_read(name))
    except CaptureError as e:
        assert "&" in str(e)
        return
    assert any("&" in n and "line" in n for n in p.notes), p.notes


# ---- a HAR exported by Firefox's own netmonitor (firefox-esr 153.7.0, HAR auto-export) ---------
FF_HAR_PATH = REAL / "firefox_netmonitor.har"
FF_HAR = json.loads(FF_HAR_PATH.read_text(encoding="utf-8"))
FF_BASE = "http://127.0.0.1:47117"
# What the local server (Python http.server, headers in wire order and spelling) received for each
# fetch() of the page; recorded in the same run that exported the HAR.
_FF_HEAD = [("Host", "127.0.0.1:47117"),
            ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"),
            ("Accept", "*/*"), ("Accept-Language", "en-US,en;q=0.9"),
            ("Accept-Encoding", "gzip, deflate, br, zstd"), ("Referer", "http://127.0.0.1:47117/page")]
_FF_COOKIE = ("Cookie", "sessionid=fakefakefakefakefakefakefakefake; sid_guard=fakeguard%7C1735689600%7C5184000")
_FF_TAIL = [("Connection", "keep-alive"), _FF_COOKIE, ("Sec-Fetch-Dest", "empty"), ("Sec-Fetch-Mode", "cors"),
            ("Sec-Fetch-Site", "same-origin"), ("Priority", "u=4")]
_FF_ORIGIN = [("Origin", "http://127.0.0.1:47117")]
FF_POST_BODY = ('{"SessionKey":"eyJmYWtlIjoic2Vzc2lvbiJ9","SuccessOids":["tos-cn-i-imgxdemo01/fake0001"],'
                '"note":"去掉猫 \\"quoted\\" it\'s a+b=c"}').encode()
FF_PRESIGNED_TARGET = (
    "/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgxdemo01&FileSize=256"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKFAKEEXAMPLE0000000%2F20250101%2Fcn-north-1%2Fimagex%2Faws4_request"
    "&X-Amz-Date=20250101T083000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
    "&X-Amz-Security-Token=STS2FAKEtoken%2F%2B%3D0000000000000000000000000000000000000000"
    "&X-Amz-Signature=4f2d3c735ba64797382e099e0e25b003ada8154882ce85da7b16bf1793d98e58")
FF_SENT = {
    "CommitImageUpload": dict(
        method="POST", target="/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgxdemo01",
        headers=_FF_HEAD + [
            ("content-type", "application/json"),               # spelled as the page's fetch() gave it
            ("X-Amz-Date", "20250101T083000Z"),
            ("X-Amz-Security-Token", "STS2FAKEtoken/+=0000000000000000000000000000000000000000"),
            ("X-Amz-Content-Sha256", "457aaca33301045db5cfa850b5a93a20955acba49a811d488c3612cf7721e09f"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKFAKEEXAMPLE0000000/20250101/cn-north-1/imagex/"
                              "aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                              "Signature=2a253016e3c6f122e81a626d3b8d50bd9b0af446c3697c55a880a89c4600e17e"),
            ("Content-Length", "129")] + _FF_ORIGIN + _FF_TAIL,
        body=FF_POST_BODY),
    "ApplyImageUpload": dict(method="GET", target=FF_PRESIGNED_TARGET, headers=_FF_HEAD + _FF_TAIL, body=b""),
    "feedback": dict(
        method="POST", target="/mweb/v1/feedback?aid=513695",
        headers=_FF_HEAD + [("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"),
                            ("Content-Length", "64")] + _FF_ORIGIN + _FF_TAIL,
        body=b"text=%E5%8E%BB%E6%8E%89%E7%8C%AB+%26+it%27s&score=5&tags=a+b%2Bc"),
    "fake0001": dict(
        method="PUT", target="/upload/tos-cn-i-imgxdemo01/fake0001",
        headers=_FF_HEAD + [("Content-Type", "application/octet-stream"), ("Content-CRC32", "29058c73"),
                            ("Content-Length", "256")] + _FF_ORIGIN + _FF_TAIL,
        body=bytes(range(256))),
}
FF_TEXT_KEYS = ["CommitImageUpload", "ApplyImageUpload", "feedback"]


def test_firefox_har_is_a_netmonitor_export():
    log = FF_HAR["log"]
    assert log["version"] == "1.2"
    assert log["creator"] == {"name": "Firefox", "version": "153.7.0"}
    assert log["browser"] == {"name": "Firefox", "version": "153.7.0"}
    assert [p["title"] for p in log["pages"]] == [f"{FF_BASE}/page"]


def test_firefox_har_lists_every_entry():
    for har in (FF_HAR, FF_HAR_PATH, str(FF_HAR_PATH), FF_HAR_PATH.read_text(encoding="utf-8")):
        assert ik.capture.har_entries(har) == [
            f"[0] GET {FF_BASE}/page → 200",
            f"[1] GET {FF_BASE}/hold → 200",
            f"[2] POST {FF_BASE}/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgxdemo01 → 200",
            f"[3] GET {FF_BASE}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgxdemo01&FileSize=… → 200",
            f"[4] POST {FF_BASE}/mweb/v1/feedback?aid=513695 → 200",
            f"[5] PUT {FF_BASE}/upload/tos-cn-i-imgxdemo01/fake0001 → 200",
            f"[6] GET {FF_BASE}/favicon.ico → 404",
        ]


@pytest.mark.parametrize("key", list(FF_SENT))
def test_firefox_har_request_line_and_headers_are_what_was_sent(key):
    """Firefox's HAR holds the HTTP/1.1 request headers in wire order and spelling (unlike
    Playwright's sorted list), so the parse equals what the server received, header for header."""
    want = FF_SENT[key]
    r = ik.capture.from_har(FF_HAR_PATH, url_contains=key)
    assert r.method == want["method"]
    assert r.url == FF_BASE + want["target"]
    assert r.target == want["target"]
    assert list(r.headers) == want["headers"]
    # index counts among the matches; the plain index gives the same entry
    assert from_har(FF_HAR, index=list(FF_SENT).index(key) + 2) == r


@pytest.mark.parametrize("key", FF_TEXT_KEYS)
def test_firefox_har_text_bodies_are_the_bytes_sent(key):
    assert from_har(FF_HAR, url_contains=key).body == FF_SENT[key]["body"]


def test_firefox_har_headers_set_by_the_page():
    post = from_har(FF_HAR, url_contains="CommitImageUpload")
    signed = JIMENG_IMAGEX.sign(ik.HttpRequest.build("POST", post.url, [("content-type", "application/json")],
                                                     FF_POST_BODY), CREDS, at=AT).signed_request
    for name in ("content-type", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Authorization"):
        assert post.header(name) == signed.header(name), name
    assert post.header("x-amz-security-token") == CREDS.session_token
    get = from_har(FF_HAR, url_contains="ApplyImageUpload")
    presigned = JIMENG_IMAGEX.presign(ik.HttpRequest.build(
        "GET", f"{FF_BASE}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgxdemo01&FileSize=256"),
        CREDS, expires=900, at=AT).signed_request
    assert get.url == presigned.url
    put = from_har(FF_HAR, url_contains="fake0001")
    assert (put.header("Content-Type"), put.header("Content-CRC32")) == ("application/octet-stream", "29058c73")


def test_firefox_har_signed_post_and_presigned_get_verify():
    post = from_har(FF_HAR, url_contains="CommitImageUpload")
    assert JIMENG_IMAGEX.verify(post, KEYS, now=AT).ok
    assert ik.diagnose(post, CREDS, now=AT).verdict == "valid"
    get = from_har(FF_HAR, url_contains="ApplyImageUpload")
    assert JIMENG_IMAGEX.verify(get, KEYS, now=AT).ok
    assert ik.diagnose(get, CREDS, now=AT).verdict == "valid"


def test_firefox_har_keeps_the_cookie_header_not_a_rebuilt_one():
    p = parse_har(FF_HAR, url_contains="feedback")
    # Firefox also lists the cookies decoded (sid_guard value with "|"); the wire header wins
    assert [c["value"] for c in FF_HAR["log"]["entries"][4]["request"]["cookies"]][1] == "fakeguard|1735689600|5184000"
    assert p.request.header("Cookie") == _FF_COOKIE[1]
    assert not any("rebuilt" in n for n in p.notes)


# ---- Firefox HAR bodies (parser gaps this real export found, now fixed) ---------------------------
def test_firefox_har_binary_body_is_the_bytes_sent():
    """Firefox's NetworkHelper.readPostDataFromRequest tries to decode the body with the page's
    charset and, when that fails (bytes 0x80-0xFF here), keeps the "binary string": one
    character U+0000-U+00FF per byte. The HAR then has postData.text = chr(0) … chr(255) and no
    encoding field; read as UTF-8 it would be 384 bytes. The Content-Length header (256) tells
    the two apart, and parse_har reads it as Latin-1: the 256 bytes that were sent."""
    text = FF_HAR["log"]["entries"][5]["request"]["postData"]["text"]
    assert text == "".join(map(chr, range(256)))
    assert "encoding" not in FF_HAR["log"]["entries"][5]["request"]["postData"]
    assert from_har(FF_HAR, url_contains="fake0001").body == FF_SENT["fake0001"]["body"]


def test_firefox_har_utf8_body_has_no_false_size_note():
    """Firefox's har-builder sets request.bodySize = postData.text.length, a count of UTF-16
    code units (123 here), not bytes: the 129-byte UTF-8 body was exported correctly and the
    Content-Length header (129) agrees with it, so no size mismatch is reported."""
    entry = FF_HAR["log"]["entries"][2]["request"]
    assert entry["bodySize"] == len(entry["postData"]["text"]) == 123
    p = parse_har(FF_HAR, url_contains="CommitImageUpload")
    assert p.request.body == FF_POST_BODY and len(FF_POST_BODY) == 129
    assert p.notes == ()
