"""The registered hypothesis families of the AWS4 / VOLC / OSS4 search, in the order they are tried:
secrets, scope and key derivation, method, canonical URI, canonical query, headers, body. Each is one
small generator of :class:`~imgx_kit.core.diagnose.search.Variant`; adding a cause is adding one.

    >>> from imgx_kit.core.diagnose import variants
    >>> from imgx_kit.core.diagnose.search import HYPOTHESES
    >>> [h.name for h in HYPOTHESES][:3]
    ['secrets', 'regions', 'services']
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from urllib.parse import quote, unquote

from .. import canonical as C
from ..credentials import Credentials
from ..errors import DiagnoseError
from ..jsontext import loads_bounded
from ..scheme import AWS4, OSS4, VOLC, Scheme
from ..signer import received_selection, sha256_hex
from .context import HOP as _HOP
from .search import Model, Variant, hypothesis

__all__: list[str] = []

_REGIONS = ("cn-north-1", "cn-beijing", "cn-shanghai", "cn-guangzhou", "cn-hongkong", "cn-northwest-1",
            "us-east-1", "us-east-2", "us-west-1", "us-west-2", "useast5", "eu-west-1", "eu-central-1",
            "ap-singapore-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-south-1",
            "cn-hangzhou", "cn-shenzhen", "cn-qingdao", "cn-zhangjiakou", "oss-cn-hangzhou", "beijing",
            "hangzhou", "cn-beijing-internal", "global", "")
_SERVICES = ("imagex", "ImageX", "cv", "s3", "execute-api", "oss", "iam", "sts", "visual", "Imagex", "IMAGEX")
_ALGS = ("AWS4-HMAC-SHA256", "HMAC-SHA256", "OSS4-HMAC-SHA256")
_TERMS = (("AWS4", "aws4_request"), ("", "request"), ("aliyun_v4", "aliyun_v4_request"),
          ("AWS4", "request"), ("", "aws4_request"))





def _secret_variants(sk: str, ak: str) -> Iterator[tuple[str, str, str]]:
    for v, what in ((sk + "\n", "a trailing newline"), (sk + "\r\n", "a trailing CR LF"),
                    (sk + " ", "a trailing space"), (" " + sk, "a leading space"), (sk + "\t", "a trailing tab"),
                    (f'"{sk}"', "surrounding double quotes"),
                    (f"'{sk}'", "surrounding single quotes"), (sk + "%", "a trailing % (zsh's no-newline mark)")):
        yield "secret-whitespace", v, f"the signature matches your secret key with {what} added"
    seen = {sk}
    for v, what in ((sk.replace("+", " "), "'+' turned into spaces (URL-decoded)"),
                    (sk.replace("\\", ""), "backslashes dropped by the shell"),
                    (unquote(sk), "percent-escapes decoded"), (quote(sk, safe=""), "percent-encoded"),
                    (sk.replace("/", ""), "'/' dropped"), (sk.replace("+", ""), "'+' dropped"),
                    (sk.replace(" ", "+"), "spaces turned into '+'")):
        if v not in seen and v:
            seen.add(v)
            yield "secret-special-chars-mangled", v, f"the signature matches your secret key with {what}"
    if ak and ak != sk:
        yield "access-key-secret-swapped", ak, "the signature matches when the access key is used as the secret key"




def _oss_uri_variants(m: Model) -> Iterator[tuple[str, str, str]]:
    b, k = m.bucket, m.key
    yield "oss-bucket-in-resource", C.uri_encode(f"/{k}", True), "the signature matches a resource without the bucket"
    yield "oss-bucket-in-resource", C.uri_encode(f"/{b}/{b}/{k}", True), \
        "the signature matches the bucket written twice"
    yield "path-double-encoded", C.uri_encode(C.uri_encode(f"/{b}/{k}", True), True), \
        "the signature matches the key encoded twice"
    yield "path-not-encoded", f"/{b}/{k}", "the signature matches the raw (unencoded) key"
    if "+" in k:
        yield "plus-in-path", C.uri_encode(f"/{b}/{k.replace('+', ' ')}", True), \
            "the signature matches '+' read as a space"
    if "//" in k:
        yield "path-normalization", C.uri_encode(f"/{b}/{re.sub('/{2,}', '/', k)}", True), \
            "the signature matches the key with '//' collapsed"
    dots = C.remove_dot_segments(f"/{k}")[1:]
    if dots != k and dots != re.sub("/{2,}", "/", k):
        yield "path-normalization", C.uri_encode(f"/{b}/{dots}", True), \
            "the signature matches the key with dot segments and '//' normalised"
    for alt, what in ((k.rstrip("/"), "without its trailing '/'"), (k + "/", "with a trailing '/'")):
        if alt and alt != k:
            yield "path-normalization", C.uri_encode(f"/{b}/{alt}", True), f"the signature matches the key {what}"
    for form in ("NFC", "NFD"):
        alt = unicodedata.normalize(form, k)
        if alt != k:
            yield "unicode-normalization", C.uri_encode(f"/{b}/{alt}", True), \
                f"the signature matches the {form} form of the key"


def _aws_uri_variants(m: Model) -> Iterator[tuple[str, str, str]]:
    sc, raw = m.sc, m.req.path
    dec = unquote(raw)
    enc1 = C.uri_encode(dec, keep_slash=True)
    if sc.path_style == "aws" and C.remove_dot_segments(raw) != raw:
        yield "path-normalization", C.canonical_uri(raw, sc, not m.normalize), \
            f"the signature matches the path {'without' if m.normalize else 'with'} dot-segment/'//' normalisation"
    yield "path-not-encoded", dec, "the signature matches the decoded path, unencoded"
    yield "path-double-encoded", enc1, "the signature matches the path encoded once"
    yield "path-double-encoded", C.uri_encode(enc1, keep_slash=True), "the signature matches the path encoded twice"
    yield "path-double-encoded", raw, "the signature matches the path exactly as on the wire (no further encoding)"
    if sc.path_style == "aws":
        yield "path-normalization", C.canonical_uri(raw, sc, not m.normalize), \
            f"the signature matches the path {'without' if m.normalize else 'with'} dot-segment/'//' normalisation"
    for alt, what in ((raw.rstrip("/") or "/", "without the trailing '/'"), (raw + "/", "with a trailing '/'"),
                      (re.sub("/{2,}", "/", raw), "with '//' collapsed")):
        if alt != raw:
            yield "path-normalization", C.canonical_uri(alt, sc, m.normalize), f"the signature matches the path {what}"
    if "+" in raw:
        spaced = dec.replace("+", " ")
        for alt in (C.uri_encode(spaced, keep_slash=True), C.canonical_uri(raw.replace("+", "%20"), sc, m.normalize)):
            yield "plus-in-path", alt, "the signature matches the path with '+' read as a space"
    if any(ord(c) > 127 for c in dec):
        yield from _normalised_forms(dec)
        try:
            moj = dec.encode("utf-8").decode("latin-1")
            yield "unicode-normalization", C.uri_encode(moj, keep_slash=True), \
                "the signature matches the path's UTF-8 bytes read as Latin-1"
        except UnicodeError:
            pass


def _s3_uri_variants(m: Model, raw: str) -> Iterator[tuple[str, str, str]]:
    """What other signers make of an S3 path: as on the wire, encoded again, normalised, decoded."""
    dec = unquote(raw)
    if raw != m.curi:
        cid = "plus-in-path" if "+" in raw else "path-not-encoded"
        yield cid, raw, "the signature matches the path exactly as on the wire" + (
            ": '+' was signed as a literal '+', which S3 reads as a space" if "+" in raw else
            " (S3 signs it encoded once, with upper-case hex)")
    generic = C.canonical_uri(raw, AWS4, True)         # botocore SigV4Auth / a generic AWS signer
    if generic != m.curi:
        normalised = C.remove_dot_segments(raw) != raw
        cid = "path-double-encoded" if "%" in raw and not normalised else "path-normalization"
        yield cid, generic, "the signature matches the path as a generic (non-S3) AWS signer writes it: " + (
            "encoded a second time" if cid == "path-double-encoded" else "dot segments and '//' normalised")
    normalised_once = C.s3_canonical_uri(C.remove_dot_segments(raw))
    if normalised_once != m.curi:
        yield "path-normalization", normalised_once, \
            "the signature matches the path with dot segments and '//' normalised"
    double = C.uri_encode(m.curi, keep_slash=True)
    if double != m.curi and double != generic:
        yield "path-double-encoded", double, "the signature matches the path encoded twice"
    if dec != raw:
        yield "path-not-encoded", dec, "the signature matches the decoded path, unencoded"
    lower = re.sub(r"%[0-9A-F]{2}", lambda x: x.group(0).lower(), m.curi)
    if lower != m.curi:
        yield "path-not-encoded", lower, "the signature matches the path with lower-case percent-encoding hex"
    for alt, what in ((raw.rstrip("/") or "/", "without the trailing '/'"), (raw + "/", "with a trailing '/'")):
        if alt != raw:
            yield "path-normalization", C.s3_canonical_uri(alt), f"the signature matches the path {what}"
    if any(ord(c) > 127 for c in dec):
        yield from _normalised_forms(dec)




def _normalised_forms(dec: str) -> Iterator[tuple[str, str, str]]:
    """The path's NFC and NFD forms, where they differ from it (generic and S3 paths alike)."""
    for form in ("NFC", "NFD"):
        alt = unicodedata.normalize(form, dec)
        if alt != dec:
            yield "unicode-normalization", C.uri_encode(alt, keep_slash=True), \
                f"the signature matches the {form} form of the path"


