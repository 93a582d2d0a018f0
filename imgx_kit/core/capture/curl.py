"""curl commands: read them (:func:`parse_curl`, :func:`from_curl`) and write them (:func:`to_curl`)."""
from __future__ import annotations

import base64
import re
from typing import Any

from ..errors import CaptureError, RequestError
from ..redact import redact_headers, redact_url, scrub
from ..request import HttpRequest
from ._common import _CURL_WS, CaptureParse, _decode, _refuse_lone_surrogate
from .shell import _bash_words, _cmd_words, _looks_like_cmd, _Word

# ============================================================================================
# curl's options
# ============================================================================================
_SHORT = {
    "0": "http1.0", "1": "tlsv1", "2": "sslv2", "3": "sslv3", "4": "ipv4", "6": "ipv6",
    "#": "progress-bar", ":": "next", "a": "append", "A": "user-agent", "b": "cookie",
    "B": "use-ascii", "c": "cookie-jar", "C": "continue-at", "d": "data", "D": "dump-header",
    "e": "referer", "E": "cert", "f": "fail", "F": "form", "g": "globoff", "G": "get",
    "h": "help", "H": "header", "i": "include", "I": "head", "j": "junk-session-cookies",
    "J": "remote-header-name", "k": "insecure", "K": "config", "l": "list-only", "L": "location",
    "m": "max-time", "M": "manual", "n": "netrc", "N": "no-buffer", "o": "output",
    "O": "remote-name", "p": "proxytunnel", "P": "ftp-port", "q": "disable", "Q": "quote",
    "r": "range", "R": "remote-time", "s": "silent", "S": "show-error", "t": "telnet-option",
    "T": "upload-file", "u": "user", "U": "proxy-user", "v": "verbose", "V": "version",
    "w": "write-out", "x": "proxy", "X": "request", "y": "speed-time", "Y": "speed-limit",
    "z": "time-cond", "Z": "parallel",
}
_WITH_ARG = frozenset("""
abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config connect-timeout
connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data data-ascii
data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr dns-ipv6-addr
dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save expect100-timeout form
form-string ftp-account ftp-alternative-to-user ftp-method ftp-port ftp-ssl-ccc-mode
happy-eyeballs-timeout-ms haproxy-clientip header hostpubmd5 hostpubsha256 hsts interface ip-tos
json keepalive-time keepalive-cnt key key-type krb libcurl limit-rate local-port login-options
mail-auth mail-from mail-rcpt max-filesize max-redirs max-time netrc-file noproxy oauth2-bearer
output output-dir parallel-max pass pinnedpubkey preproxy proto proto-default proto-redir proxy
proxy-cacert proxy-capath proxy-cert proxy-cert-type proxy-ciphers proxy-crlfile proxy-header
proxy-key proxy-key-type proxy-pass proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers
proxy-tlsauthtype proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file
range rate referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
service-name socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit speed-time
stderr telnet-option time-cond tls-max tls13-ciphers tlsauthtype tlspassword tlsuser trace
trace-ascii trace-config unix-socket upload-file url url-query user user-agent variable
vlan-priority write-out
""".split())  # noqa: SIM905 — names as curl's manual lists them, easy to diff
_NO_ARG = frozenset("""
anyauth append basic ca-native cert-status compressed compressed-ssh create-dirs crlf digest
disable disable-eprt disable-epsv disallow-username-in-url doh-cert-status doh-insecure fail
fail-early fail-with-body false-start form-escape ftp-create-dirs ftp-pasv ftp-pret
ftp-skip-pasv-ip ftp-ssl ftp-ssl-ccc ftp-ssl-control ftp-ssl-reqd get globoff haproxy-protocol
head help http0.9 http1.0 http1.1 http2 http2-prior-knowledge http3 http3-only
ignore-content-length include insecure ipv4 ipv6 junk-session-cookies list-only location
location-trusted manual metalink mptcp negotiate netrc netrc-optional next no-alpn no-buffer
no-clobber no-keepalive no-npn no-progress-meter no-sessionid ntlm ntlm-wb parallel
parallel-immediate path-as-is post301 post302 post303 progress-bar proxy-anyauth proxy-basic
proxy-ca-native proxy-digest proxy-http2 proxy-insecure proxy-negotiate proxy-ntlm
proxy-ssl-allow-beast proxy-ssl-auto-client-cert proxy-tlsv1 proxytunnel raw remote-header-name
remote-name remote-name-all remote-time remove-on-error retry-all-errors retry-connrefused
sasl-ir show-error show-headers silent skip-existing socks5-basic socks5-gssapi
socks5-gssapi-nec ssl ssl-allow-beast ssl-auto-client-cert ssl-no-revoke ssl-reqd
ssl-revoke-best-effort ssl-sessions sslv2 sslv3 styled-output suppress-connect-headers
tcp-fastopen tcp-nodelay tftp-no-options tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 tr-encoding
trace-ids trace-time use-ascii verbose version xattr
""".split())  # noqa: SIM905 — names as curl's manual lists them, easy to diff
_DATA_OPTS = frozenset({"data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "json"})
_AUTH_OTHER = {"digest", "ntlm", "ntlm-wb", "negotiate", "anyauth"}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _curl_escape_plus(data: bytes) -> bytes:
    """``curl_easy_escape`` followed by curl's ``%20`` → ``+`` (as ``--data-urlencode`` does)."""
    return b"".join(bytes([b]) if b in _UNRESERVED else (b"+" if b == 0x20 else b"%%%02X" % b)
                    for b in data)


def _urlencode_arg(arg: bytes, opt: str, word: _Word) -> bytes:
    """Apply curl's ``--data-urlencode`` / ``--url-query`` syntax to one argument."""
    eq, at = arg.find(b"="), arg.find(b"@")
    sep = eq if eq >= 0 else at
    if sep >= 0 and arg[sep:sep + 1] == b"@":
        raise CaptureError(f"{word.where}: --{opt} {arg.decode('utf-8', 'replace')!r} reads a file, "
                           "which a capture cannot do",
                           hint=f"paste the content instead, e.g. --{opt} 'name=content'")
    if sep < 0:
        return _curl_escape_plus(arg)
    name, content = arg[:sep], arg[sep + 1:]
    enc = _curl_escape_plus(content)
    return name + b"=" + enc if name else enc


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as curl applies it to the path unless ``--path-as-is``."""
    out: list[str] = []
    inp = path
    while inp:
        if inp.startswith("../"):
            inp = inp[3:]
        elif inp.startswith("./") or inp.startswith("/./"):
            inp = inp[2:]
        elif inp == "/.":
            inp = "/"
        elif inp.startswith("/../"):
            inp = inp[3:]
            if out:
                out.pop()
        elif inp == "/..":
            inp = "/"
            if out:
                out.pop()
        elif inp in (".", ".."):
            inp = ""
        else:
            j = inp.find("/", 1 if inp.startswith("/") else 0)
            seg, inp = (inp, "") if j < 0 else (inp[:j], inp[j:])
            out.append(seg)
    return "".join(out)


def _url_parts(url: str) -> tuple[str, str, str, str]:
    """Split ``url`` into (scheme://authority, path, ?query, #fragment) without touching bytes."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$", url, re.S)
    if not m:
        return url, "", "", ""
    return m.group(1), m.group(2), m.group(3) or "", m.group(4) or ""


# ============================================================================================
# from_curl / parse_curl
# ============================================================================================
def parse_curl(text: str, *, shell: str = "auto") -> CaptureParse:
    """Parse a curl command line (bash or Windows ``cmd``) into the request curl would send.

    ``shell`` is ``"bash"``, ``"cmd"`` (Chrome's "Copy as cURL (cmd)") or ``"auto"``.

        >>> p = parse_curl("curl 'https://h/p' -H 'a: 1' -H 'a: 2' -u 'u:p' --compressed")
        >>> p.request.headers
        (('Authorization', 'Basic dTpw'), ('a', '1'), ('a', '2'))
        >>> p.ignored_flags
        ('--compressed',)
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    if not isinstance(text, str):
        raise CaptureError(f"parse_curl takes the command as text, not {type(text).__name__}",
                           hint="pass the string you copied with 'Copy as cURL'")
    if shell not in ("auto", "bash", "cmd"):
        raise CaptureError(f"shell {shell!r} is unknown", hint="use 'auto', 'bash' or 'cmd'")
    _refuse_lone_surrogate(text, "the curl command")
    stripped = text.lstrip()
    if stripped.startswith("$ "):                  # a shell prompt copied along
        stripped = stripped[2:]
    if shell == "cmd" or (shell == "auto" and _looks_like_cmd(stripped)):
        words, notes = _cmd_words(stripped)
    else:
        words, notes = _bash_words(stripped)
    if not words or not re.fullmatch(r"(?:.*[/\\])?curl(?:\.exe)?", words[0].text(), re.I):
        first = words[0].text()[:30] if words else ""
        raise CaptureError(f"the text does not start with a curl command (it starts with {first!r})",
                           hint="paste a command from 'Copy as cURL', or use from_raw_http / from_har "
                                "for other formats")
    return _CurlBuilder(words[1:], notes).build()


def from_curl(text: str, *, shell: str = "auto") -> HttpRequest:
    """The request a curl command sends. See :func:`parse_curl` for ignored flags and notes.

        >>> from_curl("curl https://h/x -d a=1 -d b=2").body
        b'a=1&b=2'
    """
    return parse_curl(text, shell=shell).request


class _CurlBuilder:
    def __init__(self, words: list[_Word], notes: list[str]) -> None:
        self.words = words
        self.notes = notes
        self.ignored: list[str] = []
        self.urls: list[tuple[str, _Word]] = []
        self.headers: list[tuple[bytes, _Word]] = []
        self.cookies: list[bytes] = []
        self.data: list[tuple[bytes, str]] = []
        self.queries: list[bytes] = []
        self.method: tuple[str, _Word] | None = None
        self.flags: dict[str, Any] = {}

    # ---- option scanning ------------------------------------------------------------------
    def build(self) -> CaptureParse:
        words = self.words
        i = 0
        while i < len(words):
            w = words[i]
            t = w.text()
            if t.startswith("--") and len(t) > 2:
                name = t[2:]
                base = name[3:] if name.startswith("no-") and name[3:] in _NO_ARG else name
                if name in _WITH_ARG:
                    if i + 1 >= len(words):
                        raise CaptureError(f"{w.where}: option {t} needs a value and none follows",
                                           hint=f"give it a value, e.g. {t} 'value', or remove it")
                    self.option(name, t, words[i + 1])
                    i += 2
                    continue
                if name in _NO_ARG or base in _NO_ARG:
                    self.switch(name, t)
                else:
                    self.ignored.append(t)
                    self.notes.append(f"{w.where}: {t} is not a curl option; ignored (assumed to "
                                      "take no value)")
                i += 1
                continue
            if t.startswith("-") and len(t) > 1:
                j = 1
                while j < len(t):
                    letter = t[j]
                    short = _SHORT.get(letter)
                    if short is None:
                        self.ignored.append("-" + letter)
                        self.notes.append(f"{w.where}: -{letter} is not a curl option; ignored")
                        j += 1
                        continue
                    if short in _WITH_ARG:
                        rest = w.value[len(t[:j + 1].encode("utf-8")):]
                        if rest:
                            self.option(short, "-" + letter, _Word(rest, w.line, w.col + j + 1))
                            i += 1
                        else:
                            if i + 1 >= len(words):
                                raise CaptureError(f"{w.where}: option -{letter} needs a value and "
                                                   "none follows",
                                                   hint=f"give it a value or remove -{letter}")
                            self.option(short, "-" + letter, words[i + 1])
                            i += 2
                        break
                    self.switch(short, "-" + letter)
                    j += 1
                else:
                    i += 1
                continue
            self.urls.append((self._url_text(w), w))
            i += 1
        return self.finish()

    def _url_text(self, w: _Word) -> str:
        """A URL word; bytes that are not UTF-8 are percent-encoded, as curl sends them."""
        try:
            return w.value.decode("utf-8")
        except UnicodeDecodeError:
            self.notes.append(f"{w.where}: the URL is not valid UTF-8; its bytes from 0x80 up were "
                              "percent-encoded, as curl sends them")
            return "".join(chr(b) if b < 0x80 else f"%{b:02x}" for b in w.value)

    def switch(self, name: str, written: str) -> None:
        on = not name.startswith("no-")
        key = name if on else name[3:]
        if key in ("get", "head", "globoff", "path-as-is"):
            self.flags[key] = on
            return
        if key in _AUTH_OTHER or key == "basic":
            self.flags["auth"] = key if on else "basic"
            if key != "basic":
                self.ignored.append(written)
            return
        if key == "next":
            self.flags["next"] = True
        self.ignored.append(written)
        if key == "compressed" and on:
            self.notes.append("--compressed makes curl add an Accept-Encoding header and decompress "
                              "the answer; that header is not part of the captured request")
        elif key == "location":
            self.notes.append(f"{written} follows redirects; only the first request is captured")

    def option(self, name: str, written: str, arg: _Word) -> None:
        v = arg.value
        where = arg.where
        if name == "url":
            self.urls.append((self._url_text(arg), arg))
        elif name == "request":
            self.method = (arg.text(), arg)
        elif name == "header":
            if v.startswith(b"@"):
                raise CaptureError(f"{where}: {written} {arg.text()!r} reads headers from a file",
                                   hint="paste the headers as -H 'Name: value' options instead")
            self.headers.append((v, arg))
        elif name == "cookie":
            if b"=" in v:
                self.cookies.append(v)
            else:
                self.ignored.append(written)
                self.notes.append(f"{where}: {written} {arg.text()!r} names a cookie file, which "
                                  "is not read; paste the cookies as -b 'name=value'")
        elif name in _DATA_OPTS:
            if name == "data-urlencode":
                self.data.append((_urlencode_arg(v, name, arg), name))
                return
            if v.startswith(b"@") and name != "data-raw":
                raise CaptureError(f"{where}: {written} {arg.text()[:40]!r} reads the body from a "
                                   "file, which a capture cannot do",
                                   hint="paste the body instead, e.g. --data-binary '...' (or "
                                        "--data-raw, which never reads files)")
            self.data.append((v, name))
        elif name == "url-query":
            self.queries.append(v[1:] if v.startswith(b"+") else _urlencode_arg(v, name, arg))
        elif name == "user":
            self.flags["user"] = (v, arg)
        elif name == "oauth2-bearer":
            self.flags["bearer"] = arg.text()
        elif name == "user-agent":
            self.flags["user-agent"] = arg.text()
        elif name == "referer":
            ref = arg.text()
            self.flags["referer"] = ref[:-5] if ref.endswith(";auto") else ref
        elif name == "range":
            self.flags["range"] = arg.text()
        elif name in ("form", "form-string"):
            raise CaptureError(f"{where}: {written} builds a multipart body with a random boundary, "
                               "so the bytes curl sends cannot be known from the command",
                               hint="capture the request itself instead: curl -v --trace-ascii, a HAR "
                                    "export, or the raw HTTP printed by a proxy")
        elif name == "upload-file":
            raise CaptureError(f"{where}: {written} {arg.text()!r} uploads a file, which a capture "
                               "cannot read",
                               hint="paste the body with --data-binary '...' and -X PUT instead")
        elif name == "config":
            raise CaptureError(f"{where}: {written} {arg.text()!r} reads more options from a file",
                               hint="paste the options from that file into the command")
        else:
            self.ignored.append(written)
            if name == "aws-sigv4":
                self.notes.append(f"{where}: --aws-sigv4 makes curl sign the request itself; the "
                                  "Authorization and X-Amz-Date headers it computes are not in the "
                                  "captured request")
            elif name == "request-target":
                self.notes.append(f"{where}: --request-target changes the request line; the target "
                                  "of the captured request is taken from the URL")

    # ---- assembling the request -----------------------------------------------------------
    def finish(self) -> CaptureParse:
        notes = self.notes
        if self.flags.get("next"):
            notes.append("--next starts another request; only the first one was read")
        if not self.urls:
            raise CaptureError("the curl command has no URL",
                               hint="add the URL, e.g. curl 'https://host/path?query' ...")
        if len(self.urls) > 1:
            listed = ", ".join(f"{redact_url(u)!r} ({w.where})" for u, w in self.urls)
            raise CaptureError(f"the curl command has {len(self.urls)} URLs: {listed}; curl would send "
                               "one request per URL",
                               hint="keep one URL; if a word is the value of an unknown option, "
                                    "remove that option")
        url, uword = self.urls[0]
        url = self._fix_url(url, uword)

        data = b""
        for n, (piece, kind) in enumerate(self.data):
            data += (b"&" if n and kind != "json" else b"") + piece
        has_data = bool(self.data)
        get, head = self.flags.get("get", False), self.flags.get("head", False)
        queries = list(self.queries)
        if has_data and get:
            queries.append(data)
        if queries:
            base, path, query, frag = _url_parts(url)
            if frag:
                notes.append("the URL fragment was dropped when the query was extended")
            add = "&".join(_decode(q, "query data", notes) for q in queries)
            url = base + path + (query + "&" + add if query else "?" + add)
        send_body = has_data and not get
        if self.method is not None:
            method, mword = self.method
            if method != method.upper():
                notes.append(f"{mword.where}: curl sends the method {method!r} as written; it was "
                             "upper-cased, as servers compare methods case-sensitively")
        elif head:
            if send_body:
                raise CaptureError("the command asks for both HEAD (-I) and a POST body (-d)",
                                   hint="curl refuses this too; remove -I or the data, or add -G")
            method = "HEAD"
        else:
            method = "POST" if send_body else "GET"

        # custom headers (curl's rules for -H)
        custom: list[tuple[str, str]] = []
        named: set[str] = set()
        for raw, w in self.headers:
            line = _decode(raw, f"header at {w.where}", notes)
            colon = line.find(":")
            if colon < 0:
                semi = line.find(";")
                if semi > 0 and not line[semi + 1:].strip(_CURL_WS):
                    custom.append((line[:semi], ""))
                    named.add(line[:semi].lower())
                else:
                    notes.append(f"{w.where}: header {line[:40]!r} has no ':' and is not sent by curl")
                continue
            if colon == 0:
                notes.append(f"{w.where}: header {line[:40]!r} has no name and is not sent by curl")
                continue
            name, rest = line[:colon], line[colon + 1:]
            named.add(name.lower())
            if not rest.strip(_CURL_WS):
                notes.append(f"{w.where}: -H {line!r} removes curl's own {name} header; "
                             "nothing is sent for it")
                continue
            custom.append((name, rest[1:] if rest.startswith(" ") else rest))
        if any(kind == "json" for _, kind in self.data):
            for name, value in (("Content-Type", "application/json"), ("Accept", "application/json")):
                if name.lower() not in named:
                    custom.append((name, value))
                    named.add(name.lower())

        headers: list[tuple[str, str]] = []
        if "authorization" not in named:
            if "user" in self.flags:
                auth = self.flags.get("auth", "basic")
                user, uw = self.flags["user"]
                if auth == "basic":
                    if b":" not in user:
                        raise CaptureError(f"{uw.where}: -u gives a user name without a password, so "
                                           "curl would prompt for it",
                                           hint="write -u 'user:password'")
                    headers.append(("Authorization", "Basic " + base64.b64encode(user).decode()))
                else:
                    notes.append(f"--{auth} authentication is negotiated with the server; no "
                                 "Authorization header is in the captured request")
            elif "bearer" in self.flags:
                headers.append(("Authorization", "Bearer " + self.flags["bearer"]))
        if "range" in self.flags and "range" not in named:
            headers.append(("Range", "bytes=" + self.flags["range"]))
        if self.flags.get("user-agent") and "user-agent" not in named:
            headers.append(("User-Agent", self.flags["user-agent"]))
        if self.flags.get("referer") and "referer" not in named:
            headers.append(("Referer", self.flags["referer"]))
        if self.cookies and "cookie" not in named:
            headers.append(("Cookie", _decode(b";".join(self.cookies), "the -b cookies", notes)))
        headers += custom
        if send_body and "content-type" not in named:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            notes.append("curl adds Content-Type: application/x-www-form-urlencoded to data it "
                         "sends; it is part of the captured request")
        missing = [h for h in ("Host", "User-Agent", "Accept") if h.lower() not in named
                   and not (h == "User-Agent" and self.flags.get("user-agent"))]
        if missing:
            notes.append("curl also sends " + ", ".join(missing) + " (and Content-Length) itself; "
                         "they are not in the captured headers")
        for k, v in headers:
            if any(c in v for c in "\r\n\x00"):
                raise CaptureError(f"the value of header {k!r} contains a line break or NUL",
                                   hint="a header value is one line; fix the -H option")
        try:
            req = HttpRequest.build(method, url, headers, data if send_body else b"")
        except RequestError as e:
            raise CaptureError(f"the curl command does not describe a valid request: {e.message}",
                               hint=e.hint or "fix the URL, method or header named above") from None
        return CaptureParse(req, tuple(self.ignored), tuple(dict.fromkeys(notes)), "curl")

    def _fix_url(self, url: str, w: _Word) -> str:
        notes = self.notes
        if not self.flags.get("globoff"):
            out, k = [], 0
            glob = False
            while k < len(url):
                c = url[k]
                if c == "\\" and k + 1 < len(url) and url[k + 1] in "[]{}":
                    out.append(url[k + 1])
                    k += 2
                    continue
                if c == "{" or (c == "[" and not re.match(r"\[[0-9A-Fa-f.%a-z]*:[0-9A-Fa-f:.%a-z]*\]", url[k:])):
                    glob = True
                out.append(c)
                k += 1
            url = "".join(out)
            if glob:
                notes.append(f"{w.where}: the URL contains [ ] or {{ }}, which curl expands as a "
                             "glob pattern; they were kept literally (add -g to make curl do the same)")
        if "://" not in url.split("?", 1)[0]:
            notes.append(f"{w.where}: the URL has no scheme; curl assumes http://")
            url = "http://" + url
        if not self.flags.get("path-as-is"):
            base, path, query, frag = _url_parts(url)
            clean = _remove_dot_segments(path)
            if clean != path:
                notes.append(f"{w.where}: curl removes the dot segments of the path "
                             f"({path!r} is sent as {clean!r}; --path-as-is keeps them)")
                url = base + clean + query + frag
        _, _, _, frag = _url_parts(url)
        if frag:
            notes.append(f"{w.where}: the URL fragment {frag[:30]!r} is not sent")
        if " " in url:
            notes.append(f"{w.where}: the URL contains spaces; curl percent-encodes them or refuses "
                         "the URL, so the sent target may differ")
        return url


# ============================================================================================
# to_curl
# ============================================================================================
_SAFE_SQ = re.compile(r"^[\x20-\x26\x28-\x7e\u00a0-\U0010ffff]*$")


def _sh_quote(value: str | bytes) -> str:
    """Quote for bash: ``'…'`` when possible, else ``$'…'`` with escapes (exact bytes)."""
    if isinstance(value, str):
        if _SAFE_SQ.match(value) and not any(0xD800 <= ord(c) <= 0xDFFF or 0x80 <= ord(c) < 0xA0
                                             for c in value):
            return "'" + value + "'"
        data = value.encode("utf-8", "surrogatepass")
    else:
        data = value
        try:
            text = data.decode("utf-8")
            if _SAFE_SQ.match(text) and not any(0x80 <= ord(c) < 0xA0 for c in text):
                return "'" + text + "'"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        text, utf8 = data.decode("latin-1"), False
    out = []
    for c in text:
        o = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif o < 0x80:
            out.append(c)
        elif not utf8:
            out.append(f"\\x{o:02x}")
        elif o < 0xA0:
            out.append("".join(f"\\x{b:02x}" for b in c.encode("utf-8")))
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


def _scrubbed(body: bytes) -> bytes:
    """A text body with its secret fields masked (core.redact.scrub); binary bodies as they are."""
    try:
        return scrub(body.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return body


def to_curl(req: HttpRequest, *, redact: bool = False) -> str:
    """A bash curl command that sends exactly ``req``: ``from_curl(to_curl(req)) == req``.

    Secrets are kept (the command is for re-sending); ``redact=True`` masks tokens, cookies and
    credentials for sharing.

        >>> print(to_curl(HttpRequest.build("PUT", "https://h/k", [("x-a", "1")], b"hi")))
        curl 'https://h/k' \\
          -X 'PUT' \\
          -H 'x-a: 1' \\
          -H 'Content-Type:' \\
          --data-binary 'hi'
    """
    if not isinstance(req, HttpRequest):
        raise CaptureError(f"to_curl takes an HttpRequest, not {type(req).__name__}",
                           hint="build one with ik.HttpRequest.build(method, url, headers, body)")
    url = redact_url(req.url) if redact else req.url
    headers = redact_headers(req.headers) if redact else list(req.headers)
    parts = ["curl " + _sh_quote(url)]
    _, path, _, _ = _url_parts(url)
    if any(c in url for c in "[]{}\\"):
        parts.append("--globoff")
    if _remove_dot_segments(path) != path:
        parts.append("--path-as-is")
    has_body = bool(req.body)
    if req.method == "HEAD" and not has_body:
        parts.append("--head")
    elif req.method != ("POST" if has_body else "GET"):
        parts.append("-X " + _sh_quote(req.method))
    for k, v in headers:
        if v == "":
            parts.append("-H " + _sh_quote(k + ";"))
        elif not v.strip(_CURL_WS):
            raise CaptureError(f"header {k!r} has a value of only white space, which curl cannot send",
                               hint="curl drops such a header; give it a value or remove it")
        else:
            parts.append("-H " + _sh_quote(f"{k}: {v}"))
    if has_body:
        if not req.has_header("content-type"):
            parts.append("-H 'Content-Type:'")          # stop curl adding its form type
        # --data-binary would read a file for a body starting with '@'; --data-raw never does
        opt = "--data-raw " if req.body.startswith(b"@") else "--data-binary "
        parts.append(opt + _sh_quote(_scrubbed(req.body) if redact else req.body))
    return " \\\n  ".join(parts)
