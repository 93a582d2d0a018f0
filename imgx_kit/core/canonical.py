"""The one canonicalisation code path, shared by the signer, the verifier and the emulator.

Each function takes the raw wire form and a :class:`~imgx_kit.core.scheme.Scheme` and returns the
canonical text that goes into the canonical request::

    >>> from imgx_kit.core.canonical import canonical_query, parse_query
    >>> from imgx_kit.core.scheme import AWS4, VOLC
    >>> canonical_query(parse_query("b=2&a=x y&a=1"), AWS4)
    'a=1&a=x%20y&b=2'
    >>> canonical_query(parse_query("b=2&a=x y&a=1"), VOLC)    # raw-key sort keeps value order
    'a=x%20y&a=1&b=2'
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import itemgetter, methodcaller
from urllib.parse import quote, unquote, unquote_plus, unquote_to_bytes

from .scheme import Scheme

__all__ = [
    "BOTOCORE_UNSIGNED_HEADERS",
    "canonical_headers",
    "canonical_query",
    "canonical_query_raw",
    "canonical_uri",
    "header_value",
    "parse_query",
    "remove_dot_segments",
    "s3_canonical_uri",
    "select_headers",
    "uri_encode",
]

# headers botocore's SigV4Auth never signs (botocore.auth.SIGNED_HEADERS_BLACKLIST)
BOTOCORE_UNSIGNED_HEADERS = frozenset({
    "baggage", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "traceparent", "tracestate", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "x-amzn-trace-id", "authorization",
})
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*").fullmatch
_UNRESERVED_SLASH = re.compile(r"[A-Za-z0-9\-_.~/]*").fullmatch
# an escape that canonical encoding writes back unchanged: upper-case hex of a byte that is not
# unreserved (an escaped letter, digit or -_.~ would be decoded and written plain)
_KEPT_ESCAPE = r"%(?:[01][0-9A-F]|2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF]|[89A-F][0-9A-F])"
_CANON_PART = r"(?:[A-Za-z0-9\-_.~]++|" + _KEPT_ESCAPE + r")*+"      # possessive: no backtracking
# a query already in canonical encoding: decoding and encoding again gives the same text, provided
# its escapes spell valid UTF-8 (checked separately: unquote would write U+FFFD for bad bytes)
_CANON_QUERY = re.compile(f"{_CANON_PART}(?:={_CANON_PART})?+(?:&{_CANON_PART}(?:={_CANON_PART})?+)*+").fullmatch
# in a path '/' is kept plain, so an escaped '/' (%2F) is decoded and written as '/': not kept
_HIGH_ESCAPE = re.compile(r"%[89A-Fa-f]").search
_ESCAPED_KEY = re.compile(r"(?:^|&)[^=&]*%").search          # a %-escape in some key
_PATH_ESCAPE = _KEPT_ESCAPE.replace("2[0-9A-CF]", "2[0-9A-C]")
_CANON_PATH = re.compile(r"(?:[A-Za-z0-9\-_.~/]++|" + _PATH_ESCAPE + r")*+").fullmatch


_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# str.translate tables for ASCII text, indexed by code point: complete, so no lookup ever misses
# (a partial dict table costs a caught KeyError per unreserved character)
_ESCAPE = [chr(c) if chr(c) in _SAFE else f"%{c:02X}" for c in range(128)]
_ESCAPE_KEEP_SLASH = [("/" if c == ord("/") else e) for c, e in enumerate(_ESCAPE)]


def uri_encode(text: str, keep_slash: bool = False) -> str:
    """RFC 3986 percent-encoding of everything but ``A-Z a-z 0-9 - _ . ~`` (and ``/`` if asked),
    UTF-8 for non-ASCII: the same as ``urllib.parse.quote(text, safe="-_.~")``."""
    if (_UNRESERVED_SLASH if keep_slash else _UNRESERVED)(text):
        return text
    if text.isascii():
        return text.translate(_ESCAPE_KEEP_SLASH if keep_slash else _ESCAPE)
    return quote(text, safe="/~" if keep_slash else "-_.~")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 plus the collapse of ``//`` that AWS services require (as botocore)."""
    if not path:
        return "/"
    out: list[str] = []
    for seg in path.split("/"):
        if seg and seg != ".":
            if seg == "..":
                if out:
                    out.pop()
            else:
                out.append(seg)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


