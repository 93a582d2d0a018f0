"""Read what a server said about a rejected signature: its error code and, when it echoes them,
the canonical request and string to sign it computed.

Understands S3-style XML (``CanonicalRequest``, ``StringToSign`` and their ``…Bytes`` dumps),
Aliyun OSS XML errors (``StringToSign``, ``EC``), other AWS services' "The Canonical String for
this request should have been …" text, the Volcengine/ImageX gateway envelope
(``ResponseMetadata.Error``) and the imgx-kit emulator's teaching echo
(``ResponseMetadata.Error.Teaching``). A :class:`ServerEcho` is a mapping of step name to value,
so a trace diffs against it directly::

    >>> from imgx_kit.core.echo import parse_echo
    >>> e = parse_echo('<Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4-HMAC-SHA256\\n'
    ...                '20250101T000000Z</StringToSign></Error>')
    >>> e.code, e.source, dict(e)
    ('SignatureDoesNotMatch', 's3-xml', {'string_to_sign': 'AWS4-HMAC-SHA256\\n20250101T000000Z'})
"""
from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import DiagnoseError
from .html_layout import code, table
from .jsontext import loads_bounded
from .redact import redact_text, scrub

__all__ = ["ECHO_STEPS", "ServerEcho", "parse_echo"]

#: the steps an echo can carry, in pipeline order (names of :class:`~imgx_kit.core.trace.SigningTrace`)
ECHO_STEPS = ("canonical_uri", "canonical_query", "canonical_headers", "signed_headers", "payload_hash",
              "canonical_request", "string_to_sign", "signature")
_AWS_TEXT = re.compile(r"The Canonical String for this request should have been\s*'(?P<cr>.*?)'\s*"
                       r"(?:The String-to-Sign should have been\s*'(?P<sts>.*?)')?", re.S)


