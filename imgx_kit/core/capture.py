"""Import a request exactly as it was sent: curl commands, raw HTTP, HAR files, ``requests``.

Every capture yields an :class:`~imgx_kit.HttpRequest` that keeps the wire form: header order
and duplicates, raw path and query, body bytes. The ``parse_*`` functions also say what was
left out (flags that do not change the request) and what curl or the browser would have done
differently (notes)::

    >>> from imgx_kit.core import capture
    >>> p = capture.parse_curl("curl -sL 'https://example.com/a?b=1' -H 'x-a: 1' --data-raw 'k=v'")
    >>> p.request.method, p.request.url, p.request.headers, p.request.body
    ('POST', 'https://example.com/a?b=1', (('x-a', '1'), ('Content-Type', 'application/x-www-form-urlencoded')), b'k=v')
    >>> p.ignored_flags
    ('-s', '-L')
    >>> capture.from_curl(capture.to_curl(p.request)) == p.request
    True

Standard library only; ``requests`` is imported inside :func:`from_prepared`.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote_plus

from .errors import CaptureError, RequestError
from .redact import redact_headers, redact_url
from .text import LONE_SURROGATE
from .request import HttpRequest

__all__ = ["CaptureParse", "CurlParse", "parse_curl", "from_curl", "to_curl", "parse_raw_http",
           "from_raw_http", "parse_har", "from_har", "har_entries", "from_prepared"]

_CURL_WS = " \t\n\v\f\r"          # curl's ISSPACE


# ============================================================================================
# result type
# ============================================================================================
@dataclass(frozen=True)
class CaptureParse:
    """A captured request plus what the parser left out (``ignored_flags``) and noticed (``notes``).

        >>> p = parse_curl("curl -k https://h/")
        >>> p.request.url, p.ignored_flags, p.source
        ('https://h/', ('-k',), 'curl')
    """

    request: HttpRequest
    ignored_flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = "curl"

    def __repr__(self) -> str:
        notes = "".join(f"\n  note: {n}" for n in self.notes)
        return (f"CaptureParse(source={self.source!r}, request={self.request!r}, "
                f"ignored_flags={self.ignored_flags!r}){notes}")

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        ign = html.escape(" ".join(self.ignored_flags)) or "none"
        return (f"<div><b>captured from {html.escape(self.source)}</b>"
                f"{self.request._repr_html_()}<div>ignored flags: <code>{ign}</code></div>"
                + (f"<ul>{items}</ul>" if items else "") + "</div>")


#: the name used for the result of :func:`parse_curl` (same type as every other capture)
CurlParse = CaptureParse


# ============================================================================================
# shell words (bash and Windows cmd)
# ============================================================================================
@dataclass(frozen=True)
class _Word:
    value: bytes
    line: int
    col: int

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.col}"

    def text(self) -> str:
        try:
            return self.value.decode("utf-8")
        except UnicodeDecodeError:
            return self.value.decode("latin-1")


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _b(text: str) -> bytes:
    """The bytes of command text; U+DC80–U+DCFF stand for the undecodable bytes of a command
    that was given as bytes (``surrogateescape``)."""
    return text.encode("utf-8", "surrogateescape")


def _lone_surrogate(text: str, *, escaped_bytes: bool = False) -> int | None:
    """Where ``text`` first holds half of a UTF-16 surrogate pair, or ``None``. With
    ``escaped_bytes``, U+DC80–U+DCFF are undecodable input bytes (see :func:`_b`), not halves."""
    for m in LONE_SURROGATE.finditer(text):
        if not (escaped_bytes and "\udc80" <= m.group() <= "\udcff"):
            return m.start()
    return None


def _refuse_lone_surrogate(text: str, what: str) -> None:
    """Refuse command or raw HTTP text holding half a character: it has no bytes to send."""
    pos = _lone_surrogate(text, escaped_bytes=True)
    if pos is not None:
        line, col = _line_col(text, pos)
        raise CaptureError(f"{what}: line {line}, column {col} holds a lone surrogate "
                           f"(U+{ord(text[pos]):04X}), half of a character, which has no UTF-8 bytes",
                           hint="the text was cut in the middle of a character (an emoji?); copy it "
                                "again in full, or remove that character")


_ANSI_SIMPLE = {"a": b"\a", "b": b"\b", "e": b"\x1b", "E": b"\x1b", "f": b"\f", "n": b"\n",
                "r": b"\r", "t": b"\t", "v": b"\v", "\\": b"\\", "'": b"'", '"': b'"', "?": b"?"}
_HEX = "0123456789abcdefABCDEF"


def _ansi_c(text: str, i: int, out: bytearray) -> int:
    """Decode a bash ``$'…'`` string starting after ``$'``; return the index after the closing quote."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            return i + 1
        if c != "\\" or i + 1 >= n:
            out += _b(c)
            i += 1
            continue
        e = text[i + 1]
        if e in _ANSI_SIMPLE:
            out += _ANSI_SIMPLE[e]
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(int(text[i + 1:j], 8) & 0xFF)
            i = j
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            j = i + 2
            while j < n and j < i + 2 + width and text[j] in _HEX:
                j += 1
            if j == i + 2:                    # no digits: kept as written
                out += _b("\\" + e)
            elif e == "x":
                out.append(int(text[i + 2:j], 16))
            else:
                cp = int(text[i + 2:j], 16)
                out += chr(cp).encode("utf-8", "surrogatepass") if cp < 0x110000 else _utf8_beyond(cp)
            i = j
        elif e == "c" and i + 2 < n:
            out.append(ord(text[i + 2].upper()) & 0x1F)
            i += 3
        else:
            out += _b("\\" + e)
            i += 2
    raise _Unterminated("$'")


