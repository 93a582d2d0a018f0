"""Captures: curl (bash and cmd), raw HTTP / curl -v, HAR 1.2 (Chrome, Firefox), requests.

Fixtures in tests/data/captures/ are written the way the browsers write them (Chrome's and
Firefox's "Copy as cURL" escaping rules, HAR 1.2 with each browser's extra fields) and hold
only fake credentials. When a real ``curl`` binary is installed, the ``oracle`` tests run the
commands through bash and compare what curl puts on the wire with what ``from_curl`` returns.
"""
from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import imgx_kit as ik
from imgx_kit.core import capture
from imgx_kit.core.capture import (
    CaptureError,
    from_curl,
    from_har,
    from_prepared,
    from_raw_http,
    parse_curl,
    parse_har,
    parse_raw_http,
    to_curl,
)

DATA = Path(__file__).parent / "data" / "captures"
SHA = "05ded8cad0e601a14cbdf3829a2eb410b4f23e383130db6fefdf73f983398058"
AUTH = ("HMAC-SHA256 Credential=AKFAKEEXAMPLE0000000/20250101/cn-north-1/cv/request, "
        "SignedHeaders=content-type;host;x-content-sha256;x-date, "
        "Signature=9c2f1d0e8b7a69584736251403f2e1d0c9b8a7968574635241302f1e0d9c8b7a")
COOKIE = ("_tea_utm_cache_513695=undefined; sessionid=fakesession0000000000000000000000; "
          "sid_guard=fakeguard%7C1735689600%7C5184000")
CV_URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
BODY = ('{"req_key":"i2i_inpainting","prompt":"remove the cat\'s shadow! 去掉猫","seed":0,"steps":30,'
        '"binary_data_base64":["iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ'
        'GAhKmMIQAAAABJRU5ErkJggg=="]}').encode()
