"""``ik.watch()``: record every HTTP call the kernel makes while it is open, and diagnose each
answer that is a signature failure from the request exactly as it was sent.

    >>> import imgx_kit as ik
    >>> with ik.watch() as w:
    ...     pass                       # any requests / volcengine SDK / oss2 / botocore calls
    >>> len(w), w.failures
    (0, [])

Calls go through ``requests`` (the volcengine SDK, oss2, your own code) or botocore; see
:mod:`imgx_kit.services.watch_hooks` for where they are observed and why. Nothing about a call is
changed: the response object is returned untouched and a streamed body stays streamable.
Secrets (tokens, cookies, upload ``Auth``, the secret keys of ``creds``) are masked in every view.

A *signature failure* is an answer whose error code (read by :func:`imgx_kit.core.echo.parse_echo`
from the Volcengine/ImageX JSON envelope or the S3/OSS XML error) is one of
:data:`SIGNATURE_CODES` (protocols.md §6.2 and the OSS codes of ``core.oss_sign``); OSS's
``AccessDenied`` counts only when its message is about the signature or the request's time.
"""
from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Union
from urllib.parse import urlsplit

from ..core.credentials import Credentials
from ..core.errors import CredentialsError, DiagnoseError, ImgxError
from ..core.redact import (
    SECRET_HEADERS,
    SECRET_QUERY_KEYS,
    mask,
    redact_header_value,
    redact_text,
    redact_url,
    scrub,
    secret_values,
)
from . import watch_hooks
from .watch_hooks import Call

__all__ = ["SIGNATURE_CODES", "CredsSource", "Exchange", "Watch", "watch"]

#: error codes that say the signature (or what it covers: key, time, token) was rejected
SIGNATURE_CODES = frozenset({
    # AWS / S3 and the Volcengine gateway
    "SignatureDoesNotMatch", "InvalidSignature", "InvalidSignatureException", "IncompleteSignature",
    "MissingAuthenticationToken", "MissingSignature", "InvalidTimestamp", "InvalidAccessKey",
    "InvalidAuthorization", "InvalidCredential", "InvalidSecretToken", "RequestExpired",
    "AuthorizationQueryParametersError", "InvalidClientTokenId", "AuthorizationHeaderMalformed",
    # Aliyun OSS
    "InvalidAccessKeyId", "RequestTimeTooSkewed", "InvalidSecurityToken", "SecurityTokenExpired",
})
_OSS_DENIED = re.compile(r"(?i)signature|expired|authoriz|anonymous|access ?key")

#: ``creds=``: one pair, a mapping access key → pair, or a lookup ``access_key -> Credentials | None``
CredsSource = Union[Credentials, Mapping[str, Credentials], Callable[[str], Credentials | None], None]  # noqa: UP007


def watch(creds: CredsSource = None) -> Watch:
    """A context manager recording the kernel's HTTP calls: ``with ik.watch(creds) as w: ...``.

    ``creds`` lets the diagnosis re-sign (a :class:`~imgx_kit.Credentials`, a dict access key →
    Credentials, or a callable lookup); without it only the structural checks run."""
    return Watch(creds)


