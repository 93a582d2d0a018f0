"""Fixtures for the emulator tests: one emulator per module."""
from __future__ import annotations

import pytest

from imgx_kit.emulator.api import running


@pytest.fixture(scope="module")
def emu():
    with running(seed=0) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture(scope="module")
def strict_emu():
    with running(teaching=False, seed=1) as e:
        yield e
