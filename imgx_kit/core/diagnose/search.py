"""Layers 2-3 of diagnose for AWS4 / VOLC / OSS4: the request's canonical inputs as it declares
them (:class:`Model`), and the hypothesis search — re-sign under one registered transformation at a
time; an HMAC match proves it. Every search honours the time budget.

    >>> from imgx_kit.core.diagnose.search import HYPOTHESES
    >>> "wrong-region" in {i for h in HYPOTHESES for i in h.ids}
    True
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import canonical as C
from ..credentials import Credentials
from ..declared import Declared
from ..keys import derive_keys, sign_string
from ..request import HttpRequest
from ..scheme import AWS4, OSS4, SCHEMES, VOLC, Scheme
from ..signer import (
    EMPTY_SHA256,
    Computation,
    compute_signature,
    parse_timestamp,
    received_selection,
    sha256_hex,
)
from .context import bucket_key

__all__ = ["DUMMY", "HYPOTHESES", "Hit", "Hypothesis", "Model", "Variant", "client_parts", "hypothesis", "search"]

DUMMY = Credentials("diagnose", "not-a-secret")
_V4 = ("AWS4", "VOLC", "OSS4")


class Hit(NamedTuple):
    cid: str
    evidence: str
    parts: dict[str, str]


class Variant(NamedTuple):
    """One transformation to re-sign under: another canonical request, secret, algorithm word,
    scope line or key derivation (``None``: as the request declares)."""

    cid: str
    evidence: str
    cr: str | None = None
    secret: str | None = None
    alg: str | None = None
    scope: str | None = None
    key_args: tuple[str, str, str, str, str] | None = None


class Model:
    """AWS4 / VOLC / OSS4: the canonical inputs as the request declares them, and re-signing."""

    def __init__(self, sent: HttpRequest, s: Declared, normalize: bool, bucket: str | None, s3: bool = False):
        self.req, self.s = sent, s
        self.sc = sc = SCHEMES[s.scheme]
        self.volc_presign = s.presigned and sc is VOLC
        self.pairs = [(k, v) for k, v in C.parse_query(sent.query) if k not in s.auth_params]
        self.normalize = normalize
        self.s3 = s3 and sc is AWS4
        self.oss = sc is OSS4
        if self.oss:
            self.bucket, self.key = bucket_key(sent, bucket)
            self.curi = C.uri_encode(f"/{self.bucket}/{self.key}", keep_slash=True)
        else:
            self.curi = C.s3_canonical_uri(sent.path) if self.s3 else C.canonical_uri(sent.path, sc, normalize)
        self.cq = C.canonical_query(self.pairs, sc)
        self.selected: dict[str, list[str]] = {}
        self.listed: str | None = None
        self.block: str | None = "\n" if self.volc_presign else None
        self.payload = EMPTY_SHA256
        if not self.volc_presign:
            self.selected, self.listed = received_selection(sc, sent, s.signed_headers)
            sha = sent.header(sc.content_sha_header)
            unsigned = sc.payload == "unsigned" or (self.s3 and s.presigned)
            self.payload = sha if sha is not None else ("UNSIGNED-PAYLOAD" if unsigned else sha256_hex(sent.body))
        self.ts = s.timestamp or ""
        self.key_args = (sc.key_prefix, s.date, s.region, s.service, s.terminator)
        self.scope = f"{s.date}/{s.region}/{s.service}/{s.terminator}"
        self._base = self.parts()

    def parts(self, sc: Scheme | None = None, **o: Any) -> Computation:
        return compute_signature(sc or self.sc, o.get("method", self.req.method), o.get("curi", self.curi),
                                 o.get("cq", self.cq), o.get("selected", self.selected), o.get("payload", self.payload),
                                 DUMMY, o.get("ts", self.ts) or "00000000T000000Z", self.s.region or "-",
                                 self.s.service or "-", header_block=o.get("block", self.block),
                                 listed=o.get("listed", self.listed))

    @property
    def base_cr(self) -> str:
        return self._base.canonical_request

    def cr(self, method: str | None = None, curi: str | None = None, cq: str | None = None,
           payload: str | None = None) -> str:
        """The canonical request with one line replaced, from the cached header block (linear, no re-sort)."""
        b = self._base
        block = self.block if self.block is not None else b.canonical_headers
        return (f"{method or self.req.method}\n{b.canonical_uri if curi is None else curi}\n"
                f"{b.canonical_query if cq is None else cq}\n{block}\n{b.signed_headers}\n"
                f"{b.payload_hash if payload is None else payload}")

    def sign(self, cr: str, secret: str, v: Variant | None = None) -> tuple[str, str]:
        prefix, d, r, sv, term = (v.key_args if v is not None and v.key_args else None) or self.key_args
        alg = v.alg if v is not None and v.alg is not None else self.s.algorithm
        scope = v.scope if v is not None and v.scope is not None else self.scope
        sts = f"{alg}\n{self.ts}\n{scope}\n{hashlib.sha256(cr.encode('utf-8')).hexdigest()}"
        return sign_string((prefix, secret, d, r, sv, term), sts)[1], sts


@dataclass(frozen=True)
class Hypothesis:
    """A registered family of transformations: the catalogue ``ids`` it may prove, the ``schemes``
    it applies to; it needs the secret and proves itself by an exact HMAC match."""

    name: str
    ids: tuple[str, ...]
    schemes: tuple[str, ...]
    variants: Callable[[Model, str, Credentials], Iterator[Variant]]
    needs_secret: bool = True
    proves: str = "exact"


HYPOTHESES: list[Hypothesis] = []


def hypothesis(*ids: str, schemes: tuple[str, ...] = _V4
               ) -> Callable[[Callable[[Model, str, Credentials], Iterator[Variant]]], Any]:
    def register(fn: Callable[[Model, str, Credentials], Iterator[Variant]]) -> Any:
        HYPOTHESES.append(Hypothesis(fn.__name__, ids, schemes, fn))
        return fn
    return register


def search(m: Model, sk: str, creds: Credentials, deadline: float) -> tuple[list[Hit], bool]:
    """(hits in registration order, whether the budget ran out). Variants giving a canonical
    request already tried (or the baseline) are skipped: the first, most specific, explanation wins."""
    target = m.s.signature.lower()
    base_cr, tried = m.base_cr, {m.base_cr}
    hits: list[Hit] = []
    for h in HYPOTHESES:
        if m.s.scheme not in h.schemes:
            continue
        for v in h.variants(m, sk, creds):
            if time.perf_counter() > deadline:
                return hits, True
            if v.cr is not None and v.secret is None and v.key_args is None and v.alg is None and v.scope is None:
                if v.cr in tried:
                    continue
                tried.add(v.cr)
            cr = base_cr if v.cr is None else v.cr
            sig, sts = m.sign(cr, sk if v.secret is None else v.secret, v)
            if sig == target:
                hits.append(Hit(v.cid, v.evidence, client_parts(cr, sts, sig)))
    if hits:
        return hits, False
    found = time_search(m, sk, base_cr, target, deadline)
    return found, not found and time.perf_counter() > deadline


def client_parts(cr: str, sts: str | None, sig: str) -> dict[str, str]:
    """The client's computation as a mapping a trace can diff against."""
    from ..echo import _cr_steps
    parts = dict(_cr_steps(cr))
    if sts is not None:
        parts["string_to_sign"] = sts
        lines = sts.split("\n")
        if len(lines) == 4:
            parts["credential_scope"] = lines[2]
    parts["signature"] = sig
    return parts