@dataclass(frozen=True, repr=False)
class ServerEcho(Mapping[str, Any]):
    """What the server answered, parsed. As a mapping it holds the steps the server echoed
    (``canonical_request``, ``string_to_sign`` and the canonical request's parts)."""

    source: str                         # s3-xml | oss-xml | aws-text | volc-json | emulator-teaching | status
    status: int | None = None
    code: str | None = None
    code_n: int | None = None
    message: str = ""
    request_id: str | None = None
    canonical_request: str | None = None
    string_to_sign: str | None = None
    signature_provided: str | None = None
    access_key: str | None = None
    scheme: str | None = None
    region: str | None = None           # Volc: the region the request named; S3: the one expected
    service: str | None = None
    signed_headers: str | None = None
    reason: str | None = None
    server_time: datetime | None = None
    details: tuple[tuple[str, str], ...] = ()
    steps_: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    hidden: tuple[str, ...] = field(default=(), compare=False)   # secrets the views mask (values stay raw)

    # ---- mapping of step name -> value ------------------------------------------------------
    def __getitem__(self, key: str) -> str:
        for k, v in self.steps_:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, _ in self.steps_)

    def __len__(self) -> int:
        return len(self.steps_)

    def detail(self, name: str) -> str | None:
        """A further field of the answer (``RequestTime``, ``ServerTime``, ``HeadersNotSigned``, ``EC`` …)."""
        for k, v in self.details:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def has_canonical(self) -> bool:
        return bool(self.steps_)

    # ---- views -------------------------------------------------------------------------------
    def redacted(self, secrets: tuple[str, ...] = ()) -> str:
        return redact_text(repr(self), secrets)

    def masking(self, secrets: Iterable[str | None]) -> ServerEcho:
        """The same answer, with views that also mask ``secrets`` (the values stay raw, so
        ``trace.diff(echo)`` still compares like with like)."""
        return replace(self, hidden=self.hidden + tuple(s for s in secrets if s))

    def _safe(self, text: str) -> str:
        """A value as the views show it: the known secrets masked (before any cutting, so no
        prefix of a token survives), then anything that looks like one (a token header line)."""
        return scrub(redact_text(text, self.hidden))

    def __repr__(self) -> str:
        head = f"ServerEcho({self.source}: {self.code or '-'}"
        if self.code_n:
            head += f" {self.code_n}"
        if self.status:
            head += f" [HTTP {self.status}]"
        head += ")"
        lines = [head]
        safe = self._safe
        if self.message:
            lines.append(f"  message: {safe(self.message)[:160]}")
        for k in ("region", "service", "scheme", "reason"):
            if getattr(self, k):
                lines.append(f"  {k}: {safe(getattr(self, k))}")
        for k, v in self.details:
            lines.append(f"  {k}: {safe(v)[:120]}")
        for k, v in self.steps_:
            lines.append(f"  {k}: {safe(v).replace(chr(10), chr(92) + 'n')[:160]}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .trace import show_whitespace
        meta = " · ".join(html.escape(f"{k}={v}") for k, v in
                          (("code", self.code), ("HTTP", self.status), ("region", self.region),
                           ("service", self.service)) if v)
        steps = table(None, ([f"<b>{html.escape(k)}</b>", code(show_whitespace(self._safe(v)))]
                             for k, v in self.steps_)) if self.steps_ else ""
        return (f"<div style='max-width:100%'><b>server answer</b> ({html.escape(self.source)}) {meta}"
                f"<div style='overflow-wrap:anywhere'>{html.escape(self._safe(self.message))}</div>{steps}</div>")


# ---- parsing ----------------------------------------------------------------------------------------
def parse_echo(response: Any, status: int | None = None) -> ServerEcho:
    """Parse a server's answer: body text/bytes, a parsed JSON dict, a raw HTTP response
    (``HTTP/1.1 403 …`` + headers + body), or a ``requests.Response``-like object
    (``status_code``, ``headers``, ``content``). Raises :class:`DiagnoseError` if it is none of
    the known shapes."""
    headers: dict[str, str] = {}
    if hasattr(response, "status_code") and hasattr(response, "content"):
        status = status or int(response.status_code)
        headers = {str(k).lower(): str(v) for k, v in dict(response.headers).items()}
        body: Any = response.content
    else:
        body = response
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise DiagnoseError("the server response is not UTF-8 text",
                                hint="pass the response body as it was received (JSON or XML)") from None
    if isinstance(body, str):
        text = body.lstrip("\ufeff")
        m = re.match(r"HTTP/\d(?:\.\d)?\s+(\d{3})[^\r\n]*\r?\n", text)
        if m:
            status = status or int(m.group(1))
            head, sep, rest = text[m.end():].partition("\r\n\r\n")
            if not sep:
                head, _, rest = text[m.end():].partition("\n\n")
            for line in head.splitlines():
                k, s, v = line.partition(":")
                if s:
                    headers[k.strip().lower()] = v.strip()
            text = rest
        echo = _parse_text(text.strip(), status)
    elif isinstance(body, Mapping):
        echo = _parse_json(body, status)
    else:
        raise DiagnoseError(f"cannot read a server response of type {type(response).__name__}",
                            hint="pass the body as text or bytes, a parsed JSON dict, or a requests.Response")
    server_time = echo.server_time or _http_date(headers.get("date"))
    if server_time is not echo.server_time:
        echo = _replace(echo, server_time=server_time)
    return echo


def _replace(echo: ServerEcho, **kw: Any) -> ServerEcho:
    from dataclasses import replace
    return replace(echo, **kw)


def _parse_text(text: str, status: int | None) -> ServerEcho:
    if not text:
        if status:
            return ServerEcho("status", status=status)
        raise DiagnoseError("the server response is empty", hint="pass the response body (JSON or XML)")
    if text.startswith(("{", "[")):
        try:
            doc = loads_bounded(text, what="the server response", error=DiagnoseError)
        except json.JSONDecodeError as e:
            raise DiagnoseError(f"the server response looks like JSON but does not parse: {e.msg} "
                                f"at line {e.lineno} column {e.colno}",
                                hint="pass the complete response body") from None
        if not isinstance(doc, Mapping):
            raise DiagnoseError("the server response JSON is not an object")
        return _parse_json(doc, status)
    if text.startswith("<"):
        return _parse_xml(text, status)
    m = _AWS_TEXT.search(text)
    if m:
        steps = _cr_steps(m.group("cr"))
        if m.group("sts"):
            steps.append(("string_to_sign", m.group("sts")))
        return ServerEcho("aws-text", status=status, code="InvalidSignatureException", message=text[:400],
                          canonical_request=m.group("cr"), string_to_sign=m.group("sts"),
                          steps_=_ordered(steps))
    raise DiagnoseError(f"the server response is neither JSON nor XML (starts with {text[:30]!r})",
                        hint="pass the response body as received, or a raw 'HTTP/1.1 …' response")


def _parse_json(doc: Mapping[str, Any], status: int | None) -> ServerEcho:
    meta = doc.get("ResponseMetadata")
    if isinstance(meta, Mapping):
        err = meta.get("Error") or {}
        if not isinstance(err, Mapping):
            raise DiagnoseError("ResponseMetadata.Error is not an object")
        teach = err.get("Teaching")
        steps: list[tuple[str, str]] = []
        cr = sts = sh = reason = sch = None
        if isinstance(teach, Mapping):
            cr, sts = _str(teach.get("CanonicalRequest")), _str(teach.get("StringToSign"))
            sh, reason, sch = _str(teach.get("SignedHeaders")), _str(teach.get("Reason")), _str(teach.get("Scheme"))
            if cr is not None:
                steps += _cr_steps(cr) if sch != "OSS1" else []
            if sts is not None:
                steps.append(("string_to_sign", sts))
            if sh is not None and sch != "OSS1":
                steps.append(("signed_headers", sh))
        code_n = err.get("CodeN")
        return ServerEcho("emulator-teaching" if isinstance(teach, Mapping) else "volc-json", status=status,
                          code=_str(err.get("Code")), code_n=int(code_n) if isinstance(code_n, int) else None,
                          message=_str(err.get("Message")) or "", request_id=_str(meta.get("RequestId")),
                          canonical_request=cr, string_to_sign=sts, scheme=sch,
                          region=_str(meta.get("Region")), service=_str(meta.get("Service")),
                          signed_headers=sh, reason=reason, steps_=_ordered(steps))
    if "code" in doc and ("message" in doc or "request_id" in doc):        # visual business envelope
        return ServerEcho("volc-json", status=status, code=str(doc.get("code")),
                          message=_str(doc.get("message")) or "", request_id=_str(doc.get("request_id")))
    raise DiagnoseError("the JSON response has no ResponseMetadata (Volcengine gateway envelope)",
                        hint="pass the gateway's JSON answer, or the XML error body of S3/OSS")


def _parse_xml(text: str, status: int | None) -> ServerEcho:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, col = e.position
        raise DiagnoseError(f"the XML error body does not parse at line {line} column {col}: {e}",
                            hint="pass the complete XML body as received") from None
    fields: dict[str, str] = {}
    for child in root:
        tag = child.tag.split("}")[-1]
        fields[tag] = child.text or ""
    cr = _from_bytes(fields.get("CanonicalRequestBytes")) or fields.get("CanonicalRequest")
    sts = _from_bytes(fields.get("StringToSignBytes")) or fields.get("StringToSign")
    is_oss = "EC" in fields or "OSSAccessKeyId" in fields or "RecommendDoc" in fields
    steps: list[tuple[str, str]] = []
    if cr is not None:
        steps += _cr_steps(cr)
    if sts is not None:
        steps.append(("string_to_sign", sts))
    known = {"Code", "Message", "RequestId", "CanonicalRequest", "CanonicalRequestBytes", "StringToSign",
             "StringToSignBytes", "SignatureProvided", "AWSAccessKeyId", "OSSAccessKeyId", "Region"}
    details = tuple((k, v) for k, v in fields.items() if k not in known)
    times = [_iso(fields.get(k)) for k in ("ServerTime",)]
    return ServerEcho("oss-xml" if is_oss else "s3-xml", status=status, code=fields.get("Code"),
                      message=fields.get("Message", ""), request_id=fields.get("RequestId"),
                      canonical_request=cr, string_to_sign=sts, signature_provided=fields.get("SignatureProvided"),
                      access_key=fields.get("AWSAccessKeyId") or fields.get("OSSAccessKeyId"),
                      region=fields.get("Region"), server_time=times[0], details=details,
                      steps_=_ordered(steps))


def _cr_steps(cr: str) -> list[tuple[str, str]]:
    """Split an AWS-style canonical request into its named parts."""
    out = [("canonical_request", cr)]
    lines = cr.split("\n")
    if len(lines) >= 6:
        out += [("canonical_uri", lines[1]), ("canonical_query", lines[2])]
        try:
            blank = lines.index("", 3)
        except ValueError:
            return out
        out.append(("canonical_headers", "".join(line + "\n" for line in lines[3:blank])))
        if len(lines) >= blank + 3:
            out += [("signed_headers", lines[blank + 1]), ("payload_hash", lines[-1])]
    return out


def _ordered(steps: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    d = dict(steps)
    return tuple((k, d[k]) for k in ECHO_STEPS if k in d)


def _from_bytes(dump: str | None) -> str | None:
    """``'47 45 54 0a'`` (as S3's …Bytes fields) -> text; ``None`` if absent or not such a dump."""
    if not dump:
        return None
    try:
        return bytes(int(b, 16) for b in dump.split()).decode("utf-8", errors="replace")
    except ValueError:
        return None


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return _http_date(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