def _enc_pairs(pairs: list[tuple[str, str]], enc: Callable[[str], str], bare: bool) -> list[str]:
    return [f"{enc(k)}={enc(v)}" if (v or not bare) else enc(k) for k, v in pairs]




def _query_variants(m: Model) -> Iterator[tuple[str, str, str]]:
    sc, pairs = m.sc, m.pairs
    bare = sc.empty_value == "bare"
    enc = C.uri_encode
    items = _enc_pairs(pairs, enc, bare)
    if len(pairs) > 1:
        yield "query-not-sorted", "&".join(items), "the signature matches the query in its original (unsorted) order"
        yield "query-not-sorted", "&".join(sorted(items)), "the signature matches the query sorted as 'k=v' strings"
        other = replace(sc, query_sort="encoded" if sc.query_sort == "raw-key" else "raw-key")
        yield "query-not-sorted", C.canonical_query(pairs, other), \
            "the signature matches the query sorted by the decoded names"
        yield "query-not-sorted", "&".join(_enc_pairs(sorted(pairs, key=lambda kv: kv[0].lower()), enc, bare)), \
            "the signature matches the query sorted case-insensitively"
    if "%20" in m.cq:
        yield "space-encoded-as-plus", m.cq.replace("%20", "+"), "the signature matches spaces signed as '+'"

    def js(t: str) -> str:                      # JavaScript's encodeURIComponent
        return quote(t, safe="-_.!~*'()")

    yield "query-encoding-mismatch", C.canonical_query(pairs, sc).replace("%21", "!").replace("%27", "'") \
        .replace("%28", "(").replace("%29", ")").replace("%2A", "*"), \
        "the signature matches !'()* left unencoded (encodeURIComponent)"
    yield "query-encoding-mismatch", "&".join(sorted(_enc_pairs(pairs, js, bare))), \
        "the signature matches JavaScript encodeURIComponent encoding"
    yield "query-encoding-mismatch", C.canonical_query(pairs, replace(sc, empty_value="equals" if bare else "bare")), \
        "the signature matches empty values written " + ("as 'k='" if bare else "as a bare 'k'")
    yield "query-encoding-mismatch", "&".join(sorted(f"{k}={v}" for k, v in pairs)), \
        "the signature matches names and values signed unencoded ('k=v' as decoded)"
    raw_pieces = [p for p in m.req.query.split("&") if p and C._dec(p.partition("=")[0]) not in m.s.auth_params]
    yield "query-encoding-mismatch", "&".join(sorted(raw_pieces)), \
        "the signature matches the raw query pieces, not re-encoded"
    yield "query-encoding-mismatch", "&".join(sorted(quote(unquote(p), safe="=") for p in raw_pieces)), \
        "the signature matches a query encoded with different reserved characters"
    auth_names = {AWS4.q_algorithm, AWS4.q_credential, AWS4.q_date, AWS4.q_expires, AWS4.q_signed_headers,
                  AWS4.q_token, VOLC.q_algorithm, VOLC.q_credential, VOLC.q_date, VOLC.q_expires,
                  "X-SignedQueries", "X-NotSignBody", VOLC.q_signed_headers, OSS4.q_algorithm, OSS4.q_credential,
                  OSS4.q_date, OSS4.q_expires, OSS4.q_signed_headers or "", OSS4.q_token, "X-Security-Token"}
    for i, (k, v) in enumerate(pairs):
        if k == sc.q_token:
            yield "session-token-not-signed", C.canonical_query(pairs[:i] + pairs[i + 1:], sc), \
                f"the signature matches the query without {k!r}: the token was added after signing"
        if k in auth_names:
            continue
        rest = pairs[:i] + pairs[i + 1:]
        yield "query-param-added-after-signing", C.canonical_query(rest, sc), \
            f"the signature matches the query without {k!r}: it was added after signing"
        if "?" in v:
            cut = pairs[:i] + [(k, v.split("?")[0])] + pairs[i + 1:]
            yield "query-param-added-after-signing", C.canonical_query(cut, sc), \
                f"the signature matches {k!r} cut at its stray '?'"
    if len(pairs) > 1:
        tail_keys = [k for k, _ in pairs if k not in auth_names]
        for n in range(2, min(4, len(tail_keys)) + 1):
            drop = set(tail_keys[-n:])
            yield "query-param-added-after-signing", C.canonical_query([kv for kv in pairs if kv[0] not in drop], sc), \
                f"the signature matches the query without {', '.join(sorted(drop))}: added after signing"




