"""The OSS V1 (HMAC-SHA1) search: re-sign the string to sign under one registered transformation at
a time — secret, method, resource, sub-resources, headers, Date — an HMAC match proves it.

    >>> from imgx_kit.core.diagnose.oss_v1 import V1_HYPOTHESES
    >>> [h.__name__ for h in V1_HYPOTHESES][:3]
    ['_v1_secrets', '_v1_methods', '_v1_resources']
"""
from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from .. import canonical as C, oss_sign as O
from ..declared import Declared
from ..request import HttpRequest
from .context import bucket_key
from .search import Hit
from .variants import _non_ascii_variants, _secret_variants

__all__ = ["V1", "V1_HYPOTHESES", "v1_search"]


class V1:
    """The V1 string to sign of a request as sent, and re-signing with one input changed."""

    def __init__(self, sent: HttpRequest, s: Declared, bucket: str | None, token: str | None):
        self.sent, self.s, self.token = sent, s, token
        self.b, self.k = bucket_key(sent, bucket)
        self.pairs = [(kk, v) for kk, v in C.parse_query(sent.query) if not (s.presigned and kk in s.auth_params)]
        self.headers = [(kk, v) for kk, v in sent.headers if kk.lower() != "authorization"]
        self.date = s.timestamp or ""
        self.res0 = O.v1_resource(self.b, self.k, self.pairs)

    def run(self, secret: str, method: str | None = None, hdrs: list[tuple[str, str]] | None = None,
            res: str | None = None, d: str | None = None) -> tuple[str, str, list[tuple[str, str]]]:
        return O.v1_string_to_sign(method or self.sent.method, self.headers if hdrs is None else hdrs,
                                   self.date if d is None else d, self.res0 if res is None else res, secret)

    def res(self, key: str | None = None, pairs: list[tuple[str, str]] | None = None,
            bucket: str | None = None) -> str:
        return O.v1_resource(self.b if bucket is None else bucket, self.k if key is None else key,
                             self.pairs if pairs is None else pairs)


class V1Variant(NamedTuple):
    cid: str
    evidence: str
    kw: dict[str, Any]


def _v1_secrets(_v: V1, sk: str, ak: str) -> Iterator[V1Variant]:
    for cid, secret, ev in _secret_variants(sk, ak):
        yield V1Variant(cid, ev, {"secret": secret})


