"""Text that cannot be sent: lone UTF-16 surrogates (half of a character, no UTF-8 bytes).

They appear when bytes were decoded with ``errors='surrogateescape'`` or a browser cut a body in
the middle of an emoji. Every input check that refuses them asks here::

    >>> lone_surrogate("ok"), lone_surrogate("ab\\udc80")
    (None, 2)
"""
from __future__ import annotations

import re

__all__ = ["LONE_SURROGATE", "lone_surrogate"]

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> int | None:
    """The position of the first lone surrogate in ``text``, or ``None``."""
    m = LONE_SURROGATE.search(text)
    return None if m is None else m.start()