_CT_DEFAULTS = ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                "application/octet-stream", "application/json", "application/json; charset=utf-8",
                "text/plain;charset=UTF-8", "text/plain", "multipart/form-data", "image/png", "image/jpeg",
                "image/webp", "image/gif", "application/xml", "binary/octet-stream", "")



def _value_variants(m: Model, name: str, vals: list[str]
                    ) -> Iterator[tuple[str, list[str] | None, str, Scheme | None]]:
    """(cause, new values or None to drop, evidence, scheme override) for one signed header."""
    v = vals[-1]
    for alt, what in _changed_values(name, v):
        cid = "oss-content-md5-or-type-mismatch" if m.oss and name in ("content-type", "content-md5") \
            else "header-changed-after-signing"
        yield cid, [alt], f"the signature matches {name} {what} (sent: {v!r}): the header was changed after " \
            "signing", None
    if name == "host":
        yield from _host_variants(m, v)
    if len(vals) > 1:
        for alt, what in ((vals[-1], "the last value only"), (vals[0], "the first value only"),
                          (", ".join(vals), "values joined with ', '")):
            yield "duplicate-header", [alt], f"the signature matches {name} with {what}", None
    if not v.isascii():
        for alt, what in _non_ascii_variants(v):
            yield "non-ascii-header-value", [alt], f"the signature matches {name} {what}", None
    if name in _HOP:
        for alt in _HOP_VALUES.get(name, ()) + ((str(len(m.req.body)),) if name == "content-length" else ()):
            if alt != v:
                yield "hop-by-hop-header-signed", [alt], (f"the signature matches {name} {alt!r} (sent: {v!r}): a " \
                    "proxy or the transport changed this signed header"), None
    if m.oss and name == m.sc.token_header.lower():
        yield "session-token-not-signed", None, (f"the signature matches the request without {name}: the token was " \
            "added after signing"), None


