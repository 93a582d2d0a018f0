"""The answer of :func:`~imgx_kit.diagnose`: :class:`Diagnosis` and its views (text, HTML, JSON),
kept apart from the search that fills it in."""
from __future__ import annotations

import difflib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..echo import ServerEcho
from ..i18n import tr_html
from ..redact import redact_headers, redact_text, redact_url
from ..request import HttpRequest
from ..trace import SigningTrace, TraceDiff
from .catalogue import Cause

__all__ = ["Diagnosis", "causes_table", "token_diff"]


@dataclass(frozen=True, repr=False, eq=False)
class Diagnosis:
    """The answer of :func:`diagnose`. ``verdict`` is "valid", "mismatch" or "cannot-check";
    ``causes`` are ranked; ``expected`` is the trace computed from what was sent with the scope the
    server expects (``None`` without the secret); ``server`` the parsed echo; ``diff`` the first
    differing step (vs the echo, or vs the client's computation a hypothesis reconstructed)."""

    verdict: str
    causes: tuple[Cause, ...]
    expected: SigningTrace | None
    server: ServerEcho | None
    diff: TraceDiff | None
    checked: tuple[str, ...]
    not_checked: tuple[str, ...]
    scheme: str
    presigned: bool
    sent: HttpRequest
    sent_signature: str
    expectation: str
    elapsed_ms: float = 0.0
    hidden: tuple[str, ...] = field(default=(), repr=False)

    @property
    def first_differing_step(self) -> str | None:
        return self.diff.step if self.diff is not None else None

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    def _safe(self, text: str) -> str:
        return redact_text(text, self.hidden)

    # ---- export --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary; secrets and tokens masked."""
        d = {"verdict": self.verdict, "scheme": self.scheme, "presigned": self.presigned,
             "expectation": self.expectation,
             "sent": {"method": self.sent.method, "url": redact_url(self.sent.url),
                      "headers": [list(h) for h in redact_headers(self.sent.headers)]},
             "sent_signature": self.sent_signature,
             "expected_signature": self.expected.signature if self.expected is not None else None,
             "first_differing_step": self.first_differing_step,
             "causes": [c.to_dict() for c in self.causes],
             "checked": list(self.checked), "not_checked": list(self.not_checked)}
        if self.server is not None:
            d["server"] = {"source": self.server.source, "code": self.server.code, "status": self.server.status,
                           "steps": dict(self.server)}
        out: dict[str, Any] = json.loads(self._safe(json.dumps(d, ensure_ascii=False)))
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    # ---- views ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        how = "presigned URL" if self.presigned else "Authorization header"
        lines = [f"Diagnosis: {self.verdict.upper()} ({self.scheme}, {how}; expected: {self.expectation})",
                 f"  sent:      {self.sent.method} {redact_url(self.sent.url)}",
                 f"  signature: sent {self.sent_signature or '-'}"]
        if self.expected is not None:
            lines.append(f"             we compute {self.expected.signature}")
        if self.diff is not None and not self.diff.same:
            lines.append(f"  first differing step: {self.diff.step}")
            if self.diff.line:
                n, a, b = self.diff.line
                lines.append(f"    line {n}: ours {a!r}")
                lines.append(f"    {' ' * len(str(n))}       theirs {b!r}")
        if self.causes:
            lines.append("  causes:")
            for i, c in enumerate(self.causes, 1):
                lines.append(f"   {i}. [{c.confidence}] {c.id}: {c.title}")
                lines.append(f"      evidence: {c.evidence}")
                lines.append(f"      fix: {c.fix}")
        elif self.verdict == "valid":
            lines.append("  the signature is valid for what was sent")
        if self.checked:
            lines.append("  checked: " + "; ".join(self.checked))
        if self.not_checked:
            lines.append("  not checked: " + "; ".join(self.not_checked))
        return self._safe("\n".join(lines))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"valid": "green", "mismatch": "#b00", "cannot-check": "#a60"}[self.verdict]
        how = "presigned URL" if self.presigned else "Authorization header"
        parts = [(f"<div class='imgx-diagnosis' style='max-width:100%;overflow-wrap:anywhere'><div>"
                 f"<b style='color:{colour}'>{e(self.verdict.upper())}</b> · "
                 f"{e(self.scheme)} {e(how)} · expected: {e(self.expectation)}</div>"),
                 ("<details open><summary><b>What was sent</b></summary>"
                 f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere'>{e(self.sent.to_raw())}</pre></details>")]
        sig = f"sent <code>{e(self.sent_signature)}</code>"
        if self.expected is not None:
            sig += f" · we compute <code>{e(self.expected.signature)}</code>"
        parts.append(f"<div style='overflow-wrap:anywhere'>signature: {sig}</div>")
        parts.append(self._diff_html())
        parts.append(causes_table(self.causes))
        if self.expected is not None:
            parts.append("<details><summary><b>What we compute</b> (with the scope the server expects)</summary>"
                         f"{self.expected._repr_html_()}</details>")
        if self.server is not None:
            parts.append("<details><summary><b>What the server said</b></summary>"
                         f"{self.server._repr_html_()}</details>")
        lists = "".join(f"<div>{label}: {e('; '.join(items))}</div>"
                        for label, items in (("checked", self.checked), ("not checked", self.not_checked)) if items)
        parts.append(f"<div style='color:#555'>{lists}</div></div>")
        return tr_html(self._safe("".join(parts)))

    def _diff_html(self) -> str:
        """The first differing line with whole tokens marked (``cn-beijing`` against ``cn-north-1``),
        then the full step-by-step diff folded."""
        if self.diff is None:
            return ""
        head = "<div><b>First differing step</b>"
        if self.diff.same or not self.diff.line:
            return head + "</div>" + self.diff._repr_html_()
        n, ours, theirs = self.diff.line
        a, b = token_diff(ours, theirs)
        who = "the server" if self.server is not None and self.server.has_canonical else "the client's computation"
        return (f"{head}: <code>{html.escape(self.diff.step or '')}</code>, line {n}</div>"
                "<table style='table-layout:fixed;width:100%;border-collapse:collapse'>"
                "<colgroup><col style='width:8em'><col></colgroup>"
                f"<tr><th style='text-align:left'>ours</th><td "
                f"style='text-align:left;{_WRAP}'><code>{a}</code></td></tr>"
                f"<tr><th style='text-align:left'>{who}</th><td "
                f"style='text-align:left;{_WRAP}'><code>{b}</code></td></tr>"
                f"</table><details><summary>every step</summary>{self.diff._repr_html_()}</details>")


_WRAP = "white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word"
_TOKEN = re.compile(r"[A-Za-z0-9_.~%+-]+|\s+|.", re.DOTALL)


def token_diff(ours: str, theirs: str) -> tuple[str, str]:
    """Both texts as HTML, the differing *tokens* marked (words, hex runs, percent escapes stay whole).

    >>> token_diff("20250101/cn-beijing/cv/request", "20250101/cn-north-1/cv/request")[0]
    "20250101/<mark style='background:#fbb'>cn-beijing</mark>/cv/request"
    """
    ta, tb = _TOKEN.findall(ours), _TOKEN.findall(theirs)
    sm = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        a, b = html.escape("".join(ta[i1:i2])), html.escape("".join(tb[j1:j2]))
        if op == "equal":
            out_a.append(a)
            out_b.append(b)
            continue
        if a:
            out_a.append(f"<mark style='background:#fbb'>{a}</mark>")
        if b:
            out_b.append(f"<mark style='background:#bfb'>{b}</mark>")
    return "".join(out_a), "".join(out_b)


_CONF_COLOUR = {"high": "#060", "medium": "#a60", "low": "#777"}


def causes_table(causes: tuple[Cause, ...]) -> str:
    """The ranked causes as a table that fits a narrow output area (≈900 px: JupyterLab at 1280 px
    with the file browser open): fixed column widths, long values wrapped inside their cell."""
    if not causes:
        return ""
    e = html.escape
    cell = f"style='text-align:left;vertical-align:top;{_WRAP}'"
    rows = "".join(
        f"<tr><td {cell}>{i}</td><td {cell}><code>{e(c.id)}</code><br>{e(c.title)}</td>"
        f"<td {cell}><span style='color:{_CONF_COLOUR[c.confidence]}'>{e(c.confidence)}</span></td>"
        f"<td {cell}>{e(c.evidence)}</td><td {cell}>{e(c.fix)}</td></tr>"
        for i, c in enumerate(causes, 1))
    return ("<div><b>Causes</b></div><table class='imgx-causes' style='table-layout:fixed;width:100%;"
            "max-width:100%;border-collapse:collapse'><colgroup><col style='width:2.5em'><col style='width:24%'>"
            "<col style='width:6.5em'><col style='width:38%'><col></colgroup><thead><tr>"
            + "".join(f"<th {cell}>{h}</th>" for h in ("#", "cause", "confidence", "evidence", "fix"))
            + f"</tr></thead><tbody>{rows}</tbody></table>")
