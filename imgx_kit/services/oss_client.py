"""``ik.oss.Client``: put, get (with ``x-oss-process``), head, signed URLs and ``sys/saveas`` on an
Aliyun OSS bucket, V1 or V4 signed, every call recorded.

    >>> import imgx_kit as ik
    >>> with ik.emulator.running() as emu:                                   # doctest: +SKIP
    ...     oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, emu.demo_oss_credentials,
    ...                        version=4, region=emu.oss_region)
    ...     _ = oc.put("cat.png", "cat.png")
    ...     oc.get("cat.png", process=ik.oss.Process().resize(w=100)).image.width
    100
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..core import oss_sign
from ..core.credentials import Credentials
from ..core.errors import (
    CredentialsError,
    ImageInputError,
    ServiceError,
    SignatureMismatchError,
    ThrottledError,
    UploadError,
)
from ..core.html_layout import plural
from ..core.oss_process import Process
from ..core.redact import redact_url
from ..core.request import HttpRequest
from .calls import Calls, Exchange, Transport, calls_html, safe_echo
from .client_args import check_transport_args
from .images import crc64, load_image
from .retry import DEFAULT_POLICY, RetryPolicy, parse_retry_after

__all__ = ["Client", "OssResult"]

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
         "bmp": "image/bmp", "tiff": "image/tiff", "heic": "image/heic", "avif": "image/avif"}


@dataclass(frozen=True, repr=False)
class OssResult:
    """One OSS answer: ``status``, ``headers``, the body ``data`` (``.image`` decodes it) and ``calls``."""

    key: str
    status: int
    headers: dict = field(default_factory=dict, compare=False)
    data: bytes = b""
    json: Any = None
    calls: Calls = field(default_factory=Calls, compare=False)

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def etag(self) -> str | None:
        return self.header("etag")

    def header(self, name: str) -> str | None:
        """A response header, by name in any case."""
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)

    @property
    def image(self):
        """The body decoded with Pillow."""
        from PIL import Image
        im = Image.open(io.BytesIO(self.data))
        im.load()
        return im

    def __repr__(self) -> str:
        return (f"OssResult({self.key!r}, HTTP {self.status}, {len(self.data)} bytes"
                f"{', ' + self.content_type if self.content_type else ''}, {plural(len(self.calls), 'call')})")

    def _repr_html_(self) -> str:
        img = ""
        if self.data and (self.content_type or "").startswith("image/"):
            b64 = base64.b64encode(self.data).decode()
            img = f"<br><img style='max-width:512px' src='data:{self.content_type};base64,{b64}'/>"
        return f"<div><code>{html.escape(repr(self))}</code>{img}{calls_html(self.calls)}</div>"


class Client:
    """An OSS bucket client. ``endpoint`` is the region endpoint (``https://oss-cn-hangzhou.aliyuncs.com``)
    or the emulator's ``endpoints.oss`` (path-style for IP addresses, as oss2 does)."""

    def __init__(self, bucket: str, endpoint: str, creds: Credentials, version: int = 4,
                 region: str = "cn-hangzhou", *, retry: RetryPolicy | None = None,
                 transport: Transport | None = None, verify: bool | str | None = None,
                 timeout: Any = (10.0, 120.0)) -> None:
        if not isinstance(creds, Credentials):
            raise CredentialsError(f"creds must be ik.Credentials, not {type(creds).__name__}",
                                   hint="e.g. ik.Credentials.from_env('OSS') or emu.demo_oss_credentials")
        oss_sign.check_version(version, region)
        check_transport_args(retry, transport, verify, timeout)
        oss_sign.check_key(bucket, None, required=False)         # a valid bucket name
        oss_sign.object_url(endpoint, bucket, "k")                # validates the endpoint
        self.bucket, self.endpoint, self.creds = bucket, endpoint.rstrip("/"), creds
        self.version, self.region = version, region
        self.retry = retry or DEFAULT_POLICY
        self.transport = transport or Transport(timeout=timeout, verify=verify)

    def __repr__(self) -> str:
        return f"oss.Client({self.bucket!r}, {redact_url(self.endpoint)!r}, {self.creds!r}, version={self.version})"

    # ---- operations --------------------------------------------------------------------------
    def put(self, key: str, image_or_bytes: Any, content_type: str | None = None,
            headers: Iterable[tuple[str, str]] | dict | None = None) -> OssResult:
        """Upload an object. Images (any input of ``load_image``) get their content type from their
        content; plain ``bytes`` that are not an image are stored as given."""
        if isinstance(image_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(image_or_bytes)
            try:
                src = load_image(data)
                ctype = content_type or _MIME.get(src.format, "application/octet-stream")
            except ImageInputError:
                ctype = content_type or "application/octet-stream"
            return self._call("PUT", key, headers=[("Content-Type", ctype), *_pairs(headers)], body=data,
                              label="PutObject")
        src = load_image(image_or_bytes, session=self.transport.session)
        ctype = content_type or _MIME.get(src.format, "application/octet-stream")
        return self._call("PUT", key, headers=[("Content-Type", ctype), *_pairs(headers)], body=src.read_bytes()
                          if src.in_memory else None, stream=src, label="PutObject")

    def get(self, key: str, process: Process | str | None = None) -> OssResult:
        """Download an object, processed by ``x-oss-process`` when ``process`` is given."""
        params = [("x-oss-process", _process_text(process))] if process is not None else []
        return self._call("GET", key, params=params, label="GetObject")

    def head(self, key: str) -> OssResult:
        return self._call("HEAD", key, label="HeadObject")

    def delete(self, key: str) -> OssResult:
        return self._call("DELETE", key, label="DeleteObject")

    def sign_url(self, key: str, process: Process | str | None = None, expires: int = 3600,
                 method: str = "GET") -> str:
        """A signed URL for ``key`` (with ``x-oss-process``); ``expires`` seconds from now."""
        t = oss_sign.sign_url(self.bucket, key, self.endpoint, self.creds, expires,
                              process=_process_text(process) if process is not None else None,
                              method=method, version=self.version, region=self.region)
        return t.signed_request.url

    def saveas(self, key: str, process: Process | str, target_key: str,
               target_bucket: str | None = None) -> OssResult:
        """Process ``key`` and store the result as ``target_key`` (``POST ?x-oss-process`` with
        ``sys/saveas``); the answer's JSON is in ``.json``."""
        text = _process_text(process)
        if "|sys/saveas" in text:
            raise ImageInputError("process already carries sys/saveas",
                                  hint="pass the process and target_key separately")
        o = base64.urlsafe_b64encode(target_key.encode()).decode().rstrip("=")
        tail = f"|sys/saveas,o_{o}"
        if target_bucket:
            tail += ",b_" + base64.urlsafe_b64encode(target_bucket.encode()).decode().rstrip("=")
        body = f"x-oss-process={text}{tail}".encode()
        return self._call("POST", key, params=[("x-oss-process", None)], body=body, label="ProcessObject(saveas)")

    # ---- plumbing ------------------------------------------------------------------------------
    def _url(self, key: str, params: list) -> str:
        url = oss_sign.object_url(self.endpoint, self.bucket, key)
        if params:
            url += "?" + "&".join(k if v is None else f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        return url

    def _call(self, method: str, key: str, *, params: list | None = None, headers: list | None = None,
              body: bytes | None = b"", stream: Any = None, label: str = "") -> OssResult:
        oss_sign.check_key(self.bucket, key)
        url = self._url(key, params or [])
        req = HttpRequest.build(method, url, headers or [], body or b"")
        calls = Calls()
        secrets = self.creds.secrets()

        def once(attempt: int) -> OssResult:
            t = oss_sign.sign(req, self.creds, self.bucket, key, version=self.version, region=self.region)
            reader = stream.reader() if stream is not None else None
            try:
                ex = self.transport.send(
                    t.signed_request, label=label, trace=t, attempt=attempt, secrets=secrets, sink=calls,
                    body=reader, body_size=stream.size if stream is not None else None,
                    preview=f"<{stream.size} bytes of {stream.format}>" if stream is not None else None)
            finally:
                if reader is not None and hasattr(reader, "close"):
                    reader.close()
            result = self._answer(ex, key, calls)
            if method == "PUT" or (method == "GET" and not params and result.status == 200):
                _check_crc64(result, lambda: crc64(req.body) if stream is None else stream.crc64(), method)
            return result

        try:
            return self.retry.run(once)
        except ServiceError as e:
            e.calls = list(calls)
            raise

    def _answer(self, ex: Exchange, key: str, calls: Calls) -> OssResult:
        rid = ex.headers.get("x-oss-request-id")
        if 200 <= ex.status < 300:
            return OssResult(key, ex.status, ex.headers, ex.content, ex.json, calls)
        echo = safe_echo(ex.content.decode("utf-8", "replace"), ex.status, self.creds.secrets()) if ex.content else None
        code = (echo.code if echo is not None else None) or f"HTTP{ex.status}"
        msg = (echo.message if echo is not None else "") or f"HTTP {ex.status}"
        text = f"OSS {ex.record.label or 'request'} of {key!r} failed: {msg}"
        if code == "SignatureDoesNotMatch":
            raise SignatureMismatchError(text, echo=echo, code=code, status=ex.status, request_id=rid, service="oss",
                                         hint="compare calls[-1].trace with e.echo (trace.diff(e.echo))")
        if code in ("SlowDown", "ServiceUnavailable") or ex.status == 429:
            e = ThrottledError(text, code=code, status=ex.status, request_id=rid, service="oss",
                               hint="too many requests; retried with backoff")
            e.retry_after = parse_retry_after(ex.headers.get("Retry-After"))  # type: ignore[attr-defined]
            raise e
        hints = {"NoSuchKey": "the object does not exist; put it first",
                 "NoSuchBucket": "check the bucket name and region",
                 "AccessDenied": "these credentials may not do that",
                 "InvalidAccessKeyId": "the access key is unknown"}
        raise ServiceError(text, code=code, status=ex.status, request_id=rid, service="oss", hint=hints.get(code))


def _check_crc64(result: OssResult, expected: Callable[[], int], method: str) -> None:
    """Compare OSS's ``x-oss-hash-crc64ecma`` with the bytes sent (PUT) or received (GET), as oss2
    does; ``expected`` is computed only when the header is there."""
    told = result.header("x-oss-hash-crc64ecma")
    if told is None:
        return
    ours = expected() if method == "PUT" else crc64(result.data)
    if told.strip() != str(ours):
        what = "stored" if method == "PUT" else "received"
        cls = UploadError if method == "PUT" else ServiceError
        raise cls(f"OSS {'PutObject' if method == 'PUT' else 'GetObject'} of {result.key!r}: the CRC-64 of the "
                  f"{what} bytes is {ours}, the service says {told.strip()}", code="InconsistentCRC64",
                  status=result.status, request_id=result.header("x-oss-request-id"), service="oss",
                  hint="the bytes were changed on the way; send or fetch the object again", calls=list(result.calls))


def _process_text(process: Any) -> str:
    if isinstance(process, Process):
        return str(process)
    if isinstance(process, str):
        return str(Process.parse(process)) if not process.startswith("style/") else process
    raise ImageInputError(f"process must be an ik.oss.Process or a str, not {type(process).__name__}",
                          hint="e.g. ik.oss.Process().resize(w=100)")


def _pairs(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)