def _changed_values(name: str, v: str) -> list[tuple[str, str]]:
    alts: list[tuple[str, str]] = []
    if ";" in v:
        alts.append((v.split(";")[0].strip(), "without its parameters"))
    if "charset=utf-8" in v:
        alts.append((v.replace("charset=utf-8", "charset=UTF-8"), "with charset upper-cased"))
    if "charset=UTF-8" in v:
        alts.append((v.replace("charset=UTF-8", "charset=utf-8"), "with charset lower-cased"))
    if name == "content-type":
        alts += [(d, f"{d!r}") for d in _CT_DEFAULTS if d != v and d != " ".join(v.split())]
    return alts


def _host_variants(m: Model, h: str) -> Iterator[tuple[str, list[str], str, Scheme | None]]:
    hostname = h.rsplit(":", 1)[0] if ":" in h and not h.endswith("]") else h
    port = m.req._split.port
    cands = [(hostname, "without its port"), (h.lower(), "lower-cased")]
    cands += [(f"{hostname}:{p}", f"with :{p}") for p in (443, 80, 8080, 8443, 9000, 3000)]
    if port:
        cands.append((f"{hostname}:{port}", f"with :{port}"))
    # the Volcengine policy strips :80/:443 from what it signs; a signer that kept it is the fault
    keep_port = replace(m.sc, header_policy="as-written") if m.sc.header_policy == "volc-sdk" else None
    for alt, what in cands:
        if alt != h:
            yield "host-header-mismatch", [alt], (f"the signature matches host {alt!r} ({what}); the request's Host " \
                f"is {h!r}"), keep_port