def time_search(m: Model, sk: str, base_cr: str, target: str, deadline: float) -> list[Hit]:
    """The timestamp changed after signing: the same scope, the timestamp ±1…3600 s. The signing
    key does not depend on the timestamp, so each candidate costs one SHA-256 of the canonical
    request (from a state that has read what precedes the timestamp) and one HMAC from a keyed state."""
    ts0 = parse_timestamp(m.ts)
    if ts0 is None or not re.fullmatch(r"[0-9a-f]{64}", target):
        return []
    keyed = _keyed(derive_keys(m.key_args[0], sk, *m.key_args[1:])[3])
    want = bytes.fromhex(target)
    first, *rest = base_cr.encode("utf-8").split(m.ts.encode())
    pre = hashlib.sha256(first)
    fixed = None if rest else pre.hexdigest().encode()
    head, tail = f"{m.s.algorithm}\n".encode(), f"\n{m.scope}\n".encode()
    epoch = int(ts0.timestamp())
    days: dict[int, bytes] = {}
    for delta in range(1, 3601):
        if delta % 25 == 0 and time.perf_counter() > deadline:
            break
        for e in (epoch - delta, epoch + delta):
            t2 = _stamp(e, days)
            if t2 is None:
                continue
            if fixed is None:
                h = pre.copy()
                h.update(t2.join([b"", *rest]))
            sts = head + t2 + tail + (fixed or h.hexdigest().encode())
            mac = keyed.copy()
            mac.update(sts)
            if mac.digest() == want:
                t2s = t2.decode()
                return [Hit("date-header-changed-after-signing", f"the signature matches timestamp {t2s}; the request "
                            f"carries {m.ts} ({epoch - e:+d} s changed after signing)",
                            client_parts(base_cr.replace(m.ts, t2s), sts.decode(), target))]
    return []


def _stamp(epoch: int, days: dict[int, bytes]) -> bytes | None:
    """``YYYYMMDDTHHMMSSZ`` of a Unix time, the date part formatted once per day."""
    day, sec = divmod(epoch, 86400)
    prefix = days.get(day)
    if prefix is None:
        try:
            prefix = days[day] = time.strftime("%Y%m%dT", time.gmtime(day * 86400)).encode()
        except (OverflowError, OSError, ValueError):      # at the ends of the calendar
            return None
    return b"%s%02d%02d%02dZ" % (prefix, sec // 3600, sec // 60 % 60, sec % 60)


def _keyed(key: bytes) -> Any:
    """An HMAC-SHA256 state keyed with ``key``; OpenSSL's own object where the interpreter has it
    (its copy() skips the pure-Python wrapper: a third of the time search's cost)."""
    try:
        from _hashlib import hmac_new
        return hmac_new(key, digestmod="sha256")
    except (ImportError, TypeError, ValueError):
        return hmac.new(key, digestmod=hashlib.sha256)