TOKEN = "STS2FAKEfakeTOKENnotREAL0123456789abcdef"
UA_C = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36")
UA_F = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CH_UA = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# ============================================================================================
# browser copy-as-cURL
# ============================================================================================
CHROME_POST_HEADERS = (
    ("Cookie", COOKIE),                                   # curl sends -b before every -H
    ("accept", "application/json, text/plain, */*"),
    ("accept-language", "en-GB,en-US;q=0.9,en;q=0.8"),
    ("authorization", AUTH),
    ("content-type", "application/json"),
    ("origin", "https://jimeng.jianying.com"),
    ("priority", "u=1, i"),
    ("referer", "https://jimeng.jianying.com/"),
    ("sec-ch-ua", CH_UA),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("sec-fetch-dest", "empty"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-site", "cross-site"),
    ("user-agent", UA_C),
    ("x-content-sha256", SHA),
    ("x-date", "20250101T000000Z"),
)


def test_chrome_signed_post_json_bash():
    p = parse_curl(read("chrome_post_json.sh"))
    r = p.request
    assert (r.method, r.url, r.body) == ("POST", CV_URL, BODY)
    assert r.headers == CHROME_POST_HEADERS
    assert p.ignored_flags == ("--compressed",)
    assert p.source == "curl"
    assert any("--compressed" in n for n in p.notes)


def test_chrome_signed_post_json_cmd_is_the_same_request():
    text = read("chrome_post_json.cmd")
    assert '^"' in text and text.count(" ^\n") > 10
    assert from_curl(text) == from_curl(read("chrome_post_json.sh"))
    assert from_curl(text, shell="cmd") == from_curl(read("chrome_post_json.sh"))


def test_chrome_presigned_get():
    p = parse_curl(read("chrome_presigned_get.sh"))
    r = p.request
    assert r.method == "GET" and r.body == b""
    assert r.url == (
        "https://p3-imagex.example-cdn.com/tos-cn-i-fake/7f3c9a1b2c4d.png~tplv-fake.image"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKFAKEEXAMPLE0000000%2F20250101%2F"
        "cn-north-1%2Fimagex%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=900"
        f"&X-Amz-Security-Token={TOKEN}&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=9c2f1d0e8b7a69584736251403f2e1d0c9b8a7968574635241302f1e0d9c8b7a")
    assert [k for k, _ in r.headers] == [
        "accept", "accept-language", "priority", "referer", "sec-ch-ua", "sec-ch-ua-mobile",
        "sec-ch-ua-platform", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "user-agent"]
    assert not r.has_header("content-type")
    assert p.ignored_flags == ("--compressed",)
    assert TOKEN not in repr(p)


def test_firefox_signed_post_json():
    p = parse_curl(read("firefox_post_json.sh"))
    r = p.request
    assert (r.method, r.url, r.body) == ("POST", CV_URL, BODY)      # \u53bb… decoded as UTF-8
    assert r.headers == (
        ("User-Agent", UA_F), ("Accept", "application/json, text/plain, */*"),
        ("Accept-Language", "en-US,en;q=0.5"), ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Content-Type", "application/json"), ("X-Date", "20250101T000000Z"),
        ("X-Content-Sha256", SHA), ("Authorization", AUTH),
        ("Origin", "https://jimeng.jianying.com"), ("Connection", "keep-alive"),
        ("Referer", "https://jimeng.jianying.com/"), ("Cookie", COOKIE),
        ("Sec-Fetch-Dest", "empty"), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Site", "cross-site"),
        ("Priority", "u=0"), ("TE", "trailers"))
    assert p.ignored_flags == ()


def test_firefox_presigned_get():
    r = from_curl(read("firefox_presigned_get.sh"))
    assert r.method == "GET" and r.body == b""
    assert r.url == from_curl(read("chrome_presigned_get.sh")).url
    assert r.headers[0] == ("User-Agent", UA_F)
    assert r.header("priority") == "u=5, i"


# ============================================================================================
# curl semantics
# ============================================================================================
def test_data_variants_join_and_default_content_type():
    r = from_curl("curl https://h/p -d 'a=1' --data-raw '@b' --data-binary $'c\\r\\n' "
                  "--data-urlencode 'n=x y+z/é' --data-urlencode '=only me' --data-ascii q")
    assert r.method == "POST"
    assert r.body == b"a=1&@b&c\r\n&n=x+y%2Bz%2F%C3%A9&only+me&q"
    assert r.headers == (("Content-Type", "application/x-www-form-urlencoded"),)


def test_get_moves_data_to_query_and_drops_fragment():
    p = parse_curl("curl -G 'https://h/p?a=1#frag' -d q=1 --data-urlencode 'r=a b'")
    assert (p.request.method, p.request.url, p.request.body) == ("GET", "https://h/p?a=1&q=1&r=a+b", b"")
    assert p.request.headers == ()
    assert any("fragment" in n for n in p.notes)
    assert from_curl("curl -G -I https://h/p -d x=1").method == "HEAD"


def test_method_flags():
    assert from_curl("curl -X PUT https://h/ -d x").method == "PUT"
    assert from_curl("curl -XDELETE https://h/").method == "DELETE"
    assert from_curl("curl --request 'PATCH' --url https://h/").method == "PATCH"
    assert from_curl("curl -I https://h/").method == "HEAD"
    assert from_curl("curl --head https://h/").method == "HEAD"
    p = parse_curl("curl -X post https://h/")
    assert p.request.method == "POST" and any("upper-cased" in n for n in p.notes)
    with pytest.raises(CaptureError, match="HEAD"):
        from_curl("curl -I https://h/ -d x=1")


def test_user_agent_referer_cookie_user_range_bearer_order():
    r = from_curl("curl https://h/ -H 'X-A: 1' -b 'a=1' -b 'b=2' -e 'https://r/;auto' "
                  "-A 'ua/1' -u 'us er:p@ss' -r 0-99")
    assert r.headers == (("Authorization", "Basic " + base64.b64encode(b"us er:p@ss").decode()),
                         ("Range", "bytes=0-99"), ("User-Agent", "ua/1"), ("Referer", "https://r/"),
                         ("Cookie", "a=1;b=2"), ("X-A", "1"))
    r = from_curl("curl https://h/ --oauth2-bearer tok -H 'authorization: mine'")
    assert r.headers == (("authorization", "mine"),)
    assert from_curl("curl https://h/ --oauth2-bearer tok").headers == (("Authorization", "Bearer tok"),)


def test_header_rules_exact_wire_form():
    r = from_curl("curl https://h/ -H 'A: 1' -H 'a: 2' -H 'A:3' -H 'E;' -H 'Sp:   x  ' "
                  "-H 'Accept:' -H 'nocolon' -d x -H 'Content-Type:'")
    assert r.headers == (("A", "1"), ("a", "2"), ("A", "3"), ("E", ""), ("Sp", "  x  "))
    assert r.body == b"x"


def test_json_option():
    r = from_curl("curl https://h/j --json '{\"a\":1}' --json '{\"b\":2}'")
    assert r.body == b'{"a":1}{"b":2}'
    assert r.headers == (("Content-Type", "application/json"), ("Accept", "application/json"))


def test_ansi_c_strings_and_quotes():
    r = from_curl("curl https://h/ --data-binary $'\\x00\\xff\\u00e9\\U0001F600\\101\\t\\'\\\\\\cA\\z'")
    assert r.body == b"\x00\xff\xc3\xa9\xf0\x9f\x98\x80A\t'\\\x01\\z"
    r = from_curl('curl "https://h/" -H "X-Q: \\"q\\" \\$HOME \\\\ \\n" -d a"b"\'c\'\\ d')
    assert r.header("x-q") == '"q" $HOME \\ \\n'
    assert r.body == b"abc d"


def test_line_continuations_and_comments():
    text = "$ curl \\\n  'https://h/x' \\\r\n  -H 'A: 1' # a comment\n  -d 'k=v'\n"
    r = from_curl(text)
    assert (r.url, r.headers[0], r.body) == ("https://h/x", ("A", "1"), b"k=v")


def test_shell_operators_and_expansions_are_reported():
    p = parse_curl("curl -s https://h/ -H \"Authorization: Bearer $TOKEN\" 2>&1 | jq .")
    assert p.request.header("authorization") == "Bearer $TOKEN"
    assert any("$TOKEN" in n for n in p.notes)
    assert any("'|'" in n for n in p.notes)
    assert p.ignored_flags == ("-s",)


def test_ignored_and_unknown_flags_are_reported():
    p = parse_curl("curl -sSLk -v --max-time 5 -o out.json --http2 --no-progress-meter "
                   "--frobnicate https://h/ -W")
    assert p.ignored_flags == ("-s", "-S", "-L", "-k", "-v", "--max-time", "-o", "--http2",
                               "--no-progress-meter", "--frobnicate", "-W")
    assert any("--frobnicate is not a curl option" in n for n in p.notes)
    assert p.request.url == "https://h/"


def test_url_normalisation_as_curl_does():
    p = parse_curl("curl 'h.example/a/./b/../c?x=/../y'")
    assert p.request.url == "http://h.example/a/c?x=/../y"
    assert any("no scheme" in n for n in p.notes) and any("dot segments" in n for n in p.notes)
    assert from_curl("curl --path-as-is 'https://h/a/../b'").url == "https://h/a/../b"
    assert from_curl("curl 'https://h/p\\[1\\]?q=\\{x\\}'").url == "https://h/p[1]?q={x}"
    assert from_curl("curl -g 'https://h/p\\[1\\]'").url == "https://h/p\\[1\\]"


def test_cmd_specials():
    text = 'curl ^"https://h/a?b=1^&c=2^" ^\n  -H ^"X-Q: ^\\^"q^\\^" 100^%^"  ^\n  --data-raw ^"a^\n\nb^"'
    r = from_curl(text)
    assert r.url == "https://h/a?b=1&c=2"
    assert r.header("x-q") == '"q" 100%'
    assert r.body == b"a\nb"
    assert from_curl('curl "https://h/" -H "A: ^x"', shell="cmd").header("a") == "^x"


# ============================================================================================
# malformed curl
# ============================================================================================
@pytest.mark.parametrize("text, match", [
    ("curl https://h/ -H 'a: b", r"unterminated single quote opened at line 1, column 20"),
    ("curl https://h/ \\\n  -H \"a: b", r"unterminated double quote opened at line 2, column 6"),
    ("curl https://h/ --data-raw $'abc", r"unterminated \$'…' string opened at line 1, column 28"),
    ('curl ^"https://h/^" ^\n -H "a: b', r"unterminated double quote opened at line 2, column 5"),
    ("curl -s -H 'a: b'", r"has no URL"),
    ("curl https://a/ https://b/", r"2 URLs: 'https://a/' \(line 1, column 6\)"),
    ("curl https://h/ -d @body.json", r"reads the body from a file.*paste the body"),
    ("curl https://h/ --data-binary @-", r"reads the body from a file"),
    ("curl https://h/ --data-urlencode name@file.txt", r"reads a file"),
    ("curl https://h/ -F file=@a.png", r"multipart body"),
    ("curl https://h/ -T a.png", r"uploads a file"),
    ("curl https://h/ -H @headers.txt", r"reads headers from a file"),
    ("curl https://h/ -u alice", r"without a password.*-u 'user:password'"),
    ("curl https://h/ -H", r"option -H needs a value"),
    ("curl https://h/ --header", r"option --header needs a value"),
    ("wget https://h/", r"does not start with a curl command"),
    ("", r"does not start with a curl command"),
    ("curl 'https://h/' -H 'Bad Name: x'", r"not a valid HTTP token"),
    ("curl 'ftp://h/x'", r"not http or https"),
    ("curl https://h/ -K opts.txt", r"reads more options from a file"),
])
def test_malformed_curl(text, match):
    with pytest.raises(CaptureError, match=match) as ei:
        parse_curl(text)
    assert isinstance(ei.value, ik.ImgxError) and ei.value.hint


def test_parse_curl_rejects_non_text():
    with pytest.raises(CaptureError, match="takes the command as text"):
        parse_curl(42)                                           # type: ignore[arg-type]
    with pytest.raises(CaptureError, match="shell 'zsh' is unknown"):
        parse_curl("curl https://h/", shell="zsh")


# ============================================================================================
# to_curl and the round trip
# ============================================================================================
def test_to_curl_shape():
    req = ik.HttpRequest.build("PUT", "https://h/a b/./c[1]?q='x'", [("X-A", ""), ("x-a", "1")],
                               b"\x00bin\xff")
    text = to_curl(req)
    assert text.splitlines() == [
        "curl $'https://h/a b/./c[1]?q=\\'x\\'' \\",
        "  --globoff \\",
        "  --path-as-is \\",
        "  -X 'PUT' \\",
        "  -H 'X-A;' \\",
        "  -H 'x-a: 1' \\",
        "  -H 'Content-Type:' \\",
        "  --data-binary $'\\x00bin\\xff'",
    ]
    assert from_curl(text) == req


def test_to_curl_body_starting_with_at_is_not_a_file():
    req = ik.HttpRequest.build("POST", "https://h/", None, b"@body.json")
    assert to_curl(req).endswith("--data-raw '@body.json'")
    assert from_curl(to_curl(req)) == req


def test_to_curl_redact_masks_secrets():
    req = ik.HttpRequest.build(
        "GET", f"https://h/?X-Amz-Security-Token={TOKEN}&a=1",
        [("x-amz-security-token", TOKEN), ("Cookie", "sessionid=fakesession0000000000000000000000"),
         ("Authorization", "SpaceKey/fake/1/:version:v2:FAKEuploadAUTHtoken0000")])
    plain = to_curl(req)
    assert TOKEN in plain and "fakesession0000000000000000000000" in plain
    red = to_curl(req, redact=True)
    for secret in (TOKEN, "fakesession0000000000000000000000", "FAKEuploadAUTHtoken0000"):
        assert secret not in red
    assert "a=1" in red


def test_to_curl_refuses_what_curl_cannot_send():
    req = ik.HttpRequest.build("GET", "https://h/", [("X-Blank", "  ")])
    with pytest.raises(CaptureError, match="only white space"):
        to_curl(req)
    with pytest.raises(CaptureError, match="takes an HttpRequest"):
        to_curl("curl https://h/")                             # type: ignore[arg-type]


def test_round_trip_fixtures():
    for name in ("chrome_post_json.sh", "chrome_presigned_get.sh", "firefox_post_json.sh",
                 "firefox_presigned_get.sh"):
        req = from_curl(read(name))
        assert from_curl(to_curl(req)) == req, name


_CURL_WS = " \t\n\v\f\r"
_TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_tokens = st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=12)
_no_ctl = st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t")   # RFC 9110 field text
_values = st.text(alphabet=_no_ctl, max_size=30).filter(lambda v: v == "" or v.strip(_CURL_WS) != "")
_path_chars = st.characters(blacklist_categories=("Cs", "Cc"))
_interesting = st.sampled_from([" ", "'", '"', "$", "\\", "[", "]", "{", "}", "!", "`", "%20", "/./",
                                "/../", "é", "去", "#", "?", "&", "=", "+", "~", "^", "\u200b"])


