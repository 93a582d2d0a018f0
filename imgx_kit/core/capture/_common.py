"""What every capture format shares: the parse result and the checks of the text it came from."""
from __future__ import annotations

import html
from dataclasses import dataclass

from ..errors import CaptureError
from ..request import HttpRequest
from ..text import LONE_SURROGATE

_CURL_WS = " \t\n\v\f\r"          # curl's ISSPACE


# ============================================================================================
# result type
# ============================================================================================
@dataclass(frozen=True)
class CaptureParse:
    """A captured request plus what the parser left out (``ignored_flags``) and noticed (``notes``).

        >>> from imgx_kit.core.capture import parse_curl
        >>> p = parse_curl("curl -k https://h/")
        >>> p.request.url, p.ignored_flags, p.source
        ('https://h/', ('-k',), 'curl')
    """

    request: HttpRequest
    ignored_flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = "curl"

    def __repr__(self) -> str:
        notes = "".join(f"\n  note: {n}" for n in self.notes)
        return (f"CaptureParse(source={self.source!r}, request={self.request!r}, "
                f"ignored_flags={self.ignored_flags!r}){notes}")

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        ign = html.escape(" ".join(self.ignored_flags)) or "none"
        return (f"<div><b>captured from {html.escape(self.source)}</b>"
                f"{self.request._repr_html_()}<div>ignored flags: <code>{ign}</code></div>"
                + (f"<ul>{items}</ul>" if items else "") + "</div>")


#: the name used for the result of :func:`parse_curl` (same type as every other capture)
CurlParse = CaptureParse


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _b(text: str) -> bytes:
    """The bytes of command text; U+DC80–U+DCFF stand for the undecodable bytes of a command
    that was given as bytes (``surrogateescape``)."""
    return text.encode("utf-8", "surrogateescape")


def _lone_surrogate(text: str, *, escaped_bytes: bool = False) -> int | None:
    """Where ``text`` first holds half of a UTF-16 surrogate pair, or ``None``. With
    ``escaped_bytes``, U+DC80–U+DCFF are undecodable input bytes (see :func:`_b`), not halves."""
    for m in LONE_SURROGATE.finditer(text):
        if not (escaped_bytes and "\udc80" <= m.group() <= "\udcff"):
            return m.start()
    return None


def _refuse_lone_surrogate(text: str, what: str) -> None:
    """Refuse command or raw HTTP text holding half a character: it has no bytes to send."""
    pos = _lone_surrogate(text, escaped_bytes=True)
    if pos is not None:
        line, col = _line_col(text, pos)
        raise CaptureError(f"{what}: line {line}, column {col} holds a lone surrogate "
                           f"(U+{ord(text[pos]):04X}), half of a character, which has no UTF-8 bytes",
                           hint="the text was cut in the middle of a character (an emoji?); copy it "
                                "again in full, or remove that character")


def _decode(value: bytes, what: str, notes: list[str]) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{what} is not valid UTF-8; its bytes were read as Latin-1")
        return value.decode("latin-1")


def _digits(value: str) -> int | None:
    """A header value that is a plain decimal number (ASCII digits only), else ``None``."""
    v = value.strip()
    return int(v) if v.isascii() and v.isdigit() else None


def _whole_characters(text: str, what: str, hint: str) -> None:
    """Refuse text holding half a character (a lone surrogate), saying where: it has no bytes."""
    pos = _lone_surrogate(text)
    if pos is not None:
        raise CaptureError(f"{what} holds a lone surrogate (U+{ord(text[pos]):04X}) at character {pos} of "
                           f"{len(text)}, half of a character, which has no UTF-8 bytes", hint=hint)
