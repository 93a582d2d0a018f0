"""The language of the words imgx-kit shows: English (the default) or Simplified Chinese.

One setting — ``ik.set_language("zh")``, or ``IMGX_LANG=zh`` in the environment, or
``ik.set_language("auto")`` to follow the locale — switches the library's own words (step
explanations and labels of trace views, diff labels, diagnosis causes, painter tooltips, error
hints) to Chinese. Translations come from one catalogue, ``imgx_kit/data/i18n/zh.json``, keyed by
the English text, so no message moves out of the code that says it: a call site only wraps what it
shows in :func:`tr` (plain text) or :func:`tr_html` (an HTML view; text inside ``<code>``/``<pre>``
is never touched). A text without a translation is shown in English, unchanged.

    >>> from imgx_kit.core import i18n
    >>> with i18n.language("zh"):
    ...     i18n.tr("The signed header names, lower case, sorted, joined with ';'.")
    "已签名的头的名称：小写、排序后用 ';' 连接。"
    >>> i18n.tr("The signed header names, lower case, sorted, joined with ';'.")
    "The signed header names, lower case, sorted, joined with ';'."
    >>> i18n.normalize("zh_CN.UTF-8"), i18n.normalize("en-GB"), i18n.get_language()
    ('zh', 'en', 'en')
"""
from __future__ import annotations

import html
import json
import locale
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import NamedTuple

from .errors import ImgxError

__all__ = [
    "LANGUAGES",
    "Catalogue",
    "LanguageError",
    "catalogue",
    "detect_language",
    "get_language",
    "language",
    "normalize",
    "set_language",
    "term",
    "tr",
    "tr_html",
]

LANGUAGES = ("en", "zh")
_ENV = "IMGX_LANG"


class LanguageError(ImgxError, ValueError):
    """A language imgx-kit has no words for was asked for."""


def normalize(tag: str) -> str | None:
    """``"zh_CN.UTF-8"``, ``"zh-Hans"``, ``"zh"`` → ``"zh"``; ``"en_US"``, ``"C"``, ``"POSIX"`` → ``"en"``;
    anything else → ``None``."""
    base = re.split(r"[-_.@]", tag.strip().lower(), maxsplit=1)[0]
    if base in ("zh", "chinese"):
        return "zh"
    if base in ("en", "english", "c", "posix"):
        return "en"
    return None


def detect_language() -> str:
    """The language of the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``, then Python's
    ``locale``): ``"zh"`` for any Chinese locale, ``"en"`` otherwise."""
    tags = [os.environ.get(v, "") for v in ("LC_ALL", "LC_MESSAGES", "LANG")]
    tags += os.environ.get("LANGUAGE", "").split(":")
    tags.append(locale.getlocale()[0] or "")
    for tag in tags:
        if tag and (lang := normalize(tag)) is not None and tag.lower() not in ("c", "posix", "c.utf-8"):
            return lang
    return "en"


def _initial() -> str:
    wanted = os.environ.get(_ENV, "").strip()
    if not wanted:
        return "en"
    return detect_language() if wanted.lower() == "auto" else (normalize(wanted) or "en")


_current = _initial()


def get_language() -> str:
    """The language now in use: ``"en"`` or ``"zh"``."""
    return _current


def set_language(lang: str = "auto") -> str:
    """Show imgx-kit's own words in ``lang`` (``"en"``, ``"zh"``, ``"zh-CN"``…; ``"auto"``: follow the
    locale). Returns the language now in use. Objects made before keep what they hold; views and
    hints shown afterwards use the new language.

        >>> import imgx_kit as ik
        >>> ik.set_language("zh"), ik.set_language("en")
        ('zh', 'en')
    """
    global _current
    if not isinstance(lang, str):
        raise LanguageError(f"set_language needs a language tag as a string, not {type(lang).__name__}",
                            hint="e.g. ik.set_language('zh') or ik.set_language('en')")
    chosen = detect_language() if lang.strip().lower() == "auto" else normalize(lang)
    if chosen is None:
        raise LanguageError(f"imgx-kit has no words for language {lang!r}",
                            hint=f"choose one of {', '.join(LANGUAGES)} (or 'auto' to follow the locale)")
    _current = chosen
    return chosen


@contextmanager
def language(lang: str) -> Iterator[str]:
    """Use ``lang`` inside a ``with`` block and restore the previous language after it."""
    before = _current
    try:
        yield set_language(lang)
    finally:
        set_language(before)


# ---- the catalogue -----------------------------------------------------------------------------
class _Template(NamedTuple):
    pattern: re.Pattern[str]
    target: str