@st.composite
def requests_(draw):
    method = draw(st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH",
                                             "OPTIONS"]), _tokens.map(str.upper)))
    scheme = draw(st.sampled_from(["https", "http"]))
    host = draw(st.sampled_from(["h", "imagex.bytedanceapi.com", "127.0.0.1:8080", "[::1]:9000"]))
    pieces = draw(st.lists(st.one_of(_interesting, st.text(alphabet=_path_chars, max_size=6)),
                           max_size=8))
    url = f"{scheme}://{host}/" + "".join(pieces)
    headers = draw(st.lists(st.tuples(st.one_of(_tokens, st.sampled_from(
        ["Content-Type", "content-type", "Host", "Cookie", "Authorization", "X-Amz-Date"])), _values),
        max_size=6))
    body = draw(st.one_of(st.just(b""), st.binary(max_size=40),
                          st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass"))))
    return ik.HttpRequest.build(method, url, headers, body)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests_())
def test_round_trip_hypothesis(req):
    assert from_curl(to_curl(req)) == req


# ============================================================================================
# raw HTTP and curl -v
# ============================================================================================
def test_curl_verbose_output():
    p = parse_raw_http((DATA / "curl_verbose_post.txt").read_bytes())
    r = p.request
    assert r.method == "POST"
    assert r.url.startswith("http://127.0.0.1:") and r.url.endswith("/?Action=CVProcess&Version=2022-08-31")
    assert [k for k, _ in r.headers] == ["Host", "User-Agent", "Accept", "Content-Type", "X-Date",
                                         "X-Content-Sha256", "Authorization", "Content-Length"]
    assert r.header("x-date") == "20250101T000000Z"
    assert r.body == b"" and p.source == "curl -v"
    assert any("does not print the request body" in n for n in p.notes)
    body = b'{"req_key":"i2i_inpainting","seed":0,"steps":30}'
    assert from_raw_http((DATA / "curl_verbose_post.txt").read_text(), body=body).body == body
    assert from_raw_http((DATA / "curl_verbose_post.txt").read_text(), scheme="https").url.startswith("https://")


def test_raw_http_crlf_and_lf():
    crlf = b"PUT /b/k%20x?partNumber=1 HTTP/1.1\r\nHost: H.example:8443\r\nX-A: 1\r\nx-a:2\r\n\r\n\r\nbody\r\n"
    r = from_raw_http(crlf)
    assert (r.method, r.url) == ("PUT", "https://H.example:8443/b/k%20x?partNumber=1")
    assert r.headers == (("Host", "H.example:8443"), ("X-A", "1"), ("x-a", "2"))
    assert r.body == b"\r\nbody\r\n"
    lf = "\n\nPOST /x HTTP/1.0\nHost: h\nContent-Length: 5\n\nhello\n"
    p = parse_raw_http(lf, scheme="http")
    assert (p.request.url, p.request.body) == ("http://h/x", b"hello")
    assert any("trailing line-break" in n for n in p.notes)


def test_raw_http_absolute_form_and_folding():
    p = parse_raw_http("GET http://proxy.example/a?b HTTP/1.1\nHost: other\nX-L: a\n  b\n\n")
    assert p.request.url == "http://proxy.example/a?b"
    assert p.request.header("x-l") == "a b"


@pytest.mark.parametrize("text, match", [
    ("GET /path\nHost: h\n\n", r"line 1: the request line 'GET /path' has no HTTP version"),
    ("\n\nGET /path\n\n", r"line 3: .*no HTTP version"),
    ("GET /p HTTP/1.1\nHost h\n\n", r"line 2: 'Host h' is not a 'Name: value' header line"),
    ("GET /p HTTP/1.1\nX-A: 1\n\n", r"no Host header"),
    ("hello world\n", r"line 1: 'hello world' is not a request line|no HTTP version"),
    ("", r"no request line"),
    ("CONNECT h:443 HTTP/1.1\nHost: h:443\n\n", r"CONNECT opens a tunnel"),
    ("GET p HTTP/1.1\nHost: h\n\n", r"does not start with '/'"),
])
def test_raw_http_malformed(text, match):
    with pytest.raises(CaptureError, match=match) as ei:
        parse_raw_http(text)
    assert ei.value.hint


# ============================================================================================
# HAR
# ============================================================================================
def test_chrome_har_entries_and_selection():
    lines = capture.har_entries(DATA / "chrome.har")
    assert len(lines) == 4 and lines[3].startswith("[3] POST https://visual.volcengineapi.com/")
    p = parse_har(DATA / "chrome.har", url_contains="CVProcess")
    r = p.request
    assert (r.method, r.url, r.body) == ("POST", CV_URL, BODY)
    names = [k for k, _ in r.headers]
    assert names[:3] == ["accept", "accept-encoding", "accept-language"]
    assert not any(n.startswith(":") for n in names)
    assert names.count("cookie") == 1 and r.header("cookie") == COOKIE     # not doubled from `cookies`
    assert r.header("authorization") == AUTH and r.header("x-content-sha256") == SHA
    assert p.source == "HAR entry 3" and any(":authority" in n for n in p.notes)


def test_chrome_har_base64_body_and_index():
    r = from_har(json.loads(read("chrome.har")), url_contains="upload/v1")
    assert r.body.startswith(b"\x89PNG\r\n\x1a\n") and len(r.body) == 70
    assert r.header("content-crc32") is not None
    assert from_har(read("chrome.har"), index=1).url.startswith(
        "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload")
    assert from_har(DATA / "chrome.har", index=-1) == from_har(DATA / "chrome.har", index=3)
    assert from_har(DATA / "chrome.har", url_contains="visual", index=0).url == CV_URL


def test_firefox_har():
    assert json.loads(read("firefox.har"))["log"]["creator"]["name"] == "Firefox"
    r = from_har(str(DATA / "firefox.har"), url_contains="CVProcess")
    assert r.body == BODY and r.headers[0] == ("Host", "visual.volcengineapi.com")
    # Firefox's copy-as-cURL drops Host and Content-Length; otherwise the same headers in order
    assert r.without_header("Host").without_header("Content-Length").headers == \
        from_curl(read("firefox_post_json.sh")).headers
    assert r.header("content-length") == str(len(BODY))
    p = parse_har(DATA / "firefox.har", index=1)
    assert p.request.body == b"grant_type=refresh+token&scope=image%3Awrite%2Bread"
    assert any("rebuilt from postData.params" in n for n in p.notes)
    get = from_har(DATA / "firefox.har", index=0)
    assert get.url == from_curl(read("firefox_presigned_get.sh")).url and get.body == b""


def test_har_cookies_without_header_are_rebuilt():
    har = {"log": {"entries": [{"request": {"method": "GET", "url": "https://h/", "headers": [],
                                            "cookies": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]}}]}}
    p = parse_har(har)
    assert p.request.headers == (("Cookie", "a=1; b=2"),)
    assert any("sanitized" in n for n in p.notes)


