"""Pieces for HTML views (``_repr_html_``) that fit a notebook's output area.

Three facts shape them (checked in JupyterLab 4.6's bundle; Notebook 7 and Voilà use the same CSS):

- ``.jp-RenderedHTMLCommon`` right-aligns ``th`` and ``td``; so every cell here says ``text-align:left``.
- Outputs of an untrusted notebook (one just opened, outputs stored) are sanitized: no ``<style>``
  element survives, inline ``style`` attributes do (its ``allowedStyles`` include ``display``,
  ``flex*``, ``overflow-wrap``, ``max-width``, ``table-layout``). So all styling is inline.
- A table grows to its cells' min-content width. ``overflow-wrap:anywhere`` (unlike ``break-word``)
  lowers that min-content width, so long hashes, URLs and canonical lines wrap inside their own
  cell and the table stays within ``width:100%``.

``value_with_note`` puts an explanation beside a value and under it when the area is narrow
(``flex-wrap``, the same bases in every row so the two columns line up with their header).

    >>> table(["step", "value"], [["k_date", code("9a2b…")]]).count("<tr>")
    2
    >>> plural(1, "call"), plural(3, "call"), plural(2, "retry", "retries")
    ('1 call', '3 calls', '2 retries')
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["CELL", "CODE", "NAME", "PRE", "TABLE", "TH", "code", "plural", "table", "value_with_note",
           "value_with_note_head"]

TABLE = "border-collapse:collapse;width:100%;max-width:100%;table-layout:auto;margin:0"
TH = "text-align:left;vertical-align:bottom;padding:2px 10px 2px 0;border-bottom:1px solid #ccc"
CELL = "text-align:left;vertical-align:top;padding:2px 10px 2px 0;overflow-wrap:anywhere;word-break:normal"
NAME = "text-align:left;vertical-align:top;padding:2px 10px 2px 0;white-space:nowrap"
CODE = "overflow-wrap:anywhere;word-break:normal;white-space:normal"
PRE = "white-space:pre-wrap;overflow-wrap:anywhere;margin:0;max-width:100%"
_VALUE = "flex:3 1 22em;min-width:0;overflow-wrap:anywhere"
_NOTE = "flex:1 1 13em;min-width:0;color:#555"
_PAIR = "display:flex;flex-wrap:wrap;column-gap:12px;row-gap:2px;align-items:flex-start"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 call"``, ``"2 calls"`` (``many`` for irregular plurals)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def code(text_html: str) -> str:
    """A ``<code>`` run that wraps anywhere (``text_html`` is already escaped)."""
    return f"<code style='{CODE}'>{text_html}</code>"


def value_with_note(value_html: str, note_html: str) -> str:
    """A value and its explanation: side by side when there is room, the note under it when not."""
    return f"<div style='{_PAIR}'><div style='{_VALUE}'>{value_html}</div><div style='{_NOTE}'>{note_html}</div></div>"


def value_with_note_head(value: str, note: str) -> str:
    """The header over :func:`value_with_note` cells (same flex bases: aligned with them)."""
    return value_with_note(html.escape(value), html.escape(note)).replace("color:#555", "font-weight:bold")


def table(head: Sequence[str] | None, rows: Iterable[Sequence[str]], *, name_column: bool = True,
          head_html: Sequence[str] | None = None, cls: str = "") -> str:
    """A left-aligned table that fits its area. ``rows`` hold HTML; ``head`` plain text (escaped),
    or ``head_html``. The first column is a name that does not wrap when ``name_column``."""
    heads = list(head_html) if head_html is not None else [html.escape(h) for h in head or ()]
    out = [f"<table{f' class={cls!r}' if cls else ''} style='{TABLE}'>"]
    if heads:
        out.append("<thead><tr>" + "".join(f"<th style='{TH}'>{h}</th>" for h in heads) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td style='{NAME if name_column and i == 0 else CELL}'>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)