#: (cause, the selected headers, evidence, the scheme to canonicalise with, the SignedHeaders text written)
_ListVariant = tuple[str, dict[str, list[str]], str, Scheme | None, str | None]


def _list_variants(m: Model, creds: Credentials) -> Iterator[_ListVariant]:
    sc, sel, s = m.sc, m.selected, m.s
    if any(re.search(r"\s{2,}|^\s|\s$", x) for vals in sel.values() for x in vals):
        for mode in ("trimall", "raw", "strip"):
            if mode != sc.header_values:
                yield "header-value-whitespace-not-trimmed", sel, (f"the signature matches header values " \
                    f"canonicalised with '{mode}' (the scheme uses '{sc.header_values}')"), \
                    replace(sc, header_values=mode), None
    if s.signed_raw and not m.volc_presign:
        names = s.signed_raw.split(";")
        if any(n != n.lower() for n in names) or names != sorted(names):
            low_sel, _ = received_selection(sc, m.req, tuple(n.lower() for n in names if n))
            yield "case-of-signed-headers", low_sel, (f"the signature matches the header list written as declared " \
                f"({s.signed_raw!r}) in the canonical request"), None, s.signed_raw
    present = {k.lower() for k, _ in m.req.headers}
    for low in dict.fromkeys(n.lower() for n in s.signed_headers):
        if low != "host" and low not in present:
            vals = [("", "an empty value")]
            if low == sc.token_header.lower() and creds.session_token:
                vals.append((creds.session_token, "your session token"))
            for val, what in vals:
                yield "signed-header-missing", {**sel, low: [val]}, (f"the signature matches {low} with {what}: it " \
                    "was signed, then dropped before sending"), None, None
    if m.oss:
        for name in ("content-type", "content-md5"):
            if name in sel:
                yield "oss-content-md5-or-type-mismatch", _with(sel, name, None), \
                    f"the signature matches a request signed without {name}", None, None