@pytest.mark.parametrize("har, kw, match", [
    (DATA / "empty.har", {}, r"the HAR has no entries"),
    ('{"log": {"entries": [}', {}, r"not valid JSON: .* at line 1, column \d+"),
    ("{}", {}, r"no log.entries list"),
    ("[1]", {}, r"not an object with a 'log'"),
    ("no/such/file.har", {}, r"neither HAR JSON nor an existing file"),
    (DATA / "chrome.har", {}, r"the HAR has 4 entries; say which one:\n  \[0\] POST https://jimeng"),
    (DATA / "chrome.har", {"url_contains": "nomatch"}, r"(?s)no HAR entry has a URL containing 'nomatch'.*\[3\]"),
    (DATA / "chrome.har", {"url_contains": "https://"}, r"4 entries match 'https://'"),
    (DATA / "chrome.har", {"index": 9}, r"index 9 is out of range: the HAR has 4 entries"),
    ({"log": {"entries": [{"request": {"url": "https://h/"}}]}}, {}, r"HAR entry 0 has no request with a method"),
    ({"log": {"entries": [{"request": {"method": "GET", "url": "/rel"}}]}}, {}, r"HAR entry 0 is not a valid request"),
    ({"log": {"entries": [{"request": {"method": "POST", "url": "https://h/", "postData": {
        "mimeType": "x", "text": "@@", "encoding": "base64"}}}]}}, {}, r"HAR entry 0: postData.text is marked base64"),
    (42, {}, r"takes a dict, JSON text or a path"),
])
def test_har_malformed(har, kw, match):
    with pytest.raises(CaptureError, match=match):
        from_har(har, **kw)


