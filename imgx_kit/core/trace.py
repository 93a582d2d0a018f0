"""Every intermediate of a signature, named, and views of it.

A :class:`SigningTrace` is what every signer returns. It shows itself in Jupyter as a table of
steps with spaces, tabs and newlines made visible, and diffs itself against another trace (or a
server's echo) to find the first step that differs::

    >>> import imgx_kit as ik
    >>> from datetime import datetime, timezone
    >>> s = ik.Signer(ik.AWS4, region="us-east-1", service="service")
    >>> t = s.sign(ik.HttpRequest.build("GET", "https://example.amazonaws.com/"),
    ...            ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    ...            at=datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc))
    >>> t.signature[:16], [s.name for s in t.steps][:3]
    ('5fa00fa31553b73e', ['canonical_uri', 'canonical_query', 'canonical_headers'])
"""
from __future__ import annotations

import difflib
import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import SigningError
from .html_layout import code, plural, table, value_with_note, value_with_note_head
from .i18n import term, tr_html
from .redact import mask, mask_access_key, redact_headers, redact_text, redact_url, secret_values
from .request import HttpRequest

__all__ = ["COMPARABLE_STEPS", "SigningTrace", "Step", "TraceDiff", "show_whitespace"]

# steps that mean the same thing on both sides of a diff, in pipeline order
COMPARABLE_STEPS = ("canonical_uri", "canonical_query", "canonical_headers", "signed_headers",
                    "payload_hash", "canonical_request", "hashed_canonical_request",
                    "credential_scope", "string_to_sign", "signature")

_EXPLAIN = {
    "canonical_uri": "The path, normalised and percent-encoded by the scheme's rules.",
    "canonical_query": "Query parameters decoded, RFC 3986-encoded, sorted, joined with '&'.",
    "canonical_headers": ("One 'name:value' line per signed header: names lower case, sorted; values trimmed "
                          "as the scheme says."),
    "signed_headers": "The signed header names, lower case, sorted, joined with ';'.",
    "payload_hash": "Hex SHA-256 of the exact body bytes (or the literal UNSIGNED-PAYLOAD).",
    "canonical_request": "Method, URI, query, headers, signed headers and payload hash, one per line.",
    "hashed_canonical_request": "Hex SHA-256 of the canonical request: the last line of the string to sign.",
    "credential_scope": "date/region/service/terminator: what the key is valid for.",
    "string_to_sign": "Algorithm, timestamp, credential scope and the hashed canonical request.",
    "k_date": "HMAC-SHA256(key prefix + secret, date).",
    "k_region": "HMAC-SHA256(kDate, region).",
    "k_service": "HMAC-SHA256(kRegion, service).",
    "k_signing": "HMAC-SHA256(kService, terminator): the signing key (valid for one day).",
    "signature": "Hex HMAC-SHA256(signing key, string to sign).",
    "authorization": "The Authorization header sent with the request.",
    "signed_url": "The presigned URL: the authentication travels in the query string.",
}
_KEY_STEPS = ("k_date", "k_region", "k_service", "k_signing")
_CR_LABELS_HEAD = ("method", "canonical URI", "canonical query")


@dataclass(frozen=True)
class Step:
    """One named intermediate value of a signature, with a one-line explanation."""

    name: str
    value: str
    explanation: str

    def __repr__(self) -> str:
        v = self.value if len(self.value) <= 80 else self.value[:77] + "…"
        return f"Step({self.name}: {v!r})"


def show_whitespace(text: str) -> str:
    """HTML with spaces as ·, tabs as →, newlines as ↵ (then a real line break)."""
    esc = html.escape(text)
    return (esc.replace(" ", "<span style='color:#bbb'>·</span>")
               .replace("\t", "<span style='color:#c60'>→</span>")
               .replace("\n", "<span style='color:#c60'>↵</span><br>"))


