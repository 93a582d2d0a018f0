"""What a signed request declares about its signature — the one parser of it, used by
:meth:`Signer.verify`, the emulator's gateway and :func:`ik.diagnose` alike.

It reads the scheme (AWS4, VOLC, OSS4 or OSS V1), where the signature travels (``Authorization``
or presigned query parameters), the credential scope, the signed-header list as written, the
timestamp and expiry, and the session token. It judges nothing: a request that cannot be read
raises :class:`DeclarationError` with a gateway-style ``code``::

    >>> import imgx_kit as ik
    >>> from imgx_kit.core.declared import read
    >>> d = read(ik.HttpRequest.build("GET", "https://h/", {"X-Date": "20250101T000000Z",
    ...     "Authorization": "HMAC-SHA256 Credential=AK/20250101/cn-north-1/cv/request, "
    ...                      "SignedHeaders=host;x-date, Signature=abc"}))
    >>> d.scheme, d.region, d.signed_headers, d.timestamp
    ('VOLC', 'cn-north-1', ('host', 'x-date'), '20250101T000000Z')
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import canonical as C
from .errors import DiagnoseError
from .request import HttpRequest
from .scheme import AWS4, OSS4, SCHEMES, VOLC, Scheme

__all__ = ["OSS1_QUERY_AUTH", "DeclarationError", "Declared", "parse_authorization", "read", "scheme_word"]

OSS1_QUERY_AUTH = frozenset({"OSSAccessKeyId", "Expires", "Signature"})
_ALG_SCHEME = {"AWS4-HMAC-SHA256": "AWS4", "HMAC-SHA256": "VOLC", "OSS4-HMAC-SHA256": "OSS4"}
_TERM_SCHEME = {"aws4_request": "AWS4", "request": "VOLC", "aliyun_v4_request": "OSS4"}
_AUTH_PART = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,\s]*)\s*")


class DeclarationError(DiagnoseError):
    """A signed request whose signature declaration cannot be read; ``code`` is what a gateway answers."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code = code


@dataclass(frozen=True)
class Declared:
    """An Authorization header or presigned query, split into its parts (``signed_headers`` as
    written, in order; ``timestamp`` the date header or parameter — OSS V1: ``Date`` or ``Expires``)."""

    algorithm: str
    access_key: str
    date: str = ""
    region: str = ""
    service: str = ""
    terminator: str = ""
    signed_headers: tuple[str, ...] = ()
    signature: str = ""
    presigned: bool = False
    timestamp: str | None = None
    expires: int | None = None
    scheme: str = ""
    signed_raw: str = ""
    token: str | None = None
    auth_params: frozenset[str] = frozenset()

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


def parse_authorization(value: str) -> Declared | None:
    """Parse ``ALG Credential=AK/date/region/service/term, SignedHeaders=a;b, Signature=hex``
    (OSS4 writes ``AdditionalHeaders``, in any position). ``None`` when it does not have that shape."""
    if not value or " " not in value.strip():
        return None
    alg, _, rest = value.strip().partition(" ")
    parts: dict[str, str] = {}
    for piece in rest.split(","):
        m = _AUTH_PART.fullmatch(piece)
        if not m:
            return None
        parts[m.group(1)] = m.group(2)
    cred, sig = parts.get("Credential"), parts.get("Signature")
    if cred is None or sig is None:
        return None
    bits = cred.split("/")
    if len(bits) < 5:
        return None
    listed = parts.get("SignedHeaders", parts.get("AdditionalHeaders", ""))
    date, region, service, terminator = bits[-4:]
    return Declared(alg, "/".join(bits[:-4]), date, region, service, terminator,
                    tuple(n for n in listed.split(";") if n), sig, signed_raw=listed,
                    scheme=_vote(alg, terminator) or "")


def scheme_word(auth: str | None, query: str) -> str | None:
    """The scheme a request names before anything is parsed: ``"AWS4"``, ``"VOLC"``, ``"OSS4"``,
    ``"OSS1"``, ``None`` (no authentication) or ``"?"`` (an unknown word)."""
    if auth is not None:
        word = auth.strip().partition(" ")[0]
        if word == "OSS":
            return "OSS1"
        return _ALG_SCHEME.get(word, "?")
    keys = {C._dec(p.partition("=")[0]) for p in query.split("&") if p}
    for sc in (AWS4, OSS4):
        if sc.q_signature in keys or sc.q_credential in keys or sc.q_algorithm in keys:
            return sc.name
    if "OSSAccessKeyId" in keys or {"Signature", "Expires"} <= keys:
        return "OSS1"
    if VOLC.q_signature in keys or VOLC.q_credential in keys or VOLC.q_algorithm in keys:
        return "VOLC"
    return None