def test_har_listing_masks_tokens():
    har = {"log": {"entries": [{"request": {"method": "GET", "url": f"https://h/?X-Amz-Security-Token={TOKEN}"}},
                               {"request": {"method": "GET", "url": "https://h/2"}}]}}
    with pytest.raises(CaptureError) as ei:
        from_har(har)
    assert TOKEN not in str(ei.value) and "[1] GET https://h/2" in str(ei.value)


def test_har_lone_surrogate_is_refused_where_it_is():
    """A browser cuts long bodies, sometimes between the halves of an emoji, and writes the half
    as valid JSON ("\\ud83d"). Half a character has no bytes: any reading (U+FFFD, dropping it,
    surrogatepass) would sign a body the browser never sent. The choice: a CaptureError naming
    the entry, the field and the position, with a hint."""
    har = ('{"log":{"entries":[{"request":{"method":"POST","url":"https://h/","headers":[],'
           '"postData":{"mimeType":"text/plain","text":"truncated \\ud83d"}}}]}}')
    with pytest.raises(CaptureError, match=r"HAR entry 0: postData.text holds a lone surrogate "
                                           r"\(U\+D83D\) at character 10 of 11") as ei:
        from_har(har)
    assert "export the HAR again" in ei.value.hint
    url = '{"log":{"entries":[{"request":{"method":"GET","url":"https://h/\\udc80","headers":[]}}]}}'
    with pytest.raises(CaptureError, match=r"request.url holds a lone surrogate \(U\+DC80\)"):
        from_har(url)
    hdr = {"log": {"entries": [{"request": {"method": "GET", "url": "https://h/",
                                            "headers": [{"name": "x-a", "value": "a\ud83d"}]}}]}}
    with pytest.raises(CaptureError, match=r"request.headers\[0\].value holds a lone surrogate"):
        from_har(hdr)