_HOP_VALUES = {"accept-encoding": ("gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "gzip",
                                    "identity", "br", "*", ""),
               "connection": ("keep-alive", "close", "Keep-Alive", ""), "keep-alive": ("timeout=5", ""),
               "expect": ("100-continue", ""), "transfer-encoding": ("chunked", ""), "te": ("trailers", ""),
               "content-length": ("0",)}


def _non_ascii_variants(v: str) -> Iterator[tuple[str, str]]:
    """How a non-ASCII header value is commonly mangled between signing and sending."""
    manglers: tuple[tuple[Callable[[], str], str], ...] = (
        (lambda: v.encode("utf-8").decode("latin-1"), "as its UTF-8 bytes read as Latin-1"),
        (lambda: v.encode("latin-1").decode("utf-8"), "as the UTF-8 text its Latin-1 bytes spell"),
        (lambda: quote(v, safe=" ;=/,"), "percent-encoded"),
        (lambda: v.encode("ascii", "ignore").decode(), "with its non-ASCII characters dropped"),
        (lambda: v.encode("ascii", "replace").decode(), "with its non-ASCII characters as '?'"))
    for alt, what in manglers:
        try:
            yield alt(), what
        except UnicodeError:
            continue





def _body_variants(m: Model) -> Iterator[tuple[str, str, dict[str, list[str]], str]]:
    sc, req, sel = m.sc, m.req, m.selected
    if m.volc_presign:
        return
    sha_name = sc.content_sha_header.lower()
    bodies: list[tuple[bytes, str]] = [(b"", "an empty body")]
    try:
        doc = loads_bounded(req.body, error=DiagnoseError) if req.body else None
    except (ValueError, UnicodeDecodeError, DiagnoseError):
        doc = None
    if doc is not None:
        for seps, sk_, what in (((",", ":"), False, "compact JSON"), ((", ", ": "), False, "JSON with spaces"),
                                ((",", ":"), True, "compact JSON with sorted keys"),
                                ((", ", ": "), True, "JSON with spaces and sorted keys")):
            for ascii_ in (False, True):
                b = json.dumps(doc, separators=seps, sort_keys=sk_, ensure_ascii=ascii_).encode("utf-8")
                bodies.append((b, what + (" (ASCII-escaped)" if ascii_ else "")))
        bodies.append((json.dumps(doc, indent=2).encode(), "indented JSON"))
    seen = {req.body}
    for b, what in bodies:
        if b in seen:
            continue
        seen.add(b)
        h = sha256_hex(b)
        new_sel = {**sel, sha_name: [h]} if sha_name in sel else sel
        yield "body-changed-after-signing", h, new_sel, \
            f"the signature matches the body as {what} ({len(b)} bytes; {len(req.body)} were sent)"
    if m.payload != "UNSIGNED-PAYLOAD":
        yield "unsigned-payload-not-allowed", "UNSIGNED-PAYLOAD", sel, \
            "the signature matches UNSIGNED-PAYLOAD as the payload hash"
    elif sc is not OSS4:
        h = sha256_hex(req.body)
        yield "unsigned-payload-not-allowed", h, sel, \
            "the signature matches the body's SHA-256 instead of UNSIGNED-PAYLOAD"




# ---- the registered families ----------------------------------------------------------------------------------
@hypothesis("secret-whitespace", "secret-special-chars-mangled", "access-key-secret-swapped")
def secrets(_m: Model, sk: str, creds: Credentials) -> Iterator[Variant]:
    for cid, v, ev in _secret_variants(sk, creds.access_key):
        yield Variant(cid, ev, secret=v)