def canonical_uri(raw_path: str, scheme: Scheme, normalize: bool = True) -> str:
    """Canonical URI from the raw path on the wire.

    AWS4 (non-S3) normalises dot segments and encodes the raw path once more (so ``%20`` on the
    wire becomes ``%2520``, as AWS specifies); VOLC decodes then encodes (``quote(path)`` of the
    Volcengine SDK); OSS4 encodes the ``/bucket/key`` resource keeping ``/``.
    """
    path = raw_path or "/"
    if path == "/":
        return path
    style = scheme.path_style
    if style == "aws":
        if normalize:
            path = remove_dot_segments(path)
        return uri_encode(path, keep_slash=True)
    # volc: quote(path) of the decoded path, as the Volcengine SDK;
    # oss: the path-style resource /bucket/key, decoded then encoded keeping '/'
    if _CANON_PATH(path) and _utf8_escapes(path):
        return path                                   # decoding and encoding again gives it back
    return uri_encode(unquote(path), keep_slash=True)


def _utf8_escapes(text: str) -> bool:
    """Whether the %-escapes of ``text`` (already known well-formed) decode as strict UTF-8."""
    if "%" not in text or not _HIGH_ESCAPE(text):
        return True                                   # ASCII escapes only
    try:
        unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def s3_canonical_uri(raw_path: str) -> str:
    """S3's canonical URI: the path as sent, encoded once, never normalised (no dot-segment removal,
    ``//`` kept). Each segment's escapes are read and written back in RFC 3986 form, so a path
    encoded as botocore does (``quote(key, safe="/~")``) is signed exactly as sent; a raw ``+`` is
    a space, as S3 reads it, and lower-case hex is written upper-case.

        >>> s3_canonical_uri("/photos/a%20b%2Bc/./x//y.png")
        '/photos/a%20b%2Bc/./x//y.png'
        >>> s3_canonical_uri("/libstdc++-docs")
        '/libstdc%20%20-docs'

    Source: botocore ``S3SigV4Auth._normalize_url_path`` returns the path unchanged, and the S3
    SigV4 documentation ("Create a canonical request": URI-encode each path segment once for S3)."""
    path = raw_path or "/"
    if _UNRESERVED_SLASH(path):
        return path
    return "/".join(quote(unquote_to_bytes(seg.replace("+", " ")), safe="-_.~") if seg else ""
                    for seg in path.split("/"))


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Decode a raw query into (key, value) pairs in order. ``+`` is a space, as the gateways
    decode it; ``k`` with no ``=`` has the empty value; empty pieces (``&&``) are skipped."""
    if not raw_query:
        return []
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        k, _, v = piece.partition("=")
        pairs.append((_dec(k), _dec(v)))
    return pairs


def _dec(s: str) -> str:
    return unquote_plus(s) if ("%" in s or "+" in s) else s


_first = itemgetter(0)


def canonical_query_raw(raw_query: str, scheme: Scheme) -> str:
    """``canonical_query(parse_query(raw_query), scheme)``, with a fast path for the common query
    already in canonical encoding — unreserved characters and upper-case escapes of the other
    bytes, as every SDK writes it (nothing to decode or encode: sort the pieces as they are).

        >>> from imgx_kit.core.scheme import AWS4
        >>> q = "b=x%20y&a=%E4%B8%AD&a=1"
        >>> canonical_query_raw(q, AWS4) == canonical_query(parse_query(q), AWS4) == "a=%E4%B8%AD&a=1&b=x%20y"
        True
    """
    if not raw_query:
        return ""
    pieces = canonical_pieces(raw_query)
    if pieces is not None:
        return join_canonical(pieces, scheme, "%" in raw_query and _ESCAPED_KEY(raw_query) is not None)
    return canonical_query(parse_query(raw_query), scheme)


def canonical_pieces(raw_query: str) -> list[str] | None:
    """The ``k=v`` pieces of a raw query that is in canonical encoding already (decoding and
    encoding again would give each piece back), empty pieces dropped; ``None`` otherwise."""
    if _CANON_QUERY(raw_query) and _utf8_escapes(raw_query):
        pieces = raw_query.split("&")
        return [p for p in pieces if p] if "" in pieces else pieces
    return None


def join_canonical(pieces: list[str], scheme: Scheme, escaped: bool = True) -> str:
    """Sort and join canonical pieces (from :func:`canonical_pieces`) as ``scheme`` does;
    ``escaped=False`` says no key holds a %-escape (the sort key needs no decoding)."""
    if scheme.query_sort == "raw-key":
        # by the decoded key, stable (repeated keys keep their order)
        pieces.sort(key=_decoded_key if escaped else _key_of)
    else:
        pieces.sort(key=_split_pair)                  # by (key, value), as the encoded pairs sort
    text = "&".join(pieces)
    with_equals = text.count("=")                     # a canonical piece has at most one '='
    if scheme.empty_value == "bare":
        if not text.count("=&") and not text.endswith("="):
            return text
        return "&".join(p[:-1] if p.endswith("=") else p for p in pieces)
    if with_equals == len(pieces):                    # every piece has its '='
        return text
    return "&".join(p if "=" in p else p + "=" for p in pieces)


_split_pair = methodcaller("partition", "=")
_has_equals = methodcaller("__contains__", "=")


def _key_of(piece: str) -> str:
    return piece.partition("=")[0]


def _decoded_key(piece: str) -> str:
    key = piece.partition("=")[0]
    return unquote(key) if "%" in key else key


def canonical_query(pairs: Iterable[tuple[str, str]], scheme: Scheme,
                    exclude: frozenset[str] | set[str] = frozenset()) -> str:
    """Encode and sort decoded query pairs the way ``scheme`` does (minus ``exclude`` keys)."""
    bare = scheme.empty_value == "bare"
    if scheme.query_sort == "raw-key":
        # Volcengine SDK: sorted by the decoded key; repeated keys keep their original order
        items = sorted((kv for kv in pairs if kv[0] not in exclude), key=lambda kv: kv[0])
        enc = [(uri_encode(k), uri_encode(v)) for k, v in items]
    else:
        enc = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs if k not in exclude)
    if bare:
        return "&".join(f"{k}={v}" if v else k for k, v in enc)
    return "&".join(f"{k}={v}" for k, v in enc)


def header_value(value: str, scheme: Scheme) -> str:
    mode = scheme.header_values
    if mode == "trimall":
        return " ".join(value.split())
    if mode == "strip":
        return value.strip()
    return value


def select_headers(headers: Sequence[tuple[str, str]], scheme: Scheme,
                   names: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Pick the headers to sign: lower-case name -> list of values in wire order.

    ``names`` (lower case) picks exactly those; ``None`` applies the scheme's default policy:
    botocore (all but hop-by-hop and user-agent), the Volcengine SDK (``Content-Type``,
    ``Content-Md5``, ``Host`` and names starting ``X-``, case-sensitively, last value wins), or OSS
    (``x-oss-*``, ``content-type``, ``content-md5``).
    """
    out: dict[str, list[str]] = {}
    if names is not None:
        wanted = set(names)
        for k, v in headers:
            lk = k.lower()
            if lk in wanted:
                out.setdefault(lk, []).append(v)
        return out
    policy = scheme.header_policy
    if policy == "botocore":
        for k, v in headers:
            lk = k.lower()
            if lk not in BOTOCORE_UNSIGNED_HEADERS:
                out.setdefault(lk, []).append(v)
    elif policy == "volc-sdk":
        for k, v in headers:
            if k in ("Content-Type", "Content-Md5", "Host") or k.startswith("X-"):
                out[k.lower()] = [v]
    else:  # oss
        for k, v in headers:
            lk = k.lower()
            if lk.startswith("x-oss-") or lk in ("content-type", "content-md5"):
                out.setdefault(lk, []).append(v)
    return out