@dataclass(eq=False)
class Exchange:
    """One recorded call as one watch sees it: its number, the call, and (for a signature failure)
    the :class:`~imgx_kit.Diagnosis` with this watch's credentials."""

    number: int
    call: Call
    creds: CredsSource = field(default=None, repr=False)
    _diagnosis: Any = field(default=None, repr=False)
    _diagnosed: bool = field(default=False, repr=False)
    _echo: Any = field(default=None, repr=False)
    _read: bool = field(default=False, repr=False)
    _note: str = field(default="", repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ---- facts -------------------------------------------------------------------------------------
    @property
    def method(self) -> str:
        return self.call.method

    @property
    def status(self) -> int | None:
        return self.call.status

    @property
    def request(self) -> Any:
        """The request exactly as sent (an :class:`~imgx_kit.HttpRequest`), or None."""
        return self.call.request

    @property
    def host_path(self) -> str:
        parts = urlsplit(redact_url(self.call.url))
        return parts.netloc.rpartition("@")[2] + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def echo(self) -> Any:
        """The server's answer parsed (:class:`~imgx_kit.core.echo.ServerEcho`), or None."""
        self._parse()
        return self._echo

    @property
    def code(self) -> str | None:
        e = self.echo
        return e.code if e is not None else None

    @property
    def is_signature_failure(self) -> bool:
        e = self.echo
        if e is None or not e.code:
            return False
        if e.code == "AccessDenied":
            return e.source == "oss-xml" and bool(_OSS_DENIED.search(e.message or ""))
        return e.code in SIGNATURE_CODES

    @property
    def diagnosis(self) -> Any:
        """``ik.diagnose`` of the request as sent and the server's answer (signature failures only)."""
        failed = self.is_signature_failure
        with self._lock:
            if not self._diagnosed and failed:
                self._diagnosis, note = _diagnose(self.call, self.creds)
                self._note = self._note or note
                self._diagnosed = True
        return self._diagnosis

    @property
    def top_cause(self) -> str | None:
        d = self.diagnosis
        return d.causes[0].id if d is not None and d.causes else None

    @property
    def session_changes(self) -> list[str]:
        """Headers the client set that the ``requests`` session changed or dropped before sending
        (its ``auth``, a ``prepare_request`` override, a mounted adapter): a change after signing."""
        return [f"{k}: {redact_header_value(k, before)!r} when the client built the request, " +
                (f"{redact_header_value(k, after)!r} as sent" if after is not None else "dropped before sending")
                for k, before, after in self.call.session_changes]

    @property
    def notes(self) -> list[str]:
        """What the session changed, what could not be captured or read, and why."""
        self._parse()
        _ = self.diagnosis
        return self.session_changes + [n for n in (self.call.request_note, self.call.body_note, self.call.error,
                                                   self._note) if n]

    def _parse(self) -> None:
        self.call.settle()
        with self._lock:
            if self._read or (self.call.body is None and self.call._pending is not None):
                return
            self._read = True
            if self.call.body is None or self.call.status is None:
                return
            from ..core.echo import parse_echo

            try:
                self._echo = parse_echo(self.call.body, self.call.status)
            except ImgxError:
                self._echo = None             # not an error envelope (an image, a success JSON …)

    # ---- views ---------------------------------------------------------------------------------------
    def _hidden(self) -> tuple[str, ...]:
        req = self.call.request
        own = secret_values(req.headers, req.url) if req is not None else ()
        return tuple(x for x in own + _all_secrets(self.creds) if x)

    def _safe(self, text: str) -> str:
        return redact_text(text, self._hidden())

    def summary(self) -> str:
        """``#n METHOD host/path → status code · top cause``."""
        status = str(self.status) if self.status is not None else "—"
        line = f"#{self.number} {self.method} {self.host_path} → {status}"
        if self.call.error:
            line += f" ({self.call.error.split(':', 1)[0]})"
        if self.code:
            line += f" {self.code}"
        d = self.diagnosis
        if d is not None and d.causes:
            c = d.causes[0]
            line += f" · {c.id} [{c.confidence}]"
        return self._safe(line)

    def __repr__(self) -> str:
        return f"Exchange({self.summary()})"

    def _response_text(self) -> str:
        lines = [f"HTTP/1.1 {self.status} {self.call.reason}".rstrip()]
        lines += [f"{k}: {redact_header_value(k, v)}" for k, v in self.call.response_headers]
        body = self.call.body
        text = "" if body is None else _masked_body(body.decode("utf-8", "replace"))[:4000]
        return "\n".join(lines) + "\n\n" + text

    def _repr_html_(self) -> str:
        e = html.escape
        d = self.diagnosis
        colour = "#b00" if d is not None or self.call.error else ("#a60" if (self.status or 0) >= 400 else "green")
        sent = self.call.request.to_raw() if self.call.request is not None else "(not captured)"
        parts = [(f"<details class='imgx-exchange'><summary style='color:{colour}'><code>{e(self.summary())}"
                  "</code></summary><div style='margin-left:1.5em'>"),
                 (f"<details><summary><b>Sent</b> (via {e(self.call.via)}, {self.call.elapsed_ms:.1f} ms)</summary>"
                  f"<pre style='white-space:pre-wrap'>{e(sent)}</pre></details>")]
        if self.status is not None:
            parts.append(f"<details><summary><b>Answer</b></summary>"
                         f"<pre style='white-space:pre-wrap'>{e(self._response_text())}</pre></details>")
        notes = self.notes
        if notes:
            parts.append("<div style='color:#555'>" + "<br>".join(e(n) for n in notes) + "</div>")
        if d is not None:
            parts.append(d._repr_html_())
        parts.append("</div></details>")
        return self._safe("".join(parts))


class Watch:
    """The recorder ``ik.watch()`` returns. Open it with ``with``; nest it; use it from threads.

    ``w.calls`` every exchange in order, ``w.failures`` the signature failures (each with
    ``.diagnosis``), ``len(w)``, ``w[i]``; in Jupyter it shows as a list whose rows expand."""

    def __init__(self, creds: CredsSource = None) -> None:
        if creds is not None and not (isinstance(creds, (Credentials, Mapping)) or callable(creds)):
            raise CredentialsError(f"creds must be Credentials, a dict access key -> Credentials or a lookup "
                               f"callable, not {type(creds).__name__}",
                               hint="ik.watch(creds=ik.Credentials(access_key, secret_key))")
        if isinstance(creds, Mapping):
            bad = [k for k, v in creds.items() if not isinstance(v, Credentials)]
            if bad:
                raise CredentialsError(f"creds[{bad[0]!r}] is not an ik.Credentials",
                                   hint="map each access key to ik.Credentials(access_key, secret_key)")
        self.creds = creds
        self._calls: list[Exchange] = []
        self._lock = threading.Lock()
        self._open = False
        self._closed = False

    # ---- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> Watch:
        if self._open or self._closed:
            raise DiagnoseError("this watch was already opened once", hint="use a new ik.watch() for each block")
        self._open = True
        watch_hooks.attach(self)
        return self

    def __exit__(self, *exc: object) -> None:
        watch_hooks.detach(self)
        self._open, self._closed = False, True

    @property
    def recording(self) -> bool:
        return self._open

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(Exchange(len(self._calls) + 1, call, self.creds))

    # ---- contents ------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Exchange]:
        with self._lock:
            return list(self._calls)

    @property
    def failures(self) -> list[Exchange]:
        """The calls whose answer is a signature failure, each with its ``.diagnosis``."""
        return [x for x in self.calls if x.is_signature_failure]

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def __getitem__(self, i: int) -> Exchange:
        return self.calls[i]

    def __iter__(self) -> Any:
        return iter(self.calls)

    # ---- views ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        calls = self.calls
        state = "recording" if self._open else "closed"
        fails = sum(1 for x in calls if x.is_signature_failure)
        plural = "s" * (len(calls) != 1), "s" * (fails != 1)
        head = f"Watch({state}: {len(calls)} call{plural[0]}, {fails} signature failure{plural[1]})"
        return "\n".join([head] + ["  " + x.summary() for x in calls])

    def _repr_html_(self) -> str:
        calls = self.calls
        fails = sum(1 for x in calls if x.is_signature_failure)
        head = (f"<div><b>imgx watch</b> · {'recording' if self._open else 'closed'} · {len(calls)} "
                f"call{'s' * (len(calls) != 1)} · {fails} signature failure{'s' * (fails != 1)}</div>")
        rows = "".join(x._repr_html_() for x in calls) or "<div style='color:#555'>no HTTP calls</div>"
        return f"<div class='imgx-watch'>{head}{rows}</div>"


# ---- answers that carry secrets (get_upload_token's STS triple, ApplyImageUpload's upload Auth) ------------
_SECRET_JSON_KEYS = frozenset(SECRET_QUERY_KEYS | SECRET_HEADERS | {"auth", "secret_key", "secretkey"})


def _masked_body(text: str) -> str:
    """A body for display: JSON values under secret keys masked, then free-text secrets scrubbed."""
    try:
        doc = json.loads(text)
    except ValueError:
        return scrub(text)

    def walk(v: Any, key: str = "") -> Any:
        if isinstance(v, dict):
            return {k: walk(x, str(k)) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, key) for x in v]
        if isinstance(v, str) and key.lower() in _SECRET_JSON_KEYS and v:
            return mask(v)
        return v

    return scrub(json.dumps(walk(doc), ensure_ascii=False))


