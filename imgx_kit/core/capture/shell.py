"""Split a command line into words as bash or Windows cmd would (quotes, escapes, ``$'…'``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import CaptureError
from ._common import _b, _line_col


# ============================================================================================
# shell words (bash and Windows cmd)
# ============================================================================================
@dataclass(frozen=True)
class _Word:
    value: bytes
    line: int
    col: int

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.col}"

    def text(self) -> str:
        try:
            return self.value.decode("utf-8")
        except UnicodeDecodeError:
            return self.value.decode("latin-1")


_ANSI_SIMPLE = {"a": b"\a", "b": b"\b", "e": b"\x1b", "E": b"\x1b", "f": b"\f", "n": b"\n",
                "r": b"\r", "t": b"\t", "v": b"\v", "\\": b"\\", "'": b"'", '"': b'"', "?": b"?"}
_HEX = "0123456789abcdefABCDEF"


def _ansi_c(text: str, i: int, out: bytearray) -> int:
    """Decode a bash ``$'…'`` string starting after ``$'``; return the index after the closing quote."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            return i + 1
        if c != "\\" or i + 1 >= n:
            out += _b(c)
            i += 1
            continue
        e = text[i + 1]
        if e in _ANSI_SIMPLE:
            out += _ANSI_SIMPLE[e]
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(int(text[i + 1:j], 8) & 0xFF)
            i = j
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            j = i + 2
            while j < n and j < i + 2 + width and text[j] in _HEX:
                j += 1
            if j == i + 2:                    # no digits: kept as written
                out += _b("\\" + e)
            elif e == "x":
                out.append(int(text[i + 2:j], 16))
            else:
                cp = int(text[i + 2:j], 16)
                out += chr(cp).encode("utf-8", "surrogatepass") if cp < 0x110000 else _utf8_beyond(cp)
            i = j
        elif e == "c" and i + 2 < n:
            out.append(ord(text[i + 2].upper()) & 0x1F)
            i += 3
        else:
            out += _b("\\" + e)
            i += 2
    raise _Unterminated("$'")


def _utf8_beyond(cp: int) -> bytes:
    """What bash writes for ``\\U`` past U+10FFFF: the 4–6 byte forms of the original UTF-8
    (RFC 2279); nothing from U+80000000 up."""
    if cp >= 0x80000000:
        return b""
    n = 4 if cp < 1 << 21 else 5 if cp < 1 << 26 else 6
    lead = (0xF0, 0xF8, 0xFC)[n - 4] | cp >> 6 * (n - 1)
    return bytes([lead] + [0x80 | (cp >> 6 * i) & 0x3F for i in range(n - 2, -1, -1)])


class _Unterminated(Exception):
    pass


_EXPANSION = re.compile(r"\$(\{[^}]*\}|\([^)]*\)?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")


def _bash_words(text: str) -> tuple[list[_Word], list[str]]:
    """Split ``text`` into words as bash would (quotes, ``$'…'``, backslash-newline)."""
    words: list[_Word] = []
    notes: list[str] = []
    n = len(text)
    i = 0
    cur: bytearray | None = None
    start = 0

    def finish() -> None:
        nonlocal cur
        if cur is not None:
            words.append(_Word(bytes(cur), *_line_col(text, start)))
            cur = None

    def begin(pos: int) -> bytearray:
        nonlocal cur, start
        if cur is None:
            cur = bytearray()
            start = pos
        return cur

    def expansion_note(pos: int) -> None:
        m = _EXPANSION.match(text, pos)
        if m:
            line, col = _line_col(text, pos)
            notes.append(f"line {line}, column {col}: shell expansion {m.group(0)!r} was not "
                         "performed; it is kept literally (replace it with its value)")

    while i < n:
        c = text[i]
        if c == "\\":
            if text.startswith("\n", i + 1) or text.startswith("\r\n", i + 1):
                i += 2 if text[i + 1] == "\n" else 3        # line continuation
                continue
            if i + 1 < n:
                begin(i).extend(_b(text[i + 1]))
                i += 2
            else:
                begin(i).extend(b"\\")
                i += 1
            continue
        if c in " \t\r\n":
            finish()
            if c == "\n":
                rest = text[i + 1:].lstrip()
                if rest.startswith("curl ") and words:
                    line, _ = _line_col(text, i + 1)
                    notes.append(f"text after line {line - 1} starts another command; only the "
                                 "first command was read")
                    return words, notes
            i += 1
            continue
        if c == "#" and cur is None:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                line, col = _line_col(text, i)
                raise CaptureError(f"unterminated single quote opened at line {line}, column {col}",
                                   hint="close the quote, or copy the command again in full")
            begin(i).extend(_b(text[i + 1:j]))
            i = j + 1
            continue
        if c == "$" and text.startswith("'", i + 1):
            try:
                i = _ansi_c(text, i + 2, begin(i))
            except _Unterminated:
                line, col = _line_col(text, i)
                raise CaptureError(f"unterminated $'…' string opened at line {line}, column {col}",
                                   hint="close the quote, or copy the command again in full") from None
            continue
        if c == '"' or (c == "$" and text.startswith('"', i + 1)):
            opened = i
            i += 2 if c == "$" else 1
            buf = begin(opened)
            while True:
                if i >= n:
                    line, col = _line_col(text, opened)
                    raise CaptureError(f"unterminated double quote opened at line {line}, "
                                       f"column {col}",
                                       hint="close the quote, or copy the command again in full")
                d = text[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        buf.extend(_b(text[i + 1]))
                    i += 2
                    continue
                if d in "$`":
                    expansion_note(i) if d == "$" else notes.append(
                        "a backtick command substitution was not performed; kept literally")
                buf.extend(_b(d))
                i += 1
            continue
        if c in "|;&":
            finish()
            rest = text[i:].strip()
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: shell text after {c!r} ({rest[:40]!r}) "
                         "is not part of the curl command and was ignored")
            return words, notes
        if c in "<>":
            if cur is not None and cur.isdigit():          # 2>&1, 1> file
                cur = None
            j = i + 1
            while j < n and text[j] in ">&":
                j += 1
            while j < n and text[j] in " \t":
                j += 1
            while j < n and text[j] not in " \t\r\n":       # the redirection target
                j += 1
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: shell redirection {text[i:j]!r} ignored")
            finish()
            i = j
            continue
        if c == "$":
            expansion_note(i)
        if c == "`":
            notes.append("a backtick command substitution was not performed; kept literally")
        begin(i).extend(_b(c))
        i += 1
    finish()
    return words, notes