def canonical_headers(selected: dict[str, list[str]], scheme: Scheme) -> tuple[str, str]:
    """(canonical header block with a trailing newline per header, signed header list)."""
    names = sorted(selected)
    mode = scheme.header_values
    join = scheme.duplicates == "join"
    if mode == "trimall" and not join:
        vals = [" ".join(selected[n][-1].split()) for n in names]
    elif mode == "trimall":          # AWS4: whitespace runs become one space, repeated values joined
        vals = [" ".join(v[0].split()) if len(v) == 1 else ",".join([" ".join(x.split()) for x in v])
                for v in map(selected.__getitem__, names)]
    elif mode == "raw":              # VOLC (the last value) and OSS4 (values joined), as sent
        vals = ([",".join(v) for v in map(selected.__getitem__, names)] if join else
                [selected[n][-1] for n in names])
    else:
        vals = [",".join([header_value(x, scheme) for x in v]) if join else header_value(v[-1], scheme)
                for v in map(selected.__getitem__, names)]
    if scheme.header_policy == "volc-sdk" and "host" in selected:
        i = names.index("host")
        vals[i] = _strip_default_port(vals[i])
    return "".join([f"{n}:{v}\n" for n, v in zip(names, vals, strict=True)]), ";".join(names)


def _strip_default_port(host: str) -> str:
    # as the Volcengine SDK: "host:80" / "host:443" lose the port
    if ":" in host:
        parts = host.split(":")
        if parts[1] in ("80", "443"):
            return parts[0]
    return host
