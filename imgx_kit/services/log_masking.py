"""Third-party loggers masked while imgx-kit sends: what urllib3 or requests log at DEBUG during
our calls (a request line with a token in its query, a redirect URL) goes through the same
masking rule as everything else (:mod:`imgx_kit.core.redact`).

Python applies a logger's filters only to records created by that very logger, so the filter is
put on each library logger that writes records (``urllib3.connectionpool`` writes the request
lines) and on the handlers of the root logger, where propagated records end up::

    >>> import logging, io
    >>> buf = io.StringIO(); h = logging.StreamHandler(buf); lg = logging.getLogger("urllib3.connectionpool")
    >>> lg.addHandler(h); lg.setLevel(logging.DEBUG)
    >>> with masking_logs(["STS2SecretSessionToken000"]):
    ...     lg.debug('"GET /?X-Amz-Security-Token=%s HTTP/1.1" 200', "STS2SecretSessionToken000")
    >>> lg.removeHandler(h); lg.setLevel(logging.NOTSET)
    >>> buf.getvalue()
    '"GET /?X-Amz-Security-Token=STS2…(25 chars) HTTP/1.1" 200\\n'
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..core.redact import redact_text, scrub

__all__ = ["LIBRARY_LOGGERS", "SecretLogFilter", "masking_logs"]

#: loggers of the HTTP stack that write records during a call
LIBRARY_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager",
                   "urllib3.response", "urllib3.util.retry", "requests", "charset_normalizer")


class SecretLogFilter(logging.Filter):
    """Masks the secrets of every imgx-kit call in progress (and whatever looks like a token)."""

    def __init__(self) -> None:
        super().__init__("imgx-kit-secrets")
        self._lock = threading.Lock()
        self._active: Counter[frozenset[str]] = Counter()
        self._secrets: frozenset[str] = frozenset()

    def add(self, secrets: frozenset[str]) -> None:
        with self._lock:
            self._active[secrets] += 1
            self._secrets = frozenset().union(*self._active)

    def remove(self, secrets: frozenset[str]) -> None:
        with self._lock:
            self._active[secrets] -= 1
            if self._active[secrets] <= 0:
                del self._active[secrets]
            self._secrets = frozenset().union(*self._active) if self._active else frozenset()

    @property
    def active(self) -> bool:
        return bool(self._active)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._active or getattr(record, "_imgx_masked", False):
            return True
        try:
            text = record.getMessage()
        except Exception:  # a record whose args do not fit its format: leave it
            return True
        clean = scrub(redact_text(text, self._secrets))
        if clean != text:
            record.msg, record.args = clean, None
        record.__dict__["_imgx_masked"] = True      # checked once, however many filters see it
        return True


_FILTER = SecretLogFilter()
_INSTALL_LOCK = threading.Lock()
_installed: list[logging.Filterer] = []
_depth = 0


def _install() -> None:
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in LIBRARY_LOGGERS]
    targets += list(logging.getLogger().handlers)
    for t in targets:
        if _FILTER not in t.filters:
            t.addFilter(_FILTER)
            _installed.append(t)


def _uninstall() -> None:
    while _installed:
        _installed.pop().removeFilter(_FILTER)


@contextmanager
def masking_logs(secrets: Iterable[str | None] = ()) -> Iterator[None]:
    """While the block runs, records of the HTTP stack's loggers (and of the root logger's
    handlers) show ``secrets`` masked, and tokens, passwords and cookies by the masking rule.
    Re-entrant and thread-safe: concurrent calls each add their secrets."""
    global _depth
    key = frozenset(s for s in secrets if s)
    with _INSTALL_LOCK:
        if _depth == 0:
            _install()
        _depth += 1
        _FILTER.add(key)
    try:
        yield
    finally:
        with _INSTALL_LOCK:
            _FILTER.remove(key)
            _depth -= 1
            if _depth == 0:
                _uninstall()