def read(req: HttpRequest, scheme: Scheme | None = None) -> Declared:
    """What ``req`` declares. ``scheme``: the one the reader expects (the verifier's); ``None``
    reads any (diagnose), telling the scheme from the algorithm, the scope terminator and the
    date header by majority."""
    auth = req.header("Authorization")
    if auth is not None:
        return _from_header(req, auth.strip(), scheme)
    pairs = C.parse_query(req.query)
    q = dict(pairs)
    word = scheme.name if scheme is not None else scheme_word(None, req.query)
    if word == "OSS1":
        return _oss1_query(q)
    sc = SCHEMES.get(word or "")
    if sc is None or (sc.q_signature not in q and sc.q_algorithm not in q and sc.q_credential not in q):
        raise DeclarationError("MissingAuthenticationToken", "the request carries no signature: no Authorization "
                               "header and no presigned query parameters (X-Amz-Signature, X-Signature, "
                               "x-oss-signature, Signature)",
                               hint="capture the request as it was sent, with its Authorization header or full URL")
    return _presigned(q, sc)


def _vote(alg: str, terminator: str, date_vote: str | None = None) -> str | None:
    got = [n for n in (_ALG_SCHEME.get(alg), _TERM_SCHEME.get(terminator), date_vote) if n]
    return max(set(got), key=lambda n: (got.count(n), n == got[0])) if got else None


def _date_vote(names: Iterable[str]) -> str | None:
    low = {k.lower() for k in names}
    return "AWS4" if "x-amz-date" in low else "VOLC" if "x-date" in low else "OSS4" if "x-oss-date" in low else None


def _from_header(req: HttpRequest, a: str, scheme: Scheme | None) -> Declared:
    if a.startswith("OSS ") and "Credential=" not in a:
        body = a[4:].strip()
        if ":" not in body:
            raise DeclarationError("InvalidAuthorization", f"the Authorization header {a[:40]!r} is not "
                                   "'OSS AccessKeyId:Signature'",
                                   hint="OSS V1 writes 'OSS <AccessKeyId>:<base64 signature>'")
        ak, _, sig = body.rpartition(":")
        return Declared("OSS", ak, signature=sig, timestamp=req.header("x-oss-date") or req.header("Date"),
                        scheme="OSS1", token=req.header("x-oss-security-token"))
    p = parse_authorization(a)
    if p is None:
        want = scheme or AWS4
        code = "InvalidCredential" if "Credential=" in a else "InvalidAuthorization"
        where = "the Credential= part" if "Credential=" in a else "its overall shape"
        raise DeclarationError(code, f"the Authorization header does not parse ({where}): it is not "
                               f"'{want.algorithm} Credential=AK/date/region/service/{want.terminator}, "
                               f"{want.auth_list_label}=…, Signature=…'",
                               hint="expected 'ALGORITHM Credential=AK/date/region/service/terminator, "
                                    "SignedHeaders=a;b, Signature=hex' (or 'OSS AK:signature' for OSS V1)")
    name = scheme.name if scheme is not None else _vote(p.algorithm, p.terminator,
                                                        _date_vote(k for k, _ in req.headers))
    if name is None:
        raise DeclarationError("InvalidAuthorization", f"cannot tell the signing scheme of algorithm {p.algorithm!r} "
                               f"with scope terminator {p.terminator!r}",
                               hint="pass signer= (e.g. ik.presets.VOLC_CV) to say what the server expects")
    sc = SCHEMES[name]
    return Declared(p.algorithm, p.access_key, p.date, p.region, p.service, p.terminator, p.signed_headers,
                    p.signature, timestamp=req.header(sc.date_header), scheme=name, signed_raw=p.signed_raw,
                    token=req.header(sc.token_header))


def _presigned(q: dict[str, str], sc: Scheme) -> Declared:
    cred = q.get(sc.q_credential, "")
    bits = cred.split("/")
    if len(bits) < 5:
        raise DeclarationError("InvalidCredential", f"{sc.q_credential} {cred!r} is not "
                               f"AK/date/region/service/{sc.terminator}", hint="copy the whole presigned URL")
    sig = q.get(sc.q_signature)
    if not sig:
        raise DeclarationError("MissingSignature", f"the presigned URL has no {sc.q_signature} parameter",
                               hint="copy the whole URL")
    exp_text = q.get(sc.q_expires, "900" if sc is VOLC else "")
    try:
        expires = int(exp_text) if exp_text else None
    except ValueError:
        raise DeclarationError("InvalidParameter", f"{sc.q_expires}={exp_text!r} is not a whole number of seconds",
                               hint="presigned URLs carry a relative expiry in seconds") from None
    listed = q.get(sc.q_signed_headers or "", "") or ""
    date, region, service, terminator = bits[-4:]
    return Declared(q.get(sc.q_algorithm, ""), "/".join(bits[:-4]), date, region, service, terminator,
                    tuple(n for n in listed.split(";") if n), sig, presigned=True, timestamp=q.get(sc.q_date),
                    expires=expires, scheme=sc.name, signed_raw=listed, token=q.get(sc.q_token),
                    auth_params=frozenset({sc.q_signature}))


def _oss1_query(q: dict[str, str]) -> Declared:
    if "Signature" not in q:
        raise DeclarationError("MissingSignature", "the OSS signed URL has OSSAccessKeyId but no Signature parameter",
                               hint="copy the whole URL, including &Signature=…")
    exp = q.get("Expires", "")
    return Declared("OSS", q.get("OSSAccessKeyId", ""), signature=q["Signature"], presigned=True, timestamp=exp,
                    expires=int(exp) if exp.isdigit() else None, scheme="OSS1", token=q.get("security-token"),
                    auth_params=OSS1_QUERY_AUTH)
