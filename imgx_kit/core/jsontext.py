"""JSON text parsed with bounded nesting: one helper for every place that parses JSON it was given.

``json.loads`` recurses once per ``[`` or ``{``; 100 000 of them raise ``RecursionError`` (or, in a
deep call stack, worse). :func:`loads_bounded` refuses text nested deeper than ``max_depth``
before parsing — counted in one pass over the brackets outside strings, in C (``re``) — and
turns every parse failure into the caller's typed error::

    >>> loads_bounded('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> loads_bounded("[" * 100000)
    Traceback (most recent call last):
    ...
    imgx_kit.core.errors.ImgxError: the JSON text is nested deeper than 200 levels — ...; pass the complete, ...
"""
from __future__ import annotations

import json
import re
from typing import Any

from .errors import ImgxError

__all__ = ["MAX_JSON_DEPTH", "json_depth", "loads_bounded"]

#: deepest nesting accepted (HAR files and API answers are under 20 levels)
MAX_JSON_DEPTH = 200
# a JSON string (with escapes) or one bracket; strings are skipped so "[" inside them do not count
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str | bytes, stop: int | None = None) -> int:
    """The deepest bracket nesting of ``text`` (outside strings); stops counting past ``stop``.

        >>> json_depth('{"a": "[[[", "b": [[1]]}')
        3
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    depth = deepest = 0
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop is not None and deepest > stop:
                    return deepest
        elif c in "]}":
            depth -= 1
    return deepest


def loads_bounded(text: str | bytes, *, what: str = "the JSON text", error: type[ImgxError] = ImgxError,
                  max_depth: int = MAX_JSON_DEPTH, hint: str | None = None) -> Any:
    """``json.loads(text)``, refusing nesting deeper than ``max_depth`` with ``error``; a syntax
    error raises ``json.JSONDecodeError`` as usual (callers word it themselves)."""
    if len(text) > max_depth and json_depth(text, stop=max_depth) > max_depth:     # depth ≤ length
        raise error(f"{what} is nested deeper than {max_depth} levels",
                    hint=hint or "real API answers and HAR files are a few levels deep; "
                                 "pass the complete, unaltered text")
    try:
        return json.loads(text)
    except RecursionError:                     # a stack already deep when we were called
        raise error(f"{what} is nested too deeply to parse", hint=hint or "pass the complete, unaltered text") from None
