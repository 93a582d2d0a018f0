"""Signature Lab: edit a request, watch every signing step change, break it on purpose and read
the diagnosis.

    >>> from imgx_kit.widgets.lab import SignatureLab       # also ik.widgets.SignatureLab
    >>> lab = SignatureLab()                                # the Volcengine CV example
    >>> lab.trace.scheme_name, lab.changed_steps
    ('VOLC', ())
    >>> lab.set(region="cn-beijing"); "credential_scope" in lab.changed_steps
    True
    >>> lab.break_it("clock-skew").causes[0].id
    'clock-skew'

Fields: method, URL, headers (one ``Name: value`` per line), body, access key, secret key,
session token, time (ISO 8601, UTC), scheme, region, service, signed-header policy (``default`` or
``a;b;c``). Each edit re-signs; the steps whose value changed since the previous edit are
highlighted. Each "break it" button applies one catalogue fault to the signed request and shows
what :func:`imgx_kit.diagnose` finds.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import ipywidgets as widgets

from ..core.credentials import Credentials
from ..core.diagnose import Diagnosis, diagnose
from ..core.errors import ImgxError
from ..core.i18n import tr
from ..core.redact import redact_header_value, redact_url, scrub
from ..core.request import HttpRequest
from ..core.scheme import scheme_by_name
from ..core.signer import Signer, format_timestamp, parse_timestamp
from ..core.trace import SigningTrace, show_whitespace

__all__ = ["FAULTS", "Fault", "SignatureLab"]

_DEFAULT_URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
_DEFAULT_BODY = '{"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}'
_DEFAULT_AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Fault:
    """One catalogue fault the lab can apply: ``apply(lab)`` returns (sent, creds, signer, now)."""

    id: str
    label: str
    apply: Callable[[SignatureLab], tuple[HttpRequest, Credentials, Signer, datetime]]


def _mangled(creds: Credentials, secret: str) -> Credentials:
    c = Credentials(creds.access_key, "placeholder", creds.session_token)
    object.__setattr__(c, "secret_key", secret)          # what a careless loader would have produced
    return c


def _resign(lab: SignatureLab, **kw: Any) -> HttpRequest:
    signer = kw.pop("signer", lab.signer)
    creds = kw.pop("creds", lab.credentials)
    at = kw.pop("at", lab.at)
    return signer.sign(lab.request, creds, at=at).signed_request


def _after(lab: SignatureLab, change: Callable[[HttpRequest], HttpRequest]) -> HttpRequest:
    trace = lab.trace if lab.trace is not None else lab.signer.sign(lab.request, lab.credentials, at=lab.at)
    return change(trace.signed_request)


def _add_query(req: HttpRequest, extra: str) -> HttpRequest:
    return req.with_url(req.url + ("&" if "?" in req.url else "?") + extra)


def _change_ct(req: HttpRequest) -> HttpRequest:
    ct = req.header("Content-Type")
    return req.with_header("Content-Type", (ct + "; charset=utf-8") if ct else "application/x-www-form-urlencoded")


def _change_body(req: HttpRequest) -> HttpRequest:
    return req.with_body(req.body + b" " if req.body else b"{}")


def _change_date(lab: SignatureLab, req: HttpRequest) -> HttpRequest:
    name = lab.signer.scheme.date_header
    ts = parse_timestamp(req.header(name) or "")
    if ts is None:
        return req
    t2 = ts + timedelta(seconds=5)
    return req.with_header(name, format_timestamp(t2))


def _other_region(lab: SignatureLab) -> str:
    return "us-east-1" if lab.signer.region != "us-east-1" else "cn-north-1"


FAULTS: tuple[Fault, ...] = (
    Fault("secret-whitespace", "secret + newline",
          lambda lab: (_resign(lab, creds=_mangled(lab.credentials, lab.credentials.secret_key + "\n")),
                       lab.credentials, lab.signer, lab.at)),
    Fault("access-key-secret-swapped", "AK used as SK",
          lambda lab: (_resign(lab, creds=_mangled(lab.credentials, lab.credentials.access_key)),
                       lab.credentials, lab.signer, lab.at)),
    Fault("clock-skew", "clock 20 min slow",
          lambda lab: (_resign(lab, at=lab.at - timedelta(minutes=20)), lab.credentials, lab.signer, lab.at)),
    Fault("wrong-region", "wrong region",
          lambda lab: (_resign(lab, signer=lab.signer.with_(region=_other_region(lab))), lab.credentials,
                       lab.signer, lab.at)),
    Fault("query-param-added-after-signing", "param added after signing",
          lambda lab: (_after(lab, lambda r: _add_query(r, "t=1735689600")), lab.credentials, lab.signer, lab.at)),
    Fault("header-changed-after-signing", "Content-Type changed after signing",
          lambda lab: (_after(lab, _change_ct), lab.credentials, lab.signer, lab.at)),
    Fault("body-hash-mismatch", "body changed after signing",
          lambda lab: (_after(lab, _change_body), lab.credentials, lab.signer, lab.at)),
    Fault("date-header-changed-after-signing", "date +5 s after signing",
          lambda lab: (_after(lab, lambda r: _change_date(lab, r)), lab.credentials, lab.signer, lab.at)),
    Fault("secret-key-mismatch", "another secret key",
          lambda lab: (_resign(lab, creds=Credentials(lab.credentials.access_key, "another-secret",
                                                      lab.credentials.session_token)),
                       lab.credentials, lab.signer, lab.at)),
)
_BY_ID = {f.id: f for f in FAULTS}


class SignatureLab(widgets.VBox):
    """An interactive signing workbench (see the module docstring)."""

    # what is signed (set in __init__ and by every edit; declared here for the FAULTS above)
    request: HttpRequest
    credentials: Credentials
    signer: Signer
    at: datetime

    def __init__(self, request: HttpRequest | None = None, credentials: Credentials | None = None,
                 signer: Signer | None = None, at: datetime | None = None, **kw: Any) -> None:
        from ..core.presets import VOLC_CV
        request = request or HttpRequest.build("POST", _DEFAULT_URL, {"Content-Type": "application/json"},
                                               _DEFAULT_BODY)
        credentials = credentials or Credentials("AKLTexample", "c2VjcmV0", demo=True)
        signer = signer or _guess_signer(request) or VOLC_CV
        at = at or _request_time(request, signer) or _DEFAULT_AT
        lay = widgets.Layout(width="100%")
        self.w_method = widgets.Combobox(value=request.method, options=["GET", "POST", "PUT", "DELETE", "HEAD"],
                                         description=tr("method"))
        # the fields show secrets the request carries (a cookie, a query token) masked; reading the
        # fields back maps an untouched masked text to what it stands for
        url_shown, lines = redact_url(request.url), _header_lines(request, signer)
        self._unmask = {url_shown: request.url, **{shown: line for shown, line in lines if shown != line}}
        self.w_url = widgets.Text(value=url_shown, description="URL", layout=lay)
        self.w_headers = widgets.Textarea(value="\n".join(shown for shown, _ in lines), description=tr("headers"),
                                          layout=widgets.Layout(width="100%", height="90px"))
        body_text = _body_text(request.body)
        body_shown = scrub(body_text)                   # secret JSON fields of the body, masked
        if body_shown != body_text:
            self._unmask[body_shown] = body_text
        self.w_body = widgets.Textarea(value=body_shown, description=tr("body"),
                                       layout=widgets.Layout(width="100%", height="60px"))
        self.w_ak = widgets.Text(value=credentials.access_key, description=tr("access key"))
        # the secret and the token stay in the kernel: widget state is synced to the browser and
        # saved in the notebook file, so the fields hold nothing; a typed value is taken into the
        # kernel and the field emptied again (a single space typed in the token field removes it)
        self._secret_key, self._token = credentials.secret_key, credentials.session_token or ""
        self.w_sk = widgets.Password(value="", description=tr("secret key"))
        self.w_token = widgets.Password(value="", description=tr("token"))
        self._show_kept()
        self.w_time = widgets.Text(value=at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   description=tr("time"))
        self.w_scheme = widgets.Dropdown(options=["AWS4", "VOLC", "OSS4"], value=signer.scheme.name,
                                         description=tr("scheme"))
        self.w_region = widgets.Text(value=signer.region, description=tr("region"))
        self.w_service = widgets.Text(value=signer.service, description=tr("service"))
        policy = "default" if signer.signed_headers is None else ";".join(signer.signed_headers)
        self.w_policy = widgets.Text(value=policy, description=tr("policy"))
        self.w_error = widgets.HTML()
        self.w_trace = widgets.HTML()
        self.w_diag = widgets.HTML()
        buttons = []
        for f in FAULTS:
            b = widgets.Button(description=tr(f.label), tooltip=tr(f"apply {f.id} and diagnose"),
                               layout=widgets.Layout(width="auto"))
            b.on_click(lambda _b, fid=f.id: self.break_it(fid))
            buttons.append(b)
        # the demo credentials the lab started with (derived keys are shown for them only)
        self._demo = credentials if credentials.demo else None
        self.trace: SigningTrace | None = None
        self.changed_steps: tuple[str, ...] = ()
        self.diagnosis: Diagnosis | None = None
        self._previous: dict[str, str] = {}
        self.request, self.credentials, self.signer, self.at = request, credentials, signer, at
        fields = [self.w_method, self.w_url, self.w_headers, self.w_body, self.w_ak, self.w_sk, self.w_token,
                  self.w_time, self.w_scheme, self.w_region, self.w_service, self.w_policy]
        for w in fields:
            w.observe(self._on_edit, names="value")
        form = widgets.VBox([widgets.HBox([self.w_method, self.w_scheme, self.w_time]), self.w_url, self.w_headers,
                             self.w_body, widgets.HBox([self.w_ak, self.w_sk, self.w_token]),
                             widgets.HBox([self.w_region, self.w_service, self.w_policy])])
        breakers = widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([form, self.w_error, widgets.HTML("<b>Break it:</b>"), breakers,
                          self.w_diag, self.w_trace], **kw)
        self._recompute()

    # ---- programmatic use ---------------------------------------------------------------------
    def set(self, **fields: str) -> None:
        """Edit fields by name (method, url, headers, body, access_key, secret_key, token, time,
        scheme, region, service, policy), as typing in them would."""
        names = {"method": self.w_method, "url": self.w_url, "headers": self.w_headers, "body": self.w_body,
                 "access_key": self.w_ak, "secret_key": self.w_sk, "token": self.w_token, "time": self.w_time,
                 "scheme": self.w_scheme, "region": self.w_region, "service": self.w_service, "policy": self.w_policy}
        for k in fields:
            if k not in names:
                raise ImgxError(f"SignatureLab has no field {k!r}", hint=f"fields: {', '.join(names)}")
        for k, v in fields.items():
            if k in ("secret_key", "token"):            # kept in the kernel, never in widget state
                self._keep(k, v)
                self._recompute()
            else:
                names[k].value = v

    def break_it(self, fault_id: str) -> Diagnosis:
        """Apply one catalogue fault (see ``FAULTS``) to the signed request and diagnose it."""
        if fault_id not in _BY_ID:
            raise ImgxError(f"unknown fault {fault_id!r}", hint=f"one of {', '.join(_BY_ID)}")
        if self.trace is None:
            raise ImgxError("the request does not sign yet", hint="fix the fields shown in red first")
        sent, creds, signer, now = _BY_ID[fault_id].apply(self)
        d = diagnose(sent, creds, signer=signer, now=now)
        self.diagnosis = d
        self.w_diag.value = (f"<div style='border:1px solid #ccc;padding:4px'><b>Broken with:</b> "
                             f"<code>{html.escape(fault_id)}</code>{d._repr_html_()}</div>")
        return d

    # ---- internals ----------------------------------------------------------------------------
    def _on_edit(self, change: Any) -> None:
        owner = change.get("owner") if isinstance(change, dict) else None
        if owner is self.w_sk or owner is self.w_token:
            if not change["new"]:
                return                                  # our own emptying of the field
            self._keep("secret_key" if owner is self.w_sk else "token", change["new"])
            owner.value = ""                            # out of the synced state at once
        self._recompute()

    def _keep(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            raise ImgxError(f"{field} must be text, not {type(value).__name__}")
        if field == "secret_key":
            self._secret_key = value
        else:
            self._token = "" if not value.strip() else value
        self._show_kept()

    def _show_kept(self) -> None:
        """The fields' placeholders say what the kernel holds (its length only)."""
        self.w_sk.placeholder = f"kept in the kernel ({len(self._secret_key)} chars); type to replace"
        self.w_token.placeholder = (f"kept in the kernel ({len(self._token)} chars); type a space to remove"
                                    if self._token else "none; type one to add")

    def _read_fields(self) -> None:
        headers = []
        for n, line in enumerate(self.w_headers.value.splitlines(), 1):
            if not line.strip():
                continue
            line = self._unmask.get(line.strip(), line)
            name, sep, value = line.partition(":")
            if not sep:
                raise ImgxError(f"headers line {n} {line[:40]!r} is not 'Name: value'")
            headers.append((name.strip(), value.strip()))
        url = self.w_url.value.strip()
        body = self._unmask.get(self.w_body.value, self.w_body.value)
        self.request = HttpRequest.build(self.w_method.value, self._unmask.get(url, url), headers, body)
        ak, sk, token = self.w_ak.value.strip(), self._secret_key, self._token or None
        demo = self._demo is not None and (ak, sk, token) == (self._demo.access_key, self._demo.secret_key,
                                                              self._demo.session_token)
        self.credentials = Credentials(ak, sk, token, demo=demo)   # a typed secret is never "demo"
        policy = self.w_policy.value.strip()
        names = None if policy in ("", "default") else tuple(n.strip().lower() for n in policy.split(";") if n.strip())
        self.signer = Signer(scheme_by_name(self.w_scheme.value), self.w_region.value.strip(),
                             self.w_service.value.strip(), names)
        try:
            at = datetime.fromisoformat(self.w_time.value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ImgxError(f"time {self.w_time.value!r} is not ISO 8601", hint="e.g. 2025-01-01T00:00:00Z") from None
        if at.tzinfo is None:
            raise ImgxError("time has no zone", hint="end it with Z for UTC")
        self.at = at.astimezone(timezone.utc)

    def _recompute(self) -> None:
        try:
            self._read_fields()
            trace = self.signer.sign(self.request, self.credentials, at=self.at)
        except ImgxError as e:
            self.w_error.value = f"<div style='color:#b00'>✘ {html.escape(str(e))}</div>"
            return
        self.w_error.value = ""
        now = {s.name: s.value for s in trace.steps}
        self.changed_steps = tuple(n for n, v in now.items() if self._previous and self._previous.get(n) != v)
        self._previous = now
        self.trace = trace
        self.w_trace.value = self._trace_html(trace)

    def _trace_html(self, trace: SigningTrace) -> str:
        rows = []
        for s in trace.steps:
            hot = s.name in self.changed_steps
            style = "background:#fff3a0" if hot else ""
            rows.append(f"<tr style='{style}'><td style='vertical-align:top;text-align:left'>"
                        f"<b>{html.escape(s.name)}</b>{' ✎' if hot else ''}</td>"
                        f"<td style='text-align:left'><code style='word-break:break-all'>"
                        f"{show_whitespace(s.value)}</code></td></tr>")
        changed = ", ".join(self.changed_steps) or "nothing yet"
        return (f"<div><b>Trace</b> — changed since the last edit: {html.escape(changed)}</div>"
                f"<table class='imgx-lab-trace'>{''.join(rows)}</table>"
                f"<details><summary>full trace view</summary>{trace._repr_html_()}</details>")


def _guess_signer(req: HttpRequest) -> Signer | None:
    from ..core.diagnose.context import endpoint as _endpoint
    from ..core.scheme import SCHEMES
    auth = req.header("Authorization") or ""
    row = None
    for name, sc in SCHEMES.items():
        if auth.startswith(sc.algorithm + " "):
            row = _endpoint(req.host, name) or None
            if row is None:
                from ..core.signer import parse_authorization
                p = parse_authorization(auth)
                if p is not None:
                    return Signer(sc, p.region, p.service, p.signed_headers or None)
    if row is None:
        row = _endpoint(req.host, "VOLC")
    if row is None or row[0] not in SCHEMES:
        return None
    return Signer(SCHEMES[row[0]], row[1], row[2])


def _request_time(req: HttpRequest, signer: Signer) -> datetime | None:
    return parse_timestamp(req.header(signer.scheme.date_header) or "")


def _header_lines(req: HttpRequest, signer: Signer) -> list[tuple[str, str]]:
    """(line as shown, with secrets masked; the line itself) for each header the lab lets you edit."""
    skip = {"authorization", signer.scheme.date_header.lower(), signer.scheme.token_header.lower()}
    return [(f"{k}: {redact_header_value(k, v)}", f"{k}: {v}") for k, v in req.headers if k.lower() not in skip]


def _body_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return ""