class Catalogue(NamedTuple):
    """The words of one language: ``messages`` (English text → translation), ``templates`` (English
    text with ``{0}``, ``{1}``… for the variable parts), ``terms`` (identifiers such as step names →
    their name in the language) and the ``glossary`` both editions follow."""

    messages: dict[str, str]
    templates: tuple[_Template, ...]
    terms: dict[str, str]
    glossary: tuple[dict[str, object], ...]


_SLOT = re.compile(r"\\\{(\d+)\\\}")


def _compile(key: str, target: str) -> _Template:
    pattern = _SLOT.sub(lambda m: f"(?P<s{m.group(1)}>.+?)", re.escape(key))
    return _Template(re.compile(pattern + r"\Z", re.DOTALL), target)


@cache
def catalogue(lang: str = "zh") -> Catalogue:
    """The catalogue of ``lang``, read once from the package data."""
    raw = json.loads((resources.files("imgx_kit") / "data" / "i18n" / f"{lang}.json").read_text("utf-8"))
    return Catalogue(dict(raw["messages"]),
                     tuple(_compile(k, v) for k, v in raw["templates"].items()),
                     dict(raw["terms"]), tuple(raw["glossary"]))


_TEMPLATE_LIMIT = 4000                     # characters: longer texts are shown as they are, never matched
_SENTENCE = re.compile(r"(?<=[.:;)])\s+(?=[A-Z(])")


def _lookup(text: str, cat: Catalogue, depth: int = 0) -> str | None:
    hit = cat.messages.get(text)
    if hit is not None:
        return hit
    if len(text) > _TEMPLATE_LIMIT:          # bounded work: templates backtrack over their slots
        return None
    for tpl in cat.templates:
        m = tpl.pattern.match(text)
        if m is not None:
            slots = {k[1:]: v for k, v in m.groupdict().items()}
            if depth < 2:
                slots = {k: (_lookup(v, cat, depth + 1) or v) for k, v in slots.items()}
            return _fill(tpl.target, slots)
    return None


def _fill(target: str, slots: dict[str, str]) -> str:
    return re.sub(r"\{(\d+)\}", lambda s: slots.get(s.group(1), s.group(0)), target)


def tr(text: str) -> str:
    """``text`` in the current language: the catalogue's translation of the whole text, of a template
    it matches, or of each of its sentences; ``text`` itself when there is none (and in English).

        >>> with language("zh"):
        ...     tr("first differing step")
        '第一个不同的步骤'
    """
    if _current == "en" or not text:
        return text
    cat = catalogue(_current)
    lead, core, trail = _split_space(text)
    if not core:
        return text
    found = cat.messages.get(core)
    if found is None and "; " in core:           # hints joined with '; ' (e.g. "did you mean …; allowed: …")
        done = [_lookup(c, cat) for c in core.split("; ")]
        if all(d is not None for d in done):
            found = "；".join(d for d in done if d is not None)
    if found is None:
        found = _lookup(core, cat)
    if found is None:
        parts = _SENTENCE.split(core)
        if len(parts) == 1:
            return text
        found = "".join(_lookup(p, cat) or (" " + p + " ") for p in parts).strip()
    return lead + found + trail


def term(name: str) -> str | None:
    """The name of an identifier (a step name such as ``canonical_uri``) in the current language, or
    ``None`` in English and for identifiers without one."""
    if _current == "en":
        return None
    return catalogue(_current).terms.get(name)


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core):]


_TAG = re.compile(r"(<[^>]*>)")
_VERBATIM = ("code", "pre", "script", "style", "kbd", "samp")


def tr_html(markup: str) -> str:
    """An HTML view with each text run translated by :func:`tr` — except inside ``code``, ``pre``,
    ``kbd``, ``samp``, ``script`` and ``style``, which show values, never words.

        >>> with language("zh"):
        ...     tr_html("<div>ours <code>ours</code></div>")
        '<div>我方 <code>ours</code></div>'
    """
    if _current == "en":
        return markup
    out: list[str] = []
    verbatim = 0
    for piece in _TAG.split(markup):
        if piece.startswith("<") and piece.endswith(">"):
            m = re.match(r"<\s*(/?)\s*([a-zA-Z0-9]+)", piece)
            if m and m.group(2).lower() in _VERBATIM and not piece.endswith("/>"):
                verbatim = max(0, verbatim + (-1 if m.group(1) else 1))
            out.append(piece)
        elif verbatim or not piece.strip():
            out.append(piece)
        else:
            plain = html.unescape(piece)
            done = tr(plain)
            out.append(piece if done == plain else html.escape(done, quote=False))
    return "".join(out)
