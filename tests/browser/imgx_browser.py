"""Helpers shared by the browser tests (a uniquely named module, not conftest)."""
from __future__ import annotations

import time

import pytest


def wait_for(cond, timeout, what):
    """Poll ``cond()`` until it returns a truthy value or the deadline passes (fails, never skips)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