def _v1_methods(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    for meth in ("GET", "PUT", "POST", "HEAD", "DELETE"):
        if meth != v.sent.method:
            yield V1Variant("method-mismatch", f"the signature matches method {meth} (sent: {v.sent.method})",
                            {"method": meth})


def _v1_resources(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    b, k = v.b, v.k
    yield V1Variant("oss-bucket-in-resource", "the signature matches the resource without the bucket",
                    {"res": O.v1_resource("", None, v.pairs).replace("/", f"/{k}", 1) if k else "/"})
    yield V1Variant("oss-bucket-in-resource", "the signature matches the bucket written twice",
                    {"res": v.res(f"{b}/{k}")})
    enc = quote(k, safe="/")
    if enc != k:
        yield V1Variant("oss-resource-key-encoded", "the signature matches the URL-encoded key in the resource (V1 "
                        "signs the raw key)", {"res": v.res(enc)})
        yield V1Variant("oss-resource-key-encoded", "the signature matches the fully encoded key in the resource",
                        {"res": v.res(quote(k, safe=""))})
    if "+" in k:
        yield V1Variant("plus-in-path", "the signature matches '+' in the key read as a space",
                        {"res": v.res(k.replace("+", " "))})
    for form in ("NFC", "NFD"):
        alt = unicodedata.normalize(form, k)
        if alt != k:
            yield V1Variant("unicode-normalization", f"the signature matches the {form} form of the key",
                            {"res": v.res(alt)})


def _v1_subresources(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    for i, (kk, _val) in enumerate(v.pairs):
        rest = v.pairs[:i] + v.pairs[i + 1:]
        if kk == "security-token":
            yield V1Variant("session-token-not-signed", "the signature matches the resource without 'security-token': "
                            "the token was appended after signing or left out of the signed resource",
                            {"res": v.res(pairs=rest)})
        elif kk in O.SUBRESOURCES:
            yield V1Variant("oss-subresource-not-signed", f"the signature matches the resource without {kk!r}: it was "
                            "appended after signing or left out of the signed resource", {"res": v.res(pairs=rest)})


def _v1_type_md5(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    low = {kk.lower(): val for kk, val in v.headers}
    for name in ("content-type", "content-md5"):
        if name in low:
            yield V1Variant("oss-content-md5-or-type-mismatch",
                            f"the signature matches a request signed without {name}",
                            {"hdrs": [(kk, x) for kk, x in v.headers if kk.lower() != name]})
            if ";" in low[name]:
                yield V1Variant("oss-content-md5-or-type-mismatch", f"the signature matches {name} without its "
                                "parameters", {"hdrs": [(kk, x.split(";")[0].strip() if kk.lower() == name else x)
                                                        for kk, x in v.headers]})
    if "content-type" not in low:
        for ct in ("application/octet-stream", "image/png", "image/jpeg", "application/x-www-form-urlencoded",
                   "text/plain"):
            yield V1Variant("oss-content-md5-or-type-mismatch", f"the signature matches Content-Type {ct!r}, which was "
                            "not sent", {"hdrs": v.headers + [("Content-Type", ct)]})


def _v1_oss_headers(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    hs = v.headers
    for kk, val in hs:
        if kk.lower().startswith("x-oss-") and ";" in val:
            yield V1Variant("header-changed-after-signing",
                            f"the signature matches {kk.lower()} without its parameters",
                            {"hdrs": [(a, val.split(";")[0].strip() if a == kk else bv) for a, bv in hs]})
    for i, (kk, _val) in enumerate(hs):          # every x-oss-* header is signed implicitly
        lk = kk.lower()
        if lk.startswith("x-oss-") and lk != "x-oss-date":
            cid = "session-token-not-signed" if lk == "x-oss-security-token" else "unsigned-header-present"
            why = "the token was added after signing" if cid == "session-token-not-signed" else \
                "OSS V1 signs every x-oss-* header, but this one was added after signing (or left out by the signer)"
            yield V1Variant(cid, f"the signature matches the request without {lk}: {why}",
                            {"hdrs": hs[:i] + hs[i + 1:]})
    if v.token and "x-oss-security-token" not in {kk.lower() for kk, _ in hs} and not v.s.presigned:
        yield V1Variant("signed-header-missing", "the signature matches the request with x-oss-security-token set to "
                        "your session token: it was signed, then dropped before sending",
                        {"hdrs": hs + [("x-oss-security-token", v.token)]})


def _v1_values(v: V1, _sk: str, _ak: str) -> Iterator[V1Variant]:
    hs = v.headers
    signed = [(i, kk.lower(), val) for i, (kk, val) in enumerate(hs)
              if kk.lower().startswith("x-oss-") or kk.lower() in ("content-type", "content-md5")]
    idx = {i for i, _, _ in signed}
    for mode, fn in (("trimall", lambda x: " ".join(x.split())), ("strip", str.strip)):
        if any(fn(val) != val for _, _, val in signed):
            yield V1Variant("header-value-whitespace-not-trimmed", f"the signature matches header values canonicalised "
                            f"with '{mode}' (OSS V1 signs them as sent)",
                            {"hdrs": [(a, fn(bv) if i in idx else bv) for i, (a, bv) in enumerate(hs)]})
    for i, lk, val in signed:
        if not val.isascii():
            for alt, what in _non_ascii_variants(val):
                yield V1Variant("non-ascii-header-value", f"the signature matches {lk} {what}",
                                {"hdrs": hs[:i] + [(hs[i][0], alt)] + hs[i + 1:]})


V1_HYPOTHESES: list[Callable[[V1, str, str], Iterator[V1Variant]]] = [
    _v1_secrets, _v1_methods, _v1_resources, _v1_subresources, _v1_type_md5, _v1_oss_headers, _v1_values]


def v1_search(v: V1, sk: str, ak: str, deadline: float) -> tuple[list[Hit], bool]:
    """(hits, whether the budget ran out)."""
    targets = {v.s.signature, v.s.signature.replace(" ", "+")}
    hits: list[Hit] = []
    for family in V1_HYPOTHESES:
        for var in family(v, sk, ak):
            if time.perf_counter() > deadline:
                return hits, True
            kw = dict(var.kw)
            sts, sig, _ = v.run(kw.pop("secret", sk), **kw)
            if sig in targets:
                hits.append(Hit(var.cid, var.evidence, {"string_to_sign": sts, "signature": sig}))
    if hits or v.s.presigned or not v.date:
        return hits, False
    return _v1_date_search(v, sk, targets, deadline)


def _v1_date_search(v: V1, sk: str, targets: set[str], deadline: float) -> tuple[list[Hit], bool]:
    try:
        d0 = parsedate_to_datetime(v.date)
    except (TypeError, ValueError, OverflowError):
        return [], False
    for delta in range(1, 3601):
        if delta % 100 == 0 and time.perf_counter() > deadline:
            return [], True
        for sgn in (-1, 1):
            try:
                d2 = O.http_date(d0 + timedelta(seconds=sgn * delta))
            except (OverflowError, ValueError, OSError):
                continue
            hdrs = [(a, d2 if a.lower() == "date" else bv) for a, bv in v.headers]
            sts, sig, _ = v.run(sk, hdrs=hdrs, d=d2)
            if sig in targets:
                hit = Hit("date-header-changed-after-signing", f"the signature matches Date {d2}; the request "
                          f"carries {v.date} ({-sgn * delta:+d} s)", {"string_to_sign": sts, "signature": sig})
                return [hit], False
    return [], False