def _cmd_words(text: str) -> tuple[list[_Word], list[str]]:
    """Split a Windows ``cmd.exe`` command line: caret escapes, then the MS C runtime rules."""
    notes: list[str] = []
    chars: list[str] = []
    where: list[int] = []
    in_q = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            in_q = not in_q
        elif c == "^" and not in_q:
            if text.startswith("\r\n", i + 1) or text.startswith("\n", i + 1):
                i += 3 if text[i + 1] == "\r" else 2           # continuation
                if i < n:                                      # next char is taken literally
                    chars.append(text[i])
                    where.append(i)
                    i += 1
                continue
            if i + 1 < n:
                chars.append(text[i + 1])
                where.append(i + 1)
                i += 2
                continue
        elif c in "\r\n" and not in_q:
            rest = text[i:].strip()
            if rest:
                notes.append("text after the first line (no ^ continuation) was ignored")
            break
        elif c in "&|<>" and not in_q:
            # outside cmd quotes an unescaped & | < > ends or redirects the command in cmd.exe;
            # the copied command meant it literally, so keep it and say so
            line, col = _line_col(text, i)
            notes.append(f"line {line}, column {col}: cmd.exe would treat the unescaped {c!r} as a command "
                         f"separator or redirection; kept it as part of the argument, as the copied text meant")
        chars.append(c)
        where.append(i)
        i += 1
    if in_q:
        pass   # the C runtime treats an unterminated quote as running to the end; curl agrees
    s = "".join(chars)
    words: list[_Word] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        buf: list[str] = []
        quoted = False
        opened = i
        while i < n:
            c = s[i]
            if c == "\\":
                j = i
                while j < n and s[j] == "\\":
                    j += 1
                count = j - i
                if j < n and s[j] == '"':
                    buf.append("\\" * (count // 2))
                    if count % 2:
                        buf.append('"')
                        i = j + 1
                    else:
                        i = j
                    continue
                buf.append("\\" * count)
                i = j
                continue
            if c == '"':
                if quoted and i + 1 < n and s[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                quoted = not quoted
                opened = i
                i += 1
                continue
            if c in " \t\r\n" and not quoted:
                break
            buf.append(c)
            i += 1
        if quoted:
            line, col = _line_col(text, where[opened])
            raise CaptureError(f"unterminated double quote opened at line {line}, column {col}",
                               hint="close the quote, or copy the command again in full")
        line, col = _line_col(text, where[start])
        value = "".join(buf)
        if re.search(r"%[A-Za-z_][A-Za-z0-9_]*%", value):
            notes.append(f"line {line}, column {col}: %VARIABLE% expansion was not performed")
        words.append(_Word(_b(value), line, col))
    return words, notes


def _looks_like_cmd(text: str) -> bool:
    return bool(re.search(r'\^"|\^\r?\n', text)) and not re.search(r"\\\r?\n", text)