def test_curl_and_raw_text_with_a_lone_surrogate_are_refused_with_line_and_column():
    for parse, text in ((parse_curl, "curl https://h/ \\\n  -d 'x\ud83d'"),
                        (parse_curl, 'curl ^"https://h/^" ^\n -d "\ud83d"'),
                        (parse_raw_http, "POST / HTTP/1.1\nHost: h\n\n\ud83d")):
        with pytest.raises(CaptureError, match=r"line \d, column \d+ holds a lone surrogate \(U\+D83D\)"):
            parse(text)
    with pytest.raises(CaptureError, match=r"body= holds a lone surrogate \(U\+DC00\) at character 1"):
        parse_raw_http("POST / HTTP/1.1\nHost: h\n\n", body="a\udc00")


def test_undecodable_command_bytes_are_kept_and_urls_are_sent_as_curl_sends_them():
    # bytes that are not UTF-8 (given as bytes, or as their surrogateescape text) keep their value
    for text in (b"curl https://h/a\xffb -d \xfe", "curl https://h/a\udcffb -d \udcfe"):
        p = parse_curl(text)
        assert (p.request.url, p.request.body) == ("https://h/a%ffb", b"\xfe")
        assert any("URL is not valid UTF-8" in n for n in p.notes)
    cmd = parse_curl(b'curl ^"https://h/\xe9^" -d ^"\xff^"', shell="cmd").request
    assert (cmd.url, cmd.body) == ("https://h/%e9", b"\xff")
    # $'\ud83d' is bytes ED A0 BD in bash; past U+10FFFF bash writes the RFC 2279 forms
    assert from_curl("curl $'https://h/\\ud83d'").url == "https://h/%ed%a0%bd"
    assert from_curl("curl https://h/ --data-binary $'\\U110000\\U7FFFFFFF\\U80000000'").body == \
        bytes.fromhex("f4908080 fdbfbfbfbfbf")