def _utf8_beyond(cp: int) -> bytes:
    """What bash writes for ``\\U`` past U+10FFFF: the 4–6 byte forms of the original UTF-8
    (RFC 2279); nothing from U+80000000 up."""
    if cp >= 0x80000000:
        return b""
    n = 4 if cp < 1 << 21 else 5 if cp < 1 << 26 else 6
    lead = (0xF0, 0xF8, 0xFC)[n - 4] | cp >> 6 * (n - 1)
    return bytes([lead] + [0x80 | (cp >> 6 * i) & 0x3F for i in range(n - 2, -1, -1)])


class _Unterminated(Exception):
    pass


_EXPANSION = re.compile(r"\$(\{[^}]*\}|\([^)]*\)?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")


def _bash_words(text: str) -> tuple[list[_Word], list[str]]:
    """Split ``text`` into words as bash would (quotes, ``$'…'``, backslash-newline)."""
    words: list[_Word] = []
    notes: list[str] = []
    n = len(text)
    i = 0
    cur: bytearray | None = None
    start = 0

    def finish() -> None:
        nonlocal cur
        if cur is not None:
            words.append(_Word(bytes(cur), *_line_col(text, start)))
            cur = None

    def begin(pos: int) -> bytearray:
        nonlocal cur, start
        if cur is None:
            cur = bytearray()
            start = pos
        return cur

    def expansion_note(pos: int) -> None:
        m = _EXPANSION.match(text, pos)
        if m:
            line, col = _line_col(text, pos)
            notes.append(f"line {line}, column {col}: shell expansion {m.group(0)!r} was not "
                         "performed; it is kept literally (replace it with its value)")

    while i < n:
        c = text[i]
        if c == "\\":
            if text.startswith("\n", i + 1) or text.startswith("\r\n", i + 1):
                i += 2 if text[i + 1] == "\n" else 3        # line continuation
                continue
            if i + 1 < n:
                begin(i).extend(_b(text[i + 1]))
                i += 2
            else:
                begin(i).extend(b"\\")
                i += 1
            continue
        if c in " \t\r\n":
            finish()
            if c == "\n":
                rest = text[i + 1:].lstrip()
                if rest.startswith("curl ") and words:
                    line, _ = _line_col(text, i + 1)
                    notes.append(f"text after line {line - 1} starts another command; only the "
                                 "first command was read")
                    return words, notes
            i += 1
            continue
        if c == "#" and cur is None:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                line, col = _line_col(text, i)
                raise CaptureError(f"unterminated single quote opened at line {line}, column {col}",
                                   hint="close the quote, or copy the command again in full")
            begin(i).extend(_b(text[i + 1:j]))
            i = j + 1
            continue
        if c == "$" and text.startswith("'", i + 1):
            try:
                i = _ansi_c(text, i + 2, begin(i))
            except _Unterminated:
                line, col = _line_col(text, i)
                raise CaptureError(f"unterminated $'…' string opened at line {line}, column {col}",
                                   hint="close the quote, or copy the command again in full") from None
            continue
        if c == '"' or (c == "$" and text.startswith('"', i + 1)):
            opened = i
            i += 2 if c == "$" else 1
            buf = begin(opened)
            while True:
                if i >= n:
                    line, col = _line_col(text, opened)
                    raise CaptureError(f"unterminated double quote opened at line {line}, "
                                       f"column {col}",
                                       hint="close the quote, or copy the command again in full")
                d = text[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        buf.extend(_b(text[i + 1]))
                    i += 2
                    continue
                if d in "$`":
                    expansion_note(i) if d == "$" else notes.append(
                        "a backtick command substitution was not performed; kept literally")
                buf.extend(_b(d))
                i += 1
            continue
        if c in "|;&":
            finish()
            rest = text[i:].strip()
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: shell text after {c!r} ({rest[:40]!r}) "
                         "is not part of the curl command and was ignored")
            return words, notes
        if c in "<>":
            if cur is not None and cur.isdigit():          # 2>&1, 1> file
                cur = None
            j = i + 1
            while j < n and text[j] in ">&":
                j += 1
            while j < n and text[j] in " \t":
                j += 1
            while j < n and text[j] not in " \t\r\n":       # the redirection target
                j += 1
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: shell redirection {text[i:j]!r} ignored")
            finish()
            i = j
            continue
        if c == "$":
            expansion_note(i)
        if c == "`":
            notes.append("a backtick command substitution was not performed; kept literally")
        begin(i).extend(_b(c))
        i += 1
    finish()
    return words, notes