@dataclass(frozen=True, repr=False, eq=False)
class SigningTrace:
    """Every intermediate string of one signature (AWS4, VOLC, OSS4 or OSS V1).

    The raw string fields (``canonical_request``, ``canonical_headers``, ``canonical_query``,
    ``signed_request``) are the exact bytes that were signed and sent, so they contain the
    session token when one was signed. Every view — ``repr``, ``steps``, ``_repr_html_``,
    ``to_dict``, ``diff`` — masks it: show those, not the raw fields.
    """

    scheme_name: str
    algorithm: str
    access_key: str
    region: str
    service: str
    timestamp: str
    canonical_uri: str
    canonical_query: str
    canonical_headers: str
    signed_headers: str
    payload_hash: str
    canonical_request: str
    hashed_canonical_request: str
    credential_scope: str
    string_to_sign: str
    signature: str
    authorization: str | None
    signed_request: HttpRequest
    presigned: bool = False
    expires: int | None = None
    derived_keys: tuple[bytes, ...] = field(default=(), repr=False)
    reveal: bool = False
    notes: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    hidden: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, *values: Any) -> SigningTrace:
        """Positional constructor for the signing hot path: the values are the signer's own, so
        the frozen dataclass ``__init__`` (one ``object.__setattr__`` per field) is skipped."""
        t = cls.__new__(cls)
        t.__dict__.update(zip(_FIELD_NAMES, values, strict=False))   # trailing fields keep defaults
        return t

    # ---- steps -----------------------------------------------------------------------------
    @cached_property
    def steps(self) -> tuple[Step, ...]:
        """The ordered steps ``(name, value, explanation)``; derived keys masked unless revealed."""
        notes: dict[str, list[str]] = {}
        for name, note in self.notes:
            notes.setdefault(name, []).append(note)

        def step(name: str, value: str, explanation: str | None = None) -> Step:
            text = explanation or _EXPLAIN.get(name, "")
            if name in notes:
                text = text + " " + " ".join(notes[name])
            return Step(name, self._safe(value), text.strip())

        if self.scheme_name == "OSS1":
            out = [step(n, v) for n, v in self.extra]
            out += [step("string_to_sign", self.string_to_sign,
                         "VERB, Content-MD5, Content-Type, Date (or Expires), canonicalized x-oss-* headers, "
                         "canonicalized resource, one per line."),
                    step("signature", self.signature, "Base64 of HMAC-SHA1(secret, string to sign).")]
        else:
            out = [step(n, getattr(self, n)) for n in COMPARABLE_STEPS[:-1]]
            for name, key in zip(_KEY_STEPS, self.derived_keys, strict=False):   # no keys when unsigned
                out.append(step(name, key.hex() if self._show_keys else mask(key.hex(), 0)))
            out.append(step("signature", self.signature))
            out += [step(n, v) for n, v in self.extra]
        if self.authorization is not None:
            out.append(step("authorization", self.authorization))
        else:
            out.append(step("signed_url", redact_url(self.signed_request.url)))
        return tuple(out)

    @property
    def _show_keys(self) -> bool:
        return self.reveal

    @cached_property
    def _secrets(self) -> tuple[str, ...]:
        """The credentials' secrets plus those the signed request carries itself (a token or
        cookie header it signed, a token in its query)."""
        req = self.signed_request
        return self.hidden + secret_values(req.headers, req.url)

    def _safe(self, value: str) -> str:
        return redact_text(value, self._secrets) if self._secrets else value

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"no step named {name!r}; steps are {[s.name for s in self.steps]}")

    # ---- export ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every step; secrets masked, derived keys only with ``reveal``."""
        d: dict[str, Any] = {"scheme": self.scheme_name, "algorithm": self.algorithm,
                             "access_key": self.access_key, "region": self.region,
                             "service": self.service, "timestamp": self.timestamp,
                             "presigned": self.presigned, "expires": self.expires}
        for s in self.steps:
            d[s.name] = s.value
        d["signed_request"] = {"method": self.signed_request.method,
                               "url": redact_url(self.signed_request.url),
                               "headers": [list(h) for h in redact_headers(self.signed_request.headers)]}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    # ---- comparison ------------------------------------------------------------------------
    def diff(self, other: SigningTrace | Mapping[str, str]) -> TraceDiff:
        """Find the first step that differs from ``other`` (a trace, or a server's echo as a
        mapping of step name to value, e.g. ``{"canonical_request": …, "string_to_sign": …}``)."""
        if not isinstance(other, (SigningTrace, Mapping)):
            raise SigningError(f"diff needs a SigningTrace or a mapping of step values, not {type(other).__name__}",
                               hint="e.g. trace.diff(other_trace) or trace.diff(e.echo)")
        theirs = _values_of(other)
        ours = _values_of(self)
        common = [n for n in COMPARABLE_STEPS if n in ours and n in theirs]
        differing = tuple(n for n in common if ours[n] != theirs[n])
        first = differing[0] if differing else None
        # a canonical-request difference is explained best by the first part that differs inside it
        return TraceDiff(first, self._safe(ours.get(first, "")) if first else "",
                         self._safe(theirs.get(first, "")) if first else "", differing, tuple(common))

    # ---- views -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        lines = [f"SigningTrace({self.scheme_name}, {self.algorithm}, access_key={mask_access_key(self.access_key)}, "
                 f"scope={self.credential_scope or '-'})"]
        for s in self.steps:
            v = s.value.replace("\n", "\\n")
            lines.append(f"  {s.name:<26} {v[:110]}{'…' if len(v) > 110 else ''}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for s in self.steps:
            if s.name == "canonical_request":
                val = self._canonical_request_table()
            else:
                val = code(show_whitespace(s.value))
            label = f"<br><span style='color:#555'>{html.escape(t)}</span>" if (t := term(s.name)) else ""  # i18n
            rows.append([f"<b>{html.escape(s.name)}</b>{label}", value_with_note(val, html.escape(s.explanation))])
        head = (f"<div><b>{html.escape(self.scheme_name)}</b> {html.escape(self.algorithm)} · "
                f"access key <code>{html.escape(mask_access_key(self.access_key))}</code> · "
                f"{'presigned URL' if self.presigned else 'Authorization header'}</div>")
        steps = table(None, rows, head_html=["step", value_with_note_head("value", "what it is")])
        return tr_html(f"<div class='imgx-trace' style='max-width:100%'>{head}{steps}</div>")

    def canonical_request_lines(self) -> list[tuple[str, str]]:
        """(label, line) for each line of the canonical request."""
        lines = self._safe(self.canonical_request).split("\n")
        n_headers = self.canonical_headers.count("\n")
        labels = list(_CR_LABELS_HEAD) + ["canonical header"] * n_headers
        labels += ["end of headers (blank line)"]
        while len(labels) < len(lines) - 2:
            labels.append("(extra blank line)")
        labels += ["signed headers" if self.scheme_name != "OSS4" else "additional headers", "payload hash"]
        return list(zip(labels[-len(lines):] if len(labels) > len(lines) else labels, lines, strict=False))

    def _canonical_request_table(self) -> str:
        lines = self.canonical_request_lines()
        n = len(lines)
        return table(None, ([f"<span style='color:#555'>{i + 1}. {html.escape(lbl)}</span>",
                             code(f"{show_whitespace(line) or '<i>(empty)</i>'}"
                                  f"<span style='color:#c60'>{'↵' if i < n - 1 else ''}</span>")]
                            for i, (lbl, line) in enumerate(lines)))


_FIELD_NAMES = tuple(f.name for f in __import__("dataclasses").fields(SigningTrace))


def _values_of(x: SigningTrace | Mapping[str, str]) -> dict[str, str]:
    if isinstance(x, SigningTrace):
        return {n: getattr(x, n) for n in COMPARABLE_STEPS}
    vals = {k: v for k, v in dict(x).items() if isinstance(v, str)}
    if "canonical_request" in vals and "hashed_canonical_request" not in vals:
        vals["hashed_canonical_request"] = hashlib.sha256(vals["canonical_request"].encode("utf-8")).hexdigest()
    return vals




@dataclass(frozen=True)
class TraceDiff:
    """The first step where two traces (or a trace and a server echo) differ."""

    step: str | None
    ours: str
    theirs: str
    differing: tuple[str, ...]
    compared: tuple[str, ...]

    @property
    def same(self) -> bool:
        return self.step is None

    @cached_property
    def opcodes(self) -> list[tuple[str, str, str]]:
        """Character-level diff as (tag, ours, theirs) runs; tag in equal/replace/delete/insert."""
        sm = difflib.SequenceMatcher(None, self.ours, self.theirs, autojunk=False)
        return [(tag, self.ours[i1:i2], self.theirs[j1:j2]) for tag, i1, i2, j1, j2 in sm.get_opcodes()]

    @cached_property
    def line(self) -> tuple[int, str, str] | None:
        """For multi-line steps: (1-based line number, our line, their line) of the first differing line."""
        a, b = self.ours.split("\n"), self.theirs.split("\n")
        for i in range(max(len(a), len(b))):
            la = a[i] if i < len(a) else "<missing>"
            lb = b[i] if i < len(b) else "<missing>"
            if la != lb:
                return i + 1, la, lb
        return None

    def __repr__(self) -> str:
        if self.same:
            return f"TraceDiff(identical over {plural(len(self.compared), 'step')})"
        out = [f"TraceDiff(first differing step: {self.step}; differing: {', '.join(self.differing)})"]
        if self.line:
            n, a, b = self.line
            out.append(f"  line {n}:")
            out.append(f"    ours:   {a!r}")
            out.append(f"    theirs: {b!r}")
        marks = "".join({"equal": " "}.get(t, "^") * max(len(a), len(b)) for t, a, b in self.opcodes)
        if len(self.ours) <= 400 and "\n" not in self.ours:
            out.append(f"    {self.ours}\n    {self.theirs}\n    {marks}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        if self.same:
            return tr_html(f"<div>✔ identical over {plural(len(self.compared), 'step')}: "
                           f"{html.escape(', '.join(self.compared))}</div>")
        ours, theirs = [], []
        for tag, a, b in self.opcodes:
            if tag == "equal":
                ours.append(show_whitespace(a))
                theirs.append(show_whitespace(b))
            else:
                if a:
                    ours.append(f"<span style='background:#fbb'>{show_whitespace(a)}</span>")
                if b:
                    theirs.append(f"<span style='background:#bfb'>{show_whitespace(b)}</span>")
        line = ""
        if self.line:
            n, a, b = self.line
            line = table(None, [["first differing line", f"<b>{n}</b>"], ["ours", code(show_whitespace(a))],
                                ["theirs", code(show_whitespace(b))]])
        differing = html.escape(", ".join(self.differing))
        return tr_html(f"<div class='imgx-diff' style='max-width:100%'><div>✘ first differing step: "
                f"<b>{html.escape(self.step or '')}</b> (differing: {differing})</div>{line}"
                + table(["", "the whole step, differences marked"],
                        [["ours", code("".join(ours))], ["theirs", code("".join(theirs))]]) + "</div>")