def test_raw_http_host_must_be_host_and_port():
    for host in ("h?x=1", "h/x", "u@h", "h#f", "[::1", "h x"):
        with pytest.raises(CaptureError, match=r"the Host header .* is not host\[:port\]") as ei:
            from_raw_http(f"GET /upload HTTP/1.1\r\nHost: {host}\r\n\r\n")
        assert "request line" in ei.value.hint
    assert from_raw_http("GET /a HTTP/1.1\nHost: [::1]:8080\n\n").url == "https://[::1]:8080/a"
    with pytest.raises(CaptureError, match=r"2 Host headers \('h', 'g'\)"):
        from_raw_http("GET / HTTP/1.1\r\nHost: h\r\nHost: g\r\n\r\n")


def test_raw_http_content_length_and_chunked_bodies():
    p = parse_raw_http("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \u00b2\r\n\r\nab")
    assert p.request.body == b"ab" and any("Content-Length '\u00b2' is not a number" in n for n in p.notes)
    chunked = ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n")
    p = parse_raw_http(chunked)
    assert p.request.body == b"abc0123456789" and p.request.header("transfer-encoding") == "chunked"
    assert any("chunked transfer coding was decoded" in n and "trailer" in n for n in p.notes)
    assert from_raw_http(chunked, body=b"given").body == b"given"       # body= is taken as it is
    for bad, match in (("zz\r\nabc\r\n0\r\n\r\n", r"has 'zz' at byte 0 where a hex chunk size"),
                       ("\u0663\r\nabc\r\n0\r\n\r\n", r"has '\u0663' at byte 0"),
                       ("ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", r"chunk of \d+ bytes at byte 22 is cut off"),
                       ("3\r\nabc\r\n", r"ends at byte 8 without its last \(size 0\) chunk")):
        with pytest.raises(CaptureError, match=match):
            from_raw_http("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + bad)


@pytest.mark.parametrize("kw, match", [
    ({"scheme": "ftp"}, r"scheme='ftp' is not 'http' or 'https'"),
    ({"scheme": 5}, r"scheme=5 is not"),
    ({"body": 5}, r"body= must be bytes or str, not int"),
])
def test_raw_http_arguments(kw, match):
    with pytest.raises(CaptureError, match=match):
        from_raw_http("GET / HTTP/1.1\r\nHost: h\r\n\r\n", **kw)


def _har(**request):
    return {"log": {"entries": [{"request": {"method": "GET", "url": "https://h/", "headers": [], **request}}]}}


@pytest.mark.parametrize("har, kw, match", [
    ({"log": {"entries": [{"request": []}]}}, {}, r"HAR entry 0 has no request with a method and url"),
    ({"log": {"entries": [{"request": []}, {"request": [], "response": [1]}]}}, {},
     r"2 entries; say which one:\n  \[0\] \? \?"),
    (_har(headers=1), {}, r"HAR entry 0: request.headers is int 1, not a list of \{name, value\} objects"),
    (_har(headers=["X-A: 1"]), {}, r"request.headers\[0\] is not a \{name, value\} object: 'X-A: 1'"),
    (_har(headers=[{"name": "x", "value": None}]), {}, r"request.headers\[0\].value is NoneType None, not a string"),
    (_har(cookies=5), {}, r"request.cookies is int 5"),
    (_har(cookies=["a=1"]), {}, r"request.cookies\[0\] is not a \{name, value\} object"),
    (_har(method=None), {}, r"request.method is NoneType None, not a string"),
    (_har(url=5), {}, r"request.url is int 5, not a string"),
    (_har(method="POST", postData="abc"), {}, r"HAR entry 0: postData is str 'abc', not an object"),
    (_har(method="POST", postData=5), {}, r"postData is int 5, not an object"),
    (_har(method="POST", postData={"mimeType": "text/plain", "text": 5}), {}, r"postData.text is int 5, not a string"),
    (_har(method="POST", postData={"mimeType": "x", "text": "a", "encoding": "gzip"}), {},
     r"postData.encoding 'gzip' is not 'base64'"),
    (_har(method="POST", postData={"mimeType": "application/x-www-form-urlencoded", "params": 5}), {},
     r"postData.params is int 5, not a list"),
    (_har(method="POST", postData={"mimeType": "application/x-www-form-urlencoded", "params": ["a"]}), {},
     r"postData.params\[0\] is not a \{name, value\} object: 'a'"),
    (_har(method="POST", postData={"mimeType": "application/x-www-form-urlencoded",
                                   "params": [{"name": "a", "value": 1}]}), {}, r"postData.params\[0\].value is int 1"),
    (_har(), {"url_contains": 5}, r"url_contains must be a str, not int"),
    (_har(), {"index": "0"}, r"index must be an int, not str"),
    (b"\xff\xfe{}", {}, r"the HAR is not UTF-8 text \(byte 0xff at offset 0\)"),
    ("x" * 5000, {}, r"is neither HAR JSON nor an existing file"),
])
def test_har_fields_of_the_wrong_shape(har, kw, match):
    with pytest.raises(CaptureError, match=match) as ei:
        from_har(har, **kw)
    assert ei.value.hint


def test_har_unreadable_file(tmp_path):
    p = tmp_path / "latin1.har"
    p.write_bytes(b'{"log": "\xe9"}')
    with pytest.raises(CaptureError, match=r"not UTF-8 text \(byte 0xe9 at offset 9\)"):
        from_har(p)


# ============================================================================================
# requests.PreparedRequest
# ============================================================================================
def test_from_prepared():
    import requests
    p = requests.Request("POST", "https://h/a b?x=1", headers={"X-B": "2", "x-a": "1"},
                         data=b"\x00\x01").prepare()
    r = from_prepared(p)
    assert (r.method, r.url, r.body) == ("POST", "https://h/a%20b?x=1", b"\x00\x01")
    assert r.headers == (("X-B", "2"), ("x-a", "1"), ("Content-Length", "2"))
    s = requests.Session().prepare_request(requests.Request("GET", "https://h/", params={"q": "a b"}))
    r = from_prepared(s)
    assert r.url == "https://h/?q=a+b" and r.header("user-agent").startswith("python-requests/")
    j = from_prepared(requests.Request("PUT", "https://h/", json={"a": "é"}))
    assert j.body == b'{"a": "\\u00e9"}' and j.header("content-type") == "application/json"
    with pytest.raises(CaptureError, match=r"takes a requests\.PreparedRequest"):
        from_prepared("GET https://h/")
    with pytest.raises(CaptureError, match="stream"):
        from_prepared(requests.Request("POST", "https://h/", data=iter([b"a"])).prepare())


def test_lazy_export_and_repr():
    assert ik.capture.from_curl is from_curl
    p = parse_curl(read("chrome_post_json.sh"))
    shown = repr(p) + p._repr_html_()
    assert "fakesession0000000000000000000000" not in shown
    assert "--compressed" in shown
    assert capture.CurlParse is capture.CaptureParse


# ============================================================================================
# oracle: what the real curl puts on the wire
# ============================================================================================
def _curl_wire(command: str) -> bytes:
    """Run ``command`` (with PORT substituted) through bash; return the bytes curl sent."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(10)
    port = srv.getsockname()[1]
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = srv.accept()
        conn.settimeout(0.3)
        data = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        got.append(data)
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cmd = command.replace("PORT", str(port))
    subprocess.run(["bash", "-c", cmd + " -s -o /dev/null --max-time 5"], timeout=20, check=False)
    t.join(15)
    srv.close()
    return got[0], port


def _wire_request(wire: bytes) -> tuple[str, str, list[tuple[str, str]], bytes]:
    head, _, body = wire.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    method, target, _ = lines[0].split(" ")
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers.append((k, v[1:] if v.startswith(" ") else v))
    return method, target, headers, body


ORACLE_COMMANDS = [
    "curl 'http://127.0.0.1:PORT/a/./b/../c?x=a%20b' -b a=1 -b 'b=2' -H 'X:  spaced  ' "
    "--data-urlencode 'n=a b+c' -d z=1 -u 'u:p' -A ua -e 'ref;auto' -H 'E;' -H 'Accept:'",
    "curl -G 'http://127.0.0.1:PORT/p?a=1' --data-urlencode 'q=x y' -d r=2 -H 'A: 1' -H 'a: 2'",
    "curl 'http://127.0.0.1:PORT/j' --json '{\"a\":1}' --json '{\"b\":2}'",
    "curl -X PUT 'http://127.0.0.1:PORT/k' --data-binary $'\\x01\\x02\\r\\nbin' -H 'Content-Type:'",
    "curl 'http://127.0.0.1:PORT/h' -r 0-9 --oauth2-bearer tok -H $'X-U: \\u00e9'",
    "curl $'http://127.0.0.1:PORT/a\\xffb\\ud83d' --data-binary $'\\U110000\\U7FFFFFFF' -H 'Content-Type:'",
]


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="needs the curl and bash binaries")
@pytest.mark.parametrize("command", ORACLE_COMMANDS + ["FIXTURE:chrome_post_json.sh",
                                                       "FIXTURE:firefox_post_json.sh",
                                                       "FIXTURE:chrome_presigned_get.sh"])
def test_oracle_real_curl_wire(command):
    if command.startswith("FIXTURE:"):
        text = read(command[8:])
        for host in ("https://visual.volcengineapi.com", "https://p3-imagex.example-cdn.com"):
            text = text.replace(host, "http://127.0.0.1:PORT")
        command = text.strip().replace("--compressed", "")
    wire, port = _curl_wire(command)
    method, target, wire_headers, body = _wire_request(wire)
    ours = from_curl(command.replace("PORT", str(port)))
    assert (ours.method, ours.target, ours.body) == (method, target, body)
    names = {k.lower() for k, _ in ours.headers}
    curl_own = [(k, v) for k, v in wire_headers
                if k.lower() in ("host", "content-length")
                or (k.lower() == "user-agent" and v.startswith("curl/") and "user-agent" not in names)
                or (k.lower() == "accept" and v == "*/*" and "accept" not in names)]
    assert [h for h in wire_headers if h not in curl_own] == list(ours.headers)