@hypothesis("wrong-region")
def regions(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    pfx, d, r, sv, term = m.key_args
    for region in _REGIONS:
        if region != r:
            yield Variant("wrong-region", f"the signing key was derived for region {region!r} although the scope "
                          f"says {r!r}", key_args=(pfx, d, region, sv, term))


@hypothesis("wrong-service")
def services(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    pfx, d, r, sv, term = m.key_args
    for service in sorted(set(_SERVICES) | {sv.lower(), sv.upper(), sv.capitalize()}):
        if service != sv:
            yield Variant("wrong-service", f"the signing key was derived for service {service!r} although the scope "
                          f"says {sv!r}", key_args=(pfx, d, r, service, term))


@hypothesis("wrong-scope-terminator", "wrong-algorithm-string")
def scheme_words(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    pfx, d, r, sv, term = m.key_args
    for p2, t2 in _TERMS + tuple((p, term) for p in ("AWS4", "", "aliyun_v4")):
        if (p2, t2) != (pfx, term):
            yield Variant("wrong-scope-terminator", f"the signing key was derived with key prefix {p2!r} and "
                          f"terminator {t2!r} (the request declares {term!r})", key_args=(p2, d, r, sv, t2))
    for alg in _ALGS:
        if alg != m.s.algorithm:
            yield Variant("wrong-algorithm-string", f"the string to sign began with {alg!r} while the request "
                          f"declares {m.s.algorithm!r}", alg=alg)


@hypothesis("date-header-mismatch")
def scope_date(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    pfx, d, r, sv, term = m.key_args
    day = m.ts[:8]
    if day and day != d:
        yield Variant("date-header-mismatch", f"the signing key was derived from the timestamp's date {day} while "
                      f"the scope says {d}", key_args=(pfx, day, r, sv, term))
        yield Variant("date-header-mismatch", f"the scope in the string to sign used {day}",
                      scope=f"{day}/{r}/{sv}/{term}", key_args=(pfx, day, r, sv, term))


@hypothesis("method-mismatch")
def methods(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    for meth in ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH"):
        if meth != m.req.method:
            yield Variant("method-mismatch", f"the signature matches method {meth} (the request was sent with "
                          f"{m.req.method})", m.cr(method=meth))


@hypothesis("path-not-encoded", "path-double-encoded", "path-normalization", "plus-in-path", "unicode-normalization",
            "oss-bucket-in-resource")
def paths(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    gen = _oss_uri_variants(m) if m.oss else _s3_uri_variants(m, m.req.path) if m.s3 else _aws_uri_variants(m)
    for cid, curi, ev in gen:
        yield Variant(cid, ev, m.cr(curi=curi))


@hypothesis("query-not-sorted", "space-encoded-as-plus", "query-encoding-mismatch", "query-param-added-after-signing",
            "session-token-not-signed")
def queries(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    for cid, cq, ev in _query_variants(m):
        yield Variant(cid, ev, m.cr(cq=cq))


@hypothesis("header-changed-after-signing", "oss-content-md5-or-type-mismatch", "host-header-mismatch",
            "duplicate-header", "non-ascii-header-value", "hop-by-hop-header-signed", "session-token-not-signed")
def header_values(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    for name, vals in m.selected.items():
        for cid, alt_vals, ev, sc in _value_variants(m, name, vals):
            yield Variant(cid, ev, m.parts(sc, selected=_with(m.selected, name, alt_vals)).canonical_request)


@hypothesis("header-value-whitespace-not-trimmed", "case-of-signed-headers", "signed-header-missing",
            "oss-content-md5-or-type-mismatch")
def header_lists(m: Model, _sk: str, creds: Credentials) -> Iterator[Variant]:
    for cid, sel, ev, sc, listed in _list_variants(m, creds):
        yield Variant(cid, ev, m.parts(sc, selected=sel, **(
            {"listed": listed} if listed is not None else {})).canonical_request)


@hypothesis("body-changed-after-signing", "unsigned-payload-not-allowed")
def bodies(m: Model, _sk: str, _creds: Credentials) -> Iterator[Variant]:
    for cid, payload, sel, ev in _body_variants(m):
        cr = m.cr(payload=payload) if sel is m.selected else m.parts(payload=payload, selected=sel).canonical_request
        yield Variant(cid, ev, cr)


def _with(sel: dict[str, list[str]], name: str, vals: list[str] | None) -> dict[str, list[str]]:
    out = dict(sel)
    if vals is None:
        out.pop(name, None)
    else:
        out[name] = vals
    return out