def _cmd_words(text: str) -> tuple[list[_Word], list[str]]:
    """Split a Windows ``cmd.exe`` command line: caret escapes, then the MS C runtime rules."""
    notes: list[str] = []
    chars: list[str] = []
    where: list[int] = []
    in_q = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            in_q = not in_q
        elif c == "^" and not in_q:
            if text.startswith("\r\n", i + 1) or text.startswith("\n", i + 1):
                i += 3 if text[i + 1] == "\r" else 2           # continuation
                if i < n:                                      # next char is taken literally
                    chars.append(text[i])
                    where.append(i)
                    i += 1
                continue
            if i + 1 < n:
                chars.append(text[i + 1])
                where.append(i + 1)
                i += 2
                continue
        elif c in "\r\n" and not in_q:
            rest = text[i:].strip()
            if rest:
                notes.append("text after the first line (no ^ continuation) was ignored")
            break
        elif c in "&|<>" and not in_q:
            # outside cmd quotes an unescaped & | < > ends or redirects the command in cmd.exe;
            # the copied command meant it literally, so keep it and say so
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: cmd.exe would treat the unescaped {c!r} as a command "
                         f"separator or redirection; kept it as part of the argument, as the copied text meant")
        chars.append(c)
        where.append(i)
        i += 1
    if in_q:
        pass   # the C runtime treats an unterminated quote as running to the end; curl agrees
    s = "".join(chars)
    words: list[_Word] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        buf: list[str] = []
        quoted = False
        opened = i
        while i < n:
            c = s[i]
            if c == "\\":
                j = i
                while j < n and s[j] == "\\":
                    j += 1
                count = j - i
                if j < n and s[j] == '"':
                    buf.append("\\" * (count // 2))
                    if count % 2:
                        buf.append('"')
                        i = j + 1
                    else:
                        i = j
                    continue
                buf.append("\\" * count)
                i = j
                continue
            if c == '"':
                if quoted and i + 1 < n and s[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                quoted = not quoted
                opened = i
                i += 1
                continue
            if c in " \t\r\n" and not quoted:
                break
            buf.append(c)
            i += 1
        if quoted:
            line, col = _line_col(text, where[opened])
            raise CaptureError(f"unterminated double quote opened at line {line}, column {col}",
                               hint="close the quote, or copy the command again in full")
        line, col = _line_col(text, where[start])
        value = "".join(buf)
        if re.search(r"%[A-Za-z_][A-Za-z0-9_]*%", value):
            notes.append(f"line {line}, column {col}: %VARIABLE% expansion was not performed")
        words.append(_Word(_b(value), line, col))
    return words, notes


def _looks_like_cmd(text: str) -> bool:
    return bool(re.search(r'\^"|\^\r?\n', text)) and not re.search(r"\\\r?\n", text)


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
""".split())
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
""".split())
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
        elif inp.startswith("./"):
            inp = inp[2:]
        elif inp.startswith("/./"):
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


def _decode(value: bytes, what: str, notes: list[str]) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{what} is not valid UTF-8; its bytes were read as Latin-1")
        return value.decode("latin-1")


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
                    name = _SHORT.get(letter)
                    if name is None:
                        self.ignored.append("-" + letter)
                        self.notes.append(f"{w.where}: -{letter} is not a curl option; ignored")
                        j += 1
                        continue
                    if name in _WITH_ARG:
                        rest = w.value[len(t[:j + 1].encode("utf-8")):]
                        if rest:
                            self.option(name, "-" + letter, _Word(rest, w.line, w.col + j + 1))
                            i += 1
                        else:
                            if i + 1 >= len(words):
                                raise CaptureError(f"{w.where}: option -{letter} needs a value and "
                                                   "none follows",
                                                   hint=f"give it a value or remove -{letter}")
                            self.option(name, "-" + letter, words[i + 1])
                            i += 2
                        break
                    self.switch(name, "-" + letter)
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
            return "".join(chr(b) if b < 0x80 else "%%%02x" % b for b in w.value)

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
                                   hint=f"paste the body instead, e.g. --data-binary '...' (or "
                                        f"--data-raw, which never reads files)")
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
        for k, (piece, kind) in enumerate(self.data):
            data += (b"&" if k and kind != "json" else b"") + piece
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
            out.append("\\x%02x" % o)
        elif o < 0x80:
            out.append(c)
        elif not utf8:
            out.append("\\x%02x" % o)
        elif o < 0xA0:
            out.append("".join("\\x%02x" % b for b in c.encode("utf-8")))
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


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
        parts.append(opt + _sh_quote(req.body))
    return " \\\n  ".join(parts)


# ============================================================================================
# raw HTTP (curl -v, proxies, scripts)
# ============================================================================================
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s/?#@\[\]:]+)(:[0-9]*)?")


def _digits(value: str) -> int | None:
    """A header value that is a plain decimal number (ASCII digits only), else ``None``."""
    v = value.strip()
    return int(v) if v.isascii() and v.isdigit() else None


def _body_arg(body: Any) -> bytes | None:
    """The ``body=`` of :func:`parse_raw_http` as bytes (text is encoded as UTF-8)."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        return None if body is None else bytes(body)
    if not isinstance(body, str):
        raise CaptureError(f"body= must be bytes or str, not {type(body).__name__}",
                           hint="pass the body's bytes, e.g. open(path, 'rb').read()")
    _whole_characters(body, "body=", "the text was cut in the middle of a character; pass the body's bytes")
    return body.encode("utf-8")


def _whole_characters(text: str, what: str, hint: str) -> None:
    """Refuse text holding half a character (a lone surrogate), saying where: it has no bytes."""
    pos = _lone_surrogate(text)
    if pos is not None:
        raise CaptureError(f"{what} holds a lone surrogate (U+{ord(text[pos]):04X}) at character {pos} of "
                           f"{len(text)}, half of a character, which has no UTF-8 bytes", hint=hint)


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    """The content of a ``Transfer-Encoding: chunked`` body, and whether trailer fields followed."""
    out, i = bytearray(), 0
    while True:
        j = data.find(b"\n", i)
        if j < 0:
            raise CaptureError(f"the chunked body ends at byte {i} without its last (size 0) chunk",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        size = data[i:j].rstrip(b"\r").split(b";", 1)[0].strip(b" \t")
        if not re.fullmatch(rb"[0-9A-Fa-f]+", size):
            raise CaptureError(f"the chunked body has {size[:20].decode('utf-8', 'replace')!r} at byte {i} "
                               "where a hex chunk size line should be",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        n, i = int(size, 16), j + 1
        if n == 0:
            return bytes(out), bool(data[i:].strip(b"\r\n"))
        end = i + n
        if data[end:end + 2] != b"\r\n" and data[end:end + 1] != b"\n":
            raise CaptureError(f"the chunk of {n} bytes at byte {i} is cut off or not followed by a "
                               "line break",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        out += data[i:end]
        i = end + (2 if data[end:end + 2] == b"\r\n" else 1)


_REQUEST_LINE = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]+(\S.*?)(?:[ \t]+(HTTP/\S+))?[ \t]*$")


def parse_raw_http(text: str | bytes, *, scheme: str | None = None,
                   body: bytes | str | None = None) -> CaptureParse:
    """Parse a request printed as HTTP/1.x text: ``curl -v`` (``> `` lines), a proxy, a script.

    The URL is built from an absolute-form target or from the Host header and ``scheme``
    (default ``https``; with ``curl -v`` output it is read from the connection lines). ``curl -v``
    does not print the body: pass it as ``body=``.

        >>> p = parse_raw_http("POST /x?a=1 HTTP/1.1\\r\\nHost: h:8080\\r\\nX-A: 1\\r\\n\\r\\nhi")
        >>> p.request.url, p.request.headers, p.request.body
        ('https://h:8080/x?a=1', (('Host', 'h:8080'), ('X-A', '1')), b'hi')
    """
    notes: list[str] = []
    if isinstance(text, str):
        _refuse_lone_surrogate(text, "the raw request")
        data = _b(text)
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise CaptureError(f"parse_raw_http takes text or bytes, not {type(text).__name__}",
                           hint="pass the request as printed, e.g. open(path, 'rb').read()")
    if scheme not in (None, "http", "https"):
        raise CaptureError(f"scheme={scheme!r} is not 'http' or 'https'",
                           hint="pass scheme='http' or scheme='https' (the default)")
    given_body = _body_arg(body)
    lines = data.split(b"\n")
    verbose = any(ln.startswith((b"> ", b"* ", b"< ")) or ln.rstrip(b"\r") == b">" for ln in lines)
    head: list[tuple[int, str]] = []
    raw_body = b""
    if verbose:
        tls = any(re.match(rb"\* .*(SSL|TLS|ALPN)", ln) for ln in lines)
        port = next((m.group(1) for ln in lines
                     if (m := re.match(rb"\* +(?:Connected to|Trying) .*?port (\d+)", ln))), None)
        if scheme is None and (tls or port):
            scheme = "https" if tls or port == b"443" else "http"
            notes.append(f"scheme {scheme} read from the curl -v connection lines")
        started = False
        for no, ln in enumerate(lines, 1):
            s = ln.rstrip(b"\r")
            if s.startswith(b"> ") or s == b">":
                content = s[2:]
                if not content and started:
                    break
                if content:
                    started = True
                    head.append((no, _decode(content, f"line {no}", notes)))
            elif started and not s.startswith((b"* ", b"} ", b"{ ")):
                break
        notes.append("curl -v does not print the request body; pass body=... if there was one")
        if given_body is not None:
            raw_body = given_body
    else:
        # skip blank lines before the request line
        offset = len(data) - len(data.lstrip(b"\r\n"))
        first_no = data.count(b"\n", 0, offset) + 1
        m = re.compile(rb"\r?\n\r?\n").search(data, offset)
        if m:
            head_bytes, raw_body = data[offset:m.start()], data[m.end():]
        else:
            head_bytes, raw_body = data[offset:], b""
        for k, ln in enumerate(head_bytes.split(b"\n")):
            head.append((first_no + k, _decode(ln.rstrip(b"\r"), f"line {first_no + k}", notes)))
        if given_body is not None:
            raw_body = given_body
    if not head or not head[0][1].strip():
        raise CaptureError("no request line found",
                           hint="the text should start with a line like 'GET /path HTTP/1.1' "
                                "(curl -v prints it after '> ')")
    no, first = head[0]
    m = _REQUEST_LINE.match(first)
    if not m:
        raise CaptureError(f"line {no}: {first[:60]!r} is not a request line",
                           hint="a request line looks like 'GET /path?query HTTP/1.1'")
    method, target, version = m.group(1), m.group(2), m.group(3)
    if version is None:
        raise CaptureError(f"line {no}: the request line {first[:60]!r} has no HTTP version",
                           hint="end it with the protocol, e.g. 'GET /path HTTP/1.1'; HTTP/0.9 "
                                "requests carry no headers and cannot be signed")
    if " " in target:
        notes.append(f"line {no}: the request target contains spaces; kept as written")
    headers: list[tuple[str, str]] = []
    for no, ln in head[1:]:
        if ln[:1] in (" ", "\t") and headers:
            k, v = headers[-1]
            headers[-1] = (k, v + " " + ln.strip(" \t"))
            notes.append(f"line {no}: obsolete folded header line joined to {k}")
            continue
        name, sep, value = ln.partition(":")
        if not sep or not name or name != name.strip():
            raise CaptureError(f"line {no}: {ln[:60]!r} is not a 'Name: value' header line",
                               hint="every line between the request line and the blank line must "
                                    "be a header; put the body after one empty line")
        headers.append((name, value[1:] if value.startswith(" ") else value))
    hosts = [v for k, v in headers if k.lower() == "host"]
    if len(hosts) > 1:
        raise CaptureError(f"the request has {len(hosts)} Host headers ({', '.join(map(repr, hosts))[:80]})",
                           hint="an HTTP/1.1 request has exactly one Host header; keep the one it was sent with")
    host = hosts[0] if hosts else None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target):
        url = target
    elif method.upper() == "CONNECT":
        raise CaptureError(f"line {head[0][0]}: CONNECT opens a tunnel and is not a request to sign",
                           hint="capture the request sent inside the tunnel instead")
    elif target == "*":
        raise CaptureError("the target '*' (server-wide OPTIONS) cannot be turned into a URL",
                           hint="capture a request to a resource path")
    else:
        if not host:
            raise CaptureError("the request has a relative target and no Host header, so the URL "
                               "is unknown",
                               hint="add a 'Host: name' header line, or write an absolute URL as "
                                    "the target")
        if not target.startswith("/"):
            raise CaptureError(f"line {head[0][0]}: the target {target[:40]!r} does not start with '/'",
                               hint="use an origin-form target such as '/path?query'")
        if not _HOST_PORT.fullmatch(host.strip()):
            raise CaptureError(f"the Host header {host.strip()[:60]!r} is not host[:port]",
                               hint="the Host header names the server and port only, e.g. 'Host: "
                                    "example.com:8080'; the path and query belong in the request line")
        url = f"{scheme or 'https'}://{host.strip()}{target}"
    clen = next((v for k, v in headers if k.lower() == "content-length"), None)
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    if chunked and given_body is None and not verbose:
        raw_body, trailers = _dechunk(raw_body)
        notes.append("the chunked transfer coding was decoded: the body is the chunks' content"
                     + ("; the trailer fields after the last chunk were dropped" if trailers else ""))
    elif clen is not None and _digits(clen) is None:
        notes.append(f"Content-Length {clen.strip()[:30]!r} is not a number; the body was kept as written")
    elif clen is not None and not verbose:
        n = _digits(clen)
        if len(raw_body) > n and not raw_body[n:].strip(b"\r\n"):
            notes.append(f"{len(raw_body) - n} trailing line-break byte(s) after the "
                         f"{n}-byte body (Content-Length) were dropped")
            raw_body = raw_body[:n]
        elif len(raw_body) != n:
            notes.append(f"the body has {len(raw_body)} bytes but Content-Length says {n}; "
                         "the body was kept as written")
    try:
        req = HttpRequest.build(method, url, headers, raw_body)
    except RequestError as e:
        raise CaptureError(f"the raw request is not valid: {e.message}",
                           hint=e.hint or "fix the request line or the header named above") from None
    return CaptureParse(req, (), tuple(dict.fromkeys(notes)), "curl -v" if verbose else "raw HTTP")


def from_raw_http(text: str | bytes, *, scheme: str | None = None,
                  body: bytes | str | None = None) -> HttpRequest:
    """The request in raw HTTP text; see :func:`parse_raw_http`.

        >>> from_raw_http("GET /a HTTP/1.1\\nHost: h\\n\\n", scheme="http").url
        'http://h/a'
    """
    return parse_raw_http(text, scheme=scheme, body=body).request


# ============================================================================================
# HAR 1.2 (Chrome, Firefox)
# ============================================================================================
def _load_har(har: Any) -> dict:
    if isinstance(har, dict):
        return har
    try:
        if isinstance(har, (bytes, bytearray)):
            har = bytes(har).decode("utf-8-sig")
        if isinstance(har, os.PathLike) or (isinstance(har, str) and not har.lstrip().startswith(("{", "["))):
            if not _is_file(har):
                raise CaptureError(f"{str(har)[:80]!r} is neither HAR JSON nor an existing file",
                                   hint="pass the HAR as a dict, its JSON text, or the path of the .har file")
            har = Path(har).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise CaptureError(f"the HAR is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})",
                           hint="export it again: a HAR file is UTF-8 JSON") from None
    except OSError as e:
        raise CaptureError(f"the HAR file {str(har)[:80]!r} cannot be read: {e.strerror or e}",
                           hint="check the path and the file's permissions") from None
    if not isinstance(har, str):
        raise CaptureError(f"from_har takes a dict, JSON text or a path, not {type(har).__name__}",
                           hint="e.g. from_har('session.har', url_contains='ApplyImageUpload')")
    try:
        doc = json.loads(har)
    except json.JSONDecodeError as e:
        raise CaptureError(f"the HAR is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
                           hint="export it again (Network panel → Save all as HAR / Export HAR)") from None
    if not isinstance(doc, dict):
        raise CaptureError("the HAR JSON is not an object with a 'log'",
                           hint="a HAR file looks like {\"log\": {\"entries\": [...]}}")
    return doc


def _is_file(path: Any) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):          # a name too long for the file system, a NUL …
        return False


def _entries(doc: dict) -> list:
    log = doc.get("log")
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CaptureError("the HAR has no log.entries list",
                           hint="a HAR file looks like {\"log\": {\"entries\": [...]}}; export it again")
    if not entries:
        raise CaptureError("the HAR has no entries (no requests were recorded)",
                           hint="open the Network panel first, make the request, then export the HAR")
    return entries


def _request_of(entry: Any) -> dict:
    """The ``request`` object of a HAR entry, or ``{}`` when it has none."""
    req = entry.get("request") if isinstance(entry, dict) else None
    return req if isinstance(req, dict) else {}


def _describe(k: int, entry: Any) -> str:
    req = _request_of(entry)
    url = redact_url(str(req.get("url", "?"))).encode("utf-8", "backslashreplace").decode("utf-8")
    resp = entry.get("response") if isinstance(entry, dict) else None
    status = resp.get("status") if isinstance(resp, dict) else None
    short = url if len(url) <= 100 else url[:97] + "…"
    return f"[{k}] {str(req.get('method', '?'))[:20]} {short}" + (f" → {status}" if status else "")


def har_entries(har: Any) -> list[str]:
    """One line per entry of a HAR (index, method, URL with tokens masked, status).

        >>> har_entries({"log": {"entries": [{"request": {"method": "GET", "url": "https://h/"},
        ...                                   "response": {"status": 200}}]}})
        ['[0] GET https://h/ → 200']
    """
    return [_describe(k, e) for k, e in enumerate(_entries(_load_har(har)))]


def _listing(pairs: Iterable[tuple[int, Any]], limit: int = 25) -> str:
    pairs = list(pairs)
    lines = [_describe(k, e) for k, e in pairs[:limit]]
    if len(pairs) > limit:
        lines.append(f"… and {len(pairs) - limit} more")
    return "\n  " + "\n  ".join(lines)


def parse_har(har: Any, index: int | None = None, url_contains: str | None = None) -> CaptureParse:
    """Read one request of a Chrome or Firefox HAR 1.2 export (dict, JSON text or path).

    The entry is chosen by ``index`` and/or ``url_contains`` (``index`` then counts among the
    matches); a HAR with one entry needs neither. HTTP/2 pseudo-headers are skipped.

        >>> har = {"log": {"entries": [{"request": {"method": "POST", "url": "https://h/a",
        ...        "headers": [{"name": ":authority", "value": "h"}, {"name": "x-a", "value": "1"}],
        ...        "postData": {"mimeType": "text/plain", "text": "hi"}}}]}}
        >>> r = parse_har(har).request
        >>> r.headers, r.body
        ((('x-a', '1'),), b'hi')
    """
    if url_contains is not None and not isinstance(url_contains, str):
        raise CaptureError(f"url_contains must be a str, not {type(url_contains).__name__}",
                           hint="e.g. url_contains='ApplyImageUpload'")
    entries = _entries(_load_har(har))
    candidates = list(enumerate(entries))
    if url_contains is not None:
        candidates = [(k, e) for k, e in candidates if url_contains in str(_request_of(e).get("url", ""))]
        if not candidates:
            raise CaptureError(f"no HAR entry has a URL containing {url_contains!r}; the entries are:"
                               + _listing(enumerate(entries)),
                               hint="pass another url_contains, or index=N")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise CaptureError(f"index must be an int, not {type(index).__name__}",
                               hint="e.g. index=0 (the first entry; har_entries(har) lists them)")
        if not -len(candidates) <= index < len(candidates):
            what = f"entries matching {url_contains!r}" if url_contains is not None else "entries"
            raise CaptureError(f"index {index} is out of range: the HAR has {len(candidates)} {what}:"
                               + _listing(candidates),
                               hint="pick an index from the list")
        k, entry = candidates[index]
    elif len(candidates) == 1:
        k, entry = candidates[0]
    else:
        what = f"{len(candidates)} entries match {url_contains!r}" if url_contains is not None \
            else f"the HAR has {len(candidates)} entries"
        raise CaptureError(f"{what}; say which one:" + _listing(candidates),
                           hint="pass index=N and/or url_contains='part of the URL'")
    return _har_request(k, entry)


def from_har(har: Any, index: int | None = None, url_contains: str | None = None) -> HttpRequest:
    """The request of one HAR entry; see :func:`parse_har`.

        >>> from_har('{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/x"}}]}}').url
        'https://h/x'
    """
    return parse_har(har, index=index, url_contains=url_contains).request


def _declared_length(headers: list[tuple[str, str]]) -> int | None:
    """The Content-Length the request declared, if it is a plain number."""
    for name, value in headers:
        if name.lower() == "content-length" and _digits(value) is not None:
            return _digits(value)
    return None


def _har_str(k: int, obj: dict, key: str, what: str, default: str | None = None) -> str:
    """A string field of HAR entry ``k`` (``default`` when absent): a JSON string, whole characters."""
    if key not in obj and default is not None:
        return default
    value = obj.get(key)
    if not isinstance(value, str):
        raise CaptureError(f"HAR entry {k}: {what} is {type(value).__name__} {value!r:.40}, not a string",
                           hint="export the HAR again; HAR 1.2 writes it as a JSON string")
    # a browser cuts long bodies, sometimes between the two halves of an emoji: the half has
    # no bytes, so any reading of it would be a guess; say where it is instead
    _whole_characters(value, f"HAR entry {k}: {what}", "the browser cut the text in the middle of a character "
                      "(a truncated body?); export the HAR again with full content, or fix that character")
    return value


def _har_pairs(k: int, obj: dict, key: str, what: str) -> list[tuple[str, str]]:
    """The ``[{name, value}, …]`` list ``key`` of HAR entry ``k`` (headers, cookies, params)."""
    items = obj.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise CaptureError(f"HAR entry {k}: {what} is {type(items).__name__} {items!r:.40}, not a list of "
                           "{name, value} objects", hint="export the HAR again")
    pairs = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or "name" not in item:
            raise CaptureError(f"HAR entry {k}: {what}[{n}] is not a {{name, value}} object: {item!r:.60}",
                               hint="export the HAR again")
        pairs.append((_har_str(k, item, "name", f"{what}[{n}].name"),
                      _har_str(k, item, "value", f"{what}[{n}].value", "")))
    return pairs


def _har_request(k: int, entry: Any) -> CaptureParse:
    notes: list[str] = []
    req = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(req, dict) or "url" not in req or "method" not in req:
        raise CaptureError(f"HAR entry {k} has no request with a method and url",
                           hint="export the HAR again; each entry needs request.method and request.url")
    method, url = _har_str(k, req, "method", "request.method"), _har_str(k, req, "url", "request.url")
    headers: list[tuple[str, str]] = []
    skipped = []
    for name, value in _har_pairs(k, req, "headers", "request.headers"):
        if name.startswith(":"):
            skipped.append(name)
            continue
        headers.append((name, value))
    if skipped:
        notes.append("HTTP/2 pseudo-headers " + ", ".join(skipped) + " were skipped (they are "
                     "the request line, not headers)")
    cookies = _har_pairs(k, req, "cookies", "request.cookies")
    if cookies and not any(n.lower() == "cookie" for n, _ in headers):
        headers.append(("Cookie", "; ".join(f"{name}={value}" for name, value in cookies)))
        notes.append("the HAR lists cookies but no Cookie header (a sanitized export?); a Cookie "
                     "header was rebuilt from them at the end")
    if not headers:
        notes.append("the entry has no request headers (Chrome shows 'provisional headers' for "
                     "cached or blocked requests); the capture may be incomplete")
    post = req.get("postData")
    if post is not None and not isinstance(post, dict):
        raise CaptureError(f"HAR entry {k}: postData is {type(post).__name__} {post!r:.40}, not an object",
                           hint='HAR 1.2 writes {"mimeType": …, "text": …}; export the HAR again')
    body = _har_body(k, post or {}, headers, notes)
    size = req.get("bodySize")
    if isinstance(size, int) and size > 0 and size != len(body):
        # Firefox's bodySize counts characters of postData.text, not bytes
        text = (post or {}).get("text")
        chars = len(text) if isinstance(text, str) and post.get("encoding") != "base64" else None
        declared = _declared_length(headers)
        if not (size == chars and declared in (None, len(body))):
            notes.append(f"bodySize is {size} but the exported body has {len(body)} bytes")
    try:
        r = HttpRequest.build(method, url, headers, body)
    except RequestError as e:
        raise CaptureError(f"HAR entry {k} is not a valid request: {e.message}",
                           hint=e.hint or "check that entry's URL and headers") from None
    return CaptureParse(r, (), tuple(notes), f"HAR entry {k}")


def _har_body(k: int, post: dict, headers: list[tuple[str, str]], notes: list[str]) -> bytes:
    """The body bytes of HAR entry ``k``: ``postData.text`` (plain or base64), else its ``params``."""
    if post.get("text") is not None:
        text = _har_str(k, post, "text", "postData.text")
        encoding = post.get("encoding")
        if encoding not in (None, "", "base64"):
            raise CaptureError(f"HAR entry {k}: postData.encoding {encoding!r:.40} is not 'base64'",
                               hint="HAR files mark a binary body with encoding 'base64' or leave it out; "
                                    "export the HAR again")
        if encoding == "base64":
            try:
                return base64.b64decode(text, validate=True)
            except ValueError:
                raise CaptureError(f"HAR entry {k}: postData.text is marked base64 but does not "
                                   "decode", hint="export the HAR again") from None
        body = text.encode("utf-8")
        if len(body) != len(text) and max(text) <= "\xff":
            # Firefox writes a body that is not text in the page's charset one character
            # per byte (U+0000–U+00FF); Content-Length tells which reading is right
            declared = _declared_length(headers)
            if declared == len(text):
                body = text.encode("latin-1")
                notes.append("postData.text holds one character per byte (Firefox's export of a "
                             "binary body); read as Latin-1 to match Content-Length")
            elif declared is None:
                notes.append("postData.text has characters U+0080–U+00FF and there is no "
                             "Content-Length: read as UTF-8; if the body was binary (Firefox "
                             "writes one character per byte) the bytes were its Latin-1 encoding")
        return body
    params = _har_pairs(k, post, "params", "postData.params")
    if not params:
        return b""
    if "multipart" in str(post.get("mimeType", "")):
        raise CaptureError(f"HAR entry {k}: the multipart body was exported as params only, so "
                           "its exact bytes are unknown",
                           hint="export with content (Chrome: 'Export HAR (with sensitive "
                                "data)'), or capture it with curl -v --trace-ascii")
    notes.append("the body was rebuilt from postData.params (form encoding, spaces as '+'); "
                 "the original percent-encoding may have differed")
    return "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in params).encode("utf-8")


# ============================================================================================
# requests.PreparedRequest
# ============================================================================================
def from_prepared(prepared: Any) -> HttpRequest:
    """The request a ``requests.PreparedRequest`` (or ``requests.Request``) sends.

        >>> import requests
        >>> p = requests.Request("POST", "https://h/a", headers={"X-A": "1"}, data=b"hi").prepare()
        >>> from_prepared(p).headers
        (('X-A', '1'), ('Content-Length', '2'))
    """
    import requests  # noqa: PLC0415 — only this capture needs it

    if isinstance(prepared, requests.Request):
        prepared = prepared.prepare()
    if not isinstance(prepared, requests.PreparedRequest):
        raise CaptureError(f"from_prepared takes a requests.PreparedRequest, not {type(prepared).__name__}",
                           hint="use requests.Request(...).prepare() or session.prepare_request(...)")
    headers = []
    for k, v in prepared.headers.items():
        k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        v = v.decode("latin-1") if isinstance(v, bytes) else str(v)
        headers.append((k, v))
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        try:
            body = body.encode("iso-8859-1")              # what http.client does with str bodies
        except UnicodeEncodeError:
            raise CaptureError("the prepared body is text that is not Latin-1, which http.client "
                               "refuses to send", hint="encode the body yourself: data=text.encode('utf-8')") from None
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    elif not isinstance(body, bytes):
        raise CaptureError(f"the prepared body is a stream ({type(body).__name__}), whose bytes are "
                           "unknown until it is sent",
                           hint="read it into bytes first and pass data=those_bytes")
    try:
        return HttpRequest.build(prepared.method or "GET", prepared.url, headers, body)
    except RequestError as e:
        raise CaptureError(f"the prepared request is not valid: {e.message}", hint=e.hint) from None