# ---- diagnosis -------------------------------------------------------------------------------------------
def _diagnose(call: Call, creds: CredsSource) -> tuple[Any, str]:
    from ..core.diagnose import diagnose

    if call.request is None or call.body is None:
        return None, "no diagnosis: the request or the answer could not be captured"
    found = _lookup(creds, _declared_access_key(call.request))
    date = next((v for k, v in call.response_headers if k.lower() == "date"), None)
    answer = f"HTTP/1.1 {call.status} {call.reason}\r\n" + (f"Date: {date}\r\n" if date else "") + "\r\n"
    now = None
    if date is None or _http_date(date) is None:
        now = call.started                 # no server clock: when the request was sent
    try:
        return diagnose(call.request, found, server_response=answer + call.body.decode("utf-8"), now=now), ""
    except (ImgxError, UnicodeDecodeError) as e:
        return None, f"no diagnosis: {getattr(e, 'message', str(e))}"


def _lookup(creds: CredsSource, access_key: str | None) -> Credentials | None:
    if creds is None or isinstance(creds, Credentials):
        return creds
    if access_key is None:
        return None
    if isinstance(creds, Mapping):
        return creds.get(access_key)
    got = creds(access_key)
    return got if isinstance(got, Credentials) else None


def _all_secrets(creds: CredsSource) -> tuple[str, ...]:
    if isinstance(creds, Credentials):
        return creds.secrets()
    if isinstance(creds, Mapping):
        return tuple(s for c in creds.values() for s in c.secrets())
    return ()


def _declared_access_key(req: Any) -> str | None:
    """The access key the request names (the one parser of declarations, ``core.declared``)."""
    from ..core.declared import read

    try:
        return read(req).access_key or None
    except ImgxError:
        return None


def _http_date(text: str) -> Any:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
